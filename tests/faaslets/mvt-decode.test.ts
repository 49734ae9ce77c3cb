// mvt-decode against @mapbox/vector-tile 3 + pbf 5 (the geometry oracle, and what lenient mode — the
// default — must read) and @mapbox/mvt-fixtures 4 (the strictness oracle, for strict mode): every spec
// fixture, all 211 real-world tiles, hand-built hostile tiles, every truncation of a real tile and seeded
// random corruptions of it. Also the MVT codec. tests/faaslets/mvt-corpus.test.ts has tiles of three
// encoders.
//
// Where the oracles cannot both be right (see CONTRADICTIONS) the test pins the contradiction itself, so a
// change in the fixtures is noticed, and checks the behaviour we chose.
//
// Strict mode's refusals, by rule (STRICT_RULES in tests/helpers/mvt-compare.ts; HOSTILE below pins each
// with a tile): what it refuses, the error codes of faaslets/assembly/mvt/errors.ts, and what lenient mode
// does instead (counted by its repairs counter of the rule's name):
//
//   rule (repairs counter)     strict refuses (mvt/errors.ts)                        lenient mode
//   unknown_field              E_UNKNOWN_TILE/LAYER/FEATURE_FIELD, E_VALUE_UNKNOWN_  skips the field
//                              FIELD, E_WIRE_MISMATCH, E_BAD_FIELD_KEY (field 0)
//   repeated_field             E_DUP_NAME/VERSION/EXTENT/ID/TYPE/GEOMETRY/TAGS,      the last wins (tags: all)
//                              E_VALUE_FIELD_COUNT (> 1)
//   layer_without_name         E_NO_NAME                                             names it ""
//   layer_without_version      E_NO_VERSION                                          version 1
//   layer_version_unknown      E_BAD_VERSION                                         reads it
//   invalid_utf8               E_NAME_UTF8, E_KEY_UTF8, E_VALUE_UTF8                 U+FFFD, as pbf decodes
//   layer_replaced             E_DUP_LAYER_NAME                                      the last layer wins
//   tag_out_of_range           E_KEY_RANGE, E_VALUE_RANGE                            drops the pair
//   tag_key_repeated           E_KEY_REPEATED                                        the later value wins
//   feature_without_type       E_NO_TYPE                                             skips the feature
//   geometry_type_unknown      E_BAD_TYPE                                            skips the feature
//   feature_without_geometry   E_NO_GEOMETRY                                         skips the feature
//   command_unknown            E_POINT_START, E_EXPECT_* with an unknown command    skips the feature
//   geometry_empty             E_EMPTY_GEOMETRY                                      an empty geometry
//   command_out_of_order       E_POINT_START, E_POINT_TRAILING, E_EXPECT_MOVETO,     reads as loadGeometry
//                              E_NO_LINETO, E_EXPECT_LINETO, E_NOT_CLOSED,
//                              E_EXPECT_CLOSEPATH
//   command_count              E_MOVETO_COUNT(_ZERO), E_LINETO_COUNT,                reads as loadGeometry
//                              E_CLOSEPATH_COUNT, E_COUNT_TOO_BIG (at a pair's end)
//   zero_length_segment        E_ZERO_SEGMENT, E_RING_REPEATS_FIRST                  keeps it
//   exterior_ring_winding      E_FIRST_RING_INTERIOR                                 winding of the first ring
// Both modes refuse broken protobuf (E_VARINT_*, E_U32_OVERFLOW, E_LENGTH_PAST_END, E_UNKNOWN_WIRE,
// E_FIXED_PAST_END, a field key over 32 bits), E_EXTENT_ZERO, E_STRINGS_TOO_BIG, a value with no field or
// whose last field is unknown (@mapbox/vector-tile throws), E_ODD_TAGS and a geometry ending inside a pair
// (@mapbox/vector-tile reads past the field).
import { afterEach, describe, expect, it } from 'vitest'
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import { VectorTile } from '@mapbox/vector-tile'
import { PbfReader } from 'pbf'
import { differences, DEPTH, oracle, oracleRepairs, readOracle, rulesOf, STRICT_RULES, type OracleFeature } from '../helpers/mvt-compare.js'
import { LocalRunner } from '../../dataplane/local-runner.js'
import { createRegion, readHeader, type Descriptor, type RegionHeader, type RegionMemory } from '../../faaslets/abi/region.js'
import * as L from '../../faaslets/abi/layout.js'
import { gunzipTile, isGzipped, parseTileAddress, readMvt, writeMvt } from '../../faaslets/codecs/mvt.js'
import { readFeatures, type Feature } from '../../faaslets/codecs/features.js'
import { writePoints, pointArrays } from '../../faaslets/codecs/points.js'
import type { GraticuleError } from '../../errors/index.js'
import { mulberry32 } from '../helpers/random.js'

const FIXTURES = 'node_modules/@mapbox/mvt-fixtures/fixtures'
const REAL_WORLD = 'node_modules/@mapbox/mvt-fixtures/real-world'

const rt = LocalRunner.create({ tenant: 'mvt-decode-test' })

afterEach(() => {
  expect(rt.arena.bytesInUse).toBe(0)
})

// ─── running the faaslet ─────────────────────────────────────────────────────────────────────────────

interface Decoded {
  features: Feature[]
  header: RegionHeader
  /** the second output: the mode and a count per repairs rule */
  repairs: Record<string, number | boolean>
  /** bytes the faaslet allocated in its invocation (output regions and scratch) */
  allocated: number
}

function run(bytes: Uint8Array, params: Record<string, number | boolean> | Float64Array, inspect: (out: Descriptor, repairs: Descriptor) => void): number {
  const inv = rt.begin()
  try {
    const input = writeMvt(inv.mem, bytes)
    const before = inv.heap.allocatedBytes
    const [out, repairs] = rt.run(inv, 'mvt-decode', [input], params)
    inspect(out, repairs)
    return inv.heap.allocatedBytes - before
  } finally {
    rt.release(inv)
  }
}

function decode(bytes: Uint8Array, z = 0, x = 0, y = 0, strict = false): Decoded {
  let features: Feature[] = []
  let header!: RegionHeader
  let repairs: Record<string, number | boolean> = {}
  const allocated = run(bytes, { z, x, y, strict }, (out, report) => {
    header = readHeader(rt.arena.view(), out.ptr)
    features = readFeatures(rt.arena.bytes(), out).features
    repairs = readFeatures(rt.arena.bytes(), report).features[0].properties as Record<string, number | boolean>
  })
  return { features, header, repairs, allocated }
}

/** The counters of a repairs output that are not 0 (and not the mode). */
function nonZero(repairs: Record<string, number | boolean>): Record<string, number> {
  return Object.fromEntries(Object.entries(repairs).filter(([k, v]) => k !== 'strict' && v !== 0)) as Record<string, number>
}

/**
 * The error the decode throws (the test fails if it does not throw), and what the attempt allocated. Strict
 * mode unless told: most refusals are of strict rules.
 */
function reject(bytes: Uint8Array, z = 0, x = 0, y = 0, strict = true): GraticuleError & { allocated: number } {
  const inv = rt.begin()
  try {
    const input = writeRawMvt(inv.mem, bytes)
    const before = inv.heap.allocatedBytes
    try {
      rt.run(inv, 'mvt-decode', [input], { z, x, y, strict })
    } catch (e) {
      return Object.assign(e as GraticuleError, { allocated: inv.heap.allocatedBytes - before })
    }
    throw new Error('expected mvt-decode to reject the tile, it decoded it')
  } finally {
    rt.release(inv)
  }
}

/** An mvt region written without the codec's checks (the codec refuses gzip; the faaslet must too). */
function writeRawMvt(mem: RegionMemory, bytes: Uint8Array): Descriptor {
  const r = createRegion(mem, { kind: L.KIND_MVT, count: bytes.length, stride: 1, sections: [{ bytes: bytes.length, count: bytes.length }] })
  mem.bytes().set(bytes, r.sectionPtrs[0])
  return { ptr: r.ptr, len: r.len }
}

function expectMalformed(bytes: Uint8Array, message: RegExp): GraticuleError & { allocated: number } {
  const err = reject(bytes)
  expect(err.code, err.message).toBe('E_FAASLET_MALFORMED_INPUT')
  expect(err.message).toMatch(message)
  return err
}

// ─── the comparison (tests/helpers/mvt-compare.ts) ─────────────────────────────────────────────────

/** Bounding box of every position of the features, as [minX, minY, maxX, maxY]. */
function bbox(features: Feature[]): number[] {
  const box = [Infinity, Infinity, -Infinity, -Infinity]
  const visit = (c: unknown, depth: number): void => {
    if (depth > 0) {
      for (const x of c as unknown[]) visit(x, depth - 1)
      return
    }
    const [x, y] = c as number[]
    if (x < box[0]) box[0] = x
    if (y < box[1]) box[1] = y
    if (x > box[2]) box[2] = x
    if (y > box[3]) box[3] = y
  }
  for (const f of features) visit(f.geometry.coordinates, DEPTH[f.geometry.type])
  return box
}

// ─── fixtures ────────────────────────────────────────────────────────────────────────────────────────

interface Fixture {
  id: string
  bytes: Uint8Array
  json: { layers: Array<{ features: Array<{ geometry: number[] }> }> }
  validity: { v1: boolean; v2: boolean; error?: string }
  description: string
}

const fixtures: Fixture[] = readdirSync(FIXTURES).sort().map((id) => {
  const info = JSON.parse(readFileSync(join(FIXTURES, id, 'info.json'), 'utf8'))
  return {
    id,
    bytes: new Uint8Array(readFileSync(join(FIXTURES, id, 'tile.mvt'))),
    json: JSON.parse(readFileSync(join(FIXTURES, id, 'tile.json'), 'utf8')),
    validity: info.validity,
    description: info.description,
  }
})
const fixture = (id: string) => fixtures.find((f) => f.id === id)!

/** What each invalid fixture must be refused for (info.json's description says why it is invalid). */
const INVALID: Record<string, RegExp> = {
  '003': /feature has no type field/,
  '004': /feature has no geometry field/,
  '005': /feature tags hold an odd number of integers/,
  '006': /unknown geometry type 8/,
  '007': /layer version \(field 15\) must be varint, found length-delimited/,
  '008': /layer extent \(field 5\) must be varint, found length-delimited/,
  '010': /string_value \(field 1\) must be length-delimited, found varint/,
  '011': /value 0 has unknown field 4242/,
  '012': /unsupported layer version 99/,
  '013': /layer key \(field 3\) must be length-delimited, found varint/,
  '014': /layer has no name field/,
  '015': /two layers have the same name \(layer 1 "hello"/,
  '023': /layer has no name field/,
  '024': /layer has no version field/,
  '026': /value 0 has unknown field 20/,
  '030': /feature has two geometry fields/,
  '040': /tag key index 2 is out of range \(layer has 1 keys\)/,
  '041': /tag key index \d+ is out of range/,
  '042': /tag value index 2 is out of range \(layer has 1 values\)/,
  '044': /POINT geometry starts with ClosePath/,
  '045': /command count 1 needs 2 parameters, only 1 bytes are left/,
  '046': /LineTo with dX = dY = 0/,
  '047': /ClosePath has command count 2/,
  '048': /ClosePath has command count 0/,
  '051': /command count 536870911 needs 1073741822 parameters/,
  '052': /command count 2 needs 4 parameters/,
  '058': /command count 536870911 needs 1073741822 parameters/,
  // proto 1.0.1's encoder left out `version` (it equals the default); the ClosePath in its LINESTRING, the
  // reason it is invalid for v2, is checked on a re-encoding with the version below
  '061': /layer has no version field/,
}

/**
 * Valid fixtures that contradict invalid ones byte for byte (or structure for structure), so no decoder
 * can satisfy both labels. We side with the spec and refuse them.
 */
const CONTRADICTIONS: Record<string, { twin: string; message: RegExp }> = {
  // 016 ("UNKNOWN type, valid") and 003 ("missing type, invalid") are the same bytes: the fixture encoder
  // omits a field equal to its proto2 default. "A feature MUST contain a type field": refused. An
  // explicitly encoded UNKNOWN type (039) is valid and its feature is skipped.
  '016': { twin: '003', message: /feature has no type field/ },
  // 057 ("gigantic MoveTo, valid") has the geometry of 051 ("huge count, fatal"): a MoveTo count of
  // 536870911 followed by one pair. "MUST be immediately followed by n pairs": refused, like 051.
  '057': { twin: '051', message: /command count 536870911 needs 1073741822 parameters/ },
}

describe('mvt-decode on @mapbox/mvt-fixtures', () => {
  it('covers all 74 fixtures: 46 valid for v2, 28 invalid', () => {
    expect(fixtures.length).toBe(74)
    expect(fixtures.filter((f) => f.validity.v2).length).toBe(46)
    expect(fixtures.filter((f) => !f.validity.v2).map((f) => f.id).sort()).toEqual(Object.keys(INVALID).sort())
  })

  it('refuses every invalid fixture with STATUS_MALFORMED_INPUT and says what is wrong', () => {
    for (const [id, message] of Object.entries(INVALID)) {
      const err = reject(fixture(id).bytes)
      expect(err.code, `${id}: ${err.message}`).toBe('E_FAASLET_MALFORMED_INPUT')
      expect(err.message, id).toMatch(message)
      expect(err.allocated, id).toBeLessThan(64 * 1024)
    }
  })

  it('decodes every other valid fixture exactly as toGeoJSON does', () => {
    let compared = 0
    for (const f of fixtures.filter((f) => f.validity.v2 && !CONTRADICTIONS[f.id])) {
      let expected: Map<string, OracleFeature[]>
      try {
        expected = oracle(f.bytes)
      } catch (e) {
        // the oracle throws on UNKNOWN geometry types (039): those features are skipped here
        expect((e as Error).message, f.id).toBe('unknown feature type')
        expect(f.id).toBe('039')
        continue
      }
      const { features, header } = decode(f.bytes)
      expect(differences(features, expected, f.id), f.id).toEqual([])
      expect(header.count).toBe(features.length)
      compared++
    }
    expect(compared).toBe(43)
  })

  it('skips features of explicitly encoded UNKNOWN type (039) but keeps the layer', () => {
    const bytes = fixture('039').bytes
    expect(Buffer.from(bytes).includes(Buffer.from([0x18, 0x00]))).toBe(true) // type = 0 is on the wire
    const { features, header } = decode(bytes)
    expect(features).toEqual([])
    expect(header.sections[L.SEC_STRINGS].count).toBe(1) // the layer's name
  })

  it('pins the contradictions in the fixtures and refuses both sides', () => {
    expect(Buffer.from(fixture('016').bytes).equals(Buffer.from(fixture('003').bytes))).toBe(true)
    const g051 = fixture('051').json.layers[0].features[0].geometry
    const g057 = fixture('057').json.layers[0].features[0].geometry
    expect(g057[0]).toBe(g051[0])
    expect([g051.length, g057.length]).toEqual([3, 3])
    for (const [id, { twin, message }] of Object.entries(CONTRADICTIONS)) {
      expect(fixture(id).validity.v2).toBe(true)
      expect(fixture(twin).validity.v2).toBe(false)
      expectMalformed(fixture(id).bytes, message)
    }
  })

  it('refuses the ClosePath of fixture 061 once its layer has a version', () => {
    const geometry = fixture('061').json.layers[0].features[0].geometry
    expect(geometry.at(-1)! & 7).toBe(7) // ends in a ClosePath
    const bytes = tile(layer({ version: 1, features: [feature({ id: 1, type: 2, geometry })] }))
    expectMalformed(bytes, /LINESTRING expects MoveTo, found ClosePath/)
  })
})

// ─── real-world tiles ────────────────────────────────────────────────────────────────────────────────

describe('mvt-decode on all real-world tiles of @mapbox/mvt-fixtures', () => {
  it('equals toGeoJSON on every feature of all 211 tiles', async () => {
    let tiles = 0, features = 0
    const problems: string[] = []
    for (const city of readdirSync(REAL_WORLD).sort()) {
      for (const file of readdirSync(join(REAL_WORLD, city)).sort()) {
        const raw = new Uint8Array(readFileSync(join(REAL_WORLD, city, file)))
        const bytes = await gunzipTile(raw)
        const { z, x, y } = parseTileAddress(file)!
        const expected = oracle(bytes, z, x, y)
        const got = decode(bytes, z, x, y)
        problems.push(...differences(got.features, expected, `${city}/${file}`))
        // header: the tile, EPSG:4326 and the bounding box of every coordinate
        expect(got.header.crs).toBe(4326)
        expect([got.header.tileZ, got.header.tileX, got.header.tileY]).toEqual([z, x, y])
        const box = got.features.length ? bbox(got.features) : [NaN, NaN, NaN, NaN]
        expect([got.header.minX, got.header.minY, got.header.maxX, got.header.maxY]).toEqual(box)
        tiles++
        features += got.features.length
        if (problems.length > 20) break
      }
    }
    expect(problems).toEqual([])
    expect(tiles).toBe(211)
    expect(features).toBe(385_919)
  }, 180_000)
})

// ─── hand-built tiles ────────────────────────────────────────────────────────────────────────────────
// A minimal protobuf writer, so each hostile tile says exactly which bytes are wrong.

function varint(v: number | bigint): number[] {
  let n = BigInt.asUintN(64, BigInt(v))
  const out: number[] = []
  do {
    let b = Number(n & 0x7fn)
    n >>= 7n
    if (n > 0n) b |= 0x80
    out.push(b)
  } while (n > 0n)
  return out
}
const key = (field: number, wire: number) => varint(field * 8 + wire)
const bytesField = (field: number, data: Uint8Array | number[]) => [...key(field, 2), ...varint(data.length), ...data]
const varintField = (field: number, v: number | bigint) => [...key(field, 0), ...varint(v)]
const utf8 = (s: string) => [...new TextEncoder().encode(s)]
const packed = (field: number, ints: number[]) => bytesField(field, ints.flatMap((i) => varint(i)))
const zz = (v: number) => (v << 1) ^ (v >> 31)
const cmd = (id: number, count: number) => count * 8 + id

const str = (s: string) => bytesField(1, utf8(s))
const float = (v: number) => { const b = new Uint8Array(4); new DataView(b.buffer).setFloat32(0, v, true); return [...key(2, 5), ...b] }
const double = (v: number) => { const b = new Uint8Array(8); new DataView(b.buffer).setFloat64(0, v, true); return [...key(3, 1), ...b] }
const int = (v: number | bigint) => varintField(4, v)
const uint = (v: number | bigint) => varintField(5, v)
const sint = (v: number) => varintField(6, zz(v))
const bool = (v: boolean) => varintField(7, v ? 1 : 0)

interface FeatureSpec { id?: number | bigint; tags?: number[]; type?: number; geometry?: number[]; raw?: number[] }
function feature(f: FeatureSpec): number[] {
  return [
    ...(f.id !== undefined ? varintField(1, f.id) : []),
    ...(f.tags ? packed(2, f.tags) : []),
    ...(f.type !== undefined ? varintField(3, f.type) : []),
    ...(f.geometry ? packed(4, f.geometry) : []),
    ...(f.raw ?? []),
  ]
}

interface LayerSpec { name?: string | null; version?: number | null; extent?: number; keys?: string[]; values?: number[][]; features?: number[][]; raw?: number[] }
function layer(l: LayerSpec): number[] {
  return [
    ...(l.version !== null ? varintField(15, l.version ?? 2) : []),
    ...(l.name !== null ? bytesField(1, utf8(l.name ?? 'l')) : []),
    ...(l.features ?? []).flatMap((f) => bytesField(2, f)),
    ...(l.keys ?? []).flatMap((k) => bytesField(3, utf8(k))),
    ...(l.values ?? []).flatMap((v) => bytesField(4, v)),
    ...(l.extent !== undefined ? varintField(5, l.extent) : []),
    ...(l.raw ?? []),
  ]
}
const tile = (...layers: number[][]) => tileOf(layers)
const tileOf = (layers: number[][]) => new Uint8Array(layers.flatMap((l) => bytesField(3, l)))
const point = (x: number, y: number) => [cmd(1, 1), zz(x), zz(y)]
const pointTile = (f: Partial<FeatureSpec> = {}, l: Partial<LayerSpec> = {}) =>
  tile(layer({ ...l, features: [feature({ type: 1, geometry: point(10, 20), ...f })] }))

/** A closed ring through the points (relative moves), as a POLYGON command sequence. */
function ring(points: Array<[number, number]>, cursor: [number, number] = [0, 0]): number[] {
  const out = [cmd(1, 1), zz(points[0][0] - cursor[0]), zz(points[0][1] - cursor[1]), cmd(2, points.length - 1)]
  for (let i = 1; i < points.length; i++) out.push(zz(points[i][0] - points[i - 1][0]), zz(points[i][1] - points[i - 1][1]))
  out.push(cmd(7, 1))
  return out
}
/** Several rings, each starting where the previous ended. */
const rings = (...list: Array<Array<[number, number]>>) => ringsOf(list)
function ringsOf(list: Array<Array<[number, number]>>): number[] {
  let cursor: [number, number] = [0, 0]
  return list.flatMap((r) => {
    const out = ring(r, cursor)
    cursor = r[r.length - 1]
    return out
  })
}
const square = (x: number, y: number, s: number): Array<[number, number]> => [[x, y], [x + s, y], [x + s, y + s], [x, y + s]] // clockwise in tile coordinates: exterior
const hole = (x: number, y: number, s: number): Array<[number, number]> => [[x, y], [x, y + s], [x + s, y + s], [x + s, y]]
const flat = (x: number, y: number): Array<[number, number]> => [[x, y], [x + 5, y], [x + 10, y]] // zero area

function expectSameAsOracle(bytes: Uint8Array, z = 0, x = 0, y = 0): Feature[] {
  const { features } = decode(bytes, z, x, y)
  expect(differences(features, oracle(bytes, z, x, y))).toEqual([])
  return features
}

/**
 * Hostile and malformed tiles: what strict mode says, and what lenient mode does — 'refused' (both modes
 * refuse, @mapbox/vector-tile cannot read it either), 'nothing' (read, nothing to count), or the repairs
 * counter that counts the violation.
 */
const g = (geometry: number[], type = 2) => pointTile({ type, geometry })
const HOSTILE: Array<[string, Uint8Array, RegExp, string]> = [
  // protobuf level
  ['varint past the end', new Uint8Array([0x1a, 0x85]), /a varint runs past the end/, 'refused'],
  ['length past the end', new Uint8Array([0x1a, 0x20, 0x0a]), /a length of 32 bytes runs past the end of its message \(1 left\)/, 'refused'],
  ['length of 2^32', new Uint8Array([0x1a, ...varint(2 ** 32), 0x0a]), /a length of 4294967296 bytes/, 'refused'],
  ['varint over 64 bits', new Uint8Array([0x1a, ...Array(10).fill(0xff), 0x01]), /longer than 64 bits/, 'refused'],
  ['field number 0', new Uint8Array([0x02, 0x00]), /invalid field key 2/, 'unknown_field'],
  ['wire type 3 (group) in the tile', new Uint8Array(key(20, 3)), /unknown wire type 3/, 'refused'],
  ['wire type 4 in the tile', new Uint8Array(key(17, 4)), /unknown wire type 4/, 'refused'],
  ['wire type 6 in a layer', tile(layer({ raw: key(30, 6) })), /unknown wire type 6/, 'refused'],
  ['wire type 7 for the layer field', new Uint8Array(key(3, 7)), /tile layer \(field 3\) must be length-delimited, found unknown wire type 7/, 'refused'],
  ['a gzipped tile', new Uint8Array([0x1f, 0x8b, 8, 0, 0, 0, 0, 0]), /must be length-delimited, found unknown wire type 7/, 'refused'],
  ['fixed64 past the end', new Uint8Array(key(16, 1)), /fixed-size value runs past the end/, 'refused'],
  ['unknown tile field', new Uint8Array(varintField(2, 1)), /unknown tile field 2/, 'unknown_field'],
  ['unknown layer field', tile(layer({ raw: varintField(6, 1) })), /unknown layer field 6/, 'unknown_field'],
  ['unknown feature field', pointTile({ raw: varintField(5, 1) }), /unknown feature field 5/, 'unknown_field'],
  ['feature id as bytes', pointTile({ raw: bytesField(1, [1]) }), /feature id \(field 1\) must be varint/, 'unknown_field'],
  ['geometry not packed', pointTile({ geometry: undefined, raw: varintField(4, 9) }), /feature geometry \(field 4\) must be length-delimited, found varint/, 'unknown_field'],
  // layers
  ['layer version 3', tile(layer({ version: 3 })), /unsupported layer version 3/, 'layer_version_unknown'],
  ['layer extent 0', tile(layer({ extent: 0 })), /layer extent is 0/, 'refused'],
  ['two names', tile(layer({ raw: bytesField(1, utf8('x')) })), /layer has two name fields/, 'repeated_field'],
  ['two versions', tile(layer({ raw: varintField(15, 2) })), /layer has two version fields/, 'repeated_field'],
  ['two extents', tile(layer({ extent: 4096, raw: varintField(5, 512) })), /layer has two extent fields/, 'repeated_field'],
  ['duplicate name among many', tile(...Array.from({ length: 500 }, (_, i) => layer({ name: `n${i}` })), layer({ name: 'n250' })), /two layers have the same name \(layer 500 "n250"/, 'nothing'],
  ['name not UTF-8', tile(layer({ name: null, raw: bytesField(1, [0x61, 0xc3]) })), /layer name is not valid UTF-8/, 'invalid_utf8'],
  ['key not UTF-8 (overlong)', tile(layer({ raw: bytesField(3, [0xc0, 0xaf]) })), /key 0 is not valid UTF-8/, 'invalid_utf8'],
  ['value not UTF-8 (surrogate)', tile(layer({ values: [str('a'), bytesField(1, [0xed, 0xa0, 0x80])] })), /value 1 is not valid UTF-8/, 'invalid_utf8'],
  ['value past U+10FFFF', tile(layer({ values: [bytesField(1, [0xf4, 0x90, 0x80, 0x80])] })), /value 0 is not valid UTF-8/, 'invalid_utf8'],
  ['value with two fields', tile(layer({ values: [[...str('a'), ...int(1)]] })), /value 0 holds 2 fields/, 'repeated_field'],
  ['value with no field', tile(layer({ values: [[]] })), /value 0 holds 0 fields/, 'refused'],
  ['float value as varint', tile(layer({ values: [varintField(2, 1)] })), /float_value \(field 2\) must be 32-bit, found varint/, 'refused'],
  ['double value past the end', tile(layer({ values: [[...key(3, 1), 1, 2, 3]] })), /fixed-size value runs past the end/, 'refused'],
  // features
  ['two ids', pointTile({ id: 1, raw: varintField(1, 2) }), /feature has two id fields/, 'repeated_field'],
  ['two types', pointTile({ raw: varintField(3, 1) }), /feature has two type fields/, 'repeated_field'],
  ['two tags fields', pointTile({ tags: [], raw: packed(2, []) }), /feature has two tags fields/, 'repeated_field'],
  ['key index out of range', pointTile({ tags: [1, 0] }, { keys: ['a'], values: [str('b')] }), /tag key index 1 is out of range \(layer has 1 keys\)/, 'tag_out_of_range'],
  ['value index out of range', pointTile({ tags: [0, 5] }, { keys: ['a'], values: [str('b')] }), /tag value index 5 is out of range \(layer has 1 values\)/, 'tag_out_of_range'],
  ['key index repeated', pointTile({ tags: [0, 0, 0, 1] }, { keys: ['a'], values: [str('b'), str('c')] }), /tag key index 0 appears twice/, 'tag_key_repeated'],
  ['odd tags', pointTile({ tags: [0, 0, 0] }, { keys: ['a'], values: [str('b')] }), /odd number of integers/, 'refused'],
  ['tag index over 32 bits', pointTile({ tags: [2 ** 40, 0] }, { keys: ['a'], values: [str('b')] }), /a 32-bit integer holds 1099511627776/, 'refused'],
  ['geometry type 4', pointTile({ type: 4 }), /unknown geometry type 4/, 'geometry_type_unknown'],
  ['empty geometry', pointTile({ geometry: [] }), /feature has an empty geometry/, 'geometry_empty'],
  // geometry commands
  ['point: MoveTo count 0', g([cmd(1, 0)], 1), /MoveTo with command count 0/, 'command_count'],
  ['point: LineTo first', g([cmd(2, 1), 2, 2], 1), /POINT geometry starts with LineTo/, 'command_out_of_order'],
  ['point: command id 3', g([cmd(3, 1), 2, 2], 1), /POINT geometry starts with unknown command 3/, 'command_unknown'],
  ['point: LineTo after MoveTo', g([cmd(1, 1), 2, 2, cmd(2, 1), 2, 2], 1), /POINT geometry has commands after its MoveTo/, 'command_out_of_order'],
  ['point: huge count', g([cmd(1, 2 ** 29 - 1), 2, 2, 2, 2], 1), /command count 536870911 needs 1073741822 parameters, only 4 bytes are left/, 'command_count'],
  ['point: parameter over 32 bits', g([cmd(1, 1), 2 ** 33, 2], 1), /a 32-bit integer holds 8589934592/, 'refused'],
  ['line: starts with LineTo', g([cmd(2, 1), 2, 2]), /LINESTRING expects MoveTo, found LineTo/, 'command_out_of_order'],
  ['line: MoveTo count 2', g([cmd(1, 2), 2, 2, 4, 4, cmd(2, 1), 2, 2]), /LINESTRING MoveTo has command count 2 \(must be 1\)/, 'command_count'],
  ['line: MoveTo alone', g([cmd(1, 1), 2, 2]), /LINESTRING MoveTo is not followed by LineTo/, 'command_out_of_order'],
  ['line: MoveTo then MoveTo', g([cmd(1, 1), 2, 2, cmd(1, 1), 4, 4]), /LINESTRING expects LineTo after MoveTo, found MoveTo/, 'command_out_of_order'],
  ['line: LineTo count 0', g([cmd(1, 1), 2, 2, cmd(2, 0)]), /LINESTRING LineTo has command count 0/, 'command_count'],
  ['line: LineTo twice', g([cmd(1, 1), 2, 2, cmd(2, 1), 2, 2, cmd(2, 1), 2, 2]), /LINESTRING expects MoveTo, found LineTo/, 'command_out_of_order'],
  ['line: ClosePath', g([cmd(1, 1), 2, 2, cmd(2, 1), 2, 2, cmd(7, 1)]), /LINESTRING expects MoveTo, found ClosePath/, 'command_out_of_order'],
  ['line: huge LineTo count', g([cmd(1, 1), 2, 2, cmd(2, 2 ** 29 - 1), 2, 2]), /command count 536870911/, 'command_count'],
  ['line: half a pair', g([cmd(1, 1), 2, 2, cmd(2, 1), 2]), /command count 1 needs 2 parameters, only 1 bytes are left/, 'refused'],
  ['polygon: LineTo count 1', g([cmd(1, 1), 2, 2, cmd(2, 1), 2, 2, cmd(7, 1)], 3), /POLYGON LineTo has command count 1 \(must be > 1\)/, 'command_count'],
  ['polygon: no ClosePath', g([cmd(1, 1), 2, 2, cmd(2, 2), 2, 0, 0, 2], 3), /POLYGON ring is not closed by ClosePath/, 'command_out_of_order'],
  ['polygon: MoveTo after LineTo', g([cmd(1, 1), 2, 2, cmd(2, 2), 2, 0, 0, 2, cmd(1, 1), 2, 2], 3), /expects ClosePath after LineTo, found MoveTo/, 'command_out_of_order'],
  ['polygon: ClosePath first', g([cmd(7, 1)], 3), /POLYGON expects MoveTo, found ClosePath/, 'command_out_of_order'],
  ['polygon: ClosePath count 2', g([cmd(1, 1), 2, 2, cmd(2, 2), 2, 0, 0, 2, cmd(7, 2)], 3), /ClosePath has command count 2/, 'command_count'],
  ['polygon: returns to its start', g(ring([[0, 0], [10, 0], [10, 10], [0, 0]]), 3), /repeats its first point before ClosePath/, 'zero_length_segment'],
  ['polygon: zero-length segment', g([cmd(1, 1), 2, 2, cmd(2, 3), 2, 0, 0, 0, 0, 2, cmd(7, 1)], 3), /LineTo with dX = dY = 0/, 'zero_length_segment'],
]

describe('mvt-decode on hand-built tiles', () => {
  it('checks the hand-built encoder against the oracle first', () => {
    const bytes = tile(layer({ name: 'roads', keys: ['k'], values: [str('v')], features: [feature({ id: 7, tags: [0, 0], type: 2, geometry: [cmd(1, 1), zz(1), zz(2), cmd(2, 2), zz(3), zz(0), zz(0), zz(4)] })] }))
    const [f] = expectSameAsOracle(bytes, 3, 2, 5)
    expect(f).toMatchObject({ id: 7, layer: 'roads', properties: { k: 'v' }, geometry: { type: 'LineString' } })
  })

  it('decodes every property value type and id as toGeoJSON does', () => {
    const values = [str('héllo ✓ 𝄞'), float(3.1), double(-1.25e300), int(-5), int(-(2n ** 62n)), uint(2n ** 64n - 1n), uint(87948), sint(-87948), bool(true), bool(false), str('')]
    const keys = values.map((_, i) => `k${i}`)
    const bytes = tile(layer({
      keys, values,
      features: [
        feature({ id: 0, tags: keys.flatMap((_, i) => [i, i]), type: 1, geometry: point(1, 1) }),
        feature({ id: 2n ** 53n + 1n, type: 1, geometry: point(2, 2) }),
        feature({ id: 2n ** 64n - 1n, tags: [0, 10], type: 1, geometry: point(3, 3) }),
        feature({ type: 1, geometry: point(4, 4) }),
      ],
    }))
    const fs = expectSameAsOracle(bytes)
    expect(fs[0].id).toBe(0)
    expect(fs[0].properties).toMatchObject({ k0: 'héllo ✓ 𝄞', k1: Math.fround(3.1), k3: -5, k8: true, k9: false, k10: '' })
    expect('id' in fs[3]).toBe(false)
  })

  it('maps points, multipoints, lines, multilines, polygons and multipolygons', () => {
    const bytes = tile(layer({
      features: [
        feature({ type: 1, geometry: point(5, 5) }),
        feature({ type: 1, geometry: [cmd(1, 3), zz(1), zz(1), zz(2), zz(2), zz(-3), zz(0)] }),
        feature({ type: 2, geometry: [cmd(1, 1), zz(0), zz(0), cmd(2, 1), zz(10), zz(10)] }),
        feature({ type: 2, geometry: [cmd(1, 1), zz(0), zz(0), cmd(2, 1), zz(10), zz(10), cmd(1, 1), zz(5), zz(0), cmd(2, 2), zz(1), zz(1), zz(1), zz(0)] }),
        feature({ type: 3, geometry: rings(square(0, 0, 100), hole(10, 10, 20)) }),
        feature({ type: 3, geometry: rings(square(0, 0, 100), hole(10, 10, 20), square(200, 200, 50), hole(210, 210, 10), square(400, 0, 10)) }),
      ],
    }))
    const fs = expectSameAsOracle(bytes, 14, 8000, 5000)
    expect(fs.map((f) => f.geometry.type)).toEqual(['Point', 'MultiPoint', 'LineString', 'MultiLineString', 'Polygon', 'MultiPolygon'])
  })

  it('classifies rings as classifyRings does: zero-area rings, winding, a lone ring', () => {
    const cases = [
      rings(flat(0, 0), square(0, 0, 100), flat(5, 5), hole(10, 10, 20), square(200, 0, 10), flat(1, 1)), // zero-area rings dropped
      rings(flat(0, 0)), // a lone zero-area ring is still a Polygon
      rings(flat(0, 0), flat(50, 50)), // only zero-area rings: an empty MultiPolygon
      rings(square(0, 0, 100), square(10, 10, 20)), // two exteriors, the second inside the first
    ]
    const bytes = tile(layer({ features: cases.map((geometry) => feature({ type: 3, geometry })) }))
    const fs = expectSameAsOracle(bytes)
    expect(fs.map((f) => f.geometry.type)).toEqual(['MultiPolygon', 'Polygon', 'MultiPolygon', 'MultiPolygon'])
    expect(fs[2].geometry.coordinates).toEqual([])
  })

  it('accepts either winding in version 1 layers (v1 never specified it), refuses an interior first ring in v2', () => {
    const geometry = rings(hole(0, 0, 100), square(10, 10, 20))
    const v1 = tile(layer({ version: 1, features: [feature({ type: 3, geometry })] }))
    expect(expectSameAsOracle(v1)[0].geometry.type).toBe('Polygon')
    expectMalformed(tile(layer({ version: 2, features: [feature({ type: 3, geometry })] })), /POLYGON starts with an interior ring/)
  })

  it('handles coordinates past int32 (fixtures 049/050) and any tile address', () => {
    expectSameAsOracle(fixture('049').bytes, 30, 2 ** 30 - 1, 2 ** 30 - 1)
    expectSameAsOracle(fixture('050').bytes, 1, 1, 0)
    const bytes = tile(layer({ extent: 1000, features: [feature({ type: 2, geometry: [cmd(1, 1), zz(-500), zz(1500), cmd(2, 1), zz(2000), zz(-2000)] })] }))
    expectSameAsOracle(bytes, 7, 100, 27)
  })

  it('keeps layers in tile order, names them, and skips Tile and Layer extension fields', () => {
    const bytes = new Uint8Array([
      ...varintField(20, 1), // Tile extension (16..8191)
      ...tile(layer({ name: '10', raw: [...varintField(16, 5), ...bytesField(99, [1, 2, 3])], features: [feature({ type: 1, geometry: point(1, 1) })] })),
      ...tile(layer({ name: '2', features: [feature({ type: 1, geometry: point(2, 2) })] })),
      ...tile(layer({ name: 'ünïcode', features: [feature({ type: 1, geometry: point(3, 3) })] })),
      ...tile(layer({ name: 'empty' })),
    ])
    const fs = expectSameAsOracle(bytes)
    expect(fs.map((f) => f.layer)).toEqual(['10', '2', 'ünïcode'])
  })

  it('refuses hostile and malformed tiles with a message in strict mode, never a trap or a hang', () => {
    for (const [what, bytes, message] of HOSTILE) {
      const err = reject(bytes)
      expect(err.code, `${what}: ${err.message}`).toBe('E_FAASLET_MALFORMED_INPUT')
      expect(err.message, what).toMatch(message)
      expect(err.allocated, what).toBeLessThan(64 * 1024)
    }
  })

  it('finds duplicate layer names among names built to collide in its name hash (the sorting fallback)', () => {
    // 300 layers → a 1024-slot FNV-1a table; names whose hashes agree in the low 10 bits all probe one
    // cluster, ~45k probes, past the decoder's budget (8 per layer): it sorts the names instead
    const fnv = (s: string) => { let h = 2166136261; for (const b of new TextEncoder().encode(s)) h = Math.imul(h ^ b, 16777619) >>> 0; return h }
    const names: string[] = []
    for (let i = 0; names.length < 300; i++) if ((fnv(`n${i}`) & 1023) === (fnv('n0') & 1023)) names.push(`n${i}`)
    const layers = names.map((name, i) => layer({ name, features: [feature({ id: i, type: 1, geometry: point(i, i) })] }))
    const unique = tileOf(layers)
    expect(expectSameAsOracle(unique)).toHaveLength(300)
    expectMalformed(tileOf([...layers, layer({ name: names[17] })]), new RegExp(`two layers have the same name \\(layer 300 "${names[17]}"`))
    expectMalformed(tileOf([layer({ name: names[250] }), ...layers]), new RegExp(`two layers have the same name \\(layer 251 "${names[250]}"`))
  })

  it('says where the problem is: layer, name, feature and byte offset', () => {
    const bytes = tile(layer({ name: 'ok', features: [feature({ type: 1, geometry: point(1, 1) })] }), layer({ name: 'roads', features: [feature({ type: 1, geometry: point(1, 1) }), feature({ type: 9, geometry: point(1, 1) })] }))
    const err = expectMalformed(bytes, /unknown geometry type 9 \(layer 1 "roads", feature 1, byte \d+\)/)
    const at = Number(/byte (\d+)/.exec(err.message)![1])
    expect(bytes[at - 2]).toBe(0x18) // just after the type field's key and value
  })

  it('every truncation of a real tile is refused or decodes as the oracle decodes it', () => {
    const whole = new Uint8Array(readFileSync(join(REAL_WORLD, 'chicago/13-2102-3043.mvt')))
    let refused = 0, decoded = 0
    for (let n = 0; n < whole.length; n++) {
      const bytes = whole.subarray(0, n)
      const inv = rt.begin()
      try {
        const input = writeMvt(inv.mem, bytes)
        const [out] = rt.run(inv, 'mvt-decode', [input], { z: 13, x: 2102, y: 3043 })
        const problems = differences(readFeatures(rt.arena.bytes(), out).features, oracle(bytes, 13, 2102, 3043), `cut ${n}`)
        if (problems.length) expect(problems).toEqual([])
        decoded++
      } catch (e) {
        expect((e as GraticuleError).code, `cut at ${n}: ${(e as Error).message}`).toBe('E_FAASLET_MALFORMED_INPUT')
        refused++
      } finally {
        rt.release(inv)
      }
    }
    expect(refused + decoded).toBe(whole.length)
    expect(decoded).toBeGreaterThan(1) // the empty tile and the cuts between layers
    expect(refused).toBeGreaterThan(whole.length * 0.9)
  })

  it('seeded random corruptions are refused or decode as the oracle decodes them (strict mode)', () => {
    const whole = new Uint8Array(readFileSync(join(REAL_WORLD, 'chicago/13-2102-3043.mvt')))
    const random = mulberry32(20240611)
    let refused = 0, decoded = 0, skippedUnknown = 0
    for (let trial = 0; trial < 3000; trial++) {
      const bytes = whole.slice()
      const flips = 1 + Math.floor(random() * 3)
      for (let k = 0; k < flips; k++) bytes[Math.floor(random() * bytes.length)] = Math.floor(random() * 256)
      const inv = rt.begin()
      try {
        const input = writeMvt(inv.mem, bytes)
        const [out] = rt.run(inv, 'mvt-decode', [input], { z: 13, x: 2102, y: 3043, strict: true })
        const ours = readFeatures(rt.arena.bytes(), out).features
        let expected: Map<string, OracleFeature[]> | null = null
        try {
          expected = oracle(bytes, 13, 2102, 3043)
        } catch (e) {
          // accepted by us, thrown by the oracle: only an UNKNOWN-type feature may cause that
          expect((e as Error).message, `trial ${trial}`).toBe('unknown feature type')
          skippedUnknown++
        }
        if (expected) {
          const problems = differences(ours, expected, `trial ${trial}`)
          if (problems.length) expect(problems).toEqual([])
        }
        decoded++
      } catch (e) {
        expect((e as GraticuleError).code, `trial ${trial}: ${(e as Error).message}`).toBe('E_FAASLET_MALFORMED_INPUT')
        refused++
      } finally {
        rt.release(inv)
      }
    }
    expect(refused + decoded).toBe(3000)
    expect(refused).toBeGreaterThan(1000)
    expect(decoded - skippedUnknown).toBeGreaterThan(100) // corruptions inside coordinates and strings
  })
})

// ─── lenient mode (the default): what @mapbox/vector-tile reads ─────────────────────────────────────

/** The repairs counters of features left out, which toGeoJSON throws on (or, type 0, that it ignores). */
const SKIP_RULES = ['feature_without_type', 'geometry_type_unknown', 'feature_without_geometry', 'command_unknown', 'unknown_type_skipped']

/**
 * Lenient mode on one tile: refused when @mapbox/vector-tile cannot read it either, else equal to its
 * toGeoJSON with the same features left out and the same rings dropped and reoriented. Returns the repairs
 * (null when refused).
 */
function expectReadAsOracle(bytes: Uint8Array, where: string, z = 0, x = 0, y = 0): Record<string, number | boolean> | null {
  let expected: ReturnType<typeof readOracle> | null = null
  try {
    expected = readOracle(bytes, z, x, y)
  } catch {
    // it throws on the tile: lenient mode must refuse it too
  }
  if (expected === null) {
    expect(reject(bytes, z, x, y, false).code, where).toBe('E_FAASLET_MALFORMED_INPUT')
    return null
  }
  const got = decode(bytes, z, x, y)
  expect(differences(got.features, expected.layers, where), where).toEqual([])
  const want = oracleRepairs(bytes)
  const skipped = [...expected.skipped.values()].reduce((a, b) => a + b, 0)
  expect(SKIP_RULES.reduce((n, k) => n + (got.repairs[k] as number), 0), `${where}: features skipped`).toBe(skipped)
  expect(got.repairs.zero_area_ring_dropped, `${where}: zero-area rings`).toBe(want.zero_area_ring_dropped)
  expect(got.repairs.exterior_ring_winding, `${where}: winding`).toBe(want.exterior_ring_winding)
  expect(got.repairs.command_unknown, `${where}: unknown commands`).toBe(want.command_unknown)
  expect(got.repairs.strict).toBe(false)
  return got.repairs
}

/**
 * Invalid fixtures that lenient mode refuses although @mapbox/vector-tile reads something: it reads past the
 * end of a field (the tags' last key takes the next field's key byte as its value; a coordinate pair's missing
 * half comes from the bytes after the geometry) and makes a wrong feature of it, or none.
 */
const READ_PAST_THE_FIELD: Record<string, RegExp> = {
  '005': /feature tags hold an odd number of integers/,
  '044': /command count 6 needs 12 parameters, only 1 bytes are left/,
  '045': /command count 1 needs 2 parameters, only 1 bytes are left/,
  '052': /command count 2 needs 4 parameters/,
  '058': /command count 2 needs 4 parameters, only 0 bytes are left/,
}

/** The feature with every run of equal consecutive positions in its lines and rings cut to one. */
function withoutRepeats(f: OracleFeature): OracleFeature {
  const cut = (c: unknown, depth: number): unknown => {
    if (depth > 1) return (c as unknown[]).map((x) => cut(x, depth - 1))
    if (depth === 0) return c
    return (c as number[][]).filter((p, i, all) => i === 0 || p[0] !== all[i - 1][0] || p[1] !== all[i - 1][1])
  }
  f.geometry.coordinates = cut(f.geometry.coordinates, DEPTH[f.geometry.type])
  return f
}

describe('mvt-decode in lenient mode (the default) reads tiles as @mapbox/vector-tile does', () => {
  it('counts each strict refusal under its rule: the strict message of every hostile tile matches its rule', () => {
    for (const [what, bytes, , rule] of HOSTILE) {
      if (rule === 'refused' || rule === 'nothing') continue
      const message = reject(bytes).message
      const matching = rulesOf(message)
      // "POINT geometry starts with unknown command 3" is both out of order and an unknown command
      expect(matching, `${what}: ${message}`).toContain(rule)
    }
  })

  it('reads every fixture, valid or not, as @mapbox/vector-tile does, or refuses it when that throws', () => {
    const refused: string[] = []
    for (const f of fixtures) {
      const past = READ_PAST_THE_FIELD[f.id]
      if (past) expect(reject(f.bytes, 0, 0, 0, false).message, f.id).toMatch(past)
      else if (expectReadAsOracle(f.bytes, f.id) === null) refused.push(f.id)
    }
    // @mapbox/vector-tile throws on these: a value whose last field it does not know ("unknown feature value")
    expect(refused).toEqual(['010', '011', '026'])
  })

  it('reads each hostile tile as @mapbox/vector-tile does and counts the rule strict mode refuses it for', () => {
    const counted: Record<string, number> = {}
    for (const [what, bytes, , rule] of HOSTILE) {
      if (rule === 'refused') {
        expect(reject(bytes, 0, 0, 0, false).code, what).toBe('E_FAASLET_MALFORMED_INPUT')
        continue
      }
      const repairs = expectReadAsOracle(bytes, what)
      expect(repairs, what).not.toBeNull()
      if (rule === 'nothing') expect(nonZero(repairs!), what).toEqual({})
      else expect(repairs![rule], `${what}: ${JSON.stringify(nonZero(repairs!))}`).toBeGreaterThan(0)
      counted[rule] = (counted[rule] ?? 0) + 1
    }
    // every rule of strict mode has a hostile tile here (exterior_ring_winding and layer_replaced below)
    expect(Object.keys(counted).sort()).toEqual([
      'command_count', 'command_out_of_order', 'command_unknown', 'geometry_empty', 'geometry_type_unknown', 'invalid_utf8',
      'layer_version_unknown', 'nothing', 'repeated_field', 'tag_key_repeated', 'tag_out_of_range', 'unknown_field', 'zero_length_segment',
    ])
  })

  it('reports the mode and every counter, 0 for a valid tile; strict mode counts only what the spec lets it drop', () => {
    const bytes = tile(layer({ features: [feature({ type: 0, geometry: point(1, 1) }), feature({ type: 3, geometry: rings(square(0, 0, 10), flat(20, 20)) })] }))
    const lenient = decode(bytes).repairs, strict = decode(bytes, 0, 0, 0, true).repairs
    expect(Object.keys(lenient)).toEqual(['strict', ...STRICT_RULES.map(([rule]) => rule), 'zero_area_ring_dropped', 'unknown_type_skipped'])
    expect(lenient).toMatchObject({ strict: false, zero_area_ring_dropped: 1, unknown_type_skipped: 1 })
    expect(strict).toEqual({ ...lenient, strict: true })
    expect(nonZero(decode(pointTile()).repairs)).toEqual({})
  })

  it('keeps the last layer of a name among those with features, as the layers object does', () => {
    const named = (name: string, x: number, extra: Partial<LayerSpec> = {}) => layer({ name, ...extra, features: [feature({ type: 1, geometry: point(x, x) })] })
    const bytes = tile(named('a', 1), named('b', 2), named('a', 3), layer({ name: 'a' }), named('b', 4, { keys: ['k'], values: [str('v')] }))
    const repairs = expectReadAsOracle(bytes, 'duplicates')!
    expect(repairs.layer_replaced).toBe(2)
    const got = decode(bytes)
    expect(got.features.map((f) => f.layer)).toEqual(['a', 'b'])
    // the third layer's name, the empty fourth's, the fifth's name, key and value: none of the replaced ones'
    expect(got.header.sections[L.SEC_STRINGS].count).toBe(5)
    // the sorting fallback drops the same way (300 layers whose names collide in the hash)
    const fnv = (t: string) => { let h = 2166136261; for (const b of new TextEncoder().encode(t)) h = Math.imul(h ^ b, 16777619) >>> 0; return h }
    const names: string[] = []
    for (let i = 0; names.length < 300; i++) if ((fnv(`n${i}`) & 1023) === (fnv('n0') & 1023)) names.push(`n${i}`)
    const many = tileOf([...names.map((name, i) => named(name, i)), named(names[17], 4000), named(names[250], 4001)])
    expect(expectReadAsOracle(many, 'colliding names')!.layer_replaced).toBe(2)
  })

  it('decodes invalid UTF-8 as pbf does: its own decoder under 12 bytes, TextDecoder from 12 (BOM dropped)', () => {
    const samples = [
      [0x61, 0xc3], [0xc0, 0xaf], [0xed, 0xa0, 0x80], [0xf4, 0x90, 0x80, 0x80], [0x61, 0xe2, 0x82, 0x41], [0xff, 0x61], [0x61, 0x62, 0xe2, 0x62],
      [0xf0, 0x9f, 0x98], [0x80, 0xbf, 0x61],
    ]
    const long = (b: number[]) => [...utf8('long enough:'), ...b, ...utf8('!')]
    const all = [...samples, ...samples.map(long), [0xef, 0xbb, 0xbf, ...long([0xc3])], [0xef, 0xbb, 0xbf, ...utf8('valid, and long')]]
    const bytes = tile(layer({ name: null, raw: bytesField(1, [0x6c, 0xff]), keys: all.map((_, i) => `k${i}`), values: all.map((b) => bytesField(1, b)), features: [feature({ type: 1, geometry: point(1, 1), tags: all.flatMap((_, i) => [i, i]) })] }))
    const repairs = expectReadAsOracle(bytes, 'utf-8')!
    expect(repairs.invalid_utf8).toBe(all.length) // every value but the last, valid one, and the layer name
  })

  it('judges rings against the first one\'s winding in version 2 layers, as classifyRings does', () => {
    const geometry = rings(hole(0, 0, 100), square(10, 10, 20), hole(200, 200, 10))
    const repairs = expectReadAsOracle(tile(layer({ version: 2, features: [feature({ type: 3, geometry })] })), 'interior first')!
    expect(repairs.exterior_ring_winding).toBe(1)
    expect(expectReadAsOracle(tile(layer({ version: 1, features: [feature({ type: 3, geometry })] })), 'v1')!.exterior_ring_winding).toBe(0)
  })

  it('reads a count of 2^28 or more as 1, as loadGeometry\'s signed shift does (fixture 057)', () => {
    const repairs = expectReadAsOracle(fixture('057').bytes, '057')!
    expect(repairs.command_count).toBe(1)
    expect(decode(fixture('057').bytes).features.map((f) => f.geometry?.type)).toEqual(['Point'])
  })

  it('seeded random corruptions are refused or read as @mapbox/vector-tile reads them', () => {
    const whole = new Uint8Array(readFileSync(join(REAL_WORLD, 'chicago/13-2102-3043.mvt')))
    const random = mulberry32(20240612)
    let refused = 0, decoded = 0
    for (let trial = 0; trial < 3000; trial++) {
      const bytes = whole.slice()
      const flips = 1 + Math.floor(random() * 3)
      for (let k = 0; k < flips; k++) bytes[Math.floor(random() * bytes.length)] = Math.floor(random() * 256)
      let expected: ReturnType<typeof readOracle> | null = null
      try {
        expected = readOracle(bytes, 13, 2102, 3043)
      } catch {
        // refused below
      }
      const inv = rt.begin()
      try {
        const input = writeMvt(inv.mem, bytes)
        const [out] = rt.run(inv, 'mvt-decode', [input], { z: 13, x: 2102, y: 3043 })
        expect(expected, `trial ${trial}: decoded a tile @mapbox/vector-tile throws on`).not.toBeNull()
        // a corrupted ClosePath count n > 1: loadGeometry repeats the first point n times, mvt-decode once
        const ours = readFeatures(rt.arena.bytes(), out).features.map((f) => withoutRepeats(f as OracleFeature))
        for (const list of expected!.layers.values()) list.forEach(withoutRepeats)
        const problems = differences(ours as Feature[], expected!.layers, `trial ${trial}`)
        if (problems.length) expect(problems).toEqual([])
        decoded++
      } catch (e) {
        expect((e as GraticuleError).code, `trial ${trial}: ${(e as Error).message}`).toBe('E_FAASLET_MALFORMED_INPUT')
        refused++
      } finally {
        rt.release(inv)
      }
    }
    expect(refused + decoded).toBe(3000)
    expect(decoded).toBeGreaterThan(1000) // more than strict mode reads
  })
})

/** A growable protobuf writer for the large generated tiles (number arrays are too slow at that size). */
class Out {
  private buf = new Uint8Array(64)
  private n = 0
  private room(k: number): void {
    if (this.n + k <= this.buf.length) return
    const next = new Uint8Array(Math.max(this.buf.length * 2, this.n + k))
    next.set(this.buf.subarray(0, this.n))
    this.buf = next
  }
  varint(v: number): this {
    this.room(10)
    while (v >= 0x80) {
      this.buf[this.n++] = (v & 0x7f) | 0x80
      v = Math.floor(v / 128)
    }
    this.buf[this.n++] = v
    return this
  }
  key(field: number, wire: number): this { return this.varint(field * 8 + wire) }
  raw(bytes: Uint8Array): this {
    this.room(bytes.length)
    this.buf.set(bytes, this.n)
    this.n += bytes.length
    return this
  }
  string(field: number, s: string): this {
    const b = new TextEncoder().encode(s)
    return this.key(field, 2).varint(b.length).raw(b)
  }
  packed(field: number, ints: number[]): this {
    const inner = new Out()
    for (const i of ints) inner.varint(i)
    return this.key(field, 2).varint(inner.n).raw(inner.done())
  }
  message(field: number, build: (o: Out) => void): this {
    const inner = new Out()
    build(inner)
    return this.key(field, 2).varint(inner.n).raw(inner.done())
  }
  done(): Uint8Array { return this.buf.subarray(0, this.n) }
}

// ─── linear time, bounded memory ─────────────────────────────────────────────────────────────────────

describe('mvt-decode cost', () => {
  /**
   * CPU time of the decode (min of 7 runs, ms). CPU time rather than wall time: on a loaded machine a run
   * of tens of ms is preempted more often than a short one, which would read as superlinear growth.
   */
  function time(bytes: Uint8Array): number {
    let best = Infinity
    for (let i = 0; i < 7; i++) {
      const inv = rt.begin()
      const input = writeMvt(inv.mem, bytes)
      const t0 = process.cpuUsage()
      rt.run(inv, 'mvt-decode', [input], { z: 0, x: 0, y: 0 })
      const t = process.cpuUsage(t0)
      best = Math.min(best, (t.user + t.system) / 1000)
      rt.release(inv)
    }
    return best
  }

  it('grows linearly with the tile: many layers (name set), many tags (repeat check), many rings', () => {
    const manyLayers = (n: number) => {
      const t = new Out()
      for (let i = 0; i < n; i++) {
        t.message(3, (l) => {
          l.key(15, 0).varint(2)
          l.string(1, `layer-${i}`)
          l.message(2, (f) => f.key(3, 0).varint(1).packed(4, [cmd(1, 1), zz(i % 4096), zz(7)]))
        })
      }
      return t.done()
    }
    const manyTags = (n: number) => new Out().message(3, (l) => {
      l.key(15, 0).varint(2).string(1, 'l')
      const tags: number[] = []
      for (let i = 0; i < n; i++) tags.push(i, 0)
      l.message(2, (f) => f.packed(2, tags).key(3, 0).varint(1).packed(4, point(1, 1)))
      for (let i = 0; i < n; i++) l.string(3, `k${i}`)
      l.message(4, (v) => v.string(1, 'v'))
    }).done()
    const manyRings = (n: number) => new Out().message(3, (l) => {
      l.key(15, 0).varint(2).string(1, 'l')
      // exteriors (10x10 squares) along a grid, each with a 2x2 hole: one POLYGON feature of n rings
      const geometry: number[] = []
      let cursor: [number, number] = [0, 0]
      for (let i = 0; i < n; i++) {
        const x = (i >> 1) % 300 * 12, y = Math.floor((i >> 1) / 300) * 12
        const r = i % 2 === 0 ? square(x, y, 10) : hole(x + 4, y + 4, 2)
        for (const v of ring(r, cursor)) geometry.push(v)
        cursor = r[r.length - 1]
      }
      l.message(2, (f) => f.key(3, 0).varint(3).packed(4, geometry))
    }).done()
    // sizes where the small tile takes a few ms (a tag costs far less than a layer or a ring)
    for (const [make, n] of [[manyLayers, 10_000], [manyTags, 40_000], [manyRings, 10_000]] as const) {
      // 8x the input: linear work takes ~8x (up to ~15x once the large one no longer fits the caches of
      // a shared machine), quadratic work 64x
      const small = make(n), large = make(8 * n)
      expect(decode(small).features.length).toBeGreaterThan(0)
      const ratio = time(large) / time(small)
      expect(ratio, `${make.name}: 8x the input took ${ratio.toFixed(1)}x the time`).toBeLessThan(24)
    }
  })

  it('allocates by what it found, never by what a length or count claims', () => {
    const claims = [
      new Uint8Array([0x1a, ...varint(2 ** 31), 0x0a, 0x01, 0x61]),
      pointTile({ geometry: [cmd(1, 2 ** 29 - 1), 2, 2] }),
      pointTile({ tags: [2 ** 32 - 1, 0] }, { keys: ['a'], values: [str('b')] }),
    ]
    for (const bytes of claims) expect(reject(bytes).allocated).toBeLessThan(8 * 1024)
    // lenient mode reads the last two (a count of 2^29 - 1 reads as 1; the tag is dropped): as little
    for (const bytes of claims.slice(1)) expect(decode(bytes).allocated).toBeLessThan(8 * 1024)
    // a 1 MB tile of one feature per byte-cheap point: output and scratch stay within a fixed multiple
    const n = 100_000
    const bytes = new Out().message(3, (l) => {
      l.key(15, 0).varint(2).string(1, 'l')
      for (let i = 0; i < n; i++) l.message(2, (f) => f.key(3, 0).varint(1).packed(4, point(i % 4096, 1)))
    }).done()
    const { allocated } = decode(bytes)
    expect(allocated).toBeLessThan(bytes.length * 16)
  })
})

// ─── parameters and inputs ───────────────────────────────────────────────────────────────────────────

describe('mvt-decode parameters and inputs', () => {
  const bytes = pointTile()

  it('refuses x or y outside [0, 2^z) and non-integers (the faaslet checks what the manifest cannot)', () => {
    for (const slots of [[0, 1, 0], [3, 0, 8], [5, 31.5, 0], [-1, 0, 0], [31, 0, 0], [2.5, 0, 0]]) {
      let err: GraticuleError | null = null
      try {
        run(bytes, new Float64Array(slots), () => {})
      } catch (e) {
        err = e as GraticuleError
      }
      expect(err?.code, String(slots)).toBe('E_FAASLET_BAD_PARAM')
    }
    expect(() => run(bytes, { z: 31, x: 0, y: 0 }, () => {})).toThrow(expect.objectContaining({ code: 'E_BAD_PARAM' }))
    expect(() => run(bytes, { z: 1, x: 0 }, () => {})).toThrow(expect.objectContaining({ code: 'E_MISSING_PARAM' }))
  })

  it('writes the tile address into the output header', () => {
    const { header } = decode(bytes, 12, 4095, 17)
    expect([header.kind, header.crs, header.tileZ, header.tileX, header.tileY]).toEqual([L.KIND_FEATURES, 4326, 12, 4095, 17])
    const { header: empty } = decode(new Uint8Array(0), 1, 1, 1)
    expect([empty.count, empty.minX]).toEqual([0, NaN])
  })

  it('refuses a region that is not an mvt', () => {
    const inv = rt.begin()
    try {
      const points = writePoints(inv.mem, pointArrays(3))
      expect(() => rt.run(inv, 'mvt-decode', [points], { z: 0, x: 0, y: 0 })).toThrow(expect.objectContaining({ code: 'E_FAASLET_BAD_INPUT_KIND' }))
      expect(() => rt.run(inv, 'mvt-decode', [], { z: 0, x: 0, y: 0 })).toThrow(expect.objectContaining({ code: 'E_FAASLET_BAD_INPUT_KIND' }))
    } finally {
      rt.release(inv)
    }
  })
})

// ─── the MVT codec ───────────────────────────────────────────────────────────────────────────────────

describe('mvt codec', () => {
  it('writes tile bytes into an mvt region and reads them back with the tile address', () => {
    const bytes = new Uint8Array(readFileSync(join(REAL_WORLD, 'chicago/13-2102-3043.mvt')))
    const inv = rt.begin()
    try {
      const d = writeMvt(inv.mem, bytes, { z: 13, x: 2102, y: 3043 })
      const h = readHeader(rt.arena.view(), d.ptr)
      expect([h.kind, h.stride, h.count, h.crs]).toEqual([L.KIND_MVT, 1, bytes.length, 0])
      const back = readMvt(rt.arena.bytes(), d)
      expect(Buffer.from(back.bytes).equals(Buffer.from(bytes))).toBe(true)
      expect(back.tile).toEqual({ z: 13, x: 2102, y: 3043 })
      expect(readMvt(rt.arena.bytes(), writeMvt(inv.mem, bytes)).tile).toBeUndefined()
      expect(() => writeMvt(inv.mem, bytes, { z: 2, x: 4, y: 0 })).toThrow(expect.objectContaining({ code: 'E_BAD_PARAM' }))
    } finally {
      rt.release(inv)
    }
  })

  it('refuses gzipped bytes and inflates them with gunzipTile', async () => {
    const dir = join(REAL_WORLD, 'compressed')
    const files = readdirSync(dir)
    expect(files.length).toBe(4)
    for (const file of files) {
      const gz = new Uint8Array(readFileSync(join(dir, file)))
      expect(isGzipped(gz)).toBe(true)
      const inv = rt.begin()
      try {
        expect(() => writeMvt(inv.mem, gz)).toThrow(expect.objectContaining({ code: 'E_BAD_FORMAT' }))
      } finally {
        rt.release(inv)
      }
      const plain = await gunzipTile(gz)
      expect(isGzipped(plain)).toBe(false)
      expect(Object.keys(new VectorTile(new PbfReader(plain)).layers).length).toBeGreaterThan(0)
      expect(await gunzipTile(plain)).toBe(plain)
    }
  })

  it('parses tile addresses from paths and file names', () => {
    expect(parseTileAddress('14-9384-9577.mvt.gz')).toEqual({ z: 14, x: 9384, y: 9577 })
    expect(parseTileAddress('/tiles/3/7/1.pbf')).toEqual({ z: 3, x: 7, y: 1 })
    expect(parseTileAddress('3/8/1')).toBeNull()
    expect(parseTileAddress('tile.mvt')).toBeNull()
  })
})
