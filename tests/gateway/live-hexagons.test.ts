// GET /live/hexagons: the newest window's points binned into H3 cells by the sensor-hexagons chain, as
// GeoJSON. Every point of the window is in one cell (the counts add up to the window, cell by cell as
// h3-js puts the window's own points), one result per window and resolution is computed, and a res
// outside h3-bin's manifest is refused with the registry's E_BAD_PARAM, window or not.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { buildGateway, type Gateway } from '../../gateway/app.js'
import { readPoints } from '../../faaslets/codecs/points.js'
import { h3jsCells } from '../helpers/h3-oracle.js'

let gw: Gateway

beforeAll(async () => {
  gw = await buildGateway({
    workers: 1, chainsDir: null,
    ingestion: { windows: { sizeMs: 1_000, allowedLatenessMs: 100 }, idleFlushMs: 1_000, simulator: { sensors: 500, rate: 5_000, seed: 5 } },
  })
  // a full window (5,000 points a second): the first one published can be a partial one of a few points, on
  // which a coarser res need not give fewer cells
  const full = () => (gw.ctx.ingestion!.live.current()?.points.count ?? 0) >= 1_000
  for (let i = 0; i < 150 && !full(); i++) await new Promise((r) => setTimeout(r, 100))
  expect(full()).toBe(true)
})

afterAll(async () => {
  await gw?.close()
})

interface Cells { features: Array<{ geometry: { type: string }; properties: { h3: string; count: number } }> }

const hexagons = (query = '') => gw.app.inject({ url: `/live/hexagons${query}` })

/** The points of window `start` as /live/window.region serves them, or null when the stream moved on. */
async function windowPoints(start: string) {
  const r = await gw.app.inject({ url: '/live/window.region' })
  if (r.headers['x-graticule-window'] !== start) return null
  const bytes = new Uint8Array(r.rawPayload)
  return readPoints(bytes, { ptr: 0, len: bytes.length })
}

describe('GET /live/hexagons', () => {
  it('serves the window as GeoJSON hexagons: every point in the cell h3-js gives it', async () => {
    for (let attempt = 0; ; attempt++) {
      expect(attempt).toBeLessThan(5) // 1 s windows: the comparison needs both answers from one
      const r = await hexagons()
      expect(r.statusCode).toBe(200)
      expect(r.headers['content-type']).toBe('application/geo+json')
      const start = String(r.headers['x-graticule-window'])
      const count = Number(r.headers['x-graticule-count'])
      const cells = r.json() as Cells
      // how many cells depends on how full the window is (the first one, under load, may hold a handful of points)
      expect(cells.features.length).toBeGreaterThan(0)
      expect(cells.features.every((f) => f.geometry.type === 'Polygon')).toBe(true)
      expect(cells.features.reduce((n, f) => n + f.properties.count, 0)).toBe(count)
      const points = await windowPoints(start)
      if (!points) continue
      expect(points.x.length).toBe(count)
      const want = h3jsCells({ lon: points.x, lat: points.y, weight: points.weight }, 5) // the chain's default res
      expect(cells.features.map((f) => [f.properties.h3, f.properties.count])).toEqual(want.map((c) => [c.h3, c.count]))
      break
    }
  })

  it('computes each window and resolution once; a coarser res gives fewer, bigger cells', async () => {
    const invoke = vi.spyOn(gw.ctx.dataplane, 'invoke')
    try {
      for (let attempt = 0; ; attempt++) {
        expect(attempt).toBeLessThan(5)
        invoke.mockClear()
        const [a, b, coarse] = [await hexagons('?res=4'), await hexagons('?res=04'), await hexagons('?res=2')]
        const windows = new Set([a, b, coarse].map((r) => r.headers['x-graticule-window']))
        if (windows.size > 1) continue
        expect(b.rawPayload.equals(a.rawPayload)).toBe(true)
        expect(invoke.mock.calls.filter(([, plan]) => plan.name === 'sensor-hexagons')).toHaveLength(2) // res 4 once, res 2 once
        const fine = (a.json() as Cells).features, wide = (coarse.json() as Cells).features
        expect(wide.length).toBeLessThan(fine.length)
        expect(wide.reduce((n, f) => n + f.properties.count, 0)).toBe(fine.reduce((n, f) => n + f.properties.count, 0))
        break
      }
    } finally {
      invoke.mockRestore()
    }
  })

  it('refuses a res outside h3-bin\'s manifest with E_BAD_PARAM', async () => {
    for (const res of ['16', '-1', '2.5', 'five', '']) {
      const r = await hexagons(`?res=${res}`)
      expect(r.statusCode, `res=${res}`).toBe(400)
      expect(r.json(), `res=${res}`).toMatchObject({ code: 'E_BAD_PARAM', message: expect.stringContaining('"res"') })
    }
  })

  it('is in the API documentation', async () => {
    const docs = (await gw.app.inject({ url: '/docs/json' })).json() as { paths: Record<string, unknown> }
    expect(Object.keys(docs.paths)).toContain('/live/hexagons')
  })
})
