// The Kafka source's decoder workers against a real broker (issue 14): sensor records are decoded off the main
// thread, a partition's batches by one worker, whose sensor ids its windows hold. A worker that dies mid-stream
// takes those ids with it: the partitions pinned to it are read again from their last commit (the rest go on), and
// the published window counts (upserted by window key) still add up to exactly the distinct points produced.
import { randomUUID } from 'node:crypto'
import { Kafka, logLevel, type Consumer } from 'kafkajs'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import type {} from '../global-kafka.js'
import { Dataplane } from '../../dataplane/dataplane.js'
import { buildGateway, type Gateway } from '../../gateway/app.js'
import { SensorSimulator } from '../../gateway/ingest/simulator.js'
import { SensorProducer } from '../../gateway/ingest/sensor-producer.js'
import type { SensorPoint } from '../../gateway/ingest/sensor-record.js'
import type { SensorDecoders } from '../../gateway/ingest/decode-pool.js'
import type { IngestLogger } from '../../gateway/ingest/ingest-log.js'
import { waitFor } from '../helpers/gateway-process.js'

const brokers = inject('kafkaBrokers')
let dp: Dataplane
const consumers: Consumer[] = []

beforeAll(async () => { dp = await Dataplane.start({ workers: 1 }) })
afterAll(async () => {
  await Promise.all(consumers.map((c) => c.disconnect()))
  await dp.close()
})

/** Reads the results topic from the start, keeping the latest count per window key (results are upserts). */
async function resultReader(topic: string): Promise<{ total: () => number; windows: () => number }> {
  const consumer = new Kafka({ clientId: 'results-reader', brokers: [brokers], logLevel: logLevel.NOTHING }).consumer({ groupId: `reader.${randomUUID()}`, maxWaitTimeInMs: 200 })
  consumers.push(consumer)
  await consumer.connect()
  await consumer.subscribe({ topic, fromBeginning: true })
  const counts = new Map<string, number>()
  await consumer.run({ eachMessage: async ({ message }) => {
    const r = JSON.parse(message.value!.toString()) as { key: string; count: number }
    counts.set(r.key, r.count)
  } })
  return { total: () => [...counts.values()].reduce((a, b) => a + b, 0), windows: () => counts.size }
}

describe('the decoder workers of a Kafka source', () => {
  it('a decoder worker dies mid-stream, twice: its partitions are read again from their commit; every distinct point counted once', async () => {
    const id = randomUUID().slice(0, 8)
    const topic = `sensors.${id}`, resultsTopic = `results.${id}`
    const lines: string[] = []
    const at = (level: string) => (a: object | string, msg?: string) => { lines.push(`${level}: ${typeof a === 'string' ? a : msg}`) }
    const log: IngestLogger = { level: 'info', error: at('error'), warn: at('warn'), info: at('info'), debug: at('debug') }
    const producer = new SensorProducer({ brokers: [brokers], topic, batch: 40 })
    await producer.connect(4)
    let gw: Gateway | undefined
    try {
      gw = await buildGateway({
        dataplane: dp, chainsDir: null, faasletsDir: null, logLevel: false,
        ingestion: { windows: { sizeMs: 1_000, allowedLatenessMs: 800 }, idleFlushMs: 4_000, simulator: null, log, kafka: { brokers: [brokers], topic, resultsTopic, groupId: `gw.${id}`, decodeWorkers: 2 } },
      })
      const decoders = (gw.ctx.ingestion!.kafka as unknown as { decoders: SensorDecoders }).decoders
      const reader = await resultReader(resultsTopic)
      // 10 % of points 300 ms late (inside the lateness), 5 % sent twice
      const sim = new SensorSimulator({ sensors: 300, seed: 31, startTs: 1_700_000_000_000, intervalMs: 1_000, lateFraction: 0.1, lateMs: 300, duplicateFraction: 0.05 })
      const sent: SensorPoint[] = []
      const produce = async (rounds: number) => {
        for (let i = 0; i < rounds; i++) {
          const batch = sim.next(1_200)
          sent.push(...batch)
          await producer.send(batch)
          await new Promise((r) => setTimeout(r, 50))
        }
      }
      await produce(8)
      await waitFor('windows published', () => (reader.windows() >= 4 ? true : undefined), 60_000)
      await decoders.workers[0].terminate() // with windows open and batches on their way
      await produce(6)
      await decoders.workers[0].terminate() // its successor too
      await produce(8)
      const distinct = new Set(sent.map((p) => `${p.sensor}|${p.ts}`)).size
      expect(sent.length).toBeGreaterThan(distinct)
      await waitFor(`${distinct} distinct points in the results`, () => (reader.total() === distinct ? true : undefined), 120_000).catch((e: Error) => {
        throw new Error(`${e.message}: ${reader.total()} in ${reader.windows()} windows\n${lines.slice(-30).join('\n')}`)
      })
      expect(decoders.generation(0)).toBe(2)
      expect(decoders.generation(1)).toBe(0)
      const replays = lines.filter((l) => /reading .* again from its last commit/.test(l))
      expect(replays.length, lines.join('\n')).toBeGreaterThanOrEqual(2)
      expect((await gw.app.inject({ url: '/readyz' })).statusCode).toBe(200)
    } finally {
      await producer.disconnect()
      await gw?.close()
    }
  })
})
