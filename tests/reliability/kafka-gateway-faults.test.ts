// Gateway processes failing against the shared test broker (tests/global-kafka.ts), with sensors producing
// all the while — duplicates and out-of-order points included. (kafka-gateway.test.ts has one SIGKILL and a
// two-instance split; these are the harder variants.)
//   - one gateway SIGKILLed three times at different moments (before its first result, right after a
//     restart, mid-window), restarted each time;
//   - two gateways sharing the partitions, one stopped gracefully (SIGTERM) mid-stream: the other takes
//     every partition over.
// Each time the published window counts (upserted by window key) must add up to the distinct points produced.
import { randomUUID } from 'node:crypto'
import { afterEach, describe, expect, inject, it } from 'vitest'
import type {} from '../global-kafka.js'
import { SensorSimulator } from '../../gateway/ingest/simulator.js'
import { SensorProducer } from '../../gateway/ingest/sensor-producer.js'
import type { SensorPoint } from '../../gateway/ingest/sensor-record.js'
import { startGatewayProcess, waitFor, type GatewayProcess } from '../helpers/gateway-process.js'
import { distinctPoints, kafkaScenario, readResults, totalOf, windowDifferences, type KafkaScenario } from './helpers.js'

const brokers = inject('kafkaBrokers')
const started: GatewayProcess[] = []

afterEach(async () => {
  await Promise.all(started.splice(0).map((g) => g.kill()))
})

async function gateway(s: KafkaScenario): Promise<GatewayProcess> {
  const g = await startGatewayProcess(s.args)
  started.push(g)
  return g
}

/** Sensors reporting in the background, a batch every `everyMs`, until stop(); `sent` holds what Kafka took. */
async function sensors(s: KafkaScenario, seed: number): Promise<{ sent: SensorPoint[]; stop(): Promise<void> }> {
  const producer = new SensorProducer({ brokers: [brokers], topic: s.topic, batch: 30 })
  await producer.connect(4)
  const sim = new SensorSimulator({ sensors: 300, seed, startTs: 1_700_000_000_000, intervalMs: 1_000, lateFraction: 0.1, lateMs: 300, duplicateFraction: 0.05 })
  const sent: SensorPoint[] = []
  let running = true
  const loop = (async () => {
    while (running) {
      const batch = sim.next(300) // ~2,000 points/s: a stream the gateways keep up with on a loaded machine
      await producer.send(batch)
      sent.push(...batch)
      await new Promise((r) => setTimeout(r, 100))
    }
  })()
  return {
    sent,
    async stop() {
      running = false
      await loop
      await producer.disconnect()
    },
  }
}

/** Waits until the results add up to the distinct points sent; on timeout says which windows differ. */
async function expectCountedOnce(s: KafkaScenario, sent: SensorPoint[], what: string): Promise<number> {
  const want = distinctPoints(sent)
  expect(sent.length).toBeGreaterThan(want) // the stream carried duplicates
  try {
    const keys = await waitFor(what, async () => {
      const k = await readResults(brokers, s.results)
      return totalOf(k) === want ? k : undefined
    }, 150_000, 2_000)
    console.log(`${what}: ${sent.length} points produced (${want} distinct), ${totalOf(keys)} counted out in ${keys.size} windows`)
    return totalOf(keys)
  } catch (e) {
    const keys = await readResults(brokers, s.results)
    throw new Error(`${(e as Error).message}: ${totalOf(keys)} of ${want} counted; published/produced where they differ:\n  ${(await windowDifferences(sent, keys, s.topic, 1_000)).join('\n  ')}`)
  }
}

const windows = async (s: KafkaScenario) => (await readResults(brokers, s.results)).size
const partitionsOf = async (g: GatewayProcess) => ((await (await fetch(`${g.url}/live/status`)).json()) as { kafka: { partitions: number[] } }).kafka.partitions

describe('gateway faults against Kafka', () => {
  it('SIGKILLed three times at different moments and restarted: every distinct point counted once', async () => {
    const s = kafkaScenario(brokers, randomUUID().slice(0, 8))
    const stream = await sensors(s, 21)
    let g = await gateway(s)
    // 1. before it has published anything
    await new Promise((r) => setTimeout(r, 1_500))
    await g.kill()
    g = await gateway(s)
    // 2. right after the restart, while it rejoins the group and replays
    await new Promise((r) => setTimeout(r, 500))
    await g.kill()
    g = await gateway(s)
    // 3. mid-stream, with windows open and results flowing
    await waitFor('results flowing', async () => ((await windows(s)) >= 5 ? true : undefined), 90_000, 1_000)
    await new Promise((r) => setTimeout(r, 700))
    await g.kill()
    await new Promise((r) => setTimeout(r, 2_000)) // down for a while: the stream goes on
    g = await gateway(s)
    await new Promise((r) => setTimeout(r, 4_000))
    await stream.stop()
    const counted = await expectCountedOnce(s, stream.sent, 'three SIGKILLs')
    expect(counted).toBe(distinctPoints(stream.sent))
    expect((await fetch(`${g.url}/readyz`)).status).toBe(200)
  }, 300_000)

  it('two gateways; one stops gracefully (SIGTERM) mid-stream, the other takes every partition over', async () => {
    const s = kafkaScenario(brokers, randomUUID().slice(0, 8))
    const t0 = Date.now()
    const at = (what: string) => console.log(`${((Date.now() - t0) / 1000).toFixed(1)} s: ${what}`)
    const stream = await sensors(s, 22)
    const a = await gateway(s)
    const b = await gateway(s)
    at('both gateways up')
    const split = await waitFor('the two to split the partitions', async () => {
      const [pa, pb] = [await partitionsOf(a), await partitionsOf(b)]
      return pa.length > 0 && pb.length > 0 && pa.length + pb.length === 4 ? [pa, pb] : undefined
    }, 90_000, 500)
    expect(new Set(split.flat()).size).toBe(4)
    at(`split: a ${split[0]}, b ${split[1]}`)
    await waitFor('results flowing', async () => ((await windows(s)) >= 5 ? true : undefined), 90_000, 1_000)
    // graceful: stop intake, publish closed windows, commit below the open ones (b replays them whole), leave the group, exit 0
    at('SIGTERM to a')
    const code = await Promise.race([a.stop(), new Promise<string>((r) => setTimeout(() => r('still running after 60 s'), 60_000))])
    at(`a exited: ${code}`)
    expect(code, a.output().split('\n').slice(-20).join('\n')).toBe(0)
    await waitFor('b to own all four partitions', async () => ((await partitionsOf(b)).length === 4 ? true : undefined), 60_000, 500)
    at('b owns all four partitions')
    await new Promise((r) => setTimeout(r, 4_000))
    await stream.stop()
    at('stream stopped')
    const counted = await expectCountedOnce(s, stream.sent, 'SIGTERM hand-over')
    expect(counted).toBe(distinctPoints(stream.sent))
  }, 300_000)
})
