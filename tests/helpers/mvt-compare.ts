// mvt-decode against @mapbox/vector-tile 3 + pbf 5 (what renderers read tiles with): its features as
// toGeoJSON(x, y, z) gives them, the comparison of ours with them, and what it drops or reads past — the
// counts mvt-decode's `repairs` output must equal.
import { VectorTile, VectorTileFeature, classifyRings } from '@mapbox/vector-tile'
import { PbfReader } from 'pbf'
import type { Feature } from '../../faaslets/codecs/features.js'

export const TOL = 1e-9

export interface OracleFeature {
  id?: number
  geometry: { type: string; coordinates: unknown }
  properties: Record<string, unknown>
}

/** What @mapbox/vector-tile reads from a tile: features by layer name, and what it could not make GeoJSON of. */
export interface OracleTile {
  layers: Map<string, OracleFeature[]>
  /** features whose toGeoJSON throws, by its message (e.g. "unknown feature type", "unknown command 3") */
  skipped: Map<string, number>
}

/**
 * @mapbox/vector-tile's toGeoJSON of every feature, by layer name (its layers object reorders names and keeps
 * the last layer of a name). A feature whose toGeoJSON throws is left out and counted in `skipped`; anything
 * else that throws (the tile, a layer, a feature's fields) throws.
 */
export function readOracle(bytes: Uint8Array, z = 0, x = 0, y = 0): OracleTile {
  const tile = new VectorTile(new PbfReader(bytes))
  const layers = new Map<string, OracleFeature[]>()
  const skipped = new Map<string, number>()
  for (const name in tile.layers) {
    const layer = tile.layers[name]
    const list: OracleFeature[] = []
    for (let i = 0; i < layer.length; i++) {
      const feature = layer.feature(i)
      let geojson: OracleFeature
      try {
        geojson = feature.toGeoJSON(x, y, z) as OracleFeature
      } catch (e) {
        const why = (e as Error).message
        skipped.set(why, (skipped.get(why) ?? 0) + 1)
        continue
      }
      list.push(withoutOutOfRangeTags(geojson, (layer as unknown as { _keys: string[] })._keys))
    }
    layers.set(name, list)
  }
  return { layers, skipped }
}

/**
 * A tag whose key index is out of range becomes a property "undefined", one whose value index is, a property
 * whose value is undefined: mvt-decode drops such pairs (and counts them), so they are left out here too.
 */
function withoutOutOfRangeTags(f: OracleFeature, keys: string[]): OracleFeature {
  for (const [k, v] of Object.entries(f.properties)) {
    if (v === undefined || (k === 'undefined' && !keys.includes('undefined'))) delete f.properties[k]
  }
  return f
}

/** toGeoJSON of every feature by layer name; throws if any feature's does (the strict comparison). */
export function oracle(bytes: Uint8Array, z = 0, x = 0, y = 0): Map<string, OracleFeature[]> {
  const read = readOracle(bytes, z, x, y)
  for (const [why] of read.skipped) throw new Error(why)
  return read.layers
}

export const DEPTH: Record<string, number> = { Point: 0, MultiPoint: 1, LineString: 1, MultiLineString: 2, Polygon: 2, MultiPolygon: 3 }

/** Differences between our features (grouped by their `layer`) and the oracle's; [] when equal. */
export function differences(ours: Feature[], theirs: Map<string, OracleFeature[]>, where = ''): string[] {
  const problems: string[] = []
  const byLayer = new Map<string, Feature[]>()
  for (const f of ours) {
    const list = byLayer.get(f.layer ?? '') ?? []
    list.push(f)
    byLayer.set(f.layer ?? '', list)
  }
  // a layer whose every feature toGeoJSON refuses is in theirs, empty, and not in ours
  const names = new Set([...byLayer.keys(), ...[...theirs].filter(([, list]) => list.length > 0).map(([name]) => name)])
  for (const name of names) {
    const a = byLayer.get(name) ?? [], b = theirs.get(name) ?? []
    if (a.length !== b.length) {
      problems.push(`${where} layer "${name}": ${a.length} features, oracle ${b.length}`)
      continue
    }
    for (let i = 0; i < a.length && problems.length < 20; i++) {
      const at = `${where} layer "${name}" feature ${i}`
      const fa = a[i], fb = b[i]
      if (fa.geometry === null || fa.geometry.type === 'GeometryCollection') {
        problems.push(`${at}: geometry ${JSON.stringify(fa.geometry)}`)
        continue
      }
      if (fa.geometry.type !== fb.geometry.type) problems.push(`${at}: ${fa.geometry.type}, oracle ${fb.geometry.type}`)
      else {
        const d = coordinateDifference(fa.geometry.coordinates, fb.geometry.coordinates, DEPTH[fa.geometry.type])
        if (d !== null) problems.push(`${at}: coordinates ${d}`)
      }
      if (fa.id !== fb.id) problems.push(`${at}: id ${fa.id}, oracle ${fb.id}`)
      const ka = Object.keys(fa.properties).sort(), kb = Object.keys(fb.properties).sort()
      if (ka.join('\u0000') !== kb.join('\u0000')) problems.push(`${at}: property keys ${ka}, oracle ${kb}`)
      else for (const k of ka) if (!Object.is(fa.properties[k], fb.properties[k])) problems.push(`${at}: ${k} = ${fa.properties[k]}, oracle ${fb.properties[k]}`)
    }
  }
  return problems
}

/** null if a and b (coordinates of the same geometry type) nest alike and every number is within TOL. */
export function coordinateDifference(a: unknown, b: unknown, depth: number): string | null {
  if (depth === 0) {
    const [ax, ay] = a as number[], [bx, by] = b as number[]
    return (a as number[]).length === 2 && (b as number[]).length === 2 && Math.abs(ax - bx) <= TOL && Math.abs(ay - by) <= TOL ? null : `${a} vs ${b}`
  }
  const la = a as unknown[], lb = b as unknown[]
  if (la.length !== lb.length) return `length ${la.length} vs ${lb.length}`
  for (let i = 0; i < la.length; i++) {
    const d = coordinateDifference(la[i], lb[i], depth - 1)
    if (d !== null) return `[${i}] ${d}`
  }
  return null
}

/** What @mapbox/vector-tile drops or reads past in a tile, in the names of mvt-decode's repairs counters. */
export interface OracleRepairs {
  /** zero-area rings classifyRings leaves out of a polygon of several rings */
  zero_area_ring_dropped: number
  /** polygons of a version 2 layer whose first ring of non-zero area winds as an interior */
  exterior_ring_winding: number
  /** features of type UNKNOWN (0) */
  unknown_type_skipped: number
  /** features without geometry, without type, of a type other than 0..3, with an unknown command */
  feature_without_geometry: number
  geometry_type_unknown: number
  command_unknown: number
}

/** Counts what @mapbox/vector-tile drops or reads past, feature by feature, as mvt-decode counts it. */
export function oracleRepairs(bytes: Uint8Array): OracleRepairs {
  const tile = new VectorTile(new PbfReader(bytes))
  const out: OracleRepairs = { zero_area_ring_dropped: 0, exterior_ring_winding: 0, unknown_type_skipped: 0, feature_without_geometry: 0, geometry_type_unknown: 0, command_unknown: 0 }
  for (const name in tile.layers) {
    const layer = tile.layers[name]
    for (let i = 0; i < layer.length; i++) {
      const feature = layer.feature(i)
      let rings: ReturnType<VectorTileFeature['loadGeometry']> | null = null
      let thrown = ''
      try {
        rings = feature.loadGeometry()
      } catch (e) {
        thrown = (e as Error).message
      }
      // mvt-decode's order: no geometry, then the type (a missing type field reads as 0 here), then commands
      if (thrown === 'feature has no geometry') out.feature_without_geometry++
      else if (feature.type === 0) out.unknown_type_skipped++
      else if (feature.type > 3) out.geometry_type_unknown++
      else if (rings === null) out.command_unknown++
      if (rings === null || feature.type !== 3) continue
      if (feature.type !== 3) continue
      const kept = classifyRings(rings).reduce((n, polygon) => n + polygon.length, 0)
      if (rings.length > 1) out.zero_area_ring_dropped += rings.length - kept
      const first = rings.map(signedArea).find((a) => a !== 0)
      if (layer.version === 2 && first !== undefined && first < 0) out.exterior_ring_winding++
    }
  }
  return out
}

/** @mapbox/vector-tile's signedArea (not exported by it). */
function signedArea(ring: Array<{ x: number; y: number }>): number {
  let sum = 0
  for (let i = 0, len = ring.length, j = len - 1; i < len; j = i++) {
    const p1 = ring[i], p2 = ring[j]
    sum += (p2.x - p1.x) * (p1.y + p2.y)
  }
  return sum
}

/**
 * Strict mode's refusals by rule, in the order of the repairs counters: what each strict error says, and the
 * counter lenient mode counts it under (tests/faaslets/mvt-decode.test.ts has the table of what lenient mode
 * does instead).
 */
export const STRICT_RULES: Array<[string, RegExp]> = [
  ['unknown_field', /unknown (tile|layer|feature) field|value \d+ has unknown field|must be .*, found|invalid field key/],
  ['repeated_field', /has two (name|version|extent|id|type|geometry|tags) fields|value \d+ holds \d+ fields/],
  ['layer_without_name', /layer has no name field/],
  ['layer_without_version', /layer has no version field/],
  ['layer_version_unknown', /unsupported layer version/],
  ['invalid_utf8', /is not valid UTF-8/],
  ['layer_replaced', /two layers have the same name/],
  ['tag_out_of_range', /tag (key|value) index \d+ is out of range/],
  ['tag_key_repeated', /tag key index \d+ appears twice/],
  ['feature_without_type', /feature has no type field/],
  ['geometry_type_unknown', /unknown geometry type/],
  ['feature_without_geometry', /feature has no geometry field/],
  ['command_unknown', /unknown command/],
  ['geometry_empty', /feature has an empty geometry/],
  ['command_out_of_order', /POINT geometry starts with|POINT geometry has commands after|expects (MoveTo|LineTo|ClosePath)|is not followed by LineTo|is not closed by ClosePath/],
  ['command_count', /MoveTo with command count 0|MoveTo has command count|LineTo has command count|ClosePath has command count|command count \d+ needs/],
  ['zero_length_segment', /zero-length segment|repeats its first point/],
  ['exterior_ring_winding', /starts with an interior ring/],
]

/** The rules whose pattern a strict-mode message matches. */
export function rulesOf(message: string): string[] {
  return STRICT_RULES.filter(([, re]) => re.test(message)).map(([rule]) => rule)
}
