/*
 * h3-cells: covers polygons with H3 cells (polyfill), with Uber's H3 4.5.0 compiled from its own C
 * (faaslets/manifests/h3-cells.json says what).
 *
 * Input 0: a FEATURES region in EPSG:4326 whose features are all Polygons or MultiPolygons.
 * Param 0, res: 0–15. Param 1, containment: 0 center (H3's polygonToCells, as h3-js's polygonToCells), 1 full,
 *   2 overlapping, 3 overlapping_bbox (polygonToCellsExperimental with that mode).
 * Output: one Polygon feature per (feature, cell) with the source's id, layer and properties plus h3.
 *
 * Each polygon of a feature is handed to H3 as one GeoPolygon (its first ring the outline, the rest holes),
 * coordinates converted to radians as h3-js converts them; a MultiPolygon's cells are united. Sizes are
 * checked with H3's own estimate (maxPolygonToCellsSize) before anything is allocated for them.
 */
#include <math.h>
#include "hexagons.h"

/* Cells one invocation may cover, by H3's estimates (which overestimate): a bound on its time (H3 covers
   ~0.1–1 million cells a second, depending on the polygons' vertices) and on its output region (a cell
   takes over 200 bytes there). */
#define MAX_CELLS 8000000u

static int32_t bad_feature(uint8_t *ctx, int32_t status, uint32_t i, const char *why) {
  gr_say(ctx, "feature ");
  gr_say_u64(ctx, i);
  gr_say(ctx, ": ");
  return gr_fail(ctx, status, why);
}

/* "feature i: what: H3's own description of err" */
static int32_t h3_refused(uint8_t *ctx, uint32_t i, const char *what, H3Error err) {
  gr_say(ctx, "feature ");
  gr_say_u64(ctx, i);
  gr_say(ctx, ": ");
  gr_say(ctx, what);
  gr_say(ctx, " (H3 error ");
  gr_say_u64(ctx, err);
  gr_say(ctx, ": ");
  gr_say(ctx, describeH3Error(err));
  return gr_fail(ctx, GR_STATUS_MALFORMED_INPUT, ")");
}

static int32_t h3_cells(uint8_t *ctx) {
  if (gr_input_count(ctx) != 1) return gr_fail(ctx, GR_STATUS_BAD_INPUT_KIND, "h3-cells takes one features region (the polygons)");
  if (gr_param_count(ctx) < 2) return gr_fail(ctx, GR_STATUS_BAD_PARAM, "expected the parameters res and containment");
  double res_param = gr_param(ctx, 0), mode_param = gr_param(ctx, 1);
  if (!(res_param >= 0 && res_param <= 15 && res_param == (int)res_param)) return gr_fail(ctx, GR_STATUS_BAD_PARAM, "res must be an integer from 0 to 15");
  if (!(mode_param >= 0 && mode_param <= 3 && mode_param == (int)mode_param)) return gr_fail(ctx, GR_STATUS_BAD_PARAM, "containment must be 0 (center), 1 (full), 2 (overlapping) or 3 (overlapping_bbox)");
  int res = (int)res_param;
  uint32_t mode = (uint32_t)mode_param;

  const uint8_t *r0 = gr_input(ctx, 0);
  uint32_t len0 = gr_input_len(ctx, 0);
  if (len0 >= GR_HEADER_SIZE && gr_u32(r0) == GR_REGION_MAGIC && gr_kind(r0) != GR_KIND_FEATURES) {
    return gr_fail(ctx, GR_STATUS_BAD_INPUT_KIND, "h3-cells covers the polygons of a features region (kind 3)");
  }
  layer_t layer;
  const char *why = layer_open(&layer, r0, len0);
  if (why) return gr_fail(ctx, GR_STATUS_MALFORMED_INPUT, why);
  if (gr_crs(r0) != 4326) {
    gr_say(ctx, "the polygons are in EPSG:");
    gr_say_i64(ctx, gr_crs(r0));
    return gr_fail(ctx, GR_STATUS_UNSUPPORTED_CRS, "; h3-cells covers longitude/latitude polygons (EPSG:4326): reproject first");
  }

  /* every feature's cells, one after another; source[k] is the feature cell k came from */
  uint64_t cap = 1024, n = 0, estimated = 0;
  H3Index *cells = gr_alloc(cap * 8, 8);
  uint32_t *source = gr_alloc(cap * 4, 8);
  for (uint32_t i = 0; i < layer.n_features; i++) {
    const uint8_t *f = layer_feature(&layer, i);
    if (!is_polygon(gr_u32(f + GR_FEATURE_GEOM_TYPE))) return bad_feature(ctx, GR_STATUS_BAD_INPUT_KIND, i, "not a Polygon or MultiPolygon: h3-cells covers polygons only");
    uint32_t q0 = gr_u32(f + GR_FEATURE_RING_START), nq = gr_u32(f + GR_FEATURE_RING_COUNT);
    uint64_t first = n;
    for (uint32_t q = 0; q < nq;) {
      /* one polygon: ring q and the holes after it with the same part */
      uint32_t part = gr_u32(layer_ring(&layer, q0 + q) + GR_RING_PART), end = q + 1;
      while (end < nq && gr_u32(layer_ring(&layer, q0 + end) + GR_RING_PART) == part) end++;
      GeoLoop *loops = gr_alloc(sizeof(GeoLoop) * (uint64_t)(end - q), 8);
      for (uint32_t k = q; k < end; k++) {
        const uint8_t *ring = layer_ring(&layer, q0 + k);
        uint32_t c0 = gr_u32(ring + GR_RING_COORD_START), nc = gr_u32(ring + GR_RING_COORD_COUNT);
        LatLng *verts = gr_alloc(sizeof(LatLng) * ((uint64_t)nc + 1), 8);
        for (uint32_t c = 0; c < nc; c++) {
          const uint8_t *xy = layer_coord(&layer, c0 + c);
          double x = gr_f64(xy), y = gr_f64(xy + 8);
          if (!isfinite(x) || !isfinite(y)) return bad_feature(ctx, GR_STATUS_MALFORMED_INPUT, i, "a coordinate is not a finite number");
          /* H3 covers rings within ±180° (it takes a ring spanning more than 180° as crossing the antimeridian);
             a vertex beyond would be missed or make its search endless, so it is refused, not guessed at */
          if (x < -180 || x > 180 || y < -90 || y > 90) return bad_feature(ctx, GR_STATUS_MALFORMED_INPUT, i, "a vertex lies outside longitude ±180 / latitude ±90 (split rings at the antimeridian)");
          verts[c].lat = hex_rads(y);
          verts[c].lng = hex_rads(x);
        }
        loops[k - q].numVerts = (int)nc;
        loops[k - q].verts = verts;
      }
      GeoPolygon polygon = { loops[0], (int)(end - q - 1), end - q > 1 ? loops + 1 : 0 };
      /* H3's bounding-box estimate first, for every mode: it costs one pass over the vertices, where the
         other modes' own estimate runs a coarse polyfill, which an enormous polygon would make endless */
      int64_t most;
      H3Error err = maxPolygonToCellsSize(&polygon, res, 0, &most);
      /* that estimate fails on zero-area parts (quantised TopoJSON has them) and on rings spanning more than
         180° (Antarctica), which the other modes cover, as h3-js does: they go to their own estimate, which
         the vertex check above keeps bounded */
      if (err != E_SUCCESS && mode == CONTAINMENT_CENTER) return h3_refused(ctx, i, "H3 cannot estimate the covering of this polygon", err);
      if (mode != CONTAINMENT_CENTER && (err != E_SUCCESS || (most >= 0 && (uint64_t)most <= MAX_CELLS - estimated))) {
        err = maxPolygonToCellsSizeExperimental(&polygon, res, mode, &most);
        if (err != E_SUCCESS) return h3_refused(ctx, i, "H3 cannot estimate the covering of this polygon", err);
      }
      if (most < 0 || (uint64_t)most > MAX_CELLS - estimated) {
        gr_say(ctx, "feature ");
        gr_say_u64(ctx, i);
        gr_say(ctx, ": H3 estimates up to ");
        gr_say_i64(ctx, most);
        gr_say(ctx, " cells at res ");
        gr_say_u64(ctx, (uint64_t)res);
        if (estimated) {
          gr_say(ctx, " after ");
          gr_say_u64(ctx, estimated);
          gr_say(ctx, " for the polygons before it");
        }
        gr_say(ctx, ", more than one invocation covers (");
        gr_say_u64(ctx, MAX_CELLS);
        return gr_fail(ctx, GR_STATUS_TOO_LARGE, "): use a coarser res, or fewer polygons per call");
      }
      estimated += (uint64_t)most;
      H3Index *found = gr_alloc(8 * ((uint64_t)most + 1), 8);
      __builtin_memset(found, 0, 8 * ((size_t)most + 1));
      err = mode == CONTAINMENT_CENTER ? polygonToCells(&polygon, res, 0, found)
                                       : polygonToCellsExperimental(&polygon, res, mode, most, found);
      if (err != E_SUCCESS) return h3_refused(ctx, i, "H3 could not cover this polygon", err);
      for (int64_t k = 0; k < most; k++) {
        if (!found[k]) continue;
        if (n == cap) {
          H3Index *c2 = gr_alloc(cap * 2 * 8, 8);
          uint32_t *s2 = gr_alloc(cap * 2 * 4, 8);
          __builtin_memcpy(c2, cells, cap * 8);
          __builtin_memcpy(s2, source, cap * 4);
          cells = c2;
          source = s2;
          cap *= 2;
        }
        cells[n] = found[k];
        source[n++] = i;
      }
      q = end;
    }
    /* this feature's cells: ordered, each once */
    hexagons_sort(cells + first, (uint32_t)(n - first));
    uint64_t w = first;
    for (uint64_t k = first; k < n; k++) if (k == first || cells[k] != cells[w - 1]) cells[w++] = cells[k];
    n = w;
  }

  uint8_t *out;
  uint32_t out_len;
  hexagons_t h = { .n = (uint32_t)n, .cells = cells, .centers = 0, .n_numbers = 0, .layer = &layer, .source = source };
  why = hexagons_write(&out, &out_len, &h);
  if (why) return gr_fail(ctx, GR_STATUS_TOO_LARGE, why);
  gr_output(ctx, out, out_len);
  return GR_STATUS_OK;
}

GR_FAASLET(h3_cells)
