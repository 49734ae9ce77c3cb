// Encoder 1: geojson-vt 5 (tiling, simplification, clipping with a 64-unit buffer) + vt-pbf 3, the
// JavaScript pipeline behind many tile servers. Layers are written as version 2.
import { createRequire } from 'node:module'
import GeoJSONVT from 'geojson-vt'
import { regionFeatures, regionTiles, type Region } from './regions.js'
import type { CorpusTile } from './corpus.js'

const vtpbf = createRequire(import.meta.url)('vt-pbf') as { fromGeojsonVt(layers: Record<string, unknown>, options: { version: number; extent: number }): Uint8Array }

export function encodeGeojsonVt(regions: Region[]): CorpusTile[] {
  const tiles: CorpusTile[] = []
  for (const r of regions) {
    const index = new GeoJSONVT({ type: 'FeatureCollection', features: regionFeatures(r) } as never, { maxZoom: r.maxZoom, indexMaxZoom: r.maxZoom })
    for (const [z, x, y] of regionTiles(r)) {
      const tile = index.getTile(z, x, y)
      if (!tile || tile.features.length === 0) continue
      const bytes = vtpbf.fromGeojsonVt({ [r.name]: tile }, { version: 2, extent: 4096 })
      tiles.push({ encoder: 'geojson-vt', region: r.name, z, x, y, bytes: new Uint8Array(bytes) })
    }
  }
  return tiles
}
