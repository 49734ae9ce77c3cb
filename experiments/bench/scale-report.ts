// The report of `npm run bench:scale`: efficiency against the one-worker run, the goals of issue 14 (met,
// missed by how much, or not measurable on this run/machine), Markdown tables and one SVG chart (req/s
// and efficiency against workers, a panel per body).
import { fmt } from '../lib/measure.js'
import type { DispatchResult } from './dispatch.js'
import { table } from '../lib/report.js'
import { miss } from '../hop/report.js'
import { MODE_COLORS } from './report.js'
import { groupedBars, type BarPanel } from './svg.js'

export const SCALE_MODES = ['shared', 'copy', 'http'] as const
export type ScaleMode = (typeof SCALE_MODES)[number]

export interface ScaleCpu {
  /** ms of CPU in the measured window */
  mainMs: number
  processMs: number
  /** the gateway's child processes (the http mode's function processes) */
  childrenMs: number
  wallMs: number
  /** per 2xx response, ms */
  mainMsPerRequest: number
  processMsPerRequest: number
  totalMsPerRequest: number
  /** main thread / whole process; main thread / (process + its children) */
  mainShareOfProcess: number
  mainShareOfTotal: number
  /** fraction of the window the main thread was on a CPU */
  mainBusy: number
  /** cores busy on average: the gateway process; it and its children */
  processCores: number
  totalCores: number
  threads: number
}

export interface ScaleRun {
  workers: number
  connections: number
  mode: ScaleMode
  points: number
  bodyBytes: number
  durationS: number
  /** 2xx responses in the window */
  requests: number
  rps: number
  latency: { p50: number; p90: number; p99: number; mean: number }
  errors: number
  timeouts: number
  non2xx: number
  /** why this run's figures are not to be trusted as they stand (errors, nothing answered, no /proc) */
  flags: string[]
  /** null off Linux */
  cpu: ScaleCpu | null
  /** the load generator (this process, autocannon) in cores over the window: it shares the machine */
  driverCores: number
  /** cores the rest of the machine (other processes) kept busy during the window: noise; NaN off Linux */
  othersCores: number
  /** ms waited for the gateway to go quiet after the warm-up */
  quietWaitMs: number
  /** means over 2xx responses from the gateway's headers (NaN when absent) */
  computeMs: number
  chainMs: number
  /** filled by efficiencies(): req/s ÷ (N/N₀ × req/s at N₀), N₀ the smallest worker count of the run */
  speedup?: number
  efficiency?: number
}

export interface ScaleData {
  quick: boolean
  settings: {
    workers: number[]
    modes: ScaleMode[]
    points: number[]
    tile: { z: number; x: number; y: number }
    durationS: number
    warmupS: number
    timeoutS: number
    connectionsPerWorker: number
    logLevel: string
    command: string
    clockTicks: number
    procAvailable: boolean
  }
  machine: { cpu: string; cores: number; availableParallelism: number; node: string; platform: string; memoryGiB: number }
  verify: Array<{ workers: number; points: number; modes: ScaleMode[]; modesIdentical: boolean; slowestMs: number }>
  runs: ScaleRun[]
  /** the fixed cost of one warm invocation, in process (null with --quick) */
  dispatch: DispatchResult | null
  goals: ScaleGoal[]
  chart: string | null
}

export interface ScaleGoal {
  goal: string
  target: string
  measured: string
  /** null: cannot be judged on this run or machine (the note says why) */
  met: boolean | null
  note: string
}

/** Other processes keeping this much of the machine busy during a run make it noise, not a measurement. */
export const NOISY_CORES = 0.25

export const pts = (n: number) => (n >= 1000 ? `${n / 1000}k` : String(n))
const ms = (v: number) => (Number.isFinite(v) ? fmt(v) : '–')
const pct = (v: number) => (Number.isFinite(v) ? `${(100 * v).toFixed(v < 0.1 ? 1 : 0)} %` : '–')
const x2 = (r: number) => (Number.isFinite(r) ? `${r.toFixed(2)}×` : '–')
const f2 = (v: number | undefined) => (v !== undefined && Number.isFinite(v) ? v.toFixed(2) : '–')
const rps = (v: number) => (v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2))

export function runFlags(r: Pick<ScaleRun, 'errors' | 'timeouts' | 'non2xx' | 'requests' | 'cpu'>, procAvailable: boolean): string[] {
  const f: string[] = []
  if (r.errors) f.push(`${r.errors} errors`)
  if (r.non2xx) f.push(`${r.non2xx} non-2xx`)
  if (r.timeouts) f.push(`${r.timeouts} timeouts`)
  if (!r.requests) f.push('no 2xx response')
  if (procAvailable && !r.cpu) f.push('no CPU figures (/proc unreadable)')
  return f
}

/** Speed-up and efficiency of every run against the same mode and body at the smallest worker count. */
export function efficiencies(runs: ScaleRun[]): void {
  for (const r of runs) {
    const same = runs.filter((o) => o.mode === r.mode && o.points === r.points)
    const base = same.reduce((a, b) => (b.workers < a.workers ? b : a))
    r.speedup = base.rps > 0 ? r.rps / base.rps : NaN
    r.efficiency = base.rps > 0 ? r.rps / ((r.workers / base.workers) * base.rps) : NaN
  }
}

/** miss(), but a ratio of zero (nothing answered) is said as such rather than "under by Infinity×". */
const missLow = (v: number, bound: number) => (v === 0 ? 'nothing answered in one of the runs' : miss(v, bound, false, x2))

const find = (runs: ScaleRun[], mode: string, points: number, workers: number) => runs.find((r) => r.mode === mode && r.points === points && r.workers === workers)
const warn = (r: ScaleRun | undefined) => (r?.flags.length ? ' ⚠' : '')

/** What the largest-N run of a mode and body says about where its time goes. */
function bottleneck(r: ScaleRun, cores: number): string {
  if (!r.cpu) return ''
  const parts: string[] = []
  if (r.cpu.mainBusy >= 0.85) parts.push(`the main thread is ${pct(r.cpu.mainBusy)} busy: it is the bottleneck`)
  const others = Number.isFinite(r.othersCores) ? r.othersCores : 0
  const used = r.cpu.totalCores + r.driverCores + others
  if (used >= 0.85 * cores) parts.push(`the machine is full: gateway ${r.cpu.totalCores.toFixed(2)} + load generator ${r.driverCores.toFixed(2)}${others >= 0.05 ? ` + other processes ${others.toFixed(2)}` : ''} of ${cores} cores`)
  else parts.push(`gateway ${r.cpu.totalCores.toFixed(2)} cores busy of ${r.workers} workers, main thread ${pct(r.cpu.mainBusy)}`)
  if (others >= NOISY_CORES && used < 0.85 * cores) parts.push(`other processes took ${others.toFixed(2)} cores`)
  return parts.join('; ')
}

export function scaleGoals(d: ScaleData): ScaleGoal[] {
  const goals: ScaleGoal[] = []
  const ws = d.settings.workers
  const top = Math.max(...ws), low = Math.min(...ws)
  const cores = d.machine.availableParallelism
  for (const n of d.settings.points) {
    for (const m of d.settings.modes) {
      const r = find(d.runs, m, n, top)
      if (!r) continue
      const share = r.cpu?.mainShareOfTotal ?? NaN
      const range = d.runs.filter((o) => o.mode === m && o.points === n && o.cpu).map((o) => o.cpu!.mainShareOfTotal)
      goals.push({
        goal: `main-thread CPU per request, ${m}, ${pts(n)}`, target: '≤ 3 % of the request\'s CPU',
        measured: r.cpu ? `${pct(share)} at N=${top} (${ms(r.cpu.mainMsPerRequest)} of ${ms(r.cpu.totalMsPerRequest)})${warn(r)}` : '–',
        met: r.cpu ? share <= 0.03 : null,
        note: !r.cpu ? 'no /proc on this machine' : [share <= 0.03 ? '' : miss(share * 100, 3, true, (v) => `${v.toFixed(1)} %`),
          range.length > 1 ? `${pct(Math.min(...range))}–${pct(Math.max(...range))} over N` : ''].filter(Boolean).join('; '),
      })
    }
  }
  for (const n of d.settings.points) {
    for (const m of d.settings.modes) {
      const r = find(d.runs, m, n, top)
      if (!r) continue
      const e = r.efficiency ?? NaN
      const judged = cores >= 16 && top >= 16 && low === 1
      const why = low !== 1 ? 'no N=1 run: efficiency is against the smallest N' : cores < 16 ? `this machine has ${cores} cores: the goal is for 16+` : top < 16 ? `largest N is ${top}` : ''
      goals.push({
        goal: `efficiency at the largest N, ${m}, ${pts(n)}`, target: '≥ 0.75 (16+ cores)',
        measured: top === low ? '– (one worker count)' : `${f2(e)} at N=${top}${warn(r)}${warn(find(d.runs, m, n, low))}`,
        met: judged ? e >= 0.75 : null,
        note: [top === low ? '' : why ? `${why}; here ${e >= 0.75 ? 'at or above' : 'below'} 0.75` : '', top === low || e >= 0.75 ? '' : bottleneck(r, cores)].filter(Boolean).join(' — '),
      })
    }
  }
  if (d.settings.modes.includes('shared') && d.settings.modes.includes('copy')) {
    const n = Math.max(...d.settings.points)
    const s = find(d.runs, 'shared', n, top), c = find(d.runs, 'copy', n, top)
    const s1 = find(d.runs, 'shared', n, low), c1 = find(d.runs, 'copy', n, low)
    const ratio = s && c && c.rps > 0 ? s.rps / c.rps : NaN
    goals.push({
      goal: `shared / copy req/s at ${pts(n)}`, target: '≥ 2× at 100k',
      measured: `${x2(ratio)} at N=${top}${warn(s)}${warn(c)}`,
      met: n >= 100_000 && Number.isFinite(ratio) ? ratio >= 2 : null,
      note: [n < 100_000 ? `largest body is ${pts(n)}, not 100k` : '', ratio >= 2 ? '' : missLow(ratio, 2),
        top !== low && s1 && c1 && c1.rps > 0 ? `${x2(s1.rps / c1.rps)} at N=${low}` : ''].filter(Boolean).join('; '),
    })
  }
  if (d.dispatch) {
    const us = d.dispatch.medianUs
    goals.push({
      goal: 'fixed cost of a warm invocation (dispatch)', target: '≤ 50 µs',
      measured: `${us.toFixed(0)} µs${d.dispatch.mainCpuUs !== null ? ` (main thread CPU ${d.dispatch.mainCpuUs.toFixed(0)} µs)` : ''}`,
      met: us <= 50, note: us <= 50 ? '' : miss(us, 50, true, (v) => `${v.toFixed(0)} µs`),
    })
  }
  for (const n of d.settings.points) {
    for (const m of d.settings.modes) {
      const one = find(d.runs, m, n, 1), two = find(d.runs, m, n, 2)
      if (!one && !two) continue
      const ratio = one && two && one.rps > 0 ? two.rps / one.rps : NaN
      goals.push({
        goal: `2 workers / 1, ${m}, ${pts(n)}`, target: '≥ 1.8×',
        measured: one && two ? `${x2(ratio)}${warn(one)}${warn(two)}` : '–',
        met: one && two ? ratio >= 1.8 : null,
        note: !(one && two) ? 'needs runs at N=1 and N=2' : ratio >= 1.8 ? '' : `${missLow(ratio, 1.8)}; ${bottleneck(two, cores)}`,
      })
    }
  }
  return goals
}

export function scaleGoalsTable(goals: ScaleGoal[]): string {
  return table(['goal', 'target', 'measured', 'met', 'note'], goals.map((g) => [g.goal, g.target, g.measured, g.met === null ? 'n/a' : g.met ? 'met' : '**missed**', g.note]))
}

function runsTable(d: ScaleData, n: number): string {
  const rows = d.runs.filter((r) => r.points === n).sort((a, b) => SCALE_MODES.indexOf(a.mode) - SCALE_MODES.indexOf(b.mode) || a.workers - b.workers)
  return table(
    ['mode', 'N', 'conns', 'req/s', 'p50', 'p99', 'requests', 'errors / non-2xx / timeouts', 'stage compute / req', 'main CPU / req', 'process CPU / req', 'children CPU / req', 'main / process CPU', 'main / all CPU', 'main busy', 'gateway cores', 'load gen. cores', 'others\' cores', 'speed-up', 'efficiency', 'flag'],
    rows.map((r) => {
      const c = r.cpu
      return [r.mode, r.workers, r.connections, rps(r.rps), ms(r.latency.p50), ms(r.latency.p99), r.requests, `${r.errors} / ${r.non2xx} / ${r.timeouts}`, ms(r.computeMs),
        c ? ms(c.mainMsPerRequest) : '–', c ? ms(c.processMsPerRequest) : '–', c ? (c.childrenMs > 0 ? ms(c.childrenMs / (r.requests || NaN)) : '0') : '–',
        c ? pct(c.mainShareOfProcess) : '–', c ? pct(c.mainShareOfTotal) : '–', c ? pct(c.mainBusy) : '–', c ? c.totalCores.toFixed(2) : '–', r.driverCores.toFixed(2),
        Number.isFinite(r.othersCores) ? `${r.othersCores.toFixed(2)}${r.othersCores >= NOISY_CORES ? ' ⚠' : ''}` : '–', x2(r.speedup ?? NaN), f2(r.efficiency), r.flags.length ? `⚠ ${r.flags.join(', ')}` : '']
    }),
  )
}

function efficiencyTable(d: ScaleData): string {
  const ws = d.settings.workers
  const rows: Array<Array<string | number>> = []
  for (const n of d.settings.points) {
    for (const m of d.settings.modes) {
      rows.push([pts(n), m, ...ws.map((w) => {
        const r = find(d.runs, m, n, w)
        return r ? `${rps(r.rps)} · ${f2(r.efficiency)}${warn(r)}` : '–'
      })])
    }
  }
  return table(['body', 'mode', ...ws.map((w) => `N=${w}`)], rows)
}

export function scaleMarkdown(d: ScaleData, machine: string): string {
  const st = d.settings
  const m = d.machine
  const out: string[] = ['# graticule bench:scale — the gateway from 1 worker to every core', '']
  if (d.quick) out.push('**Quick run (`--quick`): one worker count, one mode, one body, 2 s — a smoke test, not a measurement.**', '')
  out.push(`${machine}`, '')
  out.push(`CPU: ${m.cpu}; ${m.cores} logical cores (os.availableParallelism() = ${m.availableParallelism}); Node ${m.node}; ${m.platform}.`, '')
  out.push(`For each worker count N (${st.workers.join(', ')}) a gateway is started as a user starts it — \`${st.command}\` — in a process of its own; autocannon (programmatic API) drives it from this process with ${st.connectionsPerWorker}·N connections. For each body and mode: every mode first answers the same request (the answers must be byte for byte the same; this also starts the copy workers and http function processes), then ${st.warmupS} s of warm-up, a wait until the gateway is quiet, and ${st.durationS} s measured. Bodies: \`POST /chains/tile-heatmap/invoke?z=${st.tile.z}&x=${st.tile.x}&y=${st.tile.y}&mode=…\` with an MVT tile of ${st.points.map(pts).join(' and ')} points uniform over ${st.tile.z}/${st.tile.x}/${st.tile.y} (geojson-vt + vt-pbf).`, '')
  out.push(st.procAvailable
    ? `CPU from /proc before and after the measured window (clock ticks of 1/${st.clockTicks} s): **main** = the gateway's main thread (/proc/<pid>/task/<pid>/stat), **process** = all its threads (/proc/<pid>/stat), **children** = its child processes (http mode's function processes, live and reaped). "main / all CPU" is the main thread's share of everything a request cost (process + children); "main busy" is the main thread's CPU time over the window's wall time; "load gen. cores" is this process (autocannon) — it runs on the same machine; "others' cores" is what the rest of the machine kept busy meanwhile (/proc/stat less the gateway and this process; ⚠ from ${NOISY_CORES}); "stage compute / req" is the mean of the gateway's x-graticule-compute-ms (the faaslets' own time, in the workers). Efficiency = req/s ÷ (N/N₀ × req/s at N₀), N₀ = ${Math.min(...st.workers)}. ⚠ marks a run with errors, non-2xx, timeouts or no answer: its figures are shown, not averaged away.`
    : 'No /proc on this machine: CPU figures are not available.', '')
  const noisy = d.runs.filter((r) => r.othersCores >= NOISY_CORES)
  if (noisy.length) out.push(`**The machine was not quiet: other processes kept ≥ ${NOISY_CORES} cores busy during ${noisy.length} of ${d.runs.length} runs (up to ${Math.max(...noisy.map((r) => r.othersCores)).toFixed(2)} cores; "others' cores" below). Those figures are noise, not a measurement.**`, '')
  if (d.chart) out.push(`![req/s and efficiency against workers](${d.chart})`, '')
  out.push('## Correctness before speed', '')
  out.push(table(['N', 'body', 'modes', 'same bytes', 'slowest warm request'], d.verify.map((v) => [v.workers, pts(v.points), v.modes.join(', '), v.modesIdentical ? 'identical' : 'DIFFERENT', ms(v.slowestMs)])), '')
  out.push('## req/s · efficiency', '', efficiencyTable(d), '')
  for (const n of st.points) out.push(`## ${pts(n)} points (${((d.runs.find((r) => r.points === n)?.bodyBytes ?? 0) / 2 ** 20).toFixed(2)} MiB body)`, '', runsTable(d, n), '')
  if (d.dispatch) {
    const dd = d.dispatch
    out.push('## The fixed cost of an invocation', '', `A one-step plan (points-scale on one point) invoked ${dd.invocations} times in a row, ${dd.rounds} rounds, on an in-process dataplane of one worker: the plan checked, the input written, the task posted and answered, the invocation released — everything but the faaslet. Median ${dd.medianUs.toFixed(1)} µs per invocation (rounds: ${dd.roundsUs.map((u) => u.toFixed(0)).join(', ')} µs)${dd.mainCpuUs !== null ? `; the calling thread's CPU ${dd.mainCpuUs.toFixed(1)} µs per invocation` : ''}.`, '')
  }
  const flagged = d.runs.filter((r) => r.flags.length)
  out.push('## Flagged runs', '', flagged.length ? flagged.map((r) => `- N=${r.workers} ${r.mode} ${pts(r.points)}: ${r.flags.join(', ')}`).join('\n') : 'None: every run answered every request with a 2xx.', '')
  out.push('## Goals (issue 14)', '', scaleGoalsTable(d.goals), '')
  if (m.availableParallelism < 16) out.push(`The efficiency goal is set for 16+ cores; on ${m.availableParallelism} cores the load generator, the gateway's main thread and the workers share the machine, so efficiency here is indicative only.`, '')
  return out.join('\n')
}

export function scaleChart(d: ScaleData): string {
  const ws = d.settings.workers
  const panels: BarPanel[] = []
  const modes = d.settings.modes
  const group = (n: number, value: (r: ScaleRun) => number) => ws.map((w) => ({
    label: `N=${w}`, values: modes.map((m) => { const r = find(d.runs, m, n, w); return r ? value(r) : NaN }), colors: modes.map((m) => MODE_COLORS[m]),
  }))
  for (const n of d.settings.points) panels.push({ title: `req/s · ${pts(n)} points`, unit: 'requests / s', groups: group(n, (r) => r.rps) })
  for (const n of d.settings.points) panels.push({ title: `efficiency · ${pts(n)} points`, unit: `req/s ÷ (N × req/s at N=${Math.min(...ws)})`, groups: group(n, (r) => r.efficiency ?? NaN) })
  return groupedBars({
    title: 'Gateway throughput and efficiency against dataplane workers',
    subtitle: `${d.quick ? 'QUICK RUN — ' : ''}tile-heatmap z${d.settings.tile.z}; ${d.settings.connectionsPerWorker}·N connections, ${d.settings.durationS} s per run; ${d.machine.availableParallelism} cores, ${d.machine.cpu}`,
    series: modes.map((m) => ({ name: m, color: MODE_COLORS[m] })),
    panels, columns: d.settings.points.length, panelW: Math.max(300, 60 + ws.length * modes.length * 22),
  })
}
