// The Kafka broker itself dies (SIGKILL) mid-stream and comes back. This file runs its own broker on
// 127.0.0.1:19192 (controller 19193; GRATICULE_TEST_KAFKA_FAULT_PORT moves it) so it can kill and restart it
// without disturbing the shared test broker of the other Kafka tests. A `graticule serve` process consumes
// from it; sensors keep reporting while the broker is down (their batches wait and are sent once it is back,
// the last one twice). The gateway must recover on its own and, in the end, the published window counts
// (upserted by window key) must add up to exactly the distinct points produced: nothing lost, nothing twice.
import { randomUUID } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startBroker, type BrokerHandle } from '../../gateway/kafka/broker.js'
import { SensorSimulator } from '../../gateway/ingest/simulator.js'
import { SensorProducer } from '../../gateway/ingest/sensor-producer.js'
import type { SensorPoint } from '../../gateway/ingest/sensor-record.js'
import { startGatewayProcess, waitFor, type GatewayProcess } from '../helpers/gateway-process.js'
import { distinctPoints, kafkaScenario, readResults, totalOf, windowDifferences } from './helpers.js'

const PORT = Number(process.env.GRATICULE_TEST_KAFKA_FAULT_PORT || 19192)
const dataDir = mkdtempSync(join(tmpdir(), 'graticule-kafka-kill-'))
let broker: BrokerHandle | null = null
const gateways: GatewayProcess[] = []

const start = () => startBroker({ port: PORT, controllerPort: PORT + 1, dataDir, detached: false, ownerPid: process.pid, log: (l) => console.log(l) })

/** SIGKILL the broker we started, by its pid, and wait until it is gone. */
async function killBroker(): Promise<void> {
  const pid = broker!.pid
  process.kill(pid, 'SIGKILL')
  await waitFor('the broker to die', () => {
    try {
      process.kill(pid, 0)
      return undefined
    } catch {
      return true
    }
  }, 20_000, 100)
  broker = null
}

beforeAll(async () => {
  broker = await start()
}, 180_000)

afterAll(async () => {
  await Promise.all(gateways.map((g) => g.kill()))
  if (broker) await broker.stop()
  rmSync(dataDir, { recursive: true, force: true })
}, 120_000)

describe('the Kafka broker is SIGKILLed mid-stream and restarted', () => {
  it('the gateway recovers by itself; counted in = counted out', async () => {
    const brokers = broker!.brokers
    const s = kafkaScenario(brokers, randomUUID().slice(0, 8))
    // 10 % of points 300 ms late (inside the 800 ms lateness), 5 % sent twice by the sensors themselves
    const sim = new SensorSimulator({ sensors: 300, seed: 11, startTs: 1_700_000_000_000, intervalMs: 1_000, lateFraction: 0.1, lateMs: 300, duplicateFraction: 0.05 })
    const produced: SensorPoint[] = []
    const pending: SensorPoint[][] = []
    let producer = new SensorProducer({ brokers: [brokers], topic: s.topic, batch: 25 })
    await producer.connect(4)
    const send = async (batch: SensorPoint[]) => {
      await producer.send(batch)
      produced.push(...batch)
    }
    const rounds = async (n: number) => {
      for (let i = 0; i < n; i++) {
        await send(sim.next(1_200))
        await new Promise((r) => setTimeout(r, 50))
      }
    }

    const t0 = Date.now()
    const at = (what: string) => console.log(`${((Date.now() - t0) / 1000).toFixed(1)} s: ${what}`)
    const gw = await startGatewayProcess(s.args)
    gateways.push(gw)
    await rounds(12)
    await waitFor('windows published before the kill', async () => ((await readResults(brokers, s.results)).size >= 3 ? true : undefined), 60_000, 1_000)
    await rounds(4)
    const lastBefore = produced.slice(-600)

    // the broker dies with windows open, offsets uncommitted and results possibly in flight
    at(`killing the broker; last event time produced ${new Date(produced[produced.length - 1].ts).toISOString().slice(11, 23)}`)
    await killBroker()
    await producer.disconnect().catch(() => undefined)
    // sensors keep reporting for a while: their batches wait
    for (let i = 0; i < 8; i++) {
      pending.push(sim.next(1_200))
      await new Promise((r) => setTimeout(r, 500))
    }
    expect(gw.child.exitCode).toBeNull() // the gateway survives its broker's death

    at('restarting the broker')
    broker = await start() // same data dir and port: the topics, logs and committed offsets are back
    producer = new SensorProducer({ brokers: [brokers], topic: s.topic, batch: 25 })
    await producer.connect(4)
    at('broker back; sending what waited')
    for (const batch of pending) await send(batch)
    await send(lastBefore) // a sensor gateway that resends its last batch after the outage: duplicates
    await rounds(10)
    await producer.disconnect()

    const want = distinctPoints(produced)
    expect(produced.length).toBeGreaterThan(want) // the stream really carried duplicates
    // readiness first (its Kafka clients must reconnect by themselves), then the counts; both are reported
    const ready = await waitFor('readyz 200 after the broker came back', async () => ((await fetch(`${gw.url}/readyz`)).status === 200 ? true : undefined), 60_000, 500).catch(() => false)
    let problem = ''
    const results = await waitFor('every distinct point counted once after the broker restart', async () => {
      const keys = await readResults(brokers, s.results)
      return totalOf(keys) === want ? keys : undefined
    }, 120_000, 3_000).catch(async (e: Error) => {
      const history = new Map<string, string[]>()
      const keys = await readResults(brokers, s.results, history).catch(() => new Map<string, number>())
      const diff = (await windowDifferences(produced, keys, s.topic, 1_000)).map((d) => `${d}   published: ${(history.get(d.split(':')[0]) ?? ['never']).join('; ')}`)
      problem = `${e.message}: results count ${totalOf(keys)} of ${want} distinct points produced (${keys.size} windows); published/produced per window where they differ:\n  ${diff.join('\n  ')}`
      return keys
    })
    console.log(`broker kill: ${produced.length} points produced (${want} distinct), ${totalOf(results)} counted out in ${results.size} windows; ready again: ${ready}`)
    if (problem) console.log(problem)
    expect({ countedOut: totalOf(results), ready }).toEqual({ countedOut: want, ready: true })
  }, 360_000)
})
