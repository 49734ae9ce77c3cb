// The ABI's rules for a module, checked on its bytes before it is ever instantiated (faaslets/ABI.md).
// Used on every shipped faaslet at build time and on every module a user deploys.
import { inspectWasm, type WasmInfo } from './inspect.js'
import { ABI_VERSION } from './layout.js'

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

export { ABI_VERSION }
