import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { PNG } from 'pngjs'
import { request } from 'node:http'
import { buildGateway, type Gateway } from '../../gateway/app.js'
import { cityTile, sampleCities } from '../helpers/tiles.js'

const TOKEN = 's3cret-token'
let gw: Gateway
const tile = cityTile(sampleCities(20_000, 3), 2, 2, 1) // Europe and around, real cities

beforeAll(async () => {
  gw = await buildGateway({
    workers: 2, token: TOKEN, chainsDir: null, access: { anonymous: ['invoke', 'ingest'] }, // the token guards mutations here
    limits: { bodyLimit: 4 * 1024 * 1024, maxPointsPerRequest: 50_000 },
    ingestion: { windows: { sizeMs: 500, allowedLatenessMs: 100 }, idleFlushMs: 1_000, simulator: { sensors: 500, rate: 5_000, seed: 3 } },
  })
  await gw.app.listen({ host: '127.0.0.1', port: 0 })
})

afterAll(async () => {
  await gw?.close()
})

const inject = (opts: Parameters<Gateway['app']['inject']>[0]) => gw.app.inject(opts)

describe('operations', () => {
  it('healthz, readyz, metrics, openapi', async () => {
    expect((await inject({ url: '/healthz' })).json()).toEqual({ status: 'ok' })
    const ready = await inject({ url: '/readyz' })
    expect(ready.statusCode).toBe(200)
    expect(ready.json().checks.workers).toBe(true)
    const docs = await inject({ url: '/docs/json' })
    expect(docs.statusCode).toBe(200)
    expect(Object.keys(docs.json().paths)).toEqual(expect.arrayContaining(['/chains/{name}/invoke', '/live/events', '/metrics']))
    expect((await inject({ url: '/docs' })).statusCode).toBeLessThan(400)
  })

  it('the page is cross-origin isolated (it needs SharedArrayBuffer); the API may be used by other origins', async () => {
    const page = await inject({ url: '/' })
    expect(page.headers['cross-origin-opener-policy']).toBe('same-origin')
    expect(page.headers['cross-origin-embedder-policy']).toBe('require-corp')
    const r = await inject({ url: '/healthz' })
    expect(r.headers['cross-origin-resource-policy']).toBe('cross-origin')
    expect(r.headers['cross-origin-opener-policy']).toBeUndefined()
  })

  it('unknown routes are problem+json 404s with a code', async () => {
    const r = await inject({ url: '/nope' })
    expect(r.statusCode).toBe(404)
    expect(r.headers['content-type']).toMatch(/^application\/problem\+json/)
    expect(r.json().code).toBe('E_NOT_FOUND')
  })
})

describe('faaslets and chains', () => {
  it('lists faaslets and chains, and returns a chain as YAML', async () => {
    const f = (await inject({ url: '/faaslets' })).json() as Array<{ name: string }>
    expect(f.map((x) => x.name)).toEqual(expect.arrayContaining(['mvt-decode', 'reproject', 'cluster', 'heatmap']))
    const c = (await inject({ url: '/chains' })).json() as Array<{ name: string }>
    expect(c.map((x) => x.name)).toEqual(expect.arrayContaining(['tile-heatmap', 'sensor-window']))
    const y = await inject({ url: '/chains/tile-heatmap' })
    expect(y.headers['content-type']).toMatch(/yaml/)
    expect(y.body).toContain('uses: mvt-decode')
    const missing = await inject({ url: '/chains/nope' })
    expect(missing.statusCode).toBe(404)
    expect(missing.json().code).toBe('E_UNKNOWN_CHAIN')
  })

  it('PUT needs the token, validates with line and column, DELETE removes; shipped chains are read-only', async () => {
    const good = 'name: mine\ninput: { kind: points }\nsteps:\n  - id: m\n    uses: reproject\n    with: { to: "EPSG:3857" }\noutput: { step: m, as: geojson }\n'
    const auth = { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/yaml' }
    const noAuth = await inject({ method: 'PUT', url: '/chains/mine', payload: good, headers: { 'content-type': 'application/yaml' } })
    expect(noAuth.statusCode).toBe(401)
    expect(noAuth.json().code).toBe('E_UNAUTHORIZED')
    const wrongAuth = await inject({ method: 'PUT', url: '/chains/mine', payload: good, headers: { ...auth, authorization: 'Bearer nope' } })
    expect(wrongAuth.statusCode).toBe(401)
    const bad = await inject({ method: 'PUT', url: '/chains/mine', payload: good.replace('reproject', 'reprojekt'), headers: auth })
    expect(bad.statusCode).toBe(400)
    expect(bad.json().code).toBe('E_CHAIN_INVALID')
    expect(bad.json().details[0]).toMatchObject({ code: 'E_CHAIN_UNKNOWN_FAASLET', line: 5, col: 11 })
    const created = await inject({ method: 'PUT', url: '/chains/mine', payload: good, headers: auth })
    expect(created.statusCode).toBe(201)
    expect((await inject({ method: 'PUT', url: '/chains/mine', payload: good, headers: auth })).statusCode).toBe(200)
    expect((await inject({ url: '/chains/mine' })).body).toBe(good)
    const shipped = await inject({ method: 'DELETE', url: '/chains/tile-heatmap', headers: auth })
    expect(shipped.statusCode).toBe(409)
    expect((await inject({ method: 'DELETE', url: '/chains/mine' })).statusCode).toBe(401)
    expect((await inject({ method: 'DELETE', url: '/chains/mine', headers: auth })).statusCode).toBe(204)
    expect((await inject({ url: '/chains/mine' })).statusCode).toBe(404)
    const traversal = await inject({ method: 'PUT', url: '/chains/..%2F..%2Fetc', payload: good, headers: auth })
    expect(traversal.statusCode).toBe(400)
  })
})

describe('invoke', () => {
  const invoke = (query: string, payload: Buffer | Uint8Array | string, type = 'application/vnd.mapbox-vector-tile') =>
    inject({ method: 'POST', url: `/chains/tile-heatmap/invoke?${query}`, payload: Buffer.from(payload), headers: { 'content-type': type } })

  it('runs the seed chain on a real tile: the same PNG in every mode, no copies in shared mode', async () => {
    const bodies: Buffer[] = []
    for (const mode of ['shared', 'copy', 'http']) {
      const r = await invoke(`z=2&x=2&y=1&mode=${mode}`, tile)
      expect(r.statusCode, r.body).toBe(200)
      expect(r.headers['content-type']).toBe('image/png')
      expect(r.headers['x-graticule-mode']).toBe(mode)
      if (mode === 'shared') expect(r.headers['x-graticule-copied-bytes']).toBe('0')
      else expect(Number(r.headers['x-graticule-copied-bytes'])).toBeGreaterThan(tile.length)
      bodies.push(r.rawPayload)
    }
    expect(bodies[1].equals(bodies[0])).toBe(true)
    expect(bodies[2].equals(bodies[0])).toBe(true)
    const png = PNG.sync.read(bodies[0])
    expect([png.width, png.height]).toEqual([256, 256])
    let painted = 0
    for (let i = 3; i < png.data.length; i += 4) if (png.data[i] > 0) painted++
    expect(painted).toBeGreaterThan(1000)
    const clusters = await invoke('z=2&x=2&y=1&output=clusters', tile)
    expect(clusters.headers['content-type']).toMatch(/geo\+json/)
    expect(clusters.json().features.length).toBeGreaterThan(10)
  })

  it('errors: malformed tile 422, oversized body 413, bad media 415, bad and unknown params 400', async () => {
    const garbage = Buffer.from([0x1a, 0xff, 0xff, 0xff, 0xff, 0x0f, 0x01, 0x02])
    const malformed = await invoke('z=2&x=2&y=1', garbage)
    expect(malformed.statusCode).toBe(422)
    expect(malformed.json().code).toBe('E_FAASLET_MALFORMED_INPUT')
    const big = await invoke('z=2&x=2&y=1', Buffer.alloc(5 * 1024 * 1024, 1))
    expect(big.statusCode).toBe(413)
    expect(big.json().code).toBe('E_BODY_TOO_LARGE')
    const media = await invoke('z=2&x=2&y=1', tile, 'text/plain')
    expect(media.statusCode).toBe(415)
    expect(media.json().code).toBe('E_UNSUPPORTED_MEDIA')
    const range = await invoke('z=2&x=2&y=1&radius=9999', tile)
    expect(range.statusCode).toBe(400)
    expect(range.json().code).toBe('E_BAD_PARAM')
    const unknown = await invoke('z=2&x=2&y=1&colour=red', tile)
    expect(unknown.statusCode).toBe(400)
    expect(unknown.json().code).toBe('E_UNKNOWN_PARAM')
    const missing = await invoke('z=2&x=2', tile)
    expect(missing.statusCode).toBe(400)
    expect(missing.json().code).toBe('E_MISSING_PARAM')
    const mode = await invoke('z=2&x=2&y=1&mode=fast', tile)
    expect(mode.statusCode).toBe(400)
    const unknownChain = await inject({ method: 'POST', url: '/chains/nope/invoke', payload: Buffer.from(tile), headers: { 'content-type': 'application/vnd.mapbox-vector-tile' } })
    expect(unknownChain.statusCode).toBe(404)
    // nothing leaked and the gateway still works
    expect(gw.ctx.dataplane.tenant('default').arena.bytesInUse).toBe(0)
    expect((await invoke('z=2&x=2&y=1', tile)).statusCode).toBe(200)
  })

  it('points in GeoJSON, CSV and NDJSON; too many points is 413', async () => {
    const csv = 'lon,lat,weight\n2.35,48.85,3\n13.4,52.5,1\n-0.12,51.5,2\n'
    const r = await inject({ method: 'POST', url: '/chains/points-heatmap/invoke?z=3&x=4&y=2', payload: csv, headers: { 'content-type': 'text/csv' } })
    expect(r.statusCode, r.body).toBe(200)
    const nd = '{"lon":2.35,"lat":48.85,"value":3}\n{"lon":13.4,"lat":52.5}\n'
    const r2 = await inject({ method: 'POST', url: '/chains/points-clusters/invoke?zoom=1', payload: nd, headers: { 'content-type': 'application/x-ndjson' } })
    expect(r2.statusCode, r2.body).toBe(200)
    expect(r2.json().features.length).toBeGreaterThan(0)
    const many = 'lon,lat\n' + '1,1\n'.repeat(60_000)
    const r3 = await inject({ method: 'POST', url: '/chains/points-clusters/invoke?zoom=1', payload: many, headers: { 'content-type': 'text/csv' } })
    expect(r3.statusCode).toBe(413)
    expect(r3.json().code).toBe('E_TOO_MANY_POINTS')
    const badJson = await inject({ method: 'POST', url: '/chains/points-clusters/invoke?zoom=1', payload: '{"type":', headers: { 'content-type': 'application/geo+json' } })
    expect(badJson.statusCode).toBe(422)
    expect(badJson.json().code).toBe('E_BAD_GEOJSON')
  })

  it('bodies from other tools: polygons refused unless ?geometry says, ;-CSV with quotes, a declared crs named in the output', async () => {
    const square = { type: 'FeatureCollection', features: [{ type: 'Feature', properties: { name: 'a' }, geometry: { type: 'Polygon', coordinates: [[[2, 48], [3, 48], [3, 49], [2, 49], [2, 48]]] } }] }
    const post = (query: string, payload: string, type: string) => inject({ method: 'POST', url: `/chains/points-clusters/invoke?${query}`, payload, headers: { 'content-type': type } })
    const refused = await post('zoom=20', JSON.stringify(square), 'application/geo+json')
    expect(refused.statusCode).toBe(422)
    expect(refused.json()).toMatchObject({ code: 'E_CANNOT_CARRY', message: expect.stringMatching(/features\[0\] \(a Polygon\).*geometry=vertices/) })
    // at a zoom past maxZoom nothing merges: one cluster per vertex (the ring's closing position once)
    const vertices = await post('zoom=20&geometry=vertices', JSON.stringify(square), 'application/geo+json')
    expect(vertices.statusCode, vertices.body).toBe(200)
    expect(vertices.json().features).toHaveLength(4)
    const centroid = await post('zoom=20&geometry=centroid', JSON.stringify(square), 'application/geo+json')
    // (a point comes back through supercluster's Mercator round trip: within 1e-9°)
    const [c] = centroid.json().features.map((f: { geometry: { coordinates: number[] } }) => f.geometry.coordinates)
    expect(centroid.json().features).toHaveLength(1)
    expect(Math.max(Math.abs(c[0] - 2.5), Math.abs(c[1] - 48.5))).toBeLessThan(1e-9)
    const semicolons = 'name;lat;lon\r\n"Paris; capital";48.85;2.35\r\n"Berlin ""Mitte""";52.5;13.4\r\n'
    const csv = await post('zoom=20', semicolons, 'text/csv')
    expect(csv.statusCode, csv.body).toBe(200)
    expect(csv.json().features).toHaveLength(2)
    // metres declared for a CSV that cannot say so itself; the output names its CRS (or is refused for RFC 7946)
    const metres = 'x,y\n261845.7,6250564.3\n1491681.2,6891041.9\n'
    const named = await post('zoom=20&crs=EPSG:3857', metres, 'text/csv')
    expect(named.statusCode, named.body).toBe(200)
    expect(named.json().crs).toEqual({ type: 'name', properties: { name: 'urn:ogc:def:crs:EPSG::3857' } })
    expect((await post('zoom=20&crs=EPSG:3857&rfc7946=true', metres, 'text/csv')).json().code).toBe('E_CANNOT_CARRY')
    const bad = await post('zoom=20&crs=EPSG:9999999', metres, 'text/csv')
    expect([bad.statusCode, bad.json().code]).toEqual([400, 'E_BAD_PARAM'])
  })

  it('metrics count invocations, errors and copied bytes', async () => {
    const m = (await inject({ url: '/metrics' })).body
    expect(m).toMatch(/graticule_chain_invocations_total\{chain="tile-heatmap",mode="shared",outcome="ok"\} \d+/)
    expect(m).toMatch(/graticule_copied_bytes_total\{mode="shared",where="between_stages"\} 0/)
    expect(m).toMatch(/graticule_copied_bytes_total\{mode="copy",where="between_stages"\} [1-9]/)
    expect(m).toMatch(/graticule_errors_total\{code="E_FAASLET_MALFORMED_INPUT"\} [1-9]/)
    expect(m).toMatch(/graticule_stage_duration_seconds_count\{chain="tile-heatmap",step="heat",faaslet="heatmap"\} [1-9]/)
    expect(m).toMatch(/graticule_arena_bytes_in_use\{tenant="default"\} \d+/)
    expect(m).toMatch(/^process_resident_memory_bytes \d+/m)
  })
})

describe('live sensor windows (built-in simulator)', () => {
  async function firstWindow(): Promise<void> {
    for (let i = 0; i < 100 && !gw.ctx.ingestion!.live.last; i++) await new Promise((r) => setTimeout(r, 100))
    expect(gw.ctx.ingestion!.live.last).not.toBeNull()
  }

  it('serves heatmap tiles and clusters of the newest window, and points in a bbox', async () => {
    await firstWindow()
    const t = await inject({ url: '/live/heatmap/0/0/0.png' })
    expect(t.statusCode).toBe(200)
    const png = PNG.sync.read(t.rawPayload)
    let painted = 0
    for (let i = 3; i < png.data.length; i += 4) if (png.data[i] > 0) painted++
    expect(painted).toBeGreaterThan(100)
    const r = await inject({ url: '/live/clusters?zoom=1' })
    const c = r.json()
    expect(c.features.length).toBeGreaterThan(0)
    const total = c.features.reduce((n: number, f: { properties: { point_count?: number } }) => n + (f.properties.point_count ?? 1), 0)
    // the window the response was computed from (windows here last 500 ms: a newer one may be live by now)
    expect(total).toBe(Number(r.headers['x-graticule-count']))
    expect(total).toBeGreaterThan(100)
    const p = (await inject({ url: '/live/points?bbox=-180,-90,180,90&limit=50' })).json()
    expect(p.features.length).toBe(50)
    expect((await inject({ url: '/live/heatmap/1/5/0.png' })).statusCode).toBe(400)
  })

  it('the heatmap changes over time', async () => {
    await firstWindow()
    const a = gw.ctx.ingestion!.live.current()!.start
    const first = (await inject({ url: '/live/heatmap/0/0/0.png' })).rawPayload
    for (let i = 0; i < 100 && gw.ctx.ingestion!.live.current()!.start === a; i++) await new Promise((r) => setTimeout(r, 100))
    const second = (await inject({ url: '/live/heatmap/0/0/0.png' })).rawPayload
    expect(second.equals(first)).toBe(false)
  })

  it('streams one Server-Sent Event per closed window', async () => {
    const port = (gw.app.server.address() as { port: number }).port
    const events = await new Promise<string[]>((resolve, reject) => {
      const got: string[] = []
      const req = request({ host: '127.0.0.1', port, path: '/live/events' }, (res) => {
        expect(res.headers['content-type']).toMatch(/text\/event-stream/)
        res.setEncoding('utf8')
        let buf = ''
        res.on('data', (chunk: string) => {
          buf += chunk
          const parts = buf.split('\n\n')
          buf = parts.pop()!
          for (const p of parts) if (p.startsWith('event: window')) got.push(p)
          if (got.length >= 3) { req.destroy(); resolve(got) }
        })
      })
      req.on('error', (e) => { if (got.length < 3) reject(e) })
      req.end()
    })
    const data = events.map((e) => JSON.parse(e.split('data: ')[1]))
    expect(data[1].windowStart).toBeGreaterThan(data[0].windowStart - 1)
    expect(data[2].count).toBeGreaterThan(0)
    expect(data[2].copiedBytes).toBe(0)
  })

  it('POST /ingest puts points into windows; duplicates are counted once; bad records are refused', async () => {
    const now = Date.now()
    const pts = [{ sensor: 'h1', ts: now, lon: 1, lat: 2, value: 3 }, { sensor: 'h1', ts: now, lon: 1, lat: 2, value: 3 }, { sensor: 'h2', ts: now, lon: 5, lat: 6, value: 1 }]
    const r = await inject({ method: 'POST', url: '/ingest', payload: pts, headers: { 'content-type': 'application/json' } })
    expect(r.statusCode, r.body).toBe(200)
    expect(r.json()).toMatchObject({ accepted: 2, duplicates: 1 })
    const bad = await inject({ method: 'POST', url: '/ingest', payload: [{ sensor: 'x', ts: 'soon', lon: 1, lat: 2, value: 3 }], headers: { 'content-type': 'application/json' } })
    expect(bad.statusCode).toBe(400)
    const media = await inject({ method: 'POST', url: '/ingest', payload: 'x', headers: { 'content-type': 'text/plain' } })
    expect(media.statusCode).toBe(415)
  })
})
