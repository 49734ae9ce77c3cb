/* H3 cells as a FEATURES region: each cell's boundary (or centre) in degrees and its id, exactly as h3-js 4.5
   returns them (cellToBoundary(h, true): [lng, lat], closed; cellToLatLng; the id in lowercase hex), with the
   numbers each faaslet computed and, optionally, the properties of the feature each cell came from. */
#ifndef GR_HEXAGONS_H
#define GR_HEXAGONS_H

#include "graticule.h"
#include "h3api.h"
#include "layer.h"

typedef struct {
  uint32_t n;                        /* cells */
  const H3Index *cells;
  int centers;                       /* 1: a Point at each cell's centre; 0: the Polygon of its boundary */
  uint32_t n_numbers;                /* numeric properties per cell, after "h3" */
  const char *const *number_keys;
  const double *numbers;             /* n × n_numbers, row-major */
  const layer_t *layer;              /* NULL, or the layer whose features the cells came from: */
  const uint32_t *source;            /*   cell i carries the id, layer name and properties of feature source[i] */
} hexagons_t;

/* Writes the region (output 0 of the caller's context is not touched: the caller adds it). NULL, or why not. */
const char *hexagons_write(uint8_t **out, uint32_t *len, const hexagons_t *h);

/* Sorts n cell ids ascending (an LSD radix sort by byte, skipping the bytes all ids share: the mode and the
   resolution, and the unused digits of coarse cells). */
void hexagons_sort(H3Index *cells, uint32_t n);

/* degrees ↔ radians as h3-js converts them, so the same degrees reach the same cell */
static inline double hex_rads(double degrees) { return degrees * M_PI / 180.0; }
static inline double hex_degs(double radians) { return radians * 180.0 / M_PI; }

#endif
