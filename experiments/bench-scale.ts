// npm run bench:scale — how the gateway scales with its dataplane workers. For N = 1, 2, … up to the
// machine's cores, a gateway is started as a user starts it (`graticule serve --workers N --no-simulator`,
// 127.0.0.1, a child process stopped by its pid), and autocannon drives tile-heatmap with 2N connections
// in each mode (shared, copy, http) on a 100k- and a 10k-point z6 MVT tile. Per run: req/s, p50/p99,
// errors (a run with any is flagged), and from /proc the main thread's CPU per request and its share of
// the process's CPU; efficiency = req/s ÷ (N × req/s at N=1). Writes
// experiments/results/<date>-<host>-scale.{json,md,svg} and latest-scale.*.
//
//   npm run bench:scale [-- --quick] [--workers 1,2,4] [--max-workers M] [--duration 10] [--warmup 3]
//                       [--modes shared,copy,http] [--points 100000,10000] [--log-level warn] [--out dir]
import { mkdirSync, writeFileSync } from 'node:fs'
import { availableParallelism, cpus, totalmem } from 'node:os'
import { join, resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { machineLine } from './lib/measure.js'
import { RESULTS_DIR, resultName, writeResults } from './lib/report.js'
import { drive } from './bench/load.js'
import type { Target } from './bench/matrix.js'
import { Progress } from './bench/progress.js'
import { verify } from './bench/verify.js'
import { measureDispatch } from './bench/dispatch.js'
import { clockTicks, cpuSample, GatewayProcess, machineBusyMs, waitQuiet } from './bench/scale-gateway.js'
import { SCALE_TILE, uniformTile } from './bench/scale-inputs.js'
import { efficiencies, pts, runFlags, SCALE_MODES, scaleChart, scaleGoals, scaleMarkdown, type ScaleData, type ScaleMode, type ScaleRun } from './bench/scale-report.js'

const { values } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    out: { type: 'string' },
    workers: { type: 'string' },
    'max-workers': { type: 'string' },
    duration: { type: 'string' },
    warmup: { type: 'string' },
    modes: { type: 'string' },
    points: { type: 'string' },
    'log-level': { type: 'string' },
    timeout: { type: 'string' },
    help: { type: 'boolean', short: 'h', default: false },
  },
})

if (values.help) {
  console.log(`usage: npm run bench:scale [-- options]

  --quick              1 worker, shared, the 10k tile, 2 s (a smoke test)
  --workers 1,2,4      worker counts (default: 1, 2, 3, 4, then doubling, and the core count, up to --max-workers)
  --max-workers M      largest worker count (default: os.availableParallelism())
  --duration S         seconds measured per run (default 10; quick 2)
  --warmup S           seconds of warm-up before each run (default 3; quick 0.5)
  --modes a,b          of shared, copy, http (default all; quick shared)
  --points a,b         points in the tile bodies (default 100000,10000; quick 10000)
  --log-level L        the gateway's --log-level (default warn: no line per request)
  --timeout S          a request slower than this counts as a timeout (default 60)
  --out DIR            where the JSON, Markdown and SVG go (default experiments/results)`)
  process.exit(0)
}

const fail = (msg: string): never => {
  console.error(`bench:scale: ${msg}`)
  process.exit(2)
}
const list = (s: string) => s.split(',').map((v) => v.trim()).filter(Boolean)
const positive = (name: string, v: string | undefined, dflt: number, integer = false): number => {
  if (v === undefined) return dflt
  const n = Number(v)
  if (!(n > 0) || (integer && !Number.isInteger(n))) fail(`--${name} wants a positive ${integer ? 'integer' : 'number'}, got ${v}`)
  return n
}

const quick = values.quick
const cores = Math.max(1, availableParallelism())
const maxWorkers = positive('max-workers', values['max-workers'], quick ? 1 : cores, true)
/** 1, 2, 3, 4, then doubling, and the core count itself: every small N, and the shape beyond. */
function defaultWorkers(max: number): number[] {
  const ws = new Set<number>()
  for (let w = 1; w <= Math.min(4, max); w++) ws.add(w)
  for (let w = 8; w <= max; w *= 2) ws.add(w)
  ws.add(max)
  return [...ws].sort((a, b) => a - b)
}
const workers = values.workers
  ? [...new Set(list(values.workers).map((w) => positive('workers', w, 1, true)))].filter((w) => w <= maxWorkers || values['max-workers'] === undefined).sort((a, b) => a - b)
  : defaultWorkers(maxWorkers)
if (!workers.length) fail(`no worker count left under --max-workers ${maxWorkers}`)
const modes = (values.modes ? list(values.modes) : quick ? ['shared'] : [...SCALE_MODES]) as ScaleMode[]
for (const m of modes) if (!SCALE_MODES.includes(m)) fail(`unknown mode ${m} (shared, copy, http)`)
const points = (values.points ? list(values.points).map((p) => positive('points', p, 1, true)) : quick ? [10_000] : [100_000, 10_000])
const durationS = positive('duration', values.duration, quick ? 2 : 10)
const warmupS = values.warmup === '0' ? 0 : positive('warmup', values.warmup, quick ? 0.5 : 3)
const timeoutS = positive('timeout', values.timeout, 60)
const logLevel = values['log-level'] ?? 'warn'
const outDir = resolve(values.out ?? RESULTS_DIR)
const CONNECTIONS_PER_WORKER = 2
const procAvailable = cpuSample(process.pid) !== null

const machine = machineLine()
const perN = (n: number) => 6 + points.reduce((a, p) => a + (p >= 100_000 ? 4 : 2) * modes.length, 0) + points.length * modes.length * (warmupS + durationS + 1)
const progress = new Progress(2 + workers.reduce((a, w) => a + perN(w), 0) + 1)
progress.log(`bench:scale: ${machine}`)
progress.log(`bench:scale: workers ${workers.join(', ')} × modes ${modes.join(', ')} × ${points.map(pts).join(', ')} points, ${durationS} s each (+${warmupS} s warm-up): ≈ ${Math.ceil((workers.length * perN(0)) / 60)} min`)
if (!procAvailable) progress.log('bench:scale: no /proc here (not Linux?): CPU figures will be missing')

// ─── inputs ──────────────────────────────────────────────────────────────────────────────────────────
progress.step('inputs: uniform z6 tiles (geojson-vt + vt-pbf)', 2)
const bodies = new Map(points.map((n) => [n, uniformTile(n)]))
const q = `z=${SCALE_TILE.z}&x=${SCALE_TILE.x}&y=${SCALE_TILE.y}`
const target = (n: number, mode: ScaleMode): Target => ({
  chain: 'tile-heatmap', points: n, mode, path: `/chains/tile-heatmap/invoke?${q}&mode=${mode}`, body: bodies.get(n)!, contentType: 'application/vnd.mapbox-vector-tile',
})

// ─── runs ────────────────────────────────────────────────────────────────────────────────────────────
const runs: ScaleRun[] = []
const verified: ScaleData['verify'] = []
let current: GatewayProcess | null = null
const interrupted = (signal: NodeJS.Signals) => {
  current?.killNow()
  console.error(`\nbench:scale: ${signal}: stopped the gateway (pid ${current?.pid ?? '–'})`)
  process.exit(130)
}
process.once('SIGINT', interrupted)
process.once('SIGTERM', interrupted)

const mean = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : NaN)

for (const n of workers) {
  progress.step(`N=${n}: starting the gateway`, 6)
  const gw = (current = await GatewayProcess.start({ workers: n, logLevel }))
  progress.log(`bench:scale: N=${n}: gateway pid ${gw.pid} at ${gw.url}`)
  try {
    for (const p of points) {
      progress.step(`N=${n} ${pts(p)}: every mode gives the same answer (and warms up)`, (p >= 100_000 ? 4 : 2) * modes.length)
      const v = await verify(gw.url, modes.map((m) => target(p, m)), n)
      verified.push({ workers: n, points: p, modes, modesIdentical: v.modesIdentical, slowestMs: v.slowestMs })
      gw.note()
      for (const mode of modes) {
        progress.step(`N=${n} ${pts(p)} ${mode}: ${warmupS} s warm-up, ${durationS} s measured, ${CONNECTIONS_PER_WORKER * n} connections`, warmupS + durationS + 1)
        const t = target(p, mode)
        const spec = { url: gw.url + t.path, body: t.body, contentType: t.contentType, connections: CONNECTIONS_PER_WORKER * n, timeoutS }
        if (warmupS > 0) await drive({ ...spec, durationS: warmupS })
        const quietWaitMs = await waitQuiet(gw.pid, timeoutS * 1000)
        gw.note()
        const before = cpuSample(gw.pid)
        const machine0 = machineBusyMs()
        const driver0 = process.cpuUsage()
        const t0 = performance.now()
        const load = await drive({ ...spec, durationS })
        const after = cpuSample(gw.pid)
        const machine1 = machineBusyMs()
        const wallMs = performance.now() - t0
        const driverUse = process.cpuUsage(driver0)
        gw.note()
        if (gw.exited) throw new Error(`the gateway exited during N=${n} ${pts(p)} ${mode}:\n${gw.stderr}`)
        const ok = load.ok
        let cpu: ScaleRun['cpu'] = null
        if (before && after) {
          const w = after.at - before.at
          const mainMs = after.mainMs - before.mainMs, processMs = after.processMs - before.processMs
          const childrenMs = Math.max(0, after.childrenMs - before.childrenMs)
          const total = processMs + childrenMs
          cpu = {
            mainMs, processMs, childrenMs, wallMs: w,
            mainMsPerRequest: ok ? mainMs / ok : NaN, processMsPerRequest: ok ? processMs / ok : NaN, totalMsPerRequest: ok ? total / ok : NaN,
            mainShareOfProcess: processMs > 0 ? mainMs / processMs : NaN, mainShareOfTotal: total > 0 ? mainMs / total : NaN,
            mainBusy: mainMs / w, processCores: processMs / w, totalCores: total / w, threads: after.threads,
          }
        }
        const h = load.samples.withHeaders
        const run: ScaleRun = {
          workers: n, connections: spec.connections, mode, points: p, bodyBytes: t.body.byteLength, durationS: load.durationS,
          requests: ok, rps: load.rps,
          latency: { p50: load.latency.median, p90: load.latency.p90, p99: load.latency.p99, mean: load.latency.mean },
          errors: load.errors, timeouts: load.timeouts, non2xx: load.non2xx, flags: [], cpu,
          driverCores: (driverUse.user + driverUse.system) / 1000 / wallMs, quietWaitMs,
          // the machine's busy time, less the gateway's and this process's: what everything else took
          othersCores: machine0 !== null && machine1 !== null && cpu ? Math.max(0, (machine1 - machine0) / wallMs - cpu.totalCores - (driverUse.user + driverUse.system) / 1000 / wallMs) : NaN,
          computeMs: mean(h.computeMs), chainMs: mean(h.chainMs),
        }
        run.flags = runFlags(run, procAvailable)
        runs.push(run)
        progress.log(`  N=${n} ${pts(p)} ${mode}: ${run.rps.toFixed(1)} req/s, p50 ${run.latency.p50.toFixed(1)} ms, p99 ${run.latency.p99.toFixed(1)} ms${cpu ? `, main ${cpu.mainMsPerRequest.toFixed(2)} ms/req (${(100 * cpu.mainShareOfTotal).toFixed(1)} % of its CPU), main busy ${(100 * cpu.mainBusy).toFixed(0)} %` : ''}${run.othersCores > 0.25 ? `, other processes ${run.othersCores.toFixed(2)} cores` : ''}${run.flags.length ? `  ⚠ ${run.flags.join(', ')}` : ''}`)
      }
    }
  } finally {
    await gw.stop()
    current = null
  }
}
process.off('SIGINT', interrupted)
process.off('SIGTERM', interrupted)

// ─── report ──────────────────────────────────────────────────────────────────────────────────────────
progress.step('writing the report', 1)
efficiencies(runs)
const c = cpus()
const data: ScaleData = {
  quick,
  settings: {
    workers, modes, points, tile: SCALE_TILE, durationS, warmupS, timeoutS, connectionsPerWorker: CONNECTIONS_PER_WORKER, logLevel,
    command: `graticule ${GatewayProcess.argsFor({ workers: 0, logLevel }).join(' ').replace('--workers 0', '--workers N')}`,
    clockTicks: procAvailable ? clockTicks() : 0, procAvailable,
  },
  machine: { cpu: c[0]?.model ?? 'unknown', cores: c.length, availableParallelism: cores, node: process.version, platform: `${process.platform}-${process.arch}`, memoryGiB: Math.round(totalmem() / 2 ** 30) },
  verify: verified, runs, dispatch: quick ? null : await measureDispatch(), goals: [], chart: null,
}
data.goals = scaleGoals(data)
const base = resultName('scale')
mkdirSync(outDir, { recursive: true })
data.chart = `${base}.svg`
const svg = scaleChart(data)
writeFileSync(join(outDir, data.chart), svg)
writeFileSync(join(outDir, 'latest-scale.svg'), svg)
const md = scaleMarkdown(data, machine)
const written = writeResults('scale', data, md, outDir)
progress.finish('done')
console.log(md)
console.error(`bench:scale: wrote ${written.json}, ${written.markdown} and ${data.chart} in ${outDir}`)
