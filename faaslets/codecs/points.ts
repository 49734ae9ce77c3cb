// POINTS regions ↔ arrays, GeoJSON features and CSV; what a points region cannot hold is carried beside it.
import * as L from '../abi/layout.js'
import { checkRegion, createRegion, type Descriptor, type RegionMemory } from '../abi/region.js'
import { fail } from '../../errors/index.js'
import { coordinate, propertyValue, readCsvTable } from './csv.js'
import { checkPosition } from './features.js'

export interface PointArrays {
  x: Float64Array
  y: Float64Array
  weight: Float64Array
  id: Float64Array
  crs: number
}

export function pointArrays(n: number, crs = 4326): PointArrays {
  return { x: new Float64Array(n), y: new Float64Array(n), weight: new Float64Array(n).fill(1), id: new Float64Array(n), crs }
}

/** Writes points into a new region (the one copy in); extent is their bounding box. */
export function writePoints(mem: RegionMemory, p: PointArrays): Descriptor {
  const n = p.x.length
  let minX = Infinity, minY = Infinity, maxX = -Infinity, maxY = -Infinity
  for (let i = 0; i < n; i++) {
    const x = p.x[i], y = p.y[i]
    if (x < minX) minX = x
    if (x > maxX) maxX = x
    if (y < minY) minY = y
    if (y > maxY) maxY = y
  }
  const extent: [number, number, number, number] = n ? [minX, minY, maxX, maxY] : [NaN, NaN, NaN, NaN]
  const r = createRegion(mem, {
    kind: L.KIND_POINTS, count: n, stride: L.POINT_STRIDE, crs: p.crs, extent,
    sections: [{ bytes: n * L.POINT_STRIDE, count: n }],
  })
  const f = new Float64Array(mem.bytes().buffer, r.sectionPtrs[0], n * 4)
  for (let i = 0, j = 0; i < n; i++, j += 4) {
    f[j] = p.x[i]
    f[j + 1] = p.y[i]
    f[j + 2] = p.weight[i]
    f[j + 3] = p.id[i]
  }
  return { ptr: r.ptr, len: r.len }
}

/** Reads a POINTS region out into fresh arrays (the one copy out). */
export function readPoints(bytes: Uint8Array, d: Descriptor): PointArrays {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const h = checkRegion(dv, d.ptr, d.len)
  if (h.kind !== L.KIND_POINTS) throw fail('E_BAD_REGION', `expected a points region, got kind ${h.kind}`)
  const n = h.count
  const f = new Float64Array(bytes.buffer, bytes.byteOffset + d.ptr + h.sections[0].offset, n * 4)
  const p = pointArrays(n, h.crs)
  for (let i = 0, j = 0; i < n; i++, j += 4) {
    p.x[i] = f[j]
    p.y[i] = f[j + 1]
    p.weight[i] = f[j + 2]
    p.id[i] = f[j + 3]
  }
  return p
}

interface GeoJsonFeature {
  type: 'Feature'
  id?: number | string
  geometry: { type: string; coordinates?: unknown; geometries?: unknown[] } | null
  properties: Record<string, unknown> | null
}

/** What a feature that is not one point becomes in a points region: refused (the default), each vertex, or the mean of its vertices (turf.centroid). */
export const GEOMETRY_AS_POINTS = ['refuse', 'vertices', 'centroid'] as const
export type GeometryAsPoints = (typeof GEOMETRY_AS_POINTS)[number]

/**
 * What a points region cannot hold, kept beside it by the boundary: for each point id, the feature's own
 * id (when the region's id is its index) and its other properties. encodeOutput puts them back on the
 * points a faaslet returns, so a points → points faaslet (filter, scale, snap, reproject) drops nothing.
 */
export interface CarriedProperties {
  keys: string[]
  byId: Map<number, { id?: number | string; values: unknown[] }>
}

export interface PointsInput extends PointArrays {
  carried?: CarriedProperties
}

/**
 * The features of a FeatureCollection (or a bare Feature/geometry) as points. A Point is one point; any
 * other geometry follows `geometry` (refuse | vertices | centroid; a MultiPoint's vertices are its points,
 * so `refuse` takes them too). Weight comes from the `weightProperty` (default `weight`, then `value`), else 1.
 * Ids are the feature ids when they are numbers and unique, else the feature's index (its own id carried).
 * Properties other than the weight are carried (CarriedProperties).
 */
export function pointsFromGeoJSON(json: unknown, opts: { geometry?: GeometryAsPoints; weightProperty?: string } = {}): PointsInput {
  const geometry = opts.geometry ?? 'refuse'
  const weightProperty = opts.weightProperty ?? 'weight'
  const features = asFeatures(json)
  const numericIds = new Set<number>()
  let indexIds = false
  for (const f of features) {
    if (typeof f.id !== 'number' || numericIds.has(f.id)) { indexIds = true; break }
    numericIds.add(f.id)
  }
  const xs: number[] = [], ys: number[] = [], ws: number[] = [], ids: number[] = []
  const keys: string[] = [], keyIndex = new Map<string, number>()
  const byId = new Map<number, { id?: number | string; values: unknown[] }>()
  features.forEach((f, index) => {
    const positions = featurePositions(f, index, geometry)
    const props = f.properties ?? {}
    const wKey = weightProperty in props ? weightProperty : 'value' in props ? 'value' : null
    const wRaw = wKey === null ? 1 : props[wKey]
    const w = typeof wRaw === 'number' && Number.isFinite(wRaw) ? wRaw : 1
    const id = indexIds ? index : (f.id as number)
    const values: unknown[] = []
    for (const k in props) {
      if (k === wKey && typeof props[k] === 'number') continue
      if (!keyIndex.has(k)) { keyIndex.set(k, keys.length); keys.push(k) }
      values[keyIndex.get(k)!] = props[k]
    }
    byId.set(id, indexIds && f.id !== undefined ? { id: f.id, values } : { values })
    for (const [x, y] of positions) { xs.push(x); ys.push(y); ws.push(w); ids.push(id) }
  })
  const carried = keys.length > 0 || (indexIds && features.some((f) => f.id !== undefined)) ? { keys, byId } : undefined
  return { x: Float64Array.from(xs), y: Float64Array.from(ys), weight: Float64Array.from(ws), id: Float64Array.from(ids), crs: 4326, carried }
}

/** The positions a feature stands for as points (see pointsFromGeoJSON). */
function featurePositions(f: GeoJsonFeature, index: number, geometry: GeometryAsPoints): [number, number][] {
  const g = f.geometry
  const where = `features[${index}]`
  if (g === null || g === undefined) {
    if (geometry === 'refuse') throw fail('E_CANNOT_CARRY', `${where} (a null geometry)`, 'a points region: it has no position (geometry=vertices or centroid gives it none)')
    return []
  }
  if (g.type === 'Point') return [position(g.coordinates, where)]
  if (g.type !== 'MultiPoint' && geometry === 'refuse') {
    throw fail('E_CANNOT_CARRY', `${where} (a ${g.type})`, 'a points region: say how with geometry=vertices (each vertex) or geometry=centroid (the mean of its vertices)')
  }
  const vertices: [number, number][] = []
  collectVertices(g, `${where}.geometry`, vertices)
  if (g.type === 'MultiPoint' || geometry === 'vertices') return vertices
  if (vertices.length === 0) return []
  let sx = 0, sy = 0
  for (const [x, y] of vertices) { sx += x; sy += y }
  return [[sx / vertices.length, sy / vertices.length]]
}

/** Every position once (a ring's closing position, which repeats its first, is left out — as turf's coordEach(excludeWrapCoord)). */
function collectVertices(g: { type: string; coordinates?: unknown; geometries?: unknown[] }, where: string, out: [number, number][]): void {
  const c = g.coordinates as unknown[]
  const line = (l: unknown, w: string, ring: boolean) => {
    if (!Array.isArray(l)) throw fail('E_BAD_GEOJSON', `${w}: expected an array of positions`)
    const n = ring && l.length > 1 ? l.length - 1 : l.length
    for (let i = 0; i < n; i++) out.push(position(l[i], `${w}[${i}]`))
  }
  const list = (v: unknown, w: string) => {
    if (!Array.isArray(v)) throw fail('E_BAD_GEOJSON', `${w}: expected an array`)
    return v
  }
  switch (g.type) {
    case 'Point': out.push(position(c, `${where}.coordinates`)); break
    case 'MultiPoint': case 'LineString': line(c, `${where}.coordinates`, false); break
    case 'MultiLineString': list(c, `${where}.coordinates`).forEach((l, i) => line(l, `${where}.coordinates[${i}]`, false)); break
    case 'Polygon': list(c, `${where}.coordinates`).forEach((l, i) => line(l, `${where}.coordinates[${i}]`, true)); break
    case 'MultiPolygon': list(c, `${where}.coordinates`).forEach((p, i) => list(p, `${where}.coordinates[${i}]`).forEach((l, j) => line(l, `${where}.coordinates[${i}][${j}]`, true))); break
    case 'GeometryCollection': list(g.geometries, `${where}.geometries`).forEach((m, i) => collectVertices(m as typeof g, `${where}.geometries[${i}]`, out)); break
    default: throw fail('E_BAD_GEOJSON', `${where}.type: unknown geometry type ${JSON.stringify(g.type)}`)
  }
}

function position(c: unknown, where: string): [number, number] {
  checkPosition(c, where)
  return [(c as number[])[0], (c as number[])[1]]
}

export function asFeatures(json: unknown): GeoJsonFeature[] {
  const j = json as { type?: string; features?: unknown; geometry?: unknown; coordinates?: unknown }
  if (!j || typeof j !== 'object') throw fail('E_BAD_GEOJSON', 'expected a GeoJSON object')
  if (j.type === 'FeatureCollection') {
    if (!Array.isArray(j.features)) throw fail('E_BAD_GEOJSON', 'FeatureCollection without a features array')
    j.features.forEach((f: { type?: string }, i: number) => {
      if (!f || f.type !== 'Feature') throw fail('E_BAD_GEOJSON', `features[${i}] is not a Feature`)
    })
    return j.features as GeoJsonFeature[]
  }
  if (j.type === 'Feature') return [j as GeoJsonFeature]
  if (typeof j.type === 'string' && ('coordinates' in j || 'geometries' in j)) return [{ type: 'Feature', geometry: j as GeoJsonFeature['geometry'], properties: {} }]
  throw fail('E_BAD_GEOJSON', `unsupported GeoJSON type ${JSON.stringify(j.type)}`)
}

/** Points as GeoJSON Point features, with what the boundary carried for them put back (CarriedProperties). */
export function pointsToGeoJSON(p: PointArrays, carried?: CarriedProperties): object {
  const features = []
  for (let i = 0; i < p.x.length; i++) {
    const row = carried?.byId.get(p.id[i])
    const properties: Record<string, unknown> = { weight: p.weight[i] }
    if (row) carried!.keys.forEach((k, j) => { if (j in row.values) properties[k] = row.values[j] })
    features.push({ type: 'Feature', id: row?.id ?? p.id[i], geometry: { type: 'Point', coordinates: [p.x[i], p.y[i]] }, properties })
  }
  return { type: 'FeatureCollection', features }
}

/**
 * CSV (faaslets/codecs/csv.ts reads it) as points: the weight column (weight/value/w) is the weight, an
 * `id` column of unique numbers is the id; otherwise ids are row indexes. Every other column is carried.
 */
export function pointsFromCsv(text: string, delimiter?: string): PointsInput {
  const t = readCsvTable(text, delimiter)
  const names = t.columns.map((c) => c.trim().toLowerCase())
  const iw = ['weight', 'value', 'w'].map((n) => names.indexOf(n)).find((i) => i >= 0) ?? -1
  const iid = names.indexOf('id')
  const idValues = iid >= 0 ? t.rows.map((row) => row[iid].trim() === '' ? NaN : Number(row[iid])) : []
  const idsUsable = iid >= 0 && idValues.every((v) => Number.isFinite(v)) && new Set(idValues).size === idValues.length
  const keep = t.columns.map((_, i) => i).filter((i) => i !== t.x && i !== t.y && i !== iw && !(idsUsable && i === iid))
  const n = t.rows.length
  const p: PointsInput = pointArrays(n)
  const byId = new Map<number, { values: unknown[] }>()
  for (let r = 0; r < n; r++) {
    const row = t.rows[r]
    p.x[r] = coordinate(t, r, t.x)
    p.y[r] = coordinate(t, r, t.y)
    if (iw >= 0 && row[iw].trim() !== '') {
      const w = Number(row[iw])
      if (!Number.isFinite(w)) throw fail('E_BAD_CSV', `${t.lines[r]}, column ${iw + 1} (${t.columns[iw]})`, `a weight must be a number, got ${JSON.stringify(row[iw])}`)
      p.weight[r] = w
    }
    p.id[r] = idsUsable ? idValues[r] : r
    if (keep.length) byId.set(p.id[r], { values: keep.map((i) => propertyValue(row[i])) })
  }
  if (keep.length) p.carried = { keys: keep.map((i) => t.columns[i]), byId }
  return p
}

/** Points as CSV: lon,lat (x,y when the crs is projected),weight,id, then the carried columns. */
export function pointsToCsv(p: PointArrays, carried?: CarriedProperties): string {
  const keys = carried?.keys ?? []
  const head = [...(p.crs === 4326 ? ['lon', 'lat'] : ['x', 'y']), 'weight', 'id']
  const clash = keys.find((k) => head.includes(k))
  const rows = [[...head, ...keys].map(csvField).join(',')]
  for (let i = 0; i < p.x.length; i++) {
    const row = carried?.byId.get(p.id[i])
    const id = row?.id ?? p.id[i]
    if (clash && row && row.values[keys.indexOf(clash)] !== undefined) throw fail('E_CANNOT_CARRY', `column "${clash}"`, 'CSV: it is also a coordinate, weight or id column')
    rows.push([String(p.x[i]), String(p.y[i]), String(p.weight[i]), csvField(id), ...keys.map((_, j) => csvField(row?.values[j]))].join(','))
  }
  return rows.join('\n') + '\n'
}

/** One CSV field: RFC 4180 quoting; null and undefined are empty; arrays and objects as JSON. */
export function csvField(v: unknown): string {
  if (v === null || v === undefined) return ''
  const s = typeof v === 'object' ? JSON.stringify(v) : String(v)
  return /[",\r\n]/.test(s) || s !== s.trim() ? `"${s.replace(/"/g, '""')}"` : s
}
