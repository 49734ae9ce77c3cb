// What a cloud gateway knows of the merged windows and of the edges: the newest global result of each window (the
// newest `keep` windows), read from the global topic by every instance and written by the merger after it publishes;
// and each edge's last heartbeat with the time it arrived (this gateway's clock). It is the live state the routes
// serve and the merger's dedup memory: (edge, part, window) is merged when the window's result lists (edge, part).
//
// A window's results only grow: each merge adds edges to the result before it, and all partials of a window are in
// one partition, merged in order by its owner. So a result replaces the one held only when it lists more edges; one
// that lists fewer is stale — written by an instance that lost the partition while it published (see merger.ts) —
// and is announced ('stale') so the partition's owner can write the fuller result again, last in the topic.
//
// Memory: a result's grid is the tile set's cells as f64 (512 KiB at the default tile set). The newest `hot` windows
// are held decoded; older ones as their record's bytes (the grid deflated, partial.ts), decoded again only when a
// late partial of theirs is merged — with their share keys decoded, so duplicates are told without decoding.
import { EventEmitter } from 'node:events'
import type { EdgeHeartbeat } from '../partials/heartbeat.js'
import type { LiveSummary } from '../ingest/live-state.js'
import { decodeGlobal, encodeGlobal, resultVersion, shareKey, type GlobalResult } from './global-result.js'

/** What /live/events sends on a cloud gateway for each global update: the live summary plus the edges merged. */
export interface GlobalSummary extends LiveSummary {
  late: number
  edges: Array<{ edge: string; count: number }>
  updatedAt: number
}

/** One edge as /live/edges reports it. */
export interface EdgeReport {
  edge: string
  /** a heartbeat arrived within `connectedMs` (this gateway's clock) */
  connected: boolean
  heartbeatAgeMs: number | null
  newestClosedWindow: number | null
  newestMergedWindow: number | null
  /** between the newest window the edge closed and the newest merged from it (window starts), ms and windows */
  lagMs: number | null
  lagWindows: number | null
  spooledRecords: number | null
  spoolBytes: number | null
  oldestSpooledWindow: number | null
  sentRecords: number | null
}

export type PutOutcome = 'new' | 'replaced' | 'kept' | 'stale'

/** A window's result as held: its shares always, the result decoded (hot) or as its record's bytes. */
interface Held {
  keys: Set<string>
  updatedAt: number
  version: string
  result: GlobalResult | null
  bytes: Uint8Array | null
}

export class GlobalView extends EventEmitter {
  private readonly results = new Map<number, Held>()
  /** newest window start evicted: partials of windows up to it can no longer be checked for duplicates */
  evictedUpTo = -Infinity
  private readonly heartbeats = new Map<string, { hb: EdgeHeartbeat; receivedAt: number }>()
  private readonly newestMerged = new Map<string, number>()
  private newestStart = -Infinity
  updates = 0
  /** the newest window's summary (sent first to a new /live/events subscriber) */
  last: GlobalSummary | null = null

  constructor(readonly keep = 720, readonly hot = 4) {
    super()
    if (hot < 1) throw new RangeError('a view holds at least its newest window decoded')
    this.setMaxListeners(0) // one 'update' listener per /live/events client
  }

  get(windowStart: number): GlobalResult | undefined {
    const h = this.results.get(windowStart)
    return h ? h.result ?? decodeGlobal(h.bytes!) : undefined
  }

  /** The newest window's result. */
  newest(): GlobalResult | undefined {
    return this.get(this.newestStart)
  }

  get size(): number {
    return this.results.size
  }

  /** The share (edge, part) of the window is in its result already. */
  merged(share: { edge: string; part?: string }, windowStart: number): boolean {
    return !!this.results.get(windowStart)?.keys.has(shareKey(share))
  }

  /** A window this view can no longer tell duplicates of (evicted; older than every window kept). */
  expired(windowStart: number): boolean {
    return windowStart <= this.evictedUpTo && !this.results.has(windowStart)
  }

  /**
   * Takes a window's result, from the topic or from this instance's merger. Kept when it adds edges (or the window
   * is new); of two with the same edges (two instances merged alike) the earlier stays, so every instance holds the
   * same one whatever order they arrive in.
   */
  put(r: GlobalResult, bytes: Uint8Array | null = null): PutOutcome {
    if (this.expired(r.windowStart)) return 'kept'
    const have = this.results.get(r.windowStart)
    const theirs = new Set(r.edges.map(shareKey))
    let outcome: PutOutcome = 'new'
    if (have) {
      const adds = [...theirs].some((e) => !have.keys.has(e))
      const lacks = [...have.keys].some((e) => !theirs.has(e))
      if (!adds && lacks) {
        this.emit('stale', this.get(r.windowStart), r)
        return 'stale'
      }
      if (!adds && (r.updatedAt >= have.updatedAt || resultVersion(r) === have.version)) return 'kept'
      outcome = 'replaced'
    }
    this.results.set(r.windowStart, { keys: theirs, updatedAt: r.updatedAt, version: resultVersion(r), result: r, bytes })
    for (const e of r.edges) if ((this.newestMerged.get(e.edge) ?? -Infinity) < r.windowStart) this.newestMerged.set(e.edge, r.windowStart)
    if (r.windowStart > this.newestStart) this.newestStart = r.windowStart
    this.evict()
    this.cool()
    this.updates++
    const summary = summarize(r)
    if (r.windowStart === this.newestStart) this.last = summary
    this.emit('update', summary, r)
    return outcome
  }

  private evict(): void {
    if (this.results.size <= this.keep) return
    const starts = [...this.results.keys()].sort((a, b) => a - b)
    for (const s of starts.slice(0, starts.length - this.keep)) {
      this.results.delete(s)
      this.evictedUpTo = Math.max(this.evictedUpTo, s)
    }
  }

  /** Windows past the newest `hot` keep their record's bytes only. */
  private cool(): void {
    if (this.results.size <= this.hot) return
    const starts = [...this.results.keys()].sort((a, b) => b - a)
    for (const s of starts.slice(this.hot)) {
      const h = this.results.get(s)!
      if (!h.result) continue
      h.bytes ??= encodeGlobal(h.result)
      h.result = null
    }
  }

  /** An edge's heartbeat, received at `receivedAt` (this gateway's clock); an older one than held is ignored. */
  heartbeat(hb: EdgeHeartbeat, receivedAt = Date.now()): void {
    const have = this.heartbeats.get(hb.edge)
    if (have && have.hb.at > hb.at) return
    this.heartbeats.set(hb.edge, { hb, receivedAt })
  }

  /** Every edge heard of (heartbeats or merged results), by id. */
  edges(now = Date.now(), connectedMs = 3_000): EdgeReport[] {
    const ids = [...new Set([...this.heartbeats.keys(), ...this.newestMerged.keys()])].sort()
    const windowMs = this.windowMs()
    return ids.map((edge) => {
      const h = this.heartbeats.get(edge)
      const merged = this.newestMerged.get(edge) ?? null
      const closed = h?.hb.newestClosedWindow ?? null
      const lagMs = closed === null ? null : Math.max(0, closed - (merged ?? -Infinity))
      return {
        edge, connected: !!h && now - h.receivedAt <= connectedMs, heartbeatAgeMs: h ? Math.max(0, now - h.receivedAt) : null,
        newestClosedWindow: closed, newestMergedWindow: merged,
        lagMs: lagMs === null || !Number.isFinite(lagMs) ? null : lagMs,
        lagWindows: lagMs === null ? null : !Number.isFinite(lagMs) ? null : windowMs ? Math.round(lagMs / windowMs) : null,
        spooledRecords: h?.hb.spooledRecords ?? null, spoolBytes: h?.hb.spoolBytes ?? null,
        oldestSpooledWindow: h?.hb.oldestSpooledWindow ?? null, sentRecords: h?.hb.sentRecords ?? null,
      }
    })
  }

  /** The window length, from the newest result. */
  windowMs(): number | null {
    const r = this.newest()
    return r ? r.windowEnd - r.windowStart : null
  }
}

export function summarize(r: GlobalResult): GlobalSummary {
  const seconds = Math.max(0.001, (r.windowEnd - r.windowStart) / 1000)
  return {
    windowStart: r.windowStart, windowEnd: r.windowEnd, partition: 'global', count: r.count, duplicates: r.duplicates, sensors: r.sensors,
    value: r.count ? { ...r.value, mean: r.value.sum / r.count } : { min: 0, max: 0, mean: 0, sum: 0 }, latencyMs: Math.max(0, r.updatedAt - r.windowEnd), computeMs: r.mergeMs, copiedBytes: 0, pointsPerSecond: r.count / seconds,
    late: r.late, edges: r.edges.map((e) => ({ edge: e.edge, count: e.count })), updatedAt: r.updatedAt,
  }
}
