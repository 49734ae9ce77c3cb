// The light single-pass faaslets (points-filter, points-scale, points-snap, points-bin) and the fan-in ones
// (points-merge, grid-combine) against the straightforward JS loop for each, written here: seeded random
// inputs salted with NaN/±Infinity coordinates, NaN and negative weights and points exactly on (and one
// ulp off) the bbox edges, plus empty and single-point regions. Where the faaslet does the same f64
// arithmetic the comparison is bit for bit (Object.is; grids against Math.fround of the JS f64 result).
// Error cases check the error code; every test leaves the arena empty.
import { afterEach, describe, expect, it } from 'vitest'
import { LocalRunner, type Invocation } from '../../dataplane/local-runner.js'
import { pointArrays, readPoints, writePoints, type PointArrays } from '../../faaslets/codecs/points.js'
import { createRegion, readHeader, type Descriptor, type RegionHeader } from '../../faaslets/abi/region.js'
import type { RawParams } from '../../faaslets/abi/manifest.js'
import * as L from '../../faaslets/abi/layout.js'
import { mulberry32 as rng } from '../helpers/random.js'

const rt = LocalRunner.create({ tenant: 'light-faaslets-test' })
const N = 20_000

afterEach(() => {
  expect(rt.arena.bytesInUse).toBe(0)
})

// ─── helpers ─────────────────────────────────────────────────────────────────────────────────────────


const f64 = new Float64Array(1)
const u64 = new BigInt64Array(f64.buffer)
/** The next double after x towards +Infinity (dir 1) or −Infinity (dir −1); x finite and non-zero. */
function nextAfter(x: number, dir: 1 | -1): number {
  f64[0] = x
  u64[0] += BigInt(x > 0 === dir > 0 ? 1 : -1)
  return f64[0]
}

type Box = [number, number, number, number]

/**
 * n points uniform in `box` widened by 10 % each side, weights in [−5, 5), distinct ids; about 1 % each
 * get a NaN x, a NaN y, an infinite x or y, or a NaN weight.
 */
function randomPoints(n: number, seed: number, box: Box = [-180, -90, 180, 90], crs = 4326): PointArrays {
  const r = rng(seed)
  const p = pointArrays(n, crs)
  const [w, s, e, nn] = box
  const dx = (e - w) * 1.2, dy = (nn - s) * 1.2
  for (let i = 0; i < n; i++) {
    p.x[i] = w - (e - w) * 0.1 + r() * dx
    p.y[i] = s - (nn - s) * 0.1 + r() * dy
    p.weight[i] = -5 + 10 * r()
    p.id[i] = 1000 + i
    const u = r()
    if (u < 0.01) p.x[i] = NaN
    else if (u < 0.02) p.y[i] = NaN
    else if (u < 0.025) p.x[i] = r() < 0.5 ? Infinity : -Infinity
    else if (u < 0.03) p.y[i] = r() < 0.5 ? Infinity : -Infinity
    else if (u < 0.04) p.weight[i] = NaN
  }
  return p
}

/** Overwrites the first points with every combination of a bbox's edges, one ulp either side and the middle. */
function withEdges(p: PointArrays, [w, s, e, n]: Box): PointArrays {
  const xs = [w, e, nextAfter(w, -1), nextAfter(w, 1), nextAfter(e, -1), nextAfter(e, 1), (w + e) / 2]
  const ys = [s, n, nextAfter(s, -1), nextAfter(s, 1), nextAfter(n, -1), nextAfter(n, 1), (s + n) / 2]
  let i = 0
  for (const x of xs) for (const y of ys) { p.x[i] = x; p.y[i] = y; p.weight[i] = 1; i++ }
  return p
}

function concat(...ps: PointArrays[]): PointArrays {
  const n = ps.reduce((k, p) => k + p.x.length, 0)
  const q = pointArrays(n, ps[0].crs)
  let at = 0
  for (const p of ps) {
    q.x.set(p.x, at); q.y.set(p.y, at); q.weight.set(p.weight, at); q.id.set(p.id, at)
    at += p.x.length
  }
  return q
}

/** The records of p at the given indices. */
function pick(p: PointArrays, keep: number[]): PointArrays {
  const q = pointArrays(keep.length, p.crs)
  keep.forEach((i, j) => { q.x[j] = p.x[i]; q.y[j] = p.y[i]; q.weight[j] = p.weight[i]; q.id[j] = p.id[i] })
  return q
}

/** Index of the first element that differs bit for bit (NaN equals NaN), or −1. */
function firstDifference(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return Math.min(a.length, b.length)
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) return i
  return -1
}

function expectSameArray(got: ArrayLike<number>, want: ArrayLike<number>, label: string): void {
  expect(got.length, `${label}: length`).toBe(want.length)
  const i = firstDifference(got, want)
  expect(i, i < 0 ? label : `${label}: first difference at #${i}: got ${got[i]}, want ${want[i]}`).toBe(-1)
}

function expectSamePoints(got: PointArrays, want: PointArrays, label: string): void {
  expect(got.crs, `${label}: crs`).toBe(want.crs)
  expectSameArray(got.x, want.x, `${label}: x`)
  expectSameArray(got.y, want.y, `${label}: y`)
  expectSameArray(got.weight, want.weight, `${label}: weight`)
  expectSameArray(got.id, want.id, `${label}: id`)
}

/** Bounding box of the points whose x and y are both finite; NaNs if there are none. */
function finiteExtent(p: PointArrays): Box {
  let x0 = Infinity, y0 = Infinity, x1 = -Infinity, y1 = -Infinity
  for (let i = 0; i < p.x.length; i++) {
    const x = p.x[i], y = p.y[i]
    if (!Number.isFinite(x) || !Number.isFinite(y)) continue
    x0 = Math.min(x0, x); x1 = Math.max(x1, x); y0 = Math.min(y0, y); y1 = Math.max(y1, y)
  }
  return x0 <= x1 ? [x0, y0, x1, y1] : [NaN, NaN, NaN, NaN]
}

const extentOf = (h: RegionHeader): Box => [h.minX, h.minY, h.maxX, h.maxY]

function setTileOf(d: Descriptor, z: number, x: number, y: number): void {
  const dv = rt.arena.view()
  dv.setInt32(d.ptr + L.HDR_TILE_Z, z, true)
  dv.setUint32(d.ptr + L.HDR_TILE_X, x, true)
  dv.setUint32(d.ptr + L.HDR_TILE_Y, y, true)
}

interface PointsResult { points: PointArrays; header: RegionHeader }

/** Runs a points → points faaslet in a fresh invocation; returns the output read out, then releases. */
function runPoints(name: string, inputs: PointArrays[], params: RawParams = {}, prepare?: (ds: Descriptor[]) => void): PointsResult {
  const inv = rt.begin()
  try {
    const ds = inputs.map((p) => writePoints(inv.mem, p))
    prepare?.(ds)
    const [out] = rt.run(inv, name, ds, params)
    return { points: readPoints(rt.arena.bytes(), out), header: readHeader(rt.arena.view(), out.ptr) }
  } finally {
    rt.release(inv)
  }
}

interface Grid { width: number; height: number; values: Float32Array; crs: number; tile?: { z: number; x: number; y: number }; extent?: Box }

function writeGrid(inv: Invocation, g: Grid): Descriptor {
  const n = g.width * g.height
  const r = createRegion(inv.mem, {
    kind: L.KIND_GRID, count: n, stride: L.GRID_STRIDE, crs: g.crs, width: g.width, height: g.height,
    tile: g.tile, extent: g.extent, sections: [{ bytes: n * L.GRID_STRIDE, count: n }],
  })
  new Float32Array(rt.arena.bytes().buffer, r.sectionPtrs[0], n).set(g.values)
  return { ptr: r.ptr, len: r.len }
}

function readGrid(d: Descriptor): { header: RegionHeader; values: Float32Array } {
  const header = readHeader(rt.arena.view(), d.ptr)
  const values = new Float32Array(rt.arena.bytes().buffer, d.ptr + header.sections[0].offset, header.count).slice()
  return { header, values }
}

/** Expects fn to throw a graticule error with this code (and message). */
function expectFailure(fn: () => unknown, code: string, message?: RegExp): void {
  let err: unknown = null
  try { fn() } catch (e) { err = e }
  expect(err, `expected ${code}`).toBeInstanceOf(Error)
  expect((err as { code?: string }).code, (err as Error).message).toBe(code)
  if (message) expect((err as Error).message).toMatch(message)
}

/** Runs fn in an invocation holding a grid region (a wrong kind for points faaslets); releases after. */
function withInvocation<T>(fn: (inv: Invocation) => T): T {
  const inv = rt.begin()
  try {
    return fn(inv)
  } finally {
    rt.release(inv)
  }
}

const someGrid = (inv: Invocation) => writeGrid(inv, { width: 2, height: 2, values: new Float32Array([1, 2, 3, 4]), crs: 3857 })

/** Every points faaslet refuses a grid, a region with a bad magic, and two inputs where it takes one. */
function commonErrors(name: string, params: RawParams = {}): void {
  it('refuses a wrong kind, a non-region and a wrong input count', () => {
    withInvocation((inv) => {
      expectFailure(() => rt.run(inv, name, [someGrid(inv)], params), 'E_FAASLET_BAD_INPUT_KIND', /kind 5/)
      const junk = inv.mem.alloc(256, 8)
      new Uint8Array(rt.arena.bytes().buffer, junk, 256).fill(7)
      expectFailure(() => rt.run(inv, name, [{ ptr: junk, len: 256 }], params), 'E_FAASLET_MALFORMED_INPUT', /not a region/)
      const p = writePoints(inv.mem, randomPoints(5, 1))
      expectFailure(() => rt.run(inv, name, [p, p], params), 'E_FAASLET_BAD_INPUT_KIND', /one points region/)
      // a points region whose main table claims more records than the region holds
      rt.arena.view().setUint32(p.ptr + L.HDR_SECTIONS + 4, 1000, true)
      rt.arena.view().setUint32(p.ptr + L.HDR_COUNT, 1000, true)
      expectFailure(() => rt.run(inv, name, [p], params), 'E_FAASLET_MALFORMED_INPUT', /out of bounds/)
    })
  })
}

// ─── points-filter ───────────────────────────────────────────────────────────────────────────────────

/** Indices kept by the filter, straight from its definition. */
function filterOracle(p: PointArrays, [w, s, e, n]: Box, lo = -1e308, hi = 1e308): number[] {
  const keep: number[] = []
  for (let i = 0; i < p.x.length; i++) {
    const x = p.x[i], y = p.y[i], wt = p.weight[i]
    if (!Number.isFinite(x) || !Number.isFinite(y)) continue
    const inX = w <= e ? x >= w && x <= e : x >= w || x <= e
    if (inX && y >= s && y <= n && wt >= lo && wt <= hi) keep.push(i)
  }
  return keep
}

function expectFiltered(p: PointArrays, bbox: Box, params: RawParams, lo?: number, hi?: number): PointsResult {
  const res = runPoints('points-filter', [p], params)
  const want = pick(p, filterOracle(p, bbox, lo, hi))
  expectSamePoints(res.points, want, 'points-filter')
  expect(extentOf(res.header)).toEqual(finiteExtent(want))
  expect(res.header.byteLength).toBe(L.HEADER_SIZE + want.x.length * L.POINT_STRIDE)
  return res
}

describe('points-filter', () => {
  it('default bbox keeps every finite point with a non-NaN weight', () => {
    const p = randomPoints(N, 11)
    const res = expectFiltered(p, [-180, -90, 180, 90], {})
    expect(res.points.x.length).toBeGreaterThan(N * 0.5)
  })

  it('bbox and weight range, with points on and one ulp off every edge', () => {
    const bbox: Box = [-10.25, -20.5, 30.125, 40.75]
    const p = withEdges(randomPoints(N, 12, bbox), bbox)
    const res = expectFiltered(p, bbox, { bbox, minWeight: -1, maxWeight: 2.5 }, -1, 2.5)
    // edges are inclusive: the four corners (edge points 0, 1, 7, 8) are kept, while every point one ulp
    // outside an edge (x or y index 2 or 5 in withEdges' lists) is not
    const ids = new Set(res.points.id)
    expect([0, 1, 7, 8].map((i) => ids.has(p.id[i]))).toEqual([true, true, true, true])
    const outside = Array.from({ length: 49 }, (_, i) => i).filter((i) => [2, 5].includes(Math.floor(i / 7)) || [2, 5].includes(i % 7))
    expect(outside.filter((i) => ids.has(p.id[i]))).toEqual([])
    expect(res.points.weight.every((wt) => wt >= -1 && wt <= 2.5)).toBe(true)
  })

  it('a bbox with w > e crosses the antimeridian', () => {
    const bbox: Box = [170, -10, -170, 10]
    const p = withEdges(randomPoints(N, 13), [170, -10, 180, 10])
    p.x[100] = Infinity; p.y[100] = 0
    p.x[101] = -Infinity; p.y[101] = 0
    p.x[102] = 175; p.y[102] = 0
    p.x[103] = -175; p.y[103] = 0
    p.x[104] = 0; p.y[104] = 0
    const res = expectFiltered(p, bbox, { bbox })
    const ids = new Set(res.points.id)
    expect(ids.has(p.id[102]) && ids.has(p.id[103])).toBe(true)
    expect(ids.has(p.id[100]) || ids.has(p.id[101]) || ids.has(p.id[104])).toBe(false)
    expect(res.points.x.every((x) => x >= 170 || x <= -170)).toBe(true)
  })

  it('empty input, nothing kept, and a single point', () => {
    const empty = runPoints('points-filter', [pointArrays(0)], {})
    expect(empty.header.count).toBe(0)
    expect(extentOf(empty.header).every(Number.isNaN)).toBe(true)
    const none = expectFiltered(randomPoints(500, 14), [1000, 1000, 2000, 2000], { bbox: [1000, 1000, 2000, 2000] })
    expect(none.header.count).toBe(0)
    expect(none.header.byteLength).toBe(L.HEADER_SIZE)
    const one = pointArrays(1)
    one.x[0] = 3; one.y[0] = 4; one.weight[0] = -2; one.id[0] = 77
    const res = expectFiltered(one, [-180, -90, 180, 90], {})
    expect(extentOf(res.header)).toEqual([3, 4, 3, 4])
  })

  it('keeps the crs and tile of the input', () => {
    const p = randomPoints(1000, 15, [0, 0, 1e6, 1e6], 3857)
    const res = runPoints('points-filter', [p], { bbox: [0, 0, 5e5, 5e5] }, ([d]) => setTileOf(d, 5, 10, 11))
    expect([res.header.crs, res.header.tileZ, res.header.tileX, res.header.tileY]).toEqual([3857, 5, 10, 11])
  })

  commonErrors('points-filter')
  it('refuses minWeight above maxWeight', () => {
    withInvocation((inv) => {
      const d = writePoints(inv.mem, randomPoints(10, 16))
      expectFailure(() => rt.run(inv, 'points-filter', [d], { minWeight: 2, maxWeight: 1 }), 'E_FAASLET_BAD_PARAM', /minWeight/)
    })
  })
})

// ─── points-scale ────────────────────────────────────────────────────────────────────────────────────

function scaleOracle(p: PointArrays, a: number, b: number, lo: number, hi: number): PointArrays {
  const q = pick(p, Array.from(p.x, (_, i) => i))
  for (let i = 0; i < q.weight.length; i++) q.weight[i] = Math.min(Math.max(a * p.weight[i] + b, lo), hi)
  return q
}

describe('points-scale', () => {
  const cases: Array<[string, RawParams, [number, number, number, number]]> = [
    ['defaults leave weights bit for bit', {}, [1, 0, -1e308, 1e308]],
    ['affine, no clamp', { a: -2.75, b: 0.1 }, [-2.75, 0.1, -1e308, 1e308]],
    ['affine, clamped both sides', { a: 3.3, b: -1.7, lo: -2, hi: 4.5 }, [3.3, -1.7, -2, 4.5]],
    ['clamped to a single value', { lo: 0.5, hi: 0.5 }, [1, 0, 0.5, 0.5]],
  ]
  for (const [label, params, [a, b, lo, hi]] of cases) {
    it(label, () => {
      const p = randomPoints(N, 21)
      p.weight[0] = -0; p.weight[1] = 1e308; p.weight[2] = -1e308
      const res = runPoints('points-scale', [p], params)
      expectSamePoints(res.points, scaleOracle(p, a, b, lo, hi), label)
    })
  }

  it('keeps crs, tile and extent; empty and single-point regions', () => {
    const p = randomPoints(100, 22, [0, 0, 1e5, 1e5], 32633)
    let inExtent: Box = [0, 0, 0, 0]
    const res = runPoints('points-scale', [p], { a: 2 }, ([d]) => {
      setTileOf(d, 3, 1, 2)
      inExtent = extentOf(readHeader(rt.arena.view(), d.ptr))
    })
    expect([res.header.crs, res.header.tileZ, res.header.tileX, res.header.tileY]).toEqual([32633, 3, 1, 2])
    expect(extentOf(res.header)).toEqual(inExtent)
    expect(runPoints('points-scale', [pointArrays(0)], { a: 2 }).header.count).toBe(0)
    const one = randomPoints(1, 23)
    expectSamePoints(runPoints('points-scale', [one], { a: 2, b: 1 }).points, scaleOracle(one, 2, 1, -1e308, 1e308), 'one point')
  })

  commonErrors('points-scale')
  it('refuses lo above hi', () => {
    withInvocation((inv) => {
      const d = writePoints(inv.mem, randomPoints(10, 24))
      expectFailure(() => rt.run(inv, 'points-scale', [d], { lo: 1, hi: 0 }), 'E_FAASLET_BAD_PARAM', /lo is above hi/)
    })
  })
})

// ─── points-snap ─────────────────────────────────────────────────────────────────────────────────────

function snapOracle(p: PointArrays, cell: number): PointArrays {
  const q = pick(p, Array.from(p.x, (_, i) => i))
  for (let i = 0; i < q.x.length; i++) {
    q.x[i] = (Math.floor(p.x[i] / cell) + 0.5) * cell
    q.y[i] = (Math.floor(p.y[i] / cell) + 0.5) * cell
  }
  return q
}

describe('points-snap', () => {
  const cases: Array<[string, number, Box, number]> = [
    ['1 km cells in web mercator', 1000, [-2e7, -2e7, 2e7, 2e7], 3857],
    ['0.1 degree cells (not representable in binary)', 0.1, [-180, -90, 180, 90], 4326],
    ['cells larger than the data', 1e9, [-1e6, -1e6, 1e6, 1e6], 3857],
  ]
  for (const [label, cell, box, crs] of cases) {
    it(label, () => {
      const p = randomPoints(N, 31, box, crs)
      // exact multiples of the cell, and negative multiples, land in the cell above/right of the line
      p.x[0] = 3 * cell; p.y[0] = -3 * cell; p.x[1] = -0; p.y[1] = 0
      const res = runPoints('points-snap', [p], { cell })
      const want = snapOracle(p, cell)
      expectSamePoints(res.points, want, label)
      expect(extentOf(res.header)).toEqual(finiteExtent(want))
      expect(res.header.crs).toBe(crs)
    })
  }

  it('the default cell is 1000; each snapped point is the centre of the cell holding it', () => {
    const p = randomPoints(2000, 32, [-5e6, -5e6, 5e6, 5e6], 3857)
    const res = runPoints('points-snap', [p], {})
    // independent of the formula: |v − v'| <= cell / 2 and v' sits at an odd multiple of cell / 2
    const off: number[] = []
    let checked = 0
    for (let i = 0; i < p.x.length; i++) {
      for (const [v, snapped] of [[p.x[i], res.points.x[i]], [p.y[i], res.points.y[i]]]) {
        if (!Number.isFinite(v)) continue
        checked++
        if (!(Math.abs(v - snapped) <= 500 && Math.abs(snapped / 500) % 2 === 1)) off.push(i)
      }
    }
    expect(checked).toBeGreaterThan(3800)
    expect(off).toEqual([])
  })

  it('empty, all non-finite, and single-point regions', () => {
    const empty = runPoints('points-snap', [pointArrays(0)], {})
    expect(empty.header.count).toBe(0)
    const bad = pointArrays(3)
    bad.x.set([NaN, Infinity, 1]); bad.y.set([1, 1, -Infinity])
    const res = runPoints('points-snap', [bad], { cell: 2 })
    expectSamePoints(res.points, snapOracle(bad, 2), 'non-finite')
    expect(extentOf(res.header).every(Number.isNaN)).toBe(true)
    const one = pointArrays(1)
    one.x[0] = 2.5; one.y[0] = -2.5
    const single = runPoints('points-snap', [one], { cell: 2 })
    expect([single.points.x[0], single.points.y[0]]).toEqual([3, -3])
    expect(extentOf(single.header)).toEqual([3, -3, 3, -3])
  })

  commonErrors('points-snap')
  it('refuses a zero cell (the manifest already refuses negative ones)', () => {
    withInvocation((inv) => {
      const d = writePoints(inv.mem, randomPoints(10, 33))
      expectFailure(() => rt.run(inv, 'points-snap', [d], { cell: 0 }), 'E_FAASLET_BAD_PARAM', /cell/)
      expectFailure(() => rt.run(inv, 'points-snap', [d], { cell: -1 }), 'E_BAD_PARAM')
    })
  })
})

// ─── points-bin ──────────────────────────────────────────────────────────────────────────────────────

/** The documented binning, straight: f64 sums, then f32 (Float32Array stores round like Math.fround). */
function binOracle(p: PointArrays, width: number, height: number, [w, s, e, n]: Box, sum: 'count' | 'weight'): Float32Array {
  const acc = new Float64Array(width * height)
  const sx = width / (e - w), sy = height / (n - s)
  for (let i = 0; i < p.x.length; i++) {
    const x = p.x[i], y = p.y[i]
    if (!(x >= w && x <= e && y >= s && y <= n)) continue
    const col = Math.min(width - 1, Math.floor((x - w) * sx))
    const row = Math.min(height - 1, Math.floor((n - y) * sy))
    acc[row * width + col] += sum === 'weight' ? p.weight[i] : 1
  }
  return Float32Array.from(acc, Math.fround)
}

function runBin(p: PointArrays, params: RawParams): { header: RegionHeader; values: Float32Array } {
  return withInvocation((inv) => {
    const [out] = rt.run(inv, 'points-bin', [writePoints(inv.mem, p)], params)
    return readGrid(out)
  })
}

describe('points-bin', () => {
  const cases: Array<[string, number, number, Box, 'count' | 'weight']> = [
    ['256×256 weight sums over the world (defaults)', 256, 256, [-180, -85, 180, 85], 'weight'],
    ['37×23 counts over an odd box', 37, 23, [-10.3, 5.7, 20.9, 33.1], 'count'],
    ['1×1 weight sums', 1, 1, [-1, -1, 1, 1], 'weight'],
    ['500×3 counts in metres', 500, 3, [-2e6, -1e6, 3e6, 1e6], 'count'],
  ]
  cases.forEach(([label, width, height, bbox, sum], k) => {
    it(label, () => {
      const p = withEdges(randomPoints(N, 41 + k, bbox), bbox)
      const params: RawParams = k === 0 ? {} : { width, height, bbox, sum }
      const { header, values } = runBin(p, params)
      expectSameArray(values, binOracle(p, width, height, bbox, sum), label)
      expect([header.kind, header.width, header.height, header.count, header.stride, header.crs, header.tileZ])
        .toEqual([L.KIND_GRID, width, height, width * height, 4, 4326, -1])
      expect(extentOf(header)).toEqual(bbox)
      if (sum === 'count') {
        // independent of the cell formula: every point inside the closed box is counted once
        const inside = p.x.filter((x, i) => x >= bbox[0] && x <= bbox[2] && p.y[i] >= bbox[1] && p.y[i] <= bbox[3]).length
        expect(values.reduce((a, v) => a + v, 0)).toBe(inside)
      }
    })
  })

  it('max-edge points go into the last column and row; min-edge points into the first', () => {
    const p = pointArrays(4)
    p.x.set([10, 0, 10, 0]); p.y.set([0, 5, 5, 0]); p.weight.set([1, 2, 4, 8])
    const { values } = runBin(p, { width: 4, height: 3, bbox: [0, 0, 10, 5], sum: 'weight' })
    const want = new Float32Array(12)
    want[2 * 4 + 3] = 1 // (e, s): bottom-right
    want[0] = 2 // (w, n): top-left
    want[3] = 4 // (e, n): top-right
    want[2 * 4] = 8 // (w, s): bottom-left
    expectSameArray(values, want, 'corners')
  })

  it('negative weights, NaN weights, and points outside', () => {
    const p = pointArrays(5)
    p.x.set([1, 1, 1, 99, NaN]); p.y.set([1, 1, 4, 1, 1]); p.weight.set([-2.5, 1, NaN, 7, 7])
    const { values } = runBin(p, { width: 2, height: 2, bbox: [0, 0, 10, 5], sum: 'weight' })
    expectSameArray(values, [NaN, 0, -1.5, 0], 'cells')
  })

  it('empty input gives a zero grid', () => {
    const { values, header } = runBin(pointArrays(0), { width: 3, height: 2 })
    expectSameArray(values, new Float32Array(6), 'zeros')
    expect(header.count).toBe(6)
  })

  commonErrors('points-bin')
  it('refuses an empty or antimeridian-crossing bbox', () => {
    withInvocation((inv) => {
      const d = writePoints(inv.mem, randomPoints(10, 45))
      expectFailure(() => rt.run(inv, 'points-bin', [d], { bbox: [5, 0, 5, 1] }), 'E_FAASLET_BAD_PARAM', /west/)
      expectFailure(() => rt.run(inv, 'points-bin', [d], { bbox: [170, 0, -170, 1] }), 'E_FAASLET_BAD_PARAM', /antimeridian/)
      expectFailure(() => rt.run(inv, 'points-bin', [d], { bbox: [0, 1, 5, 1] }), 'E_FAASLET_BAD_PARAM', /south/)
    })
  })
})

// ─── points-merge ────────────────────────────────────────────────────────────────────────────────────

/** Union of the input headers' extents, skipping empty inputs; an input with a NaN extent counts its finite points. */
function unionOracle(headers: RegionHeader[], ps: PointArrays[]): Box {
  let x0 = Infinity, y0 = Infinity, x1 = -Infinity, y1 = -Infinity
  headers.forEach((h, i) => {
    if (h.count === 0) return
    let e = extentOf(h)
    if (!(e[0] <= e[2] && e[1] <= e[3])) e = finiteExtent(ps[i])
    if (!(e[0] <= e[2])) return
    x0 = Math.min(x0, e[0]); y0 = Math.min(y0, e[1]); x1 = Math.max(x1, e[2]); y1 = Math.max(y1, e[3])
  })
  return x0 <= x1 ? [x0, y0, x1, y1] : [NaN, NaN, NaN, NaN]
}

function runMerge(ps: PointArrays[], prepare?: (ds: Descriptor[]) => void): PointsResult & { inputs: RegionHeader[] } {
  let inputs: RegionHeader[] = []
  const res = runPoints('points-merge', ps, {}, (ds) => {
    prepare?.(ds)
    inputs = ds.map((d) => readHeader(rt.arena.view(), d.ptr))
  })
  return { ...res, inputs }
}

describe('points-merge', () => {
  it('concatenates three inputs and an empty one, in order; extent = union', () => {
    const ps = [randomPoints(5000, 51), pointArrays(0), randomPoints(1, 52, [500, 500, 600, 600]), randomPoints(7000, 53, [-1, -1, 1, 1])]
    const res = runMerge(ps)
    expectSamePoints(res.points, concat(...ps), 'merge')
    expect(extentOf(res.header)).toEqual(unionOracle(res.inputs, ps))
  })

  it('one input, and eight inputs', () => {
    const one = [randomPoints(300, 54)]
    expectSamePoints(runMerge(one).points, one[0], 'one input')
    const eight = Array.from({ length: 8 }, (_, i) => randomPoints(100 * (i + 1), 60 + i, [i, i, i + 10, i + 10]))
    const res = runMerge(eight)
    expectSamePoints(res.points, concat(...eight), 'eight inputs')
    expect(extentOf(res.header)).toEqual(unionOracle(res.inputs, eight))
  })

  it('an input with an unknown (NaN) extent has its finite points measured', () => {
    const ps = [randomPoints(100, 70, [0, 0, 1, 1]), randomPoints(100, 71, [50, 50, 60, 60])]
    const res = runMerge(ps, ([, d]) => {
      for (const off of [L.HDR_MIN_X, L.HDR_MIN_Y, L.HDR_MAX_X, L.HDR_MAX_Y]) rt.arena.view().setFloat64(d.ptr + off, NaN, true)
    })
    const want = unionOracle(res.inputs, ps)
    expect(extentOf(res.header)).toEqual(want)
    expect(want[2]).toBeGreaterThan(50) // the second input's points did count
  })

  it('all inputs empty: an empty region with a NaN extent', () => {
    const res = runMerge([pointArrays(0), pointArrays(0)])
    expect(res.header.count).toBe(0)
    expect(extentOf(res.header).every(Number.isNaN)).toBe(true)
  })

  it('keeps a tile all inputs share, drops one they do not', () => {
    const ps = [randomPoints(10, 72), randomPoints(10, 73)]
    const same = runMerge(ps, (ds) => ds.forEach((d) => setTileOf(d, 4, 2, 3)))
    expect([same.header.tileZ, same.header.tileX, same.header.tileY]).toEqual([4, 2, 3])
    const differ = runMerge(ps, ([a, b]) => { setTileOf(a, 4, 2, 3); setTileOf(b, 4, 2, 4) })
    expect(differ.header.tileZ).toBe(-1)
  })

  it('refuses mixed crs (naming both), a wrong kind among the inputs, and no input', () => {
    withInvocation((inv) => {
      const a = writePoints(inv.mem, randomPoints(10, 74, undefined, 4326))
      const b = writePoints(inv.mem, randomPoints(10, 75, undefined, 3857))
      expectFailure(() => rt.run(inv, 'points-merge', [a, a, b], {}), 'E_FAASLET_UNSUPPORTED_CRS', /input 2 is in EPSG:3857 but input 0 is in EPSG:4326/)
      expectFailure(() => rt.run(inv, 'points-merge', [a, someGrid(inv)], {}), 'E_FAASLET_BAD_INPUT_KIND', /input 1/)
      expectFailure(() => rt.run(inv, 'points-merge', [], {}), 'E_FAASLET_BAD_INPUT_KIND', /got 0/)
    })
  })
})

// ─── grid-combine ────────────────────────────────────────────────────────────────────────────────────

type Op = 'sum' | 'difference' | 'max' | 'min' | 'mean' | 'blend'

/** Each op straight from its definition, in f64, stored to f32. */
function combineOracle(op: Op, gs: Float32Array[], a = 0.5, b = 0.5): Float32Array {
  const n = gs[0].length
  const out = new Float32Array(n)
  for (let i = 0; i < n; i++) {
    const v = gs.map((g) => g[i])
    let r: number
    switch (op) {
      case 'sum': r = v.reduce((s, x) => s + x); break
      case 'difference': r = v[0] - v.slice(1).reduce((s, x) => s + x); break
      case 'max': r = Math.max(...v); break
      case 'min': r = Math.min(...v); break
      case 'mean': r = v.reduce((s, x) => s + x) / v.length; break
      case 'blend': r = a * v[0] + b * v[1]; break
    }
    out[i] = Math.fround(r)
  }
  return out
}

/** width × height f32 values: mostly in [−1000, 1000) with a spread of magnitudes, a few NaN, ±0. */
function randomValues(width: number, height: number, seed: number): Float32Array {
  const r = rng(seed)
  const v = new Float32Array(width * height)
  for (let i = 0; i < v.length; i++) {
    const u = r()
    v[i] = u < 0.005 ? NaN : u < 0.01 ? -0 : u < 0.015 ? 0 : (r() - 0.5) * 2000 * 10 ** Math.floor(r() * 6 - 3)
  }
  return v
}

function runCombine(grids: Grid[], params: RawParams): { header: RegionHeader; values: Float32Array } {
  return withInvocation((inv) => {
    const ds = grids.map((g) => writeGrid(inv, g))
    const [out] = rt.run(inv, 'grid-combine', ds, params)
    return readGrid(out)
  })
}

describe('grid-combine', () => {
  const W = 33, H = 21 // an odd cell count: the last cell is done alone
  const grids = (k: number, seed: number): Grid[] =>
    Array.from({ length: k }, (_, i) => ({ width: W, height: H, values: randomValues(W, H, seed + i), crs: 3857, tile: { z: 7, x: 3 + i, y: 9 }, extent: [i, 2, 3, 4] as Box }))

  for (const op of ['sum', 'difference', 'max', 'min', 'mean'] as Op[]) {
    for (const k of [2, 3, 8]) {
      it(`${op} of ${k} grids`, () => {
        const gs = grids(k, 100 + k)
        const { header, values } = runCombine(gs, { op })
        expectSameArray(values, combineOracle(op, gs.map((g) => g.values)), `${op} of ${k}`)
        // width, height, crs, tile and extent come from the first grid
        expect([header.kind, header.width, header.height, header.count, header.crs, header.tileZ, header.tileX, header.tileY])
          .toEqual([L.KIND_GRID, W, H, W * H, 3857, 7, 3, 9])
        expect(extentOf(header)).toEqual([0, 2, 3, 4])
      })
    }
  }

  it('blend a·g0 + b·g1, and the 0.5/0.5 default', () => {
    const gs = grids(2, 120)
    const vs = gs.map((g) => g.values)
    expectSameArray(runCombine(gs, { op: 'blend', a: 0.3, b: -1.7 }).values, combineOracle('blend', vs, 0.3, -1.7), 'blend 0.3, -1.7')
    expectSameArray(runCombine(gs, { op: 'blend' }).values, combineOracle('blend', vs), 'blend default')
  })

  it('sum is the default op; a 1×1 and a large even grid', () => {
    const tiny: Grid[] = [{ width: 1, height: 1, values: new Float32Array([1.5]), crs: 4326 }, { width: 1, height: 1, values: new Float32Array([-4]), crs: 4326 }]
    expectSameArray(runCombine(tiny, {}).values, [-2.5], '1×1')
    const big: Grid[] = [0, 1, 2].map((i) => ({ width: 256, height: 256, values: randomValues(256, 256, 130 + i), crs: 3857 }))
    expectSameArray(runCombine(big, { op: 'mean' }).values, combineOracle('mean', big.map((g) => g.values)), '256×256 mean')
  })

  it('f32 rounding happens once, after the f64 sum', () => {
    // 1 + 2^-24 + 2^-24 rounds to 1 per f32 addition but to 1 + 2^-23 from the f64 sum
    const g = (v: number): Grid => ({ width: 1, height: 1, values: new Float32Array([v]), crs: 0 })
    expectSameArray(runCombine([g(1), g(2 ** -24), g(2 ** -24)], { op: 'sum' }).values, [1 + 2 ** -23], 'sum')
  })

  it('sum adds left to right; difference subtracts the sum of the rest', () => {
    const g = (v: number): Grid => ({ width: 1, height: 1, values: new Float32Array([v]), crs: 0 })
    // (2^60 + 1) − 2^60 loses the 1; 1 − (2^60 − 2^60) keeps it; (1 − 2^60) + 2^60 would not
    expectSameArray(runCombine([g(2 ** 60), g(1), g(-(2 ** 60))], { op: 'sum' }).values, [0], 'sum')
    expectSameArray(runCombine([g(1), g(2 ** 60), g(-(2 ** 60))], { op: 'difference' }).values, [1], 'difference')
  })

  it('refuses one grid, grids of different sizes, blend of three, and a points input', () => {
    withInvocation((inv) => {
      const a = writeGrid(inv, { width: 4, height: 4, values: new Float32Array(16), crs: 3857 })
      const b = writeGrid(inv, { width: 8, height: 2, values: new Float32Array(16), crs: 3857 })
      const p = writePoints(inv.mem, randomPoints(10, 140))
      expectFailure(() => rt.run(inv, 'grid-combine', [a], {}), 'E_FAASLET_BAD_INPUT_KIND', /2 to 8 grids, got 1/)
      expectFailure(() => rt.run(inv, 'grid-combine', [a, a, b], {}), 'E_FAASLET_MALFORMED_INPUT', /input 2 is 8×2 cells but input 0 is 4×4/)
      expectFailure(() => rt.run(inv, 'grid-combine', [a, a, a], { op: 'blend' }), 'E_FAASLET_BAD_INPUT_KIND', /exactly two/)
      expectFailure(() => rt.run(inv, 'grid-combine', [a, p], {}), 'E_FAASLET_BAD_INPUT_KIND', /kind 2/)
      // a grid whose cell count disagrees with width × height
      rt.arena.view().setUint32(b.ptr + L.HDR_WIDTH, 3, true)
      expectFailure(() => rt.run(inv, 'grid-combine', [b, b], {}), 'E_FAASLET_MALFORMED_INPUT', /16 cells for a 3×2 grid/)
    })
  })
})

// ─── a chain of light stages ─────────────────────────────────────────────────────────────────────────

describe('filter → scale → snap → bin in one invocation', () => {
  it('hands regions on by descriptor and matches the composed oracles', () => {
    const bbox: Box = [-2e6, -1e6, 2e6, 3e6]
    const p = randomPoints(N, 150, bbox, 3857)
    const grid = withInvocation((inv) => {
      const [filtered] = rt.run(inv, 'points-filter', [writePoints(inv.mem, p)], { bbox, minWeight: -4 })
      const [scaled] = rt.run(inv, 'points-scale', [filtered], { a: 2, b: 1, lo: 0 })
      const [snapped] = rt.run(inv, 'points-snap', [scaled], { cell: 5000 })
      const [binned] = rt.run(inv, 'points-bin', [snapped], { width: 64, height: 64, bbox, sum: 'weight' })
      return readGrid(binned).values
    })
    const kept = pick(p, filterOracle(p, bbox, -4))
    const want = binOracle(snapOracle(scaleOracle(kept, 2, 1, 0, 1e308), 5000), 64, 64, bbox, 'weight')
    expectSameArray(grid, want, 'chain')
  })
})
