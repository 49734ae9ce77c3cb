// CLUSTERS regions ↔ arrays and supercluster-style GeoJSON: a cluster is a Point feature with
// {cluster: true, cluster_id, point_count, point_count_abbreviated, weight}, a lone point a Point feature
// with its id and {weight}. GeoJSON is always lon/lat: EPSG:3857 regions go through the exact inverse
// spherical mercator.
import * as L from '../abi/layout.js'
import { checkRegion, createRegion, type Descriptor, type RegionMemory } from '../abi/region.js'
import { fail } from '../../errors/index.js'
import { asFeatures } from './points.js'

export interface ClusterArrays {
  x: Float64Array
  y: Float64Array
  /** points inside; 1 = an input point */
  count: Float64Array
  weight: Float64Array
  /** supercluster's cluster_id, or the input point's id when count = 1 */
  id: Float64Array
  crs: number
  /** the zoom the clusters were made for (region aux) */
  zoom: number
  /** region extent: the query bbox, in crs units */
  extent: [number, number, number, number]
}

export function clusterArrays(n: number, crs = 4326, zoom = 0): ClusterArrays {
  return {
    x: new Float64Array(n), y: new Float64Array(n), count: new Float64Array(n), weight: new Float64Array(n),
    id: new Float64Array(n), crs, zoom, extent: [NaN, NaN, NaN, NaN],
  }
}

const FIELDS = L.CLUSTER_STRIDE / 8

/** Reads a CLUSTERS region out into fresh arrays (the one copy out). */
export function readClusters(bytes: Uint8Array, d: Descriptor): ClusterArrays {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const h = checkRegion(dv, d.ptr, d.len)
  if (h.kind !== L.KIND_CLUSTERS) throw fail('E_BAD_REGION', `expected a clusters region, got kind ${h.kind}`)
  const n = h.count
  const f = new Float64Array(bytes.buffer, bytes.byteOffset + d.ptr + h.sections[0].offset, n * FIELDS)
  const c = clusterArrays(n, h.crs, h.aux)
  c.extent = [h.minX, h.minY, h.maxX, h.maxY]
  for (let i = 0, j = 0; i < n; i++, j += FIELDS) {
    c.x[i] = f[j + L.CLUSTER_X / 8]
    c.y[i] = f[j + L.CLUSTER_Y / 8]
    c.count[i] = f[j + L.CLUSTER_COUNT / 8]
    c.weight[i] = f[j + L.CLUSTER_WEIGHT / 8]
    c.id[i] = f[j + L.CLUSTER_ID / 8]
  }
  return c
}

/** Writes clusters into a new region (tests, and chains that start from clusters). */
export function writeClusters(mem: RegionMemory, c: ClusterArrays): Descriptor {
  const n = c.x.length
  const r = createRegion(mem, {
    kind: L.KIND_CLUSTERS, count: n, stride: L.CLUSTER_STRIDE, crs: c.crs, aux: c.zoom, extent: c.extent,
    sections: [{ bytes: n * L.CLUSTER_STRIDE, count: n }],
  })
  const f = new Float64Array(mem.bytes().buffer, r.sectionPtrs[0], n * FIELDS)
  for (let i = 0, j = 0; i < n; i++, j += FIELDS) {
    f[j + L.CLUSTER_X / 8] = c.x[i]
    f[j + L.CLUSTER_Y / 8] = c.y[i]
    f[j + L.CLUSTER_COUNT / 8] = c.count[i]
    f[j + L.CLUSTER_WEIGHT / 8] = c.weight[i]
    f[j + L.CLUSTER_ID / 8] = c.id[i]
  }
  return { ptr: r.ptr, len: r.len }
}

const R = 6378137

/** EPSG:3857 metres → lon/lat degrees (exact inverse spherical mercator). */
export function mercatorToLonLat(x: number, y: number): [number, number] {
  return [(x / R) * (180 / Math.PI), (2 * Math.atan(Math.exp(y / R)) - Math.PI / 2) * (180 / Math.PI)]
}

/** lon/lat degrees → EPSG:3857 metres (spherical mercator). */
export function lonLatToMercator(lon: number, lat: number): [number, number] {
  return [(lon * Math.PI / 180) * R, Math.log(Math.tan(Math.PI / 4 + (lat * Math.PI / 180) / 2)) * R]
}

/** supercluster's point_count_abbreviated. */
export function abbreviate(count: number): number | string {
  return count >= 10000 ? `${Math.round(count / 1000)}k` : count >= 1000 ? `${Math.round(count / 100) / 10}k` : count
}

function lonLat(c: ClusterArrays, i: number): [number, number] {
  if (c.crs === 3857) return mercatorToLonLat(c.x[i], c.y[i])
  if (c.crs === 4326) return [c.x[i], c.y[i]]
  throw fail('E_BAD_REGION', `clusters in EPSG:${c.crs} cannot be written as GeoJSON (need 4326 or 3857)`)
}

/** The FeatureCollection supercluster's getClusters returns (with weights as properties). */
export function clustersToGeoJSON(c: ClusterArrays): { type: 'FeatureCollection'; features: object[] } {
  const features: object[] = []
  for (let i = 0; i < c.x.length; i++) {
    const geometry = { type: 'Point', coordinates: lonLat(c, i) }
    const count = c.count[i]
    if (count > 1) {
      const properties = { cluster: true, cluster_id: c.id[i], point_count: count, point_count_abbreviated: abbreviate(count), weight: c.weight[i] }
      features.push({ type: 'Feature', id: c.id[i], properties, geometry })
    } else {
      features.push({ type: 'Feature', id: c.id[i], properties: { weight: c.weight[i] }, geometry })
    }
  }
  return { type: 'FeatureCollection', features }
}

/**
 * supercluster-style features (getClusters output, or clustersToGeoJSON's) back to arrays, in lon/lat.
 * Cluster weight from `weightProperty` (default `weight`), else the point count; a lone point's weight
 * from the same property, else 1; its id from the feature id (NaN if absent).
 */
export function clustersFromGeoJSON(json: unknown, weightProperty = 'weight'): ClusterArrays {
  const features = asFeatures(json)
  const c = clusterArrays(features.length)
  features.forEach((f, i) => {
    const g = f.geometry
    const xy = g && g.type === 'Point' ? (g.coordinates as number[]) : null
    if (!xy || typeof xy[0] !== 'number' || typeof xy[1] !== 'number') throw fail('E_BAD_GEOJSON', `features[${i}] is not a Point`)
    const p = f.properties ?? {}
    const cluster = p.cluster === true
    const count = cluster ? Number(p.point_count) : 1
    const w = p[weightProperty]
    c.x[i] = xy[0]
    c.y[i] = xy[1]
    c.count[i] = count
    c.weight[i] = typeof w === 'number' ? w : count
    c.id[i] = cluster ? Number(p.cluster_id) : typeof f.id === 'number' ? f.id : NaN
  })
  return c
}
