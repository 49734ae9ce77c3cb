// POINTS regions ↔ arrays, GeoJSON Point features and CSV (`lon,lat[,weight]` with a header row).
import * as L from '../abi/layout.js'
import { checkRegion, createRegion, type Descriptor, type RegionMemory } from '../abi/region.js'
import { fail } from '../../errors/index.js'

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
  geometry: { type: string; coordinates: unknown } | null
  properties: Record<string, unknown> | null
}

/**
 * Point and MultiPoint features of a FeatureCollection (or a bare Feature/geometry) as points. Weight
 * comes from the `weightProperty` (default `weight`, then `value`), else 1; ids from the feature id when
 * numeric, else the feature's index. Other geometry types are skipped and counted.
 */
export function pointsFromGeoJSON(json: unknown, weightProperty = 'weight'): PointArrays & { skipped: number } {
  const features = asFeatures(json)
  const xs: number[] = [], ys: number[] = [], ws: number[] = [], ids: number[] = []
  let skipped = 0
  features.forEach((f, index) => {
    const g = f.geometry
    if (!g) { skipped++; return }
    const props = f.properties ?? {}
    const wRaw = props[weightProperty] ?? props.value
    const w = typeof wRaw === 'number' && Number.isFinite(wRaw) ? wRaw : 1
    const id = typeof f.id === 'number' ? f.id : index
    const coords = g.type === 'Point' ? [g.coordinates] : g.type === 'MultiPoint' ? (g.coordinates as unknown[]) : null
    if (!coords) { skipped++; return }
    for (const c of coords) {
      if (!Array.isArray(c) || c.length < 2 || typeof c[0] !== 'number' || typeof c[1] !== 'number' || !Number.isFinite(c[0]) || !Number.isFinite(c[1])) {
        throw fail('E_BAD_GEOJSON', `feature ${index}: a position must be [number, number], got ${JSON.stringify(c)}`)
      }
      xs.push(c[0]); ys.push(c[1]); ws.push(w); ids.push(id)
    }
  })
  return { x: Float64Array.from(xs), y: Float64Array.from(ys), weight: Float64Array.from(ws), id: Float64Array.from(ids), crs: 4326, skipped }
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
  if (typeof j.type === 'string' && 'coordinates' in j) return [{ type: 'Feature', geometry: j as GeoJsonFeature['geometry'], properties: {} }]
  throw fail('E_BAD_GEOJSON', `unsupported GeoJSON type ${JSON.stringify(j.type)}`)
}

export function pointsToGeoJSON(p: PointArrays): object {
  const features = []
  for (let i = 0; i < p.x.length; i++) {
    features.push({ type: 'Feature', id: p.id[i], geometry: { type: 'Point', coordinates: [p.x[i], p.y[i]] }, properties: { weight: p.weight[i] } })
  }
  return { type: 'FeatureCollection', features }
}

/** CSV with a header row naming lon/lat (or x/y, longitude/latitude) and optionally weight/value, id. */
export function pointsFromCsv(text: string): PointArrays {
  const lines = text.split(/\r?\n/)
  const header = (lines[0] ?? '').split(',').map((s) => s.trim().toLowerCase())
  const col = (...names: string[]) => header.findIndex((h) => names.includes(h))
  const ix = col('lon', 'lng', 'longitude', 'x')
  const iy = col('lat', 'latitude', 'y')
  const iw = col('weight', 'value', 'w')
  const iid = col('id')
  if (ix < 0 || iy < 0) throw fail('E_BAD_CSV', 1, `header must name lon and lat columns, got "${lines[0] ?? ''}"`)
  const xs: number[] = [], ys: number[] = [], ws: number[] = [], ids: number[] = []
  for (let li = 1; li < lines.length; li++) {
    const line = lines[li].trim()
    if (!line) continue
    const cells = line.split(',')
    const x = Number(cells[ix]), y = Number(cells[iy])
    if (!Number.isFinite(x) || !Number.isFinite(y) || cells[ix]?.trim() === '' || cells[iy]?.trim() === '') {
      throw fail('E_BAD_CSV', li + 1, `lon/lat must be numbers, got "${line}"`)
    }
    const w = iw >= 0 && cells[iw] !== undefined && cells[iw].trim() !== '' ? Number(cells[iw]) : 1
    if (!Number.isFinite(w)) throw fail('E_BAD_CSV', li + 1, `weight must be a number, got "${cells[iw]}"`)
    xs.push(x); ys.push(y); ws.push(w); ids.push(iid >= 0 ? Number(cells[iid]) || xs.length - 1 : xs.length - 1)
  }
  return { x: Float64Array.from(xs), y: Float64Array.from(ys), weight: Float64Array.from(ws), id: Float64Array.from(ids), crs: 4326 }
}

export function pointsToCsv(p: PointArrays): string {
  const rows = ['lon,lat,weight,id']
  for (let i = 0; i < p.x.length; i++) rows.push(`${p.x[i]},${p.y[i]},${p.weight[i]},${p.id[i]}`)
  return rows.join('\n') + '\n'
}
