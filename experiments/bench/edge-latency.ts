// The end-to-end half of `npm run bench:edge`: a real broker (started here with startBroker on free ports under a
// temp dir, or the one --kafka names), one edge gateway and one cloud gateway as a user starts them
// (`graticule serve --role edge|cloud`, bin/cli.ts through tsx, child processes stopped by their pids), a producer
// sending a local edge's sensors in real time (event time = wall clock) to the edge's sensors topic (one partition),
// and a consumer here reading the global topic. For each window W: latency = when W's global result first reaches
// that consumer − (W's end + the lateness), the first moment W could close. Two runs: the edge sending partials,
// then raw points. The machine's other load is measured over each run (/proc/stat less our processes).
import { randomUUID } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Kafka, logLevel, type Consumer } from 'kafkajs'
import { decodeGlobal } from '../../gateway/cloud/global-result.js'
import type { UplinkKind } from '../../gateway/edge/defaults.js'
import { SensorProducer } from '../../gateway/ingest/sensor-producer.js'
import type { SensorPoint } from '../../gateway/ingest/sensor-record.js'
import { startBroker, type BrokerHandle } from '../../gateway/kafka/broker.js'
import type { TileSet } from '../../gateway/partials/partial.js'
import { stats, type Stats } from '../lib/measure.js'
import { cpuSample, GatewayProcess, machineBusyMs } from './scale-gateway.js'
import { localFleet, metro, slug } from './edge-inputs.js'

export interface LatencyOptions {
  /** an existing broker (host:port), or null to start one here */
  kafka: string | null
  uplinks: UplinkKind[]
  windowMs: number
  latenessMs: number
  /** points a second the producer sends */
  rate: number
  /** seconds produced before the windows measured, and seconds measured */
  warmupS: number
  durationS: number
  tileSet: TileSet
  city: readonly [string, string]
  log: (line: string) => void
  step?: (label: string, units: number) => void
  /** told of every process started (its pid and how to kill it at once) and stopped (null), so an interrupted run can kill them */
  track?: (pid: number, kill: (() => void) | null) => void
}

export interface WindowLatency {
  windowStart: number
  /** points produced in the window, and counted in its first global result */
  produced: number
  counted: number
  /** ms after the window's end + lateness: the edge sealed its share, the cloud began the merge, the record reached the consumer */
  sealed: number
  mergeStart: number
  received: number
  /** the cloud's merge of the window, ms (its own figure) */
  mergeMs: number
}

export interface LatencyRun {
  uplink: UplinkKind
  windows: WindowLatency[]
  /** windows that closed by the watermark during the run but whose global result never came (within the wait) */
  missing: number[]
  /** windows whose first global result counted other than the points produced in them */
  countMismatches: number
  latency: Stats | null
  sealed: Stats | null
  mergeStart: Stats | null
  pointsSent: number
  measuredS: number
  /** cores kept busy over the measured part: the edge, the cloud, the broker (when started here), this process, everything else */
  cores: { edge: number; cloud: number; broker: number | null; bench: number; others: number }
  /** partial bytes the edge sent (its uplink metric), per window */
  uplinkBytesPerWindow: number | null
  pids: { edge: number; cloud: number }
}

export interface LatencyData {
  broker: { started: boolean; brokers: string; startMs: number | null }
  settings: { windowMs: number; latenessMs: number; rate: number; warmupS: number; durationS: number; sensors: number; city: string; partitions: number; workers: number; commandEdge: string; commandCloud: string }
  runs: LatencyRun[]
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer()
    s.once('error', reject)
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port
      s.close(() => resolve(port))
    })
  })
}

async function ready(url: string, timeoutMs: number): Promise<void> {
  const until = Date.now() + timeoutMs
  let last = ''
  for (;;) {
    try {
      const r = await fetch(`${url}/readyz`)
      last = await r.text()
      if (r.status === 200) return
    } catch (e) {
      last = (e as Error).message
    }
    if (Date.now() > until) throw new Error(`${url} not ready in ${timeoutMs / 1000} s: ${last}`)
    await sleep(250)
  }
}

/** The edge's uplink bytes and records so far (its metrics). */
async function uplinkSent(url: string): Promise<{ bytes: number; records: number } | null> {
  try {
    const text = await (await fetch(`${url}/metrics`)).text()
    const sum = (name: string) => text.split('\n').filter((l) => l.startsWith(name)).reduce((n, l) => n + Number(l.split(' ').at(-1)), 0)
    return { bytes: sum('graticule_edge_uplink_sent_bytes_total'), records: sum('graticule_edge_uplink_sent_records_total') }
  } catch {
    return null
  }
}

const GRID_ARGS = (t: TileSet) => [`--grid-bbox=${t.bbox.join(',')}`, '--grid-zoom', String(t.zoom), '--grid-size', String(t.size), '--grid-radius', String(t.radius), '--grid-kernel', t.kernel]
const WORKERS = 1

export async function measureLatency(o: LatencyOptions): Promise<LatencyData> {
  const dir = mkdtempSync(join(tmpdir(), 'graticule-bench-edge-'))
  let broker: BrokerHandle | null = null
  try {
    let brokers = o.kafka
    let startMs: number | null = null
    if (!brokers) {
      o.step?.('starting a Kafka broker (startBroker, free ports, a temp dir)', 20)
      const port = await freePort()
      let controllerPort = await freePort()
      while (controllerPort === port) controllerPort = await freePort()
      broker = await startBroker({ port, controllerPort, dataDir: join(dir, 'broker'), detached: false, ownerPid: process.pid, log: (l) => o.log(`  ${l}`) })
      const b = broker
      o.track?.(b.pid, () => { try { process.kill(b.pid, 'SIGKILL') } catch { /* gone */ } })
      brokers = broker.brokers
      startMs = broker.startMs
      o.log(`  broker pid ${broker.pid} on ${brokers}`)
    }
    const m = metro(o.city[0], o.city[1])
    const sensors = Math.max(1, Math.round(o.rate))
    const fleet = localFleet(m, sensors, 7)
    const runs: LatencyRun[] = []
    let commands = { edge: '', cloud: '' }
    for (const uplink of o.uplinks) {
      const r = await oneRun(o, brokers, broker?.pid ?? null, uplink, fleet, dir)
      commands = r.commands
      runs.push(r.run)
    }
    return {
      broker: { started: broker !== null, brokers, startMs },
      settings: {
        windowMs: o.windowMs, latenessMs: o.latenessMs, rate: o.rate, warmupS: o.warmupS, durationS: o.durationS, sensors, city: `${m.name} (${m.country})`,
        partitions: 1, workers: WORKERS, commandEdge: commands.edge, commandCloud: commands.cloud,
      },
      runs,
    }
  } finally {
    if (broker) {
      await broker.stop().catch((e: Error) => o.log(`  stopping the broker: ${e.message}`))
      o.track?.(broker.pid, null)
      o.log(`  broker pid ${broker.pid} stopped`)
    }
    rmSync(dir, { recursive: true, force: true })
  }
}

async function oneRun(o: LatencyOptions, brokers: string, brokerPid: number | null, uplink: UplinkKind, fleet: ReturnType<typeof localFleet>, root: string): Promise<{ run: LatencyRun; commands: { edge: string; cloud: string } }> {
  const id = `${uplink}-${randomUUID().slice(0, 8)}`
  const dir = mkdtempSync(join(root, `${uplink}-`))
  const edgeId = slug(o.city[0])
  const topics = { sensors: `bench-edge.sensors.${id}`, results: `bench-edge.results.${id}`, partials: `bench-edge.partials.${id}`, edges: `bench-edge.edges.${id}`, global: `bench-edge.global.${id}` }
  const common = ['--no-registry', '--window-ms', String(o.windowMs), '--lateness-ms', String(o.latenessMs), ...GRID_ARGS(o.tileSet),
    '--partials-topic', topics.partials, '--edges-topic', topics.edges, '--global-topic', topics.global]
  const edgeArgs = ['--role', 'edge', '--edge-id', edgeId, '--kafka', brokers, '--topic', topics.sensors, '--results-topic', topics.results, '--group', `bench-edge.${id}`,
    '--upstream', brokers, '--uplink', uplink, '--spool-dir', join(dir, 'spool'), ...common]
  const cloudArgs = ['--role', 'cloud', '--kafka', brokers, '--group', `bench-cloud.${id}`, ...common]
  const commands = {
    edge: `graticule ${[...GatewayProcess.argsFor({ workers: WORKERS, logLevel: 'warn' }), ...edgeArgs].join(' ')}`.replaceAll(id, '<run>').replaceAll(dir, '<tmp>').replaceAll(brokers, '<broker>')
      .replace(`--uplink ${uplink}`, '--uplink partials|raw'),
    cloud: `graticule ${[...GatewayProcess.argsFor({ workers: WORKERS, logLevel: 'warn' }), ...cloudArgs].join(' ')}`.replaceAll(id, '<run>').replaceAll(brokers, '<broker>'),
  }
  const kafka = new Kafka({ clientId: 'bench-edge', brokers: [brokers], logLevel: logLevel.NOTHING })
  const producer = new SensorProducer({ brokers: [brokers], topic: topics.sensors, batch: 1_000, format: 'msgpack', layout: 'columns', log: null })
  let edge: GatewayProcess | null = null
  let cloud: GatewayProcess | null = null
  let consumer: Consumer | null = null
  const track = (g: GatewayProcess) => o.track?.(g.pid, () => g.killNow())
  const spawnedPids: number[] = []
  const spawned = (pid: number) => {
    spawnedPids.push(pid)
    o.track?.(pid, () => { try { process.kill(pid, 'SIGKILL') } catch { /* gone */ } })
  }
  try {
    o.step?.(`${uplink}: starting the cloud and the edge gateways`, 15)
    await producer.connect(1)
    cloud = await GatewayProcess.start({ workers: WORKERS, logLevel: 'warn', extraArgs: cloudArgs, onSpawn: spawned })
    track(cloud)
    edge = await GatewayProcess.start({ workers: WORKERS, logLevel: 'warn', extraArgs: edgeArgs, onSpawn: spawned })
    track(edge)
    o.log(`  ${uplink}: cloud pid ${cloud.pid} at ${cloud.url}, edge pid ${edge.pid} at ${edge.url}`)
    await Promise.all([ready(cloud.url, 90_000), ready(edge.url, 90_000)])

    // the bench's reader of the global topic (the cloud created it): the first result of each window, and when it came
    const first = new Map<number, { receivedAt: number; count: number; sealedAt: number; mergedAt: number; mergeMs: number }>()
    consumer = kafka.consumer({ groupId: `bench-edge-reader.${id}`, maxWaitTimeInMs: 50 })
    const joined = new Promise<void>((resolve) => consumer!.on(consumer!.events.GROUP_JOIN, () => resolve()))
    await consumer.connect()
    await consumer.subscribe({ topic: topics.global, fromBeginning: true })
    await consumer.run({
      eachMessage: async ({ message }) => {
        const at = Date.now()
        if (!message.value) return
        const r = decodeGlobal(message.value)
        if (first.has(r.windowStart)) return
        first.set(r.windowStart, {
          receivedAt: at, count: r.count, sealedAt: Math.max(...r.edges.map((e) => e.sealedAt)), mergedAt: Math.max(...r.edges.map((e) => e.mergedAt)), mergeMs: r.mergeMs,
        })
      },
    })
    await Promise.race([joined, sleep(30_000)])

    // ─── produce in real time ────────────────────────────────────────────────────────────────────────
    o.step?.(`${uplink}: ${o.warmupS} s warm-up + ${o.durationS} s of ${o.rate} points/s`, o.warmupS + o.durationS + 3)
    const produced = new Map<number, number>()
    const t0 = Date.now()
    const measureFrom = Math.ceil((t0 + o.warmupS * 1000) / o.windowMs) * o.windowMs
    const end = measureFrom + o.durationS * 1000
    let sent = 0
    let lastTs = 0
    let cpu0: ReturnType<typeof loadSample> | null = null
    const n = fleet.sensor.length
    while (Date.now() < end) {
      const now = Date.now()
      if (!cpu0 && now >= measureFrom) cpu0 = loadSample(edge, cloud, brokerPid)
      const due = Math.floor(((now - t0) * o.rate) / 1000) - sent
      if (due > 0) {
        const points: SensorPoint[] = []
        for (let i = 0; i < due; i++) {
          const k = (sent + i) % n
          points.push({ sensor: fleet.sensor[k], ts: now, lon: fleet.lon[k], lat: fleet.lat[k], value: Math.round((fleet.baseline[k] + Math.sin(now / 60_000 + k)) * 100) / 100 })
        }
        await producer.send(points)
        sent += due
        lastTs = now
        const w = Math.floor(now / o.windowMs) * o.windowMs
        produced.set(w, (produced.get(w) ?? 0) + due)
      }
      await sleep(Math.max(0, 20 - (Date.now() - now)))
    }
    const cpu1 = loadSample(edge, cloud, brokerPid)
    const measuredS = cpu0 ? (cpu1.at - cpu0.at) / 1000 : NaN
    // the windows measured: from the end of the warm-up, closed by the watermark (a later point passed their end + lateness)
    const expected = [...produced.keys()].filter((w) => w >= measureFrom && w + o.windowMs + o.latenessMs <= lastTs).sort((a, b) => a - b)
    const waitUntil = Date.now() + 15_000
    while (Date.now() < waitUntil && expected.some((w) => !first.has(w))) await sleep(100)
    const sentUp = await uplinkSent(edge.url)

    const windows: WindowLatency[] = expected.filter((w) => first.has(w)).map((w) => {
      const f = first.get(w)!
      const closable = w + o.windowMs + o.latenessMs
      return { windowStart: w, produced: produced.get(w) ?? 0, counted: f.count, sealed: f.sealedAt - closable, mergeStart: f.mergedAt - closable, received: f.receivedAt - closable, mergeMs: f.mergeMs }
    })
    const of = (k: keyof WindowLatency) => (windows.length ? stats(windows.map((x) => x[k])) : null)
    const cores = cpu0 ? coresBetween(cpu0, cpu1) : { edge: NaN, cloud: NaN, broker: null, bench: NaN, others: NaN }
    const run: LatencyRun = {
      uplink, windows, missing: expected.filter((w) => !first.has(w)), countMismatches: windows.filter((x) => x.counted !== x.produced).length,
      latency: of('received'), sealed: of('sealed'), mergeStart: of('mergeStart'), pointsSent: sent, measuredS, cores,
      uplinkBytesPerWindow: sentUp && sentUp.records ? sentUp.bytes / sentUp.records : null, pids: { edge: edge.pid, cloud: cloud.pid },
    }
    o.log(`  ${uplink}: ${windows.length} windows, latency median ${run.latency?.median.toFixed(0) ?? '–'} ms, p99 ${run.latency?.p99.toFixed(0) ?? '–'} ms` +
      `${run.missing.length ? `, ${run.missing.length} windows without a global result` : ''}${run.countMismatches ? `, ${run.countMismatches} windows miscounted` : ''}; other processes ${Number.isFinite(cores.others) ? cores.others.toFixed(2) : '–'} cores`)
    return { run, commands }
  } finally {
    await consumer?.disconnect().catch(() => undefined)
    await producer.disconnect().catch(() => undefined)
    for (const g of [edge, cloud]) {
      if (!g) continue
      await g.stop()
      o.log(`  gateway pid ${g.pid} stopped`)
    }
    // a start that failed killed its own child
    for (const pid of spawnedPids) o.track?.(pid, null)
    rmSync(dir, { recursive: true, force: true })
  }
}

/** CPU so far of this process, the edge, the cloud and the broker (when it runs here: an outside one counts as the others'). */
function loadSample(edge: GatewayProcess, cloud: GatewayProcess, brokerPid: number | null) {
  const cpu = process.cpuUsage()
  const e = cpuSample(edge.pid), c = cpuSample(cloud.pid)
  const b = brokerPid !== null ? cpuSample(brokerPid) : null
  return {
    at: performance.now(), machine: machineBusyMs(), bench: (cpu.user + cpu.system) / 1000,
    edge: e ? e.processMs + e.childrenMs : NaN, cloud: c ? c.processMs + c.childrenMs : NaN, broker: b ? b.processMs + b.childrenMs : null,
  }
}

function coresBetween(a: ReturnType<typeof loadSample>, b: ReturnType<typeof loadSample>): LatencyRun['cores'] {
  const wall = b.at - a.at
  const edge = (b.edge - a.edge) / wall, cloud = (b.cloud - a.cloud) / wall, bench = (b.bench - a.bench) / wall
  const brokerCores = a.broker !== null && b.broker !== null ? (b.broker - a.broker) / wall : null
  const machine = a.machine !== null && b.machine !== null ? (b.machine - a.machine) / wall : NaN
  return { edge, cloud, broker: brokerCores, bench, others: Math.max(0, machine - edge - cloud - bench - (brokerCores ?? 0)) }
}
