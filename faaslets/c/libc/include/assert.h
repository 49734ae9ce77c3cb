/* assert.h of graticule's freestanding libc. Built with NDEBUG (as release builds of the libraries are), assert
   is nothing; without it a failed assertion traps, which the host reports as E_FAASLET_TRAP (a bug). */
#ifdef NDEBUG
#define assert(x) ((void)0)
#else
#define assert(x) ((x) ? (void)0 : __builtin_trap())
#endif
