// Sensor points on the wire (Kafka messages, POST /ingest): JSON or msgpack, carrying one point, an array of
// points, or an envelope {points: [...]}. Parsing is strict per point and never throws: a bad point is
// reported in `rejected` with its index and the batch's good points still go through; a message that cannot
// be decoded at all is one rejection with index -1.
import { Packr, Unpackr } from 'msgpackr'

export interface SensorPoint {
  sensor: string
  /** event time, integer epoch ms */
  ts: number
  lon: number
  lat: number
  value: number
}

export interface RejectedRecord {
  /** position of the point in the message's batch (0 for a single point); -1: the whole message */
  index: number
  reason: string
}

export interface ParsedSensorMessage {
  points: SensorPoint[]
  rejected: RejectedRecord[]
}

export type SensorWireFormat = 'json' | 'msgpack'

/**
 * A batch in columns — `{sensor: [...], ts: [...], lon: [...], lat: [...], value: [...]}` — the fast shape
 * for high rates: no object per point on either side (in msgpack the number columns may be float64 typed
 * arrays). Checked exactly like rows; a bad row is rejected with its index.
 */
export interface SensorColumns {
  sensor: string[]
  ts: Float64Array
  lon: Float64Array
  lat: Float64Array
  value: Float64Array
  rejected: RejectedRecord[]
}

/** Longest accepted sensor id (UTF-16 code units): ids are keys in windows and dedup sets, not documents. */
export const MAX_SENSOR_ID_LENGTH = 256
/** Largest epoch ms a JS Date can hold. */
const MAX_TS = 8.64e15

// Fixed-size maps (no msgpackr "records" extension) so any msgpack implementation can read what we write.
const packr = new Packr({ useRecords: false, variableMapSize: true })
const unpackr = new Unpackr({ useRecords: false, mapsAsObjects: true, moreTypes: true })
const utf8 = new TextDecoder('utf-8', { fatal: true })

/**
 * Decodes and validates one message. `format` omitted: JSON if the first non-blank byte is `{` or `[`
 * (bytes that, as msgpack, would be a bare integer, never a point), msgpack otherwise.
 */
export function parseSensorMessage(data: Uint8Array | string, format?: SensorWireFormat): ParsedSensorMessage {
  const fmt = format ?? (typeof data === 'string' || looksLikeJson(data) ? 'json' : 'msgpack')
  let decoded: unknown
  try {
    if (fmt === 'json') decoded = JSON.parse(typeof data === 'string' ? data : utf8.decode(data))
    else if (typeof data === 'string') return messageError('msgpack must be bytes, not a string')
    else if (data.length === 0) return messageError('empty message')
    else decoded = unpackr.unpack(data)
  } catch (err) {
    return messageError(`not valid ${fmt === 'json' ? 'JSON' : 'msgpack'}: ${(err as Error).message}`)
  }
  return validateSensorBatch(decoded)
}

/** Validates an already decoded message: a point, an array of points, or {points: [...]}. */
export function validateSensorBatch(decoded: unknown): ParsedSensorMessage {
  let records: unknown[]
  if (isColumnar(decoded)) {
    const points: SensorPoint[] = []
    const rejected: RejectedRecord[] = []
    appendColumns(decoded, { push: (sensor, ts, lon, lat, value) => points.push({ sensor, ts, lon, lat, value }) }, rejected)
    return { points, rejected }
  }
  if (Array.isArray(decoded)) records = decoded
  else if (isPlainObject(decoded) && 'points' in decoded) {
    if (!Array.isArray(decoded.points)) return messageError('`points` must be an array of points')
    records = decoded.points
  } else if (isPlainObject(decoded)) records = [decoded]
  else return messageError(`expected a point, an array of points or {points: [...]}, got ${describe(decoded)}`)

  const points: SensorPoint[] = []
  const rejected: RejectedRecord[] = []
  for (let i = 0; i < records.length; i++) {
    const r = checkSensorPoint(records[i])
    if (typeof r === 'string') rejected.push({ index: i, reason: r })
    else points.push(r)
  }
  return { points, rejected }
}

/**
 * One point: a fresh SensorPoint holding exactly the five fields (extra fields are ignored), or the reason
 * it is rejected. 64-bit msgpack integers (decoded as bigint) are accepted when they fit a double exactly.
 */
export function checkSensorPoint(rec: unknown): SensorPoint | string {
  if (!isPlainObject(rec)) return `a point must be an object, got ${describe(rec)}`
  const { sensor } = rec
  if (typeof sensor !== 'string') return `sensor must be a string, got ${describe(sensor)}`
  if (sensor.length === 0) return 'sensor must not be empty'
  if (sensor.length > MAX_SENSOR_ID_LENGTH) return `sensor is longer than ${MAX_SENSOR_ID_LENGTH} characters`

  const ts = numberField(rec, 'ts', ' (epoch ms)')
  if (typeof ts === 'string') return ts
  if (!Number.isInteger(ts)) return `ts must be an integer number of epoch ms, got ${ts}`
  if (ts < 0 || ts > MAX_TS) return `ts ${ts} is outside 0..${MAX_TS} epoch ms`
  const lon = numberField(rec, 'lon')
  if (typeof lon === 'string') return lon
  if (lon < -180 || lon > 180) return `lon ${lon} is outside [-180, 180]`
  const lat = numberField(rec, 'lat')
  if (typeof lat === 'string') return lat
  if (lat < -90 || lat > 90) return `lat ${lat} is outside [-90, 90]`
  const value = numberField(rec, 'value')
  if (typeof value === 'string') return value
  return { sensor, ts, lon, lat, value }
}

/** Where decoded points go, one at a time and in order (a column builder; the Kafka decoders' gives sensor ids). */
export interface SensorPointSink {
  push(sensor: string, ts: number, lon: number, lat: number, value: number): void
}

/** Growable columns of points (sensor names kept as strings). */
export class SensorColumnsBuilder implements SensorPointSink {
  sensor: string[] = []
  ts: Float64Array
  lon: Float64Array
  lat: Float64Array
  value: Float64Array
  count = 0

  constructor(capacity = 16) {
    const n = Math.max(1, capacity)
    this.ts = new Float64Array(n); this.lon = new Float64Array(n); this.lat = new Float64Array(n); this.value = new Float64Array(n)
  }

  push(sensor: string, ts: number, lon: number, lat: number, value: number): void {
    const k = this.count
    if (k === this.ts.length) {
      const grow = (a: Float64Array) => { const b = new Float64Array(a.length * 2); b.set(a); return b }
      this.ts = grow(this.ts); this.lon = grow(this.lon); this.lat = grow(this.lat); this.value = grow(this.value)
    }
    this.sensor[k] = sensor; this.ts[k] = ts; this.lon[k] = lon; this.lat[k] = lat; this.value[k] = value
    this.count = k + 1
  }
}

/** Decodes a message into columns (any shape: a point, rows, or columns). Never throws. */
export function parseSensorColumns(data: Uint8Array | string, format?: SensorWireFormat): SensorColumns {
  const b = new SensorColumnsBuilder()
  const rejected: RejectedRecord[] = []
  appendSensorMessage(data, b, rejected, format)
  const k = b.count
  return { sensor: b.sensor, ts: b.ts.subarray(0, k), lon: b.lon.subarray(0, k), lat: b.lat.subarray(0, k), value: b.value.subarray(0, k), rejected }
}

/**
 * Decodes one message (a point, rows, or columns) and pushes its good points to `sink`, in order; returns how many
 * were rejected (a message that cannot be decoded at all is one), with their reasons in `reasons` when given. What
 * it accepts and rejects is exactly what parseSensorColumns does (which is built on it). Never throws.
 */
export function appendSensorMessage(data: Uint8Array | string, sink: SensorPointSink, reasons?: RejectedRecord[], format?: SensorWireFormat): number {
  const fmt = format ?? (typeof data === 'string' || looksLikeJson(data) ? 'json' : 'msgpack')
  let decoded: unknown
  try {
    if (fmt === 'json') decoded = JSON.parse(typeof data === 'string' ? data : utf8.decode(data))
    else if (typeof data === 'string' || data.length === 0) return wholeMessage(reasons, 'msgpack must be non-empty bytes')
    else decoded = unpackr.unpack(data)
  } catch (err) {
    return wholeMessage(reasons, `not valid ${fmt === 'json' ? 'JSON' : 'msgpack'}: ${(err as Error).message}`)
  }
  if (isColumnar(decoded)) return appendColumns(decoded, sink, reasons)
  let records: unknown[]
  if (Array.isArray(decoded)) records = decoded
  else if (isPlainObject(decoded) && 'points' in decoded) {
    if (!Array.isArray(decoded.points)) return wholeMessage(reasons, '`points` must be an array of points')
    records = decoded.points
  } else if (isPlainObject(decoded)) records = [decoded]
  else return wholeMessage(reasons, `expected a point, an array of points or {points: [...]}, got ${describe(decoded)}`)
  let rejected = 0
  for (let i = 0; i < records.length; i++) {
    const rec = records[i] as Record<string, unknown> | null
    // the fast path: a plain point in range (a Date, an array or binary data has no `sensor` string: it takes the
    // slow path, which says why it is refused)
    if (typeof rec === 'object' && rec !== null) {
      const s = rec.sensor, t = rec.ts, x = rec.lon, y = rec.lat, v = rec.value
      if (typeof s === 'string' && s.length > 0 && s.length <= MAX_SENSOR_ID_LENGTH && typeof t === 'number' && Number.isInteger(t) && t >= 0 && t <= MAX_TS
        && typeof x === 'number' && x >= -180 && x <= 180 && typeof y === 'number' && y >= -90 && y <= 90 && typeof v === 'number' && Number.isFinite(v)) {
        sink.push(s, t, x, y, v)
        continue
      }
    }
    const r = checkSensorPoint(rec)
    if (typeof r === 'string') {
      rejected++
      reasons?.push({ index: i, reason: r })
    } else sink.push(r.sensor, r.ts, r.lon, r.lat, r.value)
  }
  return rejected
}

const COLUMN_KEYS = ['sensor', 'ts', 'lon', 'lat', 'value'] as const

function isColumnar(x: unknown): x is Record<(typeof COLUMN_KEYS)[number], unknown> {
  return isPlainObject(x) && Array.isArray(x.sensor) && !('points' in x)
}

function wholeMessage(reasons: RejectedRecord[] | undefined, reason: string): number {
  reasons?.push({ index: -1, reason })
  return 1
}

/** Checks columns row by row with the rules of checkSensorPoint; pushes the good rows, in order. */
function appendColumns(d: Record<(typeof COLUMN_KEYS)[number], unknown>, sink: SensorPointSink, reasons: RejectedRecord[] | undefined): number {
  const n = (d.sensor as unknown[]).length
  for (const k of COLUMN_KEYS) {
    const col = d[k] as ArrayLike<unknown> | undefined
    if (!col || typeof col !== 'object' || !('length' in col)) return wholeMessage(reasons, `column ${k} must be an array`)
    if (col.length !== n) return wholeMessage(reasons, `column ${k} has ${col.length} entries, sensor has ${n}`)
  }
  const sensor = d.sensor as unknown[], ts = d.ts as ArrayLike<unknown>, lon = d.lon as ArrayLike<unknown>, lat = d.lat as ArrayLike<unknown>, value = d.value as ArrayLike<unknown>
  let rejected = 0
  for (let i = 0; i < n; i++) {
    const s = sensor[i], t = ts[i], x = lon[i], y = lat[i], v = value[i]
    // the fast path: plain numbers in range; anything else goes through the row checker for its reason
    if (typeof s === 'string' && s.length > 0 && s.length <= MAX_SENSOR_ID_LENGTH && typeof t === 'number' && Number.isInteger(t) && t >= 0 && t <= MAX_TS
      && typeof x === 'number' && x >= -180 && x <= 180 && typeof y === 'number' && y >= -90 && y <= 90 && typeof v === 'number' && Number.isFinite(v)) {
      sink.push(s, t, x, y, v)
      continue
    }
    const r = checkSensorPoint({ sensor: s, ts: t, lon: x, lat: y, value: v })
    if (typeof r === 'string') {
      rejected++
      reasons?.push({ index: i, reason: r })
    } else sink.push(r.sensor, r.ts, r.lon, r.lat, r.value)
  }
  return rejected
}

/** A batch in columns, as JSON or msgpack (float64 typed arrays in msgpack). */
export function encodeSensorColumns(points: readonly SensorPoint[], format: SensorWireFormat): Uint8Array {
  const n = points.length
  const c = { sensor: points.map((p) => p.sensor), ts: new Float64Array(n), lon: new Float64Array(n), lat: new Float64Array(n), value: new Float64Array(n) }
  points.forEach((p, i) => { c.ts[i] = p.ts; c.lon[i] = p.lon; c.lat[i] = p.lat; c.value[i] = p.value })
  if (format === 'json') return Buffer.from(JSON.stringify({ sensor: c.sensor, ts: Array.from(c.ts), lon: Array.from(c.lon), lat: Array.from(c.lat), value: Array.from(c.value) }))
  return columnPackr.pack(c)
}

const columnPackr = new Packr({ useRecords: false, variableMapSize: true, moreTypes: true })

/** JSON text of one point or a batch (a bare array); only the five fields are written. */
export function encodeSensorJson(points: SensorPoint | readonly SensorPoint[]): string {
  return JSON.stringify(Array.isArray(points) ? points.map(canonical) : canonical(points as SensorPoint))
}

/** msgpack of one point or a batch (a bare array of maps); only the five fields are written. */
export function encodeSensorMsgpack(points: SensorPoint | readonly SensorPoint[]): Uint8Array {
  return packr.pack(Array.isArray(points) ? points.map(canonical) : canonical(points as SensorPoint))
}

export function encodeSensorMessage(points: SensorPoint | readonly SensorPoint[], format: SensorWireFormat): Uint8Array {
  return format === 'json' ? Buffer.from(encodeSensorJson(points)) : encodeSensorMsgpack(points)
}

function canonical(p: SensorPoint): SensorPoint {
  return { sensor: p.sensor, ts: p.ts, lon: p.lon, lat: p.lat, value: p.value }
}

function messageError(reason: string): ParsedSensorMessage {
  return { points: [], rejected: [{ index: -1, reason }] }
}

function looksLikeJson(data: Uint8Array): boolean {
  let i = 0
  if (data[0] === 0xef && data[1] === 0xbb && data[2] === 0xbf) i = 3 // UTF-8 BOM
  while (i < data.length && (data[i] === 0x20 || data[i] === 0x09 || data[i] === 0x0a || data[i] === 0x0d)) i++
  return data[i] === 0x7b || data[i] === 0x5b // '{' '['
}

function isPlainObject(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x) && !(x instanceof Date) && !ArrayBuffer.isView(x)
}

/** A finite number, or the reason the field is not one. */
function numberField(rec: Record<string, unknown>, name: string, unit = ''): number | string {
  const x = rec[name]
  if (typeof x === 'number') return Number.isFinite(x) ? x : `${name} must be finite, got ${x}`
  if (typeof x === 'bigint') {
    const n = Number(x)
    return BigInt(n) === x ? n : `${name} ${x} does not fit a double exactly`
  }
  return `${name} must be a number${unit}, got ${describe(x)}`
}

function describe(x: unknown): string {
  if (x === undefined) return 'nothing (missing)'
  if (x === null) return 'null'
  if (Array.isArray(x)) return 'an array'
  if (x instanceof Date) return 'a timestamp'
  if (ArrayBuffer.isView(x)) return 'binary data'
  if (typeof x === 'string') return `a string ${JSON.stringify(x.length > 40 ? x.slice(0, 40) + '…' : x)}`
  if (typeof x === 'object') return 'an object'
  return `${typeof x} ${String(x)}`
}
