// The Kafka broker goes away mid-stream and comes back, for about 2 s, 15 s and 45 s in turn, while sensors keep
// reporting. This file runs its own broker on 127.0.0.1:19192 (controller 19193; GRATICULE_TEST_KAFKA_FAULT_PORT
// moves it) behind a TCP link it can cut (support/tcp-link.ts): the broker advertises the link's port, so every
// client — the gateway, the sensors, the result reader — reaches it through the link.
//   - 2 s: the link is cut and restored, the broker lives (a network blip);
//   - 15 s and 45 s: the link is cut and the broker SIGKILLed, then restarted at once on the same port with its data
//     intact, behind the still-cut link, which is restored when the outage has lasted its time. The broker's group
//     coordinator is back before the gateway can reach it, so it expires the gateway's member while the gateway is
//     away: a slow restart, made slow on purpose. (In issue 13 this stranded the gateway: its consumer died on the
//     first commit after the restart, "the coordinator is not aware of this member", and never came back.)
// Each outage starts with a burst, so the gateway is busy publishing and committing when its broker goes. After
// each one the gateway must recover by itself: /readyz 503 while the link is down (15 s and 45 s), 200 again after,
// the Kafka link's state changes in its log and metrics, and the published window counts (upserted by window key)
// adding up to exactly the distinct points produced so far: nothing lost, nothing twice.
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
import { startTcpLink, type TcpLink } from './support/tcp-link.js'
import { distinctPoints, kafkaScenario, readResults, totalOf, windowDifferences } from './helpers.js'

const PORT = Number(process.env.GRATICULE_TEST_KAFKA_FAULT_PORT || 19192)
const dataDir = mkdtempSync(join(tmpdir(), 'graticule-kafka-kill-'))
let link: TcpLink
let broker: BrokerHandle | null = null
const gateways: GatewayProcess[] = []

const start = () => startBroker({ port: PORT, controllerPort: PORT + 1, advertisedPort: link.port, dataDir, detached: false, ownerPid: process.pid, log: (l) => console.log(l) })
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

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
  link = await startTcpLink(PORT)
  broker = await start()
}, 180_000)

afterAll(async () => {
  // the gateway's own lines (the link's changes, failures, consumers replaced), pass or fail
  for (const g of gateways) console.log(`the gateway's own log lines:\n  ${g.output().split('\n').filter((l) => l.startsWith('graticule:')).join('\n  ')}`)
  await Promise.all(gateways.map((g) => g.kill()))
  if (broker) await broker.stop()
  await link?.close()
  rmSync(dataDir, { recursive: true, force: true })
}, 120_000)

const readyStatus = async (url: string) => (await fetch(`${url}/readyz`).catch(() => null))?.status ?? 0
async function counter(url: string, name: string): Promise<number> {
  return Number(new RegExp(`^${name} (\\d+)$`, 'm').exec(await (await fetch(`${url}/metrics`)).text())?.[1] ?? 0)
}
/** graticule_kafka_link_changes_total by the state entered */
async function linkChanges(url: string): Promise<Record<string, number>> {
  const text = await (await fetch(`${url}/metrics`)).text()
  return Object.fromEntries([...text.matchAll(/^graticule_kafka_link_changes_total\{to="(\w+)"\} (\d+)$/gm)].map((m) => [m[1], Number(m[2])]))
}

describe('the Kafka broker goes away mid-stream for 2 s, 15 s and 45 s', () => {
  it('the gateway recovers by itself each time, readiness tells the truth; counted in = counted out', async () => {
    const brokers = `127.0.0.1:${link.port}`
    // a consumer silent for 10 s (not the default 30 s) is replaced: the 15 s and 45 s outages take that path too
    const s = kafkaScenario(brokers, randomUUID().slice(0, 8), ['--kafka-replace-ms', '10000'])
    // 10 % of points 300 ms late (inside the 800 ms lateness), 5 % sent twice by the sensors themselves
    const sim = new SensorSimulator({ sensors: 300, seed: 11, startTs: 1_700_000_000_000, intervalMs: 1_000, lateFraction: 0.1, lateMs: 300, duplicateFraction: 0.05 })
    const produced: SensorPoint[] = []
    let producer = new SensorProducer({ brokers: [brokers], topic: s.topic, batch: 25 })
    await producer.connect(4)
    const send = async (batch: SensorPoint[]) => {
      await producer.send(batch)
      produced.push(...batch)
    }
    const rounds = async (n: number, pauseMs = 50) => {
      for (let i = 0; i < n; i++) {
        await send(sim.next(1_200))
        if (pauseMs) await sleep(pauseMs)
      }
    }
    const t0 = Date.now()
    const at = (what: string) => console.log(`${((Date.now() - t0) / 1000).toFixed(1)} s: ${what}`)
    const gw = await startGatewayProcess(s.args)
    gateways.push(gw)
    await rounds(12)
    await waitFor('windows published before the first outage', async () => ((await readResults(brokers, s.results)).size >= 3 ? true : undefined), 60_000, 1_000)

    const report: string[] = []
    for (const { downMs, killBroker: kill } of [{ downMs: 2_000, killBroker: false }, { downMs: 15_000, killBroker: true }, { downMs: 45_000, killBroker: true }]) {
      const what = `${downMs / 1000} s outage${kill ? ' (broker SIGKILLed, restarted behind the cut link)' : ' (link cut, broker alive)'}`
      await rounds(10, 0) // a burst: the gateway is busy publishing and committing when the link goes
      const lastBefore = produced.slice(-600)
      const changesBefore = await linkChanges(gw.url)
      at(`${what}: cutting the link`)
      const cutAt = Date.now()
      await link.cut()
      if (kill) await killBroker()
      await producer.disconnect().catch(() => undefined)
      // the broker restarts at once, with its data, while clients cannot reach it yet
      const restarted = kill ? start().then((b) => { broker = b; at(`broker ready behind the cut link after ${((Date.now() - cutAt) / 1000).toFixed(1)} s`) }) : Promise.resolve()
      // sensors keep reporting while the link is down: their batches wait
      const pending: SensorPoint[][] = []
      let notReadyAfterMs = -1
      while (Date.now() - cutAt < downMs) {
        pending.push(sim.next(600))
        if (notReadyAfterMs < 0 && (await readyStatus(gw.url)) === 503) notReadyAfterMs = Date.now() - cutAt
        await sleep(500)
      }
      // (the broker's own start-up check reaches it through the link too: it completes once the link is back)
      await link.restore()
      const downFor = Date.now() - cutAt
      await restarted
      at(`${what}: link restored after ${(downFor / 1000).toFixed(1)} s`)
      expect(gw.child.exitCode).toBeNull() // the gateway survives its broker's absence
      if (downMs >= 15_000) expect(notReadyAfterMs, `/readyz still 200 ${downMs / 1000} s into the outage`).toBeGreaterThanOrEqual(0)

      producer = new SensorProducer({ brokers: [brokers], topic: s.topic, batch: 25 })
      await producer.connect(4)
      for (const batch of pending) await send(batch)
      await send(lastBefore) // a sensor gateway that resends its last batch after the outage: duplicates
      await rounds(6)

      const want = distinctPoints(produced)
      expect(produced.length).toBeGreaterThan(want) // the stream really carried duplicates
      const readyAgain = await waitFor('/readyz 200 after the outage', async () => ((await readyStatus(gw.url)) === 200 ? true : undefined), 90_000, 250).then(() => Date.now() - cutAt - downFor, () => -1)
      let problem = ''
      const results = await waitFor('every distinct point counted once', async () => {
        const keys = await readResults(brokers, s.results)
        return totalOf(keys) === want ? keys : undefined
      }, 120_000, 2_000).catch(async (e: Error) => {
        const history = new Map<string, string[]>()
        const keys = await readResults(brokers, s.results, history).catch(() => new Map<string, number>())
        const diff = (await windowDifferences(produced, keys, s.topic, 1_000)).map((d) => `${d}   published: ${(history.get(d.split(':')[0]) ?? ['never']).join('; ')}`)
        problem = `${e.message}: results count ${totalOf(keys)} of ${want} distinct points produced (${keys.size} windows); published/produced per window where they differ:\n  ${diff.join('\n  ')}\n--- gateway output (tail) ---\n${gw.output().split('\n').slice(-60).join('\n')}`
        return keys
      })
      const line = `${what}: down ${(downFor / 1000).toFixed(1)} s, /readyz ${notReadyAfterMs < 0 ? 'never 503' : `503 after ${(notReadyAfterMs / 1000).toFixed(1)} s`}, 200 again ${(readyAgain / 1000).toFixed(1)} s after the link came back; ${produced.length} points produced (${want} distinct), ${totalOf(results)} counted out in ${results.size} windows`
      report.push(line)
      at(line)
      if (problem) console.log(problem)
      expect({ countedOut: totalOf(results), readyAgain: readyAgain >= 0 }).toEqual({ countedOut: want, readyAgain: true })
      // an operator sees the link go and come back: lost, retrying and connected again, in the metrics
      const changes = await linkChanges(gw.url)
      const delta = Object.fromEntries(['lost', 'retrying', 'connected'].map((to) => [to, (changes[to] ?? 0) - (changesBefore[to] ?? 0)]))
      console.log(`${what}: link changes ${JSON.stringify(delta)}`)
      if (downMs >= 15_000) expect(Math.min(delta.lost, delta.retrying, delta.connected), 'the link was lost, retried and recovered').toBeGreaterThanOrEqual(1)
      // 45 s of silence is more than the consumer is let be silent: it was replaced, and the new one took over
      if (downMs >= 45_000) expect(await counter(gw.url, 'graticule_kafka_consumer_restarts_total'), 'consumers replaced').toBeGreaterThanOrEqual(1)
    }
    console.log(`broker outages:\n  ${report.join('\n  ')}`)

    // ... and in the log, one line for each change (`graticule: …` on stderr, or the msg of a JSON log line)
    const messageOf = (l: string) => {
      try {
        return l.startsWith('{') ? String((JSON.parse(l) as { msg?: string }).msg ?? '') : l.replace(/^graticule: /, '')
      } catch {
        return l
      }
    }
    const messages = gw.output().split('\n').map(messageOf)
    for (const word of ['lost', 'retrying', 'recovered']) expect(messages.filter((m) => m.startsWith(`kafka link ${word}`)).length, `"kafka link ${word}" lines`).toBeGreaterThanOrEqual(2)
    expect(await (await fetch(`${gw.url}/metrics`)).text()).toMatch(/^graticule_kafka_link_state\{state="connected"\} 1$/m)
  }, 720_000)
})
