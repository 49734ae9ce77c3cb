// What faaslets/abi/validate.ts cannot see from a module's sections alone, for modules built by clang/
// wasm-ld (C, Rust, Zig): whether a linear-memory stack could be shared by two instances, and whether
// static data could be written.
//
//   - Every instance of a module shares its static slot, and wasm-ld puts the stack (__stack_pointer's
//     initial value) there. So either no function touches __stack_pointer at all, or gr_run switches it
//     to memory of the invocation first: before its first `global.set __stack_pointer`, gr_run may only
//     call imports (graticule.alloc) and may read the pointer only to save it in a local it does not
//     read until after the switch; it sets the pointer exactly twice (switch, restore). gr_abi_version
//     calls nothing and does not touch it. No other function is exported, so nothing else can run first.
//   - Data segments come from .rodata only (the name section says so): no .data or .bss, whose bytes
//     every instantiation would rewrite under running instances.
//
// It decodes function bodies (MVP, bulk memory, non-trapping conversions, sign extension, SIMD, atomics
// opcodes); anything else is reported rather than guessed.
import { inspectWasm } from './inspect.js'

interface Instr { op: number; sub?: number; index?: number }

class Reader {
  constructor(readonly b: Uint8Array, public pos: number, readonly end: number) {}
  byte(): number {
    if (this.pos >= this.end) throw new Error(`unexpected end at byte ${this.pos}`)
    return this.b[this.pos++]
  }
  u32(): number {
    let result = 0
    let shift = 0
    for (;;) {
      const v = this.byte()
      result += (v & 0x7f) * 2 ** shift
      if (!(v & 0x80)) return result
      shift += 7
      if (shift > 35) throw new Error(`LEB128 too long at byte ${this.pos}`)
    }
  }
  skipLeb(): void {
    while (this.byte() & 0x80) { /* continuation */ }
  }
  skip(n: number): void {
    this.pos += n
    if (this.pos > this.end) throw new Error(`unexpected end at byte ${this.pos}`)
  }
  name(): string {
    const n = this.u32()
    const s = new TextDecoder().decode(this.b.subarray(this.pos, this.pos + n))
    this.skip(n)
    return s
  }
}

function memarg(r: Reader): void {
  r.u32()
  r.u32()
}

/** The instructions of one function body (locals skipped); only the operands the checks need are kept. */
export function decodeBody(b: Uint8Array, start: number, end: number): Instr[] {
  const r = new Reader(b, start, end)
  for (let groups = r.u32(); groups > 0; groups--) {
    r.u32()
    r.byte()
  }
  const out: Instr[] = []
  while (r.pos < end) {
    const op = r.byte()
    const at = r.pos - 1
    if (op === 0x02 || op === 0x03 || op === 0x04) {
      const t = r.b[r.pos]
      if (t === 0x40 || (t >= 0x7b && t <= 0x7f) || t === 0x70 || t === 0x6f) r.skip(1)
      else r.skipLeb() // a type index (s33)
      out.push({ op })
    } else if (op === 0x0c || op === 0x0d) { r.u32(); out.push({ op }) }
    else if (op === 0x0e) { for (let n = r.u32() + 1; n > 0; n--) r.u32(); out.push({ op }) }
    else if (op === 0x10) out.push({ op, index: r.u32() })
    else if (op === 0x11) { r.u32(); r.u32(); out.push({ op }) }
    else if (op === 0x1c) { for (let n = r.u32(); n > 0; n--) r.byte(); out.push({ op }) }
    else if (op >= 0x20 && op <= 0x26) out.push({ op, index: r.u32() })
    else if (op >= 0x28 && op <= 0x3e) { memarg(r); out.push({ op }) }
    else if (op === 0x3f || op === 0x40) { r.byte(); out.push({ op }) }
    else if (op === 0x41 || op === 0x42) { r.skipLeb(); out.push({ op }) }
    else if (op === 0x43) { r.skip(4); out.push({ op }) }
    else if (op === 0x44) { r.skip(8); out.push({ op }) }
    else if (op <= 0x01 || op === 0x05 || op === 0x0b || op === 0x0f || op === 0x1a || op === 0x1b || (op >= 0x45 && op <= 0xc4) || op === 0xd1) out.push({ op })
    else if (op === 0xd0) { r.byte(); out.push({ op }) }
    else if (op === 0xd2) { r.u32(); out.push({ op }) }
    else if (op === 0xfc) {
      const sub = r.u32()
      if (sub <= 7) { /* saturating truncations */ }
      else if (sub === 8) { r.u32(); r.byte() }
      else if (sub === 9 || sub === 13 || (sub >= 15 && sub <= 17)) r.u32()
      else if (sub === 10) { r.byte(); r.byte() }
      else if (sub === 11) r.byte()
      else if (sub === 12 || sub === 14) { r.u32(); r.u32() }
      else throw new Error(`unknown instruction 0xfc ${sub} at byte ${at}`)
      out.push({ op, sub })
    } else if (op === 0xfd) {
      const sub = r.u32()
      if (sub <= 11 || sub === 92 || sub === 93) memarg(r)
      else if (sub === 12 || sub === 13) r.skip(16)
      else if (sub >= 21 && sub <= 34) r.byte()
      else if (sub >= 84 && sub <= 91) { memarg(r); r.byte() }
      out.push({ op, sub })
    } else if (op === 0xfe) {
      const sub = r.u32()
      if (sub === 3) r.byte()
      else memarg(r)
      out.push({ op, sub })
    } else throw new Error(`unknown opcode 0x${op.toString(16)} at byte ${at}`)
  }
  return out
}

interface Module {
  bytes: Uint8Array
  importedFunctions: number
  /** [start, end) of each defined function's body */
  bodies: Array<[number, number]>
  exports: Array<{ name: string; kind: number; index: number }>
  globalNames: Map<number, string>
  functionNames: Map<number, string>
  dataNames: Map<number, string>
  globalInits: number[]
}

function sections(bytes: Uint8Array): Module {
  const info = inspectWasm(bytes)
  const m: Module = {
    bytes, importedFunctions: info.importedFunctions, bodies: [], exports: [], globalNames: new Map(),
    functionNames: new Map(), dataNames: new Map(), globalInits: [],
  }
  const r = new Reader(bytes, 8, bytes.length)
  while (r.pos < bytes.length) {
    const id = r.byte()
    const size = r.u32()
    const end = r.pos + size
    const s = new Reader(bytes, r.pos, end)
    if (id === 6) {
      for (let n = s.u32(); n > 0; n--) {
        s.byte()
        s.byte()
        // wasm-ld writes `i32.const N end` for __stack_pointer
        const op = s.byte()
        let value = NaN
        if (op === 0x41) {
          let result = 0, shift = 0, v: number
          do { v = s.byte(); result |= (v & 0x7f) << shift; shift += 7 } while (v & 0x80)
          if (shift < 32 && v & 0x40) result |= ~0 << shift
          value = result
        } else {
          while (s.byte() !== 0x0b) { /* other constant expressions: not a stack pointer we can place */ }
          s.pos--
        }
        if (s.byte() !== 0x0b) throw new Error('unsupported global initialiser')
        m.globalInits.push(value)
      }
    } else if (id === 7) {
      for (let n = s.u32(); n > 0; n--) m.exports.push({ name: s.name(), kind: s.byte(), index: s.u32() })
    } else if (id === 10) {
      for (let n = s.u32(); n > 0; n--) {
        const len = s.u32()
        m.bodies.push([s.pos, s.pos + len])
        s.skip(len)
      }
    } else if (id === 0 && s.name() === 'name') {
      while (s.pos < end) {
        const sub = s.byte()
        const subEnd = s.u32() + s.pos
        const target = sub === 1 ? m.functionNames : sub === 7 ? m.globalNames : sub === 9 ? m.dataNames : null
        if (target) for (let n = s.u32(); n > 0; n--) target.set(s.u32(), s.name())
        s.pos = subEnd
      }
    }
    r.pos = end
  }
  return m
}

/** The names the module's name section gives its globals (throws on a malformed module). */
export function globalNames(bytes: Uint8Array): string[] {
  return [...sections(bytes).globalNames.values()]
}

export interface StackReport {
  /** how the module keeps its stack private, or null if it does not */
  stack: 'none' | 'switched' | null
  problems: string[]
}

const GLOBAL_GET = 0x23
const GLOBAL_SET = 0x24
const LOCAL_GET = 0x20
const LOCAL_SET = 0x21
const LOCAL_TEE = 0x22
const CALL = 0x10
const CALL_INDIRECT = 0x11

/** Checks the stack discipline and read-only data of a clang/wasm-ld module; `slot` = [base, end). */
export function checkStackAndData(bytes: Uint8Array, slot: [number, number]): StackReport {
  const problems: string[] = []
  let m: Module
  try {
    m = sections(bytes)
  } catch (e) {
    return { stack: null, problems: [`cannot read the module: ${(e as Error).message}`] }
  }
  for (const [i, name] of m.dataNames) {
    if (!name.startsWith('.rodata')) problems.push(`data segment ${i} is ${name}: static data must be read-only (no mutable globals or statics in C)`)
  }
  if (m.dataNames.size === 0 && inspectWasm(bytes).dataSegments.length > 0) problems.push('the data segments are unnamed (no name section): cannot tell .rodata from .data/.bss')

  const spEntry = [...m.globalNames].find(([, n]) => n === '__stack_pointer')
  const sp = spEntry ? spEntry[0] : null
  if (sp !== null) {
    const init = m.globalInits[sp]
    if (!(init >= slot[0] && init <= slot[1])) problems.push(`__stack_pointer starts at ${init}, outside the static slot [${slot[0]}, ${slot[1]})`)
  }
  const fn = (i: number) => decodeBody(bytes, ...m.bodies[i - m.importedFunctions])
  const touches = (body: Instr[]) => body.some((x) => (x.op === GLOBAL_GET || x.op === GLOBAL_SET) && x.index === sp)
  const exportsByName = new Map(m.exports.map((e) => [e.name, e]))
  for (const e of m.exports) {
    if (e.kind === 0 && e.name !== 'gr_run' && e.name !== 'gr_abi_version') problems.push(`exports function ${e.name}: only gr_run and gr_abi_version may be entry points`)
  }
  const run = exportsByName.get('gr_run')
  const version = exportsByName.get('gr_abi_version')
  if (!run || !version || run.index < m.importedFunctions || version.index < m.importedFunctions) {
    return { stack: null, problems: [...problems, 'gr_run and gr_abi_version must be functions the module defines'] }
  }

  let bodies: Instr[][]
  try {
    bodies = m.bodies.map((_, i) => fn(i + m.importedFunctions))
  } catch (e) {
    return { stack: null, problems: [...problems, `cannot decode the code: ${(e as Error).message}`] }
  }
  const body = (i: number) => bodies[i - m.importedFunctions]
  const v = body(version.index)
  if (v.some((x) => x.op === CALL || x.op === CALL_INDIRECT) || touches(v)) problems.push('gr_abi_version must only return the version')

  if (sp === null || !bodies.some(touches)) return { stack: 'none', problems }

  // gr_run: save, switch, run, restore
  const r = body(run.index)
  const firstSet = r.findIndex((x) => x.op === GLOBAL_SET && x.index === sp)
  const sets = r.filter((x) => x.op === GLOBAL_SET && x.index === sp).length
  const why: string[] = []
  if (firstSet < 0) why.push('gr_run never sets __stack_pointer, but the module uses the stack')
  else {
    const saved = new Set<number>()
    for (let k = 0; k < firstSet; k++) {
      const x = r[k]
      if (x.op === CALL_INDIRECT || (x.op === CALL && x.index! >= m.importedFunctions)) why.push(`gr_run calls ${m.functionNames.get(x.index!) ?? 'a function'} before switching the stack`)
      if (x.op === GLOBAL_GET && x.index === sp) {
        if (r[k + 1]?.op !== LOCAL_SET) why.push('gr_run reads __stack_pointer before switching, other than to save it')
        else saved.add(r[k + 1].index!)
      }
      if ((x.op === LOCAL_GET || x.op === LOCAL_TEE) && saved.has(x.index!)) why.push('gr_run uses the saved stack pointer before switching')
    }
    if (sets !== 2) why.push(`gr_run sets __stack_pointer ${sets} times; expected 2 (switch, restore)`)
  }
  problems.push(...why)
  return { stack: why.length ? null : 'switched', problems }
}
