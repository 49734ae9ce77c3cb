// A closed window → the WindowPartial an edge sends upstream. Counts, duplicates, sensors, value statistics and bbox
// come from the window (its result's windowStats); the density grid and the cluster summaries from the
// window-partial chain's outputs, raw regions read here — or, with the raw uplink, the window's points instead.
import type { RawParams } from '../../faaslets/abi/manifest.js'
import { readClusters } from '../../faaslets/codecs/clusters.js'
import { readGrid } from '../../faaslets/codecs/grid.js'
import { fail } from '../../errors/index.js'
import type { ClosedWindow } from '../ingest/windows.js'
import type { WindowResult } from '../ingest/window-result.js'
import { tileSetGrid, type ClusterSummaries, type PartialGrid, type RawPoints, type TileSet, type WindowPartial } from '../partials/partial.js'
import { DEFAULT_CLUSTER_ZOOM, type UplinkKind } from './defaults.js'

/** The chain an edge runs on every closed window (chains/window-partial.yaml). */
export const EDGE_CHAIN = 'window-partial'

/** The window-partial chain's parameters for a tile set. */
export function chainParams(t: TileSet, clusterZoom = DEFAULT_CLUSTER_ZOOM): RawParams {
  return { bbox: [...t.bbox], zoom: t.zoom, size: t.size, radius: t.radius, kernel: t.kernel, clusterZoom }
}

/** Names of sensor ids, for raw partials: the gateway's SensorIndex, where it has them. */
export type SensorName = (id: number) => string

export interface PartialContext {
  edge: string
  tileSet: TileSet
  kind: UplinkKind
  sensorName: SensorName
}

/** The partial of a closed window, from the result the window-partial chain gave for it. */
export function partialOf(ctx: PartialContext, result: WindowResult, w: ClosedWindow, late: number): WindowPartial {
  const regions = result.regions ?? {}
  const raw = ctx.kind === 'raw'
  return {
    edge: ctx.edge, part: w.partition, windowStart: w.start, windowEnd: w.end,
    count: w.points.count, duplicates: w.duplicates, late, sensors: result.sensors,
    value: { sum: result.value.sum, min: result.value.min, max: result.value.max }, bbox: result.bbox, tileSet: ctx.tileSet,
    grid: !raw && regions.grid ? gridOf(regions.grid, ctx.tileSet) : null,
    clusters: !raw && regions.clusters ? clustersOf(regions.clusters) : null,
    points: raw ? pointsOf(w, ctx.sensorName) : null,
    closedAt: w.closedAt, sealedAt: Date.now(),
  }
}

/** The mosaic region: the tile set's tiles side by side, cells as f64 (f32 cells, from a chain without `cells: f64`, widened). */
export function gridOf(region: Uint8Array, t: TileSet): PartialGrid {
  const g = readGrid(region, { ptr: 0, len: region.byteLength })
  const { x0, y0, x1, y1, width, height } = tileSetGrid(t)
  if (g.width !== width || g.height !== height) throw fail('E_BAD_REGION', `the window-partial grid is ${g.width}×${g.height}, the tile set's ${width}×${height}`)
  const cells = g.values instanceof Float64Array ? g.values : Float64Array.from(g.values)
  return { x0, y0, x1, y1, width, height, cells }
}

/** The clusters region's centres, counts and summed values (EPSG:3857). */
export function clustersOf(region: Uint8Array): ClusterSummaries {
  const c = readClusters(region, { ptr: 0, len: region.byteLength })
  return { zoom: c.zoom, x: c.x, y: c.y, count: c.count, weight: c.weight }
}

function pointsOf(w: ClosedWindow, name: SensorName): RawPoints {
  const p = w.points
  const n = p.count
  const sensor = new Array<string>(n)
  for (let i = 0; i < n; i++) sensor[i] = name(p.sensor[i])
  return { sensor, ts: p.ts.slice(0, n), lon: p.lon.slice(0, n), lat: p.lat.slice(0, n), value: p.value.slice(0, n) }
}
