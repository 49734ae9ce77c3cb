#include "layer.h"

static const uint32_t SECTION_RECORDS[5] = { GR_FEATURE_STRIDE, GR_RING_STRIDE, GR_COORD_STRIDE, GR_PROP_STRIDE, 1 };

/* v indexes the string table (written as `!(in range)` by the callers' negation, so NaN is refused too) */
static int string_index(const layer_t *l, double v) { return v >= 0 && v < (double)l->n_strings && v == __builtin_floor(v); }

const char *layer_open(layer_t *l, const uint8_t *r, uint32_t len) {
  const char *why = gr_check(r, len, GR_KIND_FEATURES, GR_FEATURE_STRIDE, SECTION_RECORDS, 5);
  if (why) return why;
  l->region = r;
  l->features = gr_section(r, GR_SEC_MAIN);
  l->rings = gr_section(r, GR_SEC_RINGS);
  l->coords = gr_section(r, GR_SEC_COORDS);
  l->props = gr_section(r, GR_SEC_PROPS);
  l->n_features = gr_count(r);
  l->n_rings = gr_section_count(r, GR_SEC_RINGS);
  l->n_coords = gr_section_count(r, GR_SEC_COORDS);
  l->n_props = gr_section_count(r, GR_SEC_PROPS);
  l->n_strings = gr_section_count(r, GR_SEC_STRINGS);

  /* strings: offsets[n + 1] (from 0, never decreasing), then the bytes, all inside the region (sizes in
     64 bits: nothing may wrap around the 32-bit address space) */
  uint64_t text_at = (uint64_t)gr_section_offset(r, GR_SEC_STRINGS) + 4 * ((uint64_t)l->n_strings + 1);
  if (text_at > gr_byte_length(r)) return "the string offsets run past the region";
  l->string_offsets = gr_section(r, GR_SEC_STRINGS);
  l->string_bytes = r + text_at;
  if (gr_u32(l->string_offsets) != 0) return "the first string offset is not 0";
  for (uint32_t i = 0; i < l->n_strings; i++) {
    if (gr_u32(l->string_offsets + 4 * (size_t)i + 4) < gr_u32(l->string_offsets + 4 * (size_t)i)) return "string offsets decrease";
  }
  if (text_at + gr_u32(l->string_offsets + 4 * (size_t)l->n_strings) > gr_byte_length(r)) return "the string bytes run past the region";

  for (uint32_t i = 0; i < l->n_features; i++) {
    const uint8_t *f = layer_feature(l, i);
    uint32_t type = gr_u32(f + GR_FEATURE_GEOM_TYPE);
    if (type > GR_GEOM_COLLECTION) return "a feature has an unknown geometry type";
    uint32_t id_type = gr_u32(f + GR_FEATURE_ID_TYPE);
    if (id_type != 0 && id_type != GR_PROP_NUMBER && id_type != GR_PROP_STRING) return "a feature has an unknown id type";
    if (id_type == GR_PROP_STRING && !string_index(l, gr_f64(f + GR_FEATURE_ID))) return "a feature's string id is not in the string table";
    uint32_t layer = gr_u32(f + GR_FEATURE_LAYER);
    if (layer != NO_LAYER && layer >= l->n_strings) return "a feature's layer name is not in the string table";
    if ((uint64_t)gr_u32(f + GR_FEATURE_RING_START) + gr_u32(f + GR_FEATURE_RING_COUNT) > l->n_rings) return "a feature's rings lie outside the rings section";
    if ((uint64_t)gr_u32(f + GR_FEATURE_PROP_START) + gr_u32(f + GR_FEATURE_PROP_COUNT) > l->n_props) return "a feature's properties lie outside the properties section";
  }
  for (uint32_t i = 0; i < l->n_rings; i++) {
    const uint8_t *ring = layer_ring(l, i);
    if ((uint64_t)gr_u32(ring + GR_RING_COORD_START) + gr_u32(ring + GR_RING_COORD_COUNT) > l->n_coords) return "a ring's coordinates lie outside the coordinates section";
  }
  for (uint32_t i = 0; i < l->n_props; i++) {
    const uint8_t *p = layer_prop(l, i);
    uint32_t type = gr_u32(p + GR_PROP_TYPE);
    if (gr_u32(p + GR_PROP_KEY) >= l->n_strings) return "a property key is not in the string table";
    if (type < GR_PROP_STRING || type > GR_PROP_JSON) return "a property has an unknown value type";
    if ((type == GR_PROP_STRING || type == GR_PROP_JSON) && !string_index(l, gr_f64(p + GR_PROP_VALUE))) return "a string property value is not in the string table";
  }
  return 0;
}

int64_t layer_string(const layer_t *l, const char *text, uint32_t n) {
  for (uint32_t i = 0; i < l->n_strings; i++) {
    if (layer_string_length(l, i) != n) continue;
    const uint8_t *s = l->string_bytes + layer_string_start(l, i);
    uint32_t k = 0;
    while (k < n && s[k] == (uint8_t)text[k]) k++;
    if (k == n) return i;
  }
  return -1;
}
