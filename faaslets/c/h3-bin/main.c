/*
 * h3-bin: bins lon/lat points into H3 cells at a resolution (Uber's H3 4.5.0, compiled from its own C:
 * faaslets/c/vendor/h3) and summarises each cell's weights (faaslets/manifests/h3-bin.json says what).
 *
 * Inputs: POINTS regions in EPSG:4326 (x = longitude, y = latitude, degrees). Param 0, res: 0–15.
 * Param 1, geometry: 0 = each cell as its hexagon (or pentagon) polygon, 1 = as a point at its centre (the
 *   table: it encodes as CSV).
 * Output: the cells ordered by cell id, each with the properties h3, count, sum, mean, min, max.
 *
 * A point reaches the cell h3-js's latLngToCell(lat, lng, res) gives it: the same degrees-to-radians and the
 * same C. Sums are added in input order (regions in order, records in order), so they are the sums a JS loop
 * over the same points makes, to the last bit. A point with a non-finite coordinate or weight, or a latitude
 * outside ±90°, is refused by index, never skipped.
 */
#include <math.h>
#include "hexagons.h"

static const uint32_t POINT_RECORDS[1] = { GR_POINT_STRIDE };
static const char *const NUMBER_KEYS[5] = { "count", "sum", "mean", "min", "max" };
#define EMPTY 0xffffffffu

typedef struct { H3Index cell; uint32_t bin; uint32_t pad; } slot_t;
typedef struct { double count, sum, min, max; } bin_t;

static inline uint64_t slot_of(H3Index cell, uint64_t mask) {
  return (cell ^ (cell >> 29) ^ (cell >> 41)) * 0x9e3779b97f4a7c15ull >> 20 & mask;
}

/* "input <i>, point <k>: why" */
static int32_t bad_point(uint8_t *ctx, uint32_t input, uint32_t k, const char *why) {
  gr_say(ctx, "input ");
  gr_say_u64(ctx, input);
  gr_say(ctx, ", point ");
  gr_say_u64(ctx, k);
  gr_say(ctx, ": ");
  return gr_fail(ctx, GR_STATUS_MALFORMED_INPUT, why);
}

static int32_t h3_bin(uint8_t *ctx) {
  uint32_t inputs = gr_input_count(ctx);
  if (inputs < 1) return gr_fail(ctx, GR_STATUS_BAD_INPUT_KIND, "h3-bin takes one or more points regions");
  if (gr_param_count(ctx) < 2) return gr_fail(ctx, GR_STATUS_BAD_PARAM, "expected the parameters res and geometry");
  double res_param = gr_param(ctx, 0), geometry = gr_param(ctx, 1);
  if (!(geometry == 0 || geometry == 1)) return gr_fail(ctx, GR_STATUS_BAD_PARAM, "geometry must be 0 (polygon) or 1 (center)");
  if (!(res_param >= 0 && res_param <= 15 && res_param == (int)res_param)) {
    return gr_fail(ctx, GR_STATUS_BAD_PARAM, "res must be an integer from 0 to 15");
  }
  int res = (int)res_param;

  uint64_t total = 0;
  for (uint32_t i = 0; i < inputs; i++) {
    const uint8_t *r = gr_input(ctx, i);
    uint32_t len = gr_input_len(ctx, i);
    if (len >= GR_HEADER_SIZE && gr_u32(r) == GR_REGION_MAGIC && gr_kind(r) != GR_KIND_POINTS) {
      return gr_fail_input(ctx, GR_STATUS_BAD_INPUT_KIND, i, "not a points region (kind 2): h3-bin bins points");
    }
    const char *why = gr_check(r, len, GR_KIND_POINTS, GR_POINT_STRIDE, POINT_RECORDS, 1);
    if (why) return gr_fail_input(ctx, GR_STATUS_MALFORMED_INPUT, i, why);
    if (gr_crs(r) != 4326) {
      gr_say(ctx, "input ");
      gr_say_u64(ctx, i);
      gr_say(ctx, " is in EPSG:");
      gr_say_i64(ctx, gr_crs(r));
      return gr_fail(ctx, GR_STATUS_UNSUPPORTED_CRS, "; h3-bin bins longitude/latitude (EPSG:4326): reproject first");
    }
    total += gr_count(r);
  }

  /* open addressing on the cell id: a table of at least twice the points, so probes stay short */
  uint64_t cap = 16;
  while (cap < 2 * total) cap <<= 1;
  if (cap * sizeof(slot_t) + total * sizeof(bin_t) > GR_MAX_REGION_BYTES) return gr_fail(ctx, GR_STATUS_TOO_LARGE, "too many points for one invocation");
  slot_t *table = gr_alloc(cap * sizeof(slot_t), 8);
  __builtin_memset(table, 0xff, cap * sizeof(slot_t));
  bin_t *bins = gr_alloc((total ? total : 1) * sizeof(bin_t), 8);
  H3Index *cells = gr_alloc(8 * (total ? total : 1), 8);
  uint32_t n_bins = 0;
  uint64_t mask = cap - 1;

  for (uint32_t i = 0; i < inputs; i++) {
    const uint8_t *r = gr_input(ctx, i);
    const uint8_t *rec = gr_section(r, GR_SEC_MAIN);
    for (uint32_t k = 0, n = gr_count(r); k < n; k++, rec += GR_POINT_STRIDE) {
      double lng = gr_f64(rec + GR_POINT_X), lat = gr_f64(rec + GR_POINT_Y), w = gr_f64(rec + GR_POINT_WEIGHT);
      if (!isfinite(lng) || !isfinite(lat)) return bad_point(ctx, i, k, "a coordinate is not a finite number");
      if (lat < -90 || lat > 90) return bad_point(ctx, i, k, "latitude outside -90..90");
      if (!isfinite(w)) return bad_point(ctx, i, k, "the weight is not a finite number");
      LatLng g = { hex_rads(lat), hex_rads(lng) };
      H3Index cell;
      if (latLngToCell(&g, res, &cell) != E_SUCCESS) return bad_point(ctx, i, k, "H3 refused the coordinates");
      uint64_t at = slot_of(cell, mask);
      while (table[at].bin != EMPTY && table[at].cell != cell) at = (at + 1) & mask;
      bin_t *b;
      if (table[at].bin == EMPTY) {
        table[at].cell = cell;
        table[at].bin = n_bins;
        cells[n_bins] = cell;
        b = &bins[n_bins++];
        b->count = 0;
        b->sum = 0;
        b->min = w;
        b->max = w;
      } else {
        b = &bins[table[at].bin];
      }
      b->count += 1;
      b->sum += w;
      if (w < b->min) b->min = w;
      if (w > b->max) b->max = w;
    }
  }

  hexagons_sort(cells, n_bins);
  double *numbers = gr_alloc(5 * 8 * ((uint64_t)n_bins + 1), 8);
  for (uint32_t i = 0; i < n_bins; i++) {
    uint64_t at = slot_of(cells[i], mask);
    while (table[at].cell != cells[i]) at = (at + 1) & mask;
    const bin_t *b = &bins[table[at].bin];
    double *row = numbers + (size_t)i * 5;
    row[0] = b->count;
    row[1] = b->sum;
    row[2] = b->sum / b->count;
    row[3] = b->min;
    row[4] = b->max;
  }

  uint8_t *out;
  uint32_t out_len;
  hexagons_t h = { .n = n_bins, .cells = cells, .centers = geometry == 1, .n_numbers = 5, .number_keys = NUMBER_KEYS, .numbers = numbers };
  const char *why = hexagons_write(&out, &out_len, &h);
  if (why) return gr_fail(ctx, GR_STATUS_TOO_LARGE, why);
  gr_output(ctx, out, out_len);
  return GR_STATUS_OK;
}

GR_FAASLET(h3_bin)
