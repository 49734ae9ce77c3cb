/*
 * The exact sign of u2·v1 − u1·v2 for doubles: what robust-predicates' orient2d(u1, u2, v1, v2, 0, 0)
 * returns the sign of (point-in-polygon-hao, under turf's booleanPointInPolygon, calls it so). A rounded
 * determinant is enough when it is clearly away from zero (Shewchuk's error bound); otherwise the two
 * products are split exactly (Dekker's two-product: wasm has no fused multiply-add) and the four-part sum is
 * formed as a nonoverlapping expansion, whose sign is the sign of its largest nonzero part. Exact unless a
 * product underflows (|u·v| < 1e-290), like the orient2d it mirrors.
 */
#ifndef PIP_ORIENT_H
#define PIP_ORIENT_H

#define ORIENT_SPLITTER 134217729.0                /* 2^27 + 1 */
#define ORIENT_EPSILON 1.1102230246251565e-16     /* 2^-53 */
#define ORIENT_BOUND ((3.0 + 16.0 * ORIENT_EPSILON) * ORIENT_EPSILON) /* robust-predicates' ccwerrboundA */

static inline void two_product(double a, double b, double *hi, double *lo) {
  double x = a * b;
  double c = ORIENT_SPLITTER * a, abig = c - a, ahi = c - abig, alo = a - ahi;
  double d = ORIENT_SPLITTER * b, bbig = d - b, bhi = d - bbig, blo = b - bhi;
  double err1 = x - ahi * bhi, err2 = err1 - alo * bhi, err3 = err2 - ahi * blo;
  *hi = x;
  *lo = alo * blo - err3;
}

static inline void two_sum(double a, double b, double *x, double *y) {
  double s = a + b, bv = s - a, av = s - bv;
  *x = s;
  *y = (a - av) + (b - bv);
}

static inline void two_diff(double a, double b, double *x, double *y) {
  double s = a - b, bv = a - s, av = s + bv;
  *x = s;
  *y = (a - av) + (bv - b);
}

/* -1, 0 or +1: the sign of u2·v1 − u1·v2 */
static inline int orient_sign(double u1, double v1, double u2, double v2) {
  double left = u2 * v1, right = u1 * v2, det = left - right;
  /* opposite signs (or a zero): no cancellation, the rounded difference has the exact sign */
  if (left == 0 || right == 0 || (left > 0) != (right > 0)) return (det > 0) - (det < 0);
  double sum = left + right;
  if (sum < 0) sum = -sum;
  if (det >= ORIENT_BOUND * sum || -det >= ORIENT_BOUND * sum) return (det > 0) - (det < 0);

  /* exact: (a1 + a0) − (b1 + b0), Shewchuk's Two_Two_Diff → x3 + x2 + x1 + x0, nonoverlapping */
  double a1, a0, b1, b0, i, j, z, x0, x1, x2, x3;
  two_product(u2, v1, &a1, &a0);
  two_product(u1, v2, &b1, &b0);
  two_diff(a0, b0, &i, &x0);
  two_sum(a1, i, &j, &z);
  two_diff(z, b1, &i, &x1);
  two_sum(j, i, &x3, &x2);
  double top = x3 != 0 ? x3 : x2 != 0 ? x2 : x1 != 0 ? x1 : x0;
  return (top > 0) - (top < 0);
}

#endif
