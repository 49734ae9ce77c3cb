// What the live endpoints serve: the points of the most recent closed window of every partition, merged,
// and the summaries of recent windows. Tiles and hexagons are computed on demand from the merged points and
// cached with them, so a map that pans re-renders only tiles it has not seen for this window; a publish
// (a window, or another partition's part of one) makes a new merge and empties the cache.
import { EventEmitter } from 'node:events'
import { sharedColumn, type WindowPoints } from './windows.js'
import type { WindowResult } from './window-result.js'

export interface LiveSummary {
  windowStart: number
  windowEnd: number
  partition: string
  count: number
  duplicates: number
  sensors: number
  value: WindowResult['value']
  latencyMs: number
  computeMs: number
  copiedBytes: number
  /** points per second through windows to results, over the last minute */
  pointsPerSecond: number
}

/** The merged points of the newest window, as current() returns them. */
export interface LiveView { start: number; points: WindowPoints }

export class LiveState extends EventEmitter {
  private readonly latest = new Map<string, { start: number; points: WindowPoints }>()
  private readonly recent: Array<{ at: number; count: number }> = []
  private merged: LiveView | null = null
  /** encoded results (PNG tiles, GeoJSON hexagons) of `merged`'s points */
  private readonly results = new Map<string, Uint8Array>()
  windows = 0
  /** the newest window's summary (sent first to a new /live/events subscriber) */
  last: LiveSummary | null = null

  /** Records a published window; emits 'window' with its summary (for /live/events). */
  publish(result: WindowResult, points: WindowPoints, latencyMs: number): void {
    const have = this.latest.get(result.partition)
    if (!have || have.start <= result.windowStart) {
      this.latest.set(result.partition, { start: result.windowStart, points })
      this.merged = null
      this.results.clear()
    }
    this.windows++
    const now = Date.now()
    this.recent.push({ at: now, count: result.count })
    while (this.recent.length && this.recent[0].at < now - 60_000) this.recent.shift()
    const span = Math.max(1, (now - (this.recent[0]?.at ?? now)) / 1000)
    const summary: LiveSummary = {
      windowStart: result.windowStart, windowEnd: result.windowEnd, partition: result.partition, count: result.count,
      duplicates: result.duplicates, sensors: result.sensors, value: result.value, latencyMs, computeMs: result.computeMs,
      copiedBytes: result.copiedBytes, pointsPerSecond: this.recent.length > 1 ? this.recent.reduce((n, r) => n + r.count, 0) / span : result.count,
    }
    this.last = summary
    this.emit('window', summary)
  }

  /** The newest window start seen on any partition, and the merged points of every partition's window there. */
  current(): LiveView | null {
    if (this.merged) return this.merged
    if (this.latest.size === 0) return null
    const start = Math.max(...[...this.latest.values()].map((w) => w.start))
    const parts = [...this.latest.values()].filter((w) => w.start === start).map((w) => w.points)
    const count = parts.reduce((n, p) => n + p.count, 0)
    const join = (k: keyof Omit<WindowPoints, 'count'>) => {
      const out = sharedColumn(count)
      let at = 0
      for (const p of parts) { out.set(p[k].subarray(0, p.count), at); at += p.count }
      return out
    }
    this.merged = { start, points: { lon: join('lon'), lat: join('lat'), value: join('value'), sensor: join('sensor'), ts: join('ts'), count } }
    return this.merged
  }

  /** A result cached for `view`'s very points (none once a publish has replaced them). */
  cached(view: LiveView, key: string): Uint8Array | undefined {
    return view === this.merged ? this.results.get(key) : undefined
  }

  /** Keeps a result of `view`, unless a publish replaced its points while it was computed. */
  cache(view: LiveView, key: string, bytes: Uint8Array): void {
    if (view !== this.merged) return
    if (this.results.size >= 512) this.results.clear()
    this.results.set(key, bytes)
  }
}
