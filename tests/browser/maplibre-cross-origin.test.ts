// MapLibre on another origin, in Chromium: a page served from its own 127.0.0.1 port adds the gateway's live
// heatmap as a raster source by its TileJSON URL and reads /live/clusters with fetch(). The gateway grants
// that origin (corsOrigins) and no other: the same page from a third port gets neither tiles nor data.
// MapLibre draws with WebGL, here on SwiftShader (software).
import { readFileSync, statSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { basename, extname, join } from 'node:path'
import { chromium, type Browser, type Page } from 'playwright-core'
import { PNG } from 'pngjs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildGateway, type Gateway } from '../../gateway/app.js'
import { ROOT } from '../../faaslets/catalog.js'
import { CHROMIUM, waitFor } from './helpers.js'

// SwiftShader's WebGL without a GPU (playwright adds --enable-unsafe-swiftshader too; said here so that
// MapLibre keeps working if its defaults change)
const CHROMIUM_ARGS = ['--no-sandbox', '--headless', '--enable-unsafe-swiftshader', '--use-angle=swiftshader', '--disable-background-networking', '--no-first-run']
const MAPLIBRE_DIST = join(ROOT, 'node_modules', 'maplibre-gl', 'dist')
const TYPES: Record<string, string> = { '.mjs': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8', '.map': 'application/json' }

// the page: ?gateway=<origin>; what it saw is in window.result
const PAGE = `<!doctype html>
<html><head><meta charset="utf-8"><title>maplibre on another origin</title>
<link rel="stylesheet" href="/maplibre/maplibre-gl.css">
<style>html, body, #map { margin: 0; width: 512px; height: 512px }</style></head>
<body><div id="map"></div>
<script type="module">
import { Map } from '/maplibre/maplibre-gl.mjs'
const gateway = new URLSearchParams(location.search).get('gateway')
const result = window.result = { webgl2: Boolean(document.createElement('canvas').getContext('webgl2')), errors: [], tiles: 0, idle: false, clusters: null, fetchError: null }
const map = window.map = new Map({
  container: 'map', center: [10, 30], zoom: 1, fadeDuration: 0,
  style: { version: 8, sources: { heat: { type: 'raster', url: gateway + '/live/heatmap.json', tileSize: 256 } }, layers: [{ id: 'heat', type: 'raster', source: 'heat' }] },
})
map.on('error', (e) => result.errors.push(String(e.error?.message ?? e.error ?? e)))
map.on('sourcedata', (e) => { if (e.sourceId === 'heat' && e.tile) result.tiles++ })
map.on('idle', () => { result.idle = true })
fetch(gateway + '/live/clusters?zoom=1')
  .then(async (r) => { result.clusters = { status: r.status, window: r.headers.get('x-graticule-window'), etag: r.headers.get('etag'), features: (await r.json()).features.length } })
  .catch((e) => { result.fetchError = String(e) })
</script></body></html>`

interface PageResult { webgl2: boolean; errors: string[]; tiles: number; idle: boolean; clusters: { status: number; window: string | null; etag: string | null; features: number } | null; fetchError: string | null }

/** The page and MapLibre's files, on a port of its own: another origin than the gateway's. */
async function pageServer(): Promise<{ server: Server; origin: string }> {
  const server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname
    if (path === '/') return void res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(PAGE)
    const file = join(MAPLIBRE_DIST, basename(path)) // basename: nothing outside the folder
    if (path.startsWith('/maplibre/') && TYPES[extname(file)] && statSync(file, { throwIfNoEntry: false })?.isFile()) {
      return void res.writeHead(200, { 'content-type': TYPES[extname(file)] }).end(readFileSync(file))
    }
    res.writeHead(404).end()
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return { server, origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}` }
}

let gw: Gateway
let gateway: string
let allowed: { server: Server; origin: string }
let stranger: { server: Server; origin: string }
let browser: Browser

beforeAll(async () => {
  allowed = await pageServer()
  stranger = await pageServer()
  gw = await buildGateway({
    workers: 2, chainsDir: null, logLevel: false, corsOrigins: [allowed.origin],
    ingestion: { windows: { sizeMs: 1_000, allowedLatenessMs: 100 }, idleFlushMs: 1_000, simulator: { sensors: 2_000, rate: 5_000, seed: 7 } },
  })
  await gw.app.listen({ host: '127.0.0.1', port: 0 })
  gateway = `http://127.0.0.1:${(gw.app.server.address() as AddressInfo).port}`
  await waitFor(() => (gw.ctx.ingestion!.live.current()?.points.count ?? 0) > 0, 'a window with points')
  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS })
})

afterAll(async () => {
  await browser?.close()
  await gw?.close()
  for (const s of [allowed, stranger]) if (s) await new Promise((r) => s.server.close(r))
})

interface Seen { path: string; status: number; headers: Record<string, string> }

/** The page from `origin`, with the gateway's responses it was given and the requests to it that failed. */
async function openPage(origin: string): Promise<{ page: Page; gatewayResponses: Seen[]; failed: string[] }> {
  const page = await browser.newPage()
  const gatewayResponses: Seen[] = []
  const failed: string[] = []
  const path = (url: string) => (url.startsWith(gateway) ? new URL(url).pathname : null)
  page.on('response', (r) => { if (path(r.url())) gatewayResponses.push({ path: path(r.url())!, status: r.status(), headers: r.headers() }) })
  page.on('requestfailed', (r) => { if (path(r.url())) failed.push(path(r.url())!) })
  await page.goto(`${origin}/?gateway=${encodeURIComponent(gateway)}`)
  return { page, gatewayResponses, failed }
}

const resultOf = (page: Page) => page.evaluate(() => (window as unknown as { result: PageResult }).result)

describe('MapLibre on another origin', () => {
  it('loads the live heatmap by its TileJSON URL and reads the clusters with fetch()', async () => {
    const { page, gatewayResponses } = await openPage(allowed.origin)
    try {
      const result = await waitFor(async () => {
        const r = await resultOf(page)
        return r.idle && r.tiles >= 4 && (r.clusters || r.fetchError) && r
      }, 'the map idle with its tiles and the clusters fetched', 60_000)
      expect(result.webgl2).toBe(true)
      expect(result.errors).toEqual([])
      expect(result.fetchError).toBeNull()
      // x-graticule-window and ETag are exposed to the page
      expect(result.clusters).toMatchObject({ status: 200, window: expect.stringMatching(/^\d+$/), etag: expect.stringMatching(/^"/) })
      expect(result.clusters!.features).toBeGreaterThan(0)

      const tileJson = gatewayResponses.find((r) => r.path === '/live/heatmap.json')
      expect(tileJson).toMatchObject({ status: 200, headers: { 'access-control-allow-origin': allowed.origin } })
      const tiles = gatewayResponses.filter((r) => /^\/live\/heatmap\/\d+\/\d+\/\d+\.png$/.test(r.path))
      expect(tiles.length).toBeGreaterThanOrEqual(4)
      for (const t of tiles) {
        expect(t.status, t.path).toBe(200)
        expect(t.headers['access-control-allow-origin'], t.path).toBe(allowed.origin)
        expect(t.headers['content-type'], t.path).toBe('image/png')
        expect(t.headers['cross-origin-resource-policy'], t.path).toBe('cross-origin')
      }
      // the source took the gateway's TileJSON: its tile template, zooms and attribution
      const source = await page.evaluate(() => {
        const s = (window as unknown as { map: { getSource(id: string): { tiles: string[]; minzoom: number; maxzoom: number } } }).map.getSource('heat')
        return { tiles: s.tiles, minzoom: s.minzoom, maxzoom: s.maxzoom, attribution: document.querySelector('.maplibregl-ctrl-attrib-inner')?.textContent ?? '' }
      })
      expect(source).toEqual({ tiles: [`${gateway}/live/heatmap/{z}/{x}/{y}.png`], minzoom: 0, maxzoom: 22, attribution: expect.stringContaining('graticule') })
      // and WebGL drew them: the map is no longer blank (the page is white where no heat is)
      const shot = PNG.sync.read(await page.locator('#map canvas').screenshot())
      let coloured = 0
      for (let i = 0; i < shot.data.length; i += 4) if (shot.data[i] < 200 || shot.data[i + 1] < 200 || shot.data[i + 2] < 200) coloured++
      expect(coloured).toBeGreaterThan(1000)
    } finally {
      await page.close()
    }
  })

  it('an origin not in the list is granted nothing', async () => {
    const { page, gatewayResponses, failed } = await openPage(stranger.origin)
    try {
      const result = await waitFor(async () => {
        const r = await resultOf(page)
        return r.fetchError && r.errors.length > 0 && r
      }, 'the fetch and the TileJSON refused', 30_000)
      expect(result.fetchError).toMatch(/TypeError/)
      expect(result.clusters).toBeNull()
      expect(result.tiles).toBe(0)
      // Chromium withheld both responses: the gateway did not grant this origin
      expect(failed.sort()).toEqual(['/live/clusters', '/live/heatmap.json'])
      expect(gatewayResponses).toEqual([])
    } finally {
      await page.close()
    }
    // what the gateway said to it
    for (const req of [{ method: 'GET' as const, url: '/live/heatmap.json' }, { method: 'OPTIONS' as const, url: '/live/clusters' }]) {
      const r = await gw.app.inject({ ...req, headers: { origin: stranger.origin, 'access-control-request-method': 'GET' } })
      expect(r.statusCode, req.method).toBeLessThan(300)
      expect(r.headers['access-control-allow-origin'], req.method).toBeUndefined()
    }
  })
})
