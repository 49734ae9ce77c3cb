/* qsort: heapsort, in place, O(n log n) in the worst case and no memory of its own (no recursion, no
   allocation). Like every qsort it is not stable: equal elements may come out in any order. */
#include <stdint.h>
#include <stdlib.h>

static void swap(uint8_t *a, uint8_t *b, size_t size) {
  for (size_t i = 0; i < size; i++) { uint8_t t = a[i]; a[i] = b[i]; b[i] = t; }
}

static void sift_down(uint8_t *base, size_t root, size_t end, size_t size, int (*cmp)(const void *, const void *)) {
  for (;;) {
    size_t child = 2 * root + 1;
    if (child >= end) return;
    if (child + 1 < end && cmp(base + child * size, base + (child + 1) * size) < 0) child++;
    if (cmp(base + root * size, base + child * size) >= 0) return;
    swap(base + root * size, base + child * size, size);
    root = child;
  }
}

void qsort(void *base, size_t count, size_t size, int (*cmp)(const void *, const void *)) {
  uint8_t *b = base;
  if (count < 2) return;
  for (size_t i = count / 2; i-- > 0;) sift_down(b, i, count, size, cmp);
  for (size_t end = count - 1; end > 0; end--) {
    swap(b, b + end * size, size);
    sift_down(b, 0, end, size, cmp);
  }
}
