/* A FEATURES region, checked once so a C faaslet can index it without bounds checks (the library "features"). */
#ifndef GR_FEATURES_LAYER_H
#define GR_FEATURES_LAYER_H

#include "graticule.h"

#define NO_LAYER 0xffffffffu

typedef struct {
  const uint8_t *region;
  const uint8_t *features, *rings, *coords, *props;
  const uint8_t *string_offsets, *string_bytes;
  uint32_t n_features, n_rings, n_coords, n_props, n_strings;
} layer_t;

/* NULL when the region is a well-formed features region whose every index (feature → rings, properties;
   ring → coordinates; property → strings) stays inside its section, else what is wrong. */
const char *layer_open(layer_t *l, const uint8_t *region, uint32_t len);

/* Index of the string equal to the n bytes at text, or -1. */
int64_t layer_string(const layer_t *l, const char *text, uint32_t n);

static inline const uint8_t *layer_feature(const layer_t *l, uint32_t i) { return l->features + (size_t)i * GR_FEATURE_STRIDE; }
static inline const uint8_t *layer_ring(const layer_t *l, uint32_t i) { return l->rings + (size_t)i * GR_RING_STRIDE; }
static inline const uint8_t *layer_coord(const layer_t *l, uint32_t i) { return l->coords + (size_t)i * GR_COORD_STRIDE; }
static inline const uint8_t *layer_prop(const layer_t *l, uint32_t i) { return l->props + (size_t)i * GR_PROP_STRIDE; }
static inline uint32_t layer_string_start(const layer_t *l, uint32_t i) { return gr_u32(l->string_offsets + 4 * (size_t)i); }
static inline uint32_t layer_string_length(const layer_t *l, uint32_t i) {
  return gr_u32(l->string_offsets + 4 * (size_t)i + 4) - layer_string_start(l, i);
}

static inline int is_polygon(uint32_t geom_type) { return geom_type == GR_GEOM_POLYGON || geom_type == GR_GEOM_MULTIPOLYGON; }
static inline int is_point(uint32_t geom_type) { return geom_type == GR_GEOM_POINT || geom_type == GR_GEOM_MULTIPOINT; }

#endif
