/*
 * Adds one point to the count and sum of every polygon that holds it, deciding "holds" exactly as
 * @turf/boolean-point-in-polygon 7 (point-in-polygon-hao 1.2) does:
 *   - each polygon of a MultiPolygon on its own, all its rings (outer and holes) together: the point is
 *     inside when a ray from it towards −x crosses the rings an odd number of times — an edge is crossed
 *     when one end is at or below the point's y, the other above, and it passes left of the point (the
 *     ray towards +x gives the same answer and is used when its side has fewer edges: bands.h);
 *   - a point on a ring (collinear with an edge and within its y-range, or on a horizontal edge at its y)
 *     is on the boundary of that polygon: it is held when boundary = inside (turf's default), and that
 *     polygon does not hold it when boundary = outside (turf's ignoreBoundary: true);
 *   - a feature holds the point if any of its polygons does; it counts the point once.
 * The differences (x_i − x, y_i − y) are rounded as hao rounds them and the orientation is exact, so every
 * decision — boundary ones included — is turf's.
 */
#ifndef PIP_TALLY_H
#define PIP_TALLY_H

#include "bands.h"
#include "orient.h"

#define PART_ODD 1
#define PART_ON_BOUNDARY 2
#define PART_LISTED 4

typedef struct {
  const bands_t *bands;
  const uint32_t *part_polygon;
  double min_x, min_y, max_x, max_y;
  int boundary_inside;
  uint8_t *state;       /* per part: PART_ODD (crossings so far) | PART_ON_BOUNDARY | PART_LISTED */
  uint32_t *touched;    /* the parts listed for the current point, each once */
  uint32_t *stamp;      /* per polygon: serial of the last point counted */
  uint32_t serial;
  uint32_t *count;      /* per polygon */
  double *sum;          /* per polygon, added in input order */
} tally_t;

__attribute__((always_inline)) static inline void tally_point(tally_t *t, double x, double y, double weight) {
  t->serial++;
  /* outside the polygons' extent (or NaN) no edge can count: a closed ring is crossed an even number of times */
  if (!(x >= t->min_x && x <= t->max_x && y >= t->min_y && y <= t->max_y)) return;
  const bands_t *b = t->bands;
  uint32_t nc = b->n_columns, column = column_of(b, x), row = bands_of(b, y) * nc;
  /* the cells up to the point's column, from the left or from the right: scan the side with fewer edges */
  uint32_t l0 = b->left_start[row], l1 = b->left_start[row + column + 1];
  uint32_t r0 = b->right_start[row], r1 = b->right_start[row + (nc - 1 - column) + 1];
  int towards_left = l1 - l0 <= r1 - r0;
  const edge_t *e = towards_left ? b->left + l0 : b->right + r0, *end = towards_left ? b->left + l1 : b->right + r1;
  /* the ray towards −x crosses an edge when the point is right of it (f > 0), towards +x when left (f < 0) */
  int crossing = towards_left ? 1 : -1;
  uint32_t n_touched = 0;
  for (; e < end; e++) {
    if (towards_left ? edge_min_x(e) > x : edge_max_x(e) < x) continue; /* wholly on the other side */
    double v1 = e->y1 - y, v2 = e->y2 - y;
    if (v1 > 0 || v2 < 0) continue; /* does not reach the point's y */
    double u1 = e->x1 - x, u2 = e->x2 - x;
    uint8_t hit;
    if (v1 == 0 && v2 == 0) {
      if (!((u2 <= 0 && u1 >= 0) || (u1 <= 0 && u2 >= 0))) continue;
      hit = PART_ON_BOUNDARY;
    } else {
      int f = orient_sign(u1, v1, u2, v2);
      if (f == 0) hit = PART_ON_BOUNDARY;
      else if (f == crossing && v2 > 0) hit = PART_ODD;
      else continue;
    }
    uint32_t part = e->part;
    uint8_t s = t->state[part];
    if (!(s & PART_LISTED)) { t->touched[n_touched++] = part; s |= PART_LISTED; }
    t->state[part] = hit == PART_ODD ? (uint8_t)(s ^ PART_ODD) : (uint8_t)(s | PART_ON_BOUNDARY);
  }
  for (uint32_t i = 0; i < n_touched; i++) {
    uint32_t part = t->touched[i];
    uint8_t s = t->state[part] & (PART_ODD | PART_ON_BOUNDARY);
    t->state[part] = 0;
    int holds = t->boundary_inside ? s != 0 : s == PART_ODD;
    uint32_t polygon = t->part_polygon[part];
    if (holds && t->stamp[polygon] != t->serial) {
      t->stamp[polygon] = t->serial;
      t->count[polygon]++;
      t->sum[polygon] += weight;
    }
  }
}

#endif
