// npm run soak -- --seconds 60 — the gateway under sustained load: chain invocations at a fraction (80 %)
// of the peak measured first, plus the built-in sensor simulator at a high rate, for --seconds. Every 5 s
// it prints RSS, heap, arena bytes in use (and high-water), event-loop delay and request/error counts; at
// the end it tests whether RSS and arena use stayed flat over the second half and whether there was any
// error, and exits 1 if not.
//
// The gateway runs in this process (so its memory and event loop are what is measured); autocannon runs in
// a child process (so generating load does not show up as the gateway's own cost).
//
// Flatness: the least-squares slope of the series' floor (the minimum of each 5 s bucket) over the second
// half. Garbage collection makes RSS a sawtooth of tens of MiB and in-flight invocations make arena use
// jitter by their size; a leak raises the floor and keeps raising it, so the floor is what is fitted.
//   RSS:   < 8 MiB/min. A leak of one 64 KiB chunk (the arena's unit) per second — invisible in a single
//          request — is 3.75 MiB/min of arena and more of RSS; a retained request body (~40 KB) at
//          the soak's rate is tens of MiB/min. The limit sits above the floor drift measured on healthy
//          runs (JIT, caches reaching their bounds; see the report) and far below those leaks.
//   arena: < 64 KiB/s of floor growth, and exactly 0 bytes in use once the load is drained. The arena is
//          counted in 64 KiB chunks and every leaked chunk stays owned: after the drain the count is exact.
import { fork } from 'node:child_process'
import { availableParallelism } from 'node:os'
import { parseArgs } from 'node:util'
import { buildGateway } from '../gateway/app.js'
import { cannon, floorSlope, soakCsv, SoakMonitor, type CannonResult } from '../tests/reliability/helpers.js'

const RSS_LIMIT_MIB_PER_MIN = 8
const ARENA_LIMIT_BYTES_PER_S = 64 * 1024

type LoadMessage =
  | { type: 'peak'; rps: number }
  | { type: 'counts'; ok: number; errors: number }
  | { type: 'done'; result: CannonResult; peak: CannonResult }

interface LoadOptions { url: string; seconds: number; connections: number; fraction: number; points: number; peakSeconds: number }

/** The child: measure the peak briefly, then hold `fraction` of it for `seconds`, reporting counts every second. */
async function load(o: LoadOptions): Promise<void> {
  const body = soakCsv(o.points)
  await cannon(o.url, { connections: o.connections, seconds: 2, body }).done // warm-up: JIT, worker instances
  const peak = await cannon(o.url, { connections: o.connections, seconds: o.peakSeconds, body }).done
  const rps = (peak.requests.total - peak.non2xx) / peak.duration
  process.send!({ type: 'peak', rps } satisfies LoadMessage)
  const run = cannon(o.url, { connections: o.connections, seconds: o.seconds, rate: Math.max(1, Math.round(rps * o.fraction)), body })
  const timer = setInterval(() => process.send!({ type: 'counts', ...run.counts } satisfies LoadMessage), 1_000)
  const result = await run.done
  clearInterval(timer)
  process.send!({ type: 'counts', ...run.counts } satisfies LoadMessage)
  process.send!({ type: 'done', result, peak } satisfies LoadMessage)
}

const mib = (b: number) => (b / 2 ** 20).toFixed(1)

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      seconds: { type: 'string', default: '60' },
      workers: { type: 'string', default: String(Math.max(1, availableParallelism())) },
      connections: { type: 'string', default: '8' },
      fraction: { type: 'string', default: '0.8' },
      points: { type: 'string', default: '2000' },
      'peak-seconds': { type: 'string', default: '5' },
      sensors: { type: 'string', default: '5000' },
      'sensor-rate': { type: 'string', default: '20000' },
      load: { type: 'string' },
    },
    strict: true,
  })
  const o: LoadOptions = {
    url: values.load ?? '', seconds: Number(values.seconds), connections: Number(values.connections), fraction: Number(values.fraction),
    points: Number(values.points), peakSeconds: Number(values['peak-seconds']),
  }
  if (values.load) {
    await load(o)
    return 0
  }

  const sensorRate = Number(values['sensor-rate'])
  const gw = await buildGateway({
    workers: Number(values.workers), chainsDir: null,
    ingestion: { windows: { sizeMs: 5_000, allowedLatenessMs: 1_000 }, simulator: { sensors: Number(values.sensors), rate: sensorRate, seed: 7 } },
  })
  await gw.app.listen({ host: '127.0.0.1', port: 0 })
  const url = `http://127.0.0.1:${(gw.app.server.address() as { port: number }).port}`
  console.log(`soak: gateway ${url}, ${values.workers} workers, simulator ${values.sensors} sensors at ${sensorRate} points/s; POST ${o.points} points to points-heatmap`)

  const counts = { ok: 0, errors: 0 }
  let monitor: SoakMonitor | null = null
  let timer: NodeJS.Timeout | null = null
  const child = fork(process.argv[1], ['--load', url, ...process.argv.slice(2)], { execArgv: process.execArgv, stdio: 'inherit' })
  const finished = new Promise<{ result: CannonResult; peak: CannonResult } | null>((resolve) => {
    child.on('message', (m: LoadMessage) => {
      if (m.type === 'peak') {
        console.log(`soak: peak ${m.rps.toFixed(0)} requests/s; holding ${(m.rps * o.fraction).toFixed(0)}/s (${o.fraction * 100} %) for ${o.seconds} s`)
        console.log('    t     rss    heap   arena  a.high  loop p50/p99/max ms      ok  errors  windows')
        monitor = new SoakMonitor(gw, () => counts)
        timer = setInterval(() => {
          const s = monitor!.sample()
          if (Math.round(s.t) % 5 === 0) {
            console.log(`${s.t.toFixed(0).padStart(5)} ${mib(s.rssMiB * 2 ** 20).padStart(7)} ${s.heapMiB.toFixed(1).padStart(7)} ${mib(s.arenaBytes).padStart(7)} ${mib(monitor!.highWaterBytes()).padStart(7)}   ${s.loopP50.toFixed(1).padStart(5)}/${s.loopP99.toFixed(1).padStart(5)}/${s.loopMax.toFixed(0).padStart(4)}  ${String(s.ok).padStart(8)} ${String(s.errors).padStart(7)} ${String(s.windows).padStart(8)}`)
          }
        }, 1_000)
      } else if (m.type === 'counts') {
        counts.ok = m.ok
        counts.errors = m.errors
      } else if (m.type === 'done') {
        resolve({ result: m.result, peak: m.peak })
      }
    })
    child.on('exit', () => resolve(null))
  })
  const run = await finished
  if (timer) clearInterval(timer)
  if (!run || !monitor) {
    console.log('soak: the load generator failed')
    await gw.close()
    return 1
  }
  const mon = monitor as SoakMonitor
  mon.sample()
  // drain: stop the sensor stream (its open windows are processed), then nothing may be held
  await gw.ctx.ingestion?.stop()
  // requests autocannon abandoned at its deadline still finish on the server: give them a moment
  for (let i = 0; i < 100 && mon.arenaBytes() !== 0; i++) await new Promise((r) => setTimeout(r, 100))
  const metrics = await (await fetch(`${url}/metrics`)).text()
  const serverErrors = [...metrics.matchAll(/graticule_errors_total\{code="(\w+)"\} (\d+)/g)].map((m) => `${m[1]} ${m[2]}`)
  const arenaAfter = mon.arenaBytes()
  const samples = mon.samples
  mon.stop()
  await gw.close()

  const half = o.seconds / 2
  const rssSlope = floorSlope(samples, 'rssMiB', half) * 60
  const arenaSlope = floorSlope(samples, 'arenaBytes', half)
  const first = samples.filter((s) => s.t <= 5), last = samples.filter((s) => s.t >= o.seconds - 5)
  const floor = (xs: typeof samples) => Math.min(...xs.map((s) => s.rssMiB))
  const errors = run.result.errors + run.result.non2xx + counts.errors
  const loopP99 = Math.max(...samples.map((s) => s.loopP99))
  console.log(`soak: ${run.result.requests.total} requests in ${run.result.duration.toFixed(0)} s (${run.result.requests.average.toFixed(0)}/s), latency p50 ${run.result.latency.p50} ms, p99 ${run.result.latency.p99} ms; ${samples[samples.length - 1].windows} sensor windows`)
  console.log(`soak: RSS ${floor(first).toFixed(0)} MiB at the start, ${floor(last).toFixed(0)} MiB at the end (floors); arena high-water ${mib(mon.highWaterBytes())} MiB; worst event-loop p99 ${loopP99.toFixed(1)} ms`)
  const verdicts: Array<[string, boolean]> = [
    [`errors: ${errors} (client: ${run.result.errors} socket, ${run.result.non2xx} non-2xx; server: ${serverErrors.join(', ') || 'none'})`, errors === 0 && serverErrors.length === 0],
    [`RSS floor slope over the second half: ${rssSlope.toFixed(2)} MiB/min (limit ${RSS_LIMIT_MIB_PER_MIN})`, rssSlope < RSS_LIMIT_MIB_PER_MIN],
    [`arena floor slope over the second half: ${(arenaSlope / 1024).toFixed(1)} KiB/s (limit ${ARENA_LIMIT_BYTES_PER_S / 1024})`, arenaSlope < ARENA_LIMIT_BYTES_PER_S],
    [`arena bytes in use after the drain: ${arenaAfter}`, arenaAfter === 0],
  ]
  for (const [what, ok] of verdicts) console.log(`soak: ${ok ? 'ok  ' : 'FAIL'} ${what}`)
  return verdicts.every(([, ok]) => ok) ? 0 : 1
}

main().then((code) => { process.exitCode = code }, (e) => { console.error(e); process.exitCode = 2 })
