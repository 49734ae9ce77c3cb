// heatmap vs the straightforward JS kernel sum: n lon/lat points on one z6 tile over Germany (256×256
// cells), seeded uniform and clustered sets. The faaslet runs on a points region already in the arena
// (as in a chain; grid and image outputs included, invocation released each run); the JS side loops
// the points, projects each, loops the cells of the bounding square of its disc and accumulates into a
// Float64Array (no image). Same points for both; both warmed; runs alternate between the two; medians.
// Quartic r = 16 is the headline (goal: ≥ 20× at 100k); gaussian r = 16 (reach 3r) too.
//
//   npx tsx experiments/faaslets/heatmap.bench.ts [sizes…]
import { fileURLToPath } from 'node:url'
import { performance } from 'node:perf_hooks'
import { LocalRunner } from '../../dataplane/local-runner.js'
import { parseParams } from '../../faaslets/abi/manifest.js'
import { pointArrays, writePoints, type PointArrays } from '../../faaslets/codecs/points.js'
import { readGrid } from '../../faaslets/codecs/grid.js'
import { fmt, machineLine, rng, stats, type Stats } from '../lib/measure.js'
import type { BenchRow } from './types.js'

const TILE = { z: 6, x: 33, y: 22 }
const SIZE = 256
const RADIUS = 16
type Kernel = 'quartic' | 'gaussian'

/** lon/lat of pixel (px, py) of TILE. */
function lonLat(px: number, py: number): [number, number] {
  const n = 2 ** TILE.z
  const X = (TILE.x + px / SIZE) / n, Y = (TILE.y + py / SIZE) / n
  return [(X - 0.5) * 360, (Math.atan(Math.sinh(Math.PI * (1 - 2 * Y))) * 180) / Math.PI]
}

/** Uniform over the tile, or 20 Gaussian blobs (σ = 12 px) inside it; weights in [0.5, 2). */
function dataset(kind: 'uniform' | 'clustered', n: number): PointArrays {
  const r = rng(n + (kind === 'uniform' ? 1 : 2))
  const p = pointArrays(n, 4326)
  const centres = Array.from({ length: 20 }, () => [20 + r() * (SIZE - 40), 20 + r() * (SIZE - 40)])
  for (let i = 0; i < n; i++) {
    let px: number, py: number
    if (kind === 'uniform') {
      px = r() * SIZE
      py = r() * SIZE
    } else {
      const [cx, cy] = centres[i % centres.length]
      const a = 2 * Math.PI * r(), d = 12 * Math.sqrt(-2 * Math.log(1 - r()))
      px = cx + d * Math.cos(a)
      py = cy + d * Math.sin(a)
    }
    ;[p.x[i], p.y[i]] = lonLat(px, py)
    p.weight[i] = 0.5 + 1.5 * r()
  }
  return p
}

/** The straightforward kernel sum: every point, every cell of its disc's bounding square. */
function jsHeatmap(p: PointArrays, kernel: Kernel): Float64Array {
  const grid = new Float64Array(SIZE * SIZE)
  const reach = kernel === 'quartic' ? RADIUS : 3 * RADIUS
  const rr = reach * reach, r2 = RADIUS * RADIUS
  const n = 2 ** TILE.z
  for (let k = 0; k < p.x.length; k++) {
    const X = p.x[k] / 360 + 0.5
    const Y = 0.5 - Math.log(Math.tan(Math.PI / 4 + (p.y[k] * Math.PI) / 360)) / (2 * Math.PI)
    const px = (X * n - TILE.x) * SIZE, py = (Y * n - TILE.y) * SIZE, w = p.weight[k]
    const i0 = Math.max(0, Math.floor(px - reach)), i1 = Math.min(SIZE - 1, Math.ceil(px + reach))
    const j0 = Math.max(0, Math.floor(py - reach)), j1 = Math.min(SIZE - 1, Math.ceil(py + reach))
    for (let j = j0; j <= j1; j++) {
      const dy = j + 0.5 - py
      for (let i = i0; i <= i1; i++) {
        const dx = i + 0.5 - px
        const d2 = dx * dx + dy * dy
        if (d2 < rr) {
          if (kernel === 'quartic') {
            const q = 1 - d2 / r2
            grid[j * SIZE + i] += w * q * q
          } else {
            grid[j * SIZE + i] += w * Math.exp(-d2 / (2 * r2))
          }
        }
      }
    }
  }
  return grid
}

export async function bench(sizes: number[]): Promise<BenchRow[]> {
  const rt = LocalRunner.create({ tenant: 'bench-heatmap' })
  const manifest = rt.modules.manifest('heatmap')
  const rows: BenchRow[] = []
  for (const kernel of ['quartic', 'gaussian'] as Kernel[]) {
    const slots = parseParams(manifest, { ...TILE, size: SIZE, radius: RADIUS, kernel }) // parsed once, as a chain does
    for (const kind of ['uniform', 'clustered'] as const) {
      for (const n of sizes) {
        const p = dataset(kind, n)
        const held = rt.begin()
        const input = writePoints(held.mem, p)
        const runWasm = () => {
          const inv = rt.begin()
          rt.run(inv, 'heatmap', [input], slots)
          rt.release(inv)
        }
        const runJs = () => jsHeatmap(p, kernel)
        checkSame(rt, input, slots, runJs())
        const slow = kernel === 'gaussian' && n >= 100_000
        const { a: wasm, b: js } = interleaved(runWasm, runJs, slow ? 1 : 3, slow ? 3 : n >= 100_000 ? 7 : 15)
        rt.release(held)
        rows.push({
          faaslet: 'heatmap', size: n, wasm, js, jsLibrary: 'naive JS kernel sum (this file)',
          note: `${kernel} r=${RADIUS} ${kind} ${SIZE}x${SIZE}`,
        })
      }
    }
  }
  return rows
}

/** Times a and b alternately (after warm-up), so both see the same load on a shared machine. */
function interleaved(a: () => unknown, b: () => unknown, warmup: number, runs: number): { a: Stats; b: Stats } {
  for (let i = 0; i < warmup; i++) { a(); b() }
  const ta: number[] = [], tb: number[] = []
  for (let i = 0; i < runs; i++) {
    let t0 = performance.now()
    a()
    ta.push(performance.now() - t0)
    t0 = performance.now()
    b()
    tb.push(performance.now() - t0)
  }
  return { a: stats(ta), b: stats(tb) }
}

/** The two sides must compute the same grid before their times mean anything. */
function checkSame(rt: LocalRunner, input: { ptr: number; len: number }, slots: Float64Array, js: Float64Array): void {
  const inv = rt.begin()
  const [out] = rt.run(inv, 'heatmap', [input], slots)
  const grid = readGrid(rt.arena.bytes(), out)
  rt.release(inv)
  let max = 0
  for (const v of js) max = Math.max(max, Math.abs(v))
  for (let i = 0; i < js.length; i++) {
    const err = Math.abs(grid.values[i] - js[i])
    if (!(err <= 1e-6 * Math.abs(js[i]) + 1e-12 * max)) throw new Error(`cell ${i}: wasm ${grid.values[i]}, JS ${js[i]}`)
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const sizes = process.argv.slice(2).map(Number)
  const rows = await bench(sizes.length ? sizes : [1000, 10000, 100000])
  console.log(machineLine())
  console.log('case                               points   wasm median   JS median    JS/wasm')
  for (const row of rows) {
    console.log(`${row.note!.padEnd(34)} ${String(row.size).padStart(7)}   ${fmt(row.wasm.median).padStart(11)}   ${fmt(row.js.median).padStart(9)}   ${(row.js.median / row.wasm.median).toFixed(1).padStart(7)}x`)
  }
}
