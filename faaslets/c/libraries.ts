// The C libraries a C faaslet can build with, by name. A faaslet names the ones it uses in
// faaslets/c/<name>/build.json ({"uses": ["h3"]}); faaslets/c/build.ts compiles their sources into the module
// with the faaslet's own (wasm-ld keeps only what is called). faaslets/README.md "C libraries" is the recipe
// for adding one.
export interface CLibrary {
  doc: string
  /** .c files under faaslets/c: a folder means every .c file in it */
  sources: string[]
  /** include folders under faaslets/c offered to the code that uses the library (and to the library itself) */
  include: string[]
  /** flags for the library's own sources, after LIBRARY_CFLAGS */
  cflags: string[]
  /** libraries it needs */
  uses: string[]
}

export const LIBRARIES: Record<string, CLibrary> = {
  libc: {
    doc: 'the freestanding libc: malloc/calloc/realloc/free from graticule.alloc, mem*, qsort, and the math.h of musl',
    sources: ['libc/'],
    include: ['libc/include'],
    // it defines memcpy, malloc, …: clang must not turn their bodies back into calls of themselves
    cflags: ['-fno-builtin'],
    uses: ['musl-libm'],
  },
  'musl-libm': {
    doc: "musl 1.2.3's libm (vendored, faaslets/c/vendor): the functions H3 calls that wasm has no instruction for",
    sources: ['vendor/musl/src/math/'],
    include: ['libc/include', 'vendor/musl/src/internal'],
    cflags: ['-w', '-Dhidden=__attribute__((__visibility__("hidden")))'],
    uses: [],
  },
  h3: {
    doc: "Uber's H3 4.5.0 (vendored, faaslets/c/vendor; h3api.h is its API)",
    sources: ['vendor/h3/lib/'],
    include: ['vendor/h3/include'],
    // -w: its sources are not ours to fix (h3ToString's sprintf, which faaslets do not call, is undeclared here)
    cflags: ['-w'],
    uses: ['libc'],
  },
  hexagons: {
    doc: 'H3 cells written as a features region, boundaries and ids exactly as h3-js returns them (hexagons.h)',
    sources: ['hexagons/'],
    include: ['hexagons'],
    cflags: ['-Wall', '-Wextra', '-Werror'],
    uses: ['h3', 'features'],
  },
  features: {
    doc: 'features regions read with every index checked once (layer.h)',
    sources: ['features/'],
    include: ['features', 'include'],
    cflags: ['-Wall', '-Wextra', '-Werror'],
    uses: [],
  },
}

/**
 * Flags for library sources: hosted C (so clang lowers fabs, sqrt, floor, memcpy … to instructions) without
 * any system header or library (graticule's libc/include stands in), release asserts (NDEBUG), no errno, no
 * fused multiply-add (wasm has none; kept explicit so results never depend on it).
 */
export const LIBRARY_CFLAGS = [
  '--target=wasm32', '-std=c11', '-O3', '-nostdlib', '-nostdlibinc',
  '-mbulk-memory', '-mnontrapping-fptoint', '-msign-ext',
  '-DNDEBUG', '-fno-math-errno', '-ffp-contract=off',
]

/** The libraries `names` need, each once, every library after those it uses. */
export function resolveLibraries(names: string[]): string[] {
  const out: string[] = []
  const visit = (name: string, path: string[]) => {
    const lib = LIBRARIES[name]
    if (!lib) throw new Error(`unknown C library "${name}" (known: ${Object.keys(LIBRARIES).join(', ')})`)
    if (path.includes(name)) throw new Error(`C libraries use each other in a circle: ${[...path, name].join(' → ')}`)
    for (const u of lib.uses) visit(u, [...path, name])
    if (!out.includes(name)) out.push(name)
  }
  for (const n of names) visit(n, [])
  return out
}

/** The include folders of libraries (and of what they use). */
export function includesOf(names: string[]): string[] {
  return [...new Set(resolveLibraries(names).flatMap((n) => LIBRARIES[n].include))]
}
