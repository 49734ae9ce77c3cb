// Kafka scenarios for the broker- and gateway-fault tests: isolated topics and serve arguments, and reading the
// published window counts back to compare with what was produced.
import { tmpdir } from 'node:os'
import { join } from 'node:path'

/** Topics, group and `graticule serve` arguments of one isolated Kafka scenario. */
export interface KafkaScenario {
  topic: string
  results: string
  group: string
  args: string[]
}

export function kafkaScenario(brokers: string, id: string, extra: string[] = []): KafkaScenario {
  const topic = `sensors.${id}`, results = `results.${id}`, group = `gw.${id}`
  return {
    topic, results, group,
    args: ['--kafka', brokers, '--topic', topic, '--results-topic', results, '--group', group, '--no-simulator',
      '--window-ms', '1000', '--lateness-ms', '800', '--idle-flush-ms', '4000', '--workers', '1', '--chains-dir', join(tmpdir(), `graticule-reliability-${id}`), ...extra],
  }
}

/** Distinct points of a stream: what must be counted out, once each, whatever was sent twice. */
export function distinctPoints(points: Array<{ sensor: string; ts: number }>): number {
  return new Set(points.map((p) => `${p.sensor}|${p.ts}`)).size
}

/**
 * Reads `topic` from its start up to its current end with a fresh consumer group (nothing committed), handing
 * each record to `each` in order of its partition.
 */
export async function readTopic(brokers: string, topic: string, each: (message: { value: Buffer | null; offset: string }, partition: number) => void): Promise<void> {
  const { Kafka, logLevel } = await import('kafkajs')
  const kafka = new Kafka({ clientId: 'reliability-reader', brokers: [brokers], logLevel: logLevel.NOTHING, retry: { retries: 2 } })
  const admin = kafka.admin()
  await admin.connect()
  let ends: Map<number, number>
  try {
    ends = new Map((await admin.fetchTopicOffsets(topic)).map((o) => [o.partition, Number(o.high)]))
  } finally {
    await admin.disconnect()
  }
  if ([...ends.values()].every((e) => e === 0)) return
  const consumer = kafka.consumer({ groupId: `reader.${Date.now()}.${Math.random().toString(36).slice(2)}`, maxWaitTimeInMs: 100 })
  await consumer.connect()
  try {
    await consumer.subscribe({ topic, fromBeginning: true })
    const seen = new Map<number, number>()
    await new Promise<void>((resolve, reject) => {
      const done = () => [...ends].every(([p, end]) => end === 0 || (seen.get(p) ?? -1) + 1 >= end)
      const timer = setTimeout(() => reject(new Error(`reading ${topic} timed out`)), 30_000)
      consumer.run({
        eachMessage: async ({ partition, message }) => {
          each(message, partition)
          seen.set(partition, Number(message.offset))
          if (done()) { clearTimeout(timer); resolve() }
        },
      }).catch(reject)
    })
  } finally {
    await consumer.disconnect()
  }
}

/**
 * The last result per window key of a results topic (results are upserts: a window re-emitted after a crash
 * replaces itself); `history` gets every record of each key.
 */
export async function readResults(brokers: string, topic: string, history?: Map<string, string[]>): Promise<Map<string, number>> {
  const keys = new Map<string, number>()
  await readTopic(brokers, topic, (message) => {
    const r = JSON.parse(message.value!.toString()) as { key: string; count: number; duplicates: number; publishedAt: number; provisional?: boolean }
    keys.set(r.key, r.count)
    if (history) history.set(r.key, [...(history.get(r.key) ?? []), `${r.provisional ? 'provisional ' : ''}count ${r.count} dup ${r.duplicates} at ${new Date(r.publishedAt).toISOString().slice(11, 23)} (offset ${message.offset})`])
  })
  return keys
}

export const totalOf = (keys: Map<string, number>) => [...keys.values()].reduce((a, b) => a + b, 0)

/**
 * Windows whose published count differs from what was produced into them (the first `limit`), as
 * "key: published/expected": where points went missing or were counted twice.
 */
export async function windowDifferences(points: Array<{ sensor: string; ts: number }>, results: Map<string, number>, topic: string, windowMs: number, partitions = 4, limit = 12): Promise<string[]> {
  const { sensorPartition } = await import('../../../gateway/ingest/sensor-producer.js')
  const want = new Map<string, Set<string>>()
  for (const p of points) {
    const key = `${topic}/${sensorPartition(p.sensor, partitions)}/${Math.floor(p.ts / windowMs) * windowMs}`
    let set = want.get(key)
    if (!set) want.set(key, (set = new Set()))
    set.add(`${p.sensor}|${p.ts}`)
  }
  const out: string[] = []
  for (const key of [...new Set([...want.keys(), ...results.keys()])].sort()) {
    const w = want.get(key)?.size ?? 0, got = results.get(key) ?? 0
    if (w !== got) out.push(`${key}: ${got}/${w}`)
  }
  return out.length > limit ? [...out.slice(0, limit), `… ${out.length - limit} more`] : out
}
