#include "output.h"

#define UNUSED 0xffffffffu

static const char COUNT[] = "count";
static const char SUM[] = "sum";

/* property values that are string indexes: strings, and arrays/objects as their JSON text */
static int holds_string(uint32_t type) { return type == GR_PROP_STRING || type == GR_PROP_JSON; }

const char *output_write(uint8_t **out, uint32_t *len, const layer_t *l, const polygons_t *p,
                         const uint32_t *count, const double *sum) {
  int64_t key_count = layer_string(l, COUNT, 5), key_sum = layer_string(l, SUM, 3);

  /* which strings the polygons use, and how much of everything they have */
  uint32_t *remap = gr_alloc(4 * ((uint64_t)l->n_strings + 1), 8);
  __builtin_memset(remap, 0xff, 4 * ((size_t)l->n_strings + 1));
  uint64_t n_rings = 0, n_coords = 0, n_props = 0;
  for (uint32_t i = 0; i < p->n_polygons; i++) {
    const uint8_t *f = layer_feature(l, p->feature[i]);
    uint32_t layer = gr_u32(f + GR_FEATURE_LAYER);
    if (layer != NO_LAYER) remap[layer] = 0;
    if (gr_u32(f + GR_FEATURE_ID_TYPE) == GR_PROP_STRING) remap[(uint32_t)gr_f64(f + GR_FEATURE_ID)] = 0;
    uint32_t r0 = gr_u32(f + GR_FEATURE_RING_START), nr = gr_u32(f + GR_FEATURE_RING_COUNT);
    n_rings += nr;
    for (uint32_t r = 0; r < nr; r++) n_coords += gr_u32(layer_ring(l, r0 + r) + GR_RING_COORD_COUNT);
    uint32_t p0 = gr_u32(f + GR_FEATURE_PROP_START), np = gr_u32(f + GR_FEATURE_PROP_COUNT);
    for (uint32_t k = 0; k < np; k++) {
      const uint8_t *prop = layer_prop(l, p0 + k);
      uint32_t key = gr_u32(prop + GR_PROP_KEY);
      if (key == key_count || key == key_sum) continue;
      remap[key] = 0;
      if (holds_string(gr_u32(prop + GR_PROP_TYPE))) remap[(uint32_t)gr_f64(prop + GR_PROP_VALUE)] = 0;
      n_props++;
    }
    n_props += 2;
  }
  if (key_count >= 0) remap[key_count] = 0;
  if (key_sum >= 0) remap[key_sum] = 0;
  uint32_t n_strings = 0;
  uint64_t string_bytes = 0;
  for (uint32_t i = 0; i < l->n_strings; i++) {
    if (remap[i] == UNUSED) continue;
    remap[i] = n_strings++;
    string_bytes += layer_string_length(l, i);
  }
  uint32_t idx_count = key_count >= 0 ? remap[key_count] : n_strings++;
  uint32_t idx_sum = key_sum >= 0 ? remap[key_sum] : n_strings++;
  if (key_count < 0) string_bytes += 5;
  if (key_sum < 0) string_bytes += 3;

  uint64_t bytes[5] = {
    (uint64_t)p->n_polygons * GR_FEATURE_STRIDE, n_rings * GR_RING_STRIDE, n_coords * GR_COORD_STRIDE,
    n_props * GR_PROP_STRIDE, 4 * ((uint64_t)n_strings + 1) + string_bytes,
  };
  if (gr_region_bytes(bytes, 5) > GR_MAX_REGION_BYTES) return "the polygons with their counts do not fit in one region";
  uint32_t counts[5] = { p->n_polygons, (uint32_t)n_rings, (uint32_t)n_coords, (uint32_t)n_props, n_strings };
  uint8_t *o = gr_create(GR_KIND_FEATURES, p->n_polygons, GR_FEATURE_STRIDE, gr_crs(l->region), bytes, counts, 5);
  const uint8_t *in = l->region;
  gr_set_tile(o, gr_i32(in + GR_HDR_TILE_Z), gr_u32(in + GR_HDR_TILE_X), gr_u32(in + GR_HDR_TILE_Y));
  if (p->min_x <= p->max_x) gr_set_extent(o, p->min_x, p->min_y, p->max_x, p->max_y);

  uint8_t *features = gr_section(o, GR_SEC_MAIN), *rings = gr_section(o, GR_SEC_RINGS);
  uint8_t *coords = gr_section(o, GR_SEC_COORDS), *props = gr_section(o, GR_SEC_PROPS);
  uint32_t ring = 0, coord = 0, prop = 0;
  for (uint32_t i = 0; i < p->n_polygons; i++) {
    const uint8_t *f = layer_feature(l, p->feature[i]);
    uint8_t *g = features + (size_t)i * GR_FEATURE_STRIDE;
    uint32_t layer = gr_u32(f + GR_FEATURE_LAYER);
    uint32_t id_type = gr_u32(f + GR_FEATURE_ID_TYPE);
    double id = gr_f64(f + GR_FEATURE_ID);
    gr_put_f64(g + GR_FEATURE_ID, id_type == GR_PROP_STRING ? (double)remap[(uint32_t)id] : id);
    gr_put_u32(g + GR_FEATURE_ID_TYPE, id_type);
    gr_put_u32(g + GR_FEATURE_ID_TYPE + 4, 0);
    gr_put_u32(g + GR_FEATURE_GEOM_TYPE, gr_u32(f + GR_FEATURE_GEOM_TYPE));
    gr_put_u32(g + GR_FEATURE_LAYER, layer == NO_LAYER ? NO_LAYER : remap[layer]);
    gr_put_u32(g + GR_FEATURE_RING_START, ring);
    gr_put_u32(g + GR_FEATURE_PROP_START, prop);
    uint32_t r0 = gr_u32(f + GR_FEATURE_RING_START), nr = gr_u32(f + GR_FEATURE_RING_COUNT);
    for (uint32_t r = 0; r < nr; r++, ring++) {
      const uint8_t *src = layer_ring(l, r0 + r);
      uint8_t *dst = rings + (size_t)ring * GR_RING_STRIDE;
      uint32_t c0 = gr_u32(src + GR_RING_COORD_START), nc = gr_u32(src + GR_RING_COORD_COUNT);
      gr_put_u32(dst + GR_RING_COORD_START, coord);
      gr_put_u32(dst + GR_RING_COORD_COUNT, nc);
      gr_put_u32(dst + GR_RING_PART, gr_u32(src + GR_RING_PART));
      gr_put_u32(dst + GR_RING_MEMBER, 0);
      __builtin_memcpy(coords + (size_t)coord * GR_COORD_STRIDE, layer_coord(l, c0), (size_t)nc * GR_COORD_STRIDE);
      coord += nc;
    }
    gr_put_u32(g + GR_FEATURE_RING_COUNT, nr);
    uint32_t p0 = gr_u32(f + GR_FEATURE_PROP_START), np = gr_u32(f + GR_FEATURE_PROP_COUNT), first = prop;
    for (uint32_t k = 0; k < np; k++) {
      const uint8_t *src = layer_prop(l, p0 + k);
      uint32_t key = gr_u32(src + GR_PROP_KEY), type = gr_u32(src + GR_PROP_TYPE);
      if (key == key_count || key == key_sum) continue;
      uint8_t *dst = props + (size_t)prop++ * GR_PROP_STRIDE;
      double value = gr_f64(src + GR_PROP_VALUE);
      gr_put_u32(dst + GR_PROP_KEY, remap[key]);
      gr_put_u32(dst + GR_PROP_TYPE, type);
      gr_put_f64(dst + GR_PROP_VALUE, holds_string(type) ? (double)remap[(uint32_t)value] : value);
    }
    uint8_t *dst = props + (size_t)prop++ * GR_PROP_STRIDE;
    gr_put_u32(dst + GR_PROP_KEY, idx_count);
    gr_put_u32(dst + GR_PROP_TYPE, GR_PROP_NUMBER);
    gr_put_f64(dst + GR_PROP_VALUE, (double)count[i]);
    dst = props + (size_t)prop++ * GR_PROP_STRIDE;
    gr_put_u32(dst + GR_PROP_KEY, idx_sum);
    gr_put_u32(dst + GR_PROP_TYPE, GR_PROP_NUMBER);
    gr_put_f64(dst + GR_PROP_VALUE, sum[i]);
    gr_put_u32(g + GR_FEATURE_PROP_COUNT, prop - first);
  }

  /* strings: offsets, then bytes, in the new order (kept strings as they were ordered, then new keys) */
  uint8_t *offsets = gr_section(o, GR_SEC_STRINGS);
  uint8_t *text = offsets + 4 * ((size_t)n_strings + 1);
  uint32_t at = 0, s = 0;
  gr_put_u32(offsets, 0);
  for (uint32_t i = 0; i < l->n_strings; i++) {
    if (remap[i] == UNUSED) continue;
    uint32_t n = layer_string_length(l, i);
    __builtin_memcpy(text + at, l->string_bytes + layer_string_start(l, i), n);
    at += n;
    gr_put_u32(offsets + 4 * (size_t)++s, at);
  }
  if (key_count < 0) { __builtin_memcpy(text + at, COUNT, 5); at += 5; gr_put_u32(offsets + 4 * (size_t)++s, at); }
  if (key_sum < 0) { __builtin_memcpy(text + at, SUM, 3); at += 3; gr_put_u32(offsets + 4 * (size_t)++s, at); }

  *out = o;
  *len = gr_byte_length(o);
  return 0;
}
