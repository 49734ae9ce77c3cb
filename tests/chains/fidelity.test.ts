// Nothing is dropped silently: every feature, geometry part, vertex and property that enters a faaslet
// through `graticule exec` comes out again — as GeoJSON, as CSV, as regions — or the call is refused with a
// registry code naming what could not be carried. Driven the way exec drives a faaslet (the same boundary
// functions and a LocalRunner, in-process; a few runs of the real CLI check that the two agree) on real
// collections: world-atlas countries-50m, us-atlas states-10m and counties-10m, a mixed collection built
// from them (borders as a MultiLineString, cities as Points, a MultiPoint, a GeometryCollection, a null
// geometry, string and number ids, nested properties) and samples/places.csv (a spreadsheet's CSV: CRLF,
// quoted names with commas, the coordinates last). Every expectation is derived from the input.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parse as parseCsv } from 'csv-parse/sync'
import proj4 from 'proj4'
import * as h3 from 'h3-js'
import { LocalRunner } from '../../dataplane/local-runner.js'
import { Catalog } from '../../faaslets/catalog.js'
import { FORMAT_KINDS } from '../../chains/chain.js'
import { parseCrs, type Manifest } from '../../faaslets/abi/manifest.js'
import {
  carriedOf, encodeOutput, inputFormatFromPath, outputFormatFromPath, prepareInput, writePrepared,
} from '../../faaslets/codecs/boundary.js'
import { GEOMETRY_AS_POINTS, pointArrays, writePoints, type GeometryAsPoints } from '../../faaslets/codecs/points.js'
import { gridToJson } from '../../faaslets/codecs/grid.js'
import { crsUrn } from '../../faaslets/codecs/geojson-crs.js'
import { readFeatures } from '../../faaslets/codecs/features.js'
import { ERRORS, fail } from '../../errors/index.js'
import { REPO_ROOT, runCli, type CliResult } from '../helpers/cli.js'
import {
  allCities, compareGeometry, countCollection, countFeature, lonDiff, positionsOf, topoCollection, topoMesh, verticesOf,
  type CollectionLike, type Counts, type FeatureLike, type GeometryLike,
} from '../helpers/geo-counts.js'

const rt = LocalRunner.create({ tenant: 'fidelity' })
afterEach(() => {
  expect(rt.arena.bytesInUse).toBe(0)
})

const dir = mkdtempSync(join(tmpdir(), 'graticule-fidelity-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

const enc = (s: string) => new TextEncoder().encode(s)
const dec = (b: Uint8Array) => new TextDecoder().decode(b)

// ─── exec, in-process: bin/commands/exec.ts's steps, with the same functions ─────────────────────────

interface ExecOptions {
  params?: Record<string, string>
  crs?: string
  geometry?: string
  delimiter?: string
  rfc7946?: boolean
  output?: string
}

function canRead(format: string, kind: string): boolean {
  const ok: Record<string, string[]> = { mvt: ['mvt'], geojson: ['features', 'points'], csv: ['features', 'points'], ndjson: ['points'], grid: ['grid'], png: ['image'] }
  return ok[format]?.includes(kind) ?? false
}

/** The kind exec reads a file of this format as for this faaslet: features when it reads features. */
function inputKind(name: string, inPath: string): string | undefined {
  const manifest = rt.modules.manifest(name)
  const kinds = [...manifest.inputs[0].kinds].sort((a, b) => Number(b === 'features') - Number(a === 'features'))
  return kinds.find((k) => canRead(inputFormatFromPath(inPath), k))
}

/** `graticule exec <name> --in <inPath> --out <outPath> ...` on these bytes; returns what it would write. */
async function exec(name: string, input: Uint8Array | string, inPath: string, outPath: string, o: ExecOptions = {}): Promise<Uint8Array> {
  const manifest = rt.modules.manifest(name)
  const params = { ...(o.params ?? {}) }
  const bytes = typeof input === 'string' ? enc(input) : input
  const inFormat = inputFormatFromPath(inPath)
  const want = inputKind(name, inPath)
  if (!want) throw fail('E_BAD_FORMAT', inPath, `${name} reads ${manifest.inputs[0].kinds.join('|')}`)
  const tile = 'z' in params ? { z: Number(params.z), x: Number(params.x), y: Number(params.y) } : undefined
  const declared = o.crs ?? params.from
  const crs = declared === undefined ? undefined : parseCrs(declared)
  if (crs === null) throw fail('E_BAD_PARAM', o.crs !== undefined ? 'crs' : 'from', `expected an EPSG code, got ${JSON.stringify(declared)}`)
  const geometry = o.geometry ?? 'refuse'
  if (!(GEOMETRY_AS_POINTS as readonly string[]).includes(geometry)) throw fail('E_BAD_PARAM', 'geometry', `got ${JSON.stringify(geometry)}`)
  const prepared = await prepareInput(bytes, inFormat, want as never, { tile, crs, geometry: geometry as GeometryAsPoints, delimiter: o.delimiter })
  const outFormat = outputFormatFromPath(outPath)
  const outIndex = o.output !== undefined
    ? manifest.outputs.findIndex((x) => x.name === o.output)
    : manifest.outputs.findIndex((x) => (x.kind === 'same-as-input' ? [want] : [x.kind]).some((k) => (FORMAT_KINDS[outFormat] as string[]).includes(k)))
  if (outIndex < 0) throw fail('E_BAD_FORMAT', outPath, `${name} has no output that can be written as ${outFormat}`)
  const inv = rt.begin()
  try {
    const outs = rt.run(inv, name, [writePrepared(inv.mem, prepared)], params)
    return encodeOutput(rt.arena.bytes(), outs[outIndex], outFormat, { carried: carriedOf(prepared), rfc7946: o.rfc7946 })
  } finally {
    rt.release(inv)
  }
}

interface Refusal<T = unknown> { code: string; message: string; value?: T }

/** What a call returned, or what it threw: its registry code and message (code 'SUCCEEDED' and the value if it was not refused). */
async function refusal<T>(call: () => Promise<T>): Promise<Refusal<T>> {
  try {
    return { code: 'SUCCEEDED', message: '', value: await call() }
  } catch (e) {
    const err = e as { code?: string; message?: string }
    return { code: err.code ?? `no code (${String(e)})`, message: err.message ?? String(e) }
  }
}

/** The feature index a refusal names: `features[i]` (the boundary) or `feature i` (a faaslet). */
function namedIndex(message: string): number | null {
  const m = /features\[(\d+)\]|\bfeature (\d+)\b/.exec(message)
  return m ? Number(m[1] ?? m[2]) : null
}

const json = <T = CollectionLike>(b: Uint8Array): T => JSON.parse(dec(b)) as T
const geojson = (fc: unknown) => enc(JSON.stringify(fc))

// ─── the collections ─────────────────────────────────────────────────────────────────────────────────

let countries: CollectionLike
let states: CollectionLike
let counties: CollectionLike
let mixed: CollectionLike
let mixedPointsFirst: CollectionLike
let bigCities: FeatureLike[]
const POLYGON_SETS: Record<string, () => CollectionLike> = {
  'countries-50m': () => countries,
  'states-10m': () => states,
  'counties-10m': () => counties,
}

/** The report: one line per case and collection, counts in and out. */
const TABLE: Array<Record<string, string | number>> = []
const row = (c: string, collection: string, counts: Counts | null, extra: Record<string, string | number> = {}) =>
  TABLE.push({ case: c, collection, ...(counts ? { features: counts.features, parts: counts.parts, positions: counts.positions, vertices: counts.vertices, properties: counts.properties } : {}), ...extra })
afterAll(() => {
  console.log(TABLE.map((r) => Object.entries(r).map(([k, v]) => `${k}=${v}`).join(' ')).join('\n'))
})

const isPolygon = (g: GeometryLike | null) => g !== null && (g.type === 'Polygon' || g.type === 'MultiPolygon')
const isPoints = (g: GeometryLike | null) => g !== null && (g.type === 'Point' || g.type === 'MultiPoint')

function buildMixed(): CollectionLike {
  const pick = (fc: CollectionLike, names: string[]) => fc.features.filter((f) => names.includes(f.properties?.name as string))
  const polygons = [
    ...pick(countries, ['France', 'Indonesia', 'Chile', 'Switzerland', 'Lesotho', 'South Africa']).map((f) => ({
      ...f, properties: { ...f.properties, atlas: { name: 'world-atlas', scale: '50m', object: 'countries' }, codes: [f.id ?? null, f.properties?.name ?? null] },
    })),
    ...pick(states, ['Colorado', 'Hawaii', 'Michigan']).map((f) => ({ ...f, properties: { ...f.properties, fips: Number(f.id), inUnion: true } })),
  ]
  const iceland = allCities().filter((c) => c.country === 'IS')
  const mesh = topoMesh('world-atlas/countries-50m.json', 'countries')
  const colorado = states.features.find((f) => f.properties?.name === 'Colorado')!.geometry!
  const hawaii = states.features.find((f) => f.properties?.name === 'Hawaii')!.geometry!
  const paris = bigCities.find((f) => f.properties?.name === 'Paris')!.geometry!
  const rhode = states.features.find((f) => f.properties?.name === 'Rhode Island')!
  const rest: FeatureLike[] = [
    { type: 'Feature', id: 354, geometry: { type: 'MultiPoint', coordinates: iceland.map((c) => c.loc.coordinates) }, properties: { country: 'IS', places: iceland.length, names: iceland.map((c) => c.name) } },
    { type: 'Feature', id: 'borders', layer: 'borders', geometry: mesh, properties: { source: 'world-atlas countries-50m', kind: 'shared borders', lines: (mesh.coordinates as unknown[]).length } },
    {
      type: 'Feature', id: 'collection-1', geometry: {
        type: 'GeometryCollection', geometries: [paris, { type: 'LineString', coordinates: (mesh.coordinates as number[][][])[0] }, colorado, hawaii],
      }, properties: { members: ['Point', 'LineString', colorado.type, hawaii.type], nested: { a: { b: [1, 2.5, { c: null, d: false }] } }, empty: {}, none: [] },
    },
    { type: 'Feature', id: 'nowhere', geometry: null, properties: { reason: 'unknown location', tags: [], weightless: true } },
    { type: 'Feature', geometry: null, properties: {} },
    { ...rhode, id: 44, properties: { ...rhode.properties, note: 'a polygon after the rest, numeric id' } },
  ]
  return { type: 'FeatureCollection', features: [...polygons, ...bigCities, ...rest] }
}

beforeAll(() => {
  countries = topoCollection('world-atlas/countries-50m.json', 'countries')
  states = topoCollection('us-atlas/states-10m.json', 'states')
  counties = topoCollection('us-atlas/counties-10m.json', 'counties')
  bigCities = allCities()
    .filter((c) => c.population >= 2_000_000)
    .map((c, i) => ({
      type: 'Feature' as const, id: `city-${i}`,
      geometry: { type: 'Point', coordinates: c.loc.coordinates },
      properties: { name: c.name, country: c.country, population: c.population, altNames: c.altName ? c.altName.split(',') : [], loc: { lon: c.loc.coordinates[0], lat: c.loc.coordinates[1] }, megacity: c.population >= 10_000_000 },
    }))
  mixed = buildMixed()
  const pts = mixed.features.filter((f) => isPoints(f.geometry))
  mixedPointsFirst = { type: 'FeatureCollection', features: [...pts, ...mixed.features.filter((f) => !isPoints(f.geometry))] }
})

const ALL_SETS: Record<string, () => CollectionLike> = { ...POLYGON_SETS, mixed: () => mixed }

describe('the collections are what the cases need', () => {
  it('real polygons, and a mixed collection with every geometry type, null, string/number ids and nested properties', () => {
    for (const [name, get] of Object.entries(ALL_SETS)) row('0 input', name, countCollection(get()))
    expect(countries.features.length).toBeGreaterThan(200)
    expect(counties.features.length).toBeGreaterThan(3000)
    const types = new Set(mixed.features.map((f) => f.geometry?.type ?? 'null'))
    for (const t of ['Point', 'MultiPoint', 'MultiLineString', 'Polygon', 'MultiPolygon', 'GeometryCollection', 'null']) expect(types, t).toContain(t)
    expect(mixed.features.some((f) => typeof f.id === 'string')).toBe(true)
    expect(mixed.features.some((f) => typeof f.id === 'number')).toBe(true)
    expect(mixed.features.some((f) => f.id === undefined)).toBe(true)
  })
})

// ─── 1. reproject there and back, through GeoJSON ────────────────────────────────────────────────────

/** |lat| beyond which EPSG:3857 is not a usable map (its y is still finite: reproject documents NaN only within 1e-10 rad of a pole). */
const MERCATOR_LAT = 85.06
const trips = new Map<string, Promise<{ midBytes: Uint8Array; backBytes: Uint8Array }>>()
/** reproject to EPSG:3857 and back, GeoJSON in, out and in again (once per collection; the .region trips compare with it). */
function viaGeoJSON(name: string): Promise<{ midBytes: Uint8Array; backBytes: Uint8Array }> {
  let t = trips.get(name)
  if (!t) {
    t = (async () => {
      const midBytes = await exec('reproject', geojson(ALL_SETS[name]()), 'in.geojson', 'mid.geojson', { params: { to: 'EPSG:3857' } })
      const backBytes = await exec('reproject', midBytes, 'mid.geojson', 'back.geojson', { params: { to: 'EPSG:4326' } })
      return { midBytes, backBytes }
    })()
    trips.set(name, t)
  }
  return t
}

describe('1. reproject to EPSG:3857 and back to EPSG:4326, through GeoJSON', () => {
  for (const name of Object.keys(ALL_SETS)) {
    it(`${name}: every feature, part, vertex, id and property comes back; coordinates within 1e-9°`, async () => {
      const input = ALL_SETS[name]()
      const counts = countCollection(input)
      const body = geojson(input)
      const { midBytes, backBytes } = await viaGeoJSON(name)
      const mid = json<CollectionLike & { crs?: unknown }>(midBytes)
      // the intermediate file names its CRS, and strict RFC 7946 output is refused rather than mislabelled
      expect(mid.crs).toEqual({ type: 'name', properties: { name: crsUrn(3857) } })
      expect(mid.crs).toEqual({ type: 'name', properties: { name: 'urn:ogc:def:crs:EPSG::3857' } })
      const strict = await refusal(() => exec('reproject', body, 'in.geojson', 'mid.geojson', { params: { to: 'EPSG:3857' }, rfc7946: true }))
      expect(strict.code).toBe('E_CANNOT_CARRY')
      expect(strict.message).toContain('EPSG:3857')
      expect(countCollection(mid)).toEqual(counts)
      // vertices 3857 cannot place (NaN / Infinity per reproject's header) are still there, as positions
      const nonFiniteMid = mid.features.reduce((n, f) => n + positionsOf(f.geometry).filter((p) => !p.every((v) => typeof v === 'number' && Number.isFinite(v))).length, 0)

      const back = json<CollectionLike & { crs?: unknown }>(backBytes)
      expect(back.crs).toBeUndefined()
      const backCounts = countCollection(back)
      expect(backCounts).toEqual(counts)
      const attrs = (fc: CollectionLike) => fc.features.map((f) => ({ id: f.id, layer: f.layer, properties: f.properties ?? {}, keys: Object.keys(f.properties ?? {}) }))
      expect(attrs(back)).toStrictEqual(attrs(input))
      let worst = 0, worstAt = '', beyond = 0
      for (let i = 0; i < input.features.length; i++) {
        const a = input.features[i].geometry, b = back.features[i].geometry
        const c = compareGeometry(a, b, `features[${i}].geometry`)
        expect(c.mismatch, c.mismatch).toBeUndefined()
        expect(c.nonFinite, `features[${i}]: non-finite coordinates after the round trip`).toBe(0)
        if (c.maxDiff > worst) { worst = c.maxDiff; worstAt = `${c.worst!.where}: ${JSON.stringify(c.worst!.a)} → ${JSON.stringify(c.worst!.b)}` }
        if (c.worst && Math.abs(c.worst.a[1]) > MERCATOR_LAT) beyond++
      }
      row('1 reproject 4326→3857→4326', name, backCounts, { in_features: counts.features, in_positions: counts.positions, in_properties: counts.properties, nonFinite3857: nonFiniteMid, max_deg: worst.toExponential(2) })
      expect(worst, `largest difference at ${worstAt} (features whose worst vertex lies beyond ±${MERCATOR_LAT}°: ${beyond})`).toBeLessThanOrEqual(1e-9)

      // and CSV, which holds points only, refuses the first feature that is not one rather than leaving it out
      const firstNotPoint = input.features.findIndex((f) => f.geometry?.type !== 'Point')
      if (firstNotPoint >= 0) {
        const csv = await refusal(() => exec('reproject', body, 'in.geojson', 'out.csv', { params: { to: 'EPSG:3857' } }))
        expect(csv.code, csv.message).toBe('E_CANNOT_CARRY')
        expect(namedIndex(csv.message), csv.message).toBe(firstNotPoint)
      }
    })
  }

  // regions: the same trip with a .region in the middle must give the same collection (JSON numbers round-trip doubles exactly)
  for (const name of ['countries-50m', 'mixed']) {
    it(`${name} through a .region in the middle: the region boundary (a region body, as the gateway takes one) gives the same collection`, async () => {
      const midRegion = await exec('reproject', geojson(ALL_SETS[name]()), 'in.geojson', 'mid.region', { params: { to: 'EPSG:3857' } })
      const prepared = await prepareInput(midRegion, 'region', 'features')
      const inv = rt.begin()
      let back: CollectionLike
      try {
        const [out] = rt.run(inv, 'reproject', [writePrepared(inv.mem, prepared)], { to: 'EPSG:4326' })
        back = json(encodeOutput(rt.arena.bytes(), out, 'geojson'))
      } finally {
        rt.release(inv)
      }
      expect(countCollection(back)).toEqual(countCollection(ALL_SETS[name]()))
      expect(back).toStrictEqual(json((await viaGeoJSON(name)).backBytes))
    })
  }

  it('a vertex 3857 cannot place (a pole) is refused for GeoJSON, naming it; a region and CSV keep it as NaN', async () => {
    const fc = { type: 'FeatureCollection', features: [
      { type: 'Feature', id: 'pole', geometry: { type: 'LineString', coordinates: [[0, 80], [0, 90], [10, 80]] }, properties: { name: 'through the north pole' } },
    ] } as CollectionLike
    const counts = countCollection(fc)
    // reproject keeps the record with (NaN, NaN) there (its header); JSON has no NaN
    const mid = await refusal(() => exec('reproject', geojson(fc), 'in.geojson', 'mid.geojson', { params: { to: 'EPSG:3857' } }))
    row('1 pole vertex', 'LineString through 90°N', counts, { geojson_out: `${mid.code}: ${mid.message}` })
    expect(mid.code).toBe('E_CANNOT_CARRY')
    expect(mid.message).toContain('features[0].geometry.coordinates[1] (NaN, NaN)')
    // a region holds NaN: every vertex is still there
    const region = (await exec('reproject', geojson(fc), 'in.geojson', 'mid.region', { params: { to: 'EPSG:3857' } })).slice()
    const kept = readFeatures(region, { ptr: 0, len: region.length })
    expect(countCollection(kept as CollectionLike)).toEqual(counts)
    expect((kept.features[0].geometry as { coordinates: number[][] }).coordinates[1]).toEqual([NaN, NaN])
  })
})

// ─── places.csv ──────────────────────────────────────────────────────────────────────────────────────

const PLACES_PATH = join(REPO_ROOT, 'samples/places.csv')
const placesBytes = () => readFileSync(PLACES_PATH)
const X_NAMES = ['lon', 'lng', 'long', 'longitude', 'x', 'easting']
const Y_NAMES = ['lat', 'latitude', 'y', 'northing']

interface Table { header: string[]; rows: string[][]; x: number; y: number }

/** csv-parse on its own (not the codec): header, rows, and where the coordinates are. */
function table(text: string | Uint8Array): Table {
  const records = parseCsv(typeof text === 'string' ? text : dec(text), { bom: true, skip_empty_lines: true }) as string[][]
  const header = records[0]
  const names = header.map((h) => h.trim().toLowerCase())
  const find = (list: string[]) => list.map((n) => names.indexOf(n)).find((i) => i >= 0) ?? -1
  return { header, rows: records.slice(1), x: find(X_NAMES), y: find(Y_NAMES) }
}

const others = (t: Table) => t.header.map((_, i) => i).filter((i) => i !== t.x && i !== t.y)
const toMercator = proj4('EPSG:4326', 'EPSG:3857')

describe('2. places.csv (CRLF, quoted names with commas, coordinates last) through reproject', () => {
  it('the sample is what it says', () => {
    const raw = dec(placesBytes())
    const t = table(raw)
    expect(raw).toContain('\r\n')
    expect(t.x).toBeGreaterThan(0)
    expect(t.rows.some((r) => r[0].includes(','))).toBe(true)
    row('0 input', 'places.csv', null, { rows: t.rows.length, columns: t.header.length })
  })

  it('→ EPSG:3857 → GeoJSON: every row a feature, every other column a property in column order, population a number', async () => {
    const t = table(placesBytes())
    const out = json<CollectionLike & { crs?: unknown }>(await exec('reproject', placesBytes(), 'places.csv', 'out.geojson', { params: { to: 'EPSG:3857' } }))
    expect(out.crs).toEqual({ type: 'name', properties: { name: crsUrn(3857) } })
    expect(out.features.length).toBe(t.rows.length)
    const keys = others(t).map((i) => t.header[i])
    let worst = 0
    out.features.forEach((f, r) => {
      expect(Object.keys(f.properties!), `row ${r + 2}`).toEqual(keys)
      for (const i of others(t)) {
        const v = f.properties![t.header[i]]
        const text = t.rows[r][i]
        // a number where the text is a number written the JS way, else the text itself
        if (text !== '' && String(Number(text)) === text) expect(v, `row ${r + 2} ${t.header[i]}`).toBe(Number(text))
        else expect(v, `row ${r + 2} ${t.header[i]}`).toBe(text === '' ? null : text)
      }
      expect(typeof f.properties!.population, `row ${r + 2}`).toBe('number')
      const [x, y] = toMercator.forward([Number(t.rows[r][t.x]), Number(t.rows[r][t.y])])
      const [gx, gy] = (f.geometry as { coordinates: number[] }).coordinates
      worst = Math.max(worst, Math.abs(gx - x), Math.abs(gy - y))
    })
    expect(worst, 'metres from proj4').toBeLessThan(1e-6)
    row('2 places → 3857 → GeoJSON', 'places.csv', countCollection(out), { rows_in: t.rows.length })
  })

  it('→ EPSG:3857 → CSV: every row, every column, names with commas intact, the other columns in their order', async () => {
    const t = table(placesBytes())
    const out = table(await exec('reproject', placesBytes(), 'places.csv', 'out.csv', { params: { to: 'EPSG:3857' } }))
    expect(out.rows.length).toBe(t.rows.length)
    expect(out.x).toBeGreaterThanOrEqual(0)
    expect(out.y).toBeGreaterThanOrEqual(0)
    expect(out.header.length).toBe(t.header.length)
    expect(others(out).map((i) => out.header[i])).toEqual(others(t).map((i) => t.header[i]))
    let worst = 0
    t.rows.forEach((r, k) => {
      expect(others(out).map((i) => out.rows[k][i]), `row ${k + 2}`).toEqual(others(t).map((i) => r[i]))
      const [x, y] = toMercator.forward([Number(r[t.x]), Number(r[t.y])])
      worst = Math.max(worst, Math.abs(Number(out.rows[k][out.x]) - x), Math.abs(Number(out.rows[k][out.y]) - y))
    })
    expect(worst, 'metres from proj4').toBeLessThan(1e-6)
    row('2 places → 3857 → CSV', 'places.csv', null, { rows_in: t.rows.length, rows_out: out.rows.length, columns_in: t.header.length, columns_out: out.header.length, header_out: out.header.join('|') })
  })

  it('CSV → features → CSV (reproject to its own CRS, a bit-for-bit copy) is the same table: the same rows, the other columns in order; the coordinates come first as lon,lat', async () => {
    const raw = placesBytes()
    const t = table(raw)
    const out = table(await exec('reproject', raw, 'places.csv', 'same.csv', { params: { to: 'EPSG:4326' } }))
    row('2 places → 4326 → CSV (identity)', 'places.csv', null, { rows_in: t.rows.length, rows_out: out.rows.length, header_in: t.header.join('|'), header_out: out.header.join('|') })
    // values first (by column name, coordinates by role), so a failure of the order below is not mistaken for lost data
    expect(out.rows.length).toBe(t.rows.length)
    t.rows.forEach((r, k) => {
      expect(others(out).map((i) => [out.header[i], out.rows[k][i]]), `row ${k + 2}`).toEqual(others(t).map((i) => [t.header[i], r[i]]))
      expect([Number(out.rows[k][out.x]), Number(out.rows[k][out.y])], `row ${k + 2}`).toEqual([Number(r[t.x]), Number(r[t.y])])
    })
    // the features region keeps coordinates, not the names and places of their columns: they come first,
    // named lon,lat (x,y when projected); every other column keeps its name, place among the others and text
    expect(out.header, 'the header').toEqual(['lon', 'lat', ...others(t).map((i) => t.header[i])])
    expect(out.rows).toEqual(t.rows.map((r) => [r[t.x], r[t.y], ...others(t).map((i) => r[i])]))
  })
})

// ─── 3. inverse from a CRS-less file ─────────────────────────────────────────────────────────────────

describe('3. a projected CSV (no CRS in the file) read with from=EPSG:3857 and reprojected to EPSG:4326', () => {
  it('gives the original coordinates within 1e-9°, and every other column', async () => {
    const t = table(placesBytes())
    const projected = await exec('reproject', placesBytes(), 'places.csv', 'places-3857.csv', { params: { to: 'EPSG:3857' } })
    writeFileSync(join(dir, 'places-3857.csv'), projected)
    for (const outPath of ['back.csv', 'back.geojson']) {
      const back = await exec('reproject', projected, 'places-3857.csv', outPath, { params: { from: 'EPSG:3857', to: 'EPSG:4326' } })
      const rows: { x: number; y: number; other: unknown[] }[] = outPath.endsWith('.csv')
        ? (() => { const o = table(back); return o.rows.map((r) => ({ x: Number(r[o.x]), y: Number(r[o.y]), other: others(o).map((i) => r[i]) })) })()
        : json(back).features.map((f) => ({ x: (f.geometry as { coordinates: number[] }).coordinates[0], y: (f.geometry as { coordinates: number[] }).coordinates[1], other: Object.values(f.properties!).map((v) => (v === null ? '' : String(v))) }))
      expect(rows.length, outPath).toBe(t.rows.length)
      let worst = 0
      t.rows.forEach((r, k) => {
        worst = Math.max(worst, lonDiff(rows[k].x, Number(r[t.x])), Math.abs(rows[k].y - Number(r[t.y])))
        expect(rows[k].other, `${outPath} row ${k + 2}`).toEqual(others(t).map((i) => r[i]))
      })
      expect(worst, outPath).toBeLessThanOrEqual(1e-9)
      row(`3 places-3857.csv (from=3857) → 4326 → ${outPath.split('.')[1]}`, 'places.csv', null, { rows_in: t.rows.length, rows_out: rows.length, max_deg: worst.toExponential(2) })
    }
  })
})

// ─── 4. points faaslets on polygons ──────────────────────────────────────────────────────────────────

const MANIFESTS: Manifest[] = Catalog.load().list().map((e) => e.manifest)
const geometryParam = (m: Manifest) => m.params.find((p) => p.name === 'geometry' && p.type === 'enum' && (p.values ?? []).includes('refuse'))
/** Faaslets that work on points: their first input takes points and not features, or features read as points (a geometry=refuse|… parameter). */
const POINTS_FAASLETS = MANIFESTS.filter((m) => {
  const kinds = m.inputs[0]?.kinds ?? []
  return kinds.includes('points') && (!kinds.includes('features') || geometryParam(m) !== undefined)
})

/** Parameters each needs here: required ones, and a world-wide bbox / counting mode where it has one. */
const PARAMS: Record<string, Record<string, string>> = {
  cluster: { zoom: '17', bbox: '-180,-90,180,90' },
  heatmap: { z: '0', x: '0', y: '0', size: '64' },
  'points-bin': { bbox: '-180,-90,180,90', width: '90', height: '45', sum: 'count' },
  'points-filter': { bbox: '-180,-90,180,90' },
  'points-snap': { cell: '1' },
  'h3-bin': { res: '2' },
}

function outputOf(m: Manifest): { path: string; kind: string } {
  const k = m.outputs[0].kind
  return { path: k === 'grid' ? 'out.grid.json' : 'out.geojson', kind: k }
}

/** The number of input points the output says it saw, or null when it reports none (a density). */
function reportedCount(m: Manifest, params: Record<string, string>, body: Uint8Array): number | null {
  const { kind } = outputOf(m)
  if (kind === 'points') return json(body).features.length
  if (kind === 'clusters') return json(body).features.reduce((n, f) => n + ((f.properties?.point_count as number | undefined) ?? 1), 0)
  if (kind === 'features') return json(body).features.reduce((n, f) => n + (f.properties?.count as number), 0)
  if (kind === 'grid' && params.sum === 'count') return (json<{ values: number[] }>(body).values).reduce((a, b) => a + b, 0)
  return null
}

/** The faaslet's grid on a points region written straight from the collection's vertices (for outputs that count nothing). */
function gridOnVertices(m: Manifest, fc: CollectionLike, params: Record<string, string>): number[] {
  const vs = fc.features.flatMap((f) => verticesOf(f.geometry))
  const p = pointArrays(vs.length)
  vs.forEach(([x, y], i) => { p.x[i] = x; p.y[i] = y })
  const inv = rt.begin()
  try {
    const outs = rt.run(inv, m.name, [writePoints(inv.mem, p)], params)
    return gridToJson(rt.arena.bytes(), outs[0]).values
  } finally {
    rt.release(inv)
  }
}

describe('4. points faaslets on polygons: refused by default, every vertex counted with geometry=vertices', () => {
  it('the catalog lists them (derived from the manifests)', () => {
    const names = POINTS_FAASLETS.map((m) => m.name)
    row('4 points faaslets', 'catalog', null, { faaslets: names.join(',') })
    for (const n of ['cluster', 'h3-bin', 'points-filter']) expect(names).toContain(n)
    // every required parameter is given here: a new points faaslet fails this test rather than being skipped
    for (const m of POINTS_FAASLETS) for (const p of m.params) if (p.default === undefined) expect(PARAMS[m.name]?.[p.name], `${m.name} --param ${p.name}`).toBeDefined()
  })

  const SETS: Record<string, () => CollectionLike> = { ...POLYGON_SETS, 'mixed (points first)': () => mixedPointsFirst }
  for (const setName of Object.keys(SETS)) {
    it(`${setName}: every points faaslet`, async () => {
      const fc = SETS[setName]()
      const body = geojson(fc)
      const counts = countCollection(fc)
      const firstNonPoint = fc.features.findIndex((f) => !isPoints(f.geometry))
      // with geometry=centroid a Point or MultiPoint still stands for its positions (points.ts, cluster/feature-points.ts); any other feature with a vertex for one point
      const centroids = fc.features.reduce((n, f) => n + (isPoints(f.geometry) ? verticesOf(f.geometry).length : verticesOf(f.geometry).length > 0 ? 1 : 0), 0)
      expect(firstNonPoint).toBeGreaterThanOrEqual(0)
      const failures: string[] = []
      for (const m of POINTS_FAASLETS) {
        const params = { ...(PARAMS[m.name] ?? {}) }
        const out = outputOf(m)
        const viaFeatures = inputKind(m.name, 'in.geojson') === 'features'
        // default: refused, by a registry code, naming the first feature that is not points
        const refused = await refusal(() => exec(m.name, body, 'in.geojson', out.path, { params }))
        row('4 default (geometry=refuse)', setName, null, { faaslet: m.name, code: refused.code, named: String(namedIndex(refused.message)), expected: firstNonPoint })
        if (!(refused.code in ERRORS)) failures.push(`${m.name}: not refused by a registry code: ${refused.code} ${refused.message}`)
        else if (!['E_CANNOT_CARRY', 'E_FAASLET_BAD_INPUT_KIND'].includes(refused.code)) failures.push(`${m.name}: refused with ${refused.code} (${refused.message}), not a code for what cannot be carried`)
        if (namedIndex(refused.message) !== firstNonPoint) failures.push(`${m.name}: the refusal names feature ${namedIndex(refused.message)}, expected ${firstNonPoint}: ${refused.message}`)

        // geometry=vertices (exec --geometry, or the faaslet's own parameter when it reads the features itself)
        for (const mode of ['vertices', 'centroid'] as const) {
          const expected = mode === 'vertices' ? counts.vertices : centroids
          const p = viaFeatures ? { ...params, geometry: mode } : params
          const r = await refusal(() => exec(m.name, body, 'in.geojson', out.path, { params: p, geometry: viaFeatures ? undefined : mode }))
          if (r.code !== 'SUCCEEDED') {
            row(`4 geometry=${mode}`, setName, null, { faaslet: m.name, expected, counted: `${r.code}: ${r.message}` })
            failures.push(`${m.name} geometry=${mode}: ${r.code}: ${r.message}`)
            continue
          }
          const bytes = r.value!
          const n = reportedCount(m, p, bytes)
          if (n !== null) {
            row(`4 geometry=${mode}`, setName, null, { faaslet: m.name, expected, counted: n })
            if (n !== expected) failures.push(`${m.name} geometry=${mode}: counted ${n} points, the collection has ${expected} ${mode === 'vertices' ? 'vertices' : 'points and centroids'}`)
          } else if (mode === 'vertices') {
            // a density counts nothing: it must equal the same faaslet on the vertices written as points
            const got = json<{ values: number[] }>(bytes).values
            const want = gridOnVertices(m, fc, p)
            const same = got.length === want.length && got.every((v, i) => Object.is(v, want[i])) && want.some((v) => v > 0)
            row(`4 geometry=${mode}`, setName, null, { faaslet: m.name, expected: `grid of ${counts.vertices} vertices`, counted: same ? 'equal grid' : 'different grid' })
            if (!same) failures.push(`${m.name} geometry=vertices: the grid differs from the grid of the ${counts.vertices} vertices written as points`)
          }
        }
      }
      // points-filter keeps every vertex, each with its feature's properties carried
      const pf = POINTS_FAASLETS.find((m) => m.name === 'points-filter')
      if (pf) {
        const csv = table(await exec('points-filter', body, 'in.geojson', 'out.csv', { params: PARAMS['points-filter'], geometry: 'vertices' }))
        const want = new Map<string, number>(), got = new Map<string, number>()
        const key = (v: unknown) => JSON.stringify(v ?? null)
        for (const f of fc.features) want.set(key(f.properties?.name), (want.get(key(f.properties?.name)) ?? 0) + countFeature(f).vertices)
        const ni = csv.header.indexOf('name')
        for (const r of csv.rows) { const k = ni < 0 ? key(undefined) : key(r[ni] === '' ? null : r[ni]); got.set(k, (got.get(k) ?? 0) + 1) }
        for (const [k, v] of want) if (v === 0) want.delete(k)
        row('4 points-filter vertices → CSV', setName, null, { rows: csv.rows.length, vertices: counts.vertices, carried: csv.header.slice(4).join('|') })
        if (csv.rows.length !== counts.vertices) failures.push(`points-filter → CSV: ${csv.rows.length} rows, ${counts.vertices} vertices`)
        if (JSON.stringify([...got].sort()) !== JSON.stringify([...want].sort())) failures.push('points-filter → CSV: rows per feature name differ from vertices per feature name')
      }
      expect(failures).toEqual([])
    })
  }
})

// ─── 5. pip-aggregate and h3-cells ───────────────────────────────────────────────────────────────────

describe('5. pip-aggregate and h3-cells', () => {
  it('on the mixed collection (lines, a collection, null): refused with E_FAASLET_BAD_INPUT_KIND naming the feature', async () => {
    const body = geojson(mixed)
    const pipFirst = mixed.features.findIndex((f) => !isPolygon(f.geometry) && !isPoints(f.geometry))
    const h3First = mixed.features.findIndex((f) => !isPolygon(f.geometry))
    expect(pipFirst).toBeGreaterThan(0)
    expect(h3First).toBeGreaterThan(0)
    const pip = await refusal(() => exec('pip-aggregate', body, 'mixed.geojson', 'out.geojson'))
    const h3 = await refusal(() => exec('h3-cells', body, 'mixed.geojson', 'out.geojson', { params: { res: '2', containment: 'overlapping' } }))
    row('5 pip-aggregate on mixed', 'mixed', null, { code: pip.code, named: String(namedIndex(pip.message)), expected: pipFirst })
    row('5 h3-cells on mixed', 'mixed', null, { code: h3.code, named: String(namedIndex(h3.message)), expected: h3First })
    expect(pip.code, pip.message).toBe('E_FAASLET_BAD_INPUT_KIND')
    expect(namedIndex(pip.message), pip.message).toBe(pipFirst)
    expect(h3.code, h3.message).toBe('E_FAASLET_BAD_INPUT_KIND')
    expect(namedIndex(h3.message), h3.message).toBe(h3First)
  })

  const cityPoints = () => allCities().filter((c) => c.population >= 15_000).map((c, i) => ({
    type: 'Feature' as const, id: 1_000_000 + i, geometry: { type: 'Point', coordinates: c.loc.coordinates }, properties: { weight: 1 },
  }))

  for (const name of Object.keys(POLYGON_SETS)) {
    it(`pip-aggregate on ${name} + cities: every polygon feature comes out, with its id, rings and all its properties`, async () => {
      const polygons = POLYGON_SETS[name]()
      const points = cityPoints()
      const out = json(await exec('pip-aggregate', geojson({ type: 'FeatureCollection', features: [...polygons.features, ...points] }), 'in.geojson', 'out.geojson'))
      const counts = countCollection(polygons)
      const outCounts = countCollection(out)
      row('5 pip-aggregate', `${name} + ${points.length} cities`, outCounts, { in_features: counts.features, in_positions: counts.positions, in_properties: counts.properties, points_counted: out.features.reduce((n, f) => n + (f.properties?.count as number), 0) })
      expect(out.features.length).toBe(polygons.features.length)
      expect({ ...outCounts, properties: outCounts.properties - 2 * outCounts.features }).toEqual(counts)
      out.features.forEach((f, i) => {
        const src = polygons.features[i]
        const { count, sum, ...rest } = f.properties as Record<string, unknown>
        expect(f.id, `features[${i}]`).toStrictEqual(src.id)
        expect(rest, `features[${i}]`).toStrictEqual(src.properties ?? {})
        expect(Number.isInteger(count) && (count as number) >= 0, `features[${i}] count ${count}`).toBe(true)
        expect(sum, `features[${i}] sum`).toBe(count)
        const c = compareGeometry(src.geometry, f.geometry, `features[${i}]`)
        expect(c.mismatch).toBeUndefined()
        expect(c.maxDiff).toBe(0)
      })
      expect(out.features.some((f) => (f.properties?.count as number) > 0)).toBe(true)
    })
  }

  const H3_RES: Record<string, string> = { 'countries-50m': '1', 'states-10m': '3', 'counties-10m': '4' }
  for (const name of Object.keys(POLYGON_SETS)) {
    it(`h3-cells containment=overlapping on ${name}: every polygon has at least one cell, with its id and properties`, async () => {
      const polygons = POLYGON_SETS[name]()
      const res = H3_RES[name]
      // a refusal names one feature: note it (with what h3-js, the manifest's oracle, makes of it) and go on without it, so every refused feature is reported
      const refused: string[] = []
      let left = polygons.features.map((_, i) => i)
      let out: CollectionLike | null = null
      for (let tries = 0; tries < 50 && out === null; tries++) {
        const r = await refusal(() => exec('h3-cells', geojson({ type: 'FeatureCollection', features: left.map((i) => polygons.features[i]) }), 'in.geojson', 'out.geojson', { params: { res, containment: 'overlapping' } }))
        if (r.code === 'SUCCEEDED') { out = json(r.value!); break }
        const at = namedIndex(r.message)
        if (at === null || at >= left.length) { refused.push(`${r.code}: ${r.message}`); break }
        const i = left[at]
        refused.push(`features[${i}] ${JSON.stringify(polygons.features[i].properties)} (${countFeature(polygons.features[i]).parts} polygons): ${r.code}: ${r.message.replace(`feature ${at}`, `feature ${at} of the call`)} — h3-js covers it with ${h3jsOverlapping(polygons.features[i], Number(res))}`)
        left = left.filter((j) => j !== i)
      }
      const attrs = (f: FeatureLike) => { const { h3: _h3, ...rest } = f.properties ?? {}; return JSON.stringify([f.id ?? null, f.layer ?? null, rest]) }
      const without: number[] = []
      let k = 0
      if (out) {
        // the cells come feature by feature, in input order: walk them as runs
        for (const i of left) {
          const want = attrs(polygons.features[i])
          const start = k
          while (k < out.features.length && attrs(out.features[k]) === want) k++
          if (k === start) without.push(i)
        }
      }
      row('5 h3-cells overlapping', name, countCollection(polygons), { res, cells: out?.features.length ?? 0, refused_features: refused.length, polygons_without_cells: without.length, cells_not_matched: out ? out.features.length - k : 0 })
      for (const r of refused) row('5 h3-cells refused', name, null, { detail: r })
      expect(refused, 'features h3-cells refused').toEqual([])
      expect(out).not.toBeNull()
      expect(without.map((i) => `features[${i}] ${JSON.stringify(polygons.features[i].properties)}`)).toEqual([])
      expect(k, 'every cell belongs to an input polygon, in order').toBe(out!.features.length)
      expect(out!.features.every((f) => typeof f.properties?.h3 === 'string')).toBe(true)
    })
  }
})

/** What h3-js's polygonToCellsExperimental(…, containmentOverlapping) gives each polygon of a feature (the united cells, or its error). */
function h3jsOverlapping(f: FeatureLike, res: number): string {
  const g = f.geometry as { type: string; coordinates: number[][][] | number[][][][] }
  const polys = (g.type === 'Polygon' ? [g.coordinates] : g.coordinates) as number[][][][]
  const cells = new Set<string>()
  try {
    for (const p of polys) for (const c of h3.polygonToCellsExperimental(p, res, h3.POLYGON_TO_CELLS_FLAGS.containmentOverlapping, true)) cells.add(c)
  } catch (e) {
    return `an error (${(e as Error).message})`
  }
  return `${cells.size} cells`
}

// ─── 6. points → points faaslets on places.csv ───────────────────────────────────────────────────────

const POINTS_TO_POINTS = MANIFESTS.filter((m) => {
  const kinds = m.inputs[0]?.kinds ?? []
  return kinds.length === 1 && kinds[0] === 'points' && m.outputs.length === 1 && m.outputs[0].kind === 'points'
})

describe('6. points → points faaslets on places.csv: the kept rows come back with all their columns', () => {
  const EUROPE = [-10, 35, 30, 60]
  const P6: Record<string, Record<string, string>> = { 'points-filter': { bbox: EUROPE.join(',') }, 'points-snap': { cell: '0.5' } }
  for (const m of POINTS_TO_POINTS) {
    it(`${m.name}`, async () => {
      const t = table(placesBytes())
      const params = P6[m.name] ?? {}
      const kept = m.name === 'points-filter'
        ? t.rows.map((r, i) => i).filter((i) => { const x = Number(t.rows[i][t.x]), y = Number(t.rows[i][t.y]); return x >= EUROPE[0] && x <= EUROPE[2] && y >= EUROPE[1] && y <= EUROPE[3] })
        : t.rows.map((_, i) => i)
      expect(kept.length).toBeGreaterThan(0)
      const out = table(await exec(m.name, placesBytes(), 'places.csv', 'out.csv', { params }))
      const idCol = out.header.indexOf('id')
      row('6 places.csv → CSV', m.name, null, { rows_in: t.rows.length, expected_rows: kept.length, rows_out: out.rows.length, header_out: out.header.join('|') })
      expect(out.rows.length).toBe(kept.length)
      expect(idCol).toBeGreaterThanOrEqual(0)
      // every column of the file is there, by name
      for (const h of t.header) expect(out.header.includes(h) || (t.header.indexOf(h) === t.x || t.header.indexOf(h) === t.y), `column ${h}`).toBe(true)
      out.rows.forEach((r, k) => {
        const src = t.rows[kept[k]]
        expect(Number(r[idCol]), `row ${k + 2}: id`).toBe(kept[k])
        for (const i of others(t)) expect(r[out.header.indexOf(t.header[i])], `row ${k + 2}: ${t.header[i]}`).toBe(src[i])
        if (m.name !== 'points-snap') {
          expect(Number(r[out.x]), `row ${k + 2}: x`).toBe(Number(src[t.x]))
          expect(Number(r[out.y]), `row ${k + 2}: y`).toBe(Number(src[t.y]))
        }
      })
      const gj = json(await exec(m.name, placesBytes(), 'places.csv', 'out.geojson', { params }))
      expect(gj.features.length).toBe(kept.length)
      gj.features.forEach((f, k) => {
        const src = t.rows[kept[k]]
        for (const i of others(t)) expect(String(f.properties?.[t.header[i]]), `feature ${k}: ${t.header[i]}`).toBe(src[i])
      })
    })
  }
})

// ─── the real CLI agrees with the in-process runs above ─────────────────────────────────────────────

describe('the real CLI (graticule exec) does what the in-process runs do', () => {
  let runs: Promise<CliResult[]>
  beforeAll(() => {
    writeFileSync(join(dir, 'states.geojson'), geojson(states))
    writeFileSync(join(dir, 'mixed.geojson'), geojson(mixed))
    runs = (async () => {
      // exec writes a .region of the mixed collection in EPSG:3857 …
      const wrote = await runCli(['exec', 'reproject', '--in', join(dir, 'mixed.geojson'), '--out', join(dir, 'mixed-3857.region'), '--param', 'to=EPSG:3857'])
      return Promise.all([
        runCli(['exec', 'reproject', '--in', PLACES_PATH, '--out', join(dir, 'cli-3857.csv'), '--param', 'to=EPSG:3857']),
        runCli(['exec', 'h3-bin', '--in', join(dir, 'states.geojson'), '--out', join(dir, 'cli-h3.geojson'), '--param', 'res=2']),
        Promise.resolve(wrote),
        // … and reads it back
        runCli(['exec', 'reproject', '--in', join(dir, 'mixed-3857.region'), '--out', join(dir, 'mixed-back.geojson'), '--param', 'to=EPSG:4326']),
      ])
    })()
  })
  it('reproject places.csv → 3857 CSV: the same bytes; h3-bin on polygons: refused with the same code', async () => {
    const [reproject, h3] = await runs
    expect(reproject.code, reproject.stderr).toBe(0)
    expect(dec(readFileSync(join(dir, 'cli-3857.csv')))).toBe(dec(await exec('reproject', placesBytes(), 'places.csv', 'x.csv', { params: { to: 'EPSG:3857' } })))
    const inProcess = await refusal(() => exec('h3-bin', geojson(states), 'states.geojson', 'x.geojson', { params: { res: '2' } }))
    expect(h3.code).not.toBe(0)
    expect(h3.stderr).toContain(inProcess.code)
    expect(h3.stderr).toContain('features[0]')
    row('CLI parity', 'places.csv, states-10m', null, { reproject_exit: String(reproject.code), h3_exit: String(h3.code), h3_stderr: h3.stderr.trim().split('\n')[0] })
  })

  it('mixed → reproject → .region → reproject (graticule exec reads back the .region it wrote): the GeoJSON round trip\'s collection', async () => {
    const [, , wrote, read] = await runs
    row('CLI .region read-back', 'mixed', null, { write_exit: String(wrote.code), read_exit: String(read.code), read_stderr: read.stderr.trim().split('\n')[0] })
    expect(wrote.code, wrote.stderr).toBe(0)
    expect(read.code, read.stderr).toBe(0)
    expect(json(readFileSync(join(dir, 'mixed-back.geojson')))).toStrictEqual(json((await viaGeoJSON('mixed')).backBytes))
  })
})
