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
}

export interface AddResult {
  accepted: number
  duplicates: number
  /** too late: the point's window was already emitted */
  late: number
  overflow: number
}

class Window {
  points: WindowPoints
  /** (sensor, ts − start) of every point taken: duplicates are recognised here */
  readonly seen = new KeySet()
  minOffset = Infinity
  duplicates = 0
  /** points in the last provisional result (-1: none), so a window that did not change is not re-sent */
  published = -1

  constructor(readonly start: number, readonly end: number) {
    this.points = { lon: new Float64Array(256), lat: new Float64Array(256), value: new Float64Array(256), sensor: new Float64Array(256), ts: new Float64Array(256), count: 0 }
  }

  push(lon: number, lat: number, value: number, sensor: number, ts: number): void {
    const p = this.points
    if (p.count === p.lon.length) {
      const grow = (a: Float64Array) => { const b = new Float64Array(a.length * 2); b.set(a); return b }
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
    const cut = (a: Float64Array) => { const c = sharedColumn(p.count); c.set(a.subarray(0, p.count)); return c }
    return {
      partition, start: this.start, end: this.end,
      points: { lon: cut(p.lon), lat: cut(p.lat), value: cut(p.value), sensor: cut(p.sensor), ts: cut(p.ts), count: p.count },
      duplicates: this.duplicates, closedAt: Date.now(), provisional: false, countedBefore: Math.max(0, this.published),
    }
  }
}

export const DEFAULT_MAX_SENSORS = 1_000_000

/**
 * Sensor names as small integers, for the duplicate check and the points' sensor column. Bounded: an
 * ingestion endpoint must not let a caller grow memory by inventing sensor names, so past `max` distinct
 * names a new one gets -1 and its points are refused as overflow (counted, never silently dropped).
 */
export class SensorIndex {
  private readonly ids = new Map<string, number>()
  readonly names: string[] = []

  constructor(readonly max = DEFAULT_MAX_SENSORS) {}

  id(name: string): number {
    let id = this.ids.get(name)
    if (id === undefined) {
      if (this.names.length >= this.max) return -1
      id = this.names.length
      this.ids.set(name, id)
      this.names.push(name)
    }
    return id
  }
}

export class PartitionWindows {
  private readonly open = new Map<number, Window>()
  private readonly sealed: Array<{ window: Window; closedAt: number }> = []
  private maxTs = -Infinity
  private lastOffset = -1
  /** every window ending at or before this was emitted (before a restart, possibly) */
  closedUpTo: number

  constructor(readonly partition: string, readonly cfg: WindowConfig, readonly sensors: SensorIndex, closedUpTo = -Infinity) {
    this.closedUpTo = closedUpTo
  }

  get watermark(): number {
    return this.maxTs - this.cfg.allowedLatenessMs
  }

  /** Adds the points of the record at `offset`; columns of equal length. */
  add(offset: number, sensor: ArrayLike<string>, ts: ArrayLike<number>, lon: ArrayLike<number>, lat: ArrayLike<number>, value: ArrayLike<number>): AddResult {
    const r: AddResult = { accepted: 0, duplicates: 0, late: 0, overflow: 0 }
    const size = this.cfg.sizeMs
    if (offset > this.lastOffset) this.lastOffset = offset
    // consecutive points mostly share a window: keep the last one at hand
    let w: Window | undefined
    let wStart = NaN
    let wEnd = NaN
    let lastName = ''
    let lastId = -1
    for (let i = 0; i < ts.length; i++) {
      const t = ts[i]
      if (!(t >= wStart && t < wEnd)) {
        const start = Math.floor(t / size) * size
        const end = start + size
        w = this.open.get(start)
        if (!w) {
          if (end <= this.closedUpTo) {
            // emitted already (by this run, or by the one before a restart): too late
            r.late++
            wStart = wEnd = NaN
            continue
          }
          w = new Window(start, end)
          this.open.set(start, w)
        }
        wStart = start
        wEnd = end
      }
      const win = w!
      if (win.points.count >= this.cfg.maxPoints) {
        r.overflow++
        continue
      }
      const name = sensor[i]
      const s = name === lastName ? lastId : (lastId = this.sensors.id((lastName = name)))
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
      if (w.end > this.closedUpTo) this.closedUpTo = w.end
      // published provisionally and unchanged since: its result stands
      if (w.published === w.points.count) continue
      this.sealed.push({ window: w, closedAt: Date.now() })
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

  /** A provisional result of the window at `start` holding `count` points was published. */
  publishedProvisionally(start: number, count: number): void {
    const w = this.open.get(start)
    if (w) w.published = count
  }

  /** The oldest sealed window not yet emitted, or null. */
  nextSealed(): ClosedWindow | null {
    const s = this.sealed[0]
    return s ? { ...s.window.snapshot(this.partition), closedAt: s.closedAt } : null
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
