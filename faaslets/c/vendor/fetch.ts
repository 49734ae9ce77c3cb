// Reproduces the vendored C libraries under faaslets/c/vendor/ from their published sources: downloads each
// pinned archive, checks its sha256, extracts the files the faaslets build from, applies the edits the ABI
// needs (SOURCES below, each one written out), and writes SHA256SUMS for the result. The build never
// downloads anything; tests/faaslets/c-vendor.test.ts checks the vendored files against SHA256SUMS, so a hand
// edit shows up as a failure rather than as a silent fork.
//
//   tsx faaslets/c/vendor/fetch.ts            re-vendor (network: PyPI and Debian's archive)
//   tsx faaslets/c/vendor/fetch.ts --check    only compare the vendored tree with SHA256SUMS
import { spawnSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, relative, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

export const VENDOR_DIR = dirname(fileURLToPath(import.meta.url))
export const SUMS_FILE = join(VENDOR_DIR, 'SHA256SUMS')

interface Source {
  /** folder under faaslets/c/vendor */
  name: string
  url: string
  sha256: string
  /** archive path → vendored path (relative to the folder); a path ending in / copies that folder's files */
  files: Record<string, string>
  /** edits applied after extraction: [vendored file, what, from, to] — each must match exactly once */
  edits: [string, string, RegExp, string][]
  /** files generated from templates: [vendored file, template path in the archive, substitutions] */
  templates?: [string, string, Record<string, string>][]
}

/** Uber's H3 4.5.0 (Apache-2.0): the C library inside the Python binding's sdist (src/h3lib). */
const H3: Source = {
  name: 'h3',
  url: 'https://files.pythonhosted.org/packages/2d/1c/12f1e2842d6493de4dd8244538c30a556712e9a6b25c5151a0e0e522a67e/h3-4.5.0.tar.gz',
  sha256: 'a1e279a1674fc799445c710e35bc4b1b388a406c881d8b5e59a9b8bebeb5bb43',
  files: {
    'h3-4.5.0/src/h3lib/LICENSE': 'LICENSE',
    'h3-4.5.0/src/h3lib/VERSION': 'VERSION',
    'h3-4.5.0/src/h3lib/src/h3lib/lib/': 'lib/',
    'h3-4.5.0/src/h3lib/src/h3lib/include/': 'include/',
  },
  templates: [
    // what CMake's configure_file does with the version from VERSION
    ['include/h3api.h', 'h3-4.5.0/src/h3lib/src/h3lib/include/h3api.h.in',
      { '@H3_VERSION_MAJOR@': '4', '@H3_VERSION_MINOR@': '5', '@H3_VERSION_PATCH@': '0' }],
  ],
  // The ABI makes a module's static data read-only (every instance of every worker shares it; the build
  // refuses .data and .bss). These five tables are never written, but are not declared const, so they
  // would land in .data: declaring them const is the only change to H3's code.
  edits: [
    ['lib/polyfill.c', 'MAX_EDGE_LENGTH_RADS is read-only', /^static double MAX_EDGE_LENGTH_RADS\[/m, 'static const double MAX_EDGE_LENGTH_RADS['],
    ['lib/polyfill.c', 'NORTH_POLE_CELLS is read-only', /^static H3Index NORTH_POLE_CELLS\[/m, 'static const H3Index NORTH_POLE_CELLS['],
    ['lib/polyfill.c', 'SOUTH_POLE_CELLS is read-only', /^static H3Index SOUTH_POLE_CELLS\[/m, 'static const H3Index SOUTH_POLE_CELLS['],
    ['lib/polyfill.c', 'RES0_BBOXES is read-only', /^static BBox RES0_BBOXES\[/m, 'static const BBox RES0_BBOXES['],
    ['lib/polyfill.c', 'VALID_RANGE_BBOX is read-only', /^static BBox VALID_RANGE_BBOX /m, 'static const BBox VALID_RANGE_BBOX '],
    ['lib/polyfill.c', 'MAX_SIZE_CELL_THRESHOLD is read-only', /^static int MAX_SIZE_CELL_THRESHOLD /m, 'static const int MAX_SIZE_CELL_THRESHOLD '],
  ],
}

/** musl 1.2.3's libm (MIT; FreeBSD/fdlibm code under its own notices, listed in COPYRIGHT): the functions
 *  H3 calls that WebAssembly has no instruction for, and the kernels they use. Debian's copy of the release. */
const MUSL_MATH = ['sin', 'cos', 'tan', '__sin', '__cos', '__tan', '__rem_pio2', '__rem_pio2_large', 'asin', 'acos', 'atan', 'atan2', 'round', 'lround', 'fmin', 'fmax', 'scalbn']
const MUSL: Source = {
  name: 'musl',
  url: 'https://deb.debian.org/debian/pool/main/m/musl/musl_1.2.3.orig.tar.gz',
  sha256: '7d5b0b6062521e4627e099e4c9dc8248d32a30285e959b7eecaa780cf8cfd4a4',
  files: {
    'musl-1.2.3/COPYRIGHT': 'COPYRIGHT',
    'musl-1.2.3/VERSION': 'VERSION',
    'musl-1.2.3/src/internal/libm.h': 'src/internal/libm.h',
    'musl-1.2.3/arch/generic/fp_arch.h': 'src/internal/fp_arch.h',
    ...Object.fromEntries(MUSL_MATH.map((f) => [`musl-1.2.3/src/math/${f}.c`, `src/math/${f}.c`])),
  },
  edits: [],
}

export const SOURCES = [H3, MUSL]

const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex')

function listFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f)
    return statSync(p).isDirectory() ? listFiles(p) : [p]
  })
}

/** Every vendored file (SHA256SUMS and this script excepted) with its sha256, sorted by path. */
export function vendoredSums(): string {
  return SOURCES.flatMap((s) => listFiles(join(VENDOR_DIR, s.name)))
    .map((p) => `${sha256(readFileSync(p))}  ${relative(VENDOR_DIR, p)}`)
    .sort((a, b) => a.slice(66).localeCompare(b.slice(66)))
    .join('\n') + '\n'
}

async function vendor(s: Source): Promise<void> {
  const res = await fetch(s.url)
  if (!res.ok) throw new Error(`${s.url}: HTTP ${res.status}`)
  const archive = new Uint8Array(await res.arrayBuffer())
  const got = sha256(archive)
  if (got !== s.sha256) throw new Error(`${s.url}: sha256 ${got}, expected ${s.sha256}`)
  const tmp = mkdtempSync(join(tmpdir(), `graticule-vendor-${s.name}-`))
  try {
    writeFileSync(join(tmp, 'archive.tar.gz'), archive)
    const tar = spawnSync('tar', ['xzf', 'archive.tar.gz'], { cwd: tmp, encoding: 'utf8' })
    if (tar.status !== 0) throw new Error(`tar: ${tar.stderr}`)
    const out = join(VENDOR_DIR, s.name)
    rmSync(out, { recursive: true, force: true })
    for (const [from, to] of Object.entries(s.files)) {
      const copies = from.endsWith('/')
        ? readdirSync(join(tmp, from)).filter((f) => !f.endsWith('.in')).map((f) => [join(tmp, from, f), join(out, to, f)])
        : [[join(tmp, from), join(out, to)]]
      for (const [src, dst] of copies) {
        mkdirSync(dirname(dst), { recursive: true })
        writeFileSync(dst, readFileSync(src))
      }
    }
    for (const [to, template, subs] of s.templates ?? []) {
      let text = readFileSync(join(tmp, template), 'utf8')
      for (const [k, v] of Object.entries(subs)) text = text.split(k).join(v)
      if (text.includes('@H3_')) throw new Error(`${template}: a substitution is missing`)
      writeFileSync(join(out, to), text)
    }
    for (const [file, what, from, to] of s.edits) {
      const p = join(out, file)
      const text = readFileSync(p, 'utf8')
      const matches = text.match(new RegExp(from.source, from.flags + 'g'))?.length ?? 0
      if (matches !== 1) throw new Error(`${s.name}/${file}: the edit "${what}" matches ${matches} times`)
      writeFileSync(p, text.replace(from, to))
    }
    console.log(`vendor: ${s.name} from ${s.url} (sha256 checked), ${listFiles(out).length} files, ${s.edits.length} edits`)
  } finally {
    rmSync(tmp, { recursive: true, force: true })
  }
}

async function main(): Promise<void> {
  if (process.argv.includes('--check')) {
    const same = readFileSync(SUMS_FILE, 'utf8') === vendoredSums()
    console.log(same ? 'vendor: the vendored files match SHA256SUMS' : 'vendor: the vendored files differ from SHA256SUMS')
    process.exit(same ? 0 : 1)
  }
  for (const s of SOURCES) await vendor(s)
  writeFileSync(SUMS_FILE, vendoredSums())
}

if (process.argv[1] && fileURLToPath(import.meta.url) === resolve(process.argv[1])) await main()
