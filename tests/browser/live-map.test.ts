// The live map in Debian's Chromium, on a gateway fed by the simulator (1 s windows): it loads clean and
// cross-origin isolated, draws the world-atlas basemap and the server's heatmap tiles, clusters expand on
// click, sensors show up close in, and a window streamed over SSE changes the panel and the tiles.
// Windows of 2 s: a map on a busy 2-core machine still finishes loading a window's tiles in one.
import { mkdirSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ROOT } from '../../faaslets/catalog.js'
import { openMap, waitFor, type MapSession } from './helpers.js'

let s: MapSession
const wasmResponses: Array<{ url: string; status: number; type: string }> = []

beforeAll(async () => {
  s = await openMap({ windowMs: 2_000 })
  s.page.on('response', (r) => {
    if (r.url().includes('/wasm/')) wasmResponses.push({ url: new URL(r.url()).pathname, status: r.status(), type: r.headers()['content-type'] ?? '' })
  })
  await s.page.goto(`${s.url}/`)
  await s.page.evaluate(() => window.graticule.ready)
})

afterAll(async () => {
  await s?.close()
})

/** Heatmap tiles the page shows (img elements of the server layer), with their window from the URL. */
const heatTiles = () => s.page.evaluate(() => Array.from(document.querySelectorAll<HTMLImageElement>('.heat-server img.leaflet-tile'))
  .map((img) => ({ src: img.src, loaded: img.complete && img.naturalWidth > 0, window: new URL(img.src).searchParams.get('w') })))

const clusterCounts = () => s.page.evaluate(() => Array.from(document.querySelectorAll('.cluster span')).map((e) => e.textContent ?? ''))

describe('the live map', () => {
  it('is cross-origin isolated and loads the server\'s .wasm files into module workers', async () => {
    expect(await s.page.evaluate(() => crossOriginIsolated)).toBe(true)
    expect(await s.page.locator('#rt-isolated').textContent()).toBe('yes')
    const faaslets = (await (await fetch(`${s.url}/faaslets`)).json()) as Array<{ name: string }>
    expect(Number(await s.page.locator('#rt-workers').textContent())).toBeGreaterThanOrEqual(1)
    expect(Number(await s.page.locator('#rt-modules').textContent())).toBe(faaslets.length)
    expect(s.page.workers().length).toBeGreaterThanOrEqual(1)
    const heat = wasmResponses.find((r) => r.url === '/wasm/heatmap.wasm')
    expect(heat).toMatchObject({ status: 200, type: 'application/wasm' })
    expect(new Set(wasmResponses.map((r) => r.url))).toEqual(new Set(faaslets.map((f) => `/wasm/${f.name}.wasm`)))
  })

  it('draws the countries from world-atlas and server heatmap tiles with coloured pixels', async () => {
    // the basemap canvas has land on it
    const land = await s.page.evaluate(() => {
      const c = document.querySelector<HTMLCanvasElement>('.leaflet-basemap-pane canvas')!
      const d = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data
      let n = 0
      for (let i = 3; i < d.length; i += 4) if (d[i] > 0) n++
      return n / (d.length / 4)
    })
    expect(land).toBeGreaterThan(0.1)

    // every tile shown is of the newest window the page heard of (windows close every second here)
    const tiles = await waitFor(async () => {
      const shown = await s.page.evaluate(() => window.graticule.app.window)
      const t = (await heatTiles()).filter((x) => x.window === String(shown) && x.loaded)
      return t.length >= 4 && t
    }, 'heatmap tiles of the window')
    for (const t of tiles) expect(new URL(t.src).pathname).toMatch(/^\/live\/heatmap\/2\/\d\/\d\.png$/)
    // read the rendered tiles back through a canvas: some pixels are coloured (viridis, alpha 255)
    const painted = await waitFor(() => s.page.evaluate(() => {
      let n = 0
      document.querySelectorAll<HTMLImageElement>('.heat-server img.leaflet-tile').forEach((img) => {
        if (!img.complete || !img.naturalWidth) return
        const c = document.createElement('canvas')
        c.width = img.naturalWidth
        c.height = img.naturalHeight
        const g = c.getContext('2d')!
        g.drawImage(img, 0, 0)
        const d = g.getImageData(0, 0, c.width, c.height).data
        for (let i = 3; i < d.length; i += 4) if (d[i] === 255) n++
      })
      return n > 1000 && n
    }), 'coloured heatmap pixels')
    expect(painted).toBeGreaterThan(1000)
  })

  it('shows clusters with their counts, which expand on click', async () => {
    const counts = await waitFor(async () => { const c = await clusterCounts(); return c.length > 3 && c }, 'cluster markers')
    expect(counts.every((t) => /^\d+(\.\d)?k?$/.test(t))).toBe(true)
    // the biggest cluster: click it, the map zooms to where it splits and loads that zoom's clusters
    const before = await s.page.evaluate(() => window.graticule.map.getZoom())
    // markers are redrawn every window: find the biggest one that is on top at its centre, click there
    const target = await s.page.evaluate(() => {
      const bubbles = Array.from(document.querySelectorAll<HTMLElement>('.cluster span'))
        .map((el) => ({ el, id: el.dataset.clusterId!, count: Number(el.dataset.count), box: el.parentElement!.getBoundingClientRect() }))
        .sort((a, b) => b.count - a.count)
      for (const { el, id, count, box } of bubbles) {
        const x = box.left + box.width / 2, y = box.top + box.height / 2
        if (el.parentElement!.contains(document.elementFromPoint(x, y))) return { id, count, x, y }
      }
      return null
    })
    expect(target).not.toBeNull()
    expect(target!.count).toBeGreaterThan(10)
    const reloaded = s.page.waitForResponse((r) => r.url().includes('/live/clusters?') && !r.url().includes(`zoom=${before}&`))
    await s.page.mouse.click(target!.x, target!.y)
    const res = await reloaded
    const after = await s.page.evaluate(() => window.graticule.map.getZoom())
    expect(after).toBeGreaterThan(before)
    expect(new URL(res.url()).searchParams.get('zoom')).toBe(String(after))
    // it fell apart there: supercluster keeps a cluster's id on every zoom below the one it splits at, so
    // had the map zoomed too little, the same cluster would still be drawn
    await waitFor(() => s.page.evaluate((z) => window.graticule.app.clusters.renderedZoom === z, after), 'clusters drawn for the new zoom')
    const shown = await s.page.evaluate(() => Array.from(document.querySelectorAll<HTMLElement>('.cluster span')).map((e) => e.dataset.clusterId))
    expect(shown.length + (await s.page.locator('.leaflet-overlay-pane path.leaflet-interactive').count())).toBeGreaterThan(1)
    expect(shown).not.toContain(target!.id)
  })

  it('draws the sensors themselves at close zoom', async () => {
    // a sensor of the window, straight from the live points
    const fc = (await (await fetch(`${s.url}/live/points?bbox=-180,-85,180,85&limit=1`)).json()) as { features: Array<{ geometry: { coordinates: [number, number] } }> }
    const [lon, lat] = fc.features[0].geometry.coordinates
    const loaded = s.page.waitForResponse((r) => r.url().includes('/live/points?'))
    await s.page.evaluate(([lat, lon]) => { window.graticule.map.setView([lat, lon], 11, { animate: false }) }, [lat, lon])
    await loaded
    await waitFor(async () => (await clusterCounts()).length === 0, 'clusters to give way to the sensors')
    const markers = await waitFor(() => s.page.evaluate(() => document.querySelectorAll('.leaflet-overlay-pane path.leaflet-interactive').length), 'sensor markers')
    expect(markers).toBeGreaterThan(0)
  })

  it('a window streamed over SSE updates the panel and the heatmap tile URLs', async () => {
    await s.page.evaluate(() => { window.graticule.map.setView([30, 10], 2, { animate: false }) })
    // the counter and the window start, read at one instant (an event may land between two reads)
    const now = () => s.page.evaluate(() => ({ windows: Number(document.getElementById('stat-windows')!.textContent), start: window.graticule.app.window! }))
    const before = await now()
    const tilesBefore = new Set((await heatTiles()).map((t) => t.window))
    const after = await waitFor(async () => {
      const n = await now()
      return n.windows > before.windows && n.start > before.start && n
    }, 'a new window on the panel')
    expect(after.start).toBeGreaterThan(before.start)
    const windowBefore = before.start
    expect(await s.page.locator('#stat-rate').textContent()).toMatch(/^[\d,]+$/)
    const fresh = await waitFor(async () => {
      const t = (await heatTiles()).filter((x) => x.loaded && !tilesBefore.has(x.window))
      return t.length > 0 && t
    }, 'tiles of the new window')
    expect(Number(fresh[0].window)).toBeGreaterThan(windowBefore)
    expect(s.page.url()).toBe(`${s.url}/`) // no reload
  })

  it('takes a screenshot of the map (UPDATE_SCREENSHOT=1 writes docs/map.png)', async () => {
    await s.page.evaluate(() => { window.graticule.map.setView([35, 15], 2, { animate: false }) })
    await waitFor(async () => (await heatTiles()).filter((t) => t.loaded).length >= 4 && (await clusterCounts()).length > 3, 'a settled map')
    const dir = process.env.UPDATE_SCREENSHOT ? join(ROOT, 'docs') : tmpdir() // a test run leaves the tree clean
    mkdirSync(dir, { recursive: true })
    const png = await s.page.screenshot({ path: join(dir, process.env.UPDATE_SCREENSHOT ? 'map.png' : 'graticule-map.png') })
    expect(png.length).toBeGreaterThan(50_000)
  })

  it('logged no console errors and threw nothing', () => {
    expect(s.errors).toEqual([])
  })
})
