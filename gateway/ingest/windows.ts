// Event-time tumbling windows for one partition of a sensor stream.
//
// A point with event time ts belongs to window [start, start + size), start = floor(ts / size)·size. The
// partition's watermark is the largest event time seen minus the allowed lateness; a window closes when the
// watermark passes its end (or on an explicit flush). A partition that went quiet publishes its open windows
// provisionally — they stay open, and points that come later update them under the same key. Points later than that are
// dropped and counted as late — out-of-order points within the allowed lateness are simply counted.
// Duplicates — the same (sensor, ts) again, e.g. redelivered after a crash — are counted, never added.
//
// Offsets: a window remembers the lowest record offset that put a point in it. The partition may commit
// only below every open window's lowest offset, so a crash loses nothing that was not yet emitted: replay
// re-forms every open window whole, and windows emitted before the crash are recognised by `closedUpTo`,
// restored from the commit's metadata. A window emitted but not yet committed when the process died is
// emitted again, identical and under the same key, so results are upserted by (partition, start).

import type { PointArrays } from '../../faaslets/codecs/points.js'
import { KeySet } from './key-set.js'

export interface WindowConfig {
  sizeMs: number
  allowedLatenessMs: number
  /** most distinct points one window may hold; more are dropped and counted as overflow */
  maxPoints: number
}

export const DEFAULT_WINDOWS: WindowConfig = { sizeMs: 10_000, allowedLatenessMs: 2_000, maxPoints: 5_000_000 }

/** Windows up to this long keep a point's time offset within an Int32 (the duplicate set's key). */
export const MAX_WINDOW_MS = 2 ** 31 - 1

/**
 * A column of a closed window, on a SharedArrayBuffer: a worker that runs a chain on the window reads it
 * where it is (posting it clones a view, not the points).
 */
export function sharedColumn(n: number): Float64Array {
  return new Float64Array(new SharedArrayBuffer(n * 8))
}

/** A window's points as the point arrays a chain input is written from (views, no copy). */
export function windowPointArrays(p: WindowPoints): PointArrays {
  return { x: p.lon.subarray(0, p.count), y: p.lat.subarray(0, p.count), weight: p.value.subarray(0, p.count), id: p.sensor.subarray(0, p.count), crs: 4326 }
}

/** The points of one window, column by column (what the sensor-window chain reads). */
export interface WindowPoints {
  lon: Float64Array
  lat: Float64Array
  value: Float64Array
  sensor: Float64Array
  ts: Float64Array
  count: number
}

export interface ClosedWindow {
  partition: string
  start: number
  end: number
  points: WindowPoints
  duplicates: number
  /** wall-clock ms when the window closed (for close → result latency) */
  closedAt: number
  /** a quiet partition's window, published before the watermark closed it: later points update it */
  provisional: boolean
  /** points an earlier provisional result of this window already counted out */
  countedBefore: number
  /** closed unchanged since its provisional result, which stands: only sealed so when `keepStanding` (an edge's
      partial is sent for every closed window, provisional results never) */
  stands?: boolean
}

export interface AddResult {
  accepted: number
  duplicates: number
  /** too late: the point's window was already emitted */
  late: number
  overflow: number
}

/**
 * A window's points, on SharedArrayBuffers from the start. Points are only ever appended, so a snapshot is the
 * columns as they are and a count: the entries below it never change (growing moves later points to new
 * buffers, and leaves the old ones to the snapshots that hold them). A chain reads them in place, no copy.
 */
class Window {
  points: WindowPoints
  /** (sensor, ts − start) of every point taken: duplicates are recognised here */
  readonly seen: KeySet
  minOffset = Infinity
  duplicates = 0
  /** points in the last provisional result (-1: none), so a window that did not change is not re-sent */
  published = -1

  constructor(readonly start: number, readonly end: number, capacity: number) {
    const n = Math.max(256, capacity)
    this.points = { lon: sharedColumn(n), lat: sharedColumn(n), value: sharedColumn(n), sensor: sharedColumn(n), ts: sharedColumn(n), count: 0 }
    this.seen = new KeySet(n)
  }

  push(lon: number, lat: number, value: number, sensor: number, ts: number): void {
    const p = this.points
    if (p.count === p.lon.length) {
      const grow = (a: Float64Array) => { const b = sharedColumn(a.length * 2); b.set(a); return b }
      this.points = { lon: grow(p.lon), lat: grow(p.lat), value: grow(p.value), sensor: grow(p.sensor), ts: grow(p.ts), count: p.count }
    }
    const q = this.points
    q.lon[q.count] = lon
    q.lat[q.count] = lat
    q.value[q.count] = value
    q.sensor[q.count] = sensor
    q.ts[q.count] = ts
    q.count++
  }

  snapshot(partition: string): ClosedWindow {
    const p = this.points
    const n = p.count
    return {
      partition, start: this.start, end: this.end,
      points: { lon: p.lon.subarray(0, n), lat: p.lat.subarray(0, n), value: p.value.subarray(0, n), sensor: p.sensor.subarray(0, n), ts: p.ts.subarray(0, n), count: n },
      duplicates: this.duplicates, closedAt: Date.now(), provisional: false, countedBefore: Math.max(0, this.published),
    }
  }
}

export const DEFAULT_MAX_SENSORS = 1_000_000
/** A new window's room (points) at most, whatever the last one held: out-of-order data opens many windows at once. */
const MAX_START_CAPACITY = 1 << 18

/**
 * Sensor names as small integers, for the duplicate check and the points' sensor column. Bounded: an
 * ingestion endpoint must not let a caller grow memory by inventing sensor names, so past `max` distinct
 * names a new one gets -1 and its points are refused as overflow (counted, never silently dropped).
 *
 * Several indexes may share one counter (an Int32Array on a SharedArrayBuffer): the Kafka decoders' workers
 * each keep an index for the partitions they decode, the main thread one for HTTP and the simulator. Ids are
 * then unique among them all, and `max` bounds the names they hold together.
 */
export class SensorIndex {
  private readonly ids = new Map<string, number>()
  /** the names this index has given an id, in the order it gave them */
  readonly names: string[] = []
  /** ids handed out by every index sharing it */
  readonly counter: Int32Array

  constructor(readonly max = DEFAULT_MAX_SENSORS, counter?: Int32Array) {
    this.counter = counter ?? new Int32Array(1)
  }

  id(name: string): number {
    let id = this.ids.get(name)
    if (id === undefined) {
      if (Atomics.load(this.counter, 0) >= this.max) return -1
      id = Atomics.add(this.counter, 0, 1)
      if (id >= this.max) {
        // another index took the last one meanwhile: give it back (the counter never drops below max again)
        Atomics.sub(this.counter, 0, 1)
        return -1
      }
      this.ids.set(name, id)
      this.names.push(name)
    }
    return id
  }
}

export class PartitionWindows {
  private readonly open = new Map<number, Window>()
  private readonly sealed: Array<{ window: Window; closedAt: number; stands?: boolean }> = []
  private maxTs = -Infinity
  private lastOffset = -1
  /** points in the last window sealed: a new window starts with room for about as many */
  private typical = 0
  /** every window ending at or before this was emitted (before a restart, possibly) */
  closedUpTo: number
  /** windows closed unchanged since their provisional result are sealed too, marked `stands` (else they are done) */
  keepStanding = false

  constructor(readonly partition: string, readonly cfg: WindowConfig, readonly sensors: SensorIndex, closedUpTo = -Infinity) {
    this.closedUpTo = closedUpTo
  }

  get watermark(): number {
    return this.maxTs - this.cfg.allowedLatenessMs
  }

  /** Adds the points of the record at `offset`; columns of equal length. */
  add(offset: number, sensor: ArrayLike<string>, ts: ArrayLike<number>, lon: ArrayLike<number>, lat: ArrayLike<number>, value: ArrayLike<number>): AddResult {
    return this.addPoints([offset], [ts.length], sensor, null, ts, lon, lat, value)
  }

  /**
   * Adds decoded records: record r (at offsets[r]) holds points ends[r - 1] .. ends[r] - 1 (from 0 for the first),
   * their sensors already ids (a decoder's SensorIndex sharing this one's counter; -1: refused, counted as overflow).
   */
  addRecords(offsets: ArrayLike<number>, ends: ArrayLike<number>, sensor: ArrayLike<number>, ts: ArrayLike<number>, lon: ArrayLike<number>, lat: ArrayLike<number>, value: ArrayLike<number>): AddResult {
    return this.addPoints(offsets, ends, null, sensor, ts, lon, lat, value)
  }

  private addPoints(offsets: ArrayLike<number>, ends: ArrayLike<number>, names: ArrayLike<string> | null, ids: ArrayLike<number> | null,
    ts: ArrayLike<number>, lon: ArrayLike<number>, lat: ArrayLike<number>, value: ArrayLike<number>): AddResult {
    const r: AddResult = { accepted: 0, duplicates: 0, late: 0, overflow: 0 }
    const size = this.cfg.sizeMs
    const maxPoints = this.cfg.maxPoints
    // consecutive points mostly share a window: keep the last one at hand
    let w: Window | undefined
    let wStart = NaN
    let wEnd = NaN
    let lastName = ''
    let lastId = -1
    let i = 0
    for (let rec = 0; rec < offsets.length; rec++) {
      const offset = offsets[rec]
      if (offset > this.lastOffset) this.lastOffset = offset
      for (const end = ends[rec]; i < end; i++) {
        const t = ts[i]
        if (!(t >= wStart && t < wEnd)) {
          const start = Math.floor(t / size) * size
          const stop = start + size
          w = this.open.get(start)
          if (!w) {
            if (stop <= this.closedUpTo) {
              // emitted already (by this run, or by the one before a restart): too late
              r.late++
              wStart = wEnd = NaN
              continue
            }
            w = new Window(start, stop, Math.min(MAX_START_CAPACITY, this.typical + (this.typical >> 3)))
            this.open.set(start, w)
          }
          wStart = start
          wEnd = stop
        }
        const win = w!
        if (win.points.count >= maxPoints) {
          r.overflow++
          continue
        }
        let s: number
        if (ids) s = ids[i]
        else {
          const name = names![i]
          s = name === lastName ? lastId : (lastId = this.sensors.id((lastName = name)))
        }
        if (s < 0) {
          r.overflow++
          continue
        }
        if (!win.seen.add(s, t - wStart)) {
          win.duplicates++
          r.duplicates++
          continue
        }
        win.push(lon[i], lat[i], value[i], s, t)
        if (offset < win.minOffset) win.minOffset = offset
        r.accepted++
        if (t > this.maxTs) this.maxTs = t
      }
    }
    return r
  }

  /**
   * Seals the windows due now — those the watermark has passed, or all open ones when `flush` — oldest
   * first. A sealed window takes no more points and stays here until `emitted()`: when publishing fails
   * (the broker is down) it is retried, not lost, and the offsets below it stay uncommitted.
   */
  seal(flush = false): void {
    const wm = this.watermark
    const due = [...this.open.values()].filter((w) => flush || w.end <= wm).sort((a, b) => a.start - b.start)
    for (const w of due) {
      this.open.delete(w.start)
      this.typical = w.points.count
      if (w.end > this.closedUpTo) this.closedUpTo = w.end
      // published provisionally and unchanged since: its result stands
      const stands = w.published === w.points.count
      if (stands && !this.keepStanding) continue
      this.sealed.push({ window: w, closedAt: Date.now(), ...(stands ? { stands } : {}) })
    }
  }

  /**
   * A quiet partition (idle, and nothing more queued in its source) publishes its open windows without
   * closing them: the watermark has not passed them, so points may still come — a sensor gateway's batch
   * held up by a broker restart — and then the window is published again, whole, under the same key.
   * Returns the open windows changed since their last provisional result, oldest first.
   */
  provisional(): ClosedWindow[] {
    return [...this.open.values()].filter((w) => w.points.count > 0 && w.published !== w.points.count)
      .sort((a, b) => a.start - b.start).map((w) => ({ ...w.snapshot(this.partition), provisional: true }))
  }

  /**
   * A provisional result of the window at `start` holding `count` points was published. The window may have been
   * sealed meanwhile (points that came while the result was computed moved the watermark past it): its final
   * result then counts out only what this one did not.
   */
  publishedProvisionally(start: number, count: number): void {
    const w = this.open.get(start) ?? this.sealed.find((s) => s.window.start === start)?.window
    if (w) w.published = count
  }

  /** The oldest sealed window not yet emitted, or null. */
  nextSealed(): ClosedWindow | null {
    const s = this.sealed[0]
    return s ? { ...s.window.snapshot(this.partition), closedAt: s.closedAt, ...(s.stands ? { stands: true } : {}) } : null
  }

  /** Every sealed window not yet emitted, oldest first: what nextSealed() returns, one emitted() after the other. */
  sealedList(): ClosedWindow[] {
    return this.sealed.map((s) => ({ ...s.window.snapshot(this.partition), closedAt: s.closedAt, ...(s.stands ? { stands: true } : {}) }))
  }

  /** The window nextSealed() returned was published: forget it. */
  emitted(): void {
    this.sealed.shift()
  }

  /** Seals what is due and returns every sealed window, marking them emitted (no publisher to fail). */
  advance(flush = false): ClosedWindow[] {
    this.seal(flush)
    const out: ClosedWindow[] = []
    for (let w = this.nextSealed(); w; w = this.nextSealed()) {
      out.push(w)
      this.emitted()
    }
    return out
  }

  /** Every window ending at or before this was emitted: what a commit may record. */
  get emittedUpTo(): number {
    return this.sealed.length ? Math.min(this.closedUpTo, this.sealed[0].window.start) : this.closedUpTo
  }

  /** The offset this partition may commit: below every open or sealed window's first record, else past the last. */
  committableOffset(): number {
    let min = this.lastOffset + 1
    for (const w of this.open.values()) if (w.minOffset < min) min = w.minOffset
    for (const { window } of this.sealed) if (window.minOffset < min) min = window.minOffset
    return min
  }

  /** Windows sealed and waiting to be published. */
  get sealedWindows(): number {
    return this.sealed.length
  }

  get openWindows(): number {
    return this.open.size + this.sealed.length
  }

  get pendingPoints(): number {
    let n = 0
    for (const w of this.open.values()) n += w.points.count
    for (const { window } of this.sealed) n += window.points.count
    return n
  }
}
