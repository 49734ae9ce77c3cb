// Kafka ingestion throughput against a real broker: sensor points are produced first (SensorProducer,
// gateway/ingest/sensor-producer.ts) into a fresh topic, then a gateway (bench/server.ts with --kafka)
// consumes them from the beginning; we time from its first ingested point to the last point published
// in a window result, reading the gateway's own counters. The producer's speed is therefore not part of
// the figure. A sentinel point per partition, far ahead in event time, closes every window of the data.
// Window close → result latency p99 comes from the gateway's histogram (an upper bucket bound).
import { randomUUID } from 'node:crypto'
import { connect } from 'node:net'
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

export async function kafkaCase(broker: string, c: KafkaCase, workers: number, log: (line: string) => void, profileDir?: string): Promise<KafkaRow> {
  const id = randomUUID().slice(0, 8)
  const topic = `bench.sensors.${id}`, results = `bench.results.${id}`, group = `bench.${id}`
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
  const records = producer.sentRecords
  log(`kafka ${c.label}: produced ${producer.sentPoints} points in ${records} records in ${produceS.toFixed(1)} s; consuming`)

  const server = await BenchServer.start(['--workers', String(workers), '--kafka', broker, '--topic', topic, '--results-topic', results, '--group', group, '--window-ms', String(WINDOW_MS), '--lateness-ms', '2000'])
  try {
    if (profileDir) await server.profileStart()
    let first = NaN
    let counters = await server.ingest()
    const deadline = performance.now() + 300_000
    while (counters.out < producer.sentPoints) {
      if (performance.now() > deadline) throw new Error(`kafka ${c.label}: ${counters.out} of ${producer.sentPoints} points out after 300 s`)
      await new Promise((r) => setTimeout(r, 20))
      counters = await server.ingest()
      if (Number.isNaN(first) && counters.in > 0) first = performance.now()
    }
    const ingestS = (performance.now() - first) / 1000
    const profile = profileDir ? await server.profileStop(profileDir, `kafka-${c.label.replace(/\W+/g, '-')}`) : undefined
    return {
      profile,
      ...c, records, produceS, ingestS,
      pointsPerS: producer.sentPoints / ingestS, recordsPerS: records / ingestS,
      windows: counters.windows, windowLatencyP99S: p99FromBuckets(counters.latencyBuckets), counters,
    }
  } finally {
    await server.close()
  }
}
