// The edge role against a real broker (the test broker stands for the cloud's Kafka, and for the edge's own):
//   - an edge fed over POST /ingest sends one partial per closed window to the partials topic (keyed by window
//     start, its id in a header) and heartbeats to the edges topic; the partials' counts add up to the distinct
//     points sent;
//   - an edge whose upstream is away spools; a second instance on the same spool directory, with the upstream
//     back, sends what it holds, in order, each once;
//   - an edge fed by a local Kafka topic of 4 partitions sends a partial per partition and window, and they add up.
// (The network cut under load, through a TCP proxy, is tests/reliability/kafka-edge-cloud.test.ts.)
import { randomUUID } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Kafka, logLevel, type Consumer, type KafkaMessage } from 'kafkajs'
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest'
import type {} from '../global-kafka.js'
import { Dataplane } from '../../dataplane/dataplane.js'
import { buildGateway, type Gateway, type GatewayOptions } from '../../gateway/app.js'
import type { EdgeOptions } from '../../gateway/edge/edge.js'
import { SensorProducer } from '../../gateway/ingest/sensor-producer.js'
import { decodePartial, partialKey, partialRecordKey, type TileSet, type WindowPartial } from '../../gateway/partials/partial.js'
import { decodeHeartbeat, type EdgeHeartbeat } from '../../gateway/partials/heartbeat.js'
import { distinctByWindow, EDGE_T0, edgePoints } from '../helpers/edge-points.js'
import { waitFor } from '../helpers/gateway-process.js'
import { closedPort } from '../helpers/ports.js'

const brokers = inject('kafkaBrokers')
const TILES: TileSet = { bbox: [-10, 35, 30, 60], zoom: 4, size: 32, radius: 3, kernel: 'quartic' }
const WINDOW_MS = 1_000

let dp: Dataplane
const dirs: string[] = []
const gateways: Gateway[] = []
const consumers: Consumer[] = []
beforeAll(async () => { dp = await Dataplane.start({ workers: 2 }) })
afterEach(async () => {
  await Promise.all(gateways.splice(0).map((g) => g.close().catch(() => undefined)))
  await Promise.all(consumers.splice(0).map((c) => c.disconnect()))
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true })
})
afterAll(async () => { await dp.close() })

function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'graticule-kafka-edge-'))
  dirs.push(d)
  return d
}

async function edgeGateway(edge: Partial<EdgeOptions> & Pick<EdgeOptions, 'upstream'>, ingestion: GatewayOptions['ingestion'] = {}): Promise<Gateway> {
  const gw = await buildGateway({
    dataplane: dp, logLevel: false, chainsDir: null, faasletsDir: null,
    ingestion: { windows: { sizeMs: WINDOW_MS, allowedLatenessMs: 0 }, idleFlushMs: 300, simulator: null, kafka: null, ...ingestion },
    edge: { tileSet: TILES, closeDrainMs: 5_000, heartbeatMs: 200, ...edge },
  })
  gateways.push(gw)
  return gw
}

/** The edge reached its upstream (and created the topics there: a reader must not create them first). */
const connected = (gw: Gateway) => waitFor('the uplink', async () => ((await gw.app.inject('/edge')).json().uplink.connected ? true : undefined), 30_000, 50)

const post = (gw: Gateway, points: unknown) => gw.app.inject({ method: 'POST', url: '/ingest', headers: { 'content-type': 'application/json' }, payload: JSON.stringify(points) })

/** Everything a topic holds from its start, in partition-offset order, as it comes. */
async function reader(topic: string): Promise<Array<{ partition: number; message: KafkaMessage }>> {
  const kafka = new Kafka({ clientId: 'edge-reader', brokers: [brokers], logLevel: logLevel.NOTHING })
  const consumer = kafka.consumer({ groupId: `reader.${randomUUID()}`, maxWaitTimeInMs: 200 })
  consumers.push(consumer)
  await consumer.connect()
  await consumer.subscribe({ topic, fromBeginning: true })
  const got: Array<{ partition: number; message: KafkaMessage }> = []
  await consumer.run({ eachMessage: async ({ partition, message }) => { got.push({ partition, message }) } })
  return got
}

const partialsOf = (got: Array<{ message: KafkaMessage }>): WindowPartial[] => got.map(({ message }) => decodePartial(message.value!))

describe('an edge gateway and its upstream Kafka', () => {
  it('sends one partial per closed window, keyed by window start, and heartbeats; the counts add up', async () => {
    const id = randomUUID().slice(0, 8)
    const topics = { partials: `partials.${id}`, edges: `edges.${id}` }
    const gw = await edgeGateway({ upstream: [brokers], edgeId: `edge-${id}`, spoolDir: tempDir(), topics })
    const points = edgePoints({ seed: 11, windows: 5, perWindow: 400, windowMs: WINDOW_MS, bbox: TILES.bbox })
    await connected(gw)
    for (let i = 0; i < points.length; i += 300) expect((await post(gw, points.slice(i, i + 300))).statusCode).toBe(200)
    const partials = await reader(topics.partials)
    // windows 0-3 close as the later points pass them, and go upstream while the edge runs
    await waitFor('four partials upstream', () => (partials.length >= 4 ? true : undefined), 60_000, 100)
    // acknowledged (the reader may see a record before the edge has its ack)
    const status = await waitFor('four acknowledged', async () => { const s = (await gw.app.inject('/edge')).json(); return s.uplink.sentRecords === 4 ? s : undefined }, 10_000, 50)
    expect(status.uplink).toMatchObject({ connected: true, lastSent: { windowStart: EDGE_T0 + 3 * WINDOW_MS } })
    expect(status.spool.records).toBe(0)
    expect((await gw.app.inject('/metrics')).body).toMatch(/^graticule_edge_uplink_sent_records_total\{kind="partial"\} 4$/m)
    const heartbeats = await reader(topics.edges)
    await waitFor('a heartbeat', () => (heartbeats.length ? true : undefined), 30_000, 100)
    // the last window is flushed at shutdown, and its partial sent before the edge stops
    await gw.close()
    gateways.pop()
    await waitFor('the fifth partial', () => (partials.length >= 5 ? true : undefined), 30_000, 100)
    await new Promise((r) => setTimeout(r, 500))

    const want = distinctByWindow(points, WINDOW_MS)
    const got = partialsOf(partials)
    expect(got.map((p) => [p.windowStart, p.count]).sort((a, b) => a[0] - b[0])).toEqual([...want])
    expect(got.reduce((n, p) => n + p.count, 0)).toBe(new Set(points.map((p) => `${p.sensor}|${p.ts}`)).size)
    for (const { message } of partials) {
      const p = decodePartial(message.value!)
      expect(message.key!.toString()).toBe(partialRecordKey(p.windowStart))
      expect(message.headers).toMatchObject({ edge: Buffer.from(`edge-${id}`), kind: Buffer.from('partial') })
      expect(p).toMatchObject({ edge: `edge-${id}`, part: 'http/0', tileSet: TILES })
      expect(p.grid!.cells.some((v) => v > 0)).toBe(true)
    }
    expect(heartbeats.every(({ message }) => message.key!.toString() === `edge-${id}`)).toBe(true)
    const beats: EdgeHeartbeat[] = heartbeats.map(({ message }) => decodeHeartbeat(message.value!))
    expect(beats.every((b) => b.edge === `edge-${id}`)).toBe(true)
    expect(beats.some((b) => b.sentRecords >= 4 && b.spooledRecords === 0 && b.oldestSpooledWindow === null && b.newestClosedWindow === EDGE_T0 + 3 * WINDOW_MS)).toBe(true)
  })

  it('an edge offline spools; a second instance on the same spool sends it all, in order, each once', async () => {
    const id = randomUUID().slice(0, 8)
    const topics = { partials: `partials.${id}`, edges: `edges.${id}` }
    const spoolDir = tempDir()
    const edgeId = `edge-${id}`
    const offline = await edgeGateway({ upstream: [`127.0.0.1:${await closedPort()}`], edgeId, spoolDir, topics, partitions: 1 })
    const points = edgePoints({ seed: 12, windows: 6, perWindow: 300, windowMs: WINDOW_MS, bbox: TILES.bbox })
    for (let i = 0; i < points.length; i += 200) expect((await post(offline, points.slice(i, i + 200))).statusCode).toBe(200)
    await waitFor('five windows spooled', async () => ((await offline.app.inject('/edge')).json().spool.records === 5 ? true : undefined), 30_000, 100)
    expect((await offline.app.inject('/edge')).json().uplink.connected).toBe(false)
    expect((await offline.app.inject('/readyz')).statusCode).toBe(200)
    await offline.close() // the sixth, flushed: spooled too, nothing sent
    gateways.pop()

    // the upstream is back: the same edge (same id, same spool) restarts and drains
    const back = await edgeGateway({ upstream: [brokers], edgeId, spoolDir, topics, partitions: 1 })
    await connected(back)
    const partials = await reader(topics.partials)
    await waitFor('six partials upstream', () => (partials.length >= 6 ? true : undefined), 60_000, 100)
    await waitFor('the spool drained', async () => ((await back.app.inject('/edge')).json().spool.records === 0 ? true : undefined), 30_000, 100)
    await new Promise((r) => setTimeout(r, 500))
    const got = partialsOf(partials)
    // one partition: the order they were spooled in, window after window, each once
    expect(got.map((p) => [p.windowStart, p.count])).toEqual([...distinctByWindow(points, WINDOW_MS)])
    expect(new Set(got.map(partialKey)).size).toBe(6)
  })

  it('an edge fed by a local topic of 4 partitions: a partial per partition and window, adding up', async () => {
    const id = randomUUID().slice(0, 8)
    const topics = { partials: `partials.${id}`, edges: `edges.${id}` }
    const local = { topic: `sensors.${id}`, results: `results.${id}` }
    const producer = new SensorProducer({ brokers: [brokers], topic: local.topic, batch: 100 })
    await producer.connect(4)
    try {
      const gw = await edgeGateway({ upstream: [brokers], edgeId: `edge-${id}`, spoolDir: tempDir(), topics }, {
        idleFlushMs: 60_000, kafka: { brokers: [brokers], topic: local.topic, resultsTopic: local.results, groupId: `edge.${id}`, partitions: 4, decodeWorkers: 1 },
      })
      await connected(gw)
      const points = edgePoints({ seed: 13, windows: 4, perWindow: 800, windowMs: WINDOW_MS, bbox: TILES.bbox })
      await producer.send(points)
      // a point of every sensor far ahead closes every partition's windows
      const ahead = Array.from({ length: 300 }, (_, s) => ({ sensor: `s${s}`, ts: EDGE_T0 + 20 * WINDOW_MS, lon: 0, lat: 45, value: 1 }))
      await producer.send(ahead)
      const want = distinctByWindow(points, WINDOW_MS)
      const partials = await reader(topics.partials)
      const byWindow = () => {
        const m = new Map<number, number>()
        const seen = new Set<string>()
        for (const p of partialsOf(partials)) {
          if (seen.has(partialKey(p))) continue
          seen.add(partialKey(p))
          m.set(p.windowStart, (m.get(p.windowStart) ?? 0) + p.count)
        }
        return m
      }
      await waitFor('every window counted', () => ([...want].every(([w, n]) => byWindow().get(w) === n) ? true : undefined), 90_000, 250)
      const got = partialsOf(partials)
      expect(new Set(got.map((p) => p.part))).toEqual(new Set([0, 1, 2, 3].map((p) => `${local.topic}/${p}`)))
      expect(got.every((p) => p.windowStart < EDGE_T0 + 20 * WINDOW_MS)).toBe(true) // the window ahead is still open
      expect((await gw.app.inject('/edge')).json().spool.records).toBe(0)
    } finally {
      await producer.disconnect()
    }
  })
})
