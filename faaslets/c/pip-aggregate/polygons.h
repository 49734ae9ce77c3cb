/* The polygon layer: which features are polygons, how their rings group into parts, and every ring edge. */
#ifndef PIP_POLYGONS_H
#define PIP_POLYGONS_H

#include "layer.h"

/* One ring edge, lower end first (y1 <= y2); `part` numbers the polygon of a Polygon/MultiPolygon feature
   it bounds (turf tests each polygon of a MultiPolygon on its own). */
typedef struct {
  double x1, y1, x2, y2;
  uint32_t part, pad;
} edge_t;

typedef struct {
  uint32_t n_polygons;      /* Polygon and MultiPolygon features, in input order */
  uint32_t *feature;        /* polygon → its feature index in the layer */
  uint32_t n_parts;
  uint32_t *part_polygon;   /* part → polygon */
  edge_t *edges;
  uint32_t n_edges;
  double min_x, min_y, max_x, max_y; /* extent of every polygon coordinate (inverted when there are none) */
} polygons_t;

/* Reads the polygons of a checked layer; NULL, or why the layer cannot be used (a coordinate that is not
   finite, too many edges). Memory comes from gr_alloc. */
const char *polygons_read(polygons_t *p, const layer_t *l);

#endif
