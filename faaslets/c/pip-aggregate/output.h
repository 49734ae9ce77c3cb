/* The output: the polygon features with two properties added. */
#ifndef PIP_OUTPUT_H
#define PIP_OUTPUT_H

#include "polygons.h"

/*
 * Writes a FEATURES region holding the layer's polygon features in input order — id, layer, rings and
 * properties as they were, then `count` (points held, a number) and `sum` (their weights, a number); a
 * `count` or `sum` property a polygon already had is replaced. The string table keeps only the strings the
 * polygons use. Same crs and tile as the layer; the extent is the polygons'. NULL, or why it cannot be
 * written (too large).
 */
const char *output_write(uint8_t **out, uint32_t *len, const layer_t *l, const polygons_t *p,
                         const uint32_t *count, const double *sum);

#endif
