// The merged result of one window over every edge that sent a partial of it: what a cloud gateway publishes to the
// compacted topic EDGE_TOPICS.global (record key = window start, so the topic keeps each window's newest) and what
// every cloud gateway serves from. It lists the edges merged into it — that list is the merger's dedup memory — and
// each edge's own cluster summaries, so the merged clusters are a function of the edge set, not of arrival order.
//
// msgpack with fixed-size maps; float columns packed as partial.ts packs them (deflated byte planes). Encoding is
// deterministic: the same result gives the same bytes.
import { Packr, Unpackr } from 'msgpackr'
import { packFloats, unpackFloats, type ClusterSummaries, type PartialGrid, type TileSet, type WindowPartial } from '../partials/partial.js'

export const GLOBAL_VERSION = 1

/** One edge's share of a window, as merged: a partial of (edge, part). */
export interface EdgeShare {
  edge: string
  /** the edge's partition the share came from (partial.ts), absent when the edge sends one partial a window */
  part?: string
  count: number
  duplicates: number
  late: number
  sensors: number
  /** when the edge sealed its partial, and when the cloud merged it (wall-clock ms) */
  sealedAt: number
  mergedAt: number
  /** true when the edge sent raw points and the cloud computed its grid and clusters */
  raw: boolean
  clusters: ClusterSummaries | null
}

export interface GlobalResult {
  windowStart: number
  windowEnd: number
  /** sums over the edges */
  count: number
  duplicates: number
  late: number
  sensors: number
  value: { sum: number; min: number; max: number }
  bbox: [number, number, number, number] | null
  tileSet: TileSet
  /** sorted by shareKey */
  edges: EdgeShare[]
  /** the sum of the edges' grids */
  grid: PartialGrid
  /** the edges' cluster summaries merged (merge.ts) */
  clusters: ClusterSummaries | null
  /** wall-clock ms of the last merge, and what it cost (grid and clusters) */
  updatedAt: number
  mergeMs: number
}

/** Which share of a window a partial is: its edge, and its part when it has one (the window is partialKey's). */
export const shareKey = (p: { edge: string; part?: string }): string => (p.part ? `${p.edge}/${p.part}` : p.edge)

/** The version of a result a client holds (ETags): the same on every gateway that holds this result. */
export const resultVersion = (r: GlobalResult): string => `${r.windowStart}/${r.updatedAt}/${r.edges.map(shareKey).join(',')}`

/** The edge's share of a window, from its partial. */
export function shareOf(p: WindowPartial, mergedAt: number, raw: boolean): EdgeShare {
  return {
    edge: p.edge, ...(p.part ? { part: p.part } : {}), count: p.count, duplicates: p.duplicates, late: p.late, sensors: p.sensors,
    sealedAt: p.sealedAt, mergedAt, raw, clusters: p.clusters,
  }
}

const packr = new Packr({ useRecords: false, mapsAsObjects: true, variableMapSize: false })
const unpackr = new Unpackr({ useRecords: false, mapsAsObjects: true })

const packClusters = (c: ClusterSummaries | null) => c && { zoom: c.zoom, n: c.x.length, x: packFloats(c.x), y: packFloats(c.y), count: packFloats(c.count), weight: packFloats(c.weight) }
const unpackClusters = (c: any): ClusterSummaries | null => c && { zoom: c.zoom, x: unpackFloats(c.x, c.n), y: unpackFloats(c.y, c.n), count: unpackFloats(c.count, c.n), weight: unpackFloats(c.weight, c.n) }

export function encodeGlobal(r: GlobalResult): Uint8Array {
  const g = r.grid
  return packr.pack({
    v: GLOBAL_VERSION, windowStart: r.windowStart, windowEnd: r.windowEnd, count: r.count, duplicates: r.duplicates, late: r.late,
    sensors: r.sensors, value: { sum: r.value.sum, min: r.value.min, max: r.value.max }, bbox: r.bbox, tileSet: r.tileSet,
    edges: r.edges.map((e) => ({
      edge: e.edge, ...(e.part ? { part: e.part } : {}), count: e.count, duplicates: e.duplicates, late: e.late, sensors: e.sensors, sealedAt: e.sealedAt, mergedAt: e.mergedAt,
      raw: e.raw, clusters: packClusters(e.clusters),
    })),
    grid: { x0: g.x0, y0: g.y0, x1: g.x1, y1: g.y1, width: g.width, height: g.height, cells: packFloats(g.cells) },
    clusters: packClusters(r.clusters), updatedAt: r.updatedAt, mergeMs: r.mergeMs,
  })
}

/** Bytes → a global result; throws on anything that is not one of ours. */
export function decodeGlobal(bytes: Uint8Array): GlobalResult {
  const o = unpackr.unpack(bytes) as Record<string, any>
  if (!o || o.v !== GLOBAL_VERSION) throw new Error(`not a version ${GLOBAL_VERSION} global window result`)
  const g = o.grid
  return {
    windowStart: o.windowStart, windowEnd: o.windowEnd, count: o.count, duplicates: o.duplicates, late: o.late, sensors: o.sensors,
    value: o.value, bbox: o.bbox, tileSet: o.tileSet,
    edges: (o.edges as any[]).map((e) => ({ ...e, edge: String(e.edge), clusters: unpackClusters(e.clusters) })),
    grid: { x0: g.x0, y0: g.y0, x1: g.x1, y1: g.y1, width: g.width, height: g.height, cells: unpackFloats(g.cells, g.width * g.height) },
    clusters: unpackClusters(o.clusters), updatedAt: o.updatedAt, mergeMs: o.mergeMs,
  }
}
