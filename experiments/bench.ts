// npm run bench — one command, one run on this machine: the gateway under autocannon load in every mode
// (shared, copy, http) and against a plain-JS monolith, tile-heatmap on real MVT tiles of 1k / 10k / 100k
// points and points-prepare on raw region bodies; where each mode spends a request; the hand-off and
// faaslet micro-benchmarks; instantiation and cold start; Kafka ingestion when a broker is reachable.
// Writes experiments/results/<date>-<host>-bench.{json,md} and SVG charts (latest-bench-*.svg).
//
//   npm run bench [-- --quick] [--out dir] [--kafka host:port] [--profile] [--rounds 3] [--duration 10] [--max-duration 90]
//                 [--warmup 3] [--connections 4] [--workers N] [--sizes 1000,10000,100000] [--no-faaslets]
//                 [--no-hop] [--no-load] [--kafka-points 1000000] [--kafka-records 200000]
import { mkdirSync, writeFileSync } from 'node:fs'
import { availableParallelism } from 'node:os'
import { join, resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { machineLine } from './lib/measure.js'
import { RESULTS_DIR, resultName, writeResults } from './lib/report.js'
import type { BenchRow } from './faaslets/types.js'
import { hopGoals } from './hop/report.js'
import { runHop } from './hop/run.js'
import { cityPoints, regionBody, tileBytes } from './hop/inputs.js'
import { boundaryCosts, type BoundaryRow } from './bench/boundary.js'
import { faasletBenches, runFaasletBench } from './bench/faaslets.js'
import { kafkaCase, reachable, type KafkaRow } from './bench/kafka.js'
import { drive } from './bench/load.js'
import { aggregate, PREPARE_MODES, prepareTarget, runMatrix, TILE_MODES, tileTarget, type LoadRow, type Target } from './bench/matrix.js'
import { Progress } from './bench/progress.js'
import type { ThreadProfile } from './bench/profile.js'
import { benchGoals, benchMarkdown, charts, type BenchData } from './bench/report.js'
import { BenchServer } from './bench/server-client.js'
import { verify, type VerifyRow } from './bench/verify.js'

const { values } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    out: { type: 'string' },
    kafka: { type: 'string' },
    profile: { type: 'boolean', default: false },
    rounds: { type: 'string' },
    duration: { type: 'string' },
    'max-duration': { type: 'string' },
    warmup: { type: 'string' },
    connections: { type: 'string' },
    workers: { type: 'string' },
    sizes: { type: 'string' },
    'no-faaslets': { type: 'boolean', default: false },
    'no-hop': { type: 'boolean', default: false },
    'no-load': { type: 'boolean', default: false },
    'kafka-points': { type: 'string' },
    'kafka-records': { type: 'string' },
  },
})

const quick = values.quick
const outDir = resolve(values.out ?? RESULTS_DIR)
mkdirSync(outDir, { recursive: true })
const sizes = values.sizes ? values.sizes.split(',').map(Number) : quick ? [1000, 10_000] : [1000, 10_000, 100_000]
const rounds = Number(values.rounds ?? (quick ? 1 : 3))
const connections = Number(values.connections ?? 4)
const warmupS = Number(values.warmup ?? (quick ? 0.3 : 3))
const baseS = Number(values.duration ?? (quick ? 1 : 10))
// Every target of one chain and size runs equally long: at least --duration, and long enough for the
// slowest mode there (its warm single-request time, from the correctness check) to finish requests on
// every connection — a 100k tile takes seconds per request in http mode.
const slowest = new Map<string, number>()
const key = (t: Pick<Target, 'chain' | 'points'>) => `${t.chain} ${t.points}`
const durationS = (t: Pick<Target, 'chain' | 'points'>) => {
  const ms = slowest.get(key(t)) ?? 0
  const factor = quick ? 4 : 12
  const cap = Number(values['max-duration'] ?? (quick ? 2 : 90))
  return Number(Math.max(baseS, Math.min(cap, (factor * ms) / 1000)).toFixed(1))
}
const workers = Number(values.workers ?? Math.max(1, availableParallelism()))
const broker = quick ? null : (values.kafka ?? process.env.GRATICULE_KAFKA ?? null)
const runFaaslets = !quick && !values['no-faaslets']
const runHopBench = !values['no-hop']
const runLoad = !values['no-load']

const machine = machineLine()
// planned units ≈ seconds; the load runs' real durations are only known after the correctness check
const guessS = (n: number) => baseS * (n >= 100_000 && !quick ? 4 : 1.5)
const loadUnits = !runLoad ? 0 : rounds * sizes.reduce((a, n) => a + TILE_MODES.length * (warmupS + guessS(n)) + PREPARE_MODES.length * (warmupS + baseS), 0)
const verifyUnits = (n: number) => (n >= 100_000 ? 40 : n >= 10_000 ? 6 : 3)
const progress = new Progress(3 + (runLoad ? 3 + sizes.reduce((a, n) => a + 2 * verifyUnits(n), 0) : 0) + loadUnits + (values.profile ? baseS + 3 : 0) + 2 * sizes.length + (runHopBench ? (quick ? 20 : 240) : 0) + (runFaaslets ? 300 : 0) + 1)
progress.log(`bench: ${machine}`)

// ─── inputs ──────────────────────────────────────────────────────────────────────────────────────────
progress.step('inputs: world tiles (geojson-vt + vt-pbf) and region bodies', 3)
const tiles = new Map(sizes.map((n) => [n, tileBytes(n)]))
const regions = new Map(sizes.map((n) => [n, regionBody(cityPoints(n))]))
const tileGroups = sizes.map((n) => TILE_MODES.map((m) => tileTarget(n, m, tiles.get(n)!)))
const prepareGroups = sizes.map((n) => PREPARE_MODES.map((m) => prepareTarget(n, m, regions.get(n)!)))

// ─── load ────────────────────────────────────────────────────────────────────────────────────────────
const verified: VerifyRow[] = []
let tileRows: LoadRow[] = [], prepareRows: LoadRow[] = []
let sharedProfile: ThreadProfile[] | null = null
if (runLoad) {
  progress.step('starting the server (gateway + monolith)', 3)
  const server = await BenchServer.start(['--workers', String(workers)])
  try {
    for (const g of [...tileGroups, ...prepareGroups]) {
      progress.step(`checking every mode gives the same answer (and warming it): ${g[0].chain} ${g[0].points}`, verifyUnits(g[0].points))
      const v = await verify(server.url, g, workers)
      slowest.set(key(g[0]), v.slowestMs)
      verified.push(v)
    }
    const measured = await runMatrix(server, [...tileGroups, ...prepareGroups], rounds, { connections, warmupS, durationS, timeoutS: 120 }, (label, units) => progress.step(label, units))
    const rows = aggregate(measured)
    tileRows = rows.filter((r) => r.chain === 'tile-heatmap')
    prepareRows = rows.filter((r) => r.chain === 'points-prepare')
    if (values.profile) {
      const n = Math.max(...sizes)
      const t = tileTarget(n, 'shared', tiles.get(n)!)
      progress.step(`profiling the shared path: tile-heatmap ${n}`, baseS + 3)
      await server.profileStart()
      await drive({ url: server.url + t.path, body: t.body, contentType: t.contentType, connections, durationS: baseS, timeoutS: 120 })
      sharedProfile = await server.profileStop(outDir, `${resultName('bench')}-shared`)
    }
  } finally {
    await server.close()
  }
}

// ─── the boundary alone ──────────────────────────────────────────────────────────────────────────────
const boundary: BoundaryRow[] = []
for (const n of runLoad ? sizes : []) {
  progress.step(`boundary costs at ${n} points`, 2)
  boundary.push(await boundaryCosts('tile-heatmap', n, tiles.get(n)!, 'mvt', 'heatmap', quick ? 5 : 20))
  boundary.push(await boundaryCosts('points-prepare', n, regions.get(n)!, 'region', 'region', quick ? 5 : 20))
}

// ─── micro-benchmarks ────────────────────────────────────────────────────────────────────────────────
let hop: BenchData['hop'] = null
if (runHopBench) {
  const units = quick ? 20 : 240
  let last = 0
  const result = await runHop({
    sizes, quick, workers, chains: !quick, startup: true,
    progress: (label, f) => { progress.step(label, (f - last) * units); last = f },
  })
  hop = { ...result, goals: hopGoals(result) }
}

let faaslets: BenchRow[] | null = null
if (runFaaslets) {
  faaslets = []
  const files = faasletBenches()
  for (const f of files) {
    progress.step(`faaslet micro-benchmark ${f.split('/').pop()}`, 300 / files.length)
    faaslets.push(...(await runFaasletBench(f, sizes)))
  }
}

// ─── Kafka ───────────────────────────────────────────────────────────────────────────────────────────
let kafka: KafkaRow[] | null = null
let kafkaSkipped: string | null = null
let kafkaProfile: ThreadProfile[] | null = null
if (quick) kafkaSkipped = '--quick runs no Kafka'
else if (!broker) kafkaSkipped = 'no broker: set GRATICULE_KAFKA=host:port or pass --kafka host:port (e.g. `npm run kafka -- start`)'
else if (!(await reachable(broker))) kafkaSkipped = `no broker reachable at ${broker}`
else {
  progress.add(120)
  kafka = []
  const cases = [
    { label: 'batched, 1000 points per record (JSON rows)', batch: 1000, points: Number(values['kafka-points'] ?? 1_000_000) },
    { label: 'batched, 1000 points per record (msgpack columns)', batch: 1000, points: Number(values['kafka-points'] ?? 1_000_000), layout: 'columns' as const, format: 'msgpack' as const },
    { label: 'one point per record', batch: 1, points: Number(values['kafka-records'] ?? 200_000) },
  ]
  for (const [i, c] of cases.entries()) {
    progress.step(`Kafka ${c.label}`, 60)
    const r = await kafkaCase(broker, c, workers, (line) => progress.log(line), values.profile && i === 0 ? outDir : undefined)
    if (r.profile) kafkaProfile = r.profile
    delete r.profile
    kafka.push(r)
  }
}
if (kafkaSkipped) progress.log(`bench: Kafka skipped — ${kafkaSkipped}`)

// ─── report ──────────────────────────────────────────────────────────────────────────────────────────
progress.step('writing the report', 1)
const base = resultName('bench')
const data: BenchData = {
  quick,
  settings: {
    sizes, prepareSizes: sizes, rounds, connections, warmupS, timeoutS: 120, workers,
    durationS: Object.fromEntries([...tileGroups, ...prepareGroups].map((g) => [key(g[0]), durationS(g[0])])),
  },
  verify: verified, tile: tileRows, prepare: prepareRows, boundary,
  profile: { shared: sharedProfile, kafka: kafkaProfile },
  hop, faaslets, faasletsSkipped: faaslets ? null : quick ? '--quick skips them (≈ 2 min at 1k alone); run without --quick or `npm run bench:faaslets`' : '--no-faaslets',
  kafka, kafkaSkipped, goals: [], charts: {},
}
data.goals = benchGoals(data)
for (const [name, svg] of Object.entries(charts(data))) {
  const file = `${base}-${name}.svg`
  writeFileSync(join(outDir, file), svg)
  writeFileSync(join(outDir, `latest-bench-${name}.svg`), svg)
  data.charts[name] = file
}
const md = benchMarkdown(data, machine)
const written = writeResults('bench', data, md, outDir)
progress.finish('done')
console.log(md)
console.error(`bench: wrote ${written.json}, ${written.markdown} and ${Object.values(data.charts).join(', ')} in ${outDir}`)
