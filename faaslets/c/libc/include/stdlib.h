/* stdlib.h of graticule's freestanding libc: allocation from the running invocation (malloc.c), qsort. */
#ifndef GR_LIBC_STDLIB_H
#define GR_LIBC_STDLIB_H
#include <stddef.h>

void *malloc(size_t size);
void *calloc(size_t count, size_t size);
void *realloc(void *ptr, size_t size);
void free(void *ptr);
void qsort(void *base, size_t count, size_t size, int (*compare)(const void *, const void *));
static inline int abs(int x) { return x < 0 ? -x : x; }
static inline long labs(long x) { return x < 0 ? -x : x; }

#endif
