#include "bands.h"

/* aim: a few edges per band; a band list then holds the edges that cross its strip of the map */
#define EDGES_PER_BAND 4
#define MAX_BANDS 65536u
/* edges that span many bands are copied into each: halve the band count while the copies exceed this */
#define MAX_COPIES_PER_EDGE 8
/* columns across the extent: a point's scan stops at its column */
#define COLUMNS 32u

static uint64_t copies(const bands_t *b, const edge_t *e, uint32_t n) {
  uint64_t total = 0;
  for (uint32_t i = 0; i < n; i++) total += bands_of(b, e[i].y2) - bands_of(b, e[i].y1) + 1;
  return total;
}

/* counts, then places, every copy of every edge in its cells (stable: edges keep their input order) */
static edge_t *place(const bands_t *b, const edge_t *edges, uint32_t n, int by_max, uint32_t *start, uint32_t *cursor) {
  uint32_t cells = b->n_bands * b->n_columns, nc = b->n_columns;
  __builtin_memset(start, 0, 4 * ((size_t)cells + 1));
  for (uint32_t i = 0; i < n; i++) {
    uint32_t c = by_max ? nc - 1 - column_of(b, edge_max_x(&edges[i])) : column_of(b, edge_min_x(&edges[i]));
    for (uint32_t k = bands_of(b, edges[i].y1), last = bands_of(b, edges[i].y2); k <= last; k++) start[k * nc + c + 1]++;
  }
  for (uint32_t k = 0; k < cells; k++) start[k + 1] += start[k];
  __builtin_memcpy(cursor, start, 4 * ((size_t)cells + 1));
  edge_t *entries = gr_alloc(sizeof(edge_t) * ((uint64_t)start[cells] + 1), 8);
  for (uint32_t i = 0; i < n; i++) {
    uint32_t c = by_max ? nc - 1 - column_of(b, edge_max_x(&edges[i])) : column_of(b, edge_min_x(&edges[i]));
    for (uint32_t k = bands_of(b, edges[i].y1), last = bands_of(b, edges[i].y2); k <= last; k++) entries[cursor[k * nc + c]++] = edges[i];
  }
  return entries;
}

void bands_build(bands_t *b, const polygons_t *p) {
  uint32_t n = p->n_edges;
  double height = p->max_y - p->min_y, width = p->max_x - p->min_x;
  uint32_t nb = n / EDGES_PER_BAND;
  if (nb > MAX_BANDS) nb = MAX_BANDS;
  if (nb < 1 || !(height > 0)) nb = 1;
  b->min_y = p->min_y;
  for (;;) {
    b->n_bands = nb;
    b->y_scale = height > 0 ? (double)nb / height : 0;
    if (nb == 1 || copies(b, p->edges, n) <= (uint64_t)MAX_COPIES_PER_EDGE * n) break;
    nb /= 2;
  }
  b->n_columns = width > 0 ? COLUMNS : 1;
  b->min_x = p->min_x;
  b->x_scale = width > 0 ? (double)b->n_columns / width : 0;

  uint64_t cells = (uint64_t)b->n_bands * b->n_columns + 1;
  uint32_t *cursor = gr_alloc(4 * cells, 8);
  b->left_start = gr_alloc(4 * cells, 8);
  b->right_start = gr_alloc(4 * cells, 8);
  b->left = place(b, p->edges, n, 0, b->left_start, cursor);
  b->right = place(b, p->edges, n, 1, b->right_start, cursor);
}
