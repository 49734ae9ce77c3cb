/*
 * The edge index: the polygons' extent cut into horizontal bands, each listing (copies of) the edges whose
 * y-range meets it. A point at (x, y) only needs the edges whose y-range holds y, and all of them are in
 * y's band (the band of a y value never decreases as y grows).
 *
 * Of those, turf's rule (point-in-polygon-hao) counts the edges the ray from the point towards −x crosses.
 * The ray towards +x gives the same parity: hao decides each edge exactly on the rounded differences
 * (x_i − x, y_i − y), which are one closed polygon per point, and a closed ring crosses the horizontal line
 * through the point an even number of times — left, right, or through the point (then it is on the
 * boundary, which both directions see, since such an edge reaches the point). An edge wholly on the other
 * side can neither be crossed by a ray nor hold the point, so a point scans only one side, the shorter.
 *
 * Each band lists its edges twice, bucketed into columns across the extent (a counting sort, no
 * comparisons): `left` by the column of the edge's smaller x, columns ascending; `right` by the column of its
 * larger x, columns descending. The edges that may reach x from the left are then a prefix of `left` (the
 * columns up to x's), those from the right a prefix of `right`; only the edges of x's own column can still
 * lie wholly on the other side, and the scan skips them.
 */
#ifndef PIP_BANDS_H
#define PIP_BANDS_H

#include "polygons.h"

typedef struct {
  edge_t *left;          /* cell (band b, column c): left[left_start[b·C + c] .. left_start[b·C + c + 1]) */
  edge_t *right;         /* cell (band b, column C − 1 − c): by the column of the larger x */
  uint32_t *left_start;  /* n_bands · n_columns + 1 */
  uint32_t *right_start;
  uint32_t n_bands, n_columns;
  double min_y, y_scale; /* band of y = floor((y − min_y) · y_scale), clamped to [0, n_bands) */
  double min_x, x_scale; /* column of x likewise */
} bands_t;

void bands_build(bands_t *b, const polygons_t *p);

/* floor((v − min) · scale) clamped to [0, n): never decreases as v grows (NaN → 0) */
static inline uint32_t bucket(double v, double min, double scale, uint32_t n) {
  double t = (v - min) * scale;
  if (!(t > 0)) return 0;
  if (t >= (double)(n - 1)) return n - 1;
  return (uint32_t)t;
}

static inline uint32_t bands_of(const bands_t *b, double y) { return bucket(y, b->min_y, b->y_scale, b->n_bands); }
static inline uint32_t column_of(const bands_t *b, double x) { return bucket(x, b->min_x, b->x_scale, b->n_columns); }

static inline double edge_min_x(const edge_t *e) { return e->x1 < e->x2 ? e->x1 : e->x2; }
static inline double edge_max_x(const edge_t *e) { return e->x1 < e->x2 ? e->x2 : e->x1; }

#endif
