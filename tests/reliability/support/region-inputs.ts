// Regions of every kind as faaslets receive them: well-formed ones built with the host codecs, then header fields
// and bytes edited, relabelled or random, with a descriptor length that may lie; and the host's readers of them.
import fc from 'fast-check'
import * as L from '../../../faaslets/abi/layout.js'
import type { RegionKindName } from '../../../faaslets/abi/manifest.js'
import { checkRegion, KIND_BY_NAME, ScratchMemory, type Descriptor, type RegionMemory } from '../../../faaslets/abi/region.js'
import { encodeOutput, type OutputFormat } from '../../../faaslets/codecs/boundary.js'
import { clusterArrays, readClusters, writeClusters } from '../../../faaslets/codecs/clusters.js'
import { readFeatures, writeFeatures } from '../../../faaslets/codecs/features.js'
import { readGrid, readImage, writeGrid, writeImage } from '../../../faaslets/codecs/grid.js'
import { readMvt } from '../../../faaslets/codecs/mvt.js'
import { pointArrays, readPoints, writePoints } from '../../../faaslets/codecs/points.js'
import { arbMutation, INTERESTING, mutate, type Mutation } from './byte-mutations.js'
import { arbStructuredTile, mvtCorpus, writeRawMvt } from './mvt-cases.js'

export const arbCoord = fc.oneof(
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

export const arbGridLike = fc.record({
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

export const arbRegionEdit: fc.Arbitrary<RegionEdit> = fc.oneof(
  { weight: 3, arbitrary: fc.record({ op: fc.constant('field' as const), field: fc.nat({ max: HEADER_FIELDS.length - 1 }), value: fc.constantFrom(...INTERESTING, 3n, 4n, 5n, 6n, 32n, 40n, 128n) }) },
  { weight: 3, arbitrary: fc.record({ op: fc.constant('nudge' as const), field: fc.nat({ max: HEADER_FIELDS.length - 1 }), by: fc.integer({ min: -16, max: 16 }) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('float' as const), field: fc.integer({ min: 13, max: 16 }), value: fc.constantFrom(NaN, Infinity, -Infinity, 0, -0, 1e308, -1e308, 5e-324) }) },
  { weight: 3, arbitrary: fc.record({ op: fc.constant('bytes' as const), mutation: arbMutation }) },
)

export function editRegion(src: Uint8Array, edits: RegionEdit[]): Uint8Array {
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
export function readsBack(r: RegionInput, kind: number): boolean {
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
  if ((kind !== L.KIND_GRID && kind !== L.KIND_IMAGE) || h.count <= 512 * 512) {
    try {
      encodeOutput(bytes, d, NATURAL_FORMAT[kind])
    } catch (e) {
      // a valid region whose values the format cannot hold (NaN coordinates in GeoJSON) is refused by name:
      // that is the format speaking clearly, not the region being broken
      if ((e as { code?: string }).code !== 'E_CANNOT_CARRY') throw e
    }
  }
}
