// The ABI's rules for a module, checked on its bytes before it is ever instantiated (faaslets/ABI.md).
// Used on every shipped faaslet at build time and on every module a user deploys — and, for modules
// clang/wasm-ld linked, the C rules (stack, data, layout) the C build and deploy share.
import { checkStackAndData, globalNames } from './stack-check.js'
import { inspectWasm, type WasmInfo } from './inspect.js'
import { ABI_VERSION, PAGE_SIZE, STATIC_SLOT_BYTES } from './layout.js'

export interface CheckOptions {
  /** [start, end): where the module's active data segments must lie */
  staticRange?: [number, number]
  maxBytes?: number
  maxFunctions?: number
}

export const ALLOWED_IMPORTS: Record<string, string> = {
  'env.memory': 'memory',
  'graticule.alloc': 'function (i32, i32) -> i32',
}

const sig = (info: WasmInfo, typeIndex: number | undefined) => {
  const t = typeIndex === undefined ? undefined : info.types[typeIndex]
  return t ? `function (${t.params.join(', ')}) -> ${t.results.join(', ') || 'void'}` : 'function ?'
}

/** Every way the module breaks the ABI, as sentences; empty when it conforms. */
export function checkModule(bytes: Uint8Array, opts: CheckOptions = {}): string[] {
  const problems: string[] = []
  if (opts.maxBytes !== undefined && bytes.length > opts.maxBytes) problems.push(`module is ${bytes.length} bytes, the limit is ${opts.maxBytes}`)
  let info: WasmInfo
  try {
    info = inspectWasm(bytes)
  } catch (e) {
    return [...problems, `not a valid WebAssembly module: ${(e as Error).message}`]
  }
  if (!WebAssembly.validate(bytes as Uint8Array<ArrayBuffer>)) problems.push('the engine rejects the module (WebAssembly.validate failed)')

  let memory = false
  for (const imp of info.imports) {
    const key = `${imp.module}.${imp.name}`
    const allowed = ALLOWED_IMPORTS[key]
    if (!allowed) {
      problems.push(`imports ${key} (${imp.kind}); the ABI allows only ${Object.keys(ALLOWED_IMPORTS).join(', ')}`)
      continue
    }
    if (imp.kind === 'memory' && allowed === 'memory') {
      memory = true
      const m = imp.memory!
      if (!m.shared) problems.push('imports env.memory unshared; it must be a shared memory')
      if (m.maximum === null) problems.push('imports env.memory without a maximum; declare 65536 pages')
      else if (m.maximum < 65536) problems.push(`imports env.memory with maximum ${m.maximum} pages; declare 65536 so any tenant arena links`)
    } else if (imp.kind === 'function') {
      const got = sig(info, imp.typeIndex)
      if (got !== allowed) problems.push(`imports ${key} as ${got}; expected ${allowed}`)
    } else {
      problems.push(`imports ${key} as a ${imp.kind}; expected ${allowed}`)
    }
  }
  if (!memory) problems.push('does not import env.memory (the tenant arena)')
  if (info.memories.length > 0) problems.push('defines its own memory; it must import env.memory')
  if (info.exports.some((e) => e.kind === 'memory')) problems.push('exports a memory; the arena belongs to the host')
  if (info.startFunction !== null) problems.push('has a start function; initialisation must happen inside gr_run (a start function runs unbounded at instantiation)')

  const fn = (name: string) => info.exports.find((e) => e.name === name && e.kind === 'function')
  const version = fn('gr_abi_version')
  const run = fn('gr_run')
  if (!version) problems.push('does not export function gr_abi_version () -> i32')
  else if (sig(info, info.functionTypes[version.index]) !== 'function () -> i32') problems.push(`gr_abi_version is ${sig(info, info.functionTypes[version.index])}; expected function () -> i32`)
  if (!run) problems.push('does not export function gr_run (i32) -> i32')
  else if (sig(info, info.functionTypes[run.index]) !== 'function (i32) -> i32') problems.push(`gr_run is ${sig(info, info.functionTypes[run.index])}; expected function (i32) -> i32`)

  const total = info.importedFunctions + info.definedFunctions
  if (opts.maxFunctions !== undefined && total > opts.maxFunctions) problems.push(`has ${total} functions, the limit is ${opts.maxFunctions}`)

  for (const seg of info.dataSegments) {
    if (seg.passive) continue
    if (seg.offset === null) { problems.push('has a data segment at a non-constant offset'); continue }
    const start = seg.offset >>> 0
    if (opts.staticRange) {
      const [lo, hi] = opts.staticRange
      if (start < lo || start + seg.size > hi) problems.push(`data segment [${start}, ${start + seg.size}) lies outside its static slot [${lo}, ${hi})`)
    }
  }
  return problems
}

/** wasm-ld's own stack, kept tiny: it only places __stack_pointer's initial value inside the slot, since gr_run switches first. */
const WASM_LD_STACK_BYTES = 1024

/** The wasm-ld flags that lay a module out in static slot `slot` (faaslets/c/build.ts links with these). */
export function wasmLdFlags(slot: number): string[] {
  const base = slot * STATIC_SLOT_BYTES
  return [
    '--no-entry', '--import-memory',
    `--initial-memory=${base + STATIC_SLOT_BYTES}`, `--max-memory=${65536 * PAGE_SIZE}`,
    `--global-base=${base}`, '-z', `stack-size=${WASM_LD_STACK_BYTES}`,
  ]
}

/**
 * Whether clang/wasm-ld (C, Rust, Zig) linked the module: it names wasm-ld's __stack_pointer global, or its
 * producers or target_features section says so. A module stripped of every custom section cannot be told
 * apart from AssemblyScript's, whose shadow stack the ABI allows (ABI.md §2).
 */
export function linkedByWasmLd(bytes: Uint8Array): boolean {
  let info: WasmInfo
  try {
    info = inspectWasm(bytes)
  } catch {
    return false
  }
  if (info.customSections.some((c) => c.name === 'target_features')) return true
  const producers = info.customSections.find((c) => c.name === 'producers')
  if (producers && /clang|rustc|zig|emscripten/i.test(new TextDecoder().decode(bytes.subarray(producers.offset, producers.offset + producers.length)))) return true
  try {
    return globalNames(bytes).includes('__stack_pointer')
  } catch {
    return false
  }
}

/**
 * The C build's rules for a module wasm-ld linked for static slot `slot`, on top of checkModule: initial
 * memory within the slot, __stack_pointer starting inside the slot and switched to invocation memory by
 * gr_run before anything uses it, read-only data (faaslets/abi/stack-check.ts). Every instance of a module
 * shares its slot, so a stack left there — or placed elsewhere by another layout (--stack-first puts it
 * at address 0..stack-size) — has two invocations, or two faaslets, write each other's frames.
 */
export function checkWasmLdModule(bytes: Uint8Array, slot: number): string[] {
  const [lo, hi] = [slot * STATIC_SLOT_BYTES, (slot + 1) * STATIC_SLOT_BYTES]
  let info: WasmInfo
  try {
    info = inspectWasm(bytes)
  } catch (e) {
    return [`not a valid WebAssembly module: ${(e as Error).message}`]
  }
  const problems: string[] = []
  if (!info.customSections.some((c) => c.name === 'name')) problems.push('has no name section, which the stack and data checks read (linked with --strip-all?)')
  const mem = info.imports.find((i) => i.kind === 'memory')?.memory
  if (mem && mem.initial * PAGE_SIZE > hi) problems.push(`env.memory starts with ${mem.initial} pages, past the end of slot ${slot}`)
  problems.push(...checkStackAndData(bytes, [lo, hi]).problems)
  if (problems.length) {
    problems.push(`to fix: give gr_run its own stack with GR_FAASLET(run) from graticule.h, compile with clang -O1 or more, keep statics const, and link for slot ${slot} with wasm-ld ${wasmLdFlags(slot).join(' ')} (not --stack-first, --strip-all or --shared-memory; faaslets/README.md "Building C")`)
  }
  return problems
}

export { ABI_VERSION }
