// Two cloud gateways (in-process, one consumer group) against a real broker: the partials of two edges produced
// straight into the partials topic are merged once, and both gateways serve the same newest window — byte-identical
// heatmap tiles, the same clusters, counts that add up — and list both edges from their heartbeats. A partial sent
// again (an edge restarted) is a duplicate, whichever gateway holds its partition.
import { randomUUID } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { chromium } from 'playwright-core'
import { Kafka, logLevel, Partitioners, type Producer } from 'kafkajs'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import type {} from '../global-kafka.js'
import { buildGateway, type Gateway } from '../../gateway/app.js'
import { computePartial } from '../../gateway/cloud/raw-partial.js'
import { DEFAULT_TILE_SET } from '../../gateway/edge/defaults.js'
import { encodeHeartbeat } from '../../gateway/partials/heartbeat.js'
import { encodePartial, partialRecordKey, type RawPoints, type WindowPartial } from '../../gateway/partials/partial.js'
import { mulberry32 } from '../helpers/random.js'
import { CHROMIUM, ensureWebBuilt } from '../browser/helpers.js'

const brokers = inject('kafkaBrokers')
const id = randomUUID().slice(0, 8)
const topics = { partials: `partials.${id}`, edges: `edges.${id}`, global: `global.${id}` }
const TS = DEFAULT_TILE_SET
const WINDOWS = [1_800_000_000_000, 1_800_000_005_000, 1_800_000_010_000]
const EDGES = ['edge-a', 'edge-b']

const kafka = new Kafka({ clientId: 'cloud-test', brokers: [brokers], logLevel: logLevel.NOTHING })
let producer: Producer
let gws: Gateway[] = []
let beat: NodeJS.Timeout | null = null
/** edges whose heartbeats stop (to see one disconnected) */
const silent = new Set<string>()

async function waitFor<T>(what: string, f: () => Promise<T | undefined | false> | T | undefined | false, timeoutMs = 60_000): Promise<T> {
  const until = Date.now() + timeoutMs
  for (;;) {
    const v = await f()
    if (v) return v
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 100))
  }
}

/** Points of one edge in one window: seeded, each edge on its own half of the world with some overlap. */
function pointsOf(edge: number, window: number): RawPoints {
  const rnd = mulberry32(1 + edge * 10 + window)
  const n = 1_500 + 500 * window
  const p: RawPoints = { sensor: [], ts: new Float64Array(n), lon: new Float64Array(n), lat: new Float64Array(n), value: new Float64Array(n) }
  for (let i = 0; i < n; i++) {
    p.lon[i] = (edge ? -20 : -170) + rnd() * 190
    p.lat[i] = -60 + rnd() * 130
    p.value[i] = 1 + rnd() * 9
    p.sensor.push(`s${i}`)
    p.ts[i] = WINDOWS[window] + i
  }
  return p
}

async function partial(gw: Gateway, edge: number, window: number): Promise<WindowPartial> {
  const p = pointsOf(edge, window)
  const made = await computePartial(gw.ctx.runner, gw.ctx.chains, TS, p)
  let sum = 0, min = Infinity, max = -Infinity
  for (const v of p.value) { sum += v; min = Math.min(min, v); max = Math.max(max, v) }
  return {
    edge: EDGES[edge], windowStart: WINDOWS[window], windowEnd: WINDOWS[window] + 5_000, count: p.lon.length, duplicates: 0, late: 0, sensors: p.lon.length,
    value: { sum, min, max }, bbox: null, tileSet: TS, grid: made.grid, clusters: made.clusters, points: null, closedAt: Date.now(), sealedAt: Date.now(),
  }
}

const send = (p: WindowPartial) => producer.send({
  topic: topics.partials, messages: [{ key: partialRecordKey(p.windowStart), value: Buffer.from(encodePartial(p)), headers: { edge: p.edge } }],
})

function heartbeats(): void {
  void producer.send({
    topic: topics.edges,
    messages: EDGES.filter((e) => !silent.has(e)).map((edge) => ({ edge, k: EDGES.indexOf(edge) })).map(({ edge, k }) => ({
      key: edge,
      value: Buffer.from(encodeHeartbeat({ edge, at: Date.now(), newestClosedWindow: WINDOWS[2], spooledRecords: k, spoolBytes: 1000 * k, oldestSpooledWindow: k ? WINDOWS[2] : null, sentRecords: 3 })),
    })),
  }).catch(() => undefined)
}

const get = async (gw: Gateway, url: string) => gw.app.inject({ url })
const gwView = (g: Gateway) => g.cloud!.view

beforeAll(async () => {
  producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner, allowAutoTopicCreation: false })
  await producer.connect()
  const cloud = { brokers: [brokers], tileSet: TS, topics, groupId: `cloud.${id}`, partitions: 4 }
  // the second starts while the first is in the group: a rebalance splits the partitions
  gws = await Promise.all([0, 1].map(() => buildGateway({ workers: 1, chainsDir: null, faasletsDir: null, logLevel: false, cloud })))
  for (const gw of gws) {
    const status = (await get(gw, '/live/status')).json() as { role: string }
    expect(status.role).toBe('cloud')
  }
  heartbeats()
  beat = setInterval(heartbeats, 500)
})

afterAll(async () => {
  if (beat) clearInterval(beat)
  await Promise.allSettled(gws.map((g) => g.close()))
  await producer?.disconnect()
})

describe('two cloud gateways', () => {
  it('split the partials partitions between them', async () => {
    await waitFor('both gateways to own partitions', async () => {
      const parts = await Promise.all(gws.map(async (g) => ((await get(g, '/live/status')).json() as { partitions: number[] }).partitions))
      return parts.every((p) => p.length > 0) && parts[0].length + parts[1].length === 4 && parts
    })
    for (const g of gws) {
      expect((await get(g, '/readyz')).statusCode).toBe(200)
      expect((await get(g, '/docs/json')).json().paths['/live/edges']).toBeDefined()
      const tj = (await get(g, '/live/heatmap.json')).json() as { minzoom: number; maxzoom: number }
      expect([tj.minzoom, tj.maxzoom]).toEqual([TS.zoom, TS.zoom])
    }
  })

  it('merge every partial once and serve the same newest window', async () => {
    const sent: WindowPartial[] = []
    for (let w = 0; w < WINDOWS.length; w++) for (let e = 0; e < EDGES.length; e++) sent.push(await partial(gws[0], e, w))
    for (const p of sent) await send(p)
    const newest = WINDOWS[WINDOWS.length - 1]
    const want = sent.filter((p) => p.windowStart === newest).reduce((n, p) => n + p.count, 0)
    // both gateways hold every window with both edges
    const statuses = await waitFor('both gateways to hold the newest window of both edges', async () => {
      const s = await Promise.all(gws.map(async (g) => (await get(g, '/live/status')).json() as { last: { windowStart: number; count: number; edges: Array<{ edge: string }> } | null }))
      return s.every((x) => x.last?.windowStart === newest && x.last.edges.length === 2) && s
    })
    for (const s of statuses) expect(s.last!.count).toBe(want)
    // older windows too (their results may come on other partitions of the global topic)
    await waitFor('every window of both edges on both gateways', () => gws.every((g) => WINDOWS.every((w) => gwView(g).get(w)?.edges.length === 2)))

    // the densest tile of the tile set: byte-identical on both, and the same ETag
    const tile = '/live/heatmap/2/1/1.png'
    const [a, b] = await Promise.all(gws.map((g) => get(g, tile)))
    expect(a.statusCode).toBe(200)
    expect(a.headers['x-graticule-merged']).toBe('yes')
    expect(a.headers['x-graticule-window']).toBe(String(newest))
    expect(a.rawPayload.length).toBeGreaterThan(1000)
    expect(a.rawPayload.equals(b.rawPayload)).toBe(true)
    expect(a.headers.etag).toBe(b.headers.etag)
    const again = await gws[0].app.inject({ url: tile, headers: { 'if-none-match': String(b.headers.etag) } })
    expect(again.statusCode).toBe(304)
    // another zoom: a transparent tile, said so
    expect((await get(gws[1], '/live/heatmap/3/2/2.png')).headers['x-graticule-merged']).toBe('no')

    const [ca, cb] = await Promise.all(gws.map((g) => get(g, '/live/clusters?zoom=3')))
    expect(ca.body).toBe(cb.body)
    expect(Number(ca.headers['x-graticule-count'])).toBe(want)
    const features = (ca.json() as { features: Array<{ properties: { point_count?: number } }> }).features
    expect(features.reduce((n, f) => n + (f.properties.point_count ?? 1), 0)).toBe(want)

    // every window merged once: the global counts add up, none twice
    for (const g of gws) {
      for (const w of WINDOWS) {
        const r = gwView(g).get(w)!
        expect(r.count).toBe(sent.filter((p) => p.windowStart === w).reduce((n, p) => n + p.count, 0))
      }
    }
  })

  it('list both edges from their heartbeats', async () => {
    for (const g of gws) {
      const body = (await get(g, '/live/edges')).json() as { edges: Array<{ edge: string; connected: boolean; newestMergedWindow: number; lagWindows: number; spooledRecords: number }> }
      expect(body.edges.map((e) => e.edge)).toEqual(EDGES)
      for (const e of body.edges) {
        expect(e.connected).toBe(true)
        expect(e.newestMergedWindow).toBe(WINDOWS[2])
        expect(e.lagWindows).toBe(0)
      }
      expect(body.edges[1].spooledRecords).toBe(1)
    }
    expect((await get(gws[0], '/metrics')).body).toMatch(/graticule_cloud_edges\{state="connected"\} 2/)
  })

  it('count a partial sent again as a duplicate, whichever gateway merges its window', async () => {
    const before = gwView(gws[0]).get(WINDOWS[1])!
    await send(await partial(gws[0], 0, 1))
    await waitFor('the duplicate to be counted', async () => {
      const texts = await Promise.all(gws.map(async (g) => (await get(g, '/metrics')).body))
      return texts.some((t) => /graticule_cloud_partials_total\{outcome="deduplicated"\} [1-9]/.test(t))
    })
    for (const g of gws) expect(gwView(g).get(WINDOWS[1])!.count).toBe(before.count)
  })

  it('show on the live map: a panel lists both edges, connected or not', async () => {
    await ensureWebBuilt()
    await gws[0].app.listen({ host: '127.0.0.1', port: 0 })
    const url = `http://127.0.0.1:${(gws[0].app.server.address() as AddressInfo).port}`
    silent.add('edge-b') // its heartbeats stop: disconnected 3 s later
    const profile = mkdtempSync(join(tmpdir(), 'graticule-chromium-'))
    const context = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--headless', '--enable-unsafe-swiftshader'] })
    try {
      const page = context.pages()[0] ?? (await context.newPage())
      const errors: string[] = []
      page.on('pageerror', (e) => errors.push(e.message))
      await page.goto(`${url}/`)
      const states = await waitFor('the panel to show edge-a connected and edge-b disconnected', async () => {
        const s = await page.evaluate(() => Array.from(document.querySelectorAll<HTMLElement>('#edges li')).map((li) => `${li.dataset.edge}:${li.dataset.state}`))
        return s.join() === 'edge-a:connected,edge-b:disconnected' && s
      }, 20_000)
      expect(states).toHaveLength(2)
      expect(await page.locator('#edges-section').isVisible()).toBe(true)
      expect(await page.locator('#edges li[data-edge="edge-a"]').textContent()).toMatch(/connected edge-a lag 0 windows/)
      expect(errors).toEqual([])
    } finally {
      await context.close()
      rmSync(profile, { recursive: true, force: true })
    }
  })
})
