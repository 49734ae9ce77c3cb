// pip-aggregate (C, faaslets/c/pip-aggregate) against @turf/turf 7: on every point × every polygon whose
// bbox holds it, booleanPointInPolygon decides, and counts and sums (in point order) must be equal to the
// last bit — on US states × zip codes and cities, on every state vertex (all on borders), on edge
// midpoints and their one-ulp neighbours, on countries with holes × world cities, and on random lattice
// polygons (self-intersecting, with holes, MultiPolygons) where points fall on edges and vertices all the
// time. Both boundary modes (turf's default and ignoreBoundary). Then the output region itself, the
// points regions it also reads, and every refusal.
import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { LocalRunner } from '../../dataplane/local-runner.js'
import * as L from '../../faaslets/abi/layout.js'
import { readHeader, type Descriptor } from '../../faaslets/abi/region.js'
import { readFeatures, writeFeatures, type Feature, type FeatureCollection, type Position } from '../../faaslets/codecs/features.js'
import { writePoints, type PointArrays } from '../../faaslets/codecs/points.js'
import type { GraticuleError } from '../../errors/index.js'
import { sampleCities } from '../helpers/tiles.js'
import {
  cityPoints, concatPoints, countries, mixedCollection, nearEdges, pipOracle, pointFeatures, usStates, vertices, zipcodes,
  type PointSet, type PolygonFeature, type Tally,
} from '../helpers/pip-oracle.js'

const rt = LocalRunner.create({ tenant: 'pip-aggregate-test' })

const arrays = (p: PointSet, crs = 4326): PointArrays => ({ ...p, id: Float64Array.from(p.x, (_, i) => i), crs })

type Build = (mem: Parameters<typeof writeFeatures>[0]) => Descriptor[]

/** Runs pip-aggregate on inputs written by `build`; returns the output as GeoJSON (one copy out). */
function run(build: Build, params: Record<string, unknown> | Float64Array = {}): FeatureCollection {
  const inv = rt.begin()
  try {
    const [out] = rt.run(inv, 'pip-aggregate', build(inv.mem), params)
    return readFeatures(rt.arena.bytes(), out)
  } finally {
    rt.release(inv)
  }
}

function aggregate(collection: FeatureCollection, regions: PointSet[] = [], boundary = 'inside'): FeatureCollection {
  return run((mem) => [writeFeatures(mem, collection), ...regions.map((p) => writePoints(mem, arrays(p)))], { boundary })
}

function tallyOf(out: FeatureCollection): Tally {
  return { count: out.features.map((f) => f.properties.count as number), sum: out.features.map((f) => f.properties.sum as number) }
}

/** Polygons where the faaslet and turf disagree (none expected), with both answers. */
function mismatches(out: FeatureCollection, want: Tally, polygons: PolygonFeature[]): string[] {
  const got = tallyOf(out)
  expect(out.features.length).toBe(polygons.length)
  const bad: string[] = []
  polygons.forEach((p, i) => {
    if (got.count[i] !== want.count[i] || !Object.is(got.sum[i], want.sum[i])) {
      bad.push(`${p.properties.name ?? i}: count ${got.count[i]} sum ${got.sum[i]}, turf ${want.count[i]} / ${want.sum[i]}`)
    }
  })
  return bad
}

const MODES = [['inside', false], ['outside', true]] as const

describe('against turf booleanPointInPolygon on real data', () => {
  const states = usStates()

  it('US states × 42k zip codes and 17k US cities (population weights), in one collection', () => {
    const points = concatPoints(zipcodes(), cityPoints('US'))
    for (const [boundary, ignoreBoundary] of MODES) {
      const want = pipOracle(states, points, ignoreBoundary)
      const out = aggregate(mixedCollection(states, points), [], boundary)
      expect(mismatches(out, want, states), boundary).toEqual([])
      // a real aggregation, not an empty one: most points are in some state
      expect(want.count.reduce((a, b) => a + b, 0)).toBeGreaterThan(0.95 * points.x.length)
    }
  })

  it('every vertex of every state: all on borders, shared borders count in both states (inside) or in none (outside)', () => {
    const points = vertices(states)
    const totals: number[] = []
    for (const [boundary, ignoreBoundary] of MODES) {
      const want = pipOracle(states, points, ignoreBoundary)
      const out = aggregate(mixedCollection(states, points), [], boundary)
      expect(mismatches(out, want, states), boundary).toEqual([])
      totals.push(want.count.reduce((a, b) => a + b, 0))
    }
    expect(totals[0]).toBeGreaterThan(points.x.length) // vertices on shared borders, counted twice
    expect(totals[1]).toBe(0)
  })

  it('edge midpoints of the states and their one-ulp neighbours: the exact orientation decides', () => {
    const points = nearEdges(states, 2)
    for (const [boundary, ignoreBoundary] of MODES) {
      const want = pipOracle(states, points, ignoreBoundary)
      expect(mismatches(aggregate(mixedCollection(states, points), [], boundary), want, states), boundary).toEqual([])
    }
  })

  it('countries with holes (world-atlas 50m) × 20,000 world cities', () => {
    const world = countries()
    const sample = sampleCities(20_000, 7)
    const points: PointSet = {
      x: Float64Array.from(sample, (c) => c.loc.coordinates[0]),
      y: Float64Array.from(sample, (c) => c.loc.coordinates[1]),
      weight: Float64Array.from(sample, (c) => c.population),
    }
    const out = aggregate(mixedCollection(world, points))
    expect(mismatches(out, pipOracle(world, points), world)).toEqual([])
    // Maseru lies in Lesotho, which is a hole of South Africa
    const maseru: PointSet = { x: Float64Array.of(27.48), y: Float64Array.of(-29.31), weight: Float64Array.of(1) }
    const one = aggregate(mixedCollection(world, maseru))
    const byName = (n: string) => one.features[world.findIndex((f) => f.properties.name === n)].properties.count
    expect([byName('Lesotho'), byName('South Africa')]).toEqual([1, 0])
  })
})

describe('against turf on random lattice polygons (degenerate on purpose)', () => {
  // rings of lattice points: repeated and collinear vertices, self-intersections, horizontal and vertical
  // edges; points on the half lattice, so many lie exactly on edges and vertices
  const cell = fc.integer({ min: 0, max: 6 })
  const ring = fc.array(fc.tuple(cell, cell), { minLength: 3, maxLength: 7 }).map((r) => [...r, r[0]])
  const polygon = fc.array(ring, { minLength: 1, maxLength: 3 })
  const geometry = fc.oneof(
    polygon.map((coordinates) => ({ type: 'Polygon' as const, coordinates })),
    fc.array(polygon, { minLength: 1, maxLength: 3 }).map((coordinates) => ({ type: 'MultiPolygon' as const, coordinates })),
  )
  // where the lattice is put: exact small integers, or coordinates whose differences round
  const placement = fc.constantFrom(
    { x0: 0, y0: 0, step: 1 },
    { x0: 0, y0: 0, step: 0.1 },
    { x0: -73.97, y0: 40.78, step: 1 / 3 },
    { x0: 1e6, y0: -1e6, step: 0.001 },
  )

  it('counts and sums equal turf in both boundary modes', () => {
    fc.assert(
      fc.property(fc.array(geometry, { minLength: 1, maxLength: 4 }), placement, (geoms, at) => {
        const place = ([i, j]: number[]): Position => [at.x0 + i * at.step, at.y0 + j * at.step]
        const polygons = geoms.map((g, k) => ({
          type: 'Feature' as const, id: k, properties: { name: `p${k}` },
          geometry: g.type === 'Polygon'
            ? { type: 'Polygon' as const, coordinates: g.coordinates.map((r) => r.map(place)) }
            : { type: 'MultiPolygon' as const, coordinates: g.coordinates.map((p) => p.map((r) => r.map(place))) },
        })) as PolygonFeature[]
        const x: number[] = [], y: number[] = [], w: number[] = []
        for (let i = -1; i <= 13; i++) for (let j = -1; j <= 13; j++) {
          const [px, py] = place([i / 2, j / 2])
          x.push(px); y.push(py); w.push(((i * 13 + j * 7) % 11) + 0.25)
        }
        const points: PointSet = { x: Float64Array.from(x), y: Float64Array.from(y), weight: Float64Array.from(w) }
        for (const [boundary, ignoreBoundary] of MODES) {
          const bad = mismatches(aggregate(mixedCollection(polygons, points), [], boundary), pipOracle(polygons, points, ignoreBoundary), polygons)
          if (bad.length) throw new Error(`${boundary}: ${bad.join('; ')}\n${JSON.stringify(polygons.map((p) => p.geometry))}`)
        }
      }),
      { numRuns: 150, seed: 20261126 },
    )
  })
})

describe('where the points come from', () => {
  const states = usStates()

  it('point features of the layer, then each POINTS region after it: one tally, sums in that order', () => {
    const zips = zipcodes()
    const half = (from: number, to: number): PointSet => ({ x: zips.x.slice(from, to), y: zips.y.slice(from, to), weight: Float64Array.from(zips.x.slice(from, to), (_, i) => (i % 5) + 0.1) })
    const a = half(0, 10_000), b = half(10_000, 25_000), c = cityPoints('US')
    const out = aggregate(mixedCollection(states, a), [b, c])
    expect(mismatches(out, pipOracle(states, concatPoints(a, b, c)), states)).toEqual([])
    // the layer can also be polygons only, with every point in regions
    const onlyRegions = aggregate({ type: 'FeatureCollection', features: states }, [a, b, c])
    expect(tallyOf(onlyRegions)).toEqual(tallyOf(out))
  })

  it('a MultiPoint counts each of its positions with the feature\'s weight; no numeric weight property means 1', () => {
    const square: PolygonFeature = { type: 'Feature', properties: {}, geometry: { type: 'Polygon', coordinates: [[[0, 0], [4, 0], [4, 4], [0, 4], [0, 0]]] } }
    const features: Feature[] = [
      square,
      { type: 'Feature', properties: { weight: 2.5 }, geometry: { type: 'MultiPoint', coordinates: [[1, 1], [2, 2], [9, 9]] } },
      { type: 'Feature', properties: { weight: 'heavy' }, geometry: { type: 'Point', coordinates: [3, 3] } },
      { type: 'Feature', properties: {}, geometry: { type: 'Point', coordinates: [0, 2] } },
    ]
    const out = aggregate({ type: 'FeatureCollection', features })
    expect(out.features).toHaveLength(1)
    expect(out.features[0].properties).toEqual({ count: 4, sum: 2.5 + 2.5 + 1 + 1 })
  })

  it('a line, a collection or a null geometry is refused with its index, not skipped', () => {
    const square: PolygonFeature = { type: 'Feature', properties: {}, geometry: { type: 'Polygon', coordinates: [[[0, 0], [4, 0], [4, 4], [0, 4], [0, 0]]] } }
    const others: Feature['geometry'][] = [
      { type: 'LineString', coordinates: [[1, 1], [2, 2]] },
      { type: 'MultiLineString', coordinates: [[[1, 1], [2, 2]]] },
      { type: 'GeometryCollection', geometries: [{ type: 'Point', coordinates: [1, 1] }] },
      null,
    ]
    for (const geometry of others) {
      const fc = { type: 'FeatureCollection' as const, features: [square, { type: 'Feature' as const, properties: {}, geometry: { type: 'Point' as const, coordinates: [1, 1] as Position } }, { type: 'Feature' as const, properties: {}, geometry }] }
      let code = ''
      let message = ''
      try {
        aggregate(fc)
      } catch (e) {
        code = (e as { code: string }).code
        message = (e as Error).message
      }
      expect(code, JSON.stringify(geometry)).toBe('E_FAASLET_BAD_INPUT_KIND')
      expect(message).toMatch(/input 0: feature 2 is not a polygon or points/)
    }
    expect(rt.arena.bytesInUse).toBe(0)
  })

  it('points whose coordinates are not finite lie in no polygon (and never trap)', () => {
    const square: PolygonFeature = { type: 'Feature', properties: {}, geometry: { type: 'Polygon', coordinates: [[[0, 0], [4, 0], [4, 4], [0, 4], [0, 0]]] } }
    const pts: PointSet = { x: Float64Array.of(1, NaN, Infinity, -Infinity, 2, 1), y: Float64Array.of(1, 1, 2, 2, NaN, Infinity), weight: Float64Array.of(1, 10, 100, 1000, 10_000, 100_000) }
    expect(aggregate({ type: 'FeatureCollection', features: [square] }, [pts]).features[0].properties).toEqual({ count: 1, sum: 1 })
  })
})

describe('the output region', () => {
  const square = (x: number, y: number, s: number): Position[] => [[x, y], [x + s, y], [x + s, y + s], [x, y + s], [x, y]]
  const collection: FeatureCollection = {
    type: 'FeatureCollection',
    features: [
      { type: 'Feature', id: 7, layer: 'parcels', geometry: { type: 'Polygon', coordinates: [square(0, 0, 10), square(2, 2, 2)] }, properties: { name: 'A', area: 96, ok: true, none: null, count: 99, sum: 'old' } },
      { type: 'Feature', id: 'B-2', geometry: { type: 'MultiPolygon', coordinates: [[square(20, 0, 5)], [square(30, 0, 5), square(31, 1, 2)]] }, properties: { name: 'B', tags: { zoning: ['R1', 'R2'] } } },
      { type: 'Feature', id: 3, layer: 'sensors', geometry: { type: 'Point', coordinates: [1, 1] }, properties: { weight: 2, label: 'only on a point' } },
      { type: 'Feature', layer: 'sensors', geometry: { type: 'Point', coordinates: [3, 3] }, properties: { weight: 5 } }, // in A's hole
      { type: 'Feature', layer: 'sensors', geometry: { type: 'Point', coordinates: [32, 2] }, properties: { weight: 7 } }, // in B's second hole
      { type: 'Feature', layer: 'sensors', geometry: { type: 'Point', coordinates: [22, 2] }, properties: { weight: 11 } },
      { type: 'Feature', geometry: { type: 'Polygon', coordinates: [] }, properties: { name: 'empty' } },
    ],
  }

  it('holds the polygons in input order with ids, layers, rings and properties, plus count and sum (replacing old ones)', () => {
    const out = run((mem) => [writeFeatures(mem, collection, { crs: 3857, tile: { z: 5, x: 3, y: 9 } })])
    const [a, b, , , , , empty] = collection.features
    expect(out).toEqual({
      type: 'FeatureCollection',
      features: [
        { ...a, properties: { name: 'A', area: 96, ok: true, none: null, count: 1, sum: 2 } },
        { ...b, properties: { name: 'B', tags: { zoning: ['R1', 'R2'] }, count: 1, sum: 11 } },
        { ...empty, properties: { name: 'empty', count: 0, sum: 0 } },
      ],
    })
  })

  it('keeps crs and tile, has the polygons\' extent, and only the strings the polygons use', () => {
    const inv = rt.begin()
    try {
      const [out] = rt.run(inv, 'pip-aggregate', [writeFeatures(inv.mem, collection, { crs: 3857, tile: { z: 5, x: 3, y: 9 } })])
      const h = readHeader(rt.arena.view(), out.ptr)
      expect([h.kind, h.crs, h.tileZ, h.tileX, h.tileY]).toEqual([L.KIND_FEATURES, 3857, 5, 3, 9])
      expect([h.minX, h.minY, h.maxX, h.maxY]).toEqual([0, 0, 35, 10])
      // parcels, name, A, area, ok, none, count, sum, B-2 (an id), B, tags, its JSON, empty — not sensors, weight, label, old
      expect(h.sections[L.SEC_STRINGS].count).toBe(13)
    } finally {
      rt.release(inv)
    }
  })

  it('a layer without polygons gives an empty features region', () => {
    const out = aggregate({ type: 'FeatureCollection', features: pointFeatures({ x: Float64Array.of(1), y: Float64Array.of(2), weight: Float64Array.of(1) }) })
    expect(out.features).toEqual([])
  })

  it('a ring that does not end where it starts (possible in a region from elsewhere) is closed', () => {
    const open = (mem: Parameters<typeof writeFeatures>[0]) => {
      const d = writeFeatures(mem, mixedCollection(usStates().slice(0, 6), zipcodes()))
      // drop the closing position of every ring: coordCount − 1 (the position stays, unreferenced)
      const dv = mem.view()
      const h = readHeader(dv, d.ptr)
      const rings = d.ptr + h.sections[L.SEC_RINGS].offset
      const features = d.ptr + h.sections[L.SEC_MAIN].offset
      for (let f = 0; f < h.count; f++) {
        const at = features + f * L.FEATURE_STRIDE
        const type = dv.getUint32(at + L.FEATURE_GEOM_TYPE, true)
        if (type !== L.GEOM_POLYGON && type !== L.GEOM_MULTIPOLYGON) continue
        const r0 = dv.getUint32(at + L.FEATURE_RING_START, true), nr = dv.getUint32(at + L.FEATURE_RING_COUNT, true)
        for (let r = r0; r < r0 + nr; r++) {
          const c = rings + r * L.RING_STRIDE + L.RING_COORD_COUNT
          dv.setUint32(c, dv.getUint32(c, true) - 1, true)
        }
      }
      return [d]
    }
    const closed = aggregate(mixedCollection(usStates().slice(0, 6), zipcodes()))
    expect(tallyOf(run(open))).toEqual(tallyOf(closed))
    expect(tallyOf(closed).count.reduce((a, b) => a + b, 0)).toBeGreaterThan(1000)
  })
})

describe('refuses what it cannot use with a status, never a trap', () => {
  const square: PolygonFeature = { type: 'Feature', properties: { name: 's' }, geometry: { type: 'Polygon', coordinates: [[[0, 0], [4, 0], [4, 4], [0, 4], [0, 0]]] } }
  const layer = { type: 'FeatureCollection' as const, features: [square, ...pointFeatures({ x: Float64Array.of(1), y: Float64Array.of(1), weight: Float64Array.of(1) })] }
  const pts: PointSet = { x: Float64Array.of(1), y: Float64Array.of(1), weight: Float64Array.of(1) }

  function code(build: Build, params: Record<string, unknown> | Float64Array = {}): { code: string; message: string } {
    try {
      run(build, params)
    } catch (e) {
      return { code: (e as GraticuleError).code, message: (e as Error).message }
    }
    return { code: 'none', message: '' }
  }

  /** The layer written, then `patch(dv, ptr, header)` applied to it. */
  const patched = (patch: (dv: DataView, ptr: number, h: ReturnType<typeof readHeader>) => void): Build => (mem) => {
    const d = writeFeatures(mem, layer)
    patch(mem.view(), d.ptr, readHeader(mem.view(), d.ptr))
    return [d]
  }

  it('wrong kinds, counts and crs', () => {
    const before = rt.instantiations
    expect(code(() => []).code).toBe('E_FAASLET_BAD_INPUT_KIND')
    expect(code((mem) => [writePoints(mem, arrays(pts))])).toMatchObject({ code: 'E_FAASLET_BAD_INPUT_KIND', message: expect.stringMatching(/features region/) })
    expect(code((mem) => [writeFeatures(mem, layer), writeFeatures(mem, layer)])).toMatchObject({ code: 'E_FAASLET_BAD_INPUT_KIND', message: expect.stringMatching(/input 1/) })
    expect(code((mem) => [writeFeatures(mem, layer), writePoints(mem, arrays(pts, 3857))])).toMatchObject({ code: 'E_FAASLET_UNSUPPORTED_CRS', message: expect.stringMatching(/EPSG:3857.*EPSG:4326/) })
    // answered by status: no instance was lost to a trap
    expect(rt.instantiations).toBe(before)
  })

  it('malformed regions: indices outside their sections, unknown types, non-finite polygon coordinates', () => {
    const before = rt.instantiations
    const at = (h: ReturnType<typeof readHeader>, s: number) => h.sections[s].offset
    const cases: Array<[string, Build]> = [
      ['ring start', patched((dv, p, h) => dv.setUint32(p + at(h, L.SEC_MAIN) + L.FEATURE_RING_START, 1000, true))],
      ['coordinates', patched((dv, p, h) => dv.setUint32(p + at(h, L.SEC_RINGS) + L.RING_COORD_COUNT, 1000, true))],
      ['property key', patched((dv, p, h) => dv.setUint32(p + at(h, L.SEC_PROPS) + L.PROP_KEY, 1000, true))],
      ['string value', patched((dv, p, h) => {
        dv.setUint32(p + at(h, L.SEC_PROPS) + L.PROP_TYPE, L.PROP_STRING, true)
        dv.setFloat64(p + at(h, L.SEC_PROPS) + L.PROP_VALUE, NaN, true)
      })],
      ['geometry type', patched((dv, p, h) => dv.setUint32(p + at(h, L.SEC_MAIN) + L.FEATURE_GEOM_TYPE, 9, true))],
      ['layer', patched((dv, p, h) => dv.setUint32(p + at(h, L.SEC_MAIN) + L.FEATURE_LAYER, 77, true))],
      ['string offsets', patched((dv, p, h) => dv.setUint32(p + at(h, L.SEC_STRINGS) + 4, 0xffffff, true))],
      ['section', patched((dv, p) => dv.setUint32(p + L.HDR_SECTIONS + L.SEC_COORDS * 8, 0xfffff8, true))],
      ['coordinate NaN', patched((dv, p, h) => dv.setFloat64(p + at(h, L.SEC_COORDS) + 16, NaN, true))],
      ['coordinate Infinity', patched((dv, p, h) => dv.setFloat64(p + at(h, L.SEC_COORDS) + 8, -Infinity, true))],
      ['magic', patched((dv, p) => dv.setUint32(p, 0, true))],
    ]
    for (const [what, build] of cases) expect(code(build).code, what).toBe('E_FAASLET_MALFORMED_INPUT')
    expect(rt.instantiations).toBe(before)
    expect(rt.arena.bytesInUse).toBe(0)
  })

  it('a boundary slot other than 0 or 1 (past the host\'s parser)', () => {
    for (const v of [2, 0.5, -1, NaN]) expect(code((mem) => [writeFeatures(mem, layer)], Float64Array.of(v)).code, String(v)).toBe('E_FAASLET_BAD_PARAM')
    expect(code((mem) => [writeFeatures(mem, layer)], new Float64Array(0)).code).toBe('E_FAASLET_BAD_PARAM')
    expect(() => run((mem) => [writeFeatures(mem, layer)], { boundary: 'edge' })).toThrow(/boundary/)
  })
})
