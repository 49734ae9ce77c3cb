// A dropped file through the seed chains, in this browser: a vector tile (.mvt/.pbf, gzipped or not)
// through tile-heatmap once; points (GeoJSON, CSV, NDJSON, a points .region) into the arena, for points-heatmap tiles and
// points-clusters as the map asks. Parsing is the host's chain boundary (faaslets/codecs/boundary.ts).
import { readHeader } from '../../../faaslets/abi/region.js'
import { inputFormatFromPath, prepareInput, writePrepared } from '../../../faaslets/codecs/boundary.js'
import { clustersToGeoJSON, readClusters } from '../../../faaslets/codecs/clusters.js'
import { readImage, type Image } from '../../../faaslets/codecs/grid.js'
import { parseTileAddress, type TileAddress } from '../../../faaslets/codecs/mvt.js'
import type { HeldRegions } from '../runtime/browser-dataplane.js'
import type { BrowserChains } from '../runtime/chains.js'
import type { BBox } from '../runtime/clusters.js'

export type FileInput =
  | { kind: 'tile'; name: string; tile: TileAddress; image: Image; clusters: GeoJSON.FeatureCollection; pointCount: number; computeMs: number; totalMs: number }
  | { kind: 'points'; name: string; points: HeldRegions; count: number; bbox: BBox | null }

export async function loadFile(chains: BrowserChains, file: File, askTile: () => TileAddress | null): Promise<FileInput> {
  const format = inputFormatFromPath(file.name)
  const bytes = new Uint8Array(await file.arrayBuffer())
  if (format === 'mvt') {
    const tile = parseTileAddress(file.name) ?? askTile()
    if (!tile) throw new Error(`${file.name}: which tile is it? Name the file z-x-y.mvt`)
    const input = await prepareInput(bytes, 'mvt', 'mvt', { tile })
    const t0 = performance.now()
    const run = await chains.run('tile-heatmap', { ...tile }, (mem) => [writePrepared(mem, input)])
    try {
      const clusters = readClusters(run.bytes(), run.output('clusters'))
      let pointCount = 0
      for (let i = 0; i < clusters.count.length; i++) pointCount += clusters.count[i]
      return {
        kind: 'tile', name: file.name, tile, image: readImage(run.bytes(), run.output('heatmap')),
        clusters: clustersToGeoJSON(clusters) as GeoJSON.FeatureCollection, pointCount,
        computeMs: run.computeMs, totalMs: performance.now() - t0,
      }
    } finally {
      run.release()
    }
  }
  const input = await prepareInput(bytes, format, 'points')
  const points = chains.dataplane.hold((mem) => [writePrepared(mem, input)])
  // count and extent from the region header: the same for GeoJSON, CSV, NDJSON and .region files
  const h = readHeader(chains.dataplane.arena.view(), points.descriptors[0].ptr)
  const bbox: BBox | null = h.count && h.crs === 4326 && [h.minX, h.minY, h.maxX, h.maxY].every(Number.isFinite) ? [h.minX, h.minY, h.maxX, h.maxY] : null
  return { kind: 'points', name: file.name, points, count: h.count, bbox }
}

/** The lon/lat bounds of tile z/x/y (Web Mercator). */
export function tileBounds({ z, x, y }: TileAddress): [[number, number], [number, number]] {
  const n = 2 ** z
  const lon = (i: number) => (i / n) * 360 - 180
  const lat = (j: number) => (Math.atan(Math.sinh(Math.PI * (1 - (2 * j) / n))) * 180) / Math.PI
  return [[lat(y + 1), lon(x)], [lat(y), lon(x + 1)]]
}
