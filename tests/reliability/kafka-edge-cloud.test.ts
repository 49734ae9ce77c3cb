// Two edges and two cloud gateways on one machine, with a real broker. Each edge reads its own sensors from its
// local topic and sends window partials upstream through a TCP link the test can cut (the broker's second
// listener advertises the link's port, so only the edges' uplinks go through it; sensors, edges' local consumers
// and the cloud stay on the main listener). The cloud gateways share one consumer group over the partials.
//   1. points flow; the global results count exactly the distinct points produced so far;
//   2. the uplink is cut for 60 s while sensors keep reporting: the edges keep serving their live maps (tile
//      latency as before), spool, and the cloud says they are disconnected; edge A is SIGKILLed mid-cut and
//      restarted on its spool;
//   3. the link comes back and a cloud gateway is SIGKILLed while the spools drain;
//   4. nothing lost, nothing twice: per window the global count equals the distinct points the edges' sensors
//      produced, and the merged grid equals the window-partial chain run centrally on the union of the points;
//      both cloud gateways serve byte-identical live tiles of the newest window.
// This file runs its own broker on 127.0.0.1:19196 (controller 19197, uplink listener 19198;
// GRATICULE_TEST_KAFKA_EDGE_PORT moves them).
import { randomUUID } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { PNG } from 'pngjs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startBroker, type BrokerHandle } from '../../gateway/kafka/broker.js'
import { SensorSimulator } from '../../gateway/ingest/simulator.js'
import { SensorProducer } from '../../gateway/ingest/sensor-producer.js'
import type { SensorPoint } from '../../gateway/ingest/sensor-record.js'
import type { PartialGrid } from '../../gateway/partials/partial.js'
import { startGatewayProcess, waitFor, type GatewayProcess } from '../helpers/gateway-process.js'
import { startTcpLink, type TcpLink } from './support/tcp-link.js'
import { readResults } from './support/kafka-scenario.js'
import { centralGrid, closeCentral, gridDifference, readGlobal, type GlobalRecord } from './support/edge-cloud.js'

const PORT = Number(process.env.GRATICULE_TEST_KAFKA_EDGE_PORT || 19196)
const WINDOW_MS = 1_000
const CUT_MS = Number(process.env.GRATICULE_TEST_UPLINK_CUT_MS || 60_000)
const dir = mkdtempSync(join(tmpdir(), 'graticule-edge-cloud-'))
let link: TcpLink
let broker: BrokerHandle | null = null
const processes: GatewayProcess[] = []
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

beforeAll(async () => {
  link = await startTcpLink(PORT + 2)
  broker = await startBroker({
    port: PORT, controllerPort: PORT + 1, dataDir: join(dir, 'broker'), detached: false, ownerPid: process.pid,
    plaintextListeners: [{ port: PORT + 2, advertisedPort: link.port }], log: (l) => console.log(l),
  })
}, 180_000)

afterAll(async () => {
  for (const g of processes) console.log(`--- ${g.url} (tail) ---\n${g.output().split('\n').filter((l) => !l.startsWith('{')).slice(-15).join('\n')}`)
  await Promise.all(processes.map((g) => g.kill()))
  await closeCentral()
  if (broker) await broker.stop()
  await link?.close()
  rmSync(dir, { recursive: true, force: true })
}, 120_000)

const get = async (url: string) => {
  const r = await fetch(url)
  return { status: r.status, etag: r.headers.get('etag'), bytes: new Uint8Array(await r.arrayBuffer()) }
}
const json = async <T>(url: string): Promise<T> => (await fetch(url)).json() as Promise<T>

describe('edges and cloud: an uplink cut, an edge and a cloud gateway killed', () => {
  it('counts every distinct point once, merges grids exactly, and every cloud gateway serves the same tiles', async () => {
    const id = randomUUID().slice(0, 8)
    const main = broker!.brokers
    const uplink = `127.0.0.1:${link.port}`
    const topics = { partials: `partials.${id}`, edges: `edges.${id}`, global: `global.${id}` }
    // the tile set every edge computes and the cloud merges: western Europe at z5, 64 cells a tile
    const grid = { bbox: '-10,36,20,60', zoom: 5, size: 64, radius: 8 }
    const gridArgs = [`--grid-bbox=${grid.bbox}`, '--grid-zoom', String(grid.zoom), '--grid-size', String(grid.size), '--grid-radius', String(grid.radius)]
    const common = ['--window-ms', String(WINDOW_MS), '--lateness-ms', '800', '--idle-flush-ms', '4000', '--workers', '1', '--no-simulator', ...gridArgs,
      '--partials-topic', topics.partials, '--edges-topic', topics.edges, '--global-topic', topics.global]
    const edgeArgs = (edge: string) => ['--role', 'edge', '--edge-id', edge, '--kafka', main, '--topic', `sensors.${edge}.${id}`, '--results-topic', `results.${edge}.${id}`,
      '--group', `edge.${edge}.${id}`, '--upstream', uplink, '--spool-dir', join(dir, `spool-${edge}`), '--chains-dir', join(dir, `chains-${edge}`), ...common]
    const cloudArgs = (n: number) => ['--role', 'cloud', '--kafka', main, '--group', `cloud.${id}`, '--chains-dir', join(dir, `chains-cloud-${n}`), ...common]
    const start = async (args: string[]) => {
      const g = await startGatewayProcess(args)
      processes.push(g)
      return g
    }

    // sensors of each edge (world cities, named per edge; the tile set covers the European ones); 5 % sent twice
    // by the sensors themselves
    const sims = {
      a: new SensorSimulator({ sensors: 300, seed: 1, startTs: 1_700_000_000_000, intervalMs: 1_000, duplicateFraction: 0.05 }),
      b: new SensorSimulator({ sensors: 300, seed: 2, startTs: 1_700_000_000_000, intervalMs: 1_000, duplicateFraction: 0.05 }),
    }
    const produced: SensorPoint[] = []
    const producers = { a: new SensorProducer({ brokers: [main], topic: `sensors.a.${id}`, batch: 50 }), b: new SensorProducer({ brokers: [main], topic: `sensors.b.${id}`, batch: 50 }) }
    await Promise.all(Object.values(producers).map((p) => p.connect(2)))
    const round = async () => {
      for (const e of ['a', 'b'] as const) {
        const batch = sims[e].next(400).map((p) => ({ ...p, sensor: `${e}-${p.sensor}` }))
        await producers[e].send(batch)
        produced.push(...batch)
      }
    }
    const distinctByWindow = () => {
      const m = new Map<number, Set<string>>()
      for (const p of produced) {
        const w = Math.floor(p.ts / WINDOW_MS) * WINDOW_MS
        let s = m.get(w)
        if (!s) m.set(w, (s = new Set()))
        s.add(`${p.sensor}|${p.ts}`)
      }
      return m
    }
    const total = (g: Map<number, GlobalRecord>) => [...g.values()].reduce((n, r) => n + r.count, 0)
    const distinct = () => [...distinctByWindow().values()].reduce((n, s) => n + s.size, 0)

    const t0 = Date.now()
    const at = (what: string) => console.log(`${((Date.now() - t0) / 1000).toFixed(1)} s: ${what}`)
    let edgeA = await start(edgeArgs('a'))
    const edgeB = await start(edgeArgs('b'))
    let cloud1 = await start(cloudArgs(1))
    const cloud2 = await start(cloudArgs(2))
    at('two edges and two cloud gateways started')

    // 1. points flow; the latest window of each edge stays open until later points close it, so compare up to
    // the windows every edge has closed
    for (let i = 0; i < 10; i++) { await round(); await sleep(200) }
    await waitFor('global results of the first windows', async () => ((await readGlobal(main, topics.global)).size >= 5 ? true : undefined), 60_000, 1_000)
    const tile = (g: GatewayProcess) => `${g.url}/live/heatmap/${grid.zoom}/15/11.png`
    const edgeTileMs = async (g: GatewayProcess, n = 10) => {
      const times: number[] = []
      for (let i = 0; i < n; i++) {
        const t = performance.now()
        expect((await get(`${tile(g)}?i=${i}`)).status).toBe(200)
        times.push(performance.now() - t)
      }
      return times.sort((a, b) => a - b)[n >> 1]
    }
    const tileBefore = await edgeTileMs(edgeA)
    at(`edge A's live tile median ${tileBefore.toFixed(1)} ms with the uplink up`)

    // 2. the uplink is cut; sensors keep reporting; edge A is SIGKILLed mid-cut and restarted on its spool
    await link.cut()
    const cutAt = Date.now()
    at('uplink cut')
    let tileDuring = 0
    let killedEdge = false
    let disconnectedSeen = false
    while (Date.now() - cutAt < CUT_MS) {
      await round()
      if (!killedEdge && Date.now() - cutAt > CUT_MS / 3) {
        await edgeA.kill()
        at('edge A SIGKILLed')
        edgeA = await start(edgeArgs('a'))
        at('edge A restarted on its spool')
        killedEdge = true
      }
      if (killedEdge && !tileDuring && Date.now() - cutAt > (CUT_MS * 2) / 3) {
        tileDuring = await edgeTileMs(edgeA)
        const status = await json<{ uplink: { connected: boolean }; spool: { records: number } }>(`${edgeA.url}/edge`)
        expect(status.uplink.connected).toBe(false)
        expect(status.spool.records).toBeGreaterThan(0)
        const edges = await json<{ edges: Array<{ edge: string; connected: boolean }> }>(`${cloud2.url}/live/edges`)
        disconnectedSeen = edges.edges.length === 2 && edges.edges.every((e) => !e.connected)
        at(`mid-cut: edge A's tile median ${tileDuring.toFixed(1)} ms, ${status.spool.records} partials spooled; cloud sees ${JSON.stringify(edges.edges.map((e) => [e.edge, e.connected]))}`)
      }
      await sleep(250)
    }
    expect(disconnectedSeen, 'the cloud shows both edges disconnected during the cut').toBe(true)

    // 3. the link comes back; a cloud gateway is SIGKILLed while the spools drain, and restarted
    await link.restore()
    at('uplink restored')
    for (let i = 0; i < 4; i++) { await round(); await sleep(200) }
    await cloud1.kill()
    at('cloud gateway 1 SIGKILLed')
    for (let i = 0; i < 6; i++) { await round(); await sleep(200) }
    cloud1 = await start(cloudArgs(1))
    // windows close when later points pass them (per partition): a last batch of every sensor, 3 s after the
    // newest point, closes every window before it; its own window stays open and is not compared
    const closer = Math.ceil((produced.reduce((m, p) => Math.max(m, p.ts), -Infinity) + 3_000) / WINDOW_MS) * WINDOW_MS + 100
    for (const e of ['a', 'b'] as const) {
      const batch = sims[e].next(400).map((p, i) => ({ ...p, sensor: `${e}-${p.sensor}`, ts: closer + i }))
      await producers[e].send(batch)
      produced.push(...batch)
    }
    const watermark = closer - 800

    // 4. counted in at the edges = counted out in the cloud, per window
    const want = distinctByWindow()
    const expected = [...want].filter(([w]) => w + WINDOW_MS <= watermark)
    let global = new Map<number, GlobalRecord>()
    const differing = () => expected.filter(([w, s]) => (global.get(w)?.count ?? 0) !== s.size).map(([w, s]) => `${w}: ${global.get(w)?.count ?? 0}/${s.size}`)
    await waitFor('every distinct point counted once in the global results', async () => {
      global = await readGlobal(main, topics.global)
      return differing().length === 0 ? true : undefined
    }, Number(process.env.GRATICULE_TEST_EDGE_WAIT_MS || 180_000), 2_000).catch(async (e: Error) => {
      const history = new Map<number, string[]>()
      await readGlobal(main, topics.global, history)
      const perEdge = (w: number) => ['a', 'b'].map((e) => `${e}: ${new Set(produced.filter((p) => p.sensor.startsWith(`${e}-`) && Math.floor(p.ts / WINDOW_MS) * WINDOW_MS === w).map((p) => `${p.sensor}|${p.ts}`)).size}`).join(', ')
      const lines = expected.filter(([w, s]) => (global.get(w)?.count ?? 0) !== s.size).slice(0, 8).map(([w, s]) => `${w}: ${global.get(w)?.count ?? 0}/${s.size} (${perEdge(w)}); records ${(history.get(w) ?? ['none']).join('; ')}`)
      const status = async (g: GatewayProcess) => JSON.stringify(await json(`${g.url}/edge`).catch((x: Error) => x.message))
      const points = async (g: GatewayProcess) => (await (await fetch(`${g.url}/metrics`)).text()).split('\n').filter((l) => /^graticule_(sensor_points|windows_closed|edge_|kafka_)/.test(l)).join('\n    ')
      const warnings = (g: GatewayProcess) => g.output().split('\n').filter((l) => /"level":(40|50|60)/.test(l) || l.startsWith('graticule')).slice(-25).map((l) => l.slice(0, 300)).join('\n    ')
      const ready = async (g: GatewayProcess) => (await fetch(`${g.url}/readyz`)).text()
      const { Kafka, logLevel } = await import('kafkajs')
      const admin = new Kafka({ brokers: [main], logLevel: logLevel.NOTHING }).admin()
      await admin.connect()
      for (const edge of ['a', 'b']) {
        const ends = await admin.fetchTopicOffsets(`sensors.${edge}.${id}`)
        const committed = await admin.fetchOffsets({ groupId: `edge.${edge}.${id}`, topics: [`sensors.${edge}.${id}`] })
        console.log(`edge ${edge}: topic ends ${JSON.stringify(ends.map((o) => [o.partition, o.high]))}, committed ${JSON.stringify(committed[0].partitions.map((o) => [o.partition, o.offset, o.metadata]))}`)
      }
      await admin.disconnect()
      for (const edge of ['a', 'b']) {
        const history = new Map<string, string[]>()
        await readResults(main, `results.${edge}.${id}`, history).catch(() => undefined)
        console.log(`edge ${edge}'s local results, newest windows:\n    ${[...history].sort().slice(-8).map(([k, v]) => `${k}: ${v.join('; ')}`).join('\n    ')}`)
      }
      console.log(`edge A log:\n    ${warnings(edgeA)}\nedge A readyz ${await ready(edgeA)}\nedge B readyz ${await ready(edgeB)}`)
      throw new Error(`${e.message}; windows global/distinct that differ:\n  ${lines.join('\n  ')}\nedge A ${await status(edgeA)}\n    ${await points(edgeA)}\nedge B ${await status(edgeB)}\n    ${await points(edgeB)}`)
    })
    const counted = expected.reduce((n, [w]) => n + global.get(w)!.count, 0)
    at(`${produced.length} points produced, ${distinct()} distinct; ${counted} counted in ${expected.length} closed windows, each once`)
    // each window lists the edges whose sensors had points in it, each once
    for (const [w, s] of expected) expect(global.get(w)!.edges.sort(), `window ${w}'s edges`).toEqual(['a', 'b'].filter((e) => [...s].some((k) => k.startsWith(`${e}-`))))

    // merged grids = the window-partial chain run centrally on the union of the window's points
    let worst = 0
    for (const [w] of expected) worst = Math.max(worst, gridDifference(global.get(w)!.grid!, await centralGrid(produced, w, WINDOW_MS, grid)))
    at(`merged grids vs central: max relative difference ${worst.toExponential(2)} over ${expected.length} windows`)
    expect(worst).toBeLessThanOrEqual(1e-9)

    // edge tiles were served as fast with the uplink down
    expect(tileDuring, `edge tile median ${tileDuring.toFixed(1)} ms during the cut vs ${tileBefore.toFixed(1)} ms before`).toBeLessThan(Math.max(3 * tileBefore, tileBefore + 50))

    // any cloud gateway: the same newest window, byte-identical tiles — compared on the tile where that window's
    // positive density is largest (the newest window may hold only a few points)
    const cloudTile = (g: GatewayProcess, x: number, y: number) => `${g.url}/live/heatmap/${grid.zoom}/${x}/${y}.png`
    const densest = (g: PartialGrid) => {
      let best = { x: g.x0, y: g.y0, sum: -1 }
      for (let ty = g.y0; ty <= g.y1; ty++) {
        for (let tx = g.x0; tx <= g.x1; tx++) {
          // positive cells: values weigh the kernel and can be negative (sub-zero temperatures), which draw nothing
          let sum = 0
          for (let r = 0; r < grid.size; r++) for (let c = 0; c < grid.size; c++) sum += Math.max(0, g.cells[((ty - g.y0) * grid.size + r) * g.width + (tx - g.x0) * grid.size + c])
          if (sum > best.sum) best = { x: tx, y: ty, sum }
        }
      }
      return best
    }
    // (a window's result may still grow while this reads: both must serve the same version of the newest window)
    const { newest, best, t1, t2 } = await waitFor('both cloud gateways on the same version of the newest window', async () => {
      const latest = await readGlobal(main, topics.global)
      const newest = Math.max(...latest.keys())
      const best = densest(latest.get(newest)!.grid!)
      const [t1, t2] = await Promise.all([get(cloudTile(cloud1, best.x, best.y)), get(cloudTile(cloud2, best.x, best.y))])
      return t1.status === 200 && t1.etag?.startsWith(`"${newest}-`) && t1.etag === t2.etag ? { newest, best, t1, t2 } : undefined
    }, 60_000, 500)
    const etag = t1.etag
    expect(Buffer.compare(Buffer.from(t1.bytes), Buffer.from(t2.bytes))).toBe(0)
    const png = PNG.sync.read(Buffer.from(t1.bytes))
    let drawn = 0
    for (let i = 3; i < png.data.length; i += 4) if (png.data[i] > 0) drawn++
    expect(drawn, `pixels the merged density of window ${newest} draws on tile ${grid.zoom}/${best.x}/${best.y}`).toBeGreaterThan(0)
    at(`cloud tiles byte-identical: window ${newest}, tile ${grid.zoom}/${best.x}/${best.y} (${t1.bytes.length} bytes, ${png.width}×${png.height}, ${drawn} pixels drawn, ETag ${etag})`)
    expect(cloud2.child.exitCode).toBeNull()
    expect(edgeB.child.exitCode).toBeNull()
  }, 900_000)
})
