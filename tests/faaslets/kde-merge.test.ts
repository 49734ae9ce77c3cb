// Heatmaps merge by addition: a point set split into 2, 3 and 5 disjoint parts, a heatmap of each part with
// cells = f64 on the same tile, summed by grid-combine (op sum), equals the heatmap of the whole set cell
// by cell to 1e-9 relative (measured: ~1e-15, the order of the additions) and is exactly 0 where it is;
// the same for grid-mosaics of 2×2 tiles (each part's mosaic, summed, against the whole set's mosaic, which
// is its tiles placed side by side bit for bit). Every plan runs through the Dataplane in shared mode, the
// parts' heatmaps on two workers, the sum reading their grids in place. The points: samples/cities.csv
// (3,000 cities worldwide, weight = population in thousands) and 20,000 seeded points over Europe with
// weights over four decades; both kernels. With f32 cells the same sums miss by ~1e-7: the f64 cells are
// what makes them exact.
import { readFileSync } from 'node:fs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Dataplane } from '../../dataplane/dataplane.js'
import type { Plan, PlanRef, PlanStep } from '../../dataplane/plan.js'
import { parseParams, type RawParams } from '../../faaslets/abi/manifest.js'
import { pointArrays, writePoints, type PointArrays } from '../../faaslets/codecs/points.js'
import { readGrid } from '../../faaslets/codecs/grid.js'
import type { TileId } from '../helpers/oracle.js'
import { mulberry32 as rng } from '../helpers/random.js'

const TILE: TileId = { z: 4, x: 8, y: 5 } // central Europe
/** its four children, rows from the top */
const CHILDREN: TileId[] = [[0, 0], [1, 0], [0, 1], [1, 1]].map(([dx, dy]) => ({ z: TILE.z + 1, x: 2 * TILE.x + dx, y: 2 * TILE.y + dy }))

const POINTS: PointArrays = (() => {
  const rows = readFileSync('samples/cities.csv', 'utf8').trim().split('\n').slice(1).map((l) => l.split(',').map(Number))
  const r = rng(23)
  const p = pointArrays(rows.length + 20_000, 4326)
  rows.forEach(([lon, lat, w], i) => { p.x[i] = lon; p.y[i] = lat; p.weight[i] = w })
  for (let i = rows.length; i < p.x.length; i++) {
    p.x[i] = -5 + 40 * r()
    p.y[i] = 36 + 26 * r()
    p.weight[i] = 10 ** (4 * r() - 2)
  }
  p.id.forEach((_, i) => { p.id[i] = i })
  return p
})()

/** The points of `p` whose part is k. */
function part(p: PointArrays, parts: Int32Array, k: number): PointArrays {
  const keep = Array.from(parts.keys()).filter((i) => parts[i] === k)
  const out = pointArrays(keep.length, 4326)
  keep.forEach((i, j) => { out.x[j] = p.x[i]; out.y[j] = p.y[i]; out.weight[j] = p.weight[i]; out.id[j] = p.id[i] })
  return out
}

let dp: Dataplane
beforeAll(async () => {
  dp = await Dataplane.start({ workers: 2 })
})
afterAll(async () => {
  await dp?.close()
})

const slots = (faaslet: string, raw: RawParams) => Array.from(parseParams(dp.catalog.manifest(faaslet), raw))
const out = (step: number): PlanRef => ({ step, output: 0 })

/** Runs `plan` on the point sets (its chain inputs, in order) and reads its outputs' grids out. */
async function run(plan: Plan, sets: PointArrays[]): Promise<Array<ReturnType<typeof readGrid>>> {
  const res = await dp.invoke('kde-merge', plan, (mem) => sets.map((s) => writePoints(mem, s)))
  try {
    expect(res.copied.betweenStages).toBe(0)
    return res.outputs.map((d) => readGrid(res.bytes(), d))
  } finally {
    res.release()
  }
}

/** The largest |a − b| / |b| over cells where b ≠ 0, how many cells are 0 in b but not in a, and b's non-zero cells. */
function difference(a: ArrayLike<number>, b: ArrayLike<number>): { rel: number; zeros: number; nonzero: number } {
  let rel = 0, zeros = 0, nonzero = 0
  for (let i = 0; i < b.length; i++) {
    if (b[i] !== 0) { nonzero++; rel = Math.max(rel, Math.abs(a[i] - b[i]) / Math.abs(b[i])) } else if (a[i] !== 0) zeros++
  }
  return { rel, zeros, nonzero }
}

const KERNELS: Array<[string, number]> = [['quartic', 16], ['gaussian', 6]]

describe('f64 heatmaps of disjoint parts, summed by grid-combine, are the heatmap of the union', () => {
  for (const [kernel, radius] of KERNELS) {
    for (const k of [2, 3, 5]) {
      it(`${kernel} r = ${radius}, ${k} parts`, async () => {
        const r = rng(100 + k)
        const parts = Int32Array.from(POINTS.x, () => Math.floor(r() * k))
        const sets = [...Array.from({ length: k }, (_, j) => part(POINTS, parts, j)), POINTS]
        const heat = slots('heatmap', { ...TILE, radius, kernel, cells: 'f64' })
        // steps 0..k: a heatmap of each set (the union last), then the sum of the parts'
        const steps: PlanStep[] = sets.map((_, i) => ({ id: `heat${i}`, faaslet: 'heatmap', params: heat, inputs: [{ input: i }] }))
        steps.push({ id: 'sum', faaslet: 'grid-combine', params: slots('grid-combine', { op: 'sum' }), inputs: Array.from({ length: k }, (_, i) => out(i)) })
        const [sum, union] = await run({ name: `merge-${k}`, inputCount: k + 1, steps, outputs: [out(k + 1), out(k)] }, sets)
        expect(sum.values).toBeInstanceOf(Float64Array)
        expect(union.values).toBeInstanceOf(Float64Array)
        const d = difference(sum.values, union.values)
        expect(d.nonzero).toBeGreaterThan(256 * 256 / 2)
        expect(d.zeros).toBe(0)
        expect(d.rel).toBeLessThanOrEqual(1e-9)
        console.log(`merge ${kernel} r=${radius}, ${k} parts: max relative difference ${d.rel.toExponential(2)} over ${d.nonzero} cells`)
      })
    }
  }

  it('with f32 cells the same sum misses by f32 rounding: the f64 cells are what makes it exact', async () => {
    const r = rng(7)
    const parts = Int32Array.from(POINTS.x, () => Math.floor(r() * 3))
    const sets = [0, 1, 2].map((j) => part(POINTS, parts, j)).concat([POINTS])
    const heat = slots('heatmap', { ...TILE })
    const steps: PlanStep[] = sets.map((_, i) => ({ id: `heat${i}`, faaslet: 'heatmap', params: heat, inputs: [{ input: i }] }))
    steps.push({ id: 'sum', faaslet: 'grid-combine', params: slots('grid-combine', { op: 'sum' }), inputs: [out(0), out(1), out(2)] })
    const [sum, union] = await run({ name: 'merge-f32', inputCount: 4, steps, outputs: [out(4), out(3)] }, sets)
    expect(sum.values).toBeInstanceOf(Float32Array)
    const d = difference(sum.values, union.values)
    expect(d.rel).toBeGreaterThan(1e-8)
    console.log(`merge with f32 cells, 3 parts: max relative difference ${d.rel.toExponential(2)}`)
  })
})

describe('f64 grid-mosaics of the parts, summed, are the mosaic of the union', () => {
  for (const [kernel, radius] of KERNELS) {
    for (const k of [2, 3, 5]) {
      it(`${kernel} r = ${radius}, ${k} parts, 2×2 tiles of zoom ${TILE.z + 1}`, async () => {
        const r = rng(200 + k)
        const parts = Int32Array.from(POINTS.x, () => Math.floor(r() * k))
        const sets = [...Array.from({ length: k }, (_, j) => part(POINTS, parts, j)), POINTS]
        // per set: its 4 tiles, then their mosaic; then the sum of the parts' mosaics
        const steps: PlanStep[] = []
        const mosaics: number[] = []
        sets.forEach((_, i) => {
          const tiles = CHILDREN.map((t) => steps.push({ id: `heat${i}-${t.x}-${t.y}`, faaslet: 'heatmap', params: slots('heatmap', { ...t, radius, kernel, cells: 'f64' }), inputs: [{ input: i }] }) - 1)
          mosaics.push(steps.push({ id: `mosaic${i}`, faaslet: 'grid-mosaic', params: [], inputs: tiles.map(out) }) - 1)
        })
        const sumStep = steps.push({ id: 'sum', faaslet: 'grid-combine', params: slots('grid-combine', { op: 'sum' }), inputs: mosaics.slice(0, k).map(out) }) - 1
        const unionTiles = CHILDREN.map((_, t) => out(k * 5 + t))
        const [sum, union, ...tiles] = await run({ name: `mosaic-merge-${k}`, inputCount: k + 1, steps, outputs: [out(sumStep), out(mosaics[k]), ...unionTiles] }, sets)
        expect([union.width, union.height, union.values.constructor]).toEqual([512, 512, Float64Array])
        expect(sum.values).toBeInstanceOf(Float64Array)
        // the union's mosaic is its tiles side by side, bit for bit
        let placed = 0
        CHILDREN.forEach((t, n) => {
          const ox = (t.x - CHILDREN[0].x) * 256, oy = (t.y - CHILDREN[0].y) * 256
          for (let j = 0; j < 256; j++) for (let i = 0; i < 256; i++) if (Object.is(union.values[(oy + j) * 512 + ox + i], tiles[n].values[j * 256 + i])) placed++
        })
        expect(placed).toBe(512 * 512)
        const d = difference(sum.values, union.values)
        expect(d.nonzero).toBeGreaterThan(512 * 512 / 2)
        expect(d.zeros).toBe(0)
        expect(d.rel).toBeLessThanOrEqual(1e-9)
        console.log(`mosaic merge ${kernel} r=${radius}, ${k} parts: max relative difference ${d.rel.toExponential(2)} over ${d.nonzero} cells`)
      })
    }
  }
})
