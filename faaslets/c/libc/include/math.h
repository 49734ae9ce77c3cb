/* math.h of graticule's freestanding libc for C faaslets (faaslets/c/libc/README.md). The functions WebAssembly
   has instructions for (sqrt, fabs, floor, ceil, trunc, nearbyint, copysign) are lowered to them by clang; the rest
   come from musl 1.2.3's libm, vendored in faaslets/c/vendor/musl. */
#ifndef GR_LIBC_MATH_H
#define GR_LIBC_MATH_H

typedef double double_t;
typedef float float_t;

#define NAN __builtin_nanf("")
#define INFINITY __builtin_inff()
#define HUGE_VAL __builtin_huge_val()
#define FP_NAN 0
#define FP_INFINITE 1
#define FP_ZERO 2
#define FP_SUBNORMAL 3
#define FP_NORMAL 4
#define fpclassify(x) __builtin_fpclassify(FP_NAN, FP_INFINITE, FP_NORMAL, FP_SUBNORMAL, FP_ZERO, x)
#define isfinite(x) __builtin_isfinite(x)
#define isnan(x) __builtin_isnan(x)
#define isinf(x) __builtin_isinf(x)
#define signbit(x) __builtin_signbit(x)

#define M_E 2.7182818284590452354
#define M_PI 3.14159265358979323846
#define M_PI_2 1.57079632679489661923
#define M_PI_4 0.78539816339744830962
#define M_SQRT2 1.41421356237309504880

double sin(double), cos(double), tan(double);
double asin(double), acos(double), atan(double), atan2(double, double);
double round(double);
long lround(double);
double fmin(double, double), fmax(double, double);
double sqrt(double), fabs(double), floor(double), ceil(double), trunc(double), nearbyint(double), rint(double);
double copysign(double, double), scalbn(double, int);
long double fabsl(long double);
float sqrtf(float), fabsf(float);

#endif
