// The edge/cloud test's readers and oracle: the global results read back from their compacted topic (the latest
// per window), and the central run — the window-partial chain on the union of a window's distinct points, in a
// dataplane of this process — to compare the merged grids with.
import { ChainRegistry } from '../../../chains/registry.js'
import { ChainRunner } from '../../../chains/run.js'
import { Dataplane } from '../../../dataplane/dataplane.js'
import { computePartial } from '../../../gateway/cloud/raw-partial.js'
import { decodeGlobal } from '../../../gateway/cloud/global-result.js'
import type { PartialGrid } from '../../../gateway/partials/partial.js'
import type { SensorPoint } from '../../../gateway/ingest/sensor-record.js'
import { readTopic } from './kafka-scenario.js'

export interface GlobalRecord {
  count: number
  /** the edges whose partials were merged (each once, whatever parts) */
  edges: string[]
  grid: PartialGrid | null
}

/** The latest global result of every window in `topic` (read from its start to its current end). */
export async function readGlobal(brokers: string, topic: string, history?: Map<number, string[]>): Promise<Map<number, GlobalRecord>> {
  const out = new Map<number, GlobalRecord>()
  await readTopic(brokers, topic, (message) => {
    if (!message.value) return
    const r = decodeGlobal(message.value)
    out.set(r.windowStart, { count: r.count, edges: [...new Set(r.edges.map((e) => e.edge))], grid: r.grid })
    history?.set(r.windowStart, [...(history.get(r.windowStart) ?? []), `@${message.offset} ${r.count} [${r.edges.map((e) => `${e.edge}/${e.part ?? ''}:${e.count}`).join(' ')}]`])
  })
  return out
}

let central: { dp: Dataplane; runner: ChainRunner; chains: ChainRegistry } | null = null

/** The window-partial chain's grid of the distinct points of window [w, w + windowMs), run here on one dataplane. */
export async function centralGrid(points: SensorPoint[], w: number, windowMs: number, grid: { bbox: string; zoom: number; size: number; radius: number }): Promise<PartialGrid> {
  if (!central) {
    const dp = await Dataplane.start({ workers: 1 })
    central = { dp, runner: new ChainRunner(dp), chains: new ChainRegistry(dp.catalog) }
  }
  const seen = new Set<string>()
  const mine = points.filter((p) => {
    const key = `${p.sensor}|${p.ts}`
    if (p.ts < w || p.ts >= w + windowMs || seen.has(key)) return false
    seen.add(key)
    return true
  })
  const col = (f: (p: SensorPoint) => number) => Float64Array.from(mine, f)
  const bbox = grid.bbox.split(',').map(Number) as [number, number, number, number]
  const { grid: g } = await computePartial(central.runner, central.chains, { bbox, zoom: grid.zoom, size: grid.size, radius: grid.radius, kernel: 'quartic' }, {
    sensor: mine.map((p) => p.sensor), ts: col((p) => p.ts), lon: col((p) => p.lon), lat: col((p) => p.lat), value: col((p) => p.value),
  })
  return g
}

export async function closeCentral(): Promise<void> {
  await central?.dp.close()
  central = null
}

/** Largest relative difference of two grids' cells (a cell zero in one and not the other: Infinity). */
export function gridDifference(a: PartialGrid, b: PartialGrid): number {
  if (a.width !== b.width || a.height !== b.height || a.x0 !== b.x0 || a.y0 !== b.y0) return Infinity
  let worst = 0
  for (let i = 0; i < a.cells.length; i++) {
    const x = a.cells[i], y = b.cells[i]
    if (x === y) continue
    if (x === 0 || y === 0) return Infinity
    worst = Math.max(worst, Math.abs(x - y) / Math.abs(y))
  }
  return worst
}
