// The CLI around chains and faaslets, run from source as a user runs it: `graticule chains` lists the
// shipped chains with their inputs, `graticule faaslets` the faaslets with their parameters, and
// `graticule exec` round-trips each seed faaslet on generated real data against an oracle nobody here
// wrote (vector-tile, proj4, supercluster, the brute-force KDE of tests/helpers/oracle.ts). Bad files and
// parameters get one line on stderr with the error code, and a non-zero exit.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parse } from 'yaml'
import * as h3 from 'h3-js'
import { lines, REPO_ROOT, runCli, type CliResult } from '../helpers/cli.js'
import { cityTile, sampleCities } from '../helpers/tiles.js'
import {
  clusterMismatches, decodeTile, gridMismatches, imageMismatches, kde, superclusters, toMercator,
  type ClusterFeature, type LonLatPoints, type OracleFeature,
} from '../helpers/oracle.js'

const dir = mkdtempSync(join(tmpdir(), 'graticule-cli-'))
const at = (name: string) => join(dir, name)
afterAll(() => rmSync(dir, { recursive: true, force: true }))

// ─── sample data, shipped-like: a real tile and real points ──────────────────────────────────────────

const TILE = { z: 4, x: 8, y: 5 } // 0–22.5°E, 41–56°N
const TILE_FILE = at(`${TILE.z}-${TILE.x}-${TILE.y}.mvt`)
const CITIES = sampleCities(5000, 21)
const POINTS: LonLatPoints = {
  lon: Float64Array.from(CITIES, (c) => c.loc.coordinates[0]),
  lat: Float64Array.from(CITIES, (c) => c.loc.coordinates[1]),
  id: Float64Array.from(CITIES, (_, i) => 1000 + i),
  weight: Float64Array.from(CITIES, (c) => Math.round(c.population / 100) / 10),
}
const CSV = at('cities.csv')
const SQUARE = { type: 'Feature', id: 7, properties: { name: 'a square with a hole' }, geometry: { type: 'Polygon', coordinates: [[[10, 50], [11, 50], [11, 51], [10, 51], [10, 50]], [[10.4, 50.4], [10.6, 50.4], [10.6, 50.6], [10.4, 50.6], [10.4, 50.4]]] } }

interface Manifest { name: string; version: string; params: Array<{ name: string }> }
const MANIFESTS = readdirSync(join(REPO_ROOT, 'faaslets/manifests')).filter((f) => f.endsWith('.json'))
  .map((f) => JSON.parse(readFileSync(join(REPO_ROOT, 'faaslets/manifests', f), 'utf8')) as Manifest)
interface ChainYaml { name: string; input: { kind: string; params?: Record<string, { type: string }> } }
const SHIPPED = readdirSync(join(REPO_ROOT, 'chains')).filter((f) => f.endsWith('.yaml'))
  .map((f) => parse(readFileSync(join(REPO_ROOT, 'chains', f), 'utf8')) as ChainYaml)

// ─── runs ────────────────────────────────────────────────────────────────────────────────────────────

const tileParams = ['-p', `z=${TILE.z}`, '-p', `x=${TILE.x}`, '-p', `y=${TILE.y}`]
const RUNS: Record<string, string[]> = {
  chains: ['chains'],
  chainsJson: ['chains', '--json'],
  faaslets: ['faaslets'],
  decode: ['exec', 'mvt-decode', '--in', TILE_FILE, '--out', at('decoded.geojson'), ...tileParams],
  reproject: ['exec', 'reproject', '--in', CSV, '--out', at('mercator.geojson'), '-p', 'to=EPSG:3857'],
  cluster: ['exec', 'cluster', '--in', CSV, '--out', at('clusters.geojson'), '-p', 'zoom=4'],
  heatPng: ['exec', 'heatmap', '--in', CSV, '--out', at('heat.png'), ...tileParams],
  heatGrid: ['exec', 'heatmap', '--in', CSV, '--out', at('heat.grid.json'), ...tileParams],
  h3Geojson: ['exec', 'h3-bin', '--in', CSV, '--out', at('hexagons.geojson'), '-p', 'res=4'],
  h3Csv: ['exec', 'h3-bin', '--in', CSV, '--out', at('hexagons.csv'), '-p', 'res=4', '-p', 'geometry=center'],
  h3CsvPolygons: ['exec', 'h3-bin', '--in', CSV, '--out', at('polygons.csv'), '-p', 'res=4'],
  h3Cover: ['exec', 'h3-cells', '--in', at('square.geojson'), '--out', at('cover.geojson'), '-p', 'res=6', '-p', 'containment=overlapping'],
  // what a user gets wrong
  missingFile: ['exec', 'cluster', '--in', at('nowhere.csv'), '--out', at('x.geojson'), '-p', 'zoom=3'],
  unknownExtension: ['exec', 'cluster', '--in', at('cities.txt'), '--out', at('x.geojson'), '-p', 'zoom=3'],
  unwritableOut: ['exec', 'cluster', '--in', CSV, '--out', at('x.png'), '-p', 'zoom=3'],
  unknownFaaslet: ['exec', 'clustr', '--in', CSV, '--out', at('x.geojson'), '-p', 'zoom=3'],
  badParamValue: ['exec', 'cluster', '--in', CSV, '--out', at('x.geojson'), '-p', 'zoom=three'],
  unknownParam: ['exec', 'cluster', '--in', CSV, '--out', at('x.geojson'), '-p', 'zoom=3', '-p', 'zooom=4'],
  missingParam: ['exec', 'cluster', '--in', CSV, '--out', at('x.geojson')],
  malformedTile: ['exec', 'mvt-decode', '--in', at('broken.mvt'), '--out', at('x.geojson'), ...tileParams],
  malformedCsv: ['exec', 'cluster', '--in', at('broken.csv'), '--out', at('x.geojson'), '-p', 'zoom=3'],
  unknownChain: ['run', 'tile-heatmapp', '--in', TILE_FILE, '--out', at('x.png')],
  chainBadParam: ['run', 'points-heatmap', '--in', CSV, '--out', at('x.png'), '-p', 'z=2', '-p', 'x=1', '-p', 'y=1', '-p', 'kernel=box'],
}
const results: Record<string, Promise<CliResult>> = {}

beforeAll(() => {
  const tile = cityTile(sampleCities(20_000, 3), TILE.z, TILE.x, TILE.y)
  writeFileSync(TILE_FILE, tile)
  writeFileSync(at('broken.mvt'), tile.subarray(0, tile.length - 9)) // a real tile cut short
  const rows = CITIES.map((_, i) => `${POINTS.lon[i]},${POINTS.lat[i]},${POINTS.weight[i]},${POINTS.id[i]}`)
  writeFileSync(CSV, `lon,lat,weight,id\n${rows.join('\n')}\n`)
  writeFileSync(at('cities.txt'), readFileSync(CSV))
  writeFileSync(at('broken.csv'), 'lon,lat\n10,50\n11,north\n')
  writeFileSync(at('square.geojson'), JSON.stringify({ type: 'FeatureCollection', features: [SQUARE] }))
  // two at a time: the machine has two cores
  const queue = Object.entries(RUNS)
  const settle = new Map<string, (r: Promise<CliResult>) => void>()
  for (const [name] of queue) results[name] = new Promise((resolve) => settle.set(name, resolve))
  const worker = async () => {
    for (let item = queue.shift(); item; item = queue.shift()) {
      const run = runCli(item[1])
      settle.get(item[0])!(run)
      await run.catch(() => undefined)
    }
  }
  void worker()
  void worker()
})

async function ok(name: string): Promise<CliResult> {
  const r = await results[name]
  expect(r.stderr, name).not.toContain('    at ')
  expect(r.code, `${name}: ${r.stderr}`).toBe(0)
  return r
}

const json = <T>(file: string): T => JSON.parse(readFileSync(file, 'utf8')) as T

/** stdout split into one block per listed item: a header line, then indented lines, then a blank line. */
function sections(stdout: string): Map<string, string[]> {
  const out = new Map<string, string[]>()
  let current: string[] | null = null
  for (const l of lines(stdout)) {
    if (l === '') current = null
    else if (!l.startsWith(' ')) out.set(l.split(/[ @]/)[0], (current = [l]))
    else current?.push(l)
  }
  return out
}

// ─── listings ────────────────────────────────────────────────────────────────────────────────────────

describe('graticule chains and graticule faaslets', () => {
  it('chains: every shipped chain, with its input kind and every input parameter', async () => {
    const r = await ok('chains')
    const listed = sections(r.stdout)
    expect(SHIPPED.length).toBeGreaterThanOrEqual(4)
    expect([...listed.keys()].sort()).toEqual(SHIPPED.map((c) => c.name).sort())
    for (const c of SHIPPED) {
      const [header, ...rest] = listed.get(c.name)!
      expect(header, c.name).toContain(`(${c.input.kind} in → `)
      for (const [p, spec] of Object.entries(c.input.params ?? {})) {
        expect(rest.some((l) => l.trimStart().startsWith(`--param ${p}=<${spec.type}`)), `${c.name}: --param ${p}`).toBe(true)
      }
    }
  })

  it('chains --json: the same chains, inputs and outputs as data', async () => {
    const r = await ok('chainsJson')
    const list = JSON.parse(r.stdout) as Array<{ name: string; input: { kind: string; params: Array<{ name: string; type: string }> }; outputs: unknown[] }>
    expect(list.map((c) => c.name).sort()).toEqual(SHIPPED.map((c) => c.name).sort())
    for (const c of SHIPPED) {
      const got = list.find((x) => x.name === c.name)!
      expect(got.input.kind).toBe(c.input.kind)
      expect(got.input.params.map((p) => `${p.name}:${p.type}`).sort()).toEqual(Object.entries(c.input.params ?? {}).map(([n, s]) => `${n}:${s.type}`).sort())
      expect(got.outputs.length).toBeGreaterThan(0)
    }
  })

  it('faaslets: at least the four seed faaslets, each with its version and every parameter', async () => {
    const r = await ok('faaslets')
    const listed = sections(r.stdout)
    expect(listed.size).toBeGreaterThanOrEqual(4)
    for (const name of ['mvt-decode', 'reproject', 'cluster', 'heatmap']) expect(listed.has(name), name).toBe(true)
    for (const m of MANIFESTS) {
      const block = listed.get(m.name)
      expect(block, m.name).toBeDefined()
      expect(block![0].startsWith(`${m.name}@${m.version} `)).toBe(true)
      for (const p of m.params) expect(block!.some((l) => l.trimStart().startsWith(`--param ${p.name}=<`)), `${m.name} --param ${p.name}`).toBe(true)
    }
  })
})

// ─── exec round trips ────────────────────────────────────────────────────────────────────────────────

describe('graticule exec on generated real data = the oracle', () => {
  it('mvt-decode: tile → .geojson equals @mapbox/vector-tile toGeoJSON, feature by feature', async () => {
    await ok('decode')
    const ours = json<{ features: Array<OracleFeature & { layer?: string }> }>(at('decoded.geojson')).features
    const theirs = decodeTile(readFileSync(TILE_FILE), TILE).get('cities')!
    expect(theirs.length).toBeGreaterThan(1000)
    expect(ours.length).toBe(theirs.length)
    const bad: string[] = []
    ours.forEach((f, i) => {
      const o = theirs[i]
      const [x, y] = f.geometry.coordinates as number[], [ox, oy] = o.geometry.coordinates as number[]
      if (f.layer !== 'cities' || f.id !== o.id || f.geometry.type !== o.geometry.type || !(Math.abs(x - ox) <= 1e-9 && Math.abs(y - oy) <= 1e-9)) bad.push(`#${i}: ${JSON.stringify(f)} vs ${JSON.stringify(o)}`)
      else if (JSON.stringify(f.properties) !== JSON.stringify(o.properties)) bad.push(`#${i} properties: ${JSON.stringify(f.properties)} vs ${JSON.stringify(o.properties)}`)
    })
    expect(bad.slice(0, 5)).toEqual([])
  })

  it('reproject: .csv → .geojson in EPSG:3857 equals proj4 (1e-6 m), ids and weights kept', async () => {
    await ok('reproject')
    const ours = json<{ features: Array<{ id: number; properties: { weight: number }; geometry: { coordinates: number[] } }> }>(at('mercator.geojson')).features
    expect(ours.length).toBe(CITIES.length)
    let worst = 0
    ours.forEach((f, i) => {
      const [x, y] = toMercator(POINTS.lon[i], POINTS.lat[i])
      worst = Math.max(worst, Math.abs(f.geometry.coordinates[0] - x), Math.abs(f.geometry.coordinates[1] - y))
      expect(f.id).toBe(POINTS.id[i])
      expect(f.properties.weight).toBe(POINTS.weight[i])
    })
    expect(worst).toBeLessThanOrEqual(1e-6)
  })

  it('cluster: .csv → .geojson equals supercluster getClusters(world, 4), weights summed', async () => {
    await ok('cluster')
    const expected = superclusters(POINTS, 4, {}, undefined, true)
    expect(expected.filter((f) => f.properties.cluster).length).toBeGreaterThan(20)
    expect(clusterMismatches(json<{ features: ClusterFeature[] }>(at('clusters.geojson')).features, expected, 1e-9, true)).toEqual([])
  })

  it('heatmap: .csv → .png and .grid.json equal the brute-force KDE through viridis', async () => {
    await Promise.all([ok('heatPng'), ok('heatGrid')])
    const o = kde({ x: POINTS.lon, y: POINTS.lat, w: POINTS.weight, crs: 4326 }, TILE, 256, 16)
    expect(o.maxAbs).toBeGreaterThan(0)
    expect(imageMismatches(readFileSync(at('heat.png')), o)).toEqual([])
    const g = json<{ width: number; values: number[]; tile: object }>(at('heat.grid.json'))
    expect(g.tile).toEqual(TILE)
    expect(gridMismatches(g.values, o)).toEqual([])
  })
})

// ─── errors ──────────────────────────────────────────────────────────────────────────────────────────

describe('graticule exec h3-bin and h3-cells = h3-js 4.5.0', () => {
  const bins = () => {
    const want = new Map<string, { count: number; sum: number }>()
    for (let i = 0; i < CITIES.length; i++) {
      const cell = h3.latLngToCell(POINTS.lat[i], POINTS.lon[i], 4)
      const b = want.get(cell) ?? { count: 0, sum: 0 }
      b.count++
      b.sum += POINTS.weight[i]
      want.set(cell, b)
    }
    return [...want].sort(([a], [b]) => (a < b ? -1 : 1))
  }

  it('h3-bin: .csv → .geojson of hexagons, each cell with its count and weight sum', async () => {
    await ok('h3Geojson')
    const ours = json<{ features: Array<{ geometry: { type: string; coordinates: number[][][] }; properties: { h3: string; count: number; sum: number } }> }>(at('hexagons.geojson')).features
    const want = bins()
    expect(ours.map((f) => [f.properties.h3, { count: f.properties.count, sum: f.properties.sum }])).toEqual(want)
    expect(ours.reduce((n, f) => n + f.properties.count, 0)).toBe(CITIES.length)
    for (const f of ours.slice(0, 50)) {
      expect(f.geometry.type).toBe('Polygon')
      const b = h3.cellToBoundary(f.properties.h3, true)
      f.geometry.coordinates[0].forEach(([x, y], k) => expect(Math.max(Math.abs(x - b[k][0]), Math.abs(y - b[k][1]))).toBeLessThanOrEqual(1e-12))
    }
  })

  it('h3-bin: .csv → .csv, the table: one row per cell at its centre', async () => {
    await ok('h3Csv')
    const [header, ...rows] = readFileSync(at('hexagons.csv'), 'utf8').trim().split('\n')
    expect(header).toBe('lon,lat,h3,count,sum,mean,min,max')
    const want = bins()
    expect(rows.length).toBe(want.length)
    rows.forEach((row, i) => {
      const [lon, lat, id, count, sum] = row.split(',')
      const [clat, clng] = h3.cellToLatLng(id)
      expect([id, Number(count), Number(sum)]).toEqual([want[i][0], want[i][1].count, want[i][1].sum])
      expect(Math.max(Math.abs(Number(lon) - clng), Math.abs(Number(lat) - clat))).toBeLessThanOrEqual(1e-12)
    })
  })

  it('h3-bin: polygons cannot be CSV rows: refused with the reason, nothing written', async () => {
    const r = await results.h3CsvPolygons
    expect(r.code).not.toBe(0)
    expect(lines(r.stderr)).toEqual([expect.stringMatching(/E_CANNOT_CARRY: features\[0\] \(a Polygon\) cannot be carried into CSV: a row holds one point/)])
    expect(existsSync(at('polygons.csv'))).toBe(false)
  })

  it('h3-cells: a polygon with a hole → the cells h3-js polygonToCellsExperimental gives, with the feature\'s id and properties', async () => {
    await ok('h3Cover')
    const ours = json<{ features: Array<{ id: number; properties: { name: string; h3: string } }> }>(at('cover.geojson')).features
    const want = h3.polygonToCellsExperimental(SQUARE.geometry.coordinates, 6, h3.POLYGON_TO_CELLS_FLAGS.containmentOverlapping, true).sort()
    expect(want.length).toBeGreaterThan(20)
    expect(ours.map((f) => f.properties.h3)).toEqual(want)
    expect(ours.every((f) => f.id === 7 && f.properties.name === 'a square with a hole')).toBe(true)
  })
})

describe('bad files and parameters: one line on stderr with the code, exit 1 (the command failed; 2 is for usage errors)', () => {
  const cases: Array<[string, string, string?]> = [
    ['missingFile', 'E_BAD_FORMAT', 'no such file'],
    ['unknownExtension', 'E_BAD_FORMAT', 'unknown extension'],
    ['unwritableOut', 'E_BAD_FORMAT', 'png'],
    ['unknownFaaslet', 'E_UNKNOWN_FAASLET', 'cluster'],
    ['badParamValue', 'E_BAD_PARAM', 'zoom'],
    ['unknownParam', 'E_UNKNOWN_PARAM', 'zooom'],
    ['missingParam', 'E_MISSING_PARAM', 'zoom'],
    ['malformedTile', 'E_FAASLET_MALFORMED_INPUT', 'mvt-decode'],
    ['malformedCsv', 'E_BAD_CSV', 'line 3'],
    ['unknownChain', 'E_UNKNOWN_CHAIN', 'tile-heatmap'],
    ['chainBadParam', 'E_BAD_PARAM', 'kernel'],
  ]
  for (const [name, code, mentions] of cases) {
    it(`${name}: ${code}`, async () => {
      const r = await results[name]
      expect(r.code, r.stderr).toBe(1)
      expect(lines(r.stderr), r.stderr).toHaveLength(1)
      expect(r.stderr).toContain(code)
      if (mentions) expect(r.stderr).toContain(mentions)
      expect(r.stdout).toBe('')
    })
  }
})
