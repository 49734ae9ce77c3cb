/* endian.h: wasm32 is little-endian (what musl's libm.h asks). */
#ifndef GR_LIBC_ENDIAN_H
#define GR_LIBC_ENDIAN_H
#define __LITTLE_ENDIAN 1234
#define __BIG_ENDIAN 4321
#define __BYTE_ORDER __LITTLE_ENDIAN
#endif
