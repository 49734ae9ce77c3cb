#include "polygons.h"

static int finite(double v) { return v - v == 0; }

/* Edges of one ring: consecutive coordinates, plus the closing edge when the last coordinate is not the
   first (GeoJSON rings repeat the first position; a region from elsewhere may not). */
static uint32_t ring_edges(const layer_t *l, const uint8_t *ring, edge_t *out, uint32_t part) {
  uint32_t start = gr_u32(ring + GR_RING_COORD_START), n = gr_u32(ring + GR_RING_COORD_COUNT);
  if (n < 2) return 0;
  uint32_t k = 0;
  for (uint32_t i = 0; i < n; i++) {
    const uint8_t *a = layer_coord(l, start + i);
    const uint8_t *b = layer_coord(l, i + 1 < n ? start + i + 1 : start);
    if (i + 1 == n && gr_f64(a) == gr_f64(b) && gr_f64(a + 8) == gr_f64(b + 8)) break; /* already closed */
    double ax = gr_f64(a), ay = gr_f64(a + 8), bx = gr_f64(b), by = gr_f64(b + 8);
    edge_t *e = out ? out + k : 0;
    if (e) {
      if (ay <= by) { e->x1 = ax; e->y1 = ay; e->x2 = bx; e->y2 = by; }
      else { e->x1 = bx; e->y1 = by; e->x2 = ax; e->y2 = ay; }
      e->part = part;
      e->pad = 0;
    }
    k++;
  }
  return k;
}

const char *polygons_read(polygons_t *p, const layer_t *l) {
  /* pass 1: count polygons, parts and edges; check the coordinates */
  uint64_t n_polygons = 0, n_parts = 0, n_edges = 0;
  p->min_x = p->min_y = __builtin_inf();
  p->max_x = p->max_y = -__builtin_inf();
  for (uint32_t i = 0; i < l->n_features; i++) {
    const uint8_t *f = layer_feature(l, i);
    uint32_t type = gr_u32(f + GR_FEATURE_GEOM_TYPE);
    if (!is_polygon(type)) continue;
    n_polygons++;
    uint32_t r0 = gr_u32(f + GR_FEATURE_RING_START), nr = gr_u32(f + GR_FEATURE_RING_COUNT);
    for (uint32_t r = 0; r < nr; r++) {
      const uint8_t *ring = layer_ring(l, r0 + r);
      if (r == 0 || (type == GR_GEOM_MULTIPOLYGON && gr_u32(ring + GR_RING_PART) != gr_u32(layer_ring(l, r0 + r - 1) + GR_RING_PART))) n_parts++;
      uint32_t c0 = gr_u32(ring + GR_RING_COORD_START), nc = gr_u32(ring + GR_RING_COORD_COUNT);
      for (uint32_t c = 0; c < nc; c++) {
        double x = gr_f64(layer_coord(l, c0 + c)), y = gr_f64(layer_coord(l, c0 + c) + 8);
        if (!finite(x) || !finite(y)) return "a polygon has a coordinate that is not finite";
        if (x < p->min_x) p->min_x = x;
        if (x > p->max_x) p->max_x = x;
        if (y < p->min_y) p->min_y = y;
        if (y > p->max_y) p->max_y = y;
      }
      n_edges += ring_edges(l, ring, 0, 0);
    }
  }
  if (n_edges > 0x7fffffffu / sizeof(edge_t)) return "the polygons have too many edges";

  /* pass 2: fill */
  p->n_polygons = (uint32_t)n_polygons;
  p->n_parts = (uint32_t)n_parts;
  p->n_edges = (uint32_t)n_edges;
  p->feature = gr_alloc(4 * (n_polygons + 1), 8);
  p->part_polygon = gr_alloc(4 * (n_parts + 1), 8);
  p->edges = gr_alloc(sizeof(edge_t) * (n_edges + 1), 8);
  uint32_t polygon = 0, part = 0, edge = 0;
  for (uint32_t i = 0; i < l->n_features; i++) {
    const uint8_t *f = layer_feature(l, i);
    uint32_t type = gr_u32(f + GR_FEATURE_GEOM_TYPE);
    if (!is_polygon(type)) continue;
    uint32_t r0 = gr_u32(f + GR_FEATURE_RING_START), nr = gr_u32(f + GR_FEATURE_RING_COUNT);
    for (uint32_t r = 0; r < nr; r++) {
      const uint8_t *ring = layer_ring(l, r0 + r);
      if (r == 0 || (type == GR_GEOM_MULTIPOLYGON && gr_u32(ring + GR_RING_PART) != gr_u32(layer_ring(l, r0 + r - 1) + GR_RING_PART))) {
        p->part_polygon[part++] = polygon;
      }
      edge += ring_edges(l, ring, p->edges + edge, part - 1);
    }
    p->feature[polygon++] = i;
  }
  return 0;
}
