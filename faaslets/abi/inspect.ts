// Reads what the ABI cares about from a .wasm binary without instantiating it: imports (with memory
// limits and shared-ness), exports, the start function, function counts and the placement of active
// data segments. The build checks every shipped faaslet with it; deploy validation checks users' modules.

export interface MemoryLimits {
  initial: number
  maximum: number | null
  shared: boolean
}

export interface WasmImport {
  module: string
  name: string
  kind: 'function' | 'table' | 'memory' | 'global' | 'tag'
  memory?: MemoryLimits
  typeIndex?: number
}

export interface WasmExport {
  name: string
  kind: 'function' | 'table' | 'memory' | 'global' | 'tag'
  index: number
}

export interface DataSegment {
  /** null for passive segments or offsets that are not a constant */
  offset: number | null
  size: number
  passive: boolean
}

export interface FunctionType {
  params: string[]
  results: string[]
}

export interface CustomSection {
  name: string
  /** payload offset and length within the module bytes */
  offset: number
  length: number
}

export interface WasmInfo {
  types: FunctionType[]
  customSections: CustomSection[]
  imports: WasmImport[]
  exports: WasmExport[]
  /** type index of every function, imported ones first */
  functionTypes: number[]
  importedFunctions: number
  definedFunctions: number
  memories: MemoryLimits[]
  startFunction: number | null
  dataSegments: DataSegment[]
  globalsDefined: number
}

const KINDS = ['function', 'table', 'memory', 'global', 'tag'] as const
const VALTYPES: Record<number, string> = { 0x7f: 'i32', 0x7e: 'i64', 0x7d: 'f32', 0x7c: 'f64', 0x7b: 'v128', 0x70: 'funcref', 0x6f: 'externref' }

class Reader {
  pos = 0
  constructor(readonly bytes: Uint8Array, readonly end = bytes.length) {}

  byte(): number {
    if (this.pos >= this.end) throw new Error(`unexpected end of module at byte ${this.pos}`)
    return this.bytes[this.pos++]
  }

  u32(): number {
    let result = 0
    let shift = 0
    for (;;) {
      const b = this.byte()
      result += (b & 0x7f) * 2 ** shift
      if ((b & 0x80) === 0) break
      shift += 7
      if (shift > 35) throw new Error(`LEB128 too long at byte ${this.pos}`)
    }
    return result
  }

  /** signed LEB128 (i32 constants) */
  s32(): number {
    let result = 0
    let shift = 0
    let b: number
    do {
      b = this.byte()
      result |= (b & 0x7f) << shift
      shift += 7
    } while (b & 0x80 && shift < 35)
    if (shift < 32 && b & 0x40) result |= ~0 << shift
    return result
  }

  skipSigned(): void {
    while (this.byte() & 0x80) { /* continuation bytes */ }
  }

  name(): string {
    const n = this.u32()
    if (this.pos + n > this.end) throw new Error(`name runs past the end at byte ${this.pos}`)
    const s = new TextDecoder('utf-8', { fatal: true }).decode(this.bytes.subarray(this.pos, this.pos + n))
    this.pos += n
    return s
  }

  limits(): MemoryLimits {
    const flags = this.byte()
    const initial = this.u32()
    const maximum = flags & 1 ? this.u32() : null
    return { initial, maximum, shared: (flags & 2) !== 0 }
  }

  valtype(): string {
    const t = this.byte()
    return VALTYPES[t] ?? `0x${t.toString(16)}`
  }

  /** Evaluates a constant expression; returns the i32 value if it is one `i32.const`, else null. */
  constExpr(): number | null {
    let value: number | null = null
    let simple = true
    let first = true
    for (;;) {
      const op = this.byte()
      if (op === 0x0b) break
      if (op === 0x41) {
        const v = this.s32()
        if (first) value = v
        else simple = false
      } else if (op === 0x42) { this.skipSigned(); simple = false }
      else if (op === 0x43) { this.pos += 4; simple = false }
      else if (op === 0x44) { this.pos += 8; simple = false }
      else if (op === 0x23) { this.u32(); simple = false }
      else if (op === 0xd2) { this.u32(); simple = false }
      else if (op === 0xd0) { this.byte(); simple = false }
      else if (op === 0x6a || op === 0x6b || op === 0x6c) { simple = false }
      else throw new Error(`unsupported constant expression opcode 0x${op.toString(16)} at byte ${this.pos - 1}`)
      first = false
    }
    return simple ? value : null
  }
}

export function inspectWasm(bytes: Uint8Array): WasmInfo {
  const r = new Reader(bytes)
  if (bytes.length < 8 || bytes[0] !== 0 || bytes[1] !== 0x61 || bytes[2] !== 0x73 || bytes[3] !== 0x6d) {
    throw new Error('not a WebAssembly module (bad magic)')
  }
  if (bytes[4] !== 1 || bytes[5] !== 0 || bytes[6] !== 0 || bytes[7] !== 0) throw new Error('unsupported WebAssembly version')
  r.pos = 8
  const info: WasmInfo = {
    types: [], customSections: [], imports: [], exports: [], functionTypes: [], importedFunctions: 0, definedFunctions: 0,
    memories: [], startFunction: null, dataSegments: [], globalsDefined: 0,
  }
  while (r.pos < bytes.length) {
    const id = r.byte()
    const size = r.u32()
    const end = r.pos + size
    if (end > bytes.length) throw new Error(`section ${id} runs past the end of the module`)
    const s = new Reader(bytes, end)
    s.pos = r.pos
    switch (id) {
      case 0: {
        const name = s.name()
        info.customSections.push({ name, offset: s.pos, length: end - s.pos })
        break
      }
      case 1: readTypes(s, info); break
      case 2: readImports(s, info); break
      case 3: {
        const n = s.u32()
        for (let i = 0; i < n; i++) info.functionTypes.push(s.u32())
        info.definedFunctions = n
        break
      }
      case 5: {
        const n = s.u32()
        for (let i = 0; i < n; i++) info.memories.push(s.limits())
        break
      }
      case 6: info.globalsDefined = s.u32(); break
      case 7: {
        const n = s.u32()
        for (let i = 0; i < n; i++) {
          const name = s.name()
          const kind = KINDS[s.byte()] ?? 'function'
          info.exports.push({ name, kind, index: s.u32() })
        }
        break
      }
      case 8: info.startFunction = s.u32(); break
      case 11: readData(s, info); break
      default: break
    }
    r.pos = end
  }
  return info
}

function readTypes(s: Reader, info: WasmInfo): void {
  const n = s.u32()
  for (let i = 0; i < n; i++) {
    const form = s.byte()
    if (form !== 0x60) throw new Error(`unsupported type form 0x${form.toString(16)}`)
    const params: string[] = []
    const results: string[] = []
    for (let p = s.u32(); p > 0; p--) params.push(s.valtype())
    for (let q = s.u32(); q > 0; q--) results.push(s.valtype())
    info.types.push({ params, results })
  }
}

function readImports(s: Reader, info: WasmInfo): void {
  const n = s.u32()
  for (let i = 0; i < n; i++) {
    const module = s.name()
    const name = s.name()
    const kindByte = s.byte()
    const kind = KINDS[kindByte]
    if (!kind) throw new Error(`unknown import kind ${kindByte}`)
    const imp: WasmImport = { module, name, kind }
    if (kind === 'function') {
      imp.typeIndex = s.u32()
      info.functionTypes.push(imp.typeIndex)
      info.importedFunctions++
    } else if (kind === 'table') {
      s.byte()
      s.limits()
    } else if (kind === 'memory') {
      imp.memory = s.limits()
    } else if (kind === 'global') {
      s.byte()
      s.byte()
    } else {
      s.byte()
      s.u32()
    }
    info.imports.push(imp)
  }
}

function readData(s: Reader, info: WasmInfo): void {
  const n = s.u32()
  for (let i = 0; i < n; i++) {
    const flags = s.u32()
    let offset: number | null = null
    const passive = flags === 1
    if (flags === 0) offset = s.constExpr()
    else if (flags === 2) {
      s.u32()
      offset = s.constExpr()
    } else if (flags !== 1) throw new Error(`unknown data segment flags ${flags}`)
    const size = s.u32()
    s.pos += size
    info.dataSegments.push({ offset, size, passive })
  }
}

/** The first byte after every active data segment, or 0 without any. */
export function dataEnd(info: WasmInfo): number {
  let end = 0
  for (const seg of info.dataSegments) if (seg.offset !== null) end = Math.max(end, (seg.offset >>> 0) + seg.size)
  return end
}

/** The payload of the first custom section called `name`, or null. */
export function customSection(bytes: Uint8Array, name: string): Uint8Array | null {
  const c = inspectWasm(bytes).customSections.find((x) => x.name === name)
  return c ? bytes.subarray(c.offset, c.offset + c.length) : null
}

function leb(n: number): number[] {
  const out: number[] = []
  do {
    let b = n & 0x7f
    n >>>= 7
    if (n !== 0) b |= 0x80
    out.push(b)
  } while (n !== 0)
  return out
}

/** The module with a custom section `name` appended (custom sections may come anywhere). */
export function withCustomSection(bytes: Uint8Array, name: string, payload: Uint8Array): Uint8Array {
  const nameBytes = new TextEncoder().encode(name)
  const body = [...leb(nameBytes.length), ...nameBytes]
  const size = body.length + payload.length
  const head = [0, ...leb(size), ...body]
  const out = new Uint8Array(bytes.length + head.length + payload.length)
  out.set(bytes)
  out.set(head, bytes.length)
  out.set(payload, bytes.length + head.length)
  return out
}
