// The report of `npm run bench:edge`: the goals of issue 17 (met or missed, and why), Markdown tables and the bytes
// chart (a panel per scenario and window size, each on its own linear scale: partial, raw partial, sensor records).
import { fmt, type Stats } from '../lib/measure.js'
import { table } from '../lib/report.js'
import { describeTileSet } from '../../gateway/cloud/merge.js'
import type { TileSet } from '../../gateway/partials/partial.js'
import type { BytesRow, InProcessData } from './edge-bytes.js'
import { SCENARIOS, type Scenario } from './edge-inputs.js'
import type { LatencyData } from './edge-latency.js'
import { NOISY_CORES, pts } from './scale-report.js'
import { groupedBars, type BarPanel } from './svg.js'

export const RATIO_GOAL = 20
export const GOAL_POINTS = 10_000
export const EXACT_GOAL = 1e-9

export interface EdgeGoal {
  goal: string
  target: string
  measured: string
  /** null: not measured in this run */
  met: boolean | null
  note: string
}

export interface EdgeBenchData extends InProcessData {
  quick: boolean
  settings: {
    windowMs: number
    points: number[]
    tileSets: Record<Scenario, TileSet>
    scenarios: Record<Scenario, string>
    exactEdges: number
    mergeEdges: number[]
    dataplaneWorkers: number
  }
  machine: { cpu: string; cores: number; node: string; platform: string; memoryGiB: number }
  latency: LatencyData | null
  /** why there is no latency part (--no-latency, or what failed) */
  latencySkipped: string | null
  goals: EdgeGoal[]
  chart: string | null
}

export const SCENARIO_NAMES: Record<Scenario, string> = { local: 'local edges', world: 'world-spread edge' }

const kib = (b: number) => (b >= 1 << 20 ? `${(b / (1 << 20)).toFixed(2)} MiB` : b >= 1024 ? `${(b / 1024).toFixed(1)} KiB` : `${b.toFixed(0)} B`)
const x1 = (r: number) => (Number.isFinite(r) ? `${r.toFixed(r < 10 ? 2 : 1)}×` : '–')
const ms = (v: number | undefined) => (v !== undefined && Number.isFinite(v) ? fmt(v) : '–')
const sci = (v: number) => (v === 0 ? '0' : Number.isFinite(v) ? v.toExponential(2) : 'Infinity (a cell zero in one grid only)')
/** whole ms (the latencies are Date.now() differences) */
const ims = (v: number | undefined) => (v !== undefined && Number.isFinite(v) ? `${v.toFixed(0)} ms` : '–')
const med = (s: Stats | null | undefined) => (s ? ims(s.median) : '–')

/** A count to two significant digits: 5.7k, 60k. */
const about = (n: number) => (n >= 1000 ? `${Number((n / 1000).toPrecision(2))}k` : String(Number(n.toPrecision(2))))

/** Points a window from which the partial is ≥ `goal`× smaller than raw (raw grows by its bytes a point, the partial hardly). */
function breakEven(r: BytesRow, goal: number): number {
  return Math.ceil((goal * r.partial) / r.rawBytesPerPoint)
}

export function edgeGoals(d: EdgeBenchData): EdgeGoal[] {
  const goals: EdgeGoal[] = []
  for (const s of SCENARIOS) {
    const r = d.bytes[s].find((b) => b.points === GOAL_POINTS)
    const ex = d.exactness[s].find((e) => e.points === GOAL_POINTS)
    if (!r) {
      goals.push({ goal: `upstream bytes, ${SCENARIO_NAMES[s]}`, target: `≥ ${RATIO_GOAL}× fewer than raw at ${pts(GOAL_POINTS)} points a window, exact grids`, measured: '–', met: null, note: `no ${pts(GOAL_POINTS)} run` })
      continue
    }
    const exact = ex ? ex.maxRelative <= EXACT_GOAL : false
    const met = r.ratio >= RATIO_GOAL && exact
    const big = d.bytes[s].at(-1)!
    const cost = `the partial is its grid: ${r.nonZeroCells.toFixed(0)} non-zero f64 cells of ${r.perEdge[0].cells} at ${r.gridBytesPerNonZeroCell.toFixed(1)} B each after deflate (the low mantissa bytes of kernel sums are noise to it) = ${kib(r.gridPacked)} — it grows with the area the points light up, not with their number; raw costs ${r.rawBytesPerPoint.toFixed(1)} B a point`
    const note = met
      ? `${cost}: ${RATIO_GOAL}× from ~${about(breakEven(r, RATIO_GOAL))} points a window${big.points > r.points ? `; ${x1(big.ratio)} at ${pts(big.points)}` : ''}`
      : `${r.ratio < RATIO_GOAL ? `under by ${(RATIO_GOAL / r.ratio).toFixed(2)}×: ` : ''}${cost}, so ${RATIO_GOAL}× would need ~${about(breakEven(r, RATIO_GOAL))} points a window even if the grid stopped growing${big.points > r.points ? ` (${x1(big.ratio)} at ${pts(big.points)})` : ''}${s === 'world' ? `; the world at zoom ${d.settings.tileSets.world.zoom} with sensors on every continent lights up ${((100 * r.nonZeroCells) / r.perEdge[0].cells).toFixed(0)} % of the grid` : ''}${exact ? '' : '; the merged grid is not exact'}`
    goals.push({
      goal: `upstream bytes, ${SCENARIO_NAMES[s]}`, target: `≥ ${RATIO_GOAL}× fewer than raw at ${pts(GOAL_POINTS)} points a window, exact grids`,
      measured: `${x1(r.ratio)} (partial ${kib(r.partial)}, raw ${kib(r.raw)}); merged grid max rel. diff ${ex ? sci(ex.maxRelative) : '–'}`, met, note,
    })
  }
  for (const s of SCENARIOS) {
    const worst = Math.max(...d.exactness[s].map((e) => e.maxRelative))
    goals.push({
      goal: `merged grid = central grid, ${SCENARIO_NAMES[s]}`, target: `max relative difference ≤ ${EXACT_GOAL}`,
      measured: `${sci(worst)} over ${d.exactness[s].map((e) => pts(e.points)).join(', ')} points a window × ${d.settings.exactEdges} edges`,
      met: worst <= EXACT_GOAL && d.exactness[s].every((e) => e.countsAdd),
      note: [d.exactness[s].every((e) => e.countsAdd) ? 'f64 cells summed by grid-combine: only the order of the additions differs from the central run' : 'counts do not add up',
        d.exactness[s].some((e) => e.negativeValues > 0)
          ? `the values (the kernel's weights) have both signs (${d.exactness[s].map((e) => `${e.negativeValues} of ${e.points * d.settings.exactEdges}`).join(', ')} below zero): where a cell's terms cancel, its relative rounding grows; against the sum of the terms' magnitudes the difference is at most ${sci(Math.max(...d.exactness[s].map((e) => e.maxRelativeToMagnitude)))}`
          : 'every value ≥ 0: no cancellation'].join('; '),
    })
  }
  return goals
}

function bytesTable(rows: BytesRow[]): string {
  return table(
    ['points a window', 'partial', 'of which grid', 'non-zero cells', 'grid B / non-zero cell', 'clusters', 'raw partial', 'raw B / point', '**raw ÷ partial**', 'sensor JSON lines', 'sensor msgpack', 'sensor msgpack columns', 'JSON lines ÷ partial'],
    rows.map((r) => [pts(r.points), kib(r.partial), kib(r.gridPacked), `${r.nonZeroCells.toFixed(0)} of ${r.perEdge[0].cells}`, r.gridBytesPerNonZeroCell.toFixed(2), r.clusters.toFixed(0), kib(r.raw),
      r.rawBytesPerPoint.toFixed(1), `**${x1(r.ratio)}**`, kib(r.sensorJsonLines), kib(r.sensorMsgpack), kib(r.sensorMsgpackColumns), x1(r.ratioJson)]),
  )
}

function latencySection(l: LatencyData, cores: number, out: string[]): void {
  const st = l.settings
  out.push(`One edge and one cloud gateway, each started as a user starts them (\`--workers ${st.workers}\`, child processes of this one, stopped by their pids), on ${l.broker.started ? `a broker started for the run (startBroker, free ports, a temp dir; up in ${((l.broker.startMs ?? 0) / 1000).toFixed(1)} s)` : `the broker at ${l.broker.brokers} (--kafka)`}. A producer here sends ${st.sensors} sensors of ${st.city} (a ${pts(st.sensors)}-sensor local fleet) at ${st.rate} points/s in real time — event time = wall clock, a batch every 20 ms — to the edge's sensors topic (${st.partitions} partition); windows of ${st.windowMs} ms, lateness ${st.latenessMs} ms, the local tile set. A consumer here reads the global topic. For each window W: **latency = when W's first global result reached that consumer − (W's end + lateness)**, the first moment W could close. ${st.warmupS} s of warm-up are not measured; then ${st.durationS} s, every window closed by the watermark in them. "Edge sealed" and "cloud merge began" are measured from the same moment, at the edge's sealedAt and the cloud's mergedAt (the global result carries both; one machine, one clock): the edge's share of the latency, then the spool, the uplink and the cloud's consumer; "merge" is the cloud's own figure (mergeMs: the grid sum and the clusters; a raw partial's chain run comes before it). "Uplink bytes / record" is the edge's graticule_edge_uplink_sent_bytes_total ÷ records over the run.`, '')
  out.push(`Edge: \`${st.commandEdge}\``, '', `Cloud: \`${st.commandCloud}\``, '')
  out.push(table(
    ['uplink', 'windows', '**latency median**', '**p99**', 'min – max', 'edge sealed (median)', 'cloud merge began (median)', 'merge (median)', 'uplink bytes / record', 'points counted = produced', 'edge cores', 'cloud cores', 'broker cores', 'bench cores', "others' cores"],
    l.runs.map((r) => [r.uplink, `${r.windows.length}${r.missing.length ? ` (+${r.missing.length} missing ⚠)` : ''}`, `**${med(r.latency)}**`, `**${r.latency ? ims(r.latency.p99) : '–'}**`,
      r.windows.length ? `${ims(Math.min(...r.windows.map((w) => w.received)))} – ${ims(Math.max(...r.windows.map((w) => w.received)))}` : '–',
      med(r.sealed), med(r.mergeStart), r.windows.length ? ms([...r.windows.map((w) => w.mergeMs)].sort((a, b) => a - b)[r.windows.length >> 1]) : '–',
      r.uplinkBytesPerWindow !== null ? kib(r.uplinkBytesPerWindow) : '–', r.countMismatches ? `⚠ ${r.countMismatches} windows differ` : 'every window',
      r.cores.edge.toFixed(2), r.cores.cloud.toFixed(2), r.cores.broker !== null ? r.cores.broker.toFixed(2) : 'outside', r.cores.bench.toFixed(2),
      Number.isFinite(r.cores.others) ? `${r.cores.others.toFixed(2)}${r.cores.others >= NOISY_CORES ? ' ⚠' : ''}` : '–']),
  ), '')
  const noisy = l.runs.filter((r) => r.cores.others >= NOISY_CORES)
  const ours = l.runs.map((r) => r.cores.edge + r.cores.cloud + (r.cores.broker ?? 0) + r.cores.bench)
  if (noisy.length) out.push(`**The machine was not quiet: other processes kept ≥ ${NOISY_CORES} cores busy during ${noisy.map((r) => r.uplink).join(' and ')} (up to ${Math.max(...noisy.map((r) => r.cores.others)).toFixed(2)} of ${cores} cores; "others' cores"). Those latencies include waiting for a CPU.**`, '')
  const counts = [...new Set(l.runs.map((r) => r.windows.length))].sort((a, b) => a - b)
  out.push(`p99 over ${counts.join('–')} windows is close to their maximum. The edge, the cloud, the broker and this process together kept ${ours.map((c) => c.toFixed(2)).join(' and ')} cores busy. Edge, broker and cloud share one machine: the uplink is loopback, so its bytes cost little time here; what differs between the runs is where the window-partial chain runs (on the edge for partials, in the cloud for raw points) and how much the records weigh on the broker and the consumers.`, '')
}

export function edgeMarkdown(d: EdgeBenchData, machineLine: string): string {
  const st = d.settings
  const out: string[] = ['# graticule bench:edge — what an edge sends upstream, what merging costs, how soon the global result', '']
  if (d.quick) out.push(`**Quick run (\`--quick\`): ${st.points.map(pts).join(' and ')} points a window, few merge rounds${d.latency ? ', a short latency run' : ''} — a smoke test, not a measurement.**`, '')
  out.push(machineLine, '')
  out.push(`Two scenarios, deterministic (seeded), one window of ${st.windowMs} ms per edge, every sensor once in it (n points = n sensors, named as the simulator names them):`, '')
  for (const s of SCENARIOS) out.push(`- **${SCENARIO_NAMES[s]}**: ${st.scenarios[s]}; tile set ${describeTileSet(st.tileSets[s])}.`)
  out.push('', `Bytes are the Kafka record value an edge's uplink sends for the window (\`encodePartial\`; the edge's \`encodePartialAsync\` gives the same bytes): the **partial** — counts, value statistics, bbox, the window-partial chain's f64 grid and cluster summaries, float columns as deflated byte planes — and the **raw partial** (\`--uplink raw\`: the points instead of grid and clusters). Beside them, the sensors' own records of the same points as \`gateway/ingest/sensor-record.ts\` encodes them: JSON lines (one point a line), one msgpack array, msgpack columns. Figures are means over ${st.exactEdges} edges (each edge's in the JSON).`, '')
  if (d.chart) out.push(`![bytes per window: partial vs raw](${d.chart})`, '')
  out.push('## Upstream bytes per window, partial vs raw', '')
  for (const s of SCENARIOS) out.push(`### ${SCENARIO_NAMES[s]}`, '', bytesTable(d.bytes[s]), '')
  out.push('## Exactness: the cloud\'s merge against the chain on the union', '')
  out.push(`${st.exactEdges} edges' encoded partials merged by the cloud's \`PartialMerger\` (decoded, tile sets checked, grids summed by grid-combine, clusters merged), against \`window-partial\` run centrally on the union of their points. Relative difference per cell, |merged − central| / |central|. The values weigh the kernel and some are below zero (sub-zero temperatures), so a cell's terms can cancel: "÷ magnitude sum" divides the same difference by the central grid of the values' magnitudes — the rounding a sum of that many terms carries, free of cancellation.`, '')
  out.push(table(['scenario', 'points a window per edge', 'edges', 'cells (non-zero)', '**max relative difference**', 'max absolute difference', 'max difference ÷ magnitude sum', 'values < 0', 'counts add up'],
    SCENARIOS.flatMap((s) => d.exactness[s].map((e) => [SCENARIO_NAMES[s], pts(e.points), e.edges.join(', '), `${e.cells} (${e.nonZeroCells})`, `**${sci(e.maxRelative)}**`, sci(e.maxAbsolute), sci(e.maxRelativeToMagnitude), e.negativeValues, e.countsAdd ? 'yes' : '**no**']))), '')
  out.push(`Largest over everything: **${sci(d.exactness.maxRelative)}**.`, '')
  out.push('## Cloud merge cost', '')
  out.push(`Partials of ${pts(d.merge.points)} points a window; one dataplane of ${st.dataplaneWorkers} worker in this process (the cloud merges one window at a time). **whole merge** = \`PartialMerger.merge\` of the k encoded records of a window (decode, checks, one grid-combine call, one clustering of every edge's summaries, bookkeeping) — what a cloud does when a window's partials come in one fetch; **per partial** = that ÷ k. Its parts, timed alone: decoding k records, the grid sum (one grid-combine of k grids), the clusters (one run over the k edges' summaries). **k-th onto k − 1** = one partial merged onto a window already holding k − 1 edges (partials arriving one by one: a 2-grid sum, and every edge's summaries clustered again). Medians of ${d.merge.repeats} rounds after ${d.merge.warmup} of warm-up, ${d.merge.order}.`, '')
  for (const s of SCENARIOS) {
    out.push(`### ${SCENARIO_NAMES[s]}`, '')
    out.push(table(['edges k', 'whole merge', '**per partial**', 'decode k', 'grid sum of k', 'clusters (summaries)', '**k-th onto k − 1**', 'of which grid sum of 2', 'whole merge p90'],
      d.merge[s].map((r) => [r.edges, ms(r.batch.median), `**${ms(r.perPartialMs)}**`, ms(r.decode.median), ms(r.gridSum.median), `${ms(r.clusters.median)} (${r.clusterSummaries})`, `**${ms(r.onto.median)}**`, ms(r.ontoGridSum.median), ms(r.batch.p90)])), '')
  }
  if (Number.isFinite(d.merge.othersCores)) out.push(`Other processes kept ${d.merge.othersCores.toFixed(2)} cores busy while these were timed${d.merge.othersCores >= NOISY_CORES ? ' — **not quiet: the times include waiting for a CPU**' : ''}.`, '')
  out.push('## End-to-end latency (Kafka)', '')
  if (d.latency) latencySection(d.latency, d.machine.cores, out)
  else out.push(`Not measured: ${d.latencySkipped ?? 'skipped'}.`, '')
  out.push('## Goals (issue 17)', '')
  out.push(table(['goal', 'target', 'measured', 'met', 'note'], d.goals.map((g) => [g.goal, g.target, g.measured, g.met === null ? 'n/a' : g.met ? 'met' : '**missed**', g.note])), '')
  return out.join('\n')
}

export const BYTE_SERIES = [
  { name: 'partial (grid + clusters)', color: '#1b9e77' },
  { name: 'raw partial', color: '#d95f02' },
  { name: 'sensor msgpack', color: '#7570b3' },
  { name: 'sensor JSON lines', color: '#999999' },
]

const SHORT: Record<Scenario, string> = { local: 'local', world: 'world' }

export function edgeChart(d: EdgeBenchData): string {
  const columns = d.settings.points.length
  const panels: BarPanel[] = SCENARIOS.flatMap((s) => d.bytes[s].map((r) => ({
    title: `${SHORT[s]} · ${pts(r.points)}: raw ÷ partial ${x1(r.ratio)}`, unit: 'KiB per window',
    groups: [{ label: 'bytes upstream a window', values: [r.partial, r.raw, r.sensorMsgpack, r.sensorJsonLines].map((b) => b / 1024) }],
  })))
  const t = d.settings.tileSets
  return groupedBars({
    title: 'Bytes an edge sends upstream per window: partial vs raw points',
    subtitle: `${d.quick ? 'QUICK RUN — ' : ''}points a window per edge; each panel on its own linear scale · local edges: Europe z${t.local.zoom}, ${t.local.size} cells a tile, radius ${t.local.radius} · world-spread edge: the world at z${t.world.zoom}, radius ${t.world.radius}`,
    series: BYTE_SERIES, panels, columns, panelW: Math.max(330, Math.ceil(720 / columns)),
  })
}
