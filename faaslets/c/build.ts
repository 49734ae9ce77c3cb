// Builds the C faaslets: faaslets/c/<name>/*.c → faaslets/build/<name>.wasm (where the catalog loads it),
// for the slot in faaslets/manifests/<name>.json, and checks the binary before anything may load it.
// Without clang it copies the shipped prebuilt faaslets/c/<name>.wasm instead, after the same checks.
// Deterministic: the same sources and clang give the same bytes.
//
//   tsx faaslets/c/build.ts [names…]        build (or copy the prebuilt) into faaslets/build/
//   tsx faaslets/c/build.ts --ship          also overwrite the shipped prebuilt faaslets/c/<name>.wasm
//   tsx faaslets/c/build.ts --prebuilt      copy the prebuilt even when clang is installed
//   CLANG=/path/to/clang                    the compiler (default: clang on the PATH; wasm-ld next to it)
//
// Why the flags (faaslets/ABI.md §1–2, faaslets/README.md "C"):
//   --target=wasm32 -ffreestanding -nostdlib   no libc, no runtime that owns memory; graticule.h is all
//   -mbulk-memory                              memcpy/memset become memory.copy/fill (no libc needed)
//   --import-memory --max-memory=4 GiB         env.memory with a maximum of 65536 pages
//   --initial-memory=(slot + 1) · 128 KiB      initial pages end at the slot (any arena links the module)
//   --global-base=slot · 128 KiB               .rodata starts at the slot base; the tiny unused wasm-ld
//   -z stack-size=1024                           stack follows it (gr_run moves the stack, graticule.h)
//   --no-entry                                 no _start, no start function
// and NOT --shared-memory: with it wasm-ld turns every data segment passive and adds a start function,
// __wasm_init_memory, to copy them in once — which the ABI refuses (a start function runs unbounded at
// instantiation; shipped data must be active segments the host can place). The module is linked against
// an unshared import and its memory import is then marked shared, a one-byte change of its limits flags
// (markMemoryShared). The faaslet uses no atomics, so nothing else depends on it.
import { spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { devNull, tmpdir } from 'node:os'
import { join, relative, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { customSection, withCustomSection } from '../abi/inspect.js'
import { STATIC_SLOT_BYTES } from '../abi/layout.js'
import type { Manifest } from '../abi/manifest.js'
import { checkModule, checkWasmLdModule, wasmLdFlags } from '../abi/validate.js'
import { ROOT } from '../catalog.js'
import { MANIFEST_SECTION } from '../deploy.js'
import { abiHeader, HEADER_PATH } from './abi-header.js'
import { includesOf, LIBRARIES, LIBRARY_CFLAGS, resolveLibraries } from './libraries.js'

export const C_DIR = join(ROOT, 'faaslets/c')

/** The C faaslets: folders of faaslets/c holding .c files and named by a manifest (the rest are libraries). */
export function cFaaslets(): string[] {
  return readdirSync(C_DIR, { withFileTypes: true })
    .filter((d) => d.isDirectory() && existsSync(join(ROOT, 'faaslets/manifests', `${d.name}.json`)))
    .filter((d) => readdirSync(join(C_DIR, d.name)).some((f) => f.endsWith('.c')))
    .map((d) => d.name)
    .sort()
}

/** The libraries faaslets/c/<name>/build.json says the faaslet uses (none without the file). */
export function librariesOf(name: string): string[] {
  const file = join(C_DIR, name, 'build.json')
  if (!existsSync(file)) return []
  const { uses } = JSON.parse(readFileSync(file, 'utf8')) as { uses?: string[] }
  return resolveLibraries(uses ?? [])
}

export function manifestOf(name: string): Manifest {
  return JSON.parse(readFileSync(join(ROOT, 'faaslets/manifests', `${name}.json`), 'utf8')) as Manifest
}

export const prebuiltPath = (name: string) => join(C_DIR, `${name}.wasm`)
export const builtPath = (name: string) => join(ROOT, 'faaslets/build', `${name}.wasm`)

/** The clang and wasm-ld to use, or null when there is no clang that targets wasm32 with a wasm-ld. */
export function findClang(): { clang: string; wasmLd: string; version: string } | null {
  const clang = process.env.CLANG || 'clang'
  const v = spawnSync(clang, ['--version'], { encoding: 'utf8' })
  if (v.status !== 0) return null
  const ld = spawnSync(clang, ['--target=wasm32', '-print-prog-name=wasm-ld'], { encoding: 'utf8' })
  const wasmLd = ld.status === 0 && ld.stdout.trim() ? ld.stdout.trim() : 'wasm-ld'
  if (spawnSync(wasmLd, ['--version'], { encoding: 'utf8' }).status !== 0) return null
  // a clang built without the WebAssembly backend (some vendors') cannot: then the prebuilt it is
  const probe = spawnSync(clang, ['--target=wasm32', '-ffreestanding', '-c', '-x', 'c', '-', '-o', devNull], { input: 'int x;', encoding: 'utf8' })
  if (probe.status !== 0) return null
  return { clang, wasmLd, version: v.stdout.split('\n')[0].trim() }
}

export const CFLAGS = [
  '--target=wasm32', '-std=c11', '-O3', '-ffreestanding', '-nostdlib',
  '-mbulk-memory', '-mnontrapping-fptoint', '-msign-ext',
  '-Wall', '-Wextra', '-Werror', '-Iinclude',
]

/** The wasm-ld flags for the manifest's slot: one list, which deploy's refusals quote too (abi/validate.ts). */
export function linkFlags(m: Manifest): string[] {
  return wasmLdFlags(m.slot)
}

/**
 * Compiles faaslets/c/<name>/*.c, with the libraries it uses, into the module the catalog loads (memory marked
 * shared, manifest embedded). clang compiles (-c) and wasm-ld links, separately: linking through the clang
 * driver would also run whatever `wasm-opt` is on the PATH (npm puts binaryen's there), so the bytes would
 * depend on it. wasm-ld keeps only the library functions the faaslet reaches.
 */
export function compileC(name: string, tool = findClang()): Uint8Array {
  const dir = join(C_DIR, name)
  const sources = readdirSync(dir).filter((f) => f.endsWith('.c')).sort().map((f) => join(dir, f))
  return compileSources(sources, manifestOf(name), tool, [], librariesOf(name))
}

const cFiles = (entry: string): string[] =>
  entry.endsWith('/')
    ? readdirSync(join(C_DIR, entry)).filter((f) => f.endsWith('.c')).sort().map((f) => join(C_DIR, entry, f))
    : [join(C_DIR, entry)]

/** Compiles and links C sources (any folder; graticule.h on the include path) for manifest m's slot. */
export function compileSources(sources: string[], m: Manifest, tool = findClang(), extraFlags: string[] = [], libraries: string[] = []): Uint8Array {
  if (!tool) throw new Error('no clang with a wasm32 target and wasm-ld')
  const dir = mkdtempSync(join(tmpdir(), `graticule-c-${m.name}-`))
  try {
    let n = 0
    const compile = (src: string, flags: string[]) => {
      const obj = join(dir, `${n++}.o`)
      // relative to faaslets/c, so no absolute path can reach the object (none does without -g anyway)
      const res = spawnSync(tool.clang, [...flags, '-c', '-o', obj, relative(C_DIR, src)], { cwd: C_DIR, encoding: 'utf8' })
      if (res.status !== 0) throw new Error(`${m.name}: clang failed on ${src}\n${res.stderr}${res.stdout}`)
      return obj
    }
    const includeFlags = (dirs: string[]) => dirs.flatMap((d) => (d === 'libc/include' ? ['-isystem', d] : ['-I', d]))
    const objects = sources.map((src) => compile(src, [...CFLAGS, ...includeFlags(includesOf(libraries)), ...extraFlags]))
    for (const name of libraries) {
      const lib = LIBRARIES[name]
      const flags = [...LIBRARY_CFLAGS, ...includeFlags(includesOf([name])), ...lib.cflags]
      for (const entry of lib.sources) for (const src of cFiles(entry)) objects.push(compile(src, flags))
    }
    const out = join(dir, `${m.name}.wasm`)
    const res = spawnSync(tool.wasmLd, [...linkFlags(m), '-o', out, ...objects], { encoding: 'utf8' })
    if (res.status !== 0) throw new Error(`${m.name}: wasm-ld failed\n${res.stderr}${res.stdout}`)
    return withManifest(markMemoryShared(new Uint8Array(readFileSync(out))), m)
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

function readLeb(b: Uint8Array, pos: number): [number, number] {
  let result = 0, shift = 0, v: number
  do {
    v = b[pos++]
    result += (v & 0x7f) * 2 ** shift
    shift += 7
  } while (v & 0x80)
  return [result, pos]
}

/** Sets the `shared` bit of the env.memory import's limits (it must already declare a maximum). */
export function markMemoryShared(bytes: Uint8Array): Uint8Array {
  const out = new Uint8Array(bytes)
  let pos = 8
  while (pos < out.length) {
    const id = out[pos++]
    let size: number
    ;[size, pos] = readLeb(out, pos)
    const end = pos + size
    if (id === 2) {
      let n: number
      ;[n, pos] = readLeb(out, pos)
      for (; n > 0; n--) {
        const names: string[] = []
        for (let k = 0; k < 2; k++) {
          let len: number
          ;[len, pos] = readLeb(out, pos)
          names.push(new TextDecoder().decode(out.subarray(pos, pos + len)))
          pos += len
        }
        const kind = out[pos++]
        if (kind === 2 && names[0] === 'env' && names[1] === 'memory') {
          if ((out[pos] & 1) === 0) throw new Error('env.memory has no maximum: link with --max-memory')
          out[pos] |= 2
          return out
        }
        // skip the import's description
        if (kind === 0) pos = readLeb(out, pos)[1]
        else if (kind === 1) { pos++; const f = out[pos++]; pos = readLeb(out, pos)[1]; if (f & 1) pos = readLeb(out, pos)[1] }
        else if (kind === 2) { const f = out[pos++]; pos = readLeb(out, pos)[1]; if (f & 1) pos = readLeb(out, pos)[1] }
        else if (kind === 3) pos += 2
        else throw new Error(`unknown import kind ${kind}`)
      }
    }
    pos = end
  }
  throw new Error('the module does not import env.memory')
}

/** The module with its manifest appended as the custom section graticule.manifest (what deploy reads). */
export function withManifest(bytes: Uint8Array, m: Manifest): Uint8Array {
  return withCustomSection(bytes, MANIFEST_SECTION, new TextEncoder().encode(JSON.stringify(m)))
}

/** Every reason the module may not ship as `name`: the ABI, its slot, its stack, its data, its manifest. */
export function checkC(name: string, bytes: Uint8Array): string[] {
  const m = manifestOf(name)
  const base = m.slot * STATIC_SLOT_BYTES
  const slot: [number, number] = [base, base + STATIC_SLOT_BYTES]
  const problems = checkModule(bytes, { staticRange: slot })
  if (problems.length) return problems
  problems.push(...checkWasmLdModule(bytes, m.slot)) // the C rules deploy applies too
  const embedded = customSection(bytes, MANIFEST_SECTION)
  if (!embedded) problems.push(`no ${MANIFEST_SECTION} section`)
  else if (new TextDecoder().decode(embedded) !== JSON.stringify(m)) problems.push(`its ${MANIFEST_SECTION} section is not faaslets/manifests/${name}.json: the module predates the manifest`)
  return problems
}

/** "clang 14.0.6" from the producers section, or null. */
export function producedBy(bytes: Uint8Array): string | null {
  const p = customSection(bytes, 'producers')
  if (!p) return null
  const text = new TextDecoder().decode(p)
  const m = /clang\s*.{0,2}?([0-9][0-9.]*)/.exec(text)
  return m ? `clang ${m[1]}` : null
}

function main(): void {
  const args = process.argv.slice(2)
  const ship = args.includes('--ship')
  const forcePrebuilt = args.includes('--prebuilt')
  const wanted = args.filter((a) => !a.startsWith('--'))
  const names = cFaaslets().filter((n) => wanted.length === 0 || wanted.includes(n))
  const tool = forcePrebuilt ? null : findClang()
  mkdirSync(join(ROOT, 'faaslets/build'), { recursive: true })

  const header = abiHeader()
  const headerStale = !existsSync(HEADER_PATH) || readFileSync(HEADER_PATH, 'utf8') !== header
  if (headerStale && tool) writeFileSync(HEADER_PATH, header)
  const started = Date.now()
  for (const name of names) {
    let bytes: Uint8Array
    let how: string
    if (tool) {
      bytes = compileC(name, tool)
      how = `compiled with ${tool.version}`
    } else {
      if (headerStale) throw new Error(`${name}: faaslets/abi/layout.ts changed since the prebuilt ${name}.wasm was built; rebuild it with clang: tsx faaslets/c/build.ts --ship`)
      if (!existsSync(prebuiltPath(name))) throw new Error(`${name}: no clang and no prebuilt faaslets/c/${name}.wasm`)
      bytes = new Uint8Array(readFileSync(prebuiltPath(name)))
      how = forcePrebuilt ? 'the shipped prebuilt' : 'the shipped prebuilt (clang not found)'
    }
    const problems = checkC(name, bytes)
    if (problems.length) throw new Error(`${name}: refused:\n  ${problems.join('\n  ')}`)
    writeFileSync(builtPath(name), bytes)
    if (tool && ship) writeFileSync(prebuiltPath(name), bytes)
    else if (tool && existsSync(prebuiltPath(name))) {
      const shipped = new Uint8Array(readFileSync(prebuiltPath(name)))
      if (Buffer.compare(Buffer.from(shipped), Buffer.from(bytes)) !== 0) {
        console.warn(`faaslets/c: ${name}.wasm differs from the shipped prebuilt (built by ${producedBy(shipped) ?? 'an unknown compiler'}); \`tsx faaslets/c/build.ts --ship\` replaces it`)
      }
    }
    console.log(`faaslets/c: ${name} → faaslets/build/${name}.wasm (${bytes.length} bytes, ${how})`)
  }
  console.log(`faaslets/c: built ${names.join(', ')} in ${Date.now() - started} ms`)
}

if (process.argv[1] && fileURLToPath(import.meta.url) === resolve(process.argv[1])) main()
