/*
 * pip-aggregate: counts the points in each polygon of a layer and sums their weights (faaslets/manifests/
 * pip-aggregate.json says what, tally.h decides "in" exactly as @turf/boolean-point-in-polygon 7 does).
 *
 * Input 0, a FEATURES region: its Polygon and MultiPolygon features are the polygons; its Point and
 *   MultiPoint features are points (every position), weighted by their numeric `weight` property, else 1;
 *   any other feature (a line, a collection, a null geometry) is refused with its index.
 * Inputs 1.., optional POINTS regions in the same crs: more points, weighted by their weight field.
 * Output: a FEATURES region of the polygons with `count` and `sum` added (output.h).
 * Param 0, boundary: 0 = a point on a polygon's edge or vertex is in it (turf's default), 1 = it is not.
 *
 * Sums are added in input order (input 0's point features in feature order, then each points region in
 * record order), so they are the sums a JS loop over the same points makes, to the last bit.
 */
#include "graticule.h"
#include "layer.h"
#include "output.h"
#include "tally.h"

static const uint32_t POINT_RECORDS[1] = { GR_POINT_STRIDE };
static const char WEIGHT[] = "weight";

static double feature_weight(const layer_t *l, const uint8_t *f, int64_t key) {
  if (key < 0) return 1;
  uint32_t p0 = gr_u32(f + GR_FEATURE_PROP_START), np = gr_u32(f + GR_FEATURE_PROP_COUNT);
  for (uint32_t k = 0; k < np; k++) {
    const uint8_t *prop = layer_prop(l, p0 + k);
    if (gr_u32(prop + GR_PROP_KEY) == key && gr_u32(prop + GR_PROP_TYPE) == GR_PROP_NUMBER) return gr_f64(prop + GR_PROP_VALUE);
  }
  return 1;
}

static int32_t pip_aggregate(uint8_t *ctx) {
  uint32_t inputs = gr_input_count(ctx);
  if (inputs < 1) return gr_fail(ctx, GR_STATUS_BAD_INPUT_KIND, "pip-aggregate takes a features region (the polygons, maybe points too) and optional points regions");
  if (gr_param_count(ctx) < 1) return gr_fail(ctx, GR_STATUS_BAD_PARAM, "expected the parameter boundary");
  double boundary = gr_param(ctx, 0);
  if (!(boundary == 0 || boundary == 1)) return gr_fail(ctx, GR_STATUS_BAD_PARAM, "boundary must be 0 (inside) or 1 (outside)");

  const uint8_t *r0 = gr_input(ctx, 0);
  uint32_t len0 = gr_input_len(ctx, 0);
  if (len0 >= GR_HEADER_SIZE && gr_u32(r0) == GR_REGION_MAGIC && gr_kind(r0) != GR_KIND_FEATURES) {
    return gr_fail_input(ctx, GR_STATUS_BAD_INPUT_KIND, 0, "pip-aggregate reads the polygons from a features region (kind 3) first");
  }
  layer_t layer;
  const char *why = layer_open(&layer, r0, len0);
  if (why) return gr_fail_input(ctx, GR_STATUS_MALFORMED_INPUT, 0, why);
  for (uint32_t i = 1; i < inputs; i++) {
    const uint8_t *r = gr_input(ctx, i);
    uint32_t len = gr_input_len(ctx, i);
    if (len >= GR_HEADER_SIZE && gr_u32(r) == GR_REGION_MAGIC && gr_kind(r) != GR_KIND_POINTS) {
      return gr_fail_input(ctx, GR_STATUS_BAD_INPUT_KIND, i, "the inputs after the first are points regions (kind 2)");
    }
    why = gr_check(r, len, GR_KIND_POINTS, GR_POINT_STRIDE, POINT_RECORDS, 1);
    if (why) return gr_fail_input(ctx, GR_STATUS_MALFORMED_INPUT, i, why);
    if (gr_crs(r) != gr_crs(r0)) {
      gr_say(ctx, "input ");
      gr_say_u64(ctx, i);
      gr_say(ctx, " is in EPSG:");
      gr_say_i64(ctx, gr_crs(r));
      gr_say(ctx, " but the polygons are in EPSG:");
      gr_say_i64(ctx, gr_crs(r0));
      return gr_fail(ctx, GR_STATUS_UNSUPPORTED_CRS, " (reproject one of them first)");
    }
  }

  /* a line, a collection or a null geometry is neither a polygon nor points: refused, not skipped */
  for (uint32_t i = 0; i < layer.n_features; i++) {
    uint32_t type = gr_u32(layer_feature(&layer, i) + GR_FEATURE_GEOM_TYPE);
    if (is_polygon(type) || is_point(type)) continue;
    gr_say(ctx, "input 0: feature ");
    gr_say_u64(ctx, i);
    return gr_fail(ctx, GR_STATUS_BAD_INPUT_KIND, " is not a polygon or points (a line, collection or null geometry): pip-aggregate counts points in polygons and carries nothing else");
  }

  polygons_t polygons;
  why = polygons_read(&polygons, &layer);
  if (why) return gr_fail_input(ctx, GR_STATUS_MALFORMED_INPUT, 0, why);
  bands_t bands;
  bands_build(&bands, &polygons);

  uint32_t np = polygons.n_polygons;
  tally_t t = {
    .bands = &bands, .part_polygon = polygons.part_polygon, .boundary_inside = boundary == 0,
    .min_x = polygons.min_x, .min_y = polygons.min_y, .max_x = polygons.max_x, .max_y = polygons.max_y,
    .state = gr_alloc((uint64_t)polygons.n_parts + 1, 8),
    .touched = gr_alloc(4 * ((uint64_t)polygons.n_parts + 1), 8),
    .stamp = gr_alloc(4 * ((uint64_t)np + 1), 8),
    .count = gr_alloc(4 * ((uint64_t)np + 1), 8),
    .sum = gr_alloc(8 * ((uint64_t)np + 1), 8),
    .serial = 0,
  };
  __builtin_memset(t.state, 0, (size_t)polygons.n_parts + 1);
  __builtin_memset(t.stamp, 0, 4 * ((size_t)np + 1));
  __builtin_memset(t.count, 0, 4 * ((size_t)np + 1));
  __builtin_memset(t.sum, 0, 8 * ((size_t)np + 1));

  /* the layer's own points, in feature order */
  int64_t weight_key = layer_string(&layer, WEIGHT, 6);
  for (uint32_t i = 0; i < layer.n_features; i++) {
    const uint8_t *f = layer_feature(&layer, i);
    if (!is_point(gr_u32(f + GR_FEATURE_GEOM_TYPE))) continue;
    double w = feature_weight(&layer, f, weight_key);
    uint32_t q0 = gr_u32(f + GR_FEATURE_RING_START), nq = gr_u32(f + GR_FEATURE_RING_COUNT);
    for (uint32_t r = 0; r < nq; r++) {
      const uint8_t *ring = layer_ring(&layer, q0 + r);
      uint32_t c0 = gr_u32(ring + GR_RING_COORD_START), nc = gr_u32(ring + GR_RING_COORD_COUNT);
      for (uint32_t c = 0; c < nc; c++) {
        const uint8_t *xy = layer_coord(&layer, c0 + c);
        tally_point(&t, gr_f64(xy), gr_f64(xy + 8), w);
      }
    }
  }
  /* then every points region, in record order */
  for (uint32_t i = 1; i < inputs; i++) {
    const uint8_t *r = gr_input(ctx, i);
    const uint8_t *rec = gr_section(r, GR_SEC_MAIN);
    for (uint32_t k = 0, n = gr_count(r); k < n; k++, rec += GR_POINT_STRIDE) {
      tally_point(&t, gr_f64(rec + GR_POINT_X), gr_f64(rec + GR_POINT_Y), gr_f64(rec + GR_POINT_WEIGHT));
    }
  }

  uint8_t *out;
  uint32_t out_len;
  why = output_write(&out, &out_len, &layer, &polygons, t.count, t.sum);
  if (why) return gr_fail(ctx, GR_STATUS_TOO_LARGE, why);
  gr_output(ctx, out, out_len);
  return GR_STATUS_OK;
}

GR_FAASLET(pip_aggregate)
