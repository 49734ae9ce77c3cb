// The in-process half of `npm run bench:edge`, on one Dataplane (ChainRunner, ChainRegistry) of this process:
//   - bytes: the value of the Kafka record an edge's uplink sends per window — encodePartial of the partial (the
//     window-partial chain's grid and clusters, made by computePartial as the cloud makes a raw partial's), and of
//     the raw partial (the points instead) — beside the sensors' own records of the same points (sensor-record.ts);
//   - exactness: three edges' partials merged by the cloud's PartialMerger (decode, grid-combine, cluster) against
//     the chain run centrally on the union of their points;
//   - merge cost: the cloud's merge of 2, 4 and 8 edges' partials of a window, split into decoding, the grid sum and
//     the clusters, and one partial merged onto a window already holding the others; repeats interleaved.
import { ChainRegistry } from '../../chains/registry.js'
import { ChainRunner } from '../../chains/run.js'
import { Dataplane } from '../../dataplane/dataplane.js'
import { CloudFaaslets } from '../../gateway/cloud/cloud-faaslets.js'
import type { GlobalResult } from '../../gateway/cloud/global-result.js'
import { GlobalView } from '../../gateway/cloud/global-view.js'
import { tileSetGrid } from '../../gateway/partials/partial.js'
import { tileRangeExtent } from '../../gateway/cloud/grid-region.js'
import { PartialMerger } from '../../gateway/cloud/partial-merger.js'
import { computePartial } from '../../gateway/cloud/raw-partial.js'
import { lineLogger } from '../../gateway/ingest/ingest-log.js'
import { encodeSensorColumns, encodeSensorJson, encodeSensorMsgpack } from '../../gateway/ingest/sensor-record.js'
import { decodePartial, encodePartial, packFloats, type PartialGrid, type RawPoints, type TileSet, type WindowPartial } from '../../gateway/partials/partial.js'
import { stats, type Stats } from '../lib/measure.js'
import { machineBusyMs } from './scale-gateway.js'
import { edgeWindow, rows, SCENARIOS, TILE_SETS, union, windowPartial, type Scenario } from './edge-inputs.js'

export interface EdgeBytes {
  edge: string
  points: number
  /** the partial's record value: encodePartial (the edge's encodePartialAsync gives the same bytes) */
  partial: number
  /** of which the grid's packed cells, and the cluster summaries' packed columns */
  gridPacked: number
  clustersPacked: number
  clusters: number
  cells: number
  nonZeroCells: number
  /** the raw partial's record value (--uplink raw: the points instead of grid and clusters) */
  raw: number
  /** the sensors' own records of the same points: JSON lines (one point a line), a msgpack array, msgpack columns */
  sensorJsonLines: number
  sensorMsgpack: number
  sensorMsgpackColumns: number
  /** the window-partial chain on the edge's points, ms (one run, for scale) */
  chainMs: number
}

export interface BytesRow {
  points: number
  /** means over the edges measured (perEdge) */
  partial: number
  raw: number
  sensorJsonLines: number
  sensorMsgpack: number
  sensorMsgpackColumns: number
  gridPacked: number
  nonZeroCells: number
  clusters: number
  /** grid bytes per non-zero cell */
  gridBytesPerNonZeroCell: number
  /** raw ÷ partial: how many times fewer bytes the partial is */
  ratio: number
  /** JSON lines ÷ partial */
  ratioJson: number
  rawBytesPerPoint: number
  perEdge: EdgeBytes[]
}

export interface ExactRow {
  points: number
  edges: string[]
  cells: number
  nonZeroCells: number
  /** max |merged − central| / |central| over the cells (Infinity: a cell zero in one and not the other) */
  maxRelative: number
  maxAbsolute: number
  /** merged count = the sum of the edges' */
  countsAdd: boolean
  /** points with a value below zero (weights of both signs: cell sums can cancel, and their relative rounding grows) */
  negativeValues: number
  /** max |merged − central| / the central grid of |value| (the cell's sum of the terms' magnitudes): rounding free of cancellation */
  maxRelativeToMagnitude: number
  centralMs: number
  mergeMs: number
}

export interface MergeRow {
  edges: number
  /** the cloud's merge of k partials of a window in one go (PartialMerger.merge of the encoded records), ms */
  batch: Stats
  /** batch ÷ k */
  perPartialMs: number
  /** parts of it: decoding the k records, one grid-combine of k grids, one clustering of k edges' summaries */
  decode: Stats
  gridSum: Stats
  clusters: Stats
  /** the k-th partial merged onto a window already holding k − 1 (the usual case: partials arrive one by one) */
  onto: Stats
  ontoGridSum: Stats
  clusterSummaries: number
}

export interface InProcessData {
  bytes: Record<Scenario, BytesRow[]>
  exactness: Record<Scenario, ExactRow[]> & { maxRelative: number }
  merge: Record<Scenario, MergeRow[]> & { points: number; repeats: number; warmup: number; othersCores: number; order: string }
}

export interface InProcessOptions {
  points: number[]
  /** edges averaged in the bytes table and merged in the exactness check */
  exactEdges: number
  mergeEdges: number[]
  mergePoints: number
  repeats: number
  warmup: number
  log: (line: string) => void
  step?: (label: string, units: number) => void
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length

function gridDifference(a: PartialGrid, b: PartialGrid): { rel: number; abs: number } {
  if (a.width !== b.width || a.height !== b.height || a.x0 !== b.x0 || a.y0 !== b.y0) return { rel: Infinity, abs: Infinity }
  let rel = 0, abs = 0
  for (let i = 0; i < a.cells.length; i++) {
    const x = a.cells[i], y = b.cells[i]
    if (x === y) continue
    abs = Math.max(abs, Math.abs(x - y))
    if (x === 0 || y === 0) rel = Infinity
    else rel = Math.max(rel, Math.abs(x - y) / Math.abs(y))
  }
  return { rel, abs }
}

function edgeBytes(edge: string, p: RawPoints, partial: WindowPartial, rawPartial: WindowPartial, chainMs: number): EdgeBytes {
  const bytes = encodePartial(partial).length
  const g = partial.grid!
  const c = partial.clusters
  let nz = 0
  for (const v of g.cells) if (v !== 0) nz++
  const points = rows(p)
  return {
    edge, points: p.lon.length, partial: bytes, gridPacked: packFloats(g.cells).length,
    clustersPacked: c ? [c.x, c.y, c.count, c.weight].reduce((n, col) => n + packFloats(col).length, 0) : 0, clusters: c ? c.x.length : 0,
    cells: g.cells.length, nonZeroCells: nz, raw: encodePartial(rawPartial).length,
    sensorJsonLines: points.reduce((n, q) => n + Buffer.byteLength(encodeSensorJson(q)) + 1, 0),
    sensorMsgpack: encodeSensorMsgpack(points).length, sensorMsgpackColumns: encodeSensorColumns(points, 'msgpack').length, chainMs,
  }
}

function bytesRow(n: number, perEdge: EdgeBytes[]): BytesRow {
  const m = (k: keyof EdgeBytes) => mean(perEdge.map((e) => e[k] as number))
  const partial = m('partial'), raw = m('raw')
  return {
    points: n, partial, raw, sensorJsonLines: m('sensorJsonLines'), sensorMsgpack: m('sensorMsgpack'), sensorMsgpackColumns: m('sensorMsgpackColumns'),
    gridPacked: m('gridPacked'), nonZeroCells: m('nonZeroCells'), clusters: m('clusters'), gridBytesPerNonZeroCell: m('gridPacked') / m('nonZeroCells'),
    ratio: raw / partial, ratioJson: m('sensorJsonLines') / partial, rawBytesPerPoint: raw / n, perEdge,
  }
}

/** Runs `tasks` `warmup + repeats` times, the order rotated each round; the samples of the last `repeats` rounds. */
async function interleaved(tasks: Array<{ key: string; run: () => Promise<unknown> }>, repeats: number, warmup: number): Promise<Map<string, number[]>> {
  const samples = new Map(tasks.map((t) => [t.key, [] as number[]]))
  for (let round = 0; round < warmup + repeats; round++) {
    for (let i = 0; i < tasks.length; i++) {
      const t = tasks[(i + round) % tasks.length]
      const t0 = performance.now()
      await t.run()
      const ms = performance.now() - t0
      if (round >= warmup) samples.get(t.key)!.push(ms)
    }
  }
  return samples
}

export async function runInProcess(o: InProcessOptions): Promise<InProcessData> {
  const dp = await Dataplane.start({ workers: 1 })
  try {
    const runner = new ChainRunner(dp)
    const chains = new ChainRegistry(dp.catalog)
    const faaslets = new CloudFaaslets(dp)
    // the cloud's cluster radius: the cluster faaslet's default, which the edges' chain keeps (cloud.ts)
    const clusterRadius = Number(dp.catalog.manifest('cluster').params.find((p) => p.name === 'radius')?.default ?? 40)
    // a refused partial would be a bug here: said loudly
    const log = lineLogger((line) => o.log(`  merger: ${line}`))
    const mergerFor = (ts: TileSet, view: GlobalView) => new PartialMerger(view, faaslets, { runner, registry: chains }, { tileSet: ts, clusterRadius, log })

    const bytes = {} as Record<Scenario, BytesRow[]>
    const exact = {} as Record<Scenario, ExactRow[]>
    /** encoded partials at mergePoints, per scenario, edge 0.. */
    const forMerge = {} as Record<Scenario, Uint8Array[]>
    const needMerge = Math.max(...o.mergeEdges)

    for (const s of SCENARIOS) {
      const ts = TILE_SETS[s]
      bytes[s] = []
      exact[s] = []
      forMerge[s] = []
      for (const n of o.points) {
        o.step?.(`${s}: ${n} points a window, ${o.exactEdges} edges: partials, raw partials, the central run`, n >= 100_000 ? 8 : 2)
        const per: EdgeBytes[] = []
        const encoded: Uint8Array[] = []
        const parts: RawPoints[] = []
        const edges: string[] = []
        const count = n === o.mergePoints ? Math.max(o.exactEdges, needMerge) : o.exactEdges
        for (let k = 0; k < count; k++) {
          const { edge, points } = edgeWindow(s, k, n)
          const t0 = performance.now()
          const made = await computePartial(runner, chains, ts, points)
          const chainMs = performance.now() - t0
          const partial = windowPartial(edge, points, ts, made)
          const bytesOf = encodePartial(partial)
          if (n === o.mergePoints) forMerge[s].push(bytesOf)
          if (k >= o.exactEdges) continue
          per.push(edgeBytes(edge, points, partial, windowPartial(edge, points, ts, null), chainMs))
          encoded.push(bytesOf)
          parts.push(points)
          edges.push(edge)
        }
        const row = bytesRow(n, per)
        bytes[s].push(row)
        // exactness: the cloud's merge of the edges' records against the chain on the union, centrally
        const t1 = performance.now()
        const all = union(parts)
        const central = await computePartial(runner, chains, ts, all)
        const centralMs = performance.now() - t1
        const t2 = performance.now()
        const results = await mergerFor(ts, new GlobalView()).merge(encoded, 'bench')
        const mergeMs = performance.now() - t2
        if (results.length !== 1) throw new Error(`${s} ${n}: the merge gave ${results.length} results, not 1`)
        const merged = results[0]
        const d = gridDifference(merged.grid, central.grid)
        // the same cells with every weight's magnitude: what a cell's rounding is relative to when its terms cancel
        const magnitude = (await computePartial(runner, chains, ts, { ...all, value: all.value.map(Math.abs) })).grid.cells
        let toMagnitude = 0
        for (let i = 0; i < magnitude.length; i++) {
          const diff = Math.abs(merged.grid.cells[i] - central.grid.cells[i])
          if (diff > 0) toMagnitude = Math.max(toMagnitude, magnitude[i] > 0 ? diff / magnitude[i] : Infinity)
        }
        let nz = 0
        for (const v of central.grid.cells) if (v !== 0) nz++
        exact[s].push({
          points: n, edges, cells: central.grid.cells.length, nonZeroCells: nz, maxRelative: d.rel, maxAbsolute: d.abs,
          countsAdd: merged.count === all.lon.length, negativeValues: all.value.filter((v) => v < 0).length, maxRelativeToMagnitude: toMagnitude, centralMs, mergeMs,
        })
        o.log(`  ${s} ${n} points: partial ${(row.partial / 1024).toFixed(1)} KiB (grid ${row.nonZeroCells.toFixed(0)} non-zero cells, ${row.gridBytesPerNonZeroCell.toFixed(2)} B each; ${row.clusters.toFixed(0)} clusters), raw ${(row.raw / 1024).toFixed(1)} KiB → ${row.ratio.toFixed(1)}× fewer; merged vs central: max relative ${d.rel.toExponential(2)} (${toMagnitude.toExponential(2)} of the cells' |terms|)`)
      }
    }

    // ─── merge cost ──────────────────────────────────────────────────────────────────────────────────
    o.step?.(`merge cost: ${o.mergeEdges.join(', ')} edges × ${SCENARIOS.length} scenarios, ${o.warmup} + ${o.repeats} rounds interleaved`, 4 + o.repeats)
    const tasks: Array<{ key: string; run: () => Promise<unknown> }> = []
    const clusterCount = new Map<string, number>()
    for (const s of SCENARIOS) {
      const ts = TILE_SETS[s]
      const g = tileSetGrid(ts)
      const extent = tileRangeExtent(ts.zoom, g.x0, g.y0, g.x1, g.y1)
      const records = forMerge[s]
      if (records.length < needMerge) throw new Error(`${s}: ${records.length} partials at ${o.mergePoints} points, ${needMerge} needed`)
      const decoded = records.map(decodePartial)
      for (const k of o.mergeEdges) {
        const mine = records.slice(0, k)
        const grids = decoded.slice(0, k).map((p) => p.grid!.cells)
        const summaries = decoded.slice(0, k).flatMap((p) => (p.clusters ? [p.clusters] : []))
        clusterCount.set(`${s}/${k}`, summaries.reduce((n, c) => n + c.x.length, 0))
        // a window already holding k − 1 edges, for the k-th
        const before: GlobalResult = (await mergerFor(ts, new GlobalView()).merge(records.slice(0, k - 1), 'bench'))[0]
        const view = new GlobalView()
        view.put(before)
        const ontoMerger = mergerFor(ts, view)
        const last = records[k - 1]
        const lastGrid = decoded[k - 1].grid!.cells
        tasks.push(
          { key: `${s}/${k}/batch`, run: () => mergerFor(ts, new GlobalView()).merge(mine, 'bench') },
          { key: `${s}/${k}/decode`, run: async () => mine.map(decodePartial) },
          { key: `${s}/${k}/sum`, run: () => faaslets.sumGrids(grids, g.width, g.height, extent) },
          { key: `${s}/${k}/clusters`, run: () => (summaries.length ? faaslets.mergeClusters(summaries, { zoom: summaries[0].zoom, radius: clusterRadius }) : Promise.resolve(null)) },
          // merge() returns the result without putting it in the view: the same k-th partial merges every round
          { key: `${s}/${k}/onto`, run: () => ontoMerger.merge([last], 'bench') },
          { key: `${s}/${k}/onto-sum`, run: () => faaslets.sumGrids([before.grid.cells, lastGrid], g.width, g.height, extent) },
        )
      }
    }
    const busy0 = machineBusyMs()
    const cpu0 = process.cpuUsage()
    const w0 = performance.now()
    const samples = await interleaved(tasks, o.repeats, o.warmup)
    const wall = performance.now() - w0
    const busy1 = machineBusyMs()
    const cpu = process.cpuUsage(cpu0)
    // the dataplane's worker threads are this process: what else the machine did is everything less this process
    const othersCores = busy0 !== null && busy1 !== null ? Math.max(0, (busy1 - busy0 - (cpu.user + cpu.system) / 1000) / wall) : NaN
    const merge = { points: o.mergePoints, repeats: o.repeats, warmup: o.warmup, othersCores, order: 'every (scenario, edges, measurement) once a round, the order rotated by one each round' } as InProcessData['merge']
    for (const s of SCENARIOS) {
      merge[s] = o.mergeEdges.map((k) => {
        const st = (what: string) => stats(samples.get(`${s}/${k}/${what}`)!)
        const batch = st('batch')
        return {
          edges: k, batch, perPartialMs: batch.median / k, decode: st('decode'), gridSum: st('sum'), clusters: st('clusters'), onto: st('onto'), ontoGridSum: st('onto-sum'),
          clusterSummaries: clusterCount.get(`${s}/${k}`)!,
        }
      })
      for (const r of merge[s]) o.log(`  merge ${s} ${r.edges} edges: ${r.batch.median.toFixed(2)} ms (${r.perPartialMs.toFixed(2)} ms a partial; decode ${r.decode.median.toFixed(2)}, grid sum ${r.gridSum.median.toFixed(2)}, clusters ${r.clusters.median.toFixed(2)}); one more onto ${r.edges - 1}: ${r.onto.median.toFixed(2)} ms`)
    }
    const all = SCENARIOS.flatMap((s) => exact[s].map((r) => r.maxRelative))
    return { bytes, exactness: { ...exact, maxRelative: Math.max(...all) }, merge }
  } finally {
    await dp.close()
  }
}
