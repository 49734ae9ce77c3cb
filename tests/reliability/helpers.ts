// Shared by the reliability tests and experiments/fuzz.ts: the fuzz targets (a fast-check arbitrary and the
// check every generated case must pass), the generators behind them, and small tools (outcome tallies,
// least-squares slope). A target's check throws when a case breaks a rule — an error that is not one of the
// registry's clear input codes, a trap, a timeout, a leaked chunk, a 5xx — so fast-check shrinks it to a
// minimal counterexample; it returns the outcome (a code or 'ok') for the tally otherwise.
import { mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks'
import fc from 'fast-check'
import { encode as packMsgpack } from 'msgpackr'
import { PbfReader, PbfWriter } from 'pbf'
import { VectorTile } from '@mapbox/vector-tile'
import { ERRORS, GraticuleError } from '../../errors/index.js'
import * as L from '../../faaslets/abi/layout.js'
import { parseParams, type Manifest, type ParamSpec, type RawParams, type RegionKindName } from '../../faaslets/abi/manifest.js'
import { checkRegion, createRegion, KIND_BY_NAME, NAME_BY_KIND, ScratchMemory, type Descriptor, type RegionMemory } from '../../faaslets/abi/region.js'
import { encodeOutput, REGION_MEDIA_TYPE, type OutputFormat } from '../../faaslets/codecs/boundary.js'
import { clusterArrays, readClusters, writeClusters } from '../../faaslets/codecs/clusters.js'
import { readFeatures, writeFeatures } from '../../faaslets/codecs/features.js'
import { encodePng, readGrid, readImage, writeGrid, writeImage } from '../../faaslets/codecs/grid.js'
import { readMvt } from '../../faaslets/codecs/mvt.js'
import { pointArrays, readPoints, writePoints } from '../../faaslets/codecs/points.js'
import { ROOT } from '../../faaslets/catalog.js'
import type { Dataplane } from '../../dataplane/dataplane.js'
import type { Plan } from '../../dataplane/plan.js'
import { loadChain, type ManifestSource } from '../../chains/load.js'
import { bindChain } from '../../chains/bind.js'
import type { DiagnosticCode } from '../../chains/diagnostics.js'
import type { Gateway } from '../../gateway/app.js'
import { cityTile, sampleCities } from '../helpers/tiles.js'

// ─── outcomes ────────────────────────────────────────────────────────────────────────────────────────

/** What a faaslet may answer bad input with: a status it returned, or the host refusing on its behalf. */
export const FAASLET_INPUT_CODES = new Set([
  'E_FAASLET_BAD_INPUT_KIND', 'E_FAASLET_MALFORMED_INPUT', 'E_FAASLET_BAD_PARAM', 'E_FAASLET_UNSUPPORTED_CRS',
  'E_FAASLET_TOO_LARGE', 'E_QUOTA_EXCEEDED',
])

/** Counts outcomes per target: a fuzzer that only ever sees one answer is not exploring. */
export class Tally {
  readonly counts = new Map<string, number>()
  cases = 0
  add(outcome: string): string {
    this.cases++
    this.counts.set(outcome, (this.counts.get(outcome) ?? 0) + 1)
    return outcome
  }
  get(outcome: string): number {
    return this.counts.get(outcome) ?? 0
  }
  toString(): string {
    return [...this.counts].sort((a, b) => b[1] - a[1]).map(([k, v]) => `${k} ${v}`).join(', ')
  }
}

export function codeOf(e: unknown): string {
  return e && typeof e === 'object' && 'code' in e && typeof (e as { code: unknown }).code === 'string' ? (e as { code: string }).code : 'NO_CODE'
}

function describeError(e: unknown): string {
  return `${codeOf(e)}: ${e instanceof Error ? e.message : String(e)}`
}

/** Ordinary least-squares slope of y over x (units of y per unit of x). */
export function slope(xs: number[], ys: number[]): number {
  const n = xs.length
  if (n < 2) return 0
  const mx = xs.reduce((a, b) => a + b, 0) / n
  const my = ys.reduce((a, b) => a + b, 0) / n
  let num = 0, den = 0
  for (let i = 0; i < n; i++) {
    num += (xs[i] - mx) * (ys[i] - my)
    den += (xs[i] - mx) ** 2
  }
  return den === 0 ? 0 : num / den
}

// ─── byte mutations ──────────────────────────────────────────────────────────────────────────────────

/** One edit of a byte string. Positions are taken modulo the current length, so any edit fits any input. */
export type Mutation =
  | { op: 'set'; at: number; value: number }
  | { op: 'flip'; at: number; bit: number }
  | { op: 'truncate'; at: number }
  | { op: 'insert'; at: number; bytes: Uint8Array }
  | { op: 'delete'; at: number; len: number }
  | { op: 'duplicate'; from: number; len: number; to: number }
  | { op: 'word'; at: number; width: 1 | 2 | 4 | 8; value: bigint }

/** Values at the edges of integer types, and protobuf-varint troublemakers. */
const INTERESTING = [0n, 1n, 2n, 7n, 8n, 0x7fn, 0x80n, 0xffn, 0x100n, 0x7fffn, 0x8000n, 0xffffn, 0x10000n, 0x7fffffffn, 0x80000000n, 0xfffffff8n, 0xffffffffn, 0x7fffffffffffffffn, 0xffffffffffffffffn]
const VARINT_TROUBLE = [
  Uint8Array.of(0x80), Uint8Array.of(0xff, 0xff, 0xff, 0xff, 0x0f), Uint8Array.of(0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01),
  Uint8Array.of(0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff), Uint8Array.of(0x1a, 0xff, 0xff, 0xff, 0xff, 0x0f),
  Uint8Array.of(0x0a, 0x00), Uint8Array.of(0x12, 0x7f), Uint8Array.of(0x22, 0x80, 0x80, 0x80, 0x80, 0x08), Uint8Array.of(0x1f, 0x8b, 0x08),
]

export const arbMutation: fc.Arbitrary<Mutation> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ op: fc.constant('set' as const), at: fc.nat(), value: fc.integer({ min: 0, max: 255 }) }) },
  { weight: 3, arbitrary: fc.record({ op: fc.constant('flip' as const), at: fc.nat(), bit: fc.integer({ min: 0, max: 7 }) }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('truncate' as const), at: fc.nat() }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('insert' as const), at: fc.nat(), bytes: fc.oneof(fc.uint8Array({ minLength: 1, maxLength: 16 }), fc.constantFrom(...VARINT_TROUBLE)) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('delete' as const), at: fc.nat(), len: fc.integer({ min: 1, max: 64 }) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('duplicate' as const), from: fc.nat(), len: fc.integer({ min: 1, max: 256 }), to: fc.nat() }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('word' as const), at: fc.nat(), width: fc.constantFrom(1 as const, 2 as const, 4 as const, 8 as const), value: fc.constantFrom(...INTERESTING) }) },
)

const concat = (...parts: Uint8Array[]) => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0))
  let at = 0
  for (const p of parts) { out.set(p, at); at += p.length }
  return out
}

export function mutate(src: Uint8Array, muts: Mutation[]): Uint8Array {
  let b = src.slice()
  for (const m of muts) {
    const n = b.length
    const gap = (k: number) => k % (n + 1) // an insertion point 0..n
    if (n === 0 && m.op !== 'insert') continue
    switch (m.op) {
      case 'set': b[m.at % n] = m.value; break
      case 'flip': b[m.at % n] ^= 1 << m.bit; break
      case 'truncate': b = b.slice(0, m.at % n); break
      case 'insert': { const at = gap(m.at); b = concat(b.subarray(0, at), m.bytes, b.subarray(at)); break }
      case 'delete': { const at = m.at % n; b = concat(b.subarray(0, at), b.subarray(Math.min(n, at + m.len))); break }
      case 'duplicate': {
        const from = m.from % n, piece = b.slice(from, Math.min(n, from + m.len)), to = gap(m.to)
        b = concat(b.subarray(0, to), piece, b.subarray(to))
        break
      }
      case 'word': {
        const at = m.at % n
        for (let i = 0; i < m.width && at + i < n; i++) b[at + i] = Number((m.value >> BigInt(8 * i)) & 0xffn)
        break
      }
    }
  }
  return b
}

/** A corpus entry edited 1–6 times. */
export function arbMutated(corpus: Uint8Array[], maxEdits = 6): fc.Arbitrary<Uint8Array> {
  return fc.tuple(fc.nat({ max: corpus.length - 1 }), fc.array(arbMutation, { minLength: 1, maxLength: maxEdits }))
    .map(([i, muts]) => mutate(corpus[i], muts))
}

// ─── vector tiles ────────────────────────────────────────────────────────────────────────────────────

const FIXTURES = join(ROOT, 'node_modules/@mapbox/mvt-fixtures/fixtures')
const REAL_WORLD = join(ROOT, 'node_modules/@mapbox/mvt-fixtures/real-world')

let corpus: Uint8Array[] | null = null

/** Seeds for tile mutation: every mvt-fixtures fixture, the small real-world tiles, and city tiles. */
export function mvtCorpus(): Uint8Array[] {
  if (corpus) return corpus
  const out: Uint8Array[] = []
  for (const d of readdirSync(FIXTURES).sort()) out.push(new Uint8Array(readFileSync(join(FIXTURES, d, 'tile.mvt'))))
  for (const city of readdirSync(REAL_WORLD).sort()) {
    if (city === 'compressed') continue
    for (const f of readdirSync(join(REAL_WORLD, city)).sort()) {
      const p = join(REAL_WORLD, city, f)
      if (f.endsWith('.mvt') && statSync(p).size <= 24_000) out.push(new Uint8Array(readFileSync(p)))
    }
  }
  out.push(cityTile(sampleCities(2_000, 1), 0, 0, 0), cityTile(sampleCities(20_000, 3), 2, 2, 1))
  return (corpus = out)
}

const zigzag = (n: number) => ((n << 1) ^ (n >> 31)) >>> 0
const command = (id: number, count: number) => ((id & 7) | (count << 3)) >>> 0

/** Geometry command streams: mostly grammatical (MoveTo, LineTo, ClosePath with deltas), sometimes raw. */
const arbGeometry: fc.Arbitrary<number[]> = fc.oneof(
  fc.array(fc.record({
    id: fc.constantFrom(1, 1, 2, 2, 7, 3, 0),
    count: fc.oneof({ weight: 6, arbitrary: fc.integer({ min: 0, max: 4 }) }, { weight: 1, arbitrary: fc.constantFrom(2 ** 29 - 1, 2 ** 28, 1000) }),
    deltas: fc.array(fc.integer({ min: -5000, max: 5000 }), { maxLength: 8 }),
  }), { maxLength: 6 }).map((cmds) => cmds.flatMap((c) => [command(c.id, c.count), ...c.deltas.map(zigzag)])),
  fc.array(fc.oneof(fc.nat({ max: 64 }), fc.nat()), { maxLength: 16 }),
)

type TileValue = { field: number; value: string | number | boolean } | null
const arbTileValue: fc.Arbitrary<TileValue> = fc.oneof(
  fc.record({ field: fc.constant(1), value: fc.string({ maxLength: 8 }) }),
  fc.record({ field: fc.constantFrom(2, 3), value: fc.double() }),
  fc.record({ field: fc.constantFrom(4, 5, 6), value: fc.integer() }),
  fc.record({ field: fc.constant(7), value: fc.boolean() }),
  fc.record({ field: fc.integer({ min: 8, max: 20 }), value: fc.nat() }),
  fc.constant(null),
)

interface TileFeature { id: number | null; tags: number[]; type: number | null; geometry: number[] }
interface TileLayer { version: number | null; name: string | null; extent: number | null; keys: string[]; values: TileValue[]; features: TileFeature[]; extra: number | null }

const arbTileLayer: fc.Arbitrary<TileLayer> = fc.record({
  version: fc.option(fc.constantFrom(1, 2, 2, 2, 3, 0, 100)),
  name: fc.option(fc.oneof(fc.constantFrom('a', 'b', 'roads', ''), fc.string({ maxLength: 6 }))),
  extent: fc.option(fc.constantFrom(4096, 4096, 512, 1, 0, 2 ** 31, 2 ** 32 - 1)),
  keys: fc.array(fc.constantFrom('name', 'k', '', 'population', '\u00e9'), { maxLength: 5 }),
  values: fc.array(arbTileValue, { maxLength: 5 }),
  features: fc.array(fc.record({
    id: fc.option(fc.oneof(fc.nat(), fc.constant(2 ** 53))),
    tags: fc.array(fc.nat({ max: 8 }), { maxLength: 6 }),
    type: fc.option(fc.integer({ min: 0, max: 5 })),
    geometry: arbGeometry,
  }), { maxLength: 5 }),
  extra: fc.option(fc.integer({ min: 6, max: 40 })),
})

/** Tiles assembled field by field (pbf's writer): they get past the wire format into the MVT rules. */
export const arbStructuredTile: fc.Arbitrary<Uint8Array> = fc.array(arbTileLayer, { maxLength: 3 }).map((layers) => {
  const pbf = new PbfWriter()
  for (const layer of layers) {
    pbf.writeMessage(3, (l: TileLayer, p: PbfWriter) => {
      if (l.version !== null) p.writeVarintField(15, l.version)
      if (l.name !== null) p.writeStringField(1, l.name)
      for (const f of l.features) {
        p.writeMessage(2, (feat: TileFeature, q: PbfWriter) => {
          if (feat.id !== null) q.writeVarintField(1, feat.id)
          if (feat.tags.length) q.writePackedVarint(2, feat.tags)
          if (feat.type !== null) q.writeVarintField(3, feat.type)
          q.writePackedVarint(4, feat.geometry)
        }, f)
      }
      for (const k of l.keys) p.writeStringField(3, k)
      for (const v of l.values) {
        p.writeMessage(4, (val: TileValue, q: PbfWriter) => {
          if (!val) return
          if (val.field === 1) q.writeStringField(1, val.value as string)
          else if (val.field === 2) q.writeFloatField(2, val.value as number)
          else if (val.field === 3) q.writeDoubleField(3, val.value as number)
          else if (val.field === 4) q.writeVarintField(4, val.value as number)
          else if (val.field === 5) q.writeVarintField(5, Math.abs(val.value as number))
          else if (val.field === 6) q.writeSVarintField(6, val.value as number)
          else if (val.field === 7) q.writeBooleanField(7, val.value as boolean)
          else q.writeVarintField(val.field, val.value as number)
        }, v)
      }
      if (l.extent !== null) p.writeVarintField(5, l.extent)
      if (l.extra !== null) p.writeVarintField(l.extra, 1)
    }, layer)
  }
  return pbf.finish()
})

export interface TileCase { bytes: Uint8Array; z: number; x: number; y: number }

/** A tile address, mostly one that exists at its zoom. */
export const arbTileAddress: fc.Arbitrary<{ z: number; x: number; y: number }> = fc.integer({ min: 0, max: 30 }).chain((z) => {
  const inside = fc.integer({ min: 0, max: 2 ** z - 1 })
  const any = fc.integer({ min: 0, max: 1073741823 })
  return fc.record({ z: fc.constant(z), x: fc.oneof({ weight: 19, arbitrary: inside }, { weight: 1, arbitrary: any }), y: fc.oneof({ weight: 19, arbitrary: inside }, { weight: 1, arbitrary: any }) })
})

export function arbTileCase(): fc.Arbitrary<TileCase> {
  const bytes = fc.oneof(
    { weight: 6, arbitrary: arbMutated(mvtCorpus()) },
    { weight: 3, arbitrary: arbStructuredTile },
    { weight: 1, arbitrary: fc.constantFrom(...mvtCorpus()) },
    { weight: 2, arbitrary: fc.uint8Array({ maxLength: 512 }) },
  )
  return fc.record({ bytes, address: arbTileAddress }).map(({ bytes, address }) => ({ bytes, ...address }))
}

/** An MVT region written as is, without the codec's gzip check: the faaslet must refuse what is wrong. */
export function writeRawMvt(mem: RegionMemory, bytes: Uint8Array, tile?: { z: number; x: number; y: number }): Descriptor {
  const r = createRegion(mem, { kind: L.KIND_MVT, count: bytes.length, stride: 1, tile, sections: [{ bytes: bytes.length, count: bytes.length }] })
  mem.bytes().set(bytes, r.sectionPtrs[0])
  return { ptr: r.ptr, len: r.len }
}

/** Layer names and feature counts of @mapbox/vector-tile's reading (null when it throws). */
function oracleShape(bytes: Uint8Array): Map<string, number> | null {
  try {
    const vt = new VectorTile(new PbfReader(bytes))
    const shape = new Map<string, number>()
    for (const [name, layer] of Object.entries(vt.layers)) {
      let n = 0
      for (let i = 0; i < layer.length; i++) if (layer.feature(i).type !== 0) n++
      shape.set(name, n)
    }
    return shape
  } catch {
    return null
  }
}

// ─── regions ─────────────────────────────────────────────────────────────────────────────────────────

const arbCoord = fc.oneof(
  { weight: 8, arbitrary: fc.double({ min: -180, max: 180, noNaN: true }) },
  { weight: 1, arbitrary: fc.constantFrom(NaN, Infinity, -Infinity, -0, 1e308, -1e308, 5e-324, 85.06, -85.06, 90, -90, 20037508.34) },
  { weight: 1, arbitrary: fc.double() },
)
const arbCrs = fc.oneof({ weight: 6, arbitrary: fc.constantFrom(4326, 3857, 0, 32633, 32760, 3035) }, { weight: 1, arbitrary: fc.integer() })

const arbPointsRegion = fc.record({ n: fc.integer({ min: 0, max: 48 }), crs: arbCrs, seed: fc.array(arbCoord, { minLength: 4, maxLength: 48 }) }).map(({ n, crs, seed }) => (mem: RegionMemory) => {
  const p = pointArrays(n, crs)
  for (let i = 0; i < n; i++) {
    p.x[i] = seed[(4 * i) % seed.length]
    p.y[i] = seed[(4 * i + 1) % seed.length] / 2
    p.weight[i] = seed[(4 * i + 2) % seed.length]
    p.id[i] = i
  }
  return writePoints(mem, p)
})

const arbPosition = fc.tuple(arbCoord, arbCoord.map((v) => v / 2))
const arbGeoJsonGeometry = fc.oneof(
  arbPosition.map((c) => ({ type: 'Point', coordinates: c })),
  fc.array(arbPosition, { maxLength: 5 }).map((c) => ({ type: 'MultiPoint', coordinates: c })),
  fc.array(arbPosition, { minLength: 2, maxLength: 5 }).map((c) => ({ type: 'LineString', coordinates: c })),
  fc.array(fc.array(arbPosition, { minLength: 2, maxLength: 4 }), { maxLength: 3 }).map((c) => ({ type: 'MultiLineString', coordinates: c })),
  fc.array(fc.array(arbPosition, { minLength: 3, maxLength: 5 }).map((r) => [...r, r[0]]), { minLength: 1, maxLength: 2 }).map((c) => ({ type: 'Polygon', coordinates: c })),
  fc.array(fc.array(fc.array(arbPosition, { minLength: 3, maxLength: 4 }).map((r) => [...r, r[0]]), { minLength: 1, maxLength: 2 }), { maxLength: 2 }).map((c) => ({ type: 'MultiPolygon', coordinates: c })),
)
const arbProperties = fc.dictionary(fc.constantFrom('weight', 'name', 'k', '__proto__', ''), fc.oneof(fc.double(), fc.string({ maxLength: 6 }), fc.boolean(), fc.constant(null)), { maxKeys: 3 })
export const arbFeatureCollection = fc.array(fc.record({
  type: fc.constant('Feature'),
  id: fc.option(fc.integer(), { nil: undefined }),
  geometry: arbGeoJsonGeometry,
  properties: arbProperties,
}, { requiredKeys: ['type', 'geometry', 'properties'] }), { maxLength: 6 }).map((features) => ({ type: 'FeatureCollection', features }))

const arbFeaturesRegion = fc.record({ json: arbFeatureCollection, crs: arbCrs }).map(({ json, crs }) => (mem: RegionMemory) => {
  try {
    return writeFeatures(mem, json, { crs })
  } catch {
    return writeFeatures(mem, { type: 'FeatureCollection', features: [] }, { crs }) // the codec refused the GeoJSON
  }
})

const arbClustersRegion = fc.record({ n: fc.integer({ min: 0, max: 32 }), crs: arbCrs, zoom: fc.integer({ min: 0, max: 40 }), seed: fc.array(arbCoord, { minLength: 5, maxLength: 40 }) }).map(({ n, crs, zoom, seed }) => (mem: RegionMemory) => {
  const c = clusterArrays(n, crs, zoom)
  for (let i = 0; i < n; i++) {
    c.x[i] = seed[(5 * i) % seed.length]
    c.y[i] = seed[(5 * i + 1) % seed.length] / 2
    c.count[i] = Math.abs(Math.round(seed[(5 * i + 2) % seed.length])) || 1
    c.weight[i] = seed[(5 * i + 3) % seed.length]
    c.id[i] = i
  }
  return writeClusters(mem, c)
})

const arbGridLike = fc.record({
  width: fc.integer({ min: 1, max: 12 }), height: fc.integer({ min: 1, max: 12 }), crs: arbCrs,
  tile: fc.option(fc.record({ z: fc.integer({ min: 0, max: 30 }), x: fc.nat(), y: fc.nat() }), { nil: undefined }),
  values: fc.array(fc.oneof(fc.float(), fc.constantFrom(0, 1, NaN, Infinity)), { minLength: 1, maxLength: 16 }),
})
const arbGridRegion = arbGridLike.map((g) => (mem: RegionMemory) => writeGrid(mem, {
  width: g.width, height: g.height, crs: g.crs, tile: g.tile,
  values: Float32Array.from({ length: g.width * g.height }, (_, i) => g.values[i % g.values.length]),
}))
const arbImageRegion = arbGridLike.map((g) => (mem: RegionMemory) => writeImage(mem, {
  width: g.width, height: g.height, crs: g.crs, tile: g.tile,
  rgba: Uint8Array.from({ length: 4 * g.width * g.height }, (_, i) => (i * 37 + g.values.length) & 255),
}))
const arbMvtRegion = fc.oneof(fc.constantFrom(...mvtCorpus().filter((t) => t.length < 8_000)), arbStructuredTile)
  .map((bytes) => (mem: RegionMemory) => writeRawMvt(mem, bytes))

const BUILDERS: Record<RegionKindName, fc.Arbitrary<(mem: RegionMemory) => Descriptor>> = {
  points: arbPointsRegion, features: arbFeaturesRegion, clusters: arbClustersRegion, grid: arbGridRegion, image: arbImageRegion, mvt: arbMvtRegion,
}
export const REGION_KINDS = Object.keys(BUILDERS) as RegionKindName[]

/** A well-formed region of `kind`, as bytes. */
export function arbValidRegion(kind: RegionKindName): fc.Arbitrary<Uint8Array> {
  return BUILDERS[kind].map((write) => {
    const mem = new ScratchMemory(1 << 12)
    const d = write(mem)
    return mem.bytes().slice(d.ptr, d.ptr + d.len)
  })
}

/** Header fields and their widths: what region mutations aim at. */
const HEADER_FIELDS: Array<{ at: number; width: 2 | 4 | 8; float?: boolean }> = [
  { at: L.HDR_MAGIC, width: 4 }, { at: L.HDR_VERSION, width: 2 }, { at: L.HDR_KIND, width: 2 }, { at: L.HDR_COUNT, width: 4 },
  { at: L.HDR_STRIDE, width: 4 }, { at: L.HDR_CRS, width: 4 }, { at: L.HDR_BYTE_LENGTH, width: 4 }, { at: L.HDR_WIDTH, width: 4 },
  { at: L.HDR_HEIGHT, width: 4 }, { at: L.HDR_TILE_Z, width: 4 }, { at: L.HDR_TILE_X, width: 4 }, { at: L.HDR_TILE_Y, width: 4 },
  { at: L.HDR_AUX, width: 4 }, { at: L.HDR_MIN_X, width: 8, float: true }, { at: L.HDR_MIN_Y, width: 8, float: true },
  { at: L.HDR_MAX_X, width: 8, float: true }, { at: L.HDR_MAX_Y, width: 8, float: true },
  ...Array.from({ length: L.SECTION_COUNT * 2 }, (_, i) => ({ at: L.HDR_SECTIONS + 4 * i, width: 4 as const })),
]

/** An edit of a region: a header field set to an edge value or nudged by a little, or a byte edit anywhere. */
type RegionEdit =
  | { op: 'field'; field: number; value: bigint }
  | { op: 'nudge'; field: number; by: number }
  | { op: 'float'; field: number; value: number }
  | { op: 'bytes'; mutation: Mutation }

const arbRegionEdit: fc.Arbitrary<RegionEdit> = fc.oneof(
  { weight: 3, arbitrary: fc.record({ op: fc.constant('field' as const), field: fc.nat({ max: HEADER_FIELDS.length - 1 }), value: fc.constantFrom(...INTERESTING, 3n, 4n, 5n, 6n, 32n, 40n, 128n) }) },
  { weight: 3, arbitrary: fc.record({ op: fc.constant('nudge' as const), field: fc.nat({ max: HEADER_FIELDS.length - 1 }), by: fc.integer({ min: -16, max: 16 }) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('float' as const), field: fc.integer({ min: 13, max: 16 }), value: fc.constantFrom(NaN, Infinity, -Infinity, 0, -0, 1e308, -1e308, 5e-324) }) },
  { weight: 3, arbitrary: fc.record({ op: fc.constant('bytes' as const), mutation: arbMutation }) },
)

function editRegion(src: Uint8Array, edits: RegionEdit[]): Uint8Array {
  let b = src
  for (const e of edits) {
    if (e.op === 'bytes') { b = mutate(b, [e.mutation]); continue }
    const f = HEADER_FIELDS[e.field]
    if (b.length < f.at + f.width) continue
    b = b.slice()
    const dv = new DataView(b.buffer)
    if (e.op === 'float') { if (f.float) dv.setFloat64(f.at, e.value, true); continue }
    let v: bigint
    if (e.op === 'field') v = e.value
    else {
      const cur = f.width === 2 ? dv.getUint16(f.at, true) : f.width === 4 ? dv.getUint32(f.at, true) : 0
      v = BigInt(cur + e.by)
    }
    const mask = (1n << BigInt(8 * f.width)) - 1n
    v &= mask
    for (let i = 0; i < f.width; i++) b[f.at + i] = Number((v >> BigInt(8 * i)) & 0xffn)
  }
  return b
}

/** A region handed to a faaslet: its bytes, and the descriptor length (may differ from the bytes). */
export interface RegionInput { bytes: Uint8Array; len: number }

/** Regions of the given kinds — well-formed, edited, relabelled as another kind, or random — with a descriptor length. */
export function arbRegionInput(kinds: RegionKindName[]): fc.Arbitrary<RegionInput> {
  const base = fc.oneof(
    { weight: 8, arbitrary: fc.constantFrom(...kinds).chain(arbValidRegion) },
    { weight: 1, arbitrary: fc.constantFrom(...REGION_KINDS).chain(arbValidRegion) },
  )
  const bytes = fc.oneof(
    { weight: 2, arbitrary: base },
    { weight: 7, arbitrary: fc.tuple(base, fc.array(arbRegionEdit, { minLength: 1, maxLength: 4 })).map(([b, edits]) => editRegion(b, edits)) },
    { weight: 1, arbitrary: fc.tuple(fc.uint8Array({ minLength: 0, maxLength: 512 }), fc.constantFrom(...REGION_KINDS)).map(([rand, kind]) => {
      // random bytes under a valid magic, version and kind: past the first checks
      const b = new Uint8Array(Math.max(rand.length, L.HEADER_SIZE))
      b.set(rand)
      const dv = new DataView(b.buffer)
      dv.setUint32(L.HDR_MAGIC, L.REGION_MAGIC, true)
      dv.setUint16(L.HDR_VERSION, L.REGION_VERSION, true)
      dv.setUint16(L.HDR_KIND, KIND_BY_NAME[kind], true)
      return b
    }) },
  )
  const len = fc.oneof(
    { weight: 8, arbitrary: fc.constant('same' as const) },
    { weight: 1, arbitrary: fc.integer({ min: -64, max: 64 }) },
    { weight: 1, arbitrary: fc.integer({ min: 0, max: L.HEADER_SIZE }) },
  )
  return fc.tuple(bytes, len).map(([b, l]) => ({ bytes: b, len: l === 'same' ? b.length : Math.max(0, typeof l === 'number' && l <= 0 ? b.length + l : l) }))
}

/** Writes a region input into an invocation: zero-filled to the descriptor length, so runs repeat exactly. */
export function writeRegionInput(mem: RegionMemory, r: RegionInput): Descriptor {
  const size = (Math.max(r.len, r.bytes.length, 8) + 7) & ~7
  const ptr = mem.alloc(size, 8)
  const u8 = mem.bytes()
  u8.fill(0, ptr, ptr + size)
  u8.set(r.bytes, ptr)
  return { ptr, len: r.len }
}

/** Whether the host codecs read this input (as a region of `kind`) without complaint. */
function readsBack(r: RegionInput, kind: number): boolean {
  const mem = new ScratchMemory(1 << 12)
  const d = writeRegionInput(mem, r)
  try {
    const h = checkRegion(mem.view(), d.ptr, d.len)
    if (h.kind !== kind) return true
    readRegionWithCodecs(mem.bytes(), d, kind)
    return true
  } catch {
    return false
  }
}

/** How the host reads an output of each kind out (the gateway's one copy out). */
export const NATURAL_FORMAT: Record<number, OutputFormat> = {
  [L.KIND_MVT]: 'mvt', [L.KIND_POINTS]: 'geojson', [L.KIND_FEATURES]: 'geojson', [L.KIND_CLUSTERS]: 'geojson', [L.KIND_GRID]: 'grid', [L.KIND_IMAGE]: 'png',
}

/** Every host reader of a region of this kind (the codecs), for regions checkRegion accepted. */
export function readRegionWithCodecs(bytes: Uint8Array, d: Descriptor, kind: number): void {
  switch (kind) {
    case L.KIND_POINTS: readPoints(bytes, d); break
    case L.KIND_FEATURES: readFeatures(bytes, d); break
    case L.KIND_CLUSTERS: readClusters(bytes, d); break
    case L.KIND_GRID: readGrid(bytes, d); break
    case L.KIND_IMAGE: readImage(bytes, d); break
    case L.KIND_MVT: readMvt(bytes, d); break
  }
  // the encoders too, but not on huge grids and images: PNG-deflating 16 M pixels takes seconds, and the
  // readers above have already checked every index
  const h = checkRegion(new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength), d.ptr, d.len)
  if ((kind !== L.KIND_GRID && kind !== L.KIND_IMAGE) || h.count <= 512 * 512) encodeOutput(bytes, d, NATURAL_FORMAT[kind])
}

// ─── parameters ──────────────────────────────────────────────────────────────────────────────────────

const SIZE_PARAMS = new Set(['size', 'width', 'height'])

/** Values for one parameter, inside what the host accepts (the host refuses the rest before any faaslet runs). */
function arbParam(p: ParamSpec): fc.Arbitrary<unknown> {
  switch (p.type) {
    case 'int': {
      const lo = p.min ?? -(2 ** 31), hi = p.max ?? 2 ** 31 - 1
      // sizes (grid width/height, heatmap size) cost their square in time and memory: mostly small, the
      // largest now and then, so a run covers many cases and still reaches the limits
      if (SIZE_PARAMS.has(p.name)) return fc.oneof({ weight: 30, arbitrary: fc.integer({ min: lo, max: Math.min(hi, 64) }) }, { weight: 1, arbitrary: fc.constantFrom(lo, hi, 256, 1024) })
      const edges = [lo, hi, lo + 1, hi - 1, ...(typeof p.default === 'number' ? [p.default] : [])].filter((v) => v >= lo && v <= hi)
      return fc.oneof(
        { weight: 3, arbitrary: fc.constantFrom(...edges) },
        { weight: 4, arbitrary: fc.integer({ min: lo, max: Math.min(hi, lo + 32) }) },
        { weight: 2, arbitrary: fc.integer({ min: lo, max: hi }) },
      )
    }
    case 'number': {
      const lo = p.min ?? -1e308, hi = p.max ?? 1e308
      const edges = [lo, hi, 0, 1, 0.5, 1e-9, -1, 1e9, -1e9, ...(typeof p.default === 'number' ? [p.default] : [])].filter((v) => v >= lo && v <= hi)
      return fc.oneof(
        { weight: 3, arbitrary: fc.constantFrom(...edges) },
        { weight: 3, arbitrary: fc.double({ min: Math.max(lo, -1000), max: Math.min(hi, 1000), noNaN: true }) },
        { weight: 1, arbitrary: fc.double({ min: lo, max: hi, noNaN: true, noDefaultInfinity: true }) },
      )
    }
    case 'bool': return fc.boolean()
    case 'enum': return fc.constantFrom(...(p.values ?? []))
    case 'crs': return fc.constantFrom(...(p.crsRanges ?? []).flatMap(([a, b]) => [a, b, Math.floor((a + b) / 2)]))
    case 'bbox': return fc.tuple(arbCoord, arbCoord, arbCoord, arbCoord)
      .filter((b) => b.every(Number.isFinite))
      .map(([w, s, e, n]) => [w, Math.min(s, n), e, Math.max(s, n)])
  }
}

/** Raw parameters for a faaslet: every one given, in range; z/x/y name a tile that mostly exists. */
export function arbParams(m: Manifest): fc.Arbitrary<RawParams> {
  const entries: Record<string, fc.Arbitrary<unknown>> = {}
  for (const p of m.params) entries[p.name] = arbParam(p)
  const hasTile = ['z', 'x', 'y'].every((n) => m.params.some((p) => p.name === n))
  if (!hasTile) return fc.record(entries)
  return fc.tuple(fc.record(entries), arbTileAddress).map(([r, t]) => {
    const zMax = m.params.find((p) => p.name === 'z')?.max ?? 30
    return { ...r, z: Math.min(t.z, zMax), x: t.x, y: t.y }
  })
}

// ─── faaslets on bad regions ─────────────────────────────────────────────────────────────────────────

export interface FaasletCase { inputs: RegionInput[]; params: RawParams }

export function arbFaasletCase(m: Manifest): fc.Arbitrary<FaasletCase> {
  const kinds = [...new Set(m.inputs.flatMap((i) => i.kinds))]
  const fixed = m.inputs.filter((i) => !i.variadic).length
  const variadic = m.inputs.some((i) => i.variadic)
  const count = fc.oneof(
    { weight: 8, arbitrary: fc.constant(Math.max(1, fixed)) },
    { weight: variadic ? 4 : 1, arbitrary: fc.integer({ min: 0, max: variadic ? 9 : 2 }) },
  )
  // several inputs: independent ones, or copies of one region each edited a little (fan-in faaslets refuse
  // regions that disagree in size or crs, so copies get past that check to the cell-by-cell work)
  const inputs = (n: number) => fc.oneof(
    fc.array(arbRegionInput(kinds), { minLength: n, maxLength: n }),
    fc.tuple(arbRegionInput(kinds), fc.array(fc.array(arbRegionEdit, { maxLength: 1 }), { minLength: n, maxLength: n }))
      .map(([first, edits]) => edits.map((e) => ({ bytes: editRegion(first.bytes, e), len: first.len }))),
  )
  return fc.record({ inputs: count.chain(inputs), params: arbParams(m) })
}

/** Runs one faaslet on the case through the dataplane (workers, time limit); throws when a rule is broken. */
export async function checkFaasletCase(dp: Dataplane, tenant: string, name: string, c: FaasletCase): Promise<string> {
  const m = dp.catalog.manifest(name)
  const arena = dp.tenant(tenant).arena
  let slots: Float64Array
  try {
    slots = parseParams(m, c.params)
  } catch (e) {
    if (codeOf(e) !== 'E_BAD_PARAM') throw new Error(`${name}: host parameter parsing failed unclearly: ${describeError(e)}`)
    return 'host: E_BAD_PARAM'
  }
  const plan: Plan = {
    name: `fuzz-${name}`, inputCount: c.inputs.length,
    steps: [{ id: name, faaslet: name, params: Array.from(slots), inputs: c.inputs.map((_, i) => ({ input: i })) }],
    outputs: m.outputs.map((_, i) => ({ step: 0, output: i })),
  }
  let outcome = 'ok'
  try {
    const res = await dp.invoke(tenant, plan, (mem) => c.inputs.map((r) => writeRegionInput(mem, r)))
    try {
      for (const d of res.outputs) {
        const dv = new DataView(res.bytes().buffer)
        const kind = checkRegion(dv, d.ptr, d.len).kind
        try {
          readRegionWithCodecs(res.bytes(), d, kind)
        } catch (e) {
          // garbage in, garbage out: a faaslet that copies a section it does not use (reproject copies a
          // features region's string table) passes that section's defect on; the host codec still refuses it
          // clearly. Anything else is the faaslet writing a broken region itself.
          if (codeOf(e) === 'E_BAD_REGION' && c.inputs.some((r) => !readsBack(r, kind))) { outcome = 'ok: malformed section passed through'; continue }
          throw new Error(`${name}: its output ${NAME_BY_KIND[kind]} region does not read back: ${describeError(e)}`)
        }
      }
    } finally {
      res.release()
    }
  } catch (e) {
    if (e instanceof Error && e.message.startsWith(`${name}: its output`)) throw e
    const code = codeOf(e)
    if (!FAASLET_INPUT_CODES.has(code)) throw new Error(`${name}: bad input must end in a clear input error, got ${describeError(e)}`)
    outcome = code
  }
  if (arena.bytesInUse !== 0) throw new Error(`${name}: ${arena.bytesInUse} bytes of the arena still in use after the invocation was released`)
  return outcome
}

// ─── mvt-decode ──────────────────────────────────────────────────────────────────────────────────────

/** mvt-decode on one tile: ok (and it agrees with @mapbox/vector-tile on layers and feature counts) or a clear code. */
export async function checkTileCase(dp: Dataplane, tenant: string, c: TileCase): Promise<string> {
  const arena = dp.tenant(tenant).arena
  const plan: Plan = { name: 'fuzz-mvt', inputCount: 1, steps: [{ id: 'decode', faaslet: 'mvt-decode', params: [c.z, c.x, c.y], inputs: [{ input: 0 }] }], outputs: [{ step: 0, output: 0 }] }
  let outcome = 'ok'
  try {
    const res = await dp.invoke(tenant, plan, (mem) => [writeRawMvt(mem, c.bytes)])
    try {
      const features = readFeatures(res.bytes(), res.outputs[0]).features
      const oracle = oracleShape(c.bytes)
      if (oracle) {
        const ours = new Map<string, number>()
        for (const f of features) ours.set(f.layer ?? '', (ours.get(f.layer ?? '') ?? 0) + 1)
        for (const [name, n] of oracle) if (n !== (ours.get(name) ?? 0)) throw new Error(`mvt-decode: layer "${name}" has ${ours.get(name) ?? 0} features, @mapbox/vector-tile reads ${n}`)
      }
    } finally {
      res.release()
    }
  } catch (e) {
    if (e instanceof Error && e.message.startsWith('mvt-decode: layer')) throw e
    const code = codeOf(e)
    if (!FAASLET_INPUT_CODES.has(code)) throw new Error(`mvt-decode: a bad tile must end in a clear input error, got ${describeError(e)}`)
    outcome = code
  }
  if (arena.bytesInUse !== 0) throw new Error(`mvt-decode: ${arena.bytesInUse} bytes still in use after release`)
  return outcome
}

// ─── the region header reader ────────────────────────────────────────────────────────────────────────

export interface HeaderCase { bytes: Uint8Array; ptr: number; len: number }

/** Regions of every kind, edited or random, placed at an 8-aligned offset of a larger buffer, any length. */
export const arbHeaderCase: fc.Arbitrary<HeaderCase> = fc.record({
  region: arbRegionInput(REGION_KINDS),
  pad: fc.integer({ min: 0, max: 8 }).map((k) => 8 * k),
  tail: fc.integer({ min: 0, max: 64 }),
  lenShift: fc.oneof({ weight: 6, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.integer({ min: -200, max: 200 }) }),
}).map(({ region, pad, tail, lenShift }) => {
  // rounded up to 8 bytes, like every memory a region lives in (arena pages, scratch memory)
  const bytes = new Uint8Array((pad + Math.max(region.bytes.length, region.len) + tail + 7) & ~7)
  bytes.set(region.bytes, pad)
  return { bytes, ptr: pad, len: Math.max(0, region.len + lenShift) }
})

/** checkRegion: a header it accepts really fits its descriptor, and every host codec reads it or says E_BAD_REGION. */
export function checkHeaderCase(c: HeaderCase): string {
  const dv = new DataView(c.bytes.buffer, c.bytes.byteOffset, c.bytes.byteLength)
  let h
  try {
    h = checkRegion(dv, c.ptr, c.len)
  } catch (e) {
    if (!(e instanceof GraticuleError) || e.code !== 'E_BAD_REGION') throw new Error(`checkRegion must refuse with E_BAD_REGION, got ${describeError(e)}`)
    return 'E_BAD_REGION'
  }
  // what acceptance promises
  if (c.ptr + c.len > c.bytes.length || h.byteLength > c.len || h.byteLength < L.HEADER_SIZE) throw new Error(`accepted a region of ${h.byteLength} bytes in a descriptor of ${c.len}`)
  if (!NAME_BY_KIND[h.kind]) throw new Error(`accepted unknown kind ${h.kind}`)
  if (h.count !== h.sections[0].count) throw new Error('accepted a count that disagrees with the main table')
  try {
    readRegionWithCodecs(c.bytes, { ptr: c.ptr, len: c.len }, h.kind)
  } catch (e) {
    if (!(e instanceof GraticuleError) || !['E_BAD_REGION', 'E_BAD_FORMAT'].includes(e.code)) {
      throw new Error(`a ${NAME_BY_KIND[h.kind]} region checkRegion accepted makes a host codec fail unclearly: ${describeError(e)}`)
    }
    return `accepted, codec ${e.code}`
  }
  return 'accepted'
}

// ─── chains ──────────────────────────────────────────────────────────────────────────────────────────

export const SHIPPED_CHAINS = readdirSync(join(ROOT, 'chains')).filter((f) => f.endsWith('.yaml')).sort()
  .map((f) => readFileSync(join(ROOT, 'chains', f), 'utf8'))

const YAML_TOKENS = [
  'name: ', 'description: ', 'input:', 'kind: ', 'params:', 'steps:', 'output:', '- ', 'id: ', 'uses: ', 'with:', 'needs: ', 'step: ', 'as: ',
  'type: ', 'default: ', 'min: ', 'max: ', 'values: ', 'doc: ', 'z', 'x', 'y', 'zoom', 'radius', 'to', 'bbox',
  'tile', 'points', 'features', 'int', 'number', 'enum', 'crs', 'bool', 'png', 'geojson', 'grid', 'csv', 'mvt',
  'mvt-decode', 'reproject', 'cluster', 'heatmap', 'points-merge', 'grid-combine', 'colorize', 'EPSG:3857', 'input', '${{ input.z }}', '${{ input.',
  '\n', '\n  ', '\n    ', '  ', ' ', '{', '}', '[', ']', ',', ':', '&a ', '*a', '&b ', '*b', '<<: ', '!!str ', '!!int ', '!!binary ', '!!map ', '!custom ',
  '|', '>-', '"', "'", '#', '?', '---\n', '...\n', '%YAML 1.2\n', '%TAG ! tag:x,2024:\n', '\t', '\r\n', '\u0000', '\ufeff', '\u2028', 'é',
  '0', '1', '-1', '1e309', '0x1f', '.inf', '.nan', 'null', '~', 'true', 'yes', 'on', '2024-01-01', '999999999999999999999',
]

/** Random text built from YAML syntax and chain vocabulary. */
export const arbYamlish: fc.Arbitrary<string> = fc.array(fc.constantFrom(...YAML_TOKENS), { maxLength: 80 }).map((t) => t.join(''))

type LineEdit =
  | { op: 'delete' | 'duplicate'; at: number }
  | { op: 'swap'; at: number; with: number }
  | { op: 'indent'; at: number; by: number }
  | { op: 'replace'; at: number; word: number; token: string }
  | { op: 'insert'; at: number; token: string }
  | { op: 'anchor'; at: number; alias: number }

const arbLineEdit: fc.Arbitrary<LineEdit> = fc.oneof(
  fc.record({ op: fc.constantFrom('delete' as const, 'duplicate' as const), at: fc.nat() }),
  fc.record({ op: fc.constant('swap' as const), at: fc.nat(), with: fc.nat() }),
  fc.record({ op: fc.constant('indent' as const), at: fc.nat(), by: fc.integer({ min: -4, max: 4 }) }),
  fc.record({ op: fc.constant('replace' as const), at: fc.nat(), word: fc.nat(), token: fc.constantFrom(...YAML_TOKENS) }),
  fc.record({ op: fc.constant('insert' as const), at: fc.nat(), token: arbYamlish }),
  fc.record({ op: fc.constant('anchor' as const), at: fc.nat(), alias: fc.nat() }),
)

function editLines(text: string, edits: LineEdit[]): string {
  const lines = text.split('\n')
  for (const e of edits) {
    const i = e.at % lines.length
    switch (e.op) {
      case 'delete': lines.splice(i, 1); break
      case 'duplicate': lines.splice(i, 0, lines[i]); break
      case 'swap': { const j = e.with % lines.length; [lines[i], lines[j]] = [lines[j], lines[i]]; break }
      case 'indent': lines[i] = e.by >= 0 ? ' '.repeat(e.by) + lines[i] : lines[i].replace(new RegExp(`^ {0,${-e.by}}`), ''); break
      case 'replace': {
        const words = lines[i].split(/(\s+|:\s*)/)
        if (words.length) words[e.word % words.length] = e.token
        lines[i] = words.join('')
        break
      }
      case 'insert': lines.splice(i, 0, e.token); break
      case 'anchor': {
        // put an anchor on one value and an alias of it on another line: chains are data, aliases are legal
        const j = e.alias % lines.length
        lines[i] = lines[i].replace(/: (\S)/, ': &x $1')
        lines[j] = lines[j].replace(/: \S.*$/, ': *x')
        break
      }
    }
    if (lines.length === 0) lines.push('')
  }
  return lines.join('\n')
}

/** Nesting `depth` deep, in flow or block style, placed where a chain expects a list or a map. */
export const arbDeepYaml: fc.Arbitrary<string> = fc.record({
  // past ~1000 levels the YAML parser runs out of stack (reported as E_CHAIN_YAML); a 64 KiB file of
  // nesting costs ~0.8 s to refuse, so most cases stay shallower
  depth: fc.oneof({ weight: 6, arbitrary: fc.integer({ min: 1, max: 200 }) }, { weight: 3, arbitrary: fc.integer({ min: 200, max: 3_000 }) }, { weight: 1, arbitrary: fc.integer({ min: 3_000, max: 40_000 }) }),
  style: fc.constantFrom('flow-seq', 'flow-map', 'block-seq', 'block-map', 'mixed'),
  where: fc.constantFrom('steps', 'with', 'top', 'params'),
}).map(({ depth, style, where }) => {
  let inner: string
  switch (style) {
    case 'flow-seq': inner = '['.repeat(depth) + ']'.repeat(depth); break
    case 'flow-map': inner = '{a: '.repeat(depth) + '1' + '}'.repeat(depth); break
    case 'mixed': inner = '[{a: '.repeat(depth) + '1' + '}]'.repeat(depth); break
    case 'block-seq': inner = '\n' + Array.from({ length: Math.min(depth, 300) }, (_, i) => ' '.repeat(2 * i + 2) + '-').join('\n') + ' x'; break
    default: inner = '\n' + Array.from({ length: Math.min(depth, 300) }, (_, i) => ' '.repeat(2 * i + 2) + `k${i}:`).join('\n') + ' x'
  }
  switch (where) {
    case 'steps': return `name: deep\ninput: { kind: points }\nsteps: ${inner}\noutput: { step: a, as: png }\n`
    case 'with': return `name: deep\ninput: { kind: points }\nsteps:\n  - id: a\n    uses: reproject\n    with: { to: ${inner} }\noutput: { step: a, as: geojson }\n`
    case 'params': return `name: deep\ninput:\n  kind: points\n  params: { z: ${inner} }\nsteps:\n  - id: a\n    uses: reproject\n    with: { to: "EPSG:3857" }\noutput: { step: a, as: geojson }\n`
    default: return inner
  }
})

/** Aliases: billion laughs, merge keys, undefined and self-referencing anchors. */
export const arbAliasYaml: fc.Arbitrary<string> = fc.record({
  levels: fc.integer({ min: 1, max: 12 }),
  fanout: fc.integer({ min: 1, max: 12 }),
  kind: fc.constantFrom('laughs', 'merge', 'undefined', 'self', 'key', 'whole'),
}).map(({ levels, fanout, kind }) => {
  const head = 'name: aliases\ninput: { kind: points }\n'
  const tail = 'steps:\n  - id: a\n    uses: reproject\n    with: { to: "EPSG:3857" }\noutput: { step: a, as: geojson }\n'
  switch (kind) {
    case 'laughs': {
      const lines = ['x0: &x0 [lol]']
      for (let l = 1; l <= levels; l++) lines.push(`x${l}: &x${l} [${Array.from({ length: fanout }, () => `*x${l - 1}`).join(', ')}]`)
      return head + `description: *x${levels}\n` + lines.join('\n') + '\n' + tail
    }
    case 'merge': return head + `base: &b { id: a, uses: reproject, with: { to: "EPSG:3857" } }\nsteps:\n` + Array.from({ length: fanout }, (_, i) => `  - { <<: *b, id: s${i} }`).join('\n') + '\noutput: { step: s0, as: geojson }\n'
    case 'undefined': return head + `description: *nowhere\n` + tail
    case 'self': return head + `description: &s [*s]\n` + tail
    case 'key': return head + `? &k [a, b]\n: *k\n*k : x\n` + tail
    default: return '*x'
  }
})

export const arbChainText: fc.Arbitrary<string> = fc.oneof(
  { weight: 3, arbitrary: arbYamlish },
  { weight: 5, arbitrary: fc.tuple(fc.constantFrom(...SHIPPED_CHAINS), fc.array(arbLineEdit, { minLength: 1, maxLength: 5 })).map(([t, e]) => editLines(t, e)) },
  { weight: 2, arbitrary: fc.tuple(fc.constantFrom(...SHIPPED_CHAINS), fc.array(arbMutation, { minLength: 1, maxLength: 4 })).map(([t, m]) => new TextDecoder().decode(mutate(new TextEncoder().encode(t), m))) },
  { weight: 1, arbitrary: arbAliasYaml },
)

const DIAGNOSTIC_CODES = new Set<DiagnosticCode>([
  'E_CHAIN_TOO_LARGE', 'E_CHAIN_YAML', 'E_CHAIN_DUPLICATE_KEY', 'E_CHAIN_ALIASES', 'E_CHAIN_SCHEMA', 'E_CHAIN_UNKNOWN_FAASLET',
  'E_CHAIN_UNKNOWN_PARAM', 'E_CHAIN_BAD_PARAM', 'E_CHAIN_MISSING_PARAM', 'E_CHAIN_UNKNOWN_INPUT_PARAM', 'E_CHAIN_KIND_MISMATCH',
  'E_CHAIN_INPUT_COUNT', 'E_CHAIN_CYCLE', 'E_CHAIN_UNREACHABLE', 'E_CHAIN_NO_OUTPUT', 'E_CHAIN_UNKNOWN_STEP', 'E_CHAIN_DUPLICATE_STEP',
  'E_CHAIN_BAD_OUTPUT', 'E_CHAIN_BAD_INPUT_PARAM',
])

/** Longest a chain file may take to validate: far above the ~ms a 64 KiB file needs, far below a hang. */
export const CHAIN_LOAD_LIMIT_MS = 3_000

/** loadChain: a chain or diagnostics with known codes and positions inside the text, quickly, never a throw. */
export function checkChainText(text: string, faaslets: ManifestSource): string {
  const t0 = performance.now()
  let r
  try {
    r = loadChain(text, 'fuzz.yaml', faaslets)
  } catch (e) {
    throw new Error(`loadChain threw instead of reporting diagnostics: ${describeError(e)}`)
  }
  const ms = performance.now() - t0
  if (ms > CHAIN_LOAD_LIMIT_MS) throw new Error(`loadChain took ${ms.toFixed(0)} ms`)
  if (r.chain) {
    if (r.diagnostics.length) throw new Error('a chain and diagnostics at once')
    // a valid chain binds (with some parameters) or refuses them clearly
    try {
      bindChain(r.chain, Object.fromEntries(r.chain.input.params.filter((p) => p.default === undefined).map((p) => [p.name, p.type === 'crs' ? 'EPSG:3857' : p.type === 'bbox' ? '-10,-10,10,10' : p.type === 'bool' ? 'true' : p.type === 'enum' ? p.values?.[0] : 1])), faaslets)
    } catch (e) {
      if (!(e instanceof GraticuleError)) throw new Error(`bindChain of a valid chain failed unclearly: ${describeError(e)}`)
    }
    return 'valid'
  }
  if (r.diagnostics.length === 0) throw new Error('neither a chain nor diagnostics')
  const lines = text.split(/\r?\n/).length
  for (const d of r.diagnostics) {
    if (!DIAGNOSTIC_CODES.has(d.code)) throw new Error(`unknown diagnostic code ${d.code}`)
    if (!(d.line >= 1 && d.col >= 1 && d.line <= lines + 1)) throw new Error(`diagnostic ${d.code} at ${d.line}:${d.col} lies outside the ${lines}-line text`)
  }
  return r.diagnostics[0].code
}

// ─── HTTP ────────────────────────────────────────────────────────────────────────────────────────────

export const TOKEN = 'fuzz-token'

export interface HttpCase { method: 'GET' | 'POST' | 'PUT' | 'DELETE'; url: string; headers: Record<string, string>; body?: Uint8Array | string }

const enc = (s: string) => encodeURIComponent(s)
const contentType = (t: string): Record<string, string> => (t ? { 'content-type': t } : {})
const arbWeirdString = fc.oneof(
  fc.constantFrom('', ' ', '-1', '0', '1', '1.5', '1e309', 'NaN', 'Infinity', '-0', '0x10', '1,2', '999999999999', '2147483648', 'true', 'null', '[]', '{}', '../x', '%00', '\u0000', 'é', '%', '%zz'),
  fc.string({ maxLength: 12 }),
  fc.integer().map(String),
  fc.double().map(String),
)

/** Query strings: known names with odd values, unknown names, repeated keys, and raw percent junk. */
function arbQuery(names: string[]): fc.Arbitrary<string> {
  const pair = fc.oneof(
    { weight: 6, arbitrary: fc.tuple(fc.constantFrom(...names), arbWeirdString).map(([k, v]) => `${enc(k)}=${enc(v)}`) },
    { weight: 4, arbitrary: fc.tuple(fc.constantFrom(...names), fc.oneof(fc.integer({ min: -2, max: 40 }).map(String), fc.constantFrom('quartic', 'gaussian', 'shared', 'copy', 'EPSG:3857', '-10,-10,10,10'))).map(([k, v]) => `${k}=${enc(v)}`) },
    { weight: 1, arbitrary: fc.tuple(fc.constantFrom('__proto__', 'constructor', 'toString', 'hasOwnProperty', 'mode', 'tenant', 'output', 'x[]', 'a.b'), arbWeirdString).map(([k, v]) => `${enc(k)}=${enc(v)}`) },
    { weight: 1, arbitrary: fc.constantFrom('&', '=', '==', '%', '%2', '%%', 'z', 'z=', '=1', '&&&', '+', '%00=%00', 'z=1&z=2') },
  )
  return fc.array(pair, { maxLength: 8 }).map((ps) => (ps.length ? `?${ps.join('&')}` : ''))
}

const INVOKE_TYPES = ['application/vnd.mapbox-vector-tile', 'application/x-protobuf', 'application/octet-stream', 'application/geo+json', 'application/json', 'text/csv', 'application/x-ndjson', 'image/png', REGION_MEDIA_TYPE]
const arbContentType = (known: string[]) => fc.oneof(
  { weight: 8, arbitrary: fc.constantFrom(...known) },
  { weight: 2, arbitrary: fc.tuple(fc.constantFrom(...known), fc.constantFrom('; charset=utf-8', '; charset=utf-16', ';', '; boundary=x', ' ;q=1', '; charset="latin1"')).map(([t, p]) => t + p) },
  { weight: 1, arbitrary: fc.constantFrom('text/plain', 'application/xml', 'multipart/form-data; boundary=x', 'APPLICATION/JSON', 'application/', '/', '*/*', 'x', 'application/yaml') },
  { weight: 1, arbitrary: fc.constant('') },
)

const arbCsv = fc.oneof(
  fc.array(fc.tuple(arbWeirdString, arbWeirdString, arbWeirdString), { maxLength: 20 }).map((rows) => 'lon,lat,weight\n' + rows.map((r) => r.join(',')).join('\n')),
  fc.array(fc.tuple(fc.double({ min: -180, max: 180, noNaN: true }), fc.double({ min: -85, max: 85, noNaN: true })), { maxLength: 200 }).map((rows) => 'lon,lat\n' + rows.map((r) => r.join(',')).join('\n')),
  fc.string({ maxLength: 200 }),
  fc.constantFrom('', 'lon,lat\n', 'x,y,w,id\n1,2,3,4\n', 'lon,lat\n1\n', 'lat,lon,lat\n1,2,3\n', '\ufefflon,lat\n1,2\n', 'lon,lat\r\n1,2\r\n'),
)
const arbJsonBody = fc.oneof(
  { weight: 3, arbitrary: arbFeatureCollection.map((fcol) => JSON.stringify(fcol)) },
  { weight: 2, arbitrary: fc.jsonValue({ maxDepth: 4 }).map((v) => JSON.stringify(v)) },
  { weight: 1, arbitrary: fc.constantFrom('', '{', '{"type":', 'null', '[]', '{"type":"FeatureCollection","features":null}', '{"type":"Feature","geometry":{"type":"Point","coordinates":[1e999,0]}}', '{"__proto__":{"x":1}}', '"\\ud800"', '[' .repeat(5000) + ']'.repeat(5000)) },
)
const arbNdjson = fc.array(fc.oneof(
  fc.record({ lon: arbCoord, lat: arbCoord, value: fc.option(fc.double()) }).map((o) => JSON.stringify(o)),
  fc.jsonValue({ maxDepth: 2 }).map((v) => JSON.stringify(v)),
  fc.string({ maxLength: 10 }),
), { maxLength: 10 }).map((lines) => lines.join('\n'))

function arbInvokeBody(): fc.Arbitrary<Uint8Array | string> {
  return fc.oneof(
    { weight: 3, arbitrary: arbMutated(mvtCorpus()) },
    { weight: 1, arbitrary: fc.constantFrom(...mvtCorpus().filter((t) => t.length < 30_000)) },
    { weight: 2, arbitrary: arbStructuredTile },
    { weight: 2, arbitrary: fc.uint8Array({ maxLength: 1024 }) },
    { weight: 3, arbitrary: arbCsv },
    { weight: 3, arbitrary: arbJsonBody },
    { weight: 2, arbitrary: arbNdjson },
    { weight: 2, arbitrary: arbRegionInput(['points', 'features', 'mvt']).map((r) => r.bytes) },
    { weight: 1, arbitrary: arbGridLike.map((g) => encodePng({ width: g.width, height: g.height, rgba: new Uint8Array(4 * g.width * g.height).fill(200) })).chain((png) => fc.array(arbMutation, { maxLength: 3 }).map((m) => mutate(png, m))) },
  )
}

export const INVOKE_PARAM_NAMES = ['z', 'x', 'y', 'radius', 'kernel', 'scale', 'zoom', 'bbox', 'to', 'mode', 'output', 'tenant', 'minWeight', 'cell']

/** What a request needs to know about a chain to be mostly right: its input kind and parameters. */
export interface ChainShape { name: string; kind: string; params: ParamSpec[]; outputs: string[] }

export function chainShapes(gw: Gateway): ChainShape[] {
  return gw.ctx.chains.list().map(({ chain }) => ({ name: chain.name, kind: chain.input.kind, params: chain.input.params, outputs: chain.outputs.map((o) => o.name) }))
}

function queryValue(p: ParamSpec, v: unknown): string {
  if (p.type === 'bbox' && Array.isArray(v)) return v.join(',')
  if (p.type === 'crs') return `EPSG:${v}`
  return String(v)
}

/** A body of the kind the chain reads, with a content type that says so. */
function arbMatchingBody(kind: string): fc.Arbitrary<{ type: string; body: Uint8Array | string }> {
  if (kind === 'tile') {
    return fc.record({
      type: fc.constantFrom('application/vnd.mapbox-vector-tile', 'application/x-protobuf', 'application/octet-stream'),
      body: fc.oneof({ weight: 3, arbitrary: arbMutated(mvtCorpus()) }, { weight: 2, arbitrary: fc.constantFrom(...mvtCorpus().filter((t) => t.length < 30_000)) }, { weight: 2, arbitrary: arbStructuredTile }),
    })
  }
  if (kind === 'features') {
    return fc.oneof(
      arbFeatureCollection.map((j) => ({ type: 'application/geo+json', body: JSON.stringify(j) })),
      arbRegionInput(['features']).map((r) => ({ type: REGION_MEDIA_TYPE, body: r.bytes })),
    )
  }
  const points = fc.array(fc.tuple(fc.double({ min: -180, max: 180, noNaN: true }), fc.double({ min: -85, max: 85, noNaN: true }), fc.double({ min: 0, max: 10, noNaN: true })), { maxLength: 300 })
  return fc.oneof(
    { weight: 3, arbitrary: points.map((ps) => ({ type: 'text/csv', body: 'lon,lat,weight\n' + ps.map((p) => p.join(',')).join('\n') })) },
    { weight: 2, arbitrary: arbCsv.map((b) => ({ type: 'text/csv', body: b })) },
    { weight: 2, arbitrary: points.map((ps) => ({ type: 'application/geo+json', body: JSON.stringify({ type: 'FeatureCollection', features: ps.map(([x, y, w]) => ({ type: 'Feature', geometry: { type: 'Point', coordinates: [x, y] }, properties: { weight: w } })) }) })) },
    { weight: 1, arbitrary: arbFeatureCollection.map((j) => ({ type: 'application/geo+json', body: JSON.stringify(j) })) },
    { weight: 2, arbitrary: arbNdjson.map((b) => ({ type: 'application/x-ndjson', body: b })) },
    { weight: 2, arbitrary: arbRegionInput(['points']).map((r) => ({ type: REGION_MEDIA_TYPE, body: r.bytes })) },
  )
}

/**
 * Requests to run a chain: mostly well-formed (its parameters in range, a body of its input kind), then
 * spoiled — a parameter dropped or set to junk, unknown and repeated keys, another executor mode, a
 * content type or body of the wrong kind, a chain name that does not exist.
 */
export function arbInvokeCase(chains: ChainShape[]): fc.Arbitrary<HttpCase> {
  return fc.constantFrom(...chains).chain((ch) => {
    const good = fc.record(Object.fromEntries(ch.params.map((p) => [p.name, p.name === 'z' ? fc.integer({ min: 0, max: 12 }) : arbParam(p)])) as Record<string, fc.Arbitrary<unknown>>)
    const spoil = fc.oneof(
      { weight: 10, arbitrary: fc.constant([] as string[]) },
      { weight: 3, arbitrary: arbQuery(INVOKE_PARAM_NAMES).map((q) => (q ? q.slice(1).split('&') : [])) },
      { weight: 1, arbitrary: fc.constantFrom(['mode=copy'], ['mode=http'], ['mode=copy', 'output=clusters'], ['output=density'], ['output=nope'], ['tenant=fuzz-a'], ['tenant=Bad Name']) },
    )
    const body = fc.oneof({ weight: 8, arbitrary: arbMatchingBody(ch.kind) }, { weight: 2, arbitrary: fc.record({ type: arbContentType(INVOKE_TYPES), body: arbInvokeBody() }) })
    return fc.record({
      name: fc.oneof({ weight: 19, arbitrary: fc.constant(ch.name) }, { weight: 1, arbitrary: arbWeirdString.map(enc) }),
      params: good, drop: fc.oneof({ weight: 7, arbitrary: fc.constant(null) }, { weight: 1, arbitrary: fc.nat() }), spoil, body,
    }).map(({ name, params, drop, spoil, body }) => {
      const pairs = ch.params.map((p) => `${p.name}=${enc(queryValue(p, params[p.name]))}`)
      if (drop !== null && pairs.length) pairs.splice(drop % pairs.length, 1)
      const query = [...pairs, ...spoil].map((q) => q.replace(/^tenant=(?!default$|fuzz-a$|Bad).*/, 'tenant=fuzz-b'))
      return { method: 'POST' as const, url: `/chains/${name}/invoke${query.length ? `?${query.join('&')}` : ''}`, headers: contentType(body.type), body: body.body }
    })
  })
}

const arbChainName = fc.oneof(
  { weight: 5, arbitrary: fc.stringMatching(/^[a-z0-9][a-z0-9-]{0,20}$/) },
  { weight: 1, arbitrary: fc.constantFrom('..', '.', '..%2Fx', '%2e%2e', '%2e%2e%2fx', '..%2F..%2Fetc%2Fpasswd', 'a%2Fb', 'a%5Cb', '%00', 'A', 'tile-heatmap', 'a'.repeat(63), 'a'.repeat(64), 'a'.repeat(5000), '-a', 'a_b', '.hidden', 'x.yaml', '%C3%A9') },
  { weight: 1, arbitrary: arbWeirdString.map(enc) },
)

export function arbPutCase(): fc.Arbitrary<HttpCase> {
  // the body: edited chain text, or a shipped chain renamed to the URL's name (valid: it gets stored, replaced,
  // read back and deleted) or to another name (refused: the file and the URL must agree)
  const body = (name: string) => fc.oneof(
    { weight: 2, arbitrary: arbChainText },
    { weight: 2, arbitrary: fc.constantFrom(...SHIPPED_CHAINS).map((t) => t.replace(/^name: .*$/m, `name: ${decodeURIComponentSafe(name)}`)) },
    { weight: 1, arbitrary: fc.tuple(arbChainName, fc.constantFrom(...SHIPPED_CHAINS)).map(([n, t]) => t.replace(/^name: .*$/m, `name: ${decodeURIComponentSafe(n)}`)) },
  )
  return arbChainName.chain((name) => fc.record({
    name: fc.constant(name),
    body: body(name),
    auth: fc.constantFrom('right', 'right', 'right', 'none', 'wrong', 'lowercase'),
    type: arbContentType(['application/yaml', 'text/yaml', 'text/plain', 'application/x-yaml']),
    method: fc.constantFrom('PUT', 'PUT', 'PUT', 'DELETE', 'GET') as fc.Arbitrary<'PUT' | 'DELETE' | 'GET'>,
  })).map(({ name, body, auth, type, method }) => {
    const headers = contentType(type)
    if (auth === 'right') headers.authorization = `Bearer ${TOKEN}`
    if (auth === 'wrong') headers.authorization = `Bearer ${TOKEN}x`
    if (auth === 'lowercase') headers.authorization = `bearer ${TOKEN}`
    return { method, url: `/chains/${name}`, headers, body: method === 'PUT' ? body : undefined }
  })
}

function decodeURIComponentSafe(s: string): string {
  try { return decodeURIComponent(s) } catch { return s }
}

const arbSensorPoint = fc.record({
  sensor: fc.oneof({ weight: 8, arbitrary: fc.constantFrom('s1', 's2', 's3', 'fuzz') }, { weight: 1, arbitrary: fc.string({ maxLength: 300 }) }, { weight: 1, arbitrary: fc.anything({ maxDepth: 1 }) }),
  ts: fc.oneof({ weight: 8, arbitrary: fc.integer({ min: -3_000, max: 3_000 }).map((d) => FUZZ_EPOCH + d) }, { weight: 1, arbitrary: fc.constantFrom(-1, 0, 8.64e15, 8.64e15 + 1, 1.5, NaN) }, { weight: 1, arbitrary: fc.anything({ maxDepth: 1 }) }),
  lon: fc.oneof({ weight: 8, arbitrary: fc.double({ min: -180, max: 180, noNaN: true }) }, { weight: 1, arbitrary: arbCoord }, { weight: 1, arbitrary: fc.anything({ maxDepth: 1 }) }),
  lat: fc.oneof({ weight: 8, arbitrary: fc.double({ min: -90, max: 90, noNaN: true }) }, { weight: 1, arbitrary: arbCoord }, { weight: 1, arbitrary: fc.anything({ maxDepth: 1 }) }),
  value: fc.oneof({ weight: 8, arbitrary: fc.double({ noNaN: true, noDefaultInfinity: true }) }, { weight: 1, arbitrary: fc.anything({ maxDepth: 1 }) }),
}, { requiredKeys: [] })

/** Event times of the ingest fuzz cluster around this instant (set before the run; windows need real time). */
let FUZZ_EPOCH = Date.now()
export function setFuzzEpoch(t: number): void {
  FUZZ_EPOCH = t
}

export function arbIngestCase(): fc.Arbitrary<HttpCase> {
  const json = fc.oneof(
    { weight: 4, arbitrary: fc.array(arbSensorPoint, { maxLength: 40 }) },
    { weight: 2, arbitrary: arbSensorPoint },
    { weight: 1, arbitrary: fc.record({ points: fc.oneof(fc.array(arbSensorPoint, { maxLength: 10 }), fc.anything({ maxDepth: 1 })) }) },
    { weight: 1, arbitrary: fc.anything({ maxDepth: 3 }) },
  )
  return fc.record({
    type: arbContentType(['application/json', 'application/msgpack', 'application/x-msgpack', 'application/vnd.msgpack']),
    body: fc.oneof(
      { weight: 4, arbitrary: json.map((v) => ({ json: v })) },
      { weight: 1, arbitrary: fc.uint8Array({ maxLength: 256 }).map((b) => ({ raw: b })) },
      { weight: 1, arbitrary: fc.constantFrom('', '{', '[', 'null', '[[[[[[[[[[', '{"points":{}}', '\ufeff[]').map((s) => ({ raw: new TextEncoder().encode(s) })) },
    ),
  }).map(({ type, body }) => {
    let bytes: Uint8Array
    if ('raw' in body) bytes = body.raw
    else if (type.includes('msgpack')) {
      try { bytes = packMsgpack(body.json) } catch { bytes = new Uint8Array(0) }
    } else bytes = new TextEncoder().encode(JSON.stringify(body.json, (_k, v) => (typeof v === 'bigint' ? Number(v) : v)) ?? '')
    return { method: 'POST' as const, url: '/ingest', headers: contentType(type), body: bytes }
  })
}

export function arbLiveCase(): fc.Arbitrary<HttpCase> {
  const seg = fc.oneof({ weight: 4, arbitrary: fc.integer({ min: -1, max: 24 }).map(String) }, { weight: 1, arbitrary: arbWeirdString.map(enc) })
  return fc.oneof(
    { weight: 4, arbitrary: fc.tuple(seg, seg, seg, arbQuery(['radius', 'scale', 'zoom', 'x'])).map(([z, x, y, q]) => `/live/heatmap/${z}/${x}/${y}.png${q}`) },
    { weight: 3, arbitrary: arbQuery(['bbox', 'zoom', 'limit', 'x']).map((q) => `/live/clusters${q}`) },
    { weight: 3, arbitrary: arbQuery(['bbox', 'limit', 'zoom']).map((q) => `/live/points${q}`) },
    { weight: 1, arbitrary: fc.constantFrom('/live/status', '/live/status?x=1', '/live', '/live/', '/live/heatmap/0/0/0', '/live/heatmap/0/0/0.jpg', '/live/%2e%2e/healthz', '/live/points?bbox=-180,-90,180,90&bbox=0,0,1,1') },
    { weight: 1, arbitrary: fc.tuple(fc.constantFrom('/web/', '/wasm/', '/chains/', '/faaslets/', '/docs/', '/', '/metrics/'), arbWeirdString.map(enc)).map(([a, b]) => a + b) },
  ).map((url) => ({ method: 'GET' as const, url, headers: {} }))
}

/** Any response: 2xx, or a 4xx JSON error whose code is in the registry with that very status. 5xx fails the case. */
export async function checkHttpCase(gw: Gateway, c: HttpCase): Promise<string> {
  const res = await gw.app.inject({ method: c.method, url: c.url, headers: c.headers, payload: c.body === undefined ? undefined : typeof c.body === 'string' ? c.body : Buffer.from(c.body) })
  const what = () => `${c.method} ${c.url} [${c.headers['content-type'] ?? 'no content type'}] → ${res.statusCode} ${res.body.slice(0, 300)}`
  if (res.statusCode >= 500) throw new Error(`server error: ${what()}`)
  if (res.statusCode < 400) return String(res.statusCode)
  let body: { code?: string; message?: string }
  try {
    body = res.json()
  } catch {
    throw new Error(`error response is not JSON: ${what()}`)
  }
  if (typeof body.code !== 'string' || !(body.code in ERRORS)) throw new Error(`error code not in the registry: ${what()}`)
  if (ERRORS[body.code as keyof typeof ERRORS].status !== res.statusCode) throw new Error(`status disagrees with the registry's ${ERRORS[body.code as keyof typeof ERRORS].status}: ${what()}`)
  if (typeof body.message !== 'string' || !body.message) throw new Error(`error without a message: ${what()}`)
  return `${res.statusCode} ${body.code}`
}

/**
 * A gateway for HTTP fuzzing: token set, chains stored in a temp folder, small limits, and a sensor window
 * already published (points POSTed, then the partition flushed) so the /live routes have data to serve.
 */
export async function startFuzzGateway(workers = 2): Promise<{ gw: Gateway; chainsDir: string }> {
  const { buildGateway } = await import('../../gateway/app.js')
  const chainsDir = tempChainsDir()
  const gw = await buildGateway({
    workers, token: TOKEN, chainsDir,
    limits: { bodyLimit: 1 << 20, maxPointsPerRequest: 20_000 },
    ingestion: { windows: { sizeMs: 1_000, allowedLatenessMs: 0, maxPoints: 100_000 }, idleFlushMs: 300, simulator: null },
  })
  const now = Date.now()
  setFuzzEpoch(now)
  const points = Array.from({ length: 500 }, (_, i) => ({ sensor: `seed-${i % 50}`, ts: now - 2_000 + i, lon: -170 + (i * 7) % 340, lat: -80 + (i * 13) % 160, value: i % 17 }))
  const r = await gw.app.inject({ method: 'POST', url: '/ingest', payload: points, headers: { 'content-type': 'application/json' } })
  if (r.statusCode !== 200) throw new Error(`could not seed the live window: ${r.body}`)
  for (let i = 0; i < 100 && !gw.ctx.ingestion!.live.last; i++) await new Promise((res) => setTimeout(res, 50))
  if (!gw.ctx.ingestion!.live.last) throw new Error('no live window after seeding')
  return { gw, chainsDir }
}

/** Every file in the chains folder is a chain named as the registry allows: nothing escaped or went astray. */
export function strayChainFiles(chainsDir: string): string[] {
  return readdirSync(chainsDir).filter((f) => !/^[a-z0-9][a-z0-9-]{0,62}\.yaml$/.test(f))
}

/** A temp folder for chains PUT during a test. */
export function tempChainsDir(): string {
  return mkdtempSync(join(tmpdir(), 'graticule-fuzz-chains-'))
}

// ─── Kafka streams ───────────────────────────────────────────────────────────────────────────────────

/** Topics, group and `graticule serve` arguments of one isolated Kafka scenario. */
export interface KafkaScenario {
  topic: string
  results: string
  group: string
  args: string[]
}

export function kafkaScenario(brokers: string, id: string, extra: string[] = []): KafkaScenario {
  const topic = `sensors.${id}`, results = `results.${id}`, group = `gw.${id}`
  return {
    topic, results, group,
    args: ['--kafka', brokers, '--topic', topic, '--results-topic', results, '--group', group, '--no-simulator',
      '--window-ms', '1000', '--lateness-ms', '800', '--idle-flush-ms', '4000', '--workers', '1', '--chains-dir', join(tmpdir(), `graticule-reliability-${id}`), ...extra],
  }
}

/** Distinct points of a stream: what must be counted out, once each, whatever was sent twice. */
export function distinctPoints(points: Array<{ sensor: string; ts: number }>): number {
  return new Set(points.map((p) => `${p.sensor}|${p.ts}`)).size
}

/**
 * Reads a results topic from its start up to its current end with a fresh consumer group, keeping the last
 * result per window key (results are upserts: a window re-emitted after a crash replaces itself).
 */
export async function readResults(brokers: string, topic: string, history?: Map<string, string[]>): Promise<Map<string, number>> {
  const { Kafka, logLevel } = await import('kafkajs')
  const kafka = new Kafka({ clientId: 'reliability-results', brokers: [brokers], logLevel: logLevel.NOTHING, retry: { retries: 2 } })
  const admin = kafka.admin()
  await admin.connect()
  let ends: Map<number, number>
  try {
    ends = new Map((await admin.fetchTopicOffsets(topic)).map((o) => [o.partition, Number(o.high)]))
  } finally {
    await admin.disconnect()
  }
  const keys = new Map<string, number>()
  if ([...ends.values()].every((e) => e === 0)) return keys
  const consumer = kafka.consumer({ groupId: `reader.${Date.now()}.${Math.random().toString(36).slice(2)}`, maxWaitTimeInMs: 100 })
  await consumer.connect()
  try {
    await consumer.subscribe({ topic, fromBeginning: true })
    const seen = new Map<number, number>()
    await new Promise<void>((resolve, reject) => {
      const done = () => [...ends].every(([p, end]) => end === 0 || (seen.get(p) ?? -1) + 1 >= end)
      const timer = setTimeout(() => reject(new Error(`reading ${topic} timed out`)), 30_000)
      consumer.run({
        eachMessage: async ({ partition, message }) => {
          const r = JSON.parse(message.value!.toString()) as { key: string; count: number; duplicates: number; publishedAt: number }
          keys.set(r.key, r.count)
          seen.set(partition, Number(message.offset))
          if (history) history.set(r.key, [...(history.get(r.key) ?? []), `count ${r.count} dup ${r.duplicates} at ${new Date(r.publishedAt).toISOString().slice(11, 23)} (offset ${message.offset})`])
          if (done()) { clearTimeout(timer); resolve() }
        },
      }).catch(reject)
    })
  } finally {
    await consumer.disconnect()
  }
  return keys
}

export const totalOf = (keys: Map<string, number>) => [...keys.values()].reduce((a, b) => a + b, 0)

/**
 * Windows whose published count differs from what was produced into them (the first `limit`), as
 * "key: published/expected": where points went missing or were counted twice.
 */
export async function windowDifferences(points: Array<{ sensor: string; ts: number }>, results: Map<string, number>, topic: string, windowMs: number, partitions = 4, limit = 12): Promise<string[]> {
  const { sensorPartition } = await import('../../gateway/ingest/sensor-producer.js')
  const want = new Map<string, Set<string>>()
  for (const p of points) {
    const key = `${topic}/${sensorPartition(p.sensor, partitions)}/${Math.floor(p.ts / windowMs) * windowMs}`
    let set = want.get(key)
    if (!set) want.set(key, (set = new Set()))
    set.add(`${p.sensor}|${p.ts}`)
  }
  const out: string[] = []
  for (const key of [...new Set([...want.keys(), ...results.keys()])].sort()) {
    const w = want.get(key)?.size ?? 0, got = results.get(key) ?? 0
    if (w !== got) out.push(`${key}: ${got}/${w}`)
  }
  return out.length > limit ? [...out.slice(0, limit), `… ${out.length - limit} more`] : out
}

// ─── soak ────────────────────────────────────────────────────────────────────────────────────────────

export interface SoakSample {
  /** seconds since the soak started */
  t: number
  rssMiB: number
  heapMiB: number
  /** chunk-heap bytes held, all tenants */
  arenaBytes: number
  /** event-loop delay over the last interval, ms */
  loopP50: number
  loopP99: number
  loopMax: number
  /** requests answered so far, and how many of them were not 2xx or failed */
  ok: number
  errors: number
  /** sensor windows published so far */
  windows: number
}

/** Samples the gateway's process: RSS, heap, arena bytes in use, event-loop delay, request and window counts. */
export class SoakMonitor {
  readonly samples: SoakSample[] = []
  private readonly delay: IntervalHistogram
  private readonly t0 = performance.now()

  constructor(private readonly gw: Gateway, private readonly counts: () => { ok: number; errors: number }) {
    this.delay = monitorEventLoopDelay({ resolution: 10 })
    this.delay.enable()
  }

  arenaBytes(): number {
    return [...this.gw.ctx.dataplane.tenants.values()].reduce((n, t) => n + t.arena.bytesInUse, 0)
  }

  highWaterBytes(): number {
    return Math.max(...[...this.gw.ctx.dataplane.tenants.values()].map((t) => t.arena.highWaterBytes))
  }

  sample(): SoakSample {
    const m = process.memoryUsage()
    const ms = (ns: number) => (Number.isFinite(ns) ? ns / 1e6 : 0)
    const s: SoakSample = {
      t: (performance.now() - this.t0) / 1000, rssMiB: m.rss / 2 ** 20, heapMiB: m.heapUsed / 2 ** 20, arenaBytes: this.arenaBytes(),
      loopP50: ms(this.delay.percentile(50)), loopP99: ms(this.delay.percentile(99)), loopMax: ms(this.delay.max),
      ...this.counts(), windows: this.gw.ctx.ingestion?.live.windows ?? 0,
    }
    this.delay.reset()
    this.samples.push(s)
    return s
  }

  stop(): void {
    this.delay.disable()
  }
}

/**
 * Slope (units per second) of the floor of a series over [from, to] s: the least-squares line through the
 * minimum of each `bucket`-second bucket. Garbage collection makes RSS a sawtooth and in-flight
 * invocations make arena use jitter; a leak raises the floor, so the floor is what is fitted.
 */
export function floorSlope(samples: SoakSample[], key: keyof SoakSample, from: number, to = Infinity, bucket = 5): number {
  const buckets = new Map<number, { t: number; v: number }>()
  for (const s of samples) {
    if (s.t < from || s.t > to) continue
    const b = Math.floor((s.t - from) / bucket)
    const have = buckets.get(b)
    const v = s[key] as number
    if (!have || v < have.v) buckets.set(b, { t: s.t, v })
  }
  const pts = [...buckets.values()]
  return slope(pts.map((p) => p.t), pts.map((p) => p.v))
}

/** A points-heatmap request body: n points in and around tile 4/8/5 (Europe), CSV. */
export function soakCsv(n: number, seed = 1): string {
  let a = seed >>> 0
  const rand = () => { a = (a + 0x6d2b79f5) >>> 0; let t = a; t = Math.imul(t ^ (t >>> 15), t | 1); t ^= t + Math.imul(t ^ (t >>> 7), t | 61); return ((t ^ (t >>> 14)) >>> 0) / 4294967296 }
  const rows = ['lon,lat,weight']
  for (let i = 0; i < n; i++) rows.push(`${(rand() * 24 - 1).toFixed(5)},${(40 + rand() * 16).toFixed(5)},${(1 + rand() * 4).toFixed(2)}`)
  return rows.join('\n') + '\n'
}
export const SOAK_PATH = '/chains/points-heatmap/invoke?z=4&x=8&y=5'

/** The subset of autocannon's programmatic API the soak uses (the package ships no types). */
export interface Cannon extends NodeJS.EventEmitter {
  stop(): void
}
export interface CannonResult {
  requests: { average: number; total: number }
  latency: { p50: number; p99: number; max: number }
  non2xx: number
  errors: number
  timeouts: number
  duration: number
}
export type CannonFn = ((opts: Record<string, unknown>, cb: (err: Error | null, res: CannonResult) => void) => Cannon)

export function loadAutocannon(): CannonFn {
  return createRequire(import.meta.url)('autocannon') as CannonFn
}

/** Runs autocannon against the soak route; counts 2xx and the rest as they come (for per-interval reports). */
export function cannon(url: string, opts: { connections: number; seconds: number; rate?: number; body: string }, counts = { ok: 0, errors: 0 }): { counts: { ok: number; errors: number }; done: Promise<CannonResult>; stop(): void } {
  const autocannon = loadAutocannon()
  let instance!: Cannon
  const done = new Promise<CannonResult>((resolve, reject) => {
    instance = autocannon({
      url: url + SOAK_PATH, method: 'POST', body: opts.body, headers: { 'content-type': 'text/csv' },
      connections: opts.connections, duration: opts.seconds, timeout: 30, ...(opts.rate ? { overallRate: opts.rate } : {}),
    }, (err, res) => (err ? reject(err) : resolve(res)))
  })
  instance.on('response', (_client: unknown, status: number) => { if (status >= 200 && status < 300) counts.ok++; else counts.errors++ })
  instance.on('reqError', () => { counts.errors++ })
  return { counts, done, stop: () => instance.stop() }
}
