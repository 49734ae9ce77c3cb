// What an edge sends upstream for each closed window, and how it is written on the wire. One record per
// (edge, window): the window's counts and value statistics, its density grid over the edge's tile set (f64
// cells, so grids of several edges add up to the grid of the union: the KDE of a union of point sets is the sum
// of their KDEs) and its cluster summaries — or, with the `raw` option, the points themselves, for comparison.
//
// The wire format is msgpack with fixed-size maps (any msgpack library reads it). Float columns travel as bytes:
// the values' byte planes one after the other (all first bytes, then all second bytes, …), deflated — sign,
// exponent and high mantissa bytes of nearby densities are alike and compress, where interleaved f64s do not.
// Encoding is deterministic: the same partial gives the same bytes, so a partial re-sent after an edge restart is
// recognisably the same one.
import { promisify } from 'node:util'
import { deflateRaw, deflateRawSync, inflateRawSync } from 'node:zlib'
import { Packr, Unpackr } from 'msgpackr'
import { tileRange } from '../../chains/bind.js'

export const PARTIAL_VERSION = 1

/** Topics between edges and the cloud (each overridable by option). */
export const EDGE_TOPICS = {
  /** edge → cloud: one record per (edge, part, window), keyed by window start so every edge's part of a window meets in one partition */
  partials: 'graticule.partials',
  /** edge → cloud: each edge's heartbeat and backlog, compacted by edge id */
  edges: 'graticule.edges',
  /** cloud → every cloud gateway: the merged result of each window, compacted by window start */
  global: 'graticule.global',
} as const

/**
 * The grid every edge computes and the cloud merges: the density over the Web Mercator tiles a lon/lat bbox
 * touches at `zoom`, `size` cells a tile side, side by side (the area-heatmap layout). Edges and cloud must agree
 * on it; a partial made with another tile set is refused by the cloud, not merged.
 */
export interface TileSet {
  bbox: [number, number, number, number]
  zoom: number
  size: number
  radius: number
  kernel: 'quartic' | 'gaussian'
}

/** The grid a tile set has: its tile range (inclusive) and its size in cells. */
export function tileSetGrid(ts: TileSet): { x0: number; y0: number; x1: number; y1: number; width: number; height: number } {
  const r = tileRange(ts.bbox, ts.zoom)
  return { x0: r.x0, y0: r.y0, x1: r.x1, y1: r.y1, width: (r.x1 - r.x0 + 1) * ts.size, height: (r.y1 - r.y0 + 1) * ts.size }
}

/** A density grid of a tile set: width × height f64 cells, row-major from the top-left. */
export interface PartialGrid {
  /** the tile range the grid covers, inclusive */
  x0: number
  y0: number
  x1: number
  y1: number
  width: number
  height: number
  cells: Float64Array
}

/** Cluster summaries in EPSG:3857 (the cluster faaslet's output): centre, points inside, their summed value. */
export interface ClusterSummaries {
  zoom: number
  x: Float64Array
  y: Float64Array
  count: Float64Array
  weight: Float64Array
}

/** Raw points of a window (the `raw` uplink option). Sensor ids are the edge's names. */
export interface RawPoints {
  sensor: string[]
  ts: Float64Array
  lon: Float64Array
  lat: Float64Array
  value: Float64Array
}

export interface WindowPartial {
  edge: string
  /** the edge's partition the window came from ('graticule.sensors/0', 'simulator/0', 'http/0'): an edge fed by a
      Kafka topic of n partitions closes each window n times, once per partition, each a share of the edge's points
      (absent in partials from before it was added: one share per edge) */
  part?: string
  windowStart: number
  windowEnd: number
  /** distinct points in the edge's window */
  count: number
  duplicates: number
  /** points the edge's partition refused as late (their window already closed) since its previous partial: summed
      over partials, the edge's late points */
  late: number
  /** distinct sensors in the edge's window */
  sensors: number
  value: { sum: number; min: number; max: number }
  bbox: [number, number, number, number] | null
  tileSet: TileSet
  /** absent for a raw partial (the cloud computes it from `points`), and when the edge's chain refused the window's
      points (a point it cannot reproject: the counts stand, the window adds no density) */
  grid: PartialGrid | null
  clusters: ClusterSummaries | null
  points: RawPoints | null
  /** wall-clock ms: when the edge closed the window, and when it sealed this record */
  closedAt: number
  sealedAt: number
}

/** The dedup key of a partial: the cloud merges each (edge, part, window) once. */
export const partialKey = (p: Pick<WindowPartial, 'edge' | 'part' | 'windowStart'>): string => (p.part ? `${p.edge}/${p.part}/${p.windowStart}` : `${p.edge}/${p.windowStart}`)

/** The Kafka record key of a partial: its window start (one window, one partition). */
export const partialRecordKey = (windowStart: number): string => String(windowStart)

const packr = new Packr({ useRecords: false, mapsAsObjects: true, variableMapSize: false })
const unpackr = new Unpackr({ useRecords: false, mapsAsObjects: true })

const DEFLATE = { level: 6 }
const deflateRawAsync = promisify(deflateRaw)

function planesOf(a: Float64Array): Uint8Array {
  const n = a.length
  const bytes = new Uint8Array(a.buffer, a.byteOffset, n * 8)
  const planes = new Uint8Array(n * 8)
  for (let b = 0; b < 8; b++) {
    const base = b * n
    for (let i = 0; i < n; i++) planes[base + i] = bytes[i * 8 + b]
  }
  return planes
}

/** Float64 values as deflated byte planes (see the head of the file). */
export function packFloats(a: Float64Array): Uint8Array {
  return deflateRawSync(planesOf(a), DEFLATE)
}

export function unpackFloats(packed: Uint8Array, n: number): Float64Array {
  const planes = inflateRawSync(packed)
  if (planes.length !== n * 8) throw new Error(`a packed column holds ${planes.length} bytes, not ${n * 8}`)
  const out = new Float64Array(n)
  const bytes = new Uint8Array(out.buffer)
  for (let b = 0; b < 8; b++) {
    const base = b * n
    for (let i = 0; i < n; i++) bytes[i * 8 + b] = planes[base + i]
  }
  return out
}

/** A partial as bytes (deterministic). */
export function encodePartial(p: WindowPartial): Uint8Array {
  return packr.pack(wire(p, packFloats))
}

/**
 * The same bytes as encodePartial, the deflating done on zlib's thread pool: a 256 × 256 grid takes ~20 ms to
 * deflate, which an edge's main thread (its live map) should not spend.
 */
export async function encodePartialAsync(p: WindowPartial): Promise<Uint8Array> {
  const columns = [p.grid?.cells, p.clusters?.x, p.clusters?.y, p.clusters?.count, p.clusters?.weight, p.points?.ts, p.points?.lon, p.points?.lat, p.points?.value]
    .filter((c): c is Float64Array => c !== undefined)
  const packed = new Map(await Promise.all(columns.map(async (c) => [c, await deflateRawAsync(planesOf(c), DEFLATE)] as const)))
  return packr.pack(wire(p, (c) => packed.get(c)!))
}

/** The msgpack map of a partial, its float columns packed by `pack`. */
function wire(p: WindowPartial, pack: (a: Float64Array) => Uint8Array): Record<string, unknown> {
  const cols = (o: Record<string, Float64Array>) => Object.fromEntries(Object.entries(o).map(([k, v]) => [k, pack(v)]))
  return {
    v: PARTIAL_VERSION, edge: p.edge, ...(p.part ? { part: p.part } : {}), windowStart: p.windowStart, windowEnd: p.windowEnd, count: p.count, duplicates: p.duplicates,
    late: p.late, sensors: p.sensors, value: p.value, bbox: p.bbox, tileSet: p.tileSet,
    grid: p.grid ? { x0: p.grid.x0, y0: p.grid.y0, x1: p.grid.x1, y1: p.grid.y1, width: p.grid.width, height: p.grid.height, cells: pack(p.grid.cells) } : null,
    clusters: p.clusters ? { zoom: p.clusters.zoom, n: p.clusters.x.length, ...cols({ x: p.clusters.x, y: p.clusters.y, count: p.clusters.count, weight: p.clusters.weight }) } : null,
    points: p.points ? { n: p.points.ts.length, sensor: p.points.sensor, ...cols({ ts: p.points.ts, lon: p.points.lon, lat: p.points.lat, value: p.points.value }) } : null,
    closedAt: p.closedAt, sealedAt: p.sealedAt,
  }
}

/** Bytes → a partial; throws (with what is wrong) on anything that is not one of ours. */
export function decodePartial(bytes: Uint8Array): WindowPartial {
  const o = unpackr.unpack(bytes) as Record<string, any>
  if (!o || o.v !== PARTIAL_VERSION) throw new Error(`not a version ${PARTIAL_VERSION} window partial`)
  const g = o.grid
  const c = o.clusters
  const q = o.points
  return {
    edge: String(o.edge), ...(typeof o.part === 'string' ? { part: o.part } : {}), windowStart: o.windowStart, windowEnd: o.windowEnd, count: o.count, duplicates: o.duplicates, late: o.late,
    sensors: o.sensors, value: o.value, bbox: o.bbox, tileSet: o.tileSet,
    grid: g ? { x0: g.x0, y0: g.y0, x1: g.x1, y1: g.y1, width: g.width, height: g.height, cells: unpackFloats(g.cells, g.width * g.height) } : null,
    clusters: c ? { zoom: c.zoom, x: unpackFloats(c.x, c.n), y: unpackFloats(c.y, c.n), count: unpackFloats(c.count, c.n), weight: unpackFloats(c.weight, c.n) } : null,
    points: q ? { sensor: q.sensor, ts: unpackFloats(q.ts, q.n), lon: unpackFloats(q.lon, q.n), lat: unpackFloats(q.lat, q.n), value: unpackFloats(q.value, q.n) } : null,
    closedAt: o.closedAt, sealedAt: o.sealedAt,
  }
}

/** Two tile sets are the same grid. */
export function sameTileSet(a: TileSet, b: TileSet): boolean {
  return a.zoom === b.zoom && a.size === b.size && a.radius === b.radius && a.kernel === b.kernel && a.bbox.every((v, i) => v === b.bbox[i])
}
