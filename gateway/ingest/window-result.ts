// A closed window → its result: the window's chain (sensor-window; window-partial on an edge) run on the window's
// points in shared memory, plus the counts a consumer needs to reconcile (distinct points, duplicates, late), keyed
// by window so a re-emission after a crash replaces rather than adds.
import type { RawParams } from '../../faaslets/abi/manifest.js'
import type { Chain } from '../../chains/chain.js'
import type { ChainRunner } from '../../chains/run.js'
import { clustersToGeoJSON, readClusters } from '../../faaslets/codecs/clusters.js'
import { windowPointArrays, type ClosedWindow, type WindowPoints } from './windows.js'

export interface WindowResult {
  key: string
  source: string
  partition: string
  windowStart: number
  windowEnd: number
  /** distinct points in the window */
  count: number
  duplicates: number
  sensors: number
  value: { min: number; max: number; mean: number; sum: number }
  bbox: [number, number, number, number] | null
  clusters: unknown
  chain: string
  computeMs: number
  copiedBytes: number
  closedAt: number
  publishedAt: number
  /** true while the watermark has not closed the window (a quiet partition): a later result replaces it */
  provisional: boolean
  /** the chain refused the window's points (a faaslet's input code): the result carries the counts, not the
      chain's outputs, and the points are counted out as `refused` */
  error?: { code: string; message: string }
  /** the chain's outputs written `as: region` (window-partial's grid and clusters), by output name: what the edge
      sends upstream. Not enumerable, so never in the published JSON (nor copied by a spread) */
  readonly regions?: Readonly<Record<string, Uint8Array>>
}

export function windowStats(p: WindowPoints): Pick<WindowResult, 'value' | 'sensors' | 'bbox'> {
  let min = Infinity, max = -Infinity, sum = 0
  let w = Infinity, s = Infinity, e = -Infinity, n = -Infinity
  for (let i = 0; i < p.count; i++) {
    const v = p.value[i]
    if (v < min) min = v
    if (v > max) max = v
    sum += v
    if (p.lon[i] < w) w = p.lon[i]
    if (p.lon[i] > e) e = p.lon[i]
    if (p.lat[i] < s) s = p.lat[i]
    if (p.lat[i] > n) n = p.lat[i]
  }
  return {
    value: p.count ? { min, max, mean: sum / p.count, sum } : { min: 0, max: 0, mean: 0, sum: 0 },
    sensors: distinctSensors(p.sensor, p.count),
    bbox: p.count ? [w, s, e, n] : null,
  }
}

/** Sensor ids are SensorIndex ids, small integers below its bound: a stamp per id counts them, no set. */
let stamps = new Int32Array(1024)
let stamp = 0
const MAX_STAMPED_ID = 1 << 24

function distinctSensors(ids: Float64Array, count: number): number {
  if (++stamp === 0x7fffffff) {
    stamps.fill(0)
    stamp = 1
  }
  let distinct = 0
  for (let i = 0; i < count; i++) {
    const id = ids[i]
    if (!(id >= 0 && id < MAX_STAMPED_ID && Number.isInteger(id))) return new Set(ids.subarray(0, count)).size // not an index's ids
    if (id >= stamps.length) {
      const more = new Int32Array(Math.max(id + 1, stamps.length * 2))
      more.set(stamps)
      stamps = more
    }
    if (stamps[id] !== stamp) {
      stamps[id] = stamp
      distinct++
    }
  }
  return distinct
}

export async function windowResult(runner: ChainRunner, chain: Chain, params: RawParams, source: string, w: ClosedWindow, tenant = 'default'): Promise<WindowResult> {
  const clustersOut = chain.outputs.find((o) => o.kind === 'clusters')
  const wanted = chain.outputs.filter((o) => o === clustersOut || o.as === 'region').map((o) => o.name)
  let clusters: unknown = null
  let computeMs = 0
  let copiedBytes = 0
  const regions: Record<string, Uint8Array> = {}
  if (w.points.count > 0) {
    // the worker writes the window's columns (shared memory) as the input region and encodes the outputs wanted
    const res = await runner.run(chain, params, { points: windowPointArrays(w.points) }, { tenant, only: wanted })
    for (const out of res.outputs) {
      const o = chain.outputs.find((c) => c.name === out.name)!
      // a region's f64 columns are read in place: its bytes on an 8-byte boundary
      if (o.as === 'region') regions[o.name] = out.body.byteOffset % 8 ? out.body.slice() : out.body
      if (o === clustersOut) clusters = o.as === 'region' ? clustersToGeoJSON(readClusters(regions[o.name], { ptr: 0, len: out.body.byteLength })) : JSON.parse(new TextDecoder().decode(out.body))
    }
    computeMs = res.invocation.computeMs
    copiedBytes = res.invocation.copied.betweenStages
  }
  const result: WindowResult = {
    key: `${w.partition}/${w.start}`, source, partition: w.partition, windowStart: w.start, windowEnd: w.end,
    count: w.points.count, duplicates: w.duplicates, ...windowStats(w.points), clusters, chain: chain.name,
    computeMs, copiedBytes, closedAt: w.closedAt, publishedAt: 0, provisional: w.provisional,
  }
  return Object.defineProperty(result, 'regions', { value: regions, enumerable: false })
}
