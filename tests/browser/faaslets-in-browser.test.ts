// The same faaslets in the browser: the page runs the server's .wasm in module workers over a shared
// arena, and must produce the server's bytes. Live tiles are compared with /live/heatmap's PNG (decoded by
// pngjs) and with the density grid the gateway returns for the same window's region; live H3 hexagons
// (h3-bin, C) with /live/hexagons' GeoJSON; dropped files with what the gateway's /chains/<name>/invoke
// returns for the same file. Timings of the same tile on both sides are printed (medians).
import { PNG } from 'pngjs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ScratchMemory } from '../../faaslets/abi/region.js'
import { pointArrays, writePoints } from '../../faaslets/codecs/points.js'
import { cityTile, sampleCities } from '../helpers/tiles.js'
import { fromBase64, median, openMap, sleep, waitFor, type MapSession } from './helpers.js'

let s: MapSession

beforeAll(async () => {
  s = await openMap({ windowMs: 4_000 })
  await s.page.goto(`${s.url}/`)
  await s.page.evaluate(() => window.graticule.ready)
  await waitFor(() => s.page.evaluate(() => window.graticule.app.window !== null), 'a first window on the page')
})

afterAll(async () => {
  await s?.close()
})

interface BrowserTile { window: number; width: number; height: number; rgba: Uint8Array; grid: Uint8Array; computeMs: number; totalMs: number }

async function browserTile(z: number, x: number, y: number, radius = 16, scale = 0): Promise<BrowserTile> {
  const t = await s.page.evaluate(async ([z, x, y, radius, scale]) => {
    const g = window.graticule
    const r = await g.computeTile(z, x, y, { radius, scale })
    return r && { window: r.window!, width: r.width, height: r.height, rgba: g.base64(r.rgba), grid: g.base64(r.grid), computeMs: r.computeMs, totalMs: r.totalMs }
  }, [z, x, y, radius, scale])
  if (!t) throw new Error('the page holds no window')
  return { ...t, rgba: fromBase64(t.rgba), grid: fromBase64(t.grid) }
}

async function serverPng(path: string, init?: RequestInit): Promise<{ png: PNG; window: string | null; res: Response }> {
  const res = await fetch(`${s.url}${path}`, init)
  expect(res.status).toBe(200)
  expect(res.headers.get('content-type')).toBe('image/png')
  return { png: PNG.sync.read(Buffer.from(await res.arrayBuffer())), window: res.headers.get('x-graticule-window'), res }
}

async function windowRegion(): Promise<{ bytes: Uint8Array; window: string | null }> {
  const res = await fetch(`${s.url}/live/window.region`)
  expect(res.headers.get('content-type')).toBe('application/vnd.graticule.region')
  return { bytes: new Uint8Array(await res.arrayBuffer()), window: res.headers.get('x-graticule-window') }
}

let lastRegion: { bytes: Uint8Array; window: string | null } | null = null

/** The points region of window `start`, or null when the gateway has moved on from it. */
async function regionOf(start: number): Promise<Uint8Array | null> {
  if (lastRegion?.window !== String(start)) lastRegion = await windowRegion()
  return lastRegion.window === String(start) ? lastRegion.bytes : null
}

const differingBytes = (a: Uint8Array, b: Uint8Array) => {
  if (a.length !== b.length) return Math.max(a.length, b.length)
  let n = 0
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) n++
  return n
}

const colouredPixels = (rgba: Uint8Array) => {
  let n = 0
  for (let i = 3; i < rgba.length; i += 4) if (rgba[i] === 255) n++
  return n
}

/** Drops a file on the map the way a user's drag and drop does (a DataTransfer with a File). */
async function dropFile(name: string, bytes: Uint8Array, type: string): Promise<void> {
  const transfer = await s.page.evaluateHandle(([b64, name, type]) => {
    const bin = atob(b64)
    const data = new Uint8Array(bin.length)
    for (let i = 0; i < bin.length; i++) data[i] = bin.charCodeAt(i)
    const dt = new DataTransfer()
    dt.items.add(new File([data], name, { type }))
    return dt
  }, [Buffer.from(bytes).toString('base64'), name, type])
  await s.page.dispatchEvent('#map', 'drop', { dataTransfer: transfer })
}

/**
 * Medians of 7 warm runs of tile z/x/y of the same points: in the page (hook `inPage`) — the
 * faaslet time in the worker and the whole tile on the page — and on the gateway (points-heatmap on the
 * region body) — the faaslet, the chain, and the HTTP round trip with the PNG. With `samePoints` (a file,
 * not the moving live window) the pixels must agree on every run too.
 */
async function timeTile(what: string, region: Uint8Array, z: number, x: number, y: number, inPage: 'computeTile' | 'fileTile', samePoints: boolean) {
  const run = () => s.page.evaluate(async ([fn, z, x, y]) => {
    const t = await window.graticule[fn](z, x, y)
    return t && { computeMs: t.computeMs, totalMs: t.totalMs, rgba: window.graticule.base64(t.rgba) }
  }, [inPage, z, x, y] as const)
  const post = () => serverPng(`/chains/points-heatmap/invoke?z=${z}&x=${x}&y=${y}`, {
    method: 'POST', headers: { 'content-type': 'application/vnd.graticule.region' }, body: Buffer.from(region),
  })
  for (let i = 0; i < 2; i++) { await run(); await post() } // warm: instances in both workers, both sides
  const b = { compute: [] as number[], total: [] as number[] }
  const srv = { compute: [] as number[], chain: [] as number[], http: [] as number[] }
  let same = true
  for (let i = 0; i < 7; i++) {
    const t = (await run())!
    b.compute.push(t.computeMs)
    b.total.push(t.totalMs)
    const t0 = performance.now()
    const { res, png } = await post()
    srv.http.push(performance.now() - t0)
    srv.compute.push(Number(res.headers.get('x-graticule-compute-ms')))
    srv.chain.push(Number(res.headers.get('x-graticule-chain-ms')))
    if (samePoints) same &&= differingBytes(fromBase64(t.rgba), new Uint8Array(png.data)) === 0
  }
  expect(same).toBe(true)
  const m = (xs: number[]) => Number(median(xs).toFixed(2))
  return {
    points: what, count: new DataView(region.buffer, region.byteOffset).getUint32(8, true), tile: `${z}/${x}/${y}`,
    browserFaasletMs: m(b.compute), browserTileMs: m(b.total),
    serverFaasletMs: m(srv.compute), serverChainMs: m(srv.chain), serverHttpPngMs: m(srv.http),
  }
}

// the world, Europe and Africa at z=2, around Paris at z=4
const TILES: Array<[number, number, number]> = [[0, 0, 0], [2, 2, 1], [4, 8, 5]]

describe('faaslets in the browser', () => {
  it('compute the live heatmap tiles byte for byte as the server does: pixels and densities', async () => {
    let coloured = 0
    for (const [z, x, y] of TILES) {
      for (const [radius, scale] of [[16, 0], [24, 40]]) {
        // the stream goes on (4 s windows): compare when the page and the gateway are on the same window
        for (let attempt = 0; ; attempt++) {
          expect(attempt).toBeLessThan(8)
          const b = await browserTile(z, x, y, radius, scale)
          expect([b.width, b.height]).toEqual([256, 256])
          // pixels: the server's live tile, decoded
          const server = await serverPng(`/live/heatmap/${z}/${x}/${y}.png?radius=${radius}&scale=${scale}`)
          const region = await regionOf(b.window)
          if (server.window !== String(b.window) || !region) continue
          expect(differingBytes(b.rgba, new Uint8Array(server.png.data))).toBe(0)
          // densities: the gateway's points-heatmap chain on the same window's region, grid output
          const q = `z=${z}&x=${x}&y=${y}&radius=${radius}&scale=${scale}&output=density`
          const res = await fetch(`${s.url}/chains/points-heatmap/invoke?${q}`, {
            method: 'POST', headers: { 'content-type': 'application/vnd.graticule.region' }, body: Buffer.from(region),
          })
          expect(res.status).toBe(200)
          const grid = (await res.json()) as { width: number; height: number; values: number[] }
          expect([grid.width, grid.height]).toEqual([256, 256])
          expect(differingBytes(b.grid, new Uint8Array(Float32Array.from(grid.values).buffer))).toBe(0)
          coloured += colouredPixels(b.rgba)
          break
        }
      }
    }
    expect(coloured).toBeGreaterThan(30_000) // not a comparison of empty tiles
  })

  it('compute the live H3 hexagons byte for byte as /live/hexagons does', async () => {
    for (const res of [2, 5]) {
      for (let attempt = 0; ; attempt++) {
        expect(attempt).toBeLessThan(8)
        const b = await s.page.evaluate((res) => window.graticule.computeHexagons(res), res)
        if (!b) throw new Error('the page holds no window')
        const res_ = await fetch(`${s.url}/live/hexagons?res=${res}`)
        expect(res_.status).toBe(200)
        expect(res_.headers.get('content-type')).toBe('application/geo+json')
        const server = new Uint8Array(await res_.arrayBuffer())
        if (res_.headers.get('x-graticule-window') !== String(b.window)) continue
        expect(differingBytes(new TextEncoder().encode(b.geojson), server)).toBe(0)
        const cells = JSON.parse(b.geojson) as { features: Array<{ properties: { count: number } }> }
        // every point of the window in one cell (how many cells depends on how full the window is)
        expect(cells.features.length).toBeGreaterThan(0)
        expect(cells.features.reduce((n, f) => n + f.properties.count, 0)).toBe(Number(res_.headers.get('x-graticule-count')))
        break
      }
    }
  })

  it('the hexagon toggle draws the window\'s hexagons from the gateway, then from this browser', async () => {
    const asked: string[] = []
    const record = (r: { url(): string }) => asked.push(new URL(r.url()).pathname)
    s.page.on('request', record)
    const shown = () => s.page.evaluate(() => window.graticule.app.hexagons.shown)
    const painted = () => s.page.evaluate(() => {
      const c = document.querySelector<HTMLCanvasElement>('.leaflet-hexagons-pane canvas')
      if (!c) return 0
      const d = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data
      let n = 0
      for (let i = 3; i < d.length; i += 4) if (d[i] > 0) n++
      return n
    })
    try {
      await s.page.evaluate(() => { window.graticule.map.setView([30, 10], 2, { animate: false }) })
      expect(await s.page.evaluate(() => window.graticule.app.currentMode)).toBe('live-server')
      await s.page.check('#layer-hexagons')
      const fromServer = await waitFor(shown, 'hexagons from /live/hexagons')
      expect(fromServer.res).toBe(2) // zoom 2
      expect(asked).toContain('/live/hexagons')
      await waitFor(async () => (await painted()) > 1000, 'hexagons on the canvas')
      expect(await s.page.locator('#hex-status').textContent()).toMatch(/^res 2 · [\d,]+ cells/)
      // drawn as hexagons, also where H3 gives a ring across the antimeridian: none spans half the world
      const widest = await s.page.evaluate(() => Math.max(...window.graticule.app.hexagons.layer.getLayers().map((l) => l.getBounds().getEast() - l.getBounds().getWest())))
      expect(widest).toBeLessThan(90)

      await s.page.uncheck('#layer-hexagons')
      await waitFor(async () => !(await shown()) && (await painted()) === 0, 'the hexagons gone')
      await s.page.selectOption('#mode', 'live-browser')
      asked.length = 0
      await s.page.check('#layer-hexagons')
      expect(await waitFor(shown, 'hexagons made by the workers')).toMatchObject({ res: 2 })
      // Leaflet paints the new layer on its next animation frame, after `shown` is set
      await waitFor(async () => (await painted()) > 1000, 'the workers\' hexagons on the canvas')
      expect(asked.filter((p) => p === '/live/hexagons')).toEqual([])
    } finally {
      s.page.off('request', record)
      await s.page.uncheck('#layer-hexagons')
      await s.page.selectOption('#mode', 'live-server')
    }
  })

  it('the mode switch draws the live heatmap and clusters in this browser, and redraws them per window', async () => {
    await s.page.selectOption('#mode', 'live-browser')
    await waitFor(() => s.page.evaluate(() => window.graticule.app.currentMode === 'live-browser' && document.getElementById('chain-yaml')!.dataset.chain === 'points-heatmap'), 'the switch')
    const asked: string[] = [] // from here on: what the page asks the gateway for
    const record = (r: { url(): string }) => asked.push(new URL(r.url()).pathname)
    s.page.on('request', record)
    expect(await s.page.locator('#chain-note').textContent()).toContain('Web Workers')
    const painted = () => s.page.evaluate(() => {
      let n = 0
      document.querySelectorAll<HTMLCanvasElement>('.heat-browser canvas').forEach((c) => {
        const d = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data
        for (let i = 3; i < d.length; i += 4) if (d[i] === 255) n++
      })
      return n
    })
    await waitFor(async () => (await painted()) > 1000, 'heatmap tiles drawn by the workers')
    await waitFor(() => s.page.evaluate(() => document.querySelectorAll('.cluster').length > 3), 'clusters made by the workers')
    expect(await s.page.locator('#rt-tile').textContent()).toMatch(/^\d+\/\d+\/\d+ · /)
    // a new window: its points come over once as a region, then the tiles are drawn again from it
    const [shown, swaps] = await s.page.evaluate(() => [window.graticule.app.window!, window.graticule.app.heat.swaps])
    await waitFor(() => s.page.evaluate(([w, n]) => window.graticule.app.window! > w && window.graticule.app.heat.swaps > n, [shown, swaps]), 'the next window drawn', 30_000)
    expect(await painted()).toBeGreaterThan(1000)
    expect(asked).toContain('/live/window.region')
    expect(asked.filter((p) => p.startsWith('/live/heatmap/') || p === '/live/clusters')).toEqual([]) // no server tiles or clusters
    s.page.off('request', record)
    await s.page.selectOption('#mode', 'live-server')
  })

  it('times the same tile in the browser and on the server (medians of 7)', async () => {
    const [z, x, y] = [3, 4, 2]
    // a live window (the page may be on the next one: similar size), and 100k real cities dropped as a
    // points region (the very bytes the server gets)
    const live = await windowRegion()
    const cities = sampleCities(100_000, 5)
    const p = pointArrays(cities.length)
    cities.forEach((c, i) => { p.x[i] = c.loc.coordinates[0]; p.y[i] = c.loc.coordinates[1]; p.id[i] = i })
    const mem = new ScratchMemory()
    const d = writePoints(mem, p)
    const big = mem.bytes().slice(d.ptr, d.ptr + d.len)
    const rows = [await timeTile('live window', live.bytes, z, x, y, 'computeTile', false)]
    await dropFile('cities-100k.region', big, 'application/vnd.graticule.region')
    await waitFor(() => s.page.evaluate(() => window.graticule.app.currentMode === 'file-points'), 'the region to load')
    rows.push(await timeTile('100k cities', big, z, x, y, 'fileTile', true))
    for (const row of rows) {
      console.log(`browser vs server, same tile (median of 7): ${JSON.stringify(row)}`)
      for (const v of Object.values(row).filter((v) => typeof v === 'number')) expect(v).toBeGreaterThan(0)
      expect(row.browserTileMs).toBeGreaterThanOrEqual(row.browserFaasletMs)
      expect(row.serverChainMs).toBeGreaterThanOrEqual(row.serverFaasletMs)
    }
  })

  it('runs tile-heatmap on a dropped vector tile: the pixels and clusters of the gateway\'s chain', async () => {
    const tile = cityTile(sampleCities(20_000, 3), 2, 2, 1)
    await dropFile('2-2-1.mvt', tile, 'application/vnd.mapbox-vector-tile')
    await waitFor(() => s.page.evaluate(() => window.graticule.app.currentMode === 'file-tile'), 'the tile to run')
    const got = await s.page.evaluate(() => {
      const f = window.graticule.app.file as { image: { rgba: Uint8Array; width: number }; clusters: unknown; tile: unknown }
      return { rgba: window.graticule.base64(f.image.rgba), width: f.image.width, clusters: f.clusters, tile: f.tile }
    })
    expect(got.tile).toEqual({ z: 2, x: 2, y: 1 })
    const post = (output: string) => fetch(`${s.url}/chains/tile-heatmap/invoke?z=2&x=2&y=1&output=${output}`, {
      method: 'POST', headers: { 'content-type': 'application/vnd.mapbox-vector-tile' }, body: Buffer.from(tile),
    })
    const png = PNG.sync.read(Buffer.from(await (await post('heatmap')).arrayBuffer()))
    const rgba = fromBase64(got.rgba)
    expect(differingBytes(rgba, new Uint8Array(png.data))).toBe(0)
    expect(colouredPixels(rgba)).toBeGreaterThan(1000)
    // clusters: the same features, ids and counts; coordinates to the last bits only, because the GeoJSON
    // codec's inverse mercator (Math.atan, Math.exp in JS, not wasm) runs on two V8 versions here
    type FC = { features: Array<{ id: number; properties: object; geometry: { coordinates: [number, number] } }> }
    const mine = got.clusters as FC
    const theirs = (await (await post('clusters')).json()) as FC
    expect(mine.features.length).toBe(theirs.features.length)
    expect(mine.features.length).toBeGreaterThan(10)
    mine.features.forEach((f, i) => {
      const g = theirs.features[i]
      expect([f.id, f.properties]).toEqual([g.id, g.properties])
      expect(Math.abs(f.geometry.coordinates[0] - g.geometry.coordinates[0])).toBeLessThan(1e-12)
      expect(Math.abs(f.geometry.coordinates[1] - g.geometry.coordinates[1])).toBeLessThan(1e-12)
    })
    // on the map: the tile as an image overlay, the chain's YAML in the panel
    expect(await s.page.locator('img.leaflet-image-layer').count()).toBe(1)
    expect(await s.page.locator('#chain-yaml').getAttribute('data-chain')).toBe('tile-heatmap')
    expect(await s.page.locator('#chain-yaml').textContent()).toContain('uses: mvt-decode')
    expect(await s.page.locator('#file-status').textContent()).toContain('2-2-1.mvt')
  })

  it('runs points-heatmap and points-clusters on dropped CSV points, equal to the gateway\'s', async () => {
    const cities = sampleCities(5_000, 4)
    const csv = `lon,lat,weight\n${cities.map((c) => `${c.loc.coordinates[0]},${c.loc.coordinates[1]},${1 + (c.population % 7)}`).join('\n')}\n`
    await dropFile('cities.csv', new TextEncoder().encode(csv), 'text/csv')
    await waitFor(() => s.page.evaluate(() => window.graticule.app.currentMode === 'file-points'), 'the points to load')
    for (const [z, x, y] of [[1, 1, 0], [3, 4, 2]]) {
      const b = await s.page.evaluate(async ([z, x, y]) => {
        const t = await window.graticule.fileTile(z, x, y)
        return window.graticule.base64(t.rgba)
      }, [z, x, y])
      const res = await fetch(`${s.url}/chains/points-heatmap/invoke?z=${z}&x=${x}&y=${y}`, { method: 'POST', headers: { 'content-type': 'text/csv' }, body: csv })
      const png = PNG.sync.read(Buffer.from(await res.arrayBuffer()))
      expect(differingBytes(fromBase64(b), new Uint8Array(png.data))).toBe(0)
    }
    // the map draws them: heat canvases from the workers and the browser's clusters, covering every point
    const painted = await waitFor(() => s.page.evaluate(() => {
      let n = 0
      document.querySelectorAll<HTMLCanvasElement>('.heat-browser canvas').forEach((c) => {
        const d = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data
        for (let i = 3; i < d.length; i += 4) if (d[i] > 0) n++
      })
      return n
    }), 'browser heatmap tiles')
    expect(painted).toBeGreaterThan(1000)
    await waitFor(() => s.page.evaluate(() => document.querySelectorAll('.cluster').length > 0), 'browser clusters')
  })

  it('logged no console errors and threw nothing', async () => {
    await sleep(200)
    expect(s.errors).toEqual([])
  })
})
