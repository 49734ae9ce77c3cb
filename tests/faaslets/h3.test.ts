// h3-bin and h3-cells, built from Uber's H3 4.5.0 C source, against h3-js 4.5.0: the same C compiled by
// emscripten, so an independent build of the same algorithm. Cells must be identical, on a million points over
// the globe at every resolution (poles, the antimeridian and the twelve pentagons included), and polyfills on
// real boundaries (us-atlas states, world-atlas countries with holes) must be the same sets.
import * as h3 from 'h3-js'
import { describe, expect, it } from 'vitest'
import * as L from '../../faaslets/abi/layout.js'
import { checkRegion, type Descriptor } from '../../faaslets/abi/region.js'
import { readFeatures, writeFeatures, type Feature, type FeatureCollection, type Position } from '../../faaslets/codecs/features.js'
import { pointArrays, writePoints, type PointArrays } from '../../faaslets/codecs/points.js'
import { LocalRunner } from '../../dataplane/local-runner.js'
import type { GraticuleError } from '../../errors/index.js'
import { h3jsCells } from '../helpers/h3-oracle.js'
import { countries, usStates, type PolygonFeature } from '../helpers/pip-oracle.js'
import { mulberry32 } from '../helpers/random.js'

const rt = LocalRunner.create({ tenant: 'h3-test' })

interface CellRow { h3: string; count: number; sum: number; mean: number; min: number; max: number; x: number; y: number }

/** The rows of a features region h3-bin wrote (read by index: a million rows through GeoJSON would be slow). */
function readRows(bytes: Uint8Array, d: Descriptor): CellRow[] {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const h = checkRegion(dv, d.ptr, d.len)
  const at = (s: number) => d.ptr + h.sections[s].offset
  const nStrings = h.sections[L.SEC_STRINGS].count
  const offsets = at(L.SEC_STRINGS), text = offsets + 4 * (nStrings + 1)
  const string = (i: number) => {
    const a = dv.getUint32(offsets + 4 * i, true), b = dv.getUint32(offsets + 4 * i + 4, true)
    return Buffer.from(bytes.buffer, bytes.byteOffset + text + a, b - a).toString('latin1')
  }
  const keys = new Map<number, string>()
  const key = (i: number) => keys.get(i) ?? (keys.set(i, string(i)), keys.get(i)!)
  const rows: CellRow[] = []
  for (let i = 0; i < h.count; i++) {
    const f = at(L.SEC_MAIN) + i * L.FEATURE_STRIDE
    const ring = at(L.SEC_RINGS) + dv.getUint32(f + L.FEATURE_RING_START, true) * L.RING_STRIDE
    const c = at(L.SEC_COORDS) + dv.getUint32(ring + L.RING_COORD_START, true) * L.COORD_STRIDE
    const row = { x: dv.getFloat64(c, true), y: dv.getFloat64(c + 8, true) } as CellRow
    const p0 = dv.getUint32(f + L.FEATURE_PROP_START, true), np = dv.getUint32(f + L.FEATURE_PROP_COUNT, true)
    for (let k = 0; k < np; k++) {
      const p = at(L.SEC_PROPS) + (p0 + k) * L.PROP_STRIDE
      const v = dv.getFloat64(p + L.PROP_VALUE, true)
      ;(row as unknown as Record<string, unknown>)[key(dv.getUint32(p + L.PROP_KEY, true))] = dv.getUint32(p + L.PROP_TYPE, true) === L.PROP_STRING ? string(v) : v
    }
    rows.push(row)
  }
  return rows
}

/** Runs h3-bin; returns what `read` makes of its output. */
function bin<T>(p: PointArrays, res: number, geometry: 'polygon' | 'center', read: (bytes: Uint8Array, out: Descriptor) => T): T {
  const inv = rt.begin()
  try {
    const [out] = rt.run(inv, 'h3-bin', [writePoints(inv.mem, p)], { res, geometry })
    // the arena's bytes after the run: it may have grown during it
    return read(rt.arena.bytes(), out)
  } finally {
    rt.release(inv)
  }
}

/**
 * A million points: area-uniform over the sphere, plus the places where cell assignment is delicate — within
 * half a degree of each pole and on them, on and within 1e-9° of the antimeridian, and around the twelve
 * pentagons of every resolution (their centres, and 1e-7° rings around them). Weight = the point's index, so
 * equal per-cell sums, minima and maxima mean the same points in the same cells, not merely equal counts.
 */
function globePoints(n: number): PointArrays {
  const rnd = mulberry32(18)
  const xs: number[] = [], ys: number[] = []
  for (let res = 0; res <= 15; res++) {
    for (const pentagon of h3.getPentagons(res)) {
      const [lat, lng] = h3.cellToLatLng(pentagon)
      xs.push(lng); ys.push(lat)
      for (let k = 0; k < 8; k++) { xs.push(lng + 1e-7 * Math.cos(k * Math.PI / 4)); ys.push(lat + 1e-7 * Math.sin(k * Math.PI / 4)) }
    }
  }
  for (const lat of [90, -90, 89.999999, -89.999999]) for (const lng of [-180, -90, 0, 45, 180]) { xs.push(lng); ys.push(lat) }
  for (let i = 0; i < 20_000; i++) {
    xs.push(rnd() * 360 - 180); ys.push((i % 2 ? 1 : -1) * (90 - rnd() * 0.5))
    const side = i % 4
    xs.push(side === 0 ? 180 : side === 1 ? -180 : side === 2 ? 180 - rnd() * 1e-9 : -180 + rnd() * 1e-9)
    ys.push(Math.asin(2 * rnd() - 1) * 180 / Math.PI)
  }
  while (xs.length < n) { xs.push(rnd() * 360 - 180); ys.push(Math.asin(2 * rnd() - 1) * 180 / Math.PI) }
  const p = pointArrays(n)
  p.x.set(xs); p.y.set(ys)
  for (let i = 0; i < n; i++) { p.weight[i] = i; p.id[i] = i }
  return p
}

/** One unit in the last place of an angle of order 1 radian, in degrees. */
const ULP_DEGREES = 2 ** -52 * 180 / Math.PI

const slice = (p: PointArrays, from: number, to: number): PointArrays =>
  ({ x: p.x.subarray(from, to), y: p.y.subarray(from, to), weight: p.weight.subarray(from, to), id: p.id.subarray(from, to), crs: p.crs })

describe('h3-bin against h3-js 4.5.0', () => {
  it('a million points over the globe at every resolution 0–15: the same cells, each with the same points', () => {
    const points = globePoints(1_000_000)
    const CHUNK = 250_000
    for (let res = 0; res <= 15; res++) {
      for (let from = 0; from < points.x.length; from += CHUNK) {
        const chunk = slice(points, from, from + CHUNK)
        const rows = bin(chunk, res, 'center', readRows)
        const want = h3jsCells({ lon: chunk.x, lat: chunk.y, weight: chunk.weight }, res)
        expect(rows.length, `res ${res}: cells`).toBe(want.length)
        let bad = 0
        want.forEach((b, k) => {
          const r = rows[k]
          if (r.h3 !== b.h3 || r.count !== b.count || r.sum !== b.sum || r.min !== b.min || r.max !== b.max || r.mean !== b.sum / b.count) {
            if (bad++ < 5) expect.soft(r, `res ${res}`).toMatchObject(b)
          }
        })
        expect(bad, `res ${res}, points ${from}+: cells that differ from h3-js`).toBe(0)
      }
    }
  })

  it('centres are cellToLatLng; boundaries are cellToBoundary(h, true) for every cell of res 0–2 and 20,000 cells of each res 3–15', () => {
    const rnd = mulberry32(7)
    let polar = 0, worstPolar = 0, differ = 0, total = 0
    for (let res = 0; res <= 15; res++) {
      const cells = res <= 2
        ? h3.getRes0Cells().flatMap((c) => h3.cellToChildren(c, res))
        : Array.from({ length: 20_000 }, (_, i) => h3.latLngToCell(i < 1000 ? (i % 2 ? 1 : -1) * (90 - rnd()) : Math.asin(2 * rnd() - 1) * 180 / Math.PI, rnd() * 360 - 180, res))
      const p = pointArrays(cells.length)
      cells.forEach((c, i) => { const [lat, lng] = h3.cellToLatLng(c); p.x[i] = lng; p.y[i] = lat })
      const fc = bin(p, res, 'polygon', readFeatures)
      const rows = bin(p, res, 'center', readRows)
      expect(new Set(rows.map((r) => r.h3))).toEqual(new Set(cells))
      expect(fc.features.map((f) => f.properties.h3)).toEqual(rows.map((r) => r.h3))
      total += rows.length
      for (let i = 0; i < rows.length; i++) {
        const id = rows[i].h3
        const [lat, lng] = h3.cellToLatLng(id)
        const want = h3.cellToBoundary(id, true)
        const ring = (fc.features[i].geometry as { coordinates: Position[][] }).coordinates[0]
        expect(fc.features[i].properties.h3).toBe(id)
        expect(ring.length, id).toBe(want.length)
        const diff = Math.max(Math.abs(rows[i].x - lng), Math.abs(rows[i].y - lat), ...ring.flatMap(([x, y], k) => [Math.abs(x - want[k][0]), Math.abs(y - want[k][1])]))
        if (diff !== 0) differ++
        // Not to the bit: V8 (since 11.x) computes Math.sin and Math.cos with glibc's algorithm, this module
        // with musl's; both are within an ulp of the truth and differ in the last bit for ~1% of arguments.
        // Near a pole longitude and latitude are ill-conditioned (a vertex's latitude is asin of a value near
        // ±1): that ulp becomes ulp / cos(lat) degrees. The bound is 1e-12°, or 4 such ulps where larger —
        // the same point on the sphere to 1e-8 m either way.
        const worstCos = Math.min(Math.cos(lat * Math.PI / 180), ...want.map(([, y]) => Math.cos(y * Math.PI / 180)))
        const bound = Math.max(1e-12, 4 * ULP_DEGREES / worstCos)
        if (diff > 1e-12) { polar++; worstPolar = Math.max(worstPolar, diff) }
        expect(diff, `${id} (res ${res})`).toBeLessThanOrEqual(bound)
      }
    }
    console.log(`h3-bin: ${differ} of ${total} cells not bit-identical to h3-js (all within 1e-12° but ${polar} near a pole, worst ${worstPolar.toExponential(2)}°)`)
  })
})

/** h3-js's polyfill of a feature: each polygon of it on its own, the cells united, ordered by id. */
function oracleCover(f: PolygonFeature, res: number, flags?: string): string[] {
  const polygons = f.geometry.type === 'Polygon' ? [f.geometry.coordinates] : f.geometry.coordinates
  const cells = new Set<string>()
  for (const rings of polygons) {
    for (const c of flags ? h3.polygonToCellsExperimental(rings, res, flags, true) : h3.polygonToCells(rings, res, true)) cells.add(c)
  }
  return [...cells].sort()
}

function cover(features: PolygonFeature[], res: number, containment = 'center'): FeatureCollection {
  const inv = rt.begin()
  try {
    const [out] = rt.run(inv, 'h3-cells', [writeFeatures(inv.mem, { type: 'FeatureCollection', features: features as Feature[] })], { res, containment })
    return readFeatures(rt.arena.bytes(), out)
  } finally {
    rt.release(inv)
  }
}

function coverMismatches(features: PolygonFeature[], res: number, containment: string, flags?: string): string[] {
  const out = cover(features, res, containment)
  const bad: string[] = []
  let k = 0
  features.forEach((f) => {
    const want = oracleCover(f, res, flags)
    const got: string[] = []
    while (k < out.features.length && out.features[k].id === f.id && out.features[k].properties.name === f.properties.name) got.push(out.features[k++].properties.h3 as string)
    if (got.join() !== want.join()) bad.push(`${f.properties.name}: ${got.length} cells, h3-js ${want.length}`)
  })
  expect(k, 'every output cell belongs to an input feature, in order').toBe(out.features.length)
  return bad
}

describe('h3-cells against h3-js polygonToCells on real boundaries', () => {
  it('us-atlas states (10m, Alaska across the antimeridian) at res 5: the same cells for every state', () => {
    expect(coverMismatches(usStates(), 5, 'center')).toEqual([])
  })

  it('world-atlas countries (50m, holes in South Africa and others) at res 3: the same cells for every country', () => {
    // Antarctica's ring around the pole (lat -89.999 from 180 to -180) is one H3 cannot cover: h3-js throws
    // E_FAILED for it, h3-cells refuses it with H3's reason (checked in the refusals below)
    const all = countries().filter((f) => f.properties.name !== 'Antarctica')
    expect(all.filter((f) => f.geometry.type === 'Polygon' ? f.geometry.coordinates.length > 1 : f.geometry.coordinates.some((p) => p.length > 1)).length).toBeGreaterThan(5)
    expect(coverMismatches(all, 3, 'center')).toEqual([])
  })

  it('the other containment modes are polygonToCellsExperimental', () => {
    const some = usStates().filter((f) => ['Colorado', 'Rhode Island', 'Hawaii', 'Michigan'].includes(f.properties.name as string))
    expect(some.length).toBe(4)
    expect(coverMismatches(some, 6, 'full', h3.POLYGON_TO_CELLS_FLAGS.containmentFull)).toEqual([])
    expect(coverMismatches(some, 6, 'overlapping', h3.POLYGON_TO_CELLS_FLAGS.containmentOverlapping)).toEqual([])
    expect(coverMismatches(some, 5, 'overlapping_bbox', h3.POLYGON_TO_CELLS_FLAGS.containmentOverlappingBbox)).toEqual([])
  })

  it('every cell carries its feature: id, properties, and a boundary equal to h3-js', () => {
    const [state] = usStates().filter((f) => f.properties.name === 'Delaware')
    const out = cover([{ ...state, properties: { ...state.properties, h3: 'replaced', fips: 10, coastal: true, note: null } }], 7)
    expect(out.features.length).toBeGreaterThan(50)
    for (const f of out.features) {
      expect(f.id).toBe(state.id)
      expect(f.properties).toEqual({ name: 'Delaware', fips: 10, coastal: true, note: null, h3: expect.stringMatching(/^87[0-9a-f]{13}$/) })
      const want = h3.cellToBoundary(f.properties.h3 as string, true)
      const ring = (f.geometry as { coordinates: Position[][] }).coordinates[0]
      expect(ring.flatMap(([x, y], k) => [x - want[k][0], y - want[k][1]]).every((d) => Math.abs(d) <= 1e-12)).toBe(true)
    }
  })
})

describe('bad input is refused with a registry code, never a trap', () => {
  function code(name: string, write: (mem: Parameters<typeof writePoints>[0]) => Descriptor[], params: Record<string, unknown>): { code: string; message: string } {
    const inv = rt.begin()
    try {
      rt.run(inv, name, write(inv.mem), params)
      return { code: 'none', message: '' }
    } catch (e) {
      return { code: (e as GraticuleError).code, message: (e as Error).message }
    } finally {
      rt.release(inv)
    }
  }
  const pts = (xs: number[], ys: number[], crs = 4326, w?: number[]): PointArrays => {
    const p = pointArrays(xs.length, crs)
    p.x.set(xs); p.y.set(ys)
    if (w) p.weight.set(w)
    return p
  }

  it('h3-bin', () => {
    // an instance first, so a trap (which discards it) would show as a second instantiation below
    expect(code('h3-bin', (m) => [writePoints(m, pts([1], [2]))], { res: 5 }).code).toBe('none')
    const before = rt.instantiations
    expect(code('h3-bin', (m) => [writePoints(m, pts([1], [2]))], { res: 16 }).code).toBe('E_BAD_PARAM')
    expect(code('h3-bin', (m) => [writePoints(m, pts([1], [2]))], { res: 5, geometry: 'hexagon' }).code).toBe('E_BAD_PARAM')
    expect(code('h3-bin', (m) => [writePoints(m, pts([1], [2], 3857))], { res: 5 })).toMatchObject({ code: 'E_FAASLET_UNSUPPORTED_CRS', message: expect.stringMatching(/EPSG:3857.*reproject/) })
    expect(code('h3-bin', (m) => [writePoints(m, pts([1, 2, NaN], [2, 3, 4]))], { res: 5 })).toMatchObject({ code: 'E_FAASLET_MALFORMED_INPUT', message: expect.stringMatching(/point 2: a coordinate/) })
    expect(code('h3-bin', (m) => [writePoints(m, pts([1, 2], [2, 91]))], { res: 5 })).toMatchObject({ code: 'E_FAASLET_MALFORMED_INPUT', message: expect.stringMatching(/point 1: latitude/) })
    expect(code('h3-bin', (m) => [writePoints(m, pts([1], [2], 4326, [Infinity]))], { res: 5 })).toMatchObject({ code: 'E_FAASLET_MALFORMED_INPUT', message: expect.stringMatching(/weight/) })
    const square = { type: 'FeatureCollection' as const, features: [{ type: 'Feature' as const, geometry: { type: 'Polygon' as const, coordinates: [[[0, 0], [1, 0], [1, 1], [0, 0]]] }, properties: {} }] }
    expect(code('h3-bin', (m) => [writeFeatures(m, square)], { res: 5 }).code).toMatch(/E_FAASLET_BAD_INPUT_KIND|E_BAD_INPUT/)
    expect(rt.instantiations).toBe(before)
  })

  it('h3-cells', () => {
    const square = { type: 'FeatureCollection' as const, features: [{ type: 'Feature' as const, geometry: { type: 'Polygon' as const, coordinates: [[[0, 0], [1, 0], [1, 1], [0, 0]]] }, properties: {} }] }
    expect(code('h3-cells', (m) => [writeFeatures(m, square)], { res: 5 }).code).toBe('none')
    const before = rt.instantiations
    const line = { type: 'FeatureCollection' as const, features: [{ type: 'Feature' as const, geometry: { type: 'LineString' as const, coordinates: [[0, 0], [1, 1]] }, properties: {} }] }
    expect(code('h3-cells', (m) => [writeFeatures(m, line)], { res: 5 })).toMatchObject({ code: 'E_FAASLET_BAD_INPUT_KIND', message: expect.stringMatching(/feature 0: not a Polygon/) })
    const [russia] = countries().filter((f) => f.properties.name === 'Russia')
    expect(code('h3-cells', (m) => [writeFeatures(m, { type: 'FeatureCollection', features: [russia] })], { res: 13 })).toMatchObject({ code: 'E_FAASLET_TOO_LARGE', message: expect.stringMatching(/estimates up to \d+ cells at res 13.*more than one invocation covers/) })
    expect(code('h3-cells', (m) => [writeFeatures(m, { type: 'FeatureCollection', features: [russia] })], { res: 2, containment: 'most' }).code).toBe('E_BAD_PARAM')
    const beyond = { type: 'FeatureCollection' as const, features: [{ type: 'Feature' as const, geometry: { type: 'Polygon' as const, coordinates: [[[170, 60], [190, 60], [190, 70], [170, 60]]] }, properties: {} }] }
    expect(code('h3-cells', (m) => [writeFeatures(m, beyond)], { res: 3 })).toMatchObject({ code: 'E_FAASLET_MALFORMED_INPUT', message: expect.stringMatching(/outside longitude ±180.*antimeridian/) })
    const [antarctica] = countries().filter((f) => f.properties.name === 'Antarctica')
    expect(() => h3.polygonToCells((antarctica.geometry.coordinates as Position[][][])[2], 3, true)).toThrow(/code: 1/)
    expect(code('h3-cells', (m) => [writeFeatures(m, { type: 'FeatureCollection', features: [antarctica] })], { res: 3 })).toMatchObject({ code: 'E_FAASLET_MALFORMED_INPUT', message: expect.stringMatching(/feature 0: H3 cannot .*\(H3 error 1: /) })
    expect(rt.instantiations).toBe(before)
  })
})
