// What the corpus covers: real boundaries (world-atlas countries, us-atlas states and counties, TopoJSON
// turned into GeoJSON by topojson-client), cut to regions chosen for what tiles make hard — the
// antimeridian (Fiji, the Bering Strait, the Aleutians), tiny islands (the Lesser Antilles, Fiji), polygons
// with holes (South Africa around Lesotho, Italy around San Marino and the Vatican, Virginia's counties
// around its independent cities), many neighbours (Europe, the counties of five states) — at zooms 0 to 8.
// Every encoder gets the same GeoJSON per region.
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import * as turf from '@turf/turf'
import { feature as topoFeature } from 'topojson-client'
import type { Topology } from 'topojson-specification'

/** [west, south, east, north]; a region across the antimeridian has one box on each side */
export type Box = [number, number, number, number]

export interface Region {
  /** also the layer name in every tile */
  name: string
  source: 'countries-110m' | 'countries-50m' | 'states-10m' | 'counties-10m'
  /** null: the whole world */
  boxes: Box[] | null
  minZoom: number
  maxZoom: number
}

export const REGIONS: Region[] = [
  { name: 'world', source: 'countries-110m', boxes: null, minZoom: 0, maxZoom: 3 },
  { name: 'europe', source: 'countries-50m', boxes: [[-10, 36, 30, 60]], minZoom: 4, maxZoom: 5 },
  { name: 'fiji', source: 'countries-50m', boxes: [[176, -21, 180, -15.5], [-180, -21, -178, -15.5]], minZoom: 4, maxZoom: 8 },
  { name: 'bering', source: 'countries-50m', boxes: [[168, 62, 180, 70], [-180, 62, -166, 70]], minZoom: 3, maxZoom: 6 },
  { name: 'antilles', source: 'countries-50m', boxes: [[-62.5, 12, -60.5, 17.5]], minZoom: 5, maxZoom: 8 },
  { name: 'lesotho', source: 'countries-50m', boxes: [[26.8, -30.8, 29.6, -28.4]], minZoom: 4, maxZoom: 8 },
  { name: 'italy', source: 'countries-50m', boxes: [[11.9, 41.8, 12.6, 44.0]], minZoom: 5, maxZoom: 8 },
  { name: 'states', source: 'states-10m', boxes: [[-125, 24, -66, 50]], minZoom: 2, maxZoom: 4 },
  { name: 'aleutians', source: 'states-10m', boxes: [[172, 51, 180, 53.5], [-180, 51, -172, 53.5]], minZoom: 5, maxZoom: 6 },
  { name: 'virginia', source: 'counties-10m', boxes: [[-79.5, 37, -76.5, 39]], minZoom: 6, maxZoom: 8 },
  { name: 'counties', source: 'counties-10m', boxes: [[-90, 35, -80, 40]], minZoom: 5, maxZoom: 7 },
]

const FILES: Record<Region['source'], [string, string]> = {
  'countries-110m': ['world-atlas/countries-110m.json', 'countries'],
  'countries-50m': ['world-atlas/countries-50m.json', 'countries'],
  'states-10m': ['us-atlas/states-10m.json', 'states'],
  'counties-10m': ['us-atlas/counties-10m.json', 'counties'],
}

export interface InputFeature {
  type: 'Feature'
  id?: number
  geometry: { type: 'Polygon' | 'MultiPolygon'; coordinates: number[][][] | number[][][][] }
  properties: Record<string, string | number | boolean>
}

const require = createRequire(import.meta.url)
const sources = new Map<string, InputFeature[]>()

/**
 * The features of a source, as every encoder is given them: a numeric id (the ISO or FIPS code; MVT ids are
 * unsigned integers), the name, and properties of each value type (int, double, bool).
 */
function sourceFeatures(source: Region['source']): InputFeature[] {
  const cached = sources.get(source)
  if (cached) return cached
  const [file, object] = FILES[source]
  const topology = JSON.parse(readFileSync(require.resolve(file), 'utf8')) as Topology
  const collection = topoFeature(topology, topology.objects[object]) as unknown as { features: Array<{ id?: string | number; geometry: InputFeature['geometry'] | null; properties: { name?: string } | null }> }
  const list: InputFeature[] = []
  collection.features.forEach((f, i) => {
    if (!f.geometry) return
    const id = f.id === undefined ? NaN : Number(f.id)
    list.push({
      type: 'Feature',
      ...(Number.isInteger(id) && id >= 0 ? { id } : {}),
      geometry: f.geometry,
      properties: { name: f.properties?.name ?? '', rank: i, ratio: (i % 13) / 7, odd: i % 2 === 1 },
    })
  })
  sources.set(source, list)
  return list
}

/** The region's features, cut to its boxes (turf's bboxClip: ring by ring, so it never fails on invalid input). */
export function regionFeatures(r: Region): InputFeature[] {
  const all = sourceFeatures(r.source)
  if (!r.boxes) return all
  const out: InputFeature[] = []
  for (const box of r.boxes) {
    for (const f of all) {
      const clipped = turf.bboxClip(f as never, box) as unknown as InputFeature
      const rings = clipped.geometry.type === 'Polygon' ? (clipped.geometry.coordinates as number[][][]) : (clipped.geometry.coordinates as number[][][][]).flat()
      if (!rings.some((ring) => ring.length >= 4)) continue
      out.push({ ...f, geometry: withoutEmptyRings(clipped.geometry) })
    }
  }
  return out
}

/** bboxClip leaves rings of fewer than 4 positions where a ring lay outside the box: GDAL refuses those. */
function withoutEmptyRings(g: InputFeature['geometry']): InputFeature['geometry'] {
  if (g.type === 'Polygon') return { type: 'Polygon', coordinates: (g.coordinates as number[][][]).filter((r) => r.length >= 4) }
  const polygons = (g.coordinates as number[][][][]).map((p) => p.filter((r) => r.length >= 4)).filter((p) => p.length > 0)
  return { type: 'MultiPolygon', coordinates: polygons }
}

/** The z/x/y of every tile that touches the region's boxes, at every zoom of the region. */
export function regionTiles(r: Region): Array<[number, number, number]> {
  const tiles: Array<[number, number, number]> = []
  for (let z = r.minZoom; z <= r.maxZoom; z++) {
    const n = 2 ** z
    const seen = new Set<string>()
    for (const [w, s, e, north] of r.boxes ?? [[-180, -85.0511, 180, 85.0511] as Box]) {
      const x0 = tileX(w, n), x1 = tileX(e, n)
      const y0 = tileY(north, n), y1 = tileY(s, n)
      for (let x = x0; x <= x1; x++) {
        for (let y = y0; y <= y1; y++) {
          const key = `${x}/${y}`
          if (seen.has(key)) continue
          seen.add(key)
          tiles.push([z, x, y])
        }
      }
    }
  }
  return tiles
}

const tileX = (lon: number, n: number) => Math.max(0, Math.min(n - 1, Math.floor(((lon + 180) / 360) * n)))
function tileY(lat: number, n: number): number {
  const φ = (Math.max(-85.0511, Math.min(85.0511, lat)) * Math.PI) / 180
  return Math.max(0, Math.min(n - 1, Math.floor(((1 - Math.log(Math.tan(φ) + 1 / Math.cos(φ)) / Math.PI) / 2) * n)))
}
