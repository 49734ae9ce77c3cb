// reproject vs proj4 2.22: n lon/lat points to EPSG:3857, UTM 33N and LAEA Europe. The faaslet runs on a
// points region already in the arena (as in a chain; output region included, invocation released each
// run); proj4 runs the way a JS user calls it, `converter.forward([lon, lat])` per point in a loop over an
// array of [lon, lat] pairs. Same seeded points for both; both warmed; runs alternate between the two;
// medians.
//
//   npx tsx experiments/faaslets/reproject.bench.ts [sizes…]
import proj4 from 'proj4'
import { fileURLToPath } from 'node:url'
import { LocalRunner } from '../../dataplane/local-runner.js'
import { parseParams } from '../../faaslets/abi/manifest.js'
import { pointArrays, readPoints, writePoints } from '../../faaslets/codecs/points.js'
import { performance } from 'node:perf_hooks'
import { fmt, machineLine, rng, stats, type Stats } from '../lib/measure.js'
import type { BenchRow } from './types.js'

proj4.defs('EPSG:3035', '+proj=laea +lat_0=52 +lon_0=10 +x_0=4321000 +y_0=3210000 +ellps=GRS80 +units=m +no_defs')

const TARGETS: Array<{ to: string; lon: [number, number]; lat: [number, number] }> = [
  { to: 'EPSG:3857', lon: [-180, 180], lat: [-85, 85] },
  { to: 'EPSG:32633', lon: [11.5, 18.5], lat: [0, 84] },
  { to: 'EPSG:3035', lon: [-30, 50], lat: [25, 75] },
]

export async function bench(sizes: number[]): Promise<BenchRow[]> {
  const rt = LocalRunner.create({ tenant: 'bench-reproject' })
  const manifest = rt.modules.manifest('reproject')
  const rows: BenchRow[] = []
  for (const target of TARGETS) {
    const slots = parseParams(manifest, { to: target.to }) // parsed once, as a chain does at load
    const converter = proj4('EPSG:4326', target.to)
    for (const n of sizes) {
      const r = rng(n)
      const p = pointArrays(n, 4326)
      const pairs: number[][] = new Array(n)
      for (let i = 0; i < n; i++) {
        p.x[i] = target.lon[0] + r() * (target.lon[1] - target.lon[0])
        p.y[i] = target.lat[0] + r() * (target.lat[1] - target.lat[0])
        pairs[i] = [p.x[i], p.y[i]]
      }
      const held = rt.begin()
      const input = writePoints(held.mem, p)

      const runWasm = () => {
        const inv = rt.begin()
        rt.run(inv, 'reproject', [input], slots)
        rt.release(inv)
      }
      const runJs = () => {
        const out: number[][] = new Array(n)
        for (let i = 0; i < n; i++) out[i] = converter.forward(pairs[i])
        return out
      }
      checkSame(rt, input, slots, runJs(), target.to)

      const { a: wasm, b: js } = interleaved(runWasm, runJs, 5, n >= 100_000 ? 15 : 41)
      rt.release(held)
      rows.push({ faaslet: 'reproject', size: n, wasm, js, jsLibrary: 'proj4@2.22.0', note: `EPSG:4326 -> ${target.to}` })
    }
  }
  return rows
}

/**
 * Times a and b alternately (after warm-up), so that on a shared, noisy machine both see the same load;
 * returns the statistics of each in ms.
 */
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

/** The two sides must compute the same thing before their times mean anything. */
function checkSame(rt: LocalRunner, input: { ptr: number; len: number }, slots: Float64Array, js: number[][], to: string): void {
  const inv = rt.begin()
  const [out] = rt.run(inv, 'reproject', [input], slots)
  const q = readPoints(rt.arena.bytes(), out)
  rt.release(inv)
  for (let i = 0; i < js.length; i++) {
    const d = Math.max(Math.abs(q.x[i] - js[i][0]), Math.abs(q.y[i] - js[i][1]))
    if (!(d <= 1e-6)) throw new Error(`${to}: point ${i} differs from proj4 by ${d} m`)
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const sizes = process.argv.slice(2).map(Number)
  const rows = await bench(sizes.length ? sizes : [1000, 10000, 100000])
  console.log(machineLine())
  console.log('target         size     wasm median   proj4 median   proj4/wasm')
  for (const row of rows) {
    console.log(`${row.note!.slice(13).padEnd(12)} ${String(row.size).padStart(7)}   ${fmt(row.wasm.median).padStart(11)}   ${fmt(row.js.median).padStart(12)}   ${(row.js.median / row.wasm.median).toFixed(2).padStart(9)}x`)
  }
}
