// Kafka ingestion off the main thread (issue 14): a fetched batch's record values are decoded whole, in a worker,
// into point columns with sensor ids — exactly what decoding the records one by one gives — and fed to the
// windows record by record (offsets kept). The workers' sensor indexes share one bound with the main thread's.
import fc from 'fast-check'
import { pack } from 'msgpackr'
import { afterAll, describe, expect, it } from 'vitest'
import { encodeSensorColumns, encodeSensorMessage, parseSensorColumns, parseSensorMessage, type SensorPoint } from '../../gateway/ingest/sensor-record.js'
import { decodeSensorRecords } from '../../gateway/ingest/sensor-decode.js'
import { SensorDecoders } from '../../gateway/ingest/decode-pool.js'
import { PartitionWindows, SensorIndex } from '../../gateway/ingest/windows.js'
import { SensorSimulator } from '../../gateway/ingest/simulator.js'

const points: SensorPoint[] = new SensorSimulator({ sensors: 40, seed: 9, startTs: 1_700_000_000_000, intervalMs: 1000, duplicateFraction: 0.1 }).next(600)
const good: SensorPoint = { sensor: 'cn-shanghai-1', ts: 1_704_067_200_000, lon: 121.47, lat: 31.23, value: 4.25 }

/** Record values one after the other, and where each ends (what the Kafka source hands a decoder). */
function packed(records: Array<Uint8Array | string>): { bytes: Uint8Array; ends: Uint32Array } {
  const bufs = records.map((r) => (typeof r === 'string' ? Buffer.from(r) : r))
  const ends = new Uint32Array(bufs.length)
  let n = 0
  bufs.forEach((b, i) => { n += b.length; ends[i] = n })
  const bytes = new Uint8Array(n)
  bufs.forEach((b, i) => bytes.set(b, i ? ends[i - 1] : 0))
  return { bytes, ends }
}

/**
 * The records decoded one by one: points per record (sensor names), and the rejections — by the column parser, and
 * by the row parser (parseSensorMessage, which checks rows with checkSensorPoint alone: no fast path shared).
 */
function oneByOne(records: Array<Uint8Array | string>) {
  const some = records.filter((r) => typeof r === 'string' || r.length > 0)
  const cs = records.map((r) => (typeof r !== 'string' && r.length === 0 ? null : parseSensorColumns(r)))
  const rows = some.map((r) => parseSensorMessage(r))
  const want = {
    perRecord: cs.map((c) => (c ? Array.from(c.ts, (_, i) => [c.sensor[i], c.ts[i], c.lon[i], c.lat[i], c.value[i]]) : [])),
    rejected: cs.reduce((n, c) => n + (c ? c.rejected.length : 0), 0),
  }
  expect(want.perRecord.filter((_, i) => cs[i])).toEqual(rows.map((r) => r.points.map((p) => [p.sensor, p.ts, p.lon, p.lat, p.value])))
  expect(want.rejected).toBe(rows.reduce((n, r) => n + r.rejected.length, 0))
  return want
}

/** A decoded batch back to points per record, the ids turned into names again. */
function perRecord(d: ReturnType<typeof decodeSensorRecords>, index: SensorIndex) {
  const byId = new Map<number, string>()
  for (const name of index.names) byId.set(index.id(name), name)
  const out: Array<Array<[string, number, number, number, number]>> = []
  let from = 0
  for (const end of d.ends) {
    const rec: Array<[string, number, number, number, number]> = []
    for (let i = from; i < end; i++) rec.push([byId.get(d.sensor[i])!, d.ts[i], d.lon[i], d.lat[i], d.value[i]])
    out.push(rec)
    from = end
  }
  return out
}

describe('a batch decoded whole', () => {
  it('gives every record the points, and the rejections, of decoding it alone — rows, columns, one point, JSON and msgpack', () => {
    // every way a point is refused, in rows and in columns (the batch decoder has a fast path of its own for rows)
    const bad = [{ ...good, lon: 180.5 }, { ...good, lon: -180.01 }, { ...good, lat: -91 }, { ...good, lat: 90.5 }, { ...good, ts: 1.5 }, { ...good, ts: -5 },
      { ...good, ts: 8.64e15 + 1 }, { ...good, ts: '1' }, { ...good, sensor: '' }, { ...good, sensor: 'x'.repeat(257) }, { ...good, sensor: 7 },
      { ...good, value: true }, { ...good, value: null }, { ...good, lon: undefined }, 42, null, [1, 2]]
    const mixed = bad.flatMap((b) => [good, b])
    const columns = { sensor: mixed.map((p) => (p as SensorPoint)?.sensor), ts: mixed.map((p) => (p as SensorPoint)?.ts), lon: mixed.map((p) => (p as SensorPoint)?.lon), lat: mixed.map((p) => (p as SensorPoint)?.lat), value: mixed.map((p) => (p as SensorPoint)?.value) }
    const records: Array<Uint8Array | string> = [
      JSON.stringify(mixed), pack(mixed), pack([...mixed, { ...good, value: Infinity }, { ...good, ts: new Date(good.ts) }]), JSON.stringify(columns), pack(columns),
      encodeSensorMessage(points.slice(0, 200), 'json'),
      encodeSensorColumns(points.slice(200, 400), 'msgpack'),
      encodeSensorMessage(points[400], 'msgpack'),
      encodeSensorColumns(points.slice(401, 450), 'json'),
      JSON.stringify({ points: [good, { ...good, lat: 95 }, { ...good, sensor: 3 }] }),
      'not json',
      pack([good, { ...good, ts: new Date(good.ts) }, { ...good, value: NaN }]),
      pack({ sensor: ['a', 'b'], ts: [1, 2], lon: [1], lat: [2, 2], value: [3, 3] }), // columns of different lengths
      encodeSensorMessage(points.slice(450), 'msgpack'),
    ]
    const { bytes, ends } = packed(records)
    const index = new SensorIndex()
    const d = decodeSensorRecords(bytes, ends, index)
    const want = oneByOne(records)
    expect(perRecord(d, index)).toEqual(want.perRecord)
    expect(d.rejected).toBe(want.rejected)
    expect(d.rejected).toBe(5 * bad.length + 2 + 2 + 1 + 2 + 1)
    expect(d.count).toBe(points.length + 5 * bad.length + 1 + 1) // every good point, none of the bad ones
    // one id per name
    expect(new Set(Array.from(d.sensor.subarray(0, d.count))).size).toBe(index.names.length)
  })

  it('an empty record (a tombstone, as the source passes it) has no points and is no rejection', () => {
    const records = [encodeSensorMessage(good, 'json'), new Uint8Array(0), encodeSensorMessage(good, 'msgpack')]
    const { bytes, ends } = packed(records)
    const d = decodeSensorRecords(bytes, ends, new SensorIndex())
    expect(Array.from(d.ends)).toEqual([1, 1, 2])
    expect(d.rejected).toBe(0)
  })

  it('never throws, and agrees with decoding record by record, whatever the records', () => {
    const record = fc.oneof(
      fc.uint8Array({ minLength: 1, maxLength: 60 }),
      fc.anything().map((v) => pack(v)),
      fc.anything().map((v) => JSON.stringify(v) ?? 'null'),
      fc.array(fc.record({ sensor: fc.oneof(fc.string({ maxLength: 4 }), fc.integer()), ts: fc.oneof(fc.integer({ min: -5, max: 2e12 }), fc.double()), lon: fc.double({ min: -200, max: 200 }), lat: fc.double({ min: -100, max: 100 }), value: fc.double() }), { maxLength: 5 })
        .chain((rows) => fc.constantFrom(Buffer.from(JSON.stringify(rows)), pack(rows))),
    )
    fc.assert(
      fc.property(fc.array(record, { maxLength: 8 }), (records) => {
        const { bytes, ends } = packed(records)
        const index = new SensorIndex()
        const d = decodeSensorRecords(bytes, ends, index)
        const want = oneByOne(records)
        expect(perRecord(d, index)).toEqual(want.perRecord)
        expect(d.rejected).toBe(want.rejected)
      }),
      { numRuns: 500, seed: 14 },
    )
  })

  it('sensor indexes sharing a counter: ids unique among them, one bound for all', () => {
    const counter = new Int32Array(new SharedArrayBuffer(4))
    const a = new SensorIndex(3, counter), b = new SensorIndex(3, counter)
    expect([a.id('x'), b.id('y'), a.id('x'), b.id('z'), a.id('w'), b.id('y')]).toEqual([0, 1, 0, 2, -1, 1])
    expect(Atomics.load(counter, 0)).toBe(3)
  })
})

describe('windows fed decoded records', () => {
  const cfg = { sizeMs: 1000, allowedLatenessMs: 300, maxPoints: 1_000_000 }

  it('count exactly as records fed one by one: accepted, duplicates, late, overflow; offsets per record', () => {
    // record r: three points; record 3 repeats record 1 (a redelivery), record 5 is late by then
    const recs = [
      [['a', 100], ['b', 200], ['c', 300]], [['a', 400], ['d', 500], ['a', 100]], [['e', 1200], ['f', 1250], ['a', 1300]],
      [['a', 400], ['d', 500], ['a', 100]], [['g', 1500], ['h', 2400], ['i', 2450]], [['j', 10], ['k', 20], ['l', 2500]],
    ] as Array<Array<[string, number]>>
    const one = new PartitionWindows('p', cfg, new SensorIndex(8))
    const oneByOneResults = recs.map((r, o) => one.add(10 + o, r.map((p) => p[0]), r.map((p) => p[1]), r.map(() => 1), r.map(() => 2), r.map(() => 3)))
    const whole = new PartitionWindows('p', cfg, new SensorIndex())
    const ids = new SensorIndex(8)
    const flat = recs.flat()
    const ends = recs.map((_, r) => (r + 1) * 3)
    const total = whole.addRecords(recs.map((_, o) => 10 + o), ends, flat.map((p) => ids.id(p[0])), flat.map((p) => p[1]), flat.map(() => 1), flat.map(() => 2), flat.map(() => 3))
    const sum = (k: 'accepted' | 'duplicates' | 'late' | 'overflow') => oneByOneResults.reduce((n, r) => n + r[k], 0)
    expect(total).toEqual({ accepted: sum('accepted'), duplicates: sum('duplicates'), late: sum('late'), overflow: sum('overflow') })
    expect(total).toMatchObject({ duplicates: 4, overflow: 4 }) // the index holds 8 names: i, j, k and l are refused
    expect(whole.committableOffset()).toBe(one.committableOffset())
    expect(whole.advance(true).map((w) => [w.start, w.points.count, w.duplicates])).toEqual(one.advance(true).map((w) => [w.start, w.points.count, w.duplicates]))
  })

  it('a window sealed while its provisional result was out counts out only what that result did not', () => {
    const w = new PartitionWindows('p0', cfg, new SensorIndex())
    const feed = (o: number, pts: Array<[string, number]>) => w.add(o, pts.map((p) => p[0]), pts.map((p) => p[1]), pts.map(() => 1), pts.map(() => 2), pts.map(() => 0))
    feed(0, [['a', 100], ['b', 200]])
    const [provisional] = w.provisional()
    // while it is published, more points come and the watermark passes the window: sealed
    feed(1, [['c', 300], ['a', 1400]])
    w.seal()
    w.publishedProvisionally(provisional.start, provisional.points.count)
    const final = w.nextSealed()!
    expect([final.points.count, final.countedBefore, final.provisional]).toEqual([3, 2, false])
    // the snapshot the provisional result was made of still holds its two points, whatever came after
    expect([provisional.points.count, provisional.points.ts.length, Array.from(provisional.points.ts)]).toEqual([2, 2, [100, 200]])
  })
})

describe('the decoder workers', () => {
  const counter = new Int32Array(new SharedArrayBuffer(4))
  const lost: number[] = []
  const pool = new SensorDecoders(2, { counter, maxSensors: 1_000_000 }, (slot) => lost.push(slot))
  afterAll(() => pool.close())

  it('decode batches in the order they were given, ids from the worker, buffers moved both ways', async () => {
    await pool.ready()
    const batches = Array.from({ length: 6 }, (_, k) => packed([encodeSensorMessage(points.slice(k * 100, k * 100 + 100), k % 2 ? 'json' : 'msgpack')]))
    const sent = batches.map((b) => b.bytes)
    const got = await Promise.all(batches.map((b) => pool.decode(0, b.bytes, b.ends)))
    expect(sent.every((b) => b.byteLength === 0)).toBe(true) // transferred, not copied
    expect(got.map((d) => d.count)).toEqual([100, 100, 100, 100, 100, 100])
    expect(got.flatMap((d) => Array.from(d.ts.subarray(0, d.count)))).toEqual(points.slice(0, 600).map((p) => p.ts))
    // one worker: one id per name across its batches; the shared counter counts them
    const ids = new Map<string, number>()
    got.forEach((d, k) => points.slice(k * 100, k * 100 + 100).forEach((p, i) => {
      expect(ids.get(p.sensor) ?? d.sensor[i]).toBe(d.sensor[i])
      ids.set(p.sensor, d.sensor[i])
    }))
    expect(Atomics.load(counter, 0)).toBe(new Set(points.map((p) => p.sensor)).size)
    expect(got.every((d) => d.generation === 0)).toBe(true)
  })

  it('a worker that dies: its pending batches are refused, a new one takes its place under a new generation, and the owner is told', async () => {
    // a batch that takes the worker a while (~10^5 points): it dies in the middle of it
    const big = new SensorSimulator({ sensors: 1000, seed: 3, intervalMs: 1000 }).next(150_000)
    const b = packed([encodeSensorMessage(big, 'json')])
    const pending = pool.decode(1, b.bytes, b.ends)
    await pool.workers[1].terminate()
    await expect(pending).rejects.toThrow(/exited/)
    expect(lost).toEqual([1])
    expect(pool.generation(1)).toBe(1)
    const c = packed([encodeSensorMessage(points.slice(0, 50), 'msgpack')])
    const d = await pool.decode(1, c.bytes, c.ends)
    expect([d.count, d.generation]).toEqual([50, 1])
    expect(pool.generation(0)).toBe(0) // the other worker is untouched
  })
})
