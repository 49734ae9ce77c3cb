// How the gateway meets other origins and tools: CORS (interop.ts), resource and isolation policies per
// route, TileJSON of the live layers, ETags of the window with 304s, RFC 9457 problem details whose `type`
// resolves, Retry-After, and an OpenAPI document with the bodies and responses of every route.
import { request } from 'node:http'
import type { AddressInfo } from 'node:net'
import Fastify from 'fastify'
import { PNG } from 'pngjs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildGateway, type Gateway } from '../../gateway/app.js'
import { installErrorHandlers, retryAfterOf } from '../../gateway/http-errors.js'
import { GatewayMetrics } from '../../gateway/metrics.js'
import { WEB_MERCATOR_BOUNDS } from '../../gateway/routes/tilejson.js'
import { Dataplane } from '../../dataplane/dataplane.js'
import { ERRORS, fail, type ErrorCode } from '../../errors/index.js'
import { INPUT_MEDIA_TYPES } from '../../faaslets/codecs/boundary.js'
import { cityTile, sampleCities } from '../helpers/tiles.js'

const MAP = 'http://maps.example.org'
const OTHER = 'http://elsewhere.example.net'
const tile = Buffer.from(cityTile(sampleCities(5_000, 3), 2, 2, 1))

let dp: Dataplane
let gw: Gateway
let url: string

beforeAll(async () => {
  dp = await Dataplane.start({ workers: 2 })
  gw = await buildGateway({
    dataplane: dp, chainsDir: null, faasletsDir: null, logLevel: false, corsOrigins: [MAP],
    ingestion: { windows: { sizeMs: 1_000, allowedLatenessMs: 100 }, idleFlushMs: 1_000, simulator: { sensors: 500, rate: 5_000, seed: 5 } },
  })
  await gw.app.listen({ host: '127.0.0.1', port: 0 })
  url = `http://127.0.0.1:${(gw.app.server.address() as AddressInfo).port}`
  for (let i = 0; i < 100 && !(gw.ctx.ingestion!.live.current()?.points.count ?? 0); i++) await sleep(100)
  expect(gw.ctx.ingestion!.live.current()?.points.count).toBeGreaterThan(0)
})

afterAll(async () => {
  await gw?.close()
  await dp?.close()
})

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
const inject = (opts: Parameters<Gateway['app']['inject']>[0]) => gw.app.inject(opts)
const list = (header: unknown) => String(header ?? '').toLowerCase().split(/\s*,\s*/)

/** Runs `fn` until it ran within one window (windows close every second here). */
async function inOneWindow<T>(fn: () => Promise<T>): Promise<T> {
  for (let i = 0; ; i++) {
    const view = gw.ctx.ingestion!.live.current()
    const out = await fn()
    if (gw.ctx.ingestion!.live.current() === view || i === 10) return out
  }
}

/** A gateway on the shared workers without a sensor stream, closed after `fn`. */
async function withGateway(corsOrigins: string[] | undefined, fn: (g: Gateway) => Promise<void>): Promise<void> {
  const g = await buildGateway({ dataplane: dp, chainsDir: null, faasletsDir: null, logLevel: false, corsOrigins, ingestion: null })
  try {
    await fn(g)
  } finally {
    await g.close()
  }
}

describe('CORS', () => {
  it('grants a listed origin the preflight of an invocation with any body type and a token, then the invocation', async () => {
    const pre = await inject({
      method: 'OPTIONS', url: '/chains/tile-heatmap/invoke?z=2&x=2&y=1',
      headers: { origin: MAP, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization, content-type' },
    })
    expect(pre.statusCode).toBe(204)
    expect(pre.headers['access-control-allow-origin']).toBe(MAP)
    expect(list(pre.headers['access-control-allow-methods'])).toEqual(expect.arrayContaining(['get', 'post']))
    expect(list(pre.headers['access-control-allow-headers'])).toEqual(expect.arrayContaining(['authorization', 'content-type', 'if-none-match', 'x-request-id']))
    expect(list(pre.headers.vary)).toContain('origin')
    expect(pre.headers['access-control-max-age']).toBe('600')

    const mvt = await inject({ method: 'POST', url: '/chains/tile-heatmap/invoke?z=2&x=2&y=1', payload: tile, headers: { origin: MAP, 'content-type': 'application/vnd.mapbox-vector-tile' } })
    expect(mvt.statusCode, mvt.body).toBe(200)
    expect(mvt.headers['access-control-allow-origin']).toBe(MAP)
    expect(list(mvt.headers['access-control-expose-headers'])).toEqual(expect.arrayContaining(['x-request-id', 'x-graticule-mode', 'x-graticule-copied-bytes', 'x-graticule-compute-ms', 'x-graticule-chain-ms']))
    const csv = await inject({ method: 'POST', url: '/chains/points-clusters/invoke?zoom=1', payload: 'lon,lat\n2.35,48.85\n13.4,52.5\n', headers: { origin: MAP, 'content-type': 'text/csv' } })
    expect([csv.statusCode, csv.headers['access-control-allow-origin']]).toEqual([200, MAP])
  })

  it('tiles and live data: the listed origin reads them and their ETag, another origin is not granted', async () => {
    const mine = await inject({ url: '/live/heatmap/0/0/0.png', headers: { origin: MAP } })
    expect(mine.headers['access-control-allow-origin']).toBe(MAP)
    expect(list(mine.headers['access-control-expose-headers'])).toEqual(expect.arrayContaining(['etag', 'x-graticule-window']))
    const clusters = await inject({ url: '/live/clusters?zoom=1', headers: { origin: MAP } })
    expect(list(clusters.headers['access-control-expose-headers'])).toEqual(expect.arrayContaining(['etag', 'x-graticule-window', 'x-graticule-count']))
    for (const r of [
      await inject({ url: '/live/heatmap/0/0/0.png', headers: { origin: OTHER } }),
      await inject({ method: 'OPTIONS', url: '/live/clusters', headers: { origin: OTHER, 'access-control-request-method': 'GET' } }),
    ]) {
      expect(r.headers['access-control-allow-origin']).toBeUndefined()
      expect(r.headers['access-control-expose-headers']).toBeUndefined()
    }
  })

  it('no origins configured: no CORS headers and no preflight; ["*"]: any origin', async () => {
    await withGateway(undefined, async (g) => {
      const r = await g.app.inject({ url: '/chains', headers: { origin: MAP } })
      expect(Object.keys(r.headers).filter((h) => h.startsWith('access-control-'))).toEqual([])
      const pre = await g.app.inject({ method: 'OPTIONS', url: '/chains', headers: { origin: MAP, 'access-control-request-method': 'GET' } })
      expect(pre.statusCode).toBe(404)
      expect(pre.headers['access-control-allow-origin']).toBeUndefined()
    })
    await withGateway(['*'], async (g) => {
      for (const origin of [MAP, OTHER]) expect((await g.app.inject({ url: '/chains', headers: { origin } })).headers['access-control-allow-origin']).toBe('*')
    })
  })
})

describe('resource and isolation policies per route', () => {
  it('everything may be used cross-origin; only the page asks for cross-origin isolation', async () => {
    const urls = ['/healthz', '/metrics', '/chains', '/live/heatmap/0/0/0.png', '/live/clusters', '/live/heatmap.json', '/live/window.region',
      '/wasm/heatmap.wasm', '/web/chains/tile-heatmap.json', '/docs/json', '/errors/E_BAD_PARAM', '/nope']
    for (const u of urls) {
      const r = await inject({ url: u })
      expect(r.headers['cross-origin-resource-policy'], u).toBe('cross-origin')
      expect(r.headers['cross-origin-opener-policy'], u).toBeUndefined()
      expect(r.headers['cross-origin-embedder-policy'], u).toBeUndefined()
    }
    const page = await inject({ url: '/' })
    expect(page.headers['content-type']).toMatch(/text\/html/)
    expect(page.headers).toMatchObject({ 'cross-origin-opener-policy': 'same-origin', 'cross-origin-embedder-policy': 'require-corp', 'cross-origin-resource-policy': 'same-origin' })
    // the page's assets, among them the worker it starts (a worker of an isolated page needs COEP itself)
    const worker = await inject({ url: '/web/worker.js' })
    expect(worker.statusCode).toBe(200)
    expect(worker.headers).toMatchObject({ 'cross-origin-embedder-policy': 'require-corp', 'cross-origin-resource-policy': 'cross-origin' })
    expect(worker.headers['cross-origin-opener-policy']).toBeUndefined()
  })

  it('the Server-Sent Events stream, whose head the route writes itself, carries the policy and CORS', async () => {
    const headers = await new Promise<Record<string, unknown>>((resolve, reject) => {
      const req = request(`${url}/live/events`, { headers: { origin: MAP } }, (res) => { resolve(res.headers); req.destroy() })
      req.on('error', reject)
      req.end()
    })
    expect(headers).toMatchObject({ 'content-type': expect.stringMatching(/text\/event-stream/), 'cross-origin-resource-policy': 'cross-origin', 'access-control-allow-origin': MAP })
  })
})

describe('TileJSON', () => {
  it('describes the live heatmap with absolute tile URLs on the Host asked, its zooms, bounds and attribution', async () => {
    const r = await inject({ url: '/live/heatmap.json?radius=24', headers: { host: 'tiles.example.org:8443' } })
    expect(r.statusCode, r.body).toBe(200)
    expect(r.headers['content-type']).toMatch(/^application\/json/)
    const doc = r.json()
    expect(doc).toMatchObject({
      tilejson: '3.0.0', scheme: 'xyz', minzoom: 0, maxzoom: 22, bounds: WEB_MERCATOR_BOUNDS,
      tiles: ['http://tiles.example.org:8443/live/heatmap/{z}/{x}/{y}.png?radius=24'],
      attribution: expect.stringContaining('simulated sensors'),
    })
    // the template answers: a painted PNG at z 1, a refusal beyond maxzoom
    const path = (z: number, x: number, y: number) => new URL(doc.tiles[0].replace('{z}', z).replace('{x}', x).replace('{y}', y)).pathname + '?radius=24'
    const t = await inject({ url: path(1, 1, 0) })
    expect([t.statusCode, t.headers['content-type']]).toEqual([200, 'image/png'])
    const png = PNG.sync.read(t.rawPayload)
    expect([png.width, png.height]).toEqual([256, 256])
    let painted = 0
    for (let i = 3; i < png.data.length; i += 4) if (png.data[i] > 0) painted++
    expect(painted).toBeGreaterThan(100)
    expect((await inject({ url: path(23, 0, 0) })).statusCode).toBe(400)
    // the default tile parameters make a template without a query
    expect((await inject({ url: '/live/heatmap.json' })).json().tiles[0]).toBe('http://localhost:80/live/heatmap/{z}/{x}/{y}.png')
  })

  it('a gateway without a sensor stream has no live layer', async () => {
    await withGateway(undefined, async (g) => {
      const r = await g.app.inject({ url: '/live/heatmap.json' })
      expect([r.statusCode, r.json().code]).toEqual([404, 'E_NO_LIVE_DATA'])
    })
  })
})

describe('ETags of the window', () => {
  it('a tile revalidates to a 304 without a body while its window stands; other parameters or a new window change the tag', async () => {
    const [first, again, weakInList, otherRadius] = await inOneWindow(async () => {
      const a = await inject({ url: '/live/heatmap/1/1/0.png' })
      const b = await inject({ url: '/live/heatmap/1/1/0.png', headers: { 'if-none-match': a.headers.etag as string } })
      const c = await inject({ url: '/live/heatmap/1/1/0.png', headers: { 'if-none-match': `"nope", W/${a.headers.etag}` } })
      const d = await inject({ url: '/live/heatmap/1/1/0.png?radius=20' })
      return [a, b, c, d]
    })
    expect(first.statusCode).toBe(200)
    expect(first.headers.etag).toMatch(new RegExp(`^"${first.headers['x-graticule-window']}-`)) // the window's start
    expect(first.headers['cache-control']).toBe('no-cache')
    expect(again.statusCode).toBe(304)
    expect(again.rawPayload.length).toBe(0)
    expect(again.headers.etag).toBe(first.headers.etag)
    expect(weakInList.statusCode).toBe(304)
    expect(otherRadius.headers.etag).not.toBe(first.headers.etag)

    const view = gw.ctx.ingestion!.live.current()
    for (let i = 0; i < 100 && gw.ctx.ingestion!.live.current() === view; i++) await sleep(50)
    const later = await inject({ url: '/live/heatmap/1/1/0.png', headers: { 'if-none-match': first.headers.etag as string } })
    expect(later.statusCode).toBe(200)
    expect(later.headers.etag).not.toBe(first.headers.etag)
    expect(PNG.sync.read(later.rawPayload).width).toBe(256)
  })

  it('clusters, hexagons, points and the window region revalidate the same way', async () => {
    for (const u of ['/live/clusters?zoom=1', '/live/hexagons?res=2', '/live/points?bbox=-180,-90,180,90&limit=10', '/live/window.region']) {
      const [a, b] = await inOneWindow(async () => {
        const a = await inject({ url: u })
        return [a, await inject({ url: u, headers: { 'if-none-match': a.headers.etag as string } })]
      })
      expect(a.statusCode, u).toBe(200)
      expect(a.headers.etag, u).toMatch(/^"\d+-/)
      expect(a.headers['cache-control'], u).toBe('no-cache')
      expect([b.statusCode, b.body], u).toEqual([304, ''])
    }
  })
})

describe('problem details', () => {
  const isProblem = (r: Awaited<ReturnType<typeof inject>>, status: number, code: string, instance: string) => {
    expect(r.statusCode).toBe(status)
    expect(r.headers['content-type']).toMatch(/^application\/problem\+json/)
    const p = r.json()
    expect(p).toMatchObject({ type: `/errors/${code}`, title: ERRORS[code as ErrorCode].message.replace(/%s/g, '…'), status, instance, code })
    expect(p.detail).toBe(p.message)
    expect(p.detail.length).toBeGreaterThan(0)
    return p
  }

  it('every error: type, title, status, detail, instance, and code, message, details as before', async () => {
    isProblem(await inject({ url: '/nope?x=1' }), 404, 'E_NOT_FOUND', '/nope')
    isProblem(await inject({ url: '/live/heatmap/1/5/0.png?radius=3' }), 400, 'E_BAD_PARAM', '/live/heatmap/1/5/0.png')
    isProblem(await inject({ method: 'POST', url: '/chains/tile-heatmap/invoke?z=2&x=2&y=1', payload: 'x', headers: { 'content-type': 'text/plain' } }), 415, 'E_UNSUPPORTED_MEDIA', '/chains/tile-heatmap/invoke')
    const yaml = 'name: mine\ninput: { kind: points }\nsteps:\n  - id: m\n    uses: reprojekt\noutput: { step: m, as: geojson }\n'
    const invalid = isProblem(await inject({ method: 'PUT', url: '/chains/mine', payload: yaml, headers: { 'content-type': 'application/yaml' } }), 400, 'E_CHAIN_INVALID', '/chains/mine')
    expect(invalid.details[0]).toMatchObject({ code: 'E_CHAIN_UNKNOWN_FAASLET', line: 5 })
    // answered before any route runs (fastify's frameworkErrors)
    isProblem(await inject({ url: '/chains/%E0%A4%A' }), 400, 'E_BAD_REQUEST', '/chains/%E0%A4%A')
  })

  it('the type resolves: /errors/<code> is the registry entry, /errors all of them', async () => {
    const p = (await inject({ url: '/chains/nope' })).json()
    const entry = await inject({ url: p.type })
    expect(entry.statusCode).toBe(200)
    expect(entry.json()).toEqual({ type: p.type, code: 'E_UNKNOWN_CHAIN', status: 404, title: p.title, section: 'Chains' })
    expect((await inject({ url: '/errors/E_TOO_MANY_INVOCATIONS' })).json()).toMatchObject({ status: 429, retryAfterSeconds: 1, section: 'Dataplane' })
    const all = (await inject({ url: '/errors' })).json() as Array<{ code: string }>
    expect(all.map((e) => e.code).sort()).toEqual(Object.keys(ERRORS).sort())
    isProblem(await inject({ url: '/errors/E_NOPE' }), 404, 'E_NOT_FOUND', '/errors/E_NOPE')
  })

  it('Retry-After on every 429 and 503, unless the refusal set its own; an ETag set before a failure is dropped', async () => {
    for (const code of Object.keys(ERRORS) as ErrorCode[]) {
      const s: number = ERRORS[code].status
      if (s === 429 || s === 503) expect(retryAfterOf(code), code).toBeGreaterThanOrEqual(1)
      else expect(retryAfterOf(code), code).toBeUndefined()
    }
    const app = Fastify()
    installErrorHandlers(app, new GatewayMetrics(dp))
    app.get('/busy', async () => { throw fail('E_TOO_MANY_INVOCATIONS', 'default', 4, 4) })
    app.get('/died', async () => { throw fail('E_WORKER_DIED', 'heatmap', 'exit 1') })
    app.get('/closing', async () => { throw fail('E_SHUTTING_DOWN') })
    app.get('/limited', async (_req, reply) => { reply.header('retry-after', '42'); throw fail('E_TOO_MANY_INVOCATIONS', 'default', 4, 4) })
    app.get('/tagged', async (_req, reply) => { reply.header('etag', '"w1"'); throw fail('E_BAD_PARAM', 'z', 'no') })
    try {
      const seconds = async (u: string) => {
        const r = await app.inject({ url: u })
        expect(r.headers['content-type'], u).toMatch(/^application\/problem\+json/)
        return [r.statusCode, r.headers['retry-after']]
      }
      expect(await seconds('/busy')).toEqual([429, '1'])
      expect(await seconds('/died')).toEqual([503, '1'])
      expect(await seconds('/closing')).toEqual([503, String(retryAfterOf('E_SHUTTING_DOWN'))])
      expect(await seconds('/limited')).toEqual([429, '42'])
      expect(await seconds('/tagged')).toEqual([400, undefined])
      expect((await app.inject({ url: '/tagged' })).headers.etag).toBeUndefined()
    } finally {
      await app.close()
    }
  })
})

describe('the OpenAPI document', () => {
  type Operation = { requestBody?: { content: Record<string, { schema: Record<string, unknown> }> }; responses: Record<string, { description: string; content?: Record<string, { schema: Record<string, unknown> }> }> }
  let doc: { paths: Record<string, Record<string, Operation>>; components: { schemas: Record<string, { required: string[] }> } }
  beforeAll(async () => { doc = (await inject({ url: '/docs/json' })).json() })

  it('documents the bodies of invoke (from the codecs\' media types), chains, faaslets and ingest', () => {
    const invoke = doc.paths['/chains/{name}/invoke'].post.requestBody!.content
    expect(Object.keys(invoke)).toEqual(INPUT_MEDIA_TYPES)
    expect(invoke['application/vnd.mapbox-vector-tile'].schema).toMatchObject({ type: 'string', format: 'binary' })
    expect(invoke['application/x-protobuf'].schema).toMatchObject({ type: 'string', format: 'binary' })
    expect(invoke['application/vnd.graticule.region'].schema).toMatchObject({ type: 'string', format: 'binary' })
    expect(invoke['text/csv'].schema.type).toBe('string')
    expect(invoke['application/x-ndjson'].schema.type).toBe('string')
    expect(invoke['application/geo+json'].schema.type).toBe('object')
    expect(Object.keys(doc.paths['/chains/{name}'].put.requestBody!.content)).toEqual(['application/yaml'])
    expect(doc.paths['/faaslets/{name}'].put.requestBody!.content['application/wasm'].schema).toMatchObject({ format: 'binary' })
    expect(Object.keys(doc.paths['/faaslets/{name}'].put.requestBody!.content)).toContain('application/json')
    expect(Object.keys(doc.paths['/ingest'].post.requestBody!.content)).toEqual(expect.arrayContaining(['application/json', 'application/msgpack']))
    expect(Object.keys(doc.paths['/chains/{name}/invoke'].post.responses['200'].content!)).toEqual(expect.arrayContaining(['image/png', 'application/geo+json', 'text/csv']))
    expect(Object.keys(doc.paths['/live/heatmap/{z}/{x}/{y}.png'].get.responses)).toEqual(expect.arrayContaining(['200', '304', '400', '404']))
  })

  it('every operation says what it answers; every error is the one problem schema', () => {
    expect(doc.components.schemas.Problem.required).toEqual(expect.arrayContaining(['type', 'title', 'status', 'detail', 'instance', 'code', 'message']))
    let errors = 0
    for (const [path, ops] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(ops)) {
        const statuses = Object.keys(op.responses)
        expect(statuses.some((s) => s.startsWith('2')), `${method} ${path}`).toBe(true)
        for (const s of statuses) {
          expect(op.responses[s].description, `${method} ${path} ${s}`).not.toBe('Default Response')
          // (a 503 of /readyz is its not-ready report, not an error)
          if (Number(s) >= 400 && !(path === '/readyz' && s === '503')) {
            expect(op.responses[s].content, `${method} ${path} ${s}`).toEqual({ 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } })
            errors++
          }
        }
      }
    }
    expect(errors).toBeGreaterThan(50)
  })
})
