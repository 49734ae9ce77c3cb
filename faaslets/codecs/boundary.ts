// The chain boundary: what users send (tile bytes, GeoJSON, CSV, NDJSON, grids, PNG) becomes the one input
// region, and output regions become what users get back (PNG, GeoJSON, grid JSON, CSV, MVT). The CLI and
// the gateway both go through here, so a file and an HTTP body of the same format behave the same.
import * as L from '../abi/layout.js'
import { checkRegion, NAME_BY_KIND, type Descriptor, type RegionMemory } from '../abi/region.js'
import type { RegionKindName } from '../abi/manifest.js'
import { fail } from '../../errors/index.js'
import { clustersToGeoJSON, readClusters } from './clusters.js'
import { readFeatures, writeFeatures, type FeatureCollection } from './features.js'
import { featuresToCsv } from './features-csv.js'
import { gridToJson, imageToPng, pngToImage, writeGridJson } from './grid.js'
import { gunzipTile, readMvt, writeMvt, type TileAddress } from './mvt.js'
import { GEOMETRY_AS_POINTS, pointsFromCsv, pointsFromGeoJSON, pointsToCsv, pointsToGeoJSON, readPoints, writePoints, type CarriedProperties, type GeometryAsPoints, type PointArrays, type PointsInput } from './points.js'
import { resolveCrs } from '../abi/crs-names.js'
import { csvFeatures, readCsvTable } from './csv.js'
import { crsMember, crsOfGeoJSON } from './geojson-crs.js'
import { GEOTIFF_MEDIA_TYPE, gridToGeoTiff } from './geotiff.js'

export type InputFormat = 'mvt' | 'geojson' | 'csv' | 'ndjson' | 'grid' | 'png' | 'region'
export type OutputFormat = 'png' | 'geojson' | 'grid' | 'tiff' | 'mvt' | 'csv' | 'region'

/** A region itself as a body or a file: no parsing at all, validated and copied in as it is. */
export const REGION_MEDIA_TYPE = 'application/vnd.graticule.region'

export const MEDIA_TYPES: Record<OutputFormat, string> = {
  png: 'image/png',
  geojson: 'application/geo+json',
  grid: 'application/json',
  tiff: GEOTIFF_MEDIA_TYPE,
  mvt: 'application/vnd.mapbox-vector-tile',
  csv: 'text/csv; charset=utf-8',
  region: REGION_MEDIA_TYPE,
}

export function inputFormatFromPath(path: string): InputFormat {
  const p = path.toLowerCase()
  if (/\.(mvt|pbf)(\.gz)?$/.test(p)) return 'mvt'
  if (p.endsWith('.grid.json')) return 'grid'
  if (p.endsWith('.geojson') || p.endsWith('.json')) return 'geojson'
  if (p.endsWith('.csv')) return 'csv'
  if (p.endsWith('.ndjson') || p.endsWith('.jsonl')) return 'ndjson'
  if (p.endsWith('.png')) return 'png'
  if (p.endsWith('.region')) return 'region'
  throw fail('E_BAD_FORMAT', path, 'unknown extension; use .mvt/.pbf, .geojson/.json, .csv, .ndjson, .grid.json, .png or .region')
}

export function outputFormatFromPath(path: string): OutputFormat {
  const p = path.toLowerCase()
  if (p.endsWith('.png')) return 'png'
  if (p.endsWith('.grid.json')) return 'grid'
  if (p.endsWith('.tif') || p.endsWith('.tiff')) return 'tiff'
  if (p.endsWith('.geojson') || p.endsWith('.json')) return 'geojson'
  if (p.endsWith('.csv')) return 'csv'
  if (p.endsWith('.mvt') || p.endsWith('.pbf')) return 'mvt'
  if (p.endsWith('.region')) return 'region'
  throw fail('E_BAD_FORMAT', path, 'unknown extension; use .png, .geojson/.json, .grid.json, .tif (GeoTIFF), .csv, .mvt or .region')
}

/** Content type (without parameters) → input format. */
export function inputFormatFromMedia(contentType: string | undefined): InputFormat | null {
  const t = (contentType ?? '').split(';')[0].trim().toLowerCase()
  switch (t) {
    case 'application/vnd.mapbox-vector-tile':
    case 'application/x-protobuf':
    case 'application/octet-stream':
      return 'mvt'
    case 'application/geo+json':
    case 'application/json':
      return 'geojson'
    case 'text/csv':
      return 'csv'
    case 'application/x-ndjson':
    case 'application/ndjson':
    case 'application/jsonl':
      return 'ndjson'
    case 'image/png':
      return 'png'
    case REGION_MEDIA_TYPE:
      return 'region'
    default:
      return null
  }
}

export const INPUT_MEDIA_TYPES = ['application/vnd.mapbox-vector-tile', 'application/x-protobuf', 'application/octet-stream', 'application/geo+json', 'application/json', 'text/csv', 'application/x-ndjson', 'image/png', REGION_MEDIA_TYPE]

/** An input parsed and checked, ready to be written into any memory (parse once, write per mode). */
export type PreparedInput =
  | { kind: 'mvt'; bytes: Uint8Array; tile?: TileAddress }
  | { kind: 'points'; points: PointsInput }
  | { kind: 'features'; json: unknown; crs: number }
  | { kind: 'grid'; json: unknown }
  | { kind: 'image'; png: Uint8Array }
  | { kind: 'region'; bytes: Uint8Array; count: number }

const text = (b: Uint8Array) => new TextDecoder('utf-8', { fatal: false }).decode(b)

function parseJson(b: Uint8Array): unknown {
  try {
    return JSON.parse(text(b))
  } catch (e) {
    throw fail('E_BAD_GEOJSON', `not JSON: ${(e as Error).message}`)
  }
}

/** NDJSON: one GeoJSON Feature or one {lon, lat[, value|weight][, id]} object per line. */
export function pointsFromNdjson(b: Uint8Array): PointArrays {
  const features: unknown[] = []
  text(b).split('\n').forEach((line, i) => {
    const l = line.trim()
    if (!l) return
    let o: Record<string, unknown>
    try {
      o = JSON.parse(l)
    } catch {
      throw fail('E_BAD_CSV', i + 1, 'not a JSON object')
    }
    if (o && o.type === 'Feature') features.push(o)
    else if (o && typeof o.lon === 'number' && typeof o.lat === 'number') {
      const w = typeof o.weight === 'number' ? o.weight : typeof o.value === 'number' ? o.value : 1
      features.push({ type: 'Feature', id: typeof o.id === 'number' ? o.id : undefined, geometry: { type: 'Point', coordinates: [o.lon, o.lat] }, properties: { weight: w } })
    } else throw fail('E_BAD_CSV', i + 1, 'expected a GeoJSON Feature or {lon, lat, value}')
  })
  return pointsFromGeoJSON({ type: 'FeatureCollection', features })
}

/** How to read an input beyond its bytes and format. */
export interface InputOptions {
  /** the tile an MVT input is */
  tile?: TileAddress
  /** EPSG code of coordinates the input does not name itself (CSV, GeoJSON without `crs`); default 4326 */
  crs?: number
  /** what a feature that is not a point becomes when the input is read as points (default refuse) */
  geometry?: GeometryAsPoints
  /** CSV delimiter (default: sniffed) */
  delimiter?: string
}

/** The input options as text (a command line's flags, a query string's parameters), checked. */
export function parseInputOptions(raw: { crs?: string; geometry?: string; delimiter?: string }, crsName = 'crs'): Omit<InputOptions, 'tile'> {
  const out: Omit<InputOptions, 'tile'> = {}
  if (raw.crs !== undefined) {
    const r = resolveCrs(raw.crs)
    if (r.error !== undefined) throw fail('E_BAD_PARAM', crsName, r.error)
    out.crs = r.code
  }
  if (raw.geometry !== undefined) {
    if (!(GEOMETRY_AS_POINTS as readonly string[]).includes(raw.geometry)) throw fail('E_BAD_PARAM', 'geometry', `expected one of ${GEOMETRY_AS_POINTS.join(', ')}, got ${JSON.stringify(raw.geometry)}`)
    out.geometry = raw.geometry as GeometryAsPoints
  }
  if (raw.delimiter !== undefined) out.delimiter = raw.delimiter
  return out
}

/** The input's CRS: the one a GeoJSON `crs` member names, else the declared one, else 4326; both must agree. */
function inputCrs(json: unknown, declared: number | undefined): number {
  const own = json === undefined ? undefined : crsOfGeoJSON(json)
  if (own !== undefined && declared !== undefined && own !== declared) throw fail('E_BAD_PARAM', 'from', `EPSG:${declared} was declared, but the GeoJSON's crs member says EPSG:${own}`)
  return own ?? declared ?? 4326
}

/** Parses bytes of `format` into what a region of kind `want` holds; refuses what cannot become one. */
export async function prepareInput(bytes: Uint8Array, format: InputFormat, want: RegionKindName, opts: InputOptions = {}): Promise<PreparedInput> {
  const tile = opts.tile
  const wrong = () => fail('E_BAD_FORMAT', format, `a ${format} body cannot become ${want} input`)
  if (format === 'region') {
    const own = bytes.byteOffset % 8 === 0 ? bytes : bytes.slice()
    const h = checkRegion(new DataView(own.buffer, own.byteOffset, own.byteLength), 0, own.byteLength)
    if (NAME_BY_KIND[h.kind] !== want) throw fail('E_BAD_FORMAT', 'region', `the region is ${NAME_BY_KIND[h.kind]}, this input takes ${want}`)
    return { kind: 'region', bytes: own.subarray(0, h.byteLength), count: h.count }
  }
  switch (want) {
    case 'mvt':
      if (format !== 'mvt') throw wrong()
      return { kind: 'mvt', bytes: await gunzipTile(bytes), tile }
    case 'points': {
      let points: PointsInput
      if (format === 'geojson') {
        const json = parseJson(bytes)
        points = { ...pointsFromGeoJSON(json, { geometry: opts.geometry }), crs: inputCrs(json, opts.crs) }
      } else if (format === 'csv') points = { ...pointsFromCsv(text(bytes), opts.delimiter), crs: inputCrs(undefined, opts.crs) }
      else if (format === 'ndjson') points = { ...pointsFromNdjson(bytes), crs: inputCrs(undefined, opts.crs) }
      else throw wrong()
      return { kind: 'points', points }
    }
    case 'features':
      if (format === 'geojson') {
        const json = parseJson(bytes)
        return { kind: 'features', json, crs: inputCrs(json, opts.crs) }
      }
      if (format === 'csv') return { kind: 'features', json: { type: 'FeatureCollection', features: csvFeatures(readCsvTable(text(bytes), opts.delimiter)) }, crs: inputCrs(undefined, opts.crs) }
      throw wrong()
    case 'grid':
      if (format === 'grid' || format === 'geojson') return { kind: 'grid', json: parseJson(bytes) }
      throw wrong()
    case 'image':
      if (format === 'png') return { kind: 'image', png: bytes }
      throw wrong()
    default:
      throw wrong()
  }
}

/** Writes a prepared input as a region (the one copy in). */
export function writePrepared(mem: RegionMemory, p: PreparedInput): Descriptor {
  switch (p.kind) {
    case 'mvt': return writeMvt(mem, p.bytes, p.tile)
    case 'points': return writePoints(mem, p.points)
    case 'features': return writeFeatures(mem, p.json, { crs: p.crs })
    case 'grid': return writeGridJson(mem, p.json)
    case 'image': return pngToImage(mem, p.png)
    case 'region': {
      const ptr = mem.alloc(p.bytes.length, 8)
      mem.bytes().set(p.bytes, ptr)
      return { ptr, len: p.bytes.length }
    }
  }
}

/** Number of points or features an input holds (for per-request limits). */
export function preparedSize(p: PreparedInput): number {
  if (p.kind === 'points') return p.points.x.length
  if (p.kind === 'region') return p.count
  if (p.kind === 'features') return Array.isArray((p.json as { features?: unknown[] })?.features) ? (p.json as { features: unknown[] }).features.length : 1
  return 0
}

/** How to write an output beyond its format. */
export interface OutputOptions {
  /** what the input's conversion to points carried beside the region (put back on points outputs) */
  carried?: CarriedProperties
  /** strict RFC 7946 GeoJSON: coordinates other than EPSG:4326 are refused rather than named in a crs member */
  rfc7946?: boolean
}

/** The input's carried properties, for encodeOutput. */
export function carriedOf(p: PreparedInput): CarriedProperties | undefined {
  return p.kind === 'points' ? p.points.carried : undefined
}

/**
 * JSON has no NaN or Infinity: a position a projection could not place (reproject keeps it as NaN or
 * Infinity) would be written as [null, null], which no reader takes. Refused instead, naming it.
 */
function finitePositions(fc: FeatureCollection, crs: number): FeatureCollection {
  const check = (c: unknown, where: string): void => {
    if (!Array.isArray(c)) return
    if (typeof c[0] === 'number') {
      if (!Number.isFinite(c[0]) || !Number.isFinite(c[1])) throw fail('E_CANNOT_CARRY', `${where} (${c[0]}, ${c[1]}): a position with no place in EPSG:${crs}`, 'GeoJSON, which has no NaN or Infinity (filter it out, or write CSV or a region)')
      return
    }
    c.forEach((x, i) => check(x, `${where}[${i}]`))
  }
  fc.features.forEach((f, i) => {
    const g = f.geometry
    if (g?.type === 'GeometryCollection') g.geometries.forEach((m, k) => check(m.coordinates, `features[${i}].geometry.geometries[${k}].coordinates`))
    else if (g) check(g.coordinates, `features[${i}].geometry.coordinates`)
  })
  return fc
}

/** Encodes an output region as `as` (the one copy out). */
export function encodeOutput(bytes: Uint8Array, d: Descriptor, as: OutputFormat, opts: OutputOptions = {}): Uint8Array {
  const header = checkRegion(new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength), d.ptr, d.len)
  const kind = header.kind
  const json = (v: object) => {
    if (as === 'geojson' && header.crs !== 4326 && header.crs !== 0) {
      if (opts.rfc7946) throw fail('E_CANNOT_CARRY', `EPSG:${header.crs} coordinates`, 'RFC 7946 GeoJSON, which is WGS84 lon/lat only (reproject to EPSG:4326, or leave out rfc7946 to have the crs named)')
      v = { type: (v as { type: string }).type, crs: crsMember(header.crs), ...v }
    }
    return new TextEncoder().encode(JSON.stringify(v))
  }
  switch (as) {
    case 'region': {
      const h = checkRegion(new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength), d.ptr, d.len)
      return bytes.slice(d.ptr, d.ptr + h.byteLength)
    }
    case 'png':
      if (kind === L.KIND_IMAGE) return imageToPng(bytes, d)
      break
    case 'grid':
      if (kind === L.KIND_GRID) return json(gridToJson(bytes, d))
      break
    case 'tiff':
      if (kind === L.KIND_GRID) return gridToGeoTiff(bytes, d)
      break
    case 'mvt':
      if (kind === L.KIND_MVT) return readMvt(bytes, d).bytes
      break
    case 'csv':
      if (kind === L.KIND_POINTS) return new TextEncoder().encode(pointsToCsv(readPoints(bytes, d), opts.carried))
      if (kind === L.KIND_FEATURES) return new TextEncoder().encode(featuresToCsv(readFeatures(bytes, d), header.crs))
      break
    case 'geojson':
      if (kind === L.KIND_POINTS) return json(finitePositions(pointsToGeoJSON(readPoints(bytes, d), opts.carried) as FeatureCollection, header.crs))
      if (kind === L.KIND_FEATURES) return json(finitePositions(readFeatures(bytes, d), header.crs))
      if (kind === L.KIND_CLUSTERS) return json(clustersToGeoJSON(readClusters(bytes, d)))
      break
  }
  throw fail('E_BAD_FORMAT', as, `a region of kind ${kind} cannot be written as ${as}`)
}
