// A closed window → its result: the sensor-window chain run on the window's points in shared memory,
// plus the counts a consumer needs to reconcile (distinct points, duplicates, late), keyed by window so
// a re-emission after a crash replaces rather than adds.
import * as L from '../../faaslets/abi/layout.js'
import { createRegion, type Descriptor, type RegionMemory } from '../../faaslets/abi/region.js'
import { encodeOutput } from '../../faaslets/codecs/boundary.js'
import type { Dataplane } from '../../dataplane/dataplane.js'
import type { Plan } from '../../dataplane/plan.js'
import type { Chain } from '../../chains/chain.js'
import type { ClosedWindow, WindowPoints } from './windows.js'

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
}

/** Writes a window's points straight from its columns into a points region (the one copy in). */
export function writeWindowPoints(mem: RegionMemory, p: WindowPoints): Descriptor {
  const n = p.count
  let minX = Infinity, minY = Infinity, maxX = -Infinity, maxY = -Infinity
  for (let i = 0; i < n; i++) {
    if (p.lon[i] < minX) minX = p.lon[i]
    if (p.lon[i] > maxX) maxX = p.lon[i]
    if (p.lat[i] < minY) minY = p.lat[i]
    if (p.lat[i] > maxY) maxY = p.lat[i]
  }
  const r = createRegion(mem, {
    kind: L.KIND_POINTS, count: n, stride: L.POINT_STRIDE, crs: 4326,
    extent: n ? [minX, minY, maxX, maxY] : [NaN, NaN, NaN, NaN],
    sections: [{ bytes: n * L.POINT_STRIDE, count: n }],
  })
  const f = new Float64Array(mem.bytes().buffer, r.sectionPtrs[0], n * 4)
  for (let i = 0, j = 0; i < n; i++, j += 4) {
    f[j] = p.lon[i]
    f[j + 1] = p.lat[i]
    f[j + 2] = p.value[i]
    f[j + 3] = p.sensor[i]
  }
  return { ptr: r.ptr, len: r.len }
}

export function windowStats(p: WindowPoints): Pick<WindowResult, 'value' | 'sensors' | 'bbox'> {
  let min = Infinity, max = -Infinity, sum = 0
  let w = Infinity, s = Infinity, e = -Infinity, n = -Infinity
  const sensors = new Set<number>()
  for (let i = 0; i < p.count; i++) {
    const v = p.value[i]
    if (v < min) min = v
    if (v > max) max = v
    sum += v
    sensors.add(p.sensor[i])
    if (p.lon[i] < w) w = p.lon[i]
    if (p.lon[i] > e) e = p.lon[i]
    if (p.lat[i] < s) s = p.lat[i]
    if (p.lat[i] > n) n = p.lat[i]
  }
  return {
    value: p.count ? { min, max, mean: sum / p.count, sum } : { min: 0, max: 0, mean: 0, sum: 0 },
    sensors: sensors.size,
    bbox: p.count ? [w, s, e, n] : null,
  }
}

export async function windowResult(dp: Dataplane, chain: Chain, plan: Plan, source: string, w: ClosedWindow, tenant = 'default'): Promise<WindowResult> {
  const clustersOut = chain.outputs.findIndex((o) => o.kind === 'clusters')
  let clusters: unknown = null
  let computeMs = 0
  let copiedBytes = 0
  if (w.points.count > 0) {
    const res = await dp.invoke(tenant, plan, (mem) => [writeWindowPoints(mem, w.points)])
    try {
      if (clustersOut >= 0) clusters = JSON.parse(new TextDecoder().decode(encodeOutput(res.bytes(), res.outputs[clustersOut], 'geojson')))
      computeMs = res.computeMs
      copiedBytes = res.copied.betweenStages
    } finally {
      res.release()
    }
  }
  return {
    key: `${w.partition}/${w.start}`, source, partition: w.partition, windowStart: w.start, windowEnd: w.end,
    count: w.points.count, duplicates: w.duplicates, ...windowStats(w.points), clusters, chain: chain.name,
    computeMs, copiedBytes, closedAt: w.closedAt, publishedAt: 0, provisional: w.provisional,
  }
}
