// The light faaslets (points-filter, -scale, -snap, -bin, -merge, grid-combine) vs the same loop in plain
// JS over typed arrays. The faaslet runs on input regions already in the arena (as in a chain; invocation
// begun, output region made and checked by the host, invocation released, every run); the JS loop runs on
// the arrays a JS user would hold (x, y, weight, id Float64Arrays; Float32Array grids) and makes fresh
// output arrays. Same seeded data; each side's result checked against the other first; both warmed; runs
// alternate between the two; medians. Small sizes time a batch of calls per sample (per-call ms reported).
//
//   npx tsx experiments/faaslets/light.bench.ts [sizes…]
import { fileURLToPath } from 'node:url'
import { performance } from 'node:perf_hooks'
import { LocalRunner } from '../../dataplane/local-runner.js'
import { parseParams, type RawParams } from '../../faaslets/abi/manifest.js'
import { createRegion, readHeader, type Descriptor } from '../../faaslets/abi/region.js'
import * as L from '../../faaslets/abi/layout.js'
import { pointArrays, readPoints, writePoints, type PointArrays } from '../../faaslets/codecs/points.js'
import { fmt, machineLine, rng, stats, type Stats } from '../lib/measure.js'
import type { BenchRow } from './types.js'

type Box = [number, number, number, number]
const WORLD: Box = [-180, -85, 180, 85]
const FILTER_BOX: Box = [-60, -30, 90, 60]
const MERGE_PARTS = 4
const BIN_SIDE = 256
const GRID_WIDTH = 100

/** n points in the world box, weights in [0, 10). */
function sample(n: number, seed: number): PointArrays {
  const r = rng(seed)
  const p = pointArrays(n, 4326)
  for (let i = 0; i < n; i++) {
    p.x[i] = WORLD[0] + r() * (WORLD[2] - WORLD[0])
    p.y[i] = WORLD[1] + r() * (WORLD[3] - WORLD[1])
    p.weight[i] = 10 * r()
    p.id[i] = i
  }
  return p
}

// ─── the JS loops ────────────────────────────────────────────────────────────────────────────────────

interface JsPoints { x: Float64Array; y: Float64Array; weight: Float64Array; id: Float64Array; extent: Box }

function jsFilter(p: PointArrays, [w, s, e, n]: Box, lo: number, hi: number): JsPoints {
  const len = p.x.length
  const x = new Float64Array(len), y = new Float64Array(len), weight = new Float64Array(len), id = new Float64Array(len)
  let k = 0, x0 = Infinity, y0 = Infinity, x1 = -Infinity, y1 = -Infinity
  for (let i = 0; i < len; i++) {
    const px = p.x[i], py = p.y[i], pw = p.weight[i]
    if (px >= w && px <= e && py >= s && py <= n && pw >= lo && pw <= hi) {
      x[k] = px; y[k] = py; weight[k] = pw; id[k] = p.id[i]; k++
      if (px < x0) x0 = px
      if (px > x1) x1 = px
      if (py < y0) y0 = py
      if (py > y1) y1 = py
    }
  }
  return { x: x.subarray(0, k), y: y.subarray(0, k), weight: weight.subarray(0, k), id: id.subarray(0, k), extent: [x0, y0, x1, y1] }
}

function jsScale(p: PointArrays, a: number, b: number, lo: number, hi: number): JsPoints {
  const len = p.x.length
  const x = new Float64Array(len), y = new Float64Array(len), weight = new Float64Array(len), id = new Float64Array(len)
  for (let i = 0; i < len; i++) {
    x[i] = p.x[i]; y[i] = p.y[i]; id[i] = p.id[i]
    weight[i] = Math.min(Math.max(a * p.weight[i] + b, lo), hi)
  }
  return { x, y, weight, id, extent: [NaN, NaN, NaN, NaN] }
}

function jsSnap(p: PointArrays, cell: number): JsPoints {
  const len = p.x.length
  const x = new Float64Array(len), y = new Float64Array(len), weight = new Float64Array(len), id = new Float64Array(len)
  let x0 = Infinity, y0 = Infinity, x1 = -Infinity, y1 = -Infinity
  for (let i = 0; i < len; i++) {
    const sx = (Math.floor(p.x[i] / cell) + 0.5) * cell, sy = (Math.floor(p.y[i] / cell) + 0.5) * cell
    x[i] = sx; y[i] = sy; weight[i] = p.weight[i]; id[i] = p.id[i]
    if (sx - sx === 0 && sy - sy === 0) {
      if (sx < x0) x0 = sx
      if (sx > x1) x1 = sx
      if (sy < y0) y0 = sy
      if (sy > y1) y1 = sy
    }
  }
  return { x, y, weight, id, extent: [x0, y0, x1, y1] }
}

function jsBin(p: PointArrays, width: number, height: number, [w, s, e, n]: Box): Float32Array {
  const acc = new Float64Array(width * height)
  const sx = width / (e - w), sy = height / (n - s)
  for (let i = 0; i < p.x.length; i++) {
    const x = p.x[i], y = p.y[i]
    if (x >= w && x <= e && y >= s && y <= n) {
      const col = Math.min(width - 1, Math.floor((x - w) * sx))
      const row = Math.min(height - 1, Math.floor((n - y) * sy))
      acc[row * width + col] += p.weight[i]
    }
  }
  const out = new Float32Array(acc.length)
  for (let i = 0; i < acc.length; i++) out[i] = acc[i]
  return out
}

function jsMerge(parts: Array<PointArrays & { extent: Box }>): JsPoints {
  const len = parts.reduce((k, p) => k + p.x.length, 0)
  const x = new Float64Array(len), y = new Float64Array(len), weight = new Float64Array(len), id = new Float64Array(len)
  let at = 0, x0 = Infinity, y0 = Infinity, x1 = -Infinity, y1 = -Infinity
  for (const p of parts) {
    x.set(p.x, at); y.set(p.y, at); weight.set(p.weight, at); id.set(p.id, at)
    at += p.x.length
    x0 = Math.min(x0, p.extent[0]); y0 = Math.min(y0, p.extent[1]); x1 = Math.max(x1, p.extent[2]); y1 = Math.max(y1, p.extent[3])
  }
  return { x, y, weight, id, extent: [x0, y0, x1, y1] }
}

function jsCombineSum(a: Float32Array, b: Float32Array): Float32Array {
  const out = new Float32Array(a.length)
  for (let i = 0; i < a.length; i++) out[i] = a[i] + b[i]
  return out
}

// ─── harness ─────────────────────────────────────────────────────────────────────────────────────────

/**
 * Times a and b alternately, so that on a shared, noisy machine both see the same load; each sample is
 * `reps` calls; returns per-call statistics in ms. Warm-up runs for at least `warmupMs`: V8 tiers wasm up
 * to TurboFan in the background, and the first cases of a run would otherwise time Liftoff code.
 */
function interleaved(a: () => unknown, b: () => unknown, reps: number, warmupMs: number, runs: number): { a: Stats; b: Stats } {
  const until = performance.now() + warmupMs
  for (let i = 0; i < 10 || performance.now() < until; i++) { a(); b() }
  const ta: number[] = [], tb: number[] = []
  for (let i = 0; i < runs; i++) {
    let t0 = performance.now()
    for (let j = 0; j < reps; j++) a()
    ta.push((performance.now() - t0) / reps)
    t0 = performance.now()
    for (let j = 0; j < reps; j++) b()
    tb.push((performance.now() - t0) / reps)
  }
  return { a: stats(ta), b: stats(tb) }
}

function sameArrays(got: ArrayLike<number>, want: ArrayLike<number>, what: string): void {
  if (got.length !== want.length) throw new Error(`${what}: ${got.length} values, JS has ${want.length}`)
  for (let i = 0; i < got.length; i++) if (!Object.is(got[i], want[i])) throw new Error(`${what}: #${i} is ${got[i]}, JS has ${want[i]}`)
}

function samePoints(got: PointArrays, want: JsPoints, what: string): void {
  sameArrays(got.x, want.x, `${what} x`)
  sameArrays(got.y, want.y, `${what} y`)
  sameArrays(got.weight, want.weight, `${what} weight`)
  sameArrays(got.id, want.id, `${what} id`)
}

interface Case {
  faaslet: string
  note: string
  params: RawParams
  /** writes the inputs into the held invocation */
  inputs: (mem: import('../../faaslets/abi/region.js').RegionMemory) => Descriptor[]
  js: () => unknown
  /** compares the faaslet's output with the JS result */
  check: (out: Descriptor, js: unknown) => void
}

function cases(rt: LocalRunner, n: number): Case[] {
  const p = sample(n, n)
  const bytes = () => rt.arena.bytes()
  const grid = (d: Descriptor) => {
    const h = readHeader(rt.arena.view(), d.ptr)
    return new Float32Array(bytes().buffer, d.ptr + h.sections[0].offset, h.count)
  }
  const parts = Array.from({ length: MERGE_PARTS }, (_, k) => {
    const q = sample(Math.floor(n / MERGE_PARTS), n + k + 1)
    let x0 = Infinity, y0 = Infinity, x1 = -Infinity, y1 = -Infinity
    for (let i = 0; i < q.x.length; i++) {
      x0 = Math.min(x0, q.x[i]); x1 = Math.max(x1, q.x[i]); y0 = Math.min(y0, q.y[i]); y1 = Math.max(y1, q.y[i])
    }
    return { ...q, extent: [x0, y0, x1, y1] as Box }
  })
  const height = Math.ceil(n / GRID_WIDTH)
  const r = rng(n + 99)
  const g0 = Float32Array.from({ length: GRID_WIDTH * height }, () => r() * 100)
  const g1 = Float32Array.from({ length: GRID_WIDTH * height }, () => r() * 100)
  const writeGrid = (mem: import('../../faaslets/abi/region.js').RegionMemory, values: Float32Array): Descriptor => {
    const c = values.length
    const d = createRegion(mem, { kind: L.KIND_GRID, count: c, stride: 4, crs: 3857, width: GRID_WIDTH, height, sections: [{ bytes: c * 4, count: c }] })
    new Float32Array(mem.bytes().buffer, d.sectionPtrs[0], c).set(values)
    return { ptr: d.ptr, len: d.len }
  }
  const pointsOut = (what: string, withExtent: boolean) => (out: Descriptor, js: unknown) => {
    const want = js as JsPoints
    samePoints(readPoints(bytes(), out), want, what)
    const h = readHeader(rt.arena.view(), out.ptr)
    if (withExtent) sameArrays([h.minX, h.minY, h.maxX, h.maxY], want.extent, `${what} extent`)
  }
  return [
    {
      faaslet: 'points-filter', note: `bbox ${FILTER_BOX.join(',')}, weight in [1, 9] (~${Math.round((150 * 90 * 0.8 / (360 * 170)) * 100)} % kept)`,
      params: { bbox: FILTER_BOX, minWeight: 1, maxWeight: 9 },
      inputs: (mem) => [writePoints(mem, p)], js: () => jsFilter(p, FILTER_BOX, 1, 9), check: pointsOut('points-filter', true),
    },
    {
      faaslet: 'points-scale', note: 'a 2, b 1, clamp [0, 15]', params: { a: 2, b: 1, lo: 0, hi: 15 },
      inputs: (mem) => [writePoints(mem, p)], js: () => jsScale(p, 2, 1, 0, 15), check: pointsOut('points-scale', false),
    },
    {
      faaslet: 'points-snap', note: 'cell 0.5', params: { cell: 0.5 },
      inputs: (mem) => [writePoints(mem, p)], js: () => jsSnap(p, 0.5), check: pointsOut('points-snap', true),
    },
    {
      faaslet: 'points-bin', note: `${BIN_SIDE}x${BIN_SIDE} weight sums over the world`, params: { width: BIN_SIDE, height: BIN_SIDE, bbox: WORLD, sum: 'weight' },
      inputs: (mem) => [writePoints(mem, p)], js: () => jsBin(p, BIN_SIDE, BIN_SIDE, WORLD),
      check: (out, js) => sameArrays(grid(out), js as Float32Array, 'points-bin'),
    },
    {
      faaslet: 'points-merge', note: `${MERGE_PARTS} inputs of n/${MERGE_PARTS} points`, params: {},
      inputs: (mem) => parts.map((q) => writePoints(mem, q)), js: () => jsMerge(parts), check: pointsOut('points-merge', true),
    },
    {
      faaslet: 'grid-combine', note: `sum of two ${GRID_WIDTH}x${height} grids (size = cells)`, params: { op: 'sum' },
      inputs: (mem) => [writeGrid(mem, g0), writeGrid(mem, g1)], js: () => jsCombineSum(g0, g1),
      check: (out, js) => sameArrays(grid(out), js as Float32Array, 'grid-combine'),
    },
  ]
}

export async function bench(sizes: number[]): Promise<BenchRow[]> {
  const rt = LocalRunner.create({ tenant: 'bench-light' })
  const rows: BenchRow[] = []
  for (const n of sizes) {
    for (const c of cases(rt, n)) {
      const slots = parseParams(rt.modules.manifest(c.faaslet), c.params) // parsed once, as a chain does at load
      const held = rt.begin()
      const inputs = c.inputs(held.mem)
      const check = rt.begin()
      c.check(rt.run(check, c.faaslet, inputs, slots)[0], c.js())
      rt.release(check)
      const runWasm = () => {
        const inv = rt.begin()
        rt.run(inv, c.faaslet, inputs, slots)
        rt.release(inv)
      }
      const reps = Math.max(1, Math.round(50_000 / n))
      const { a: wasm, b: js } = interleaved(runWasm, c.js, reps, 300, n >= 100_000 ? 21 : 41)
      rt.release(held)
      rows.push({ faaslet: c.faaslet, size: n, wasm, js, jsLibrary: 'plain JS loop over typed arrays', note: c.note })
    }
  }
  return rows
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const sizes = process.argv.slice(2).map(Number)
  const rows = await bench(sizes.length ? sizes : [1000, 10000, 100000])
  console.log(machineLine())
  console.log('faaslet          size     wasm median   JS median   JS/wasm')
  for (const row of rows) {
    console.log(`${row.faaslet.padEnd(14)} ${String(row.size).padStart(7)}   ${fmt(row.wasm.median).padStart(11)}   ${fmt(row.js.median).padStart(9)}   ${(row.js.median / row.wasm.median).toFixed(2).padStart(6)}x`)
  }
}
