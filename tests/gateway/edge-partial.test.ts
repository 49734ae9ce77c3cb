// The edge's window partial, without Kafka: it is the window-partial chain's outputs (grid and clusters) with the
// window's counts, and it survives encode → decode bit for bit. An edge gateway whose upstream is away spools one
// partial per closed window — from POST /ingest, and the windows flushed at shutdown — never one for a provisional
// window, stays ready, says so at /edge and /readyz, and its bound blocks or drops as told.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { Dataplane } from '../../dataplane/dataplane.js'
import { ChainRegistry } from '../../chains/registry.js'
import { ChainRunner } from '../../chains/run.js'
import { tileRange } from '../../chains/bind.js'
import { readGrid } from '../../faaslets/codecs/grid.js'
import { readClusters } from '../../faaslets/codecs/clusters.js'
import { buildGateway, type Gateway } from '../../gateway/app.js'
import { PartitionWindows, SensorIndex, windowPointArrays } from '../../gateway/ingest/windows.js'
import { windowResult } from '../../gateway/ingest/window-result.js'
import { chainParams, partialOf } from '../../gateway/edge/partial-of.js'
import { Spool } from '../../gateway/edge/spool.js'
import type { EdgeOptions } from '../../gateway/edge/edge.js'
import { decodePartial, encodePartial, encodePartialAsync, partialKey, type TileSet, type WindowPartial } from '../../gateway/partials/partial.js'
import { distinctByWindow, EDGE_T0, edgePoints } from '../helpers/edge-points.js'
import { waitFor } from '../helpers/gateway-process.js'
import { closedPort } from '../helpers/ports.js'

const TILES: TileSet = { bbox: [-10, 35, 30, 60], zoom: 4, size: 32, radius: 3, kernel: 'quartic' }
const WINDOW_MS = 1_000

let dp: Dataplane
const dirs: string[] = []
const gateways: Gateway[] = []
beforeAll(async () => { dp = await Dataplane.start({ workers: 2 }) })
afterEach(async () => {
  await Promise.all(gateways.splice(0).map((g) => g.close().catch(() => undefined)))
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true })
})
afterAll(async () => { await dp.close() })

function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'graticule-edge-'))
  dirs.push(d)
  return d
}

/** Every record a spool directory holds, decoded, in order (the spool opened after its gateway closed). */
async function spooled(dir: string): Promise<WindowPartial[]> {
  const s = new Spool({ dir, maxBytes: 1 << 30 })
  try {
    const { records } = await s.read(1e6, 1 << 30)
    return records.map((r) => decodePartial(r.value))
  } finally {
    await s.close()
  }
}

describe('the partial of a window', () => {
  it('is the window-partial chain’s outputs with the window’s counts, and round-trips bit for bit', async () => {
    const runner = new ChainRunner(dp)
    const chain = new ChainRegistry(dp.catalog).get('window-partial')
    const params = chainParams(TILES)
    const points = edgePoints({ seed: 3, windows: 1, perWindow: 2_000, windowMs: WINDOW_MS, bbox: TILES.bbox })
    const sensors = new SensorIndex()
    const w = new PartitionWindows('http/0', { sizeMs: WINDOW_MS, allowedLatenessMs: 0, maxPoints: 1e6 }, sensors)
    w.add(0, points.map((p) => p.sensor), points.map((p) => p.ts), points.map((p) => p.lon), points.map((p) => p.lat), points.map((p) => p.value))
    const [closed] = w.advance(true)
    const result = await windowResult(runner, chain, params, 'http', closed)
    const partial = partialOf({ edge: 'edge-1', tileSet: TILES, kind: 'partials', sensorName: (id) => sensors.names[id] }, result, closed, 7)

    // the chain's own outputs, run again on the same points
    const direct = await runner.run(chain, params, { points: windowPointArrays(closed.points) })
    const region = (name: string) => { const b = direct.outputs.find((o) => o.name === name)!.body; return { b: b.slice(), d: { ptr: 0, len: b.byteLength } } }
    const g = region('grid'), c = region('clusters')
    const grid = readGrid(g.b, g.d)
    expect(grid.values).toBeInstanceOf(Float64Array) // heatmap and grid-mosaic with `cells: f64`
    const r = tileRange(TILES.bbox, TILES.zoom)
    expect(partial.grid).toMatchObject({ x0: r.x0, y0: r.y0, x1: r.x1, y1: r.y1, width: (r.x1 - r.x0 + 1) * 32, height: (r.y1 - r.y0 + 1) * 32 })
    expect(partial.grid!.cells).toEqual(Float64Array.from(grid.values))
    expect(partial.grid!.cells.reduce((a, b) => a + b, 0)).toBeGreaterThan(0)
    const clusters = readClusters(c.b, c.d)
    expect(partial.clusters).toEqual({ zoom: 3, x: clusters.x, y: clusters.y, count: clusters.count, weight: clusters.weight })
    expect(partial.clusters!.count.reduce((a, b) => a + b, 0)).toBe(closed.points.count)

    // the counts are the window's
    const distinct = [...distinctByWindow(points, WINDOW_MS).values()][0]
    // the first of points with the same (sensor, ts) counts, as in the window
    const firsts = new Map<string, (typeof points)[number]>()
    for (const p of points) if (!firsts.has(`${p.sensor}|${p.ts}`)) firsts.set(`${p.sensor}|${p.ts}`, p)
    const unique = [...firsts.values()]
    expect(partial).toMatchObject({
      edge: 'edge-1', part: 'http/0', windowStart: EDGE_T0, windowEnd: EDGE_T0 + WINDOW_MS, count: distinct, duplicates: points.length - distinct,
      late: 7, sensors: new Set(points.map((p) => p.sensor)).size, tileSet: TILES, points: null,
    })
    expect(partial.value.sum).toBeCloseTo(unique.reduce((a, p) => a + p.value, 0), 6)
    expect(partial.value.min).toBe(Math.min(...unique.map((p) => p.value)))
    expect(partial.value.max).toBe(Math.max(...unique.map((p) => p.value)))
    expect(partial.bbox).toEqual([Math.min(...unique.map((p) => p.lon)), Math.min(...unique.map((p) => p.lat)), Math.max(...unique.map((p) => p.lon)), Math.max(...unique.map((p) => p.lat))])
    expect(partialKey(partial)).toBe(`edge-1/http/0/${EDGE_T0}`)

    // encode → decode → encode: the same partial, the same bytes
    const bytes = encodePartial(partial)
    const back = decodePartial(bytes)
    expect(back).toEqual(partial)
    expect(Buffer.from(encodePartial(back)).equals(Buffer.from(bytes))).toBe(true)
    expect(Buffer.from(await encodePartialAsync(partial)).equals(Buffer.from(bytes))).toBe(true) // the edge's, off the main thread
    expect(new Uint8Array(back.grid!.cells.buffer)).toEqual(new Uint8Array(partial.grid!.cells.buffer))

    // the raw uplink: the points instead, the sensors by name
    const raw = partialOf({ edge: 'edge-1', tileSet: TILES, kind: 'raw', sensorName: (id) => sensors.names[id] }, result, closed, 0)
    expect(raw.grid).toBeNull()
    expect(raw.clusters).toBeNull()
    expect(raw.points!.ts.length).toBe(distinct)
    expect(new Set(raw.points!.sensor.map((s, i) => `${s}|${raw.points!.ts[i]}`)).size).toBe(distinct)
    const rawBack = decodePartial(encodePartial(raw))
    expect(rawBack).toEqual(raw)
    expect(Buffer.from(await encodePartialAsync(raw)).equals(Buffer.from(encodePartial(raw)))).toBe(true)
    console.log(`a window of ${distinct} points: partial ${bytes.length} bytes, raw ${encodePartial(raw).length} bytes (${TILES.zoom}/${JSON.stringify(TILES.bbox)}, ${partial.grid!.width}×${partial.grid!.height} cells)`)
  })
})

describe('an edge gateway with its upstream away', () => {
  async function edgeGateway(edge: Partial<EdgeOptions>): Promise<{ gw: Gateway; dir: string }> {
    const dir = tempDir()
    const gw = await buildGateway({
      dataplane: dp, logLevel: false, chainsDir: null, faasletsDir: null,
      ingestion: { windows: { sizeMs: WINDOW_MS, allowedLatenessMs: 0 }, idleFlushMs: 300, simulator: null, kafka: null },
      edge: { upstream: [`127.0.0.1:${await closedPort()}`], edgeId: 'edge-t', spoolDir: dir, tileSet: TILES, closeDrainMs: 200, ...edge },
    })
    gateways.push(gw)
    return { gw, dir }
  }
  const post = (gw: Gateway, points: unknown) => gw.app.inject({ method: 'POST', url: '/ingest', headers: { 'content-type': 'application/json' }, payload: JSON.stringify(points) })

  it('spools a partial of every closed window, none of a provisional one, the rest at shutdown; stays ready', async () => {
    const { gw, dir } = await edgeGateway({})
    const points = edgePoints({ seed: 5, windows: 5, perWindow: 300, windowMs: WINDOW_MS, bbox: TILES.bbox })
    for (let i = 0; i < points.length; i += 250) expect((await post(gw, points.slice(i, i + 250))).statusCode).toBe(200)
    // windows 0-3 close as later points pass them; window 4 goes out provisionally once the partition is idle
    await waitFor('the provisional window on the live map', () => (gw.ctx.ingestion!.live.windows >= 5 ? true : undefined), 20_000, 50)
    const status = (await gw.app.inject('/edge')).json()
    expect(status).toMatchObject({ edge: 'edge-t', uplink: { kind: 'partials', connected: false }, spool: { dir, records: 4, oldestWindow: EDGE_T0, newestWindow: EDGE_T0 + 3 * WINDOW_MS, full: 'block' } })
    const ready = await gw.app.inject('/readyz')
    expect(ready.statusCode).toBe(200)
    expect(ready.json()).toMatchObject({ status: 'ready', edge: { uplink: 'down', spooled: 4 } })
    const metrics = (await gw.app.inject('/metrics')).body
    expect(metrics).toMatch(/^graticule_edge_spool_records 4$/m)
    expect(metrics).toMatch(/^graticule_edge_uplink_up 0$/m)
    expect(metrics).toMatch(new RegExp(`^graticule_edge_spool_oldest_window_seconds ${EDGE_T0 / 1000}$`, 'm'))
    // the live map is served as ever
    expect((await gw.app.inject('/live/heatmap/4/8/5.png')).statusCode).toBe(200)
    await gw.close()
    gateways.pop()

    // the flush at shutdown closed window 4 (its provisional result stood): its partial too, each window once
    const partials = await spooled(dir)
    const want = distinctByWindow(points, WINDOW_MS)
    expect(partials.map((p) => [p.windowStart, p.count])).toEqual([...want])
    expect(partials.every((p) => p.part === 'http/0' && p.edge === 'edge-t' && p.grid && p.clusters)).toBe(true)
    expect((await edgeGatewayStatusAfterRestart(dir)).spool.records).toBe(5)
  })

  async function edgeGatewayStatusAfterRestart(dir: string): Promise<{ spool: { records: number } }> {
    const gw = await buildGateway({
      dataplane: dp, logLevel: false, chainsDir: null, faasletsDir: null, ingestion: { simulator: null, kafka: null },
      edge: { upstream: [`127.0.0.1:${await closedPort()}`], edgeId: 'edge-t', spoolDir: dir, tileSet: TILES, closeDrainMs: 0 },
    })
    gateways.push(gw)
    return (await gw.app.inject('/edge')).json()
  }

  it('a full spool (block) holds windows back, sealed; drop-oldest drops the oldest partials, counted', async () => {
    const points = edgePoints({ seed: 6, windows: 4, perWindow: 200, windowMs: WINDOW_MS, bbox: TILES.bbox })
    const blocked = await edgeGateway({ spoolMaxBytes: 1 })
    await post(blocked.gw, points)
    await waitFor('windows waiting', async () => (/graticule_windows_waiting\{source="http"\} [1-9]/.test((await blocked.gw.app.inject('/metrics')).body) ? true : undefined), 20_000, 50)
    // one partial alone always fits; the next windows wait for room
    expect((await blocked.gw.app.inject('/edge')).json().spool).toMatchObject({ records: 1, dropped: { records: 0 } })
    expect((await blocked.gw.app.inject('/readyz')).statusCode).toBe(200)

    const dropping = await edgeGateway({ spoolMaxBytes: 1, spoolFull: 'drop-oldest' })
    await post(dropping.gw, points)
    // windows 0 and 1 dropped for window 2 (on disk once its fsync is done)
    const s = await waitFor('three windows closed', async () => {
      const spool = (await dropping.gw.app.inject('/edge')).json().spool
      return spool.dropped.records === 2 && spool.records === 1 ? spool : undefined
    }, 20_000, 50)
    expect(s).toMatchObject({ records: 1, newestWindow: EDGE_T0 + 2 * WINDOW_MS, oldestWindow: EDGE_T0 + 2 * WINDOW_MS })
    const want = [...distinctByWindow(points, WINDOW_MS).values()]
    expect(s.dropped.points).toBe(want[0] + want[1])
    expect((await dropping.gw.app.inject('/metrics')).body).toMatch(new RegExp(`^graticule_edge_spool_dropped_points_total ${want[0] + want[1]}$`, 'm'))
  })

  it('GET /edge on a gateway that is not an edge: 404 E_NOT_AN_EDGE', async () => {
    const gw = await buildGateway({ dataplane: dp, logLevel: false, chainsDir: null, faasletsDir: null })
    gateways.push(gw)
    const r = await gw.app.inject('/edge')
    expect(r.statusCode).toBe(404)
    expect(r.json().code).toBe('E_NOT_AN_EDGE')
  })
})
