/*
 * graticule.h: write a graticule faaslet in C (the ABI: faaslets/ABI.md; the SDK page: faaslets/README.md).
 *
 * Freestanding C11 for clang --target=wasm32: no libc, no heap of its own. Every byte a faaslet uses comes
 * from graticule.alloc and belongs to the running invocation (nothing is freed; the host returns it all at
 * once). The constants (region header, context, status codes) are in graticule-abi.h, generated from
 * faaslets/abi/layout.ts.
 *
 * A faaslet is one function `int32_t run(uint8_t *ctx)` plus GR_FAASLET(run). Three rules keep it safe on
 * a memory shared by every instance of every faaslet of the tenant:
 *   - static data is read-only (all instances see the same bytes): no mutable `static` or global
 *     variables; the build refuses a module with .data or .bss;
 *   - state lives in locals, in memory from gr_alloc, or on the stack, which GR_FAASLET allocates per
 *     invocation (see gr_run below);
 *   - bad input is answered with gr_fail(ctx, GR_STATUS_..., "why"), never by trapping.
 */
#ifndef GRATICULE_H
#define GRATICULE_H

#include <stddef.h>
#include <stdint.h>
#include "graticule-abi.h"

/* Bytes of linear-memory stack each invocation gets (local arrays, structs whose address is taken). */
#ifndef GR_STACK_BYTES
#define GR_STACK_BYTES 65536
#endif

/* ─── memory ─────────────────────────────────────────────────────────────────────────────────────────── */

/* graticule.alloc: `size` bytes aligned to max(align, 8), owned by the running invocation. It does not
   return when the tenant's quota is exceeded (the invocation fails with E_QUOTA_EXCEEDED). */
__attribute__((import_module("graticule"), import_name("alloc")))
extern uint32_t gr_host_alloc(uint32_t size, uint32_t align);

static inline void *gr_alloc(uint64_t size, uint32_t align) {
  /* the host refuses requests past 2 GiB; callers check their sizes against GR_MAX_REGION_BYTES first */
  return (void *)(uintptr_t)gr_host_alloc((uint32_t)(size > 0x7fffffffu ? 0x7fffffffu : size), align);
}

/* The largest region a faaslet writes (as the AssemblyScript helpers): sizes are checked against it before
   allocating, so an oversized request is reported as GR_STATUS_TOO_LARGE instead of exhausting the quota. */
#define GR_MAX_REGION_BYTES 0x7fff0000u

/* Little-endian loads and stores at any address (regions are 8-aligned, but fields need not be). */
static inline uint16_t gr_u16(const void *p) { uint16_t v; __builtin_memcpy(&v, p, 2); return v; }
static inline uint32_t gr_u32(const void *p) { uint32_t v; __builtin_memcpy(&v, p, 4); return v; }
static inline int32_t gr_i32(const void *p) { int32_t v; __builtin_memcpy(&v, p, 4); return v; }
static inline double gr_f64(const void *p) { double v; __builtin_memcpy(&v, p, 8); return v; }
static inline void gr_put_u16(void *p, uint16_t v) { __builtin_memcpy(p, &v, 2); }
static inline void gr_put_u32(void *p, uint32_t v) { __builtin_memcpy(p, &v, 4); }
static inline void gr_put_i32(void *p, int32_t v) { __builtin_memcpy(p, &v, 4); }
static inline void gr_put_f64(void *p, double v) { __builtin_memcpy(p, &v, 8); }

/* ─── the invocation context ─────────────────────────────────────────────────────────────────────────── */

static inline uint32_t gr_input_count(const uint8_t *ctx) { return gr_u32(ctx + GR_CTX_INPUT_COUNT); }
static inline uint8_t *gr_input(const uint8_t *ctx, uint32_t i) { return (uint8_t *)(uintptr_t)gr_u32(ctx + GR_CTX_INPUTS + 8 * i); }
static inline uint32_t gr_input_len(const uint8_t *ctx, uint32_t i) { return gr_u32(ctx + GR_CTX_INPUTS + 8 * i + 4); }
static inline uint32_t gr_param_count(const uint8_t *ctx) { return gr_u32(ctx + GR_CTX_PARAM_COUNT); }
static inline double gr_param(const uint8_t *ctx, uint32_t i) { return gr_f64(ctx + GR_CTX_PARAMS + 8 * i); }

/* Appends an output region descriptor (in manifest order). */
static inline void gr_output(uint8_t *ctx, const uint8_t *region, uint32_t len) {
  uint32_t n = gr_u32(ctx + GR_CTX_OUTPUT_COUNT);
  gr_put_u32(ctx + GR_CTX_OUTPUTS + 8 * n, (uint32_t)(uintptr_t)region);
  gr_put_u32(ctx + GR_CTX_OUTPUTS + 8 * n + 4, len);
  gr_put_u32(ctx + GR_CTX_OUTPUT_COUNT, n + 1);
}

/* ─── errors: the message is written straight into the context (at most 256 bytes, cut beyond) ─────── */

static inline void gr_say(uint8_t *ctx, const char *text) {
  uint32_t n = gr_u32(ctx + GR_CTX_MESSAGE_LENGTH);
  while (*text && n < GR_CTX_MESSAGE_MAX) ctx[GR_CTX_MESSAGE + n++] = (uint8_t)*text++;
  gr_put_u32(ctx + GR_CTX_MESSAGE_LENGTH, n);
}

static inline void gr_say_u64(uint8_t *ctx, uint64_t v) {
  char digits[21];
  int i = 20;
  digits[i] = 0;
  do { digits[--i] = (char)('0' + v % 10); v /= 10; } while (v);
  gr_say(ctx, digits + i);
}

static inline void gr_say_i64(uint8_t *ctx, int64_t v) {
  if (v < 0) { gr_say(ctx, "-"); gr_say_u64(ctx, (uint64_t)0 - (uint64_t)v); }
  else gr_say_u64(ctx, (uint64_t)v);
}

/* Ends a failed invocation: status set, no outputs. `return gr_fail(ctx, GR_STATUS_..., "why")`; build a
   longer message first with gr_say/gr_say_u64 and pass "" (or more text) here. */
static inline int32_t gr_fail(uint8_t *ctx, int32_t status, const char *text) {
  gr_say(ctx, text);
  gr_put_u32(ctx + GR_CTX_OUTPUT_COUNT, 0);
  gr_put_i32(ctx + GR_CTX_STATUS, status);
  return status;
}

/* Ends a failed invocation over input i: the message is "input <i>: <text>". */
/* (one copy per module: it is called from many places, each a message) */
static inline __attribute__((noinline)) int32_t gr_fail_input(uint8_t *ctx, int32_t status, uint32_t i, const char *text) {
  gr_say(ctx, "input ");
  gr_say_u64(ctx, i);
  gr_say(ctx, ": ");
  return gr_fail(ctx, status, text);
}

/* ─── regions ────────────────────────────────────────────────────────────────────────────────────────── */

static inline uint32_t gr_kind(const uint8_t *r) { return gr_u16(r + GR_HDR_KIND); }
static inline uint32_t gr_count(const uint8_t *r) { return gr_u32(r + GR_HDR_COUNT); }
static inline uint32_t gr_stride(const uint8_t *r) { return gr_u32(r + GR_HDR_STRIDE); }
static inline int32_t gr_crs(const uint8_t *r) { return gr_i32(r + GR_HDR_CRS); }
static inline uint32_t gr_byte_length(const uint8_t *r) { return gr_u32(r + GR_HDR_BYTE_LENGTH); }
static inline uint32_t gr_section_offset(const uint8_t *r, uint32_t s) { return gr_u32(r + GR_HDR_SECTIONS + GR_SECTION_BYTES * s); }
static inline uint32_t gr_section_count(const uint8_t *r, uint32_t s) { return gr_u32(r + GR_HDR_SECTIONS + GR_SECTION_BYTES * s + 4); }
static inline uint8_t *gr_section(const uint8_t *r, uint32_t s) { return (uint8_t *)r + gr_section_offset(r, s); }

/* NULL if the region at r (len bytes, from the host) is well formed and of kind `kind` with main-table
   records of `stride` bytes, else what is wrong. Sections 0..n-1 must lie inside the region, 8-aligned,
   holding count × record_bytes[s] bytes. */
static inline const char *gr_check(const uint8_t *r, uint32_t len, uint32_t kind, uint32_t stride,
                                   const uint32_t *record_bytes, uint32_t n) {
  if (len < GR_HEADER_SIZE) return "region shorter than its header";
  if (gr_u32(r + GR_HDR_MAGIC) != GR_REGION_MAGIC) return "not a region (bad magic)";
  if (gr_u16(r + GR_HDR_VERSION) != GR_REGION_VERSION) return "unsupported region version";
  if (gr_kind(r) != kind) return "region of the wrong kind";
  uint64_t total = gr_byte_length(r);
  if (total > len || total < GR_HEADER_SIZE) return "region byteLength does not fit its descriptor";
  for (uint32_t s = 0; s < n; s++) {
    uint64_t off = gr_section_offset(r, s);
    uint64_t bytes = (uint64_t)gr_section_count(r, s) * record_bytes[s];
    if (off < GR_HEADER_SIZE || (off & 7) || off + bytes > total) return "a section lies outside the region";
  }
  if (gr_stride(r) != stride) return "record stride disagrees with the region kind";
  if (gr_count(r) != gr_section_count(r, 0)) return "count disagrees with the main table";
  return 0;
}

static inline uint64_t gr_align8(uint64_t n) { return (n + 7) & ~(uint64_t)7; }

/* Bytes of a region with these section sizes (header included), for the size check before gr_create. */
static inline uint64_t gr_region_bytes(const uint64_t *section_bytes, uint32_t n) {
  uint64_t total = GR_HEADER_SIZE;
  for (uint32_t s = 0; s < n; s++) total += gr_align8(section_bytes[s]);
  return total;
}

/* Allocates a region and writes its header (no tile, unknown extent); the caller fills the sections.
   Check gr_region_bytes(...) <= GR_MAX_REGION_BYTES first. */
static inline uint8_t *gr_create(uint32_t kind, uint32_t count, uint32_t stride, int32_t crs,
                                 const uint64_t *section_bytes, const uint32_t *section_counts, uint32_t n) {
  uint64_t total = gr_region_bytes(section_bytes, n);
  uint8_t *r = (uint8_t *)gr_alloc(total, 8);
  __builtin_memset(r, 0, GR_HEADER_SIZE);
  gr_put_u32(r + GR_HDR_MAGIC, GR_REGION_MAGIC);
  gr_put_u16(r + GR_HDR_VERSION, GR_REGION_VERSION);
  gr_put_u16(r + GR_HDR_KIND, (uint16_t)kind);
  gr_put_u32(r + GR_HDR_COUNT, count);
  gr_put_u32(r + GR_HDR_STRIDE, stride);
  gr_put_i32(r + GR_HDR_CRS, crs);
  gr_put_u32(r + GR_HDR_BYTE_LENGTH, (uint32_t)total);
  gr_put_i32(r + GR_HDR_TILE_Z, -1);
  double nan = __builtin_nan("");
  gr_put_f64(r + GR_HDR_MIN_X, nan);
  gr_put_f64(r + GR_HDR_MIN_Y, nan);
  gr_put_f64(r + GR_HDR_MAX_X, nan);
  gr_put_f64(r + GR_HDR_MAX_Y, nan);
  uint64_t off = GR_HEADER_SIZE;
  for (uint32_t s = 0; s < n && s < GR_SECTION_COUNT; s++) {
    gr_put_u32(r + GR_HDR_SECTIONS + GR_SECTION_BYTES * s, (uint32_t)off);
    gr_put_u32(r + GR_HDR_SECTIONS + GR_SECTION_BYTES * s + 4, section_counts[s]);
    off += gr_align8(section_bytes[s]);
  }
  return r;
}

static inline void gr_set_tile(uint8_t *r, int32_t z, uint32_t x, uint32_t y) {
  gr_put_i32(r + GR_HDR_TILE_Z, z);
  gr_put_u32(r + GR_HDR_TILE_X, x);
  gr_put_u32(r + GR_HDR_TILE_Y, y);
}

static inline void gr_set_extent(uint8_t *r, double min_x, double min_y, double max_x, double max_y) {
  gr_put_f64(r + GR_HDR_MIN_X, min_x);
  gr_put_f64(r + GR_HDR_MIN_Y, min_y);
  gr_put_f64(r + GR_HDR_MAX_X, max_x);
  gr_put_f64(r + GR_HDR_MAX_Y, max_y);
}

/* ─── the entry points ───────────────────────────────────────────────────────────────────────────────
 *
 * clang keeps a linear-memory stack (local arrays, structs whose address is taken, every local at -O0)
 * below the wasm global __stack_pointer. wasm-ld points it into the module's static slot, and every
 * instance of the module, in every worker, shares that slot: two invocations running at once would
 * write each other's frames. So gr_run gives each invocation its own stack: it allocates GR_STACK_BYTES
 * from the invocation, points __stack_pointer (a per-instance global) at its top, runs the faaslet and
 * puts the old value back. gr_run itself keeps everything in wasm locals; the faaslet runs behind a call
 * that is never inlined, so its frame is set up on the new stack. faaslets/c/build.ts checks all of this
 * on the binary (faaslets/c/stack-check.ts).
 */
static inline uint32_t gr__stack_pointer(void) {
  uint32_t sp;
  __asm__ volatile(".globaltype __stack_pointer, i32\n\tglobal.get __stack_pointer\n\tlocal.set %0" : "=r"(sp));
  return sp;
}

static inline void gr__set_stack_pointer(uint32_t sp) {
  __asm__ volatile(".globaltype __stack_pointer, i32\n\tlocal.get %0\n\tglobal.set __stack_pointer" : : "r"(sp));
}

#define GR_FAASLET(run)                                                                                     \
  __attribute__((noinline)) static int32_t gr__run(uint8_t *ctx) { return run(ctx); }                      \
  __attribute__((export_name("gr_abi_version"))) int32_t gr_abi_version(void) { return GR_ABI_VERSION; }    \
  __attribute__((export_name("gr_run"))) int32_t gr_run(uint32_t ctx) {                                      \
    uint8_t *c = (uint8_t *)(uintptr_t)ctx;                                                                  \
    gr_put_u32(c + GR_CTX_OUTPUT_COUNT, 0);                                                                  \
    gr_put_i32(c + GR_CTX_STATUS, GR_STATUS_OK);                                                             \
    gr_put_u32(c + GR_CTX_MESSAGE_LENGTH, 0);                                                                \
    uint32_t stack = gr_host_alloc(GR_STACK_BYTES, 16);                                                      \
    uint32_t saved = gr__stack_pointer();                                                                    \
    gr__set_stack_pointer(stack + GR_STACK_BYTES);                                                           \
    int32_t status = gr__run(c);                                                                             \
    gr__set_stack_pointer(saved);                                                                            \
    gr_put_i32(c + GR_CTX_STATUS, status);                                                                   \
    return status;                                                                                           \
  }

#endif
