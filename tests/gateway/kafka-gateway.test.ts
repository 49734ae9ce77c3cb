// The gateway against a real Kafka broker: every produced point is counted exactly once in the published
// window results — with duplicates and out-of-order points in the stream, across a SIGKILL and restart,
// and with two instances sharing the partitions.
import { randomUUID } from 'node:crypto'
import { Kafka, logLevel, type Consumer } from 'kafkajs'
import { afterAll, afterEach, describe, expect, inject, it } from 'vitest'
import type {} from '../global-kafka.js'
import { SensorSimulator } from '../../gateway/ingest/simulator.js'
import { SensorProducer } from '../../gateway/ingest/sensor-producer.js'
import type { SensorPoint } from '../../gateway/ingest/sensor-record.js'
import { startGatewayProcess, waitFor, type GatewayProcess } from '../helpers/gateway-process.js'

const brokers = inject('kafkaBrokers')
const started: GatewayProcess[] = []
const consumers: Consumer[] = []

afterEach(async () => {
  await Promise.all(started.splice(0).map((g) => g.kill()))
  await Promise.all(consumers.splice(0).map((c) => c.disconnect()))
})

afterAll(async () => {
  await Promise.all(started.map((g) => g.kill()))
})

interface Setup {
  topic: string
  results: string
  group: string
  args: string[]
}

function setup(): Setup {
  const id = randomUUID().slice(0, 8)
  const topic = `sensors.${id}`, results = `results.${id}`, group = `gw.${id}`
  return {
    topic, results, group,
    args: ['--kafka', brokers, '--topic', topic, '--results-topic', results, '--group', group, '--no-simulator',
      '--window-ms', '1000', '--lateness-ms', '800', '--idle-flush-ms', '4000', '--workers', '1', '--chains-dir', `/tmp/graticule-test-${id}`],
  }
}

/** Reads the results topic from the start, keeping the latest result per window key (results are upserts). */
async function resultReader(topic: string): Promise<{ total: () => number; windows: () => number; keys: Map<string, number> }> {
  const kafka = new Kafka({ clientId: 'results-reader', brokers: [brokers], logLevel: logLevel.NOTHING })
  const consumer = kafka.consumer({ groupId: `reader.${randomUUID()}`, maxWaitTimeInMs: 200 })
  consumers.push(consumer)
  await consumer.connect()
  await consumer.subscribe({ topic, fromBeginning: true })
  const keys = new Map<string, number>()
  await consumer.run({
    eachMessage: async ({ message }) => {
      const r = JSON.parse(message.value!.toString()) as { key: string; count: number }
      keys.set(r.key, r.count)
    },
  })
  return { keys, total: () => [...keys.values()].reduce((a, b) => a + b, 0), windows: () => keys.size }
}

function stream(seed: number, sensors = 400): SensorSimulator {
  // 10 % of points arrive 300 ms late (within the 800 ms allowed lateness), 5 % are sent twice
  return new SensorSimulator({ sensors, seed, startTs: 1_700_000_000_000, intervalMs: 1_000, lateFraction: 0.1, lateMs: 300, duplicateFraction: 0.05 })
}

function distinct(points: SensorPoint[]): number {
  return new Set(points.map((p) => `${p.sensor}|${p.ts}`)).size
}

/** Waits for the results to add up; on timeout says how far they got and what the gateways logged. */
async function allCounted(reader: { total: () => number; windows: () => number }, want: number, gateways: GatewayProcess[], timeoutMs: number): Promise<void> {
  try {
    await waitFor('all points in results', () => (reader.total() === want ? true : undefined), timeoutMs)
  } catch (e) {
    const late = await Promise.all(gateways.map((g) => metric(g, /graticule_sensor_points_total\{source="kafka",outcome="late"\} (\d+)/).catch(() => NaN)))
    throw new Error(`${(e as Error).message}: counted ${reader.total()} of ${want} in ${reader.windows()} windows; late per gateway ${late.join(', ')}\n${gateways.map((g) => g.output().slice(-2000)).join('\n---\n')}`)
  }
}

async function metric(g: GatewayProcess, re: RegExp): Promise<number> {
  const text = await (await fetch(`${g.url}/metrics`)).text()
  return [...text.matchAll(new RegExp(re.source, 'g'))].reduce((n, m) => n + Number(m[1]), 0)
}

describe('gateway ⇄ Kafka', () => {
  it('counts every distinct point once: duplicates and out-of-order points in the stream', async () => {
    const s = setup()
    const producer = new SensorProducer({ brokers: [brokers], topic: s.topic, batch: 50 })
    await producer.connect(4)
    const gw = await startGatewayProcess(s.args)
    started.push(gw)
    const reader = await resultReader(s.results)
    const sim = stream(1)
    const sent: SensorPoint[] = []
    for (let i = 0; i < 20; i++) {
      const batch = sim.next(2_000)
      sent.push(...batch)
      await producer.send(batch)
    }
    await producer.disconnect()
    const want = distinct(sent)
    expect(sent.length).toBeGreaterThan(want) // the stream really has duplicates
    await allCounted(reader, want, [gw], 120_000)
    expect(reader.total()).toBe(want)
    expect(await metric(gw, /graticule_sensor_points_total\{source="kafka",outcome="deduplicated"\} (\d+)/)).toBe(sent.length - want)
    expect(await metric(gw, /graticule_sensor_points_total\{source="kafka",outcome="late"\} (\d+)/)).toBe(0)
    const status = await (await fetch(`${gw.url}/live/status`)).json() as { kafka: { partitions: number[] } }
    expect(status.kafka.partitions).toEqual([0, 1, 2, 3])
    expect((await fetch(`${gw.url}/readyz`)).status).toBe(200)
  })

  it('loses nothing and adds nothing twice when the gateway is SIGKILLed mid-stream and restarted', async () => {
    const s = setup()
    const producer = new SensorProducer({ brokers: [brokers], topic: s.topic, batch: 25 })
    await producer.connect(4)
    let gw = await startGatewayProcess(s.args)
    started.push(gw)
    const reader = await resultReader(s.results)
    const sim = stream(2)
    const sent: SensorPoint[] = []
    const produce = async (rounds: number) => {
      for (let i = 0; i < rounds; i++) {
        const batch = sim.next(1_500)
        sent.push(...batch)
        await producer.send(batch)
        await new Promise((r) => setTimeout(r, 50))
      }
    }
    await produce(10)
    await waitFor('some windows published', () => (reader.windows() > 3 ? true : undefined))
    await gw.kill() // mid-stream: open windows and uncommitted offsets die with it
    const restart = startGatewayProcess(s.args)
    await produce(10) // the stream goes on while no gateway runs
    gw = await restart
    started.push(gw)
    await produce(10)
    await producer.disconnect()
    const want = distinct(sent)
    await allCounted(reader, want, [gw], 150_000)
    expect(reader.total()).toBe(want)
  })

  it('two instances split the partitions, and the totals still match', async () => {
    const s = setup()
    const producer = new SensorProducer({ brokers: [brokers], topic: s.topic, batch: 40 })
    await producer.connect(4)
    const a = await startGatewayProcess(s.args)
    started.push(a)
    const reader = await resultReader(s.results)
    const sim = stream(3)
    const sent: SensorPoint[] = []
    const produce = async (rounds: number) => {
      for (let i = 0; i < rounds; i++) {
        const batch = sim.next(1_500)
        sent.push(...batch)
        await producer.send(batch)
        await new Promise((r) => setTimeout(r, 50))
      }
    }
    await produce(8)
    const b = await startGatewayProcess(s.args)
    started.push(b)
    const parts = async (g: GatewayProcess) => ((await (await fetch(`${g.url}/live/status`)).json()) as { kafka: { partitions: number[] } }).kafka.partitions
    // keep the stream going while the group rebalances
    const split = await waitFor('the group to split the partitions', async () => {
      await produce(1)
      const [pa, pb] = [await parts(a), await parts(b)]
      return pa.length > 0 && pb.length > 0 && pa.length + pb.length === 4 ? [pa, pb] : undefined
    }, 60_000, 500)
    expect(new Set([...split[0], ...split[1]]).size).toBe(4)
    await produce(10)
    await producer.disconnect()
    const want = distinct(sent)
    await allCounted(reader, want, [a, b], 150_000)
    expect(reader.total()).toBe(want)
    // both instances published windows
    expect(await metric(a, /graticule_windows_closed_total\{source="kafka"\} (\d+)/)).toBeGreaterThan(0)
    expect(await metric(b, /graticule_windows_closed_total\{source="kafka"\} (\d+)/)).toBeGreaterThan(0)
  })
})
