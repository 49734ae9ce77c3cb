/* The math functions WebAssembly computes in one instruction, for calls clang does not lower itself (a call
   through a pointer, or code built with -fno-builtin). The rest of libm is musl's (faaslets/c/vendor/musl). */
#include <math.h>

double sqrt(double x) { return __builtin_sqrt(x); }
float sqrtf(float x) { return __builtin_sqrtf(x); }
double fabs(double x) { return __builtin_fabs(x); }
float fabsf(float x) { return __builtin_fabsf(x); }
double floor(double x) { return __builtin_floor(x); }
double ceil(double x) { return __builtin_ceil(x); }
double trunc(double x) { return __builtin_trunc(x); }
double nearbyint(double x) { return __builtin_nearbyint(x); }
double rint(double x) { return __builtin_rint(x); }
double copysign(double x, double y) { return __builtin_copysign(x, y); }
