/*
 * malloc, calloc, realloc and free for C libraries compiled into a faaslet, over graticule.alloc.
 *
 * A faaslet may keep no mutable static state (faaslets/ABI.md §2: every instance in every worker shares its
 * static slot), so this allocator keeps none: every block is a fresh graticule.alloc of the running invocation,
 * preceded by 8 bytes holding its size (realloc needs it), and free does nothing. All of an invocation's memory
 * returns to the tenant's arena at once when the invocation's result has left the chain, and a runaway request
 * ends the invocation with E_QUOTA_EXCEEDED instead of returning. So a library that frees and allocates in a
 * loop grows its invocation until it ends; the libraries built with this (H3) allocate a few blocks per call.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

__attribute__((import_module("graticule"), import_name("alloc")))
extern uint32_t gr_host_alloc(uint32_t size, uint32_t align);

#define HEADER 8u
/* the host refuses one request past 2 GiB; a larger one is answered NULL, as C's malloc answers */
#define LARGEST 0x7fff0000u

void *malloc(size_t size) {
  if (size > LARGEST - HEADER) return NULL;
  uint8_t *block = (uint8_t *)(uintptr_t)gr_host_alloc((uint32_t)size + HEADER, 8);
  __builtin_memcpy(block, &size, sizeof size);
  return block + HEADER;
}

void *calloc(size_t count, size_t size) {
  if (size && count > LARGEST / size) return NULL;
  void *p = malloc(count * size);
  if (p) __builtin_memset(p, 0, count * size);
  return p;
}

void *realloc(void *ptr, size_t size) {
  if (!ptr) return malloc(size);
  size_t old;
  __builtin_memcpy(&old, (uint8_t *)ptr - HEADER, sizeof old);
  if (size <= old) return ptr;
  void *p = malloc(size);
  if (p) __builtin_memcpy(p, ptr, old);
  return p;
}

void free(void *ptr) { (void)ptr; }
