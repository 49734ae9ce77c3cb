// A faaslet's manifest: what it is called, which region kinds it reads and writes, and its parameters
// with types and defaults. Parameters are parsed here and nowhere else — the CLI, HTTP query strings and
// chain YAML all hand raw values to parseParams, which packs them into the context's f64 slots.
import { CTX_MAX_PARAMS } from './layout.js'
import { resolveCrs } from './crs-names.js'
import { fail } from '../../errors/index.js'

export type RegionKindName = 'mvt' | 'points' | 'features' | 'clusters' | 'grid' | 'image'

export type ParamType = 'int' | 'number' | 'bool' | 'enum' | 'crs' | 'bbox'

export interface ParamSpec {
  name: string
  type: ParamType
  doc: string
  /** absent = required */
  default?: number | boolean | string | number[]
  min?: number
  max?: number
  /** enum: the accepted names; the slot holds the index */
  values?: string[]
  /**
   * crs: the EPSG codes accepted (ranges written as [lo, hi] pairs in crsRanges). The raw value may be a
   * number, 'EPSG:n', 'n', 'urn:ogc:def:crs:EPSG::n' or a proj4 string equal to a known definition
   * (crs-names.ts); the slot holds the code.
   */
  crsRanges?: Array<[number, number]>
}

export interface InputSpec {
  name: string
  kinds: RegionKindName[]
  /** fan-in faaslets take several regions of the same kind */
  variadic?: boolean
}

export interface OutputSpec {
  name: string
  /** `same-as-input`: the kind of input 0 (e.g. reproject keeps points points and features features) */
  kind: RegionKindName | 'same-as-input'
}

export interface Manifest {
  name: string
  version: string
  description: string
  /** static slot in the arena (see layout.ts): base address = slot × STATIC_SLOT_BYTES */
  slot: number
  inputs: InputSpec[]
  outputs: OutputSpec[]
  params: ParamSpec[]
  /** per-invocation time limit in ms unless the tenant sets a lower one */
  timeLimitMs?: number
  /**
   * Gathering is order-insensitive and associative: gathering the gathers of groups of inputs gives what
   * gathering them all at once gives, in any order. A chain may then gather more regions than one call
   * takes (CTX_MAX_INPUTS) as a tree: groups of ≤ 8, then the gathers of the groups (chains/bind.ts). Its
   * last input must be variadic and read its first output's kind (manifest-schema.ts checks).
   */
  associative?: boolean
}

export type RawParams = Record<string, unknown>

/** Number of f64 slots a parameter occupies. */
export function paramWidth(p: ParamSpec): number {
  return p.type === 'bbox' ? 4 : 1
}

export function paramSlots(m: Manifest): number {
  return m.params.reduce((n, p) => n + paramWidth(p), 0)
}

/** Parses one raw value (string from a CLI/query, or a YAML/JSON scalar) into its slot values. */
export function parseParam(m: Manifest, p: ParamSpec, raw: unknown): number[] {
  const bad = (why: string) => fail('E_BAD_PARAM', p.name, `${why} (${describeParam(p)})`)
  switch (p.type) {
    case 'int':
    case 'number': {
      const v = typeof raw === 'number' ? raw : typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : NaN
      if (!Number.isFinite(v)) throw bad(`expected a number, got ${JSON.stringify(raw)}`)
      if (p.type === 'int' && !Number.isInteger(v)) throw bad(`expected an integer, got ${v}`)
      if (p.min !== undefined && v < p.min) throw bad(`${v} is below the minimum ${p.min}`)
      if (p.max !== undefined && v > p.max) throw bad(`${v} is above the maximum ${p.max}`)
      return [v]
    }
    case 'bool': {
      if (raw === true || raw === 'true' || raw === '1' || raw === 1) return [1]
      if (raw === false || raw === 'false' || raw === '0' || raw === 0) return [0]
      throw bad(`expected true or false, got ${JSON.stringify(raw)}`)
    }
    case 'enum': {
      const values = p.values ?? []
      const i = typeof raw === 'string' ? values.indexOf(raw) : -1
      if (i < 0) throw bad(`expected one of ${values.join(', ')}, got ${JSON.stringify(raw)}`)
      return [i]
    }
    case 'crs': {
      const r = resolveCrs(raw)
      if (r.error !== undefined) throw bad(r.error)
      const code = r.code
      const ok = (p.crsRanges ?? []).some(([lo, hi]) => code >= lo && code <= hi)
      if (!ok) {
        // a URN or proj4 string says which code it turned out to be
        const named = typeof raw === 'string' && !/^\s*(?:EPSG:)?\d+\s*$/i.test(raw) ? `${JSON.stringify(raw.trim())} is EPSG:${code}, which ` : `EPSG:${code} `
        throw fail('E_BAD_PARAM', p.name, `${named}is not supported by ${m.name} (${describeParam(p)})`)
      }
      return [code]
    }
    case 'bbox': {
      const parts = Array.isArray(raw) ? raw : typeof raw === 'string' ? raw.split(',') : null
      const nums = parts?.map((x) => (typeof x === 'number' ? x : Number(String(x).trim())))
      if (!nums || nums.length !== 4 || nums.some((x) => !Number.isFinite(x))) {
        throw bad(`expected four numbers w,s,e,n, got ${JSON.stringify(raw)}`)
      }
      if (nums[1] > nums[3]) throw bad(`south ${nums[1]} is above north ${nums[3]}`)
      return nums
    }
  }
}

/** A crs parameter's raw value as an EPSG code (see crs-names.ts for the forms), null if it is none. */
export function parseCrs(raw: unknown): number | null {
  return resolveCrs(raw).code ?? null
}

export function describeParam(p: ParamSpec): string {
  switch (p.type) {
    case 'enum': return `one of ${(p.values ?? []).join(' | ')}`
    case 'crs': return `EPSG code (EPSG:n, n, urn:ogc:def:crs:EPSG::n, or a proj4 string equal to its definition): ${(p.crsRanges ?? []).map(([a, b]) => (a === b ? `${a}` : `${a}-${b}`)).join(', ')}`
    case 'bbox': return 'w,s,e,n'
    case 'bool': return 'true | false'
    default: {
      const range = p.min !== undefined || p.max !== undefined ? ` in [${p.min ?? '-inf'}, ${p.max ?? 'inf'}]` : ''
      return `${p.type === 'int' ? 'integer' : 'number'}${range}`
    }
  }
}

/** Packs raw parameters into slot values in manifest order, applying defaults; rejects unknown names. */
export function parseParams(m: Manifest, raw: RawParams): Float64Array {
  const known = new Set(m.params.map((p) => p.name))
  for (const name of Object.keys(raw)) {
    if (!known.has(name)) throw fail('E_UNKNOWN_PARAM', name, m.name, m.params.map((p) => p.name).join(', ') || 'none')
  }
  const out = new Float64Array(paramSlots(m))
  if (out.length > CTX_MAX_PARAMS) throw new Error(`${m.name}: manifest declares ${out.length} parameter slots, the ABI allows ${CTX_MAX_PARAMS}`)
  let slot = 0
  for (const p of m.params) {
    const value = raw[p.name] !== undefined ? raw[p.name] : p.default
    if (value === undefined) throw fail('E_MISSING_PARAM', p.name, m.name)
    for (const v of parseParam(m, p, value)) out[slot++] = v
  }
  return out
}

/** Slot values back to named values (for logs, cache keys and the copy/HTTP baselines). */
export function formatParams(m: Manifest, slots: Float64Array): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  let slot = 0
  for (const p of m.params) {
    if (p.type === 'bbox') out[p.name] = Array.from(slots.subarray(slot, slot + 4))
    else if (p.type === 'enum') out[p.name] = p.values?.[slots[slot]]
    else if (p.type === 'bool') out[p.name] = slots[slot] !== 0
    else if (p.type === 'crs') out[p.name] = `EPSG:${slots[slot]}`
    else out[p.name] = slots[slot]
    slot += paramWidth(p)
  }
  return out
}
