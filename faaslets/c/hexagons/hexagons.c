#include <math.h>
#include <string.h>
#include "hexagons.h"

#define H3_ID_CHARS 16

static uint32_t hex_id(H3Index h, char *out) {
  static const char DIGITS[] = "0123456789abcdef";
  char tmp[H3_ID_CHARS];
  uint32_t n = 0;
  do { tmp[n++] = DIGITS[h & 15]; h >>= 4; } while (h);
  for (uint32_t i = 0; i < n; i++) out[i] = tmp[n - 1 - i];
  return n;
}

/* key k of ours: "h3", then the numbers' keys */
static const char *key_name(const hexagons_t *h, uint32_t k) { return k == 0 ? "h3" : h->number_keys[k - 1]; }

/* a source property under one of our keys is replaced by ours */
static int replaced(uint32_t key, const uint32_t *key_index, uint32_t n_keys) {
  for (uint32_t j = 0; j < n_keys; j++) if (key == key_index[j]) return 1;
  return 0;
}

typedef struct { double min_x, min_y, max_x, max_y; } box_t;

/* writes coordinate `at` in degrees and grows the extent */
static void put_coord(uint8_t *coords, uint32_t at, double lng_rads, double lat_rads, box_t *box) {
  double x = hex_degs(lng_rads), y = hex_degs(lat_rads);
  gr_put_f64(coords + (size_t)at * GR_COORD_STRIDE, x);
  gr_put_f64(coords + (size_t)at * GR_COORD_STRIDE + 8, y);
  box->min_x = x < box->min_x ? x : box->min_x; box->max_x = x > box->max_x ? x : box->max_x;
  box->min_y = y < box->min_y ? y : box->min_y; box->max_y = y > box->max_y ? y : box->max_y;
}

static void put_prop(uint8_t *p, uint32_t key, uint32_t type, double value) {
  gr_put_u32(p + GR_PROP_KEY, key);
  gr_put_u32(p + GR_PROP_TYPE, type);
  gr_put_f64(p + GR_PROP_VALUE, value);
}

void hexagons_sort(H3Index *cells, uint32_t n) {
  if (n < 2) return;
  H3Index *a = cells, *b = gr_alloc(8 * (uint64_t)n, 8);
  uint32_t count[256];
  for (uint32_t shift = 0; shift < 64; shift += 8) {
    __builtin_memset(count, 0, sizeof count);
    for (uint32_t i = 0; i < n; i++) count[(a[i] >> shift) & 255]++;
    if (count[(a[0] >> shift) & 255] == n) continue;  /* every id has this byte: nothing to do */
    for (uint32_t d = 0, at = 0; d < 256; d++) { uint32_t c = count[d]; count[d] = at; at += c; }
    for (uint32_t i = 0; i < n; i++) b[count[(a[i] >> shift) & 255]++] = a[i];
    H3Index *t = a; a = b; b = t;
  }
  if (a != cells) __builtin_memcpy(cells, a, 8 * (size_t)n);
}

const char *hexagons_write(uint8_t **out, uint32_t *len, const hexagons_t *h) {
  const layer_t *l = h->layer;
  uint32_t n_layer_strings = l ? l->n_strings : 0;

  /* our keys: "h3" then the numbers' keys; one the layer already has is reused, and the source property of
     that name is replaced by ours (the manifest says so) */
  uint32_t n_keys = 1 + h->n_numbers;
  uint32_t *key_index = gr_alloc(4 * (uint64_t)n_keys, 8);
  uint32_t n_strings = n_layer_strings;
  uint64_t string_bytes = l ? layer_string_start(l, n_layer_strings) : 0;
  for (uint32_t k = 0; k < n_keys; k++) {
    const char *key = key_name(h, k);
    int64_t found = l ? layer_string(l, key, (uint32_t)strlen(key)) : -1;
    if (found >= 0) key_index[k] = (uint32_t)found;
    else { key_index[k] = n_strings++; string_bytes += strlen(key); }
  }
  uint32_t first_id_string = n_strings;
  n_strings += h->n;
  string_bytes += (uint64_t)h->n * 15;  /* every cell id has 15 hex digits (mode bit 1, 4 reserved bits 0) */

  /* the boundaries, kept between the count and the write */
  uint64_t n_coords = 0, n_props = 0;
  uint8_t *verts = 0;
  if (!h->centers) {
    verts = gr_alloc((uint64_t)h->n * sizeof(CellBoundary), 8);
    for (uint32_t i = 0; i < h->n; i++) {
      CellBoundary *b = (CellBoundary *)(verts + (size_t)i * sizeof(CellBoundary));
      if (cellToBoundary(h->cells[i], b) != E_SUCCESS) return "cellToBoundary refused a cell";
      n_coords += (uint64_t)b->numVerts + 1;
    }
  } else {
    n_coords = h->n;
  }
  for (uint32_t i = 0; i < h->n; i++) {
    n_props += n_keys;
    if (!l) continue;
    const uint8_t *f = layer_feature(l, h->source[i]);
    uint32_t p0 = gr_u32(f + GR_FEATURE_PROP_START), np = gr_u32(f + GR_FEATURE_PROP_COUNT);
    for (uint32_t k = 0; k < np; k++) n_props += !replaced(gr_u32(layer_prop(l, p0 + k) + GR_PROP_KEY), key_index, n_keys);
  }

  uint64_t bytes[5] = {
    (uint64_t)h->n * GR_FEATURE_STRIDE, (uint64_t)h->n * GR_RING_STRIDE, n_coords * GR_COORD_STRIDE,
    n_props * GR_PROP_STRIDE, 4 * ((uint64_t)n_strings + 1) + string_bytes,
  };
  if (gr_region_bytes(bytes, 5) > GR_MAX_REGION_BYTES) return "the cells do not fit in one region";
  uint32_t counts[5] = { h->n, h->n, (uint32_t)n_coords, (uint32_t)n_props, n_strings };
  uint8_t *o = gr_create(GR_KIND_FEATURES, h->n, GR_FEATURE_STRIDE, 4326, bytes, counts, 5);
  uint8_t *features = gr_section(o, GR_SEC_MAIN), *rings = gr_section(o, GR_SEC_RINGS);
  uint8_t *coords = gr_section(o, GR_SEC_COORDS), *props = gr_section(o, GR_SEC_PROPS);
  uint8_t *offsets = gr_section(o, GR_SEC_STRINGS);
  uint8_t *text = offsets + 4 * ((size_t)n_strings + 1);

  /* strings: the layer's as they were (indexes unchanged), our new keys, then one id per cell */
  uint32_t at = 0, s = 0;
  gr_put_u32(offsets, 0);
  if (l) {
    at = layer_string_start(l, n_layer_strings);
    __builtin_memcpy(text, l->string_bytes, at);
    for (s = 0; s < n_layer_strings; s++) gr_put_u32(offsets + 4 * ((size_t)s + 1), layer_string_start(l, s + 1));
  }
  for (uint32_t k = 0; k < n_keys; k++) {
    if (key_index[k] < n_layer_strings) continue;
    const char *key = key_name(h, k);
    uint32_t kn = (uint32_t)strlen(key);
    __builtin_memcpy(text + at, key, kn);
    at += kn;
    gr_put_u32(offsets + 4 * (size_t)++s, at);
  }

  box_t box = { INFINITY, INFINITY, -INFINITY, -INFINITY };
  uint32_t coord = 0, prop = 0;
  for (uint32_t i = 0; i < h->n; i++) {
    uint8_t *g = features + (size_t)i * GR_FEATURE_STRIDE;
    const uint8_t *f = l ? layer_feature(l, h->source[i]) : 0;
    /* the layer's strings keep their indexes here, so a string id needs no remapping */
    gr_put_f64(g + GR_FEATURE_ID, f ? gr_f64(f + GR_FEATURE_ID) : __builtin_nan(""));
    gr_put_u32(g + GR_FEATURE_ID_TYPE, f ? gr_u32(f + GR_FEATURE_ID_TYPE) : 0);
    gr_put_u32(g + GR_FEATURE_ID_TYPE + 4, 0);
    gr_put_u32(g + GR_FEATURE_GEOM_TYPE, h->centers ? GR_GEOM_POINT : GR_GEOM_POLYGON);
    gr_put_u32(g + GR_FEATURE_LAYER, f ? gr_u32(f + GR_FEATURE_LAYER) : NO_LAYER);
    gr_put_u32(g + GR_FEATURE_RING_START, i);
    gr_put_u32(g + GR_FEATURE_RING_COUNT, 1);

    uint8_t *ring = rings + (size_t)i * GR_RING_STRIDE;
    uint32_t first = coord;
    if (h->centers) {
      LatLng c;
      if (cellToLatLng(h->cells[i], &c) != E_SUCCESS) return "cellToLatLng refused a cell";
      put_coord(coords, coord++, c.lng, c.lat, &box);
    } else {
      const CellBoundary *b = (const CellBoundary *)(verts + (size_t)i * sizeof(CellBoundary));
      for (int v = 0; v <= b->numVerts; v++) {
        const LatLng *ll = &b->verts[v == b->numVerts ? 0 : v];
        put_coord(coords, coord++, ll->lng, ll->lat, &box);
      }
    }
    gr_put_u32(ring + GR_RING_COORD_START, first);
    gr_put_u32(ring + GR_RING_COORD_COUNT, coord - first);
    gr_put_u32(ring + GR_RING_PART, 0);
    gr_put_u32(ring + GR_RING_MEMBER, 0);

    /* the source feature's properties first (those we replace left out), then h3 and the numbers */
    gr_put_u32(g + GR_FEATURE_PROP_START, prop);
    uint32_t first_prop = prop;
    if (f) {
      uint32_t p0 = gr_u32(f + GR_FEATURE_PROP_START), np = gr_u32(f + GR_FEATURE_PROP_COUNT);
      for (uint32_t k = 0; k < np; k++) {
        const uint8_t *src = layer_prop(l, p0 + k);
        if (replaced(gr_u32(src + GR_PROP_KEY), key_index, n_keys)) continue;
        __builtin_memcpy(props + (size_t)prop++ * GR_PROP_STRIDE, src, GR_PROP_STRIDE);
      }
    }
    uint32_t id_string = first_id_string + i;
    put_prop(props + (size_t)prop++ * GR_PROP_STRIDE, key_index[0], GR_PROP_STRING, (double)id_string);
    for (uint32_t k = 0; k < h->n_numbers; k++) {
      put_prop(props + (size_t)prop++ * GR_PROP_STRIDE, key_index[k + 1], GR_PROP_NUMBER, h->numbers[(size_t)i * h->n_numbers + k]);
    }
    gr_put_u32(g + GR_FEATURE_PROP_COUNT, prop - first_prop);

    uint32_t idn = hex_id(h->cells[i], (char *)text + at);
    if (idn != 15) return "a cell id is not 15 hex digits";
    at += idn;
    gr_put_u32(offsets + 4 * (size_t)++s, at);
  }
  if (h->n) gr_set_extent(o, box.min_x, box.min_y, box.max_x, box.max_y);
  *out = o;
  *len = gr_byte_length(o);
  return 0;
}
