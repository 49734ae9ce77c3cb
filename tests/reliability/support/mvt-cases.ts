// Vector tiles for mvt-decode: a seed corpus (mvt-fixtures, real-world and city tiles), tiles assembled field by field,
// raw MVT regions, and the check that compares mvt-decode with @mapbox/vector-tile.
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import fc from 'fast-check'
import { PbfReader, PbfWriter } from 'pbf'
import { VectorTile } from '@mapbox/vector-tile'
import * as L from '../../../faaslets/abi/layout.js'
import { createRegion, type Descriptor, type RegionMemory } from '../../../faaslets/abi/region.js'
import { readFeatures } from '../../../faaslets/codecs/features.js'
import { ROOT } from '../../../faaslets/catalog.js'
import type { Dataplane } from '../../../dataplane/dataplane.js'
import type { Plan } from '../../../dataplane/plan.js'
import { cityTile, sampleCities } from '../../helpers/tiles.js'
import { arbMutated } from './byte-mutations.js'
import { codeOf, describeError, FAASLET_INPUT_CODES } from './outcomes.js'

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

/**
 * Layer names and feature counts of @mapbox/vector-tile's reading (null when it throws): the features whose
 * toGeoJSON it can make, which mvt-decode's default (lenient) mode decodes and whose others it skips.
 */
function oracleShape(bytes: Uint8Array): Map<string, number> | null {
  try {
    const vt = new VectorTile(new PbfReader(bytes))
    const shape = new Map<string, number>()
    for (const [name, layer] of Object.entries(vt.layers)) {
      let n = 0
      for (let i = 0; i < layer.length; i++) {
        const feature = layer.feature(i)
        if (feature.type < 1 || feature.type > 3) continue
        try {
          // toGeoJSON's loadGeometry throws where bbox does (no geometry, an unknown command), but it would
          // also materialise a ClosePath's count of repeated points: up to 2^28 of them in a fuzzed tile
          feature.bbox()
          n++
        } catch {
          // not a feature mvt-decode writes
        }
      }
      shape.set(name, n)
    }
    return shape
  } catch {
    return null
  }
}

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
