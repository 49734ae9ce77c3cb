// chains/states-census.yaml: a faaslet written in C (pip-aggregate) chained with AssemblyScript ones
// (cluster, reproject) on one tenant arena. In shared mode no byte moves between the stages — the C stage
// and cluster read the input region in place, reproject reads the C stage's output in place — and every
// output equals its oracle: turf's booleanPointInPolygon for the counts and sums, proj4 for the Web
// Mercator polygons, supercluster for the clusters. The copy baseline gives the same outputs, moving bytes.
import { readFileSync } from 'node:fs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Dataplane, type InvokeResult, type Mode } from '../../dataplane/dataplane.js'
import { bindChain } from '../../chains/bind.js'
import type { Chain } from '../../chains/chain.js'
import { loadChain } from '../../chains/load.js'
import { runChain } from '../../chains/run.js'
import { readClusters, clustersToGeoJSON } from '../../faaslets/codecs/clusters.js'
import { readFeatures, writeFeatures, type FeatureCollection, type Position } from '../../faaslets/codecs/features.js'
import { clusterMismatches, superclusters, toMercator, type ClusterFeature } from '../helpers/oracle.js'
import { cityPoints, concatPoints, mixedCollection, pipOracle, usStates, zipcodes } from '../helpers/pip-oracle.js'

const states = usStates()
const points = concatPoints(cityPoints('US'), zipcodes())
const collection = mixedCollection(states, points) // point features have ids 1,000,000 + i
const ZOOM = 4

let dp: Dataplane
let chain: Chain

beforeAll(async () => {
  dp = await Dataplane.start({ workers: 2, limits: { timeLimitMs: 60_000 } })
  const loaded = loadChain(readFileSync('chains/states-census.yaml', 'utf8'), 'chains/states-census.yaml', dp.catalog)
  expect(loaded.diagnostics).toEqual([])
  chain = loaded.chain!
})

afterAll(async () => {
  await dp?.close()
})

interface Outputs { census: FeatureCollection; mercator: FeatureCollection; clusters: ClusterFeature[] }

async function invoke(mode: Mode, boundary: string): Promise<{ res: InvokeResult; out: Outputs }> {
  const plan = bindChain(chain, { boundary, zoom: ZOOM }, dp.catalog)
  const res = await dp.invoke('census', plan, (mem) => [writeFeatures(mem, collection)], { mode })
  const bytes = res.bytes()
  const out = {
    census: readFeatures(bytes, res.outputs[0]),
    mercator: readFeatures(bytes, res.outputs[1]),
    clusters: clustersToGeoJSON(readClusters(bytes, res.outputs[2])).features as ClusterFeature[],
  }
  return { res, out }
}

const oracles = new Map<boolean, ReturnType<typeof pipOracle>>()
const turf = (ignoreBoundary: boolean) => oracles.get(ignoreBoundary) ?? oracles.set(ignoreBoundary, pipOracle(states, points, ignoreBoundary)).get(ignoreBoundary)!

function censusMismatches(census: FeatureCollection, ignoreBoundary: boolean): string[] {
  const want = turf(ignoreBoundary)
  const bad: string[] = []
  if (census.features.length !== states.length) bad.push(`${census.features.length} polygons, expected ${states.length}`)
  census.features.forEach((f, i) => {
    if (f.properties.name !== states[i].properties.name || f.id !== states[i].id) bad.push(`#${i} is ${f.properties.name}, expected ${states[i].properties.name}`)
    if (f.properties.count !== want.count[i] || !Object.is(f.properties.sum, want.sum[i])) {
      bad.push(`${f.properties.name}: ${f.properties.count} / ${f.properties.sum}, turf ${want.count[i]} / ${want.sum[i]}`)
    }
  })
  return bad
}

/** The census polygons moved to EPSG:3857 by proj4: same features, properties, rings; metres within 1e-6. */
function mercatorMismatches(mercator: FeatureCollection, census: FeatureCollection): string[] {
  const bad: string[] = []
  const rings = (g: FeatureCollection['features'][number]['geometry']): Position[][] =>
    g.type === 'Polygon' ? g.coordinates : g.type === 'MultiPolygon' ? g.coordinates.flat() : []
  census.features.forEach((f, i) => {
    const m = mercator.features[i]
    expect(m.properties).toEqual(f.properties)
    expect(m.geometry.type).toBe(f.geometry.type)
    const a = rings(f.geometry), b = rings(m.geometry)
    a.forEach((ring, r) => ring.forEach(([lon, lat], k) => {
      const [x, y] = toMercator(lon, lat)
      const [mx, my] = b[r][k]
      if (!(Math.abs(mx - x) <= 1e-6 && Math.abs(my - y) <= 1e-6) && bad.length < 5) bad.push(`${f.properties.name} ring ${r} #${k}: ${mx},${my}, proj4 ${x},${y}`)
    }))
  })
  return bad
}

const weightedPoints = {
  lon: points.x, lat: points.y, weight: points.weight, id: Float64Array.from(points.x, (_, i) => 1_000_000 + i),
}
let clustered: ClusterFeature[] | null = null
const clustersOracle = () => (clustered ??= superclusters(weightedPoints, ZOOM, {}, undefined, true))

describe('states-census: C and AssemblyScript faaslets in one chain', () => {
  const sharedOutputs = new Map<string, Outputs>()
  for (const [boundary, ignoreBoundary] of [['inside', false], ['outside', true]] as const) {
    it(`shared mode (boundary=${boundary}): zero bytes between stages, every output equals its oracle`, async () => {
      const { res, out } = await invoke('shared', boundary)
      sharedOutputs.set(boundary, out)
      try {
        expect(res.copied.betweenStages).toBe(0)
        // each step read the very region its producer wrote: the input (census, clusters), census (mercator)
        const [census, mercator, clusters] = [...res.timings].sort((a, b) => a.step - b.step)
        const input = census.inputs[0]
        expect(clusters.inputs[0]).toEqual(input)
        expect(mercator.inputs[0]).toEqual(census.outputs[0])
        expect(res.outputs[0]).toEqual(census.outputs[0])

        expect(censusMismatches(out.census, ignoreBoundary)).toEqual([])
        expect(mercatorMismatches(out.mercator, out.census)).toEqual([])
        expect(clusterMismatches(out.clusters, clustersOracle(), 1e-9, true)).toEqual([])
      } finally {
        res.release()
      }
      expect(dp.tenant('census').arena.bytesInUse).toBe(0)
    })
  }

  it('the copy baseline gives the same outputs, and copies bytes between the stages', async () => {
    const copy = await invoke('copy', 'inside')
    copy.res.release()
    expect(sharedOutputs.get('inside')).toBeDefined()
    expect(copy.out).toEqual(sharedOutputs.get('inside'))
    expect(copy.res.copied.betweenStages).toBeGreaterThan(0)
  })

  it('runs as a chain from a GeoJSON body, as the CLI and HTTP run it', async () => {
    const body = new TextEncoder().encode(JSON.stringify(collection))
    const r = await runChain(dp, chain, { zoom: ZOOM }, { body, format: 'geojson' })
    expect(r.outputs.map((o) => [o.name, o.contentType])).toEqual([
      ['census', 'application/geo+json'], ['mercator', 'application/geo+json'], ['clusters', 'application/geo+json'],
    ])
    const census = JSON.parse(new TextDecoder().decode(r.outputs[0].body)) as FeatureCollection
    expect(censusMismatches(census, false)).toEqual([])
    expect(r.invocation.copied.betweenStages).toBe(0)
  })
})
