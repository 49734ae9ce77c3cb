// Kafka record values → point columns, a fetched batch at a time, as the Kafka source's decoder workers run it
// (sensor-decode-worker.ts, pooled by decode-pool.ts): the main thread hands over the batch's values as one
// buffer and gets columns back, the sensor names already ids. Each record is decoded and checked exactly as
// parseSensorColumns does it (appendSensorMessage is the one decoder), so a batch decoded here counts the same
// points in, and rejects the same ones, as records decoded one by one.
import { appendSensorMessage, type SensorPointSink } from './sensor-record.js'
import type { SensorIndex } from './windows.js'

/** A batch's points in columns, and where each record's points end. */
export interface DecodedRecords {
  /** points decoded (the columns may be longer: only the first `count` entries count) */
  count: number
  /** per record: the end of its points; record r holds points ends[r - 1] .. ends[r] - 1 (from 0 for the first) */
  ends: Uint32Array
  /** sensor ids from the decoder's SensorIndex; -1: the index is full, the point is refused as overflow */
  sensor: Int32Array
  ts: Float64Array
  lon: Float64Array
  lat: Float64Array
  value: Float64Array
  /** points (or whole records, that could not be decoded) rejected */
  rejected: number
}

/** Columns that grow, sensor names turned into ids as points come. */
class IdColumns implements SensorPointSink {
  sensor: Int32Array
  ts: Float64Array
  lon: Float64Array
  lat: Float64Array
  value: Float64Array
  count = 0
  private lastName = ''
  private lastId = -1

  constructor(private readonly index: SensorIndex, capacity: number) {
    this.sensor = new Int32Array(capacity)
    this.ts = new Float64Array(capacity); this.lon = new Float64Array(capacity); this.lat = new Float64Array(capacity); this.value = new Float64Array(capacity)
  }

  push(name: string, ts: number, lon: number, lat: number, value: number): void {
    const k = this.count
    if (k === this.ts.length) this.grow()
    this.sensor[k] = name === this.lastName ? this.lastId : (this.lastId = this.index.id((this.lastName = name)))
    this.ts[k] = ts; this.lon[k] = lon; this.lat[k] = lat; this.value[k] = value
    this.count = k + 1
  }

  private grow(): void {
    const n = this.ts.length * 2
    const f = (a: Float64Array) => { const b = new Float64Array(n); b.set(a); return b }
    const s = new Int32Array(n)
    s.set(this.sensor)
    this.sensor = s
    this.ts = f(this.ts); this.lon = f(this.lon); this.lat = f(this.lat); this.value = f(this.value)
  }
}

/**
 * Decodes the records packed in `bytes` (record r is bytes recordEnds[r - 1] .. recordEnds[r] - 1; an empty one, a
 * tombstone, has no points) into columns, sensor names as ids of `index`. Never throws.
 */
export function decodeSensorRecords(bytes: Uint8Array, recordEnds: Uint32Array, index: SensorIndex): DecodedRecords {
  // JSON rows take ~90 bytes a point, msgpack columns ~45: start with room for that, grow if a batch holds more
  const out = new IdColumns(index, Math.max(16, recordEnds.length, Math.ceil(bytes.length / 40)))
  const ends = new Uint32Array(recordEnds.length)
  let rejected = 0
  let from = 0
  for (let r = 0; r < recordEnds.length; r++) {
    const to = recordEnds[r]
    if (to > from) rejected += appendSensorMessage(bytes.subarray(from, to), out)
    ends[r] = out.count
    from = to
  }
  return { count: out.count, ends, sensor: out.sensor, ts: out.ts, lon: out.lon, lat: out.lat, value: out.value, rejected }
}
