/* inttypes.h of graticule's freestanding libc: the format macros (wasm32: long is 32 bits). */
#ifndef GR_LIBC_INTTYPES_H
#define GR_LIBC_INTTYPES_H
#include <stdint.h>
#define PRId64 "lld"
#define PRIu64 "llu"
#define PRIx64 "llx"
#define PRIX64 "llX"
#define PRId32 "d"
#define PRIu32 "u"
#define PRIx32 "x"
#endif
