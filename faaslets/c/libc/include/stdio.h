/* stdio.h of graticule's freestanding libc: a faaslet has no files or streams (it reports through its context,
   graticule.h's gr_say); libraries that include this header for printf in debug builds compile without it. */
#ifndef GR_LIBC_STDIO_H
#define GR_LIBC_STDIO_H
#include <stddef.h>
#endif
