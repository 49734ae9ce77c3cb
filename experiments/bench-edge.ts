// npm run bench:edge — what the edge/cloud split buys and costs (issue 17):
//   1. upstream bytes per window, partial vs raw points, at 1k, 10k and 100k points a window, for local edges (each
//      edge's sensors in one metropolitan region, Europe at zoom 5) and a world-spread edge (the simulator's sensors,
//      the default world tile set), beside the sensors' own records; and the exactness of the cloud's merge of three
//      edges' partials against the chain run centrally on the union;
//   2. the cloud's merge cost at 2, 4 and 8 edges (decode, grid sum, clusters), medians of interleaved rounds;
//   3. end-to-end latency on Kafka: one edge and one cloud gateway (child processes), real-time sensor points, from
//      the moment a window could close to its global result, with partials and with raw points upstream.
// Writes experiments/results/<date>-<host>-edge.{json,md,svg} and latest-edge.*. Files under experiments/bench/edge-*.
//
//   npm run bench:edge [-- --quick] [--no-latency] [--kafka host:port] [--duration S] [--rate N] [--out dir]
import { resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { machineLine } from './lib/measure.js'
import { RESULTS_DIR } from './lib/report.js'
import { Progress } from './bench/progress.js'
import { benchEdge } from './bench/edge-run.js'

const { values } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    'no-latency': { type: 'boolean', default: false },
    kafka: { type: 'string' },
    duration: { type: 'string' },
    warmup: { type: 'string' },
    rate: { type: 'string' },
    'lateness-ms': { type: 'string' },
    repeats: { type: 'string' },
    out: { type: 'string' },
    help: { type: 'boolean', short: 'h', default: false },
  },
})

if (values.help) {
  console.log(`usage: npm run bench:edge [-- options]

  --quick              1k and 10k points a window, 3 merge rounds, a 6 s latency run (a smoke test)
  --no-latency         no Kafka part: bytes, exactness and merge cost only (in process)
  --kafka host:port    the broker for the latency runs (default: one started here on free ports, stopped at the end)
  --duration S         seconds of windows measured per latency run (default 25; quick 6)
  --warmup S           seconds produced before them (default 4; quick 2)
  --rate N             sensor points a second the producer sends (default 3000; quick 2000)
  --lateness-ms MS     the gateways' --lateness-ms (default 300)
  --repeats N          merge-cost rounds (default 15; quick 3)
  --out DIR            where the JSON, Markdown and SVG go (default experiments/results)`)
  process.exit(0)
}

const fail = (msg: string): never => {
  console.error(`bench:edge: ${msg}`)
  process.exit(2)
}
const positive = (name: string, v: string | undefined): number | undefined => {
  if (v === undefined) return undefined
  const n = Number(v)
  if (!(n > 0) || !Number.isFinite(n)) fail(`--${name} wants a positive number, got ${v}`)
  return n
}
if (values.kafka !== undefined && !/^[^\s:,]+:\d+$/.test(values.kafka)) fail(`--kafka wants host:port, got ${values.kafka}`)

const quick = values.quick
const latency = !values['no-latency']
const progress = new Progress((quick ? 25 : 60) + (latency ? (quick ? 70 : 120) : 0))
progress.log(`bench:edge: ${machineLine()}`)

// every process started (the broker, the gateways), by pid: killed at once should the run be interrupted
const live = new Map<number, () => void>()
const interrupted = (signal: NodeJS.Signals) => {
  for (const [pid, kill] of live) {
    kill()
    console.error(`bench:edge: ${signal}: killed pid ${pid}`)
  }
  process.exit(130)
}
process.once('SIGINT', interrupted)
process.once('SIGTERM', interrupted)

const outDir = resolve(values.out ?? RESULTS_DIR)
const { markdown, written, data } = await benchEdge({
  quick, latency, kafka: values.kafka ?? null, out: outDir,
  durationS: positive('duration', values.duration), warmupS: positive('warmup', values.warmup), rate: positive('rate', values.rate),
  latenessMs: positive('lateness-ms', values['lateness-ms']), repeats: positive('repeats', values.repeats),
  log: (l) => progress.log(l), step: (label, units) => progress.step(label, units),
  track: (pid, kill) => { if (kill) live.set(pid, kill); else live.delete(pid) },
})
process.off('SIGINT', interrupted)
process.off('SIGTERM', interrupted)
progress.finish('done')
console.log(markdown)
console.error(`bench:edge: wrote ${written.json}, ${written.markdown} and ${data.chart} in ${outDir}`)
if (live.size) console.error(`bench:edge: processes still tracked: ${[...live.keys()].join(', ')}`)
