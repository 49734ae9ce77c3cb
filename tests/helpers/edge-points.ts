// Sensor points for the edge tests: `windows` windows of `perWindow` points each, at places inside a bbox, from a few
// hundred sensors, with 5 % of them sent twice — and how many distinct (sensor, ts) there are, per window.
import type { SensorPoint } from '../../gateway/ingest/sensor-record.js'
import { mulberry32 } from './random.js'

export const EDGE_T0 = 1_700_000_000_000

export function edgePoints(opts: { seed: number; windows: number; perWindow: number; windowMs: number; bbox: number[]; sensors?: number; t0?: number }): SensorPoint[] {
  const rnd = mulberry32(opts.seed)
  const [w, s, e, n] = opts.bbox
  const sensors = opts.sensors ?? 300
  const t0 = opts.t0 ?? EDGE_T0
  const out: SensorPoint[] = []
  for (let k = 0; k < opts.windows; k++) {
    for (let i = 0; i < opts.perWindow; i++) {
      const sensor = Math.floor(rnd() * sensors)
      // sensors sit still: a sensor's place follows from its id
      const r = mulberry32(sensor + 1)
      const p: SensorPoint = { sensor: `s${sensor}`, ts: t0 + k * opts.windowMs + Math.floor(rnd() * opts.windowMs), lon: w + r() * (e - w), lat: s + r() * (n - s), value: Math.round(rnd() * 1000) / 10 }
      out.push(p)
      if (rnd() < 0.05) out.push({ ...p })
    }
  }
  return out
}

/** Distinct (sensor, ts) per window start. */
export function distinctByWindow(points: SensorPoint[], windowMs: number): Map<number, number> {
  const sets = new Map<number, Set<string>>()
  for (const p of points) {
    const start = Math.floor(p.ts / windowMs) * windowMs
    let set = sets.get(start)
    if (!set) sets.set(start, (set = new Set()))
    set.add(`${p.sensor}|${p.ts}`)
  }
  return new Map([...sets].map(([k, v]) => [k, v.size]))
}
