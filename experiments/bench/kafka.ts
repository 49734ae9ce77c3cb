// Kafka ingestion throughput against a real broker: sensor points are produced first (SensorProducer,
// gateway/ingest/sensor-producer.ts) into a fresh topic, then a gateway (bench/server.ts with --kafka)
// consumes them from the beginning; we time from its first ingested point to the last point published
// in a window result, reading the gateway's own counters. The producer's speed is therefore not part of
// the figure. A sentinel point per partition, far ahead in event time, closes every window of the data.
// Window close → result latency p99 comes from the gateway's histogram (an upper bucket bound); the results
// read back from the results topic give it exactly, split into the wait for a chain and the chain itself.
import { randomUUID } from 'node:crypto'
import { connect } from 'node:net'
import { Kafka, logLevel } from 'kafkajs'
import { SensorProducer, sensorPartition } from '../../gateway/ingest/sensor-producer.js'
import { SensorSimulator } from '../../gateway/ingest/simulator.js'
import type { SensorPoint } from '../../gateway/ingest/sensor-record.js'
import { BenchServer } from './server-client.js'
import type { IngestCounters } from './protocol.js'
import type { ThreadProfile } from './profile.js'

export interface KafkaCase {
  label: string
  /** points per record */
  batch: number
  points: number
  /** how a batched record carries its points (default JSON rows) */
  layout?: 'rows' | 'columns'
  format?: 'json' | 'msgpack'
}

export interface KafkaRow extends KafkaCase {
  records: number
  produceS: number
  /** first point in → last point out, s */
  ingestS: number
  pointsPerS: number
  recordsPerS: number
  windows: number
  /** p99 of window close → result published, s (bucket upper bound) */
  windowLatencyP99S: number
  /** from the published results, ms: close → result ready to publish, and the chain's own compute time */
  results?: { windows: number; readyMs: Percentiles; computeMs: Percentiles }
  counters: IngestCounters
  profile?: ThreadProfile[]
}

const PARTITIONS = 4
const WINDOW_MS = 10_000

/** Is something listening at host:port? */
export function reachable(hostPort: string, timeoutMs = 1500): Promise<boolean> {
  const [host, port] = hostPort.split(':')
  return new Promise((resolve) => {
    const s = connect({ host, port: Number(port) })
    const done = (ok: boolean) => { s.destroy(); resolve(ok) }
    s.setTimeout(timeoutMs, () => done(false))
    s.once('connect', () => done(true))
    s.once('error', () => done(false))
  })
}

export interface Percentiles { p50: number; p99: number; max: number }

function percentiles(xs: number[]): Percentiles {
  const s = [...xs].sort((a, b) => a - b)
  const at = (q: number) => s[Math.min(s.length - 1, Math.ceil(q * s.length) - 1)] ?? NaN
  return { p50: at(0.5), p99: at(0.99), max: s.at(-1) ?? NaN }
}

interface PublishedWindow { key: string; windowEnd: number; closedAt: number; publishedAt: number; computeMs: number }

/** Close → result ready (publishedAt is stamped when the result was ready to send) and the chain's compute time. */
function latencies(rs: PublishedWindow[]): KafkaRow['results'] {
  return { windows: rs.length, readyMs: percentiles(rs.map((r) => r.publishedAt - r.closedAt)), computeMs: percentiles(rs.map((r) => r.computeMs)) }
}

async function readResults(broker: string, topic: string): Promise<KafkaRow['results']> {
  return latencies(await readResultList(broker, topic))
}

/** Every result on the topic, the last one per window key. */
async function readResultList(broker: string, topic: string): Promise<PublishedWindow[]> {
  const kafka = new Kafka({ clientId: 'bench-results', brokers: [broker], logLevel: logLevel.NOTHING })
  const admin = kafka.admin()
  await admin.connect()
  const ends = new Map((await admin.fetchTopicOffsets(topic)).map((o) => [o.partition, Number(o.high)]))
  await admin.disconnect()
  const byKey = new Map<string, PublishedWindow>()
  const consumer = kafka.consumer({ groupId: `bench-results-${randomUUID()}`, maxWaitTimeInMs: 100 })
  await consumer.connect()
  try {
    await consumer.subscribe({ topic, fromBeginning: true })
    const seen = new Map<number, number>()
    await new Promise<void>((resolve, reject) => {
      const done = () => [...ends].every(([p, end]) => end === 0 || (seen.get(p) ?? -1) + 1 >= end)
      if (done()) return resolve()
      const timer = setTimeout(() => reject(new Error(`reading ${topic} timed out`)), 30_000)
      consumer.run({
        eachMessage: async ({ partition, message }) => {
          const r = JSON.parse(message.value!.toString()) as PublishedWindow
          byKey.set(r.key, r)
          seen.set(partition, Number(message.offset))
          if (done()) { clearTimeout(timer); resolve() }
        },
      }).catch(reject)
    })
  } finally {
    await consumer.disconnect()
  }
  return [...byKey.values()]
}

function p99FromBuckets(buckets: Array<{ le: number | null; count: number }>): number {
  // +Inf crosses IPC (JSON) as null
  const sorted = buckets.map((b) => ({ le: typeof b.le === 'number' ? b.le : Infinity, count: b.count })).sort((a, b) => a.le - b.le)
  const total = sorted.at(-1)?.count ?? 0
  if (!total) return NaN
  return sorted.find((b) => b.count >= 0.99 * total)?.le ?? Infinity
}

/** One sentinel sensor name per partition (a sensor's partition is a hash of its name). */
function sentinels(): string[] {
  const names: string[] = []
  for (let i = 0; names.length < PARTITIONS; i++) {
    const name = `bench-sentinel-${i}`
    if (!names.some((n) => sensorPartition(n, PARTITIONS) === sensorPartition(name, PARTITIONS))) names.push(name)
  }
  return names
}

/** Points produced into a fresh topic, ready to be consumed (by one gateway or several, each its own group). */
export interface ProducedCase {
  topic: string
  points: number
  records: number
  produceS: number
}

export async function kafkaCase(broker: string, c: KafkaCase, workers: number, log: (line: string) => void, profileDir?: string): Promise<KafkaRow> {
  return consumeCase(broker, c, await produceCase(broker, c, log), workers, profileDir)
}

export async function produceCase(broker: string, c: KafkaCase, log: (line: string) => void): Promise<ProducedCase> {
  const id = randomUUID().slice(0, 8)
  const topic = `bench.sensors.${id}`
  // 20k sensors reporting every second: 200k points per 10 s window across the partitions
  const sim = new SensorSimulator({ sensors: 20_000, seed: 7, intervalMs: 1000, dropoutFraction: 0 })
  const producer = new SensorProducer({ brokers: [broker], topic, batch: c.batch, layout: c.layout, format: c.format, clientId: `bench-${id}` })
  await producer.connect(PARTITIONS)
  const t0 = performance.now()
  let last = 0
  // one send() goes to each partition as one record batch, which the broker caps at 1 MB (message.max.bytes):
  // ~110 B per JSON row point (~45 B in msgpack columns), so at most ~700 kB per partition per send
  const bytesPerPoint = c.layout === 'columns' && c.format === 'msgpack' ? 45 : 110
  const chunk = PARTITIONS * c.batch * Math.max(1, Math.floor(700_000 / (bytesPerPoint * c.batch)))
  for (let sent = 0; sent < c.points; sent += chunk) {
    const pts = sim.next(Math.min(chunk, c.points - sent))
    for (const p of pts) if (p.ts > last) last = p.ts
    await producer.send(pts)
  }
  const ahead = last + 3 * WINDOW_MS
  const closing: SensorPoint[] = sentinels().map((sensor) => ({ sensor, ts: ahead, lon: 0, lat: 0, value: 0 }))
  const closer = new SensorProducer({ brokers: [broker], topic, batch: 1, clientId: `bench-${id}-c` })
  await closer.connect(PARTITIONS)
  await closer.send(closing)
  await closer.disconnect()
  await producer.disconnect()
  const produceS = (performance.now() - t0) / 1000
  log(`kafka ${c.label}: produced ${producer.sentPoints} points in ${producer.sentRecords} records in ${produceS.toFixed(1)} s; consuming`)
  return { topic, points: producer.sentPoints, records: producer.sentRecords, produceS }
}

/** A gateway (bench/server.ts) consumes a produced topic from the beginning, in a consumer group of its own. */
export async function consumeCase(broker: string, c: KafkaCase, produced: ProducedCase, workers: number, profileDir?: string): Promise<KafkaRow> {
  const id = randomUUID().slice(0, 8)
  const results = `bench.results.${id}`, group = `bench.${id}`
  const { topic, records, produceS } = produced
  const server = await BenchServer.start(['--workers', String(workers), '--kafka', broker, '--topic', topic, '--results-topic', results, '--group', group, '--window-ms', String(WINDOW_MS), '--lateness-ms', '2000'])
  try {
    if (profileDir) await server.profileStart()
    let first = NaN
    let counters = await server.ingest()
    const deadline = performance.now() + 300_000
    while (counters.out < produced.points) {
      if (performance.now() > deadline) throw new Error(`kafka ${c.label}: ${counters.out} of ${produced.points} points out after 300 s`)
      await new Promise((r) => setTimeout(r, 20))
      counters = await server.ingest()
      if (Number.isNaN(first) && counters.in > 0) first = performance.now()
    }
    const ingestS = (performance.now() - first) / 1000
    const profile = profileDir ? await server.profileStop(profileDir, `kafka-${c.label.replace(/\W+/g, '-')}`) : undefined
    return {
      profile,
      ...c, records, produceS, ingestS,
      pointsPerS: produced.points / ingestS, recordsPerS: records / ingestS,
      windows: counters.windows, windowLatencyP99S: p99FromBuckets(counters.latencyBuckets),
      results: await readResults(broker, results).catch(() => undefined), counters,
    }
  } finally {
    await server.close()
  }
}

/** A steady stream instead of a backlog: `rate` points a second for `seconds`, produced while the gateway consumes. */
export interface SteadyCase extends KafkaCase {
  /** points a second */
  rate: number
  seconds: number
}

export interface SteadyRow extends SteadyCase {
  /** points a second the producer managed (it shares the machine) */
  producedRate: number
  windows: number
  windowLatencyP99S: number
  results?: KafkaRow['results']
  /**
   * ms from the moment the record that moved the watermark past a window was sent (the producer's clock, which is
   * the gateway's: one machine) to its result being ready: what the gateway's own close → result leaves out —
   * the record's way through Kafka and the consumer, and the time it waited behind other partitions' windows
   */
  sentToResultMs?: Percentiles
  counters: IngestCounters
}

/**
 * Window close → result latency below saturation: the gateway runs first, sensors then report at a steady rate
 * (event time runs ahead of the clock: 20k sensors a second of event time, so 200k points/s close a 10 s window of
 * every partition each wall-clock second). A backlog consumed as fast as possible (kafkaCase) measures throughput,
 * and its windows wait for the cores the next ones are decoded on; this measures what a window waits at a given load.
 */
export async function steadyCase(broker: string, c: SteadyCase, workers: number, log: (line: string) => void): Promise<SteadyRow> {
  const id = randomUUID().slice(0, 8)
  const topic = `bench.steady.${id}`, results = `bench.results.${id}`, group = `bench.${id}`
  const sim = new SensorSimulator({ sensors: 20_000, seed: 7, intervalMs: 1000, dropoutFraction: 0 })
  const producer = new SensorProducer({ brokers: [broker], topic, batch: c.batch, layout: c.layout, format: c.format, clientId: `bench-${id}` })
  await producer.connect(PARTITIONS)
  const server = await BenchServer.start(['--workers', String(workers), '--kafka', broker, '--topic', topic, '--results-topic', results, '--group', group, '--window-ms', String(WINDOW_MS), '--lateness-ms', '2000'])
  try {
    // a send every 50 ms (or every full record per partition, at low rates)
    const perTick = Math.max(PARTITIONS * c.batch, Math.round(c.rate / 20))
    const t0 = performance.now()
    let last = 0
    /** the newest event time sent, and when (epoch ms, after the broker took it) */
    const sent: Array<{ ts: number; at: number }> = []
    for (let k = 0; performance.now() - t0 < c.seconds * 1000; k++) {
      const pts = sim.next(perTick)
      for (const p of pts) if (p.ts > last) last = p.ts
      await producer.send(pts)
      sent.push({ ts: last, at: Date.now() })
      const wait = t0 + ((k + 1) * perTick * 1000) / c.rate - performance.now()
      if (wait > 0) await new Promise((r) => setTimeout(r, wait))
    }
    const producedRate = producer.sentPoints / ((performance.now() - t0) / 1000)
    await producer.send(sentinels().map((sensor) => ({ sensor, ts: last + 3 * WINDOW_MS, lon: 0, lat: 0, value: 0 })))
    sent.push({ ts: last + 3 * WINDOW_MS, at: Date.now() })
    log(`kafka steady ${c.label}: produced ${producer.sentPoints} points at ${Math.round(producedRate)}/s`)
    let counters = await server.ingest()
    const deadline = performance.now() + 120_000
    while (counters.out < producer.sentPoints) {
      if (performance.now() > deadline) throw new Error(`kafka steady ${c.label}: ${counters.out} of ${producer.sentPoints} points out after 120 s`)
      await new Promise((r) => setTimeout(r, 50))
      counters = await server.ingest()
    }
    const list = await readResultList(broker, results).catch(() => [])
    // a window closes once a point past its end + lateness (2 s) comes: the first send that carried one
    const closer = (end: number) => sent.find((s) => s.ts >= end + 2_000)?.at
    const waits = list.flatMap((r) => { const at = closer(r.windowEnd); return at === undefined ? [] : [r.publishedAt - at] })
    return {
      ...c, producedRate, windows: counters.windows, windowLatencyP99S: p99FromBuckets(counters.latencyBuckets),
      results: latencies(list), sentToResultMs: waits.length ? percentiles(waits) : undefined, counters,
    }
  } finally {
    await producer.disconnect()
    await server.close()
  }
}
