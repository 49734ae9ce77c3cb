// The side panel's counters: the stream (one SSE message per window) and the faaslets in this browser.
import type { LiveSummary } from '../live/events.js'
import type { HexagonsShown } from '../map/hexagons-layer.js'

const $ = (id: string) => document.getElementById(id)!
const set = (id: string, text: string) => { $(id).textContent = text }

export function fmtBytes(n: number): string {
  return n < 1024 ? `${n} B` : n < 1024 ** 2 ? `${(n / 1024).toFixed(1)} KiB` : `${(n / 1024 ** 2).toFixed(1)} MiB`
}

const fmtMs = (ms: number) => `${ms < 10 ? ms.toFixed(2) : ms.toFixed(0)} ms`

export class StatsPanel {
  /** newest window start per partition: a reconnecting stream replays the last one, count it once */
  private readonly seen = new Map<string, number>()
  private windows = 0

  showWindow(s: LiveSummary): void {
    if ((this.seen.get(s.partition) ?? -Infinity) < s.windowStart) this.windows++
    this.seen.set(s.partition, Math.max(this.seen.get(s.partition) ?? -Infinity, s.windowStart))
    set('stat-rate', Math.round(s.pointsPerSecond).toLocaleString('en'))
    set('stat-window', `${new Date(s.windowStart).toISOString().slice(11, 19)}–${new Date(s.windowEnd).toISOString().slice(11, 19)}`)
    set('stat-count', s.count.toLocaleString('en'))
    set('stat-sensors', s.sensors.toLocaleString('en'))
    set('stat-duplicates', s.duplicates.toLocaleString('en'))
    set('stat-latency', fmtMs(s.latencyMs))
    set('stat-compute', fmtMs(s.computeMs))
    set('stat-copied', fmtBytes(s.copiedBytes))
    set('stat-windows', String(this.windows))
  }

  streamState(up: boolean): void {
    const b = $('sse')
    b.textContent = up ? 'streaming' : 'reconnecting'
    b.className = `badge ${up ? 'on' : 'off'}`
  }

  runtime(r: { isolated: boolean; workers?: number; modules?: number; arenaBytes?: number; error?: string }): void {
    set('rt-isolated', r.isolated ? 'yes' : 'no — SharedArrayBuffer unavailable')
    if (r.workers !== undefined) set('rt-workers', String(r.workers))
    if (r.modules !== undefined) set('rt-modules', String(r.modules))
    if (r.arenaBytes !== undefined) set('rt-arena', fmtBytes(r.arenaBytes))
    if (r.error) set('rt-modules', r.error)
  }

  tile(t: { z: number; x: number; y: number; computeMs: number; totalMs: number }): void {
    set('rt-tile', `${t.z}/${t.x}/${t.y} · ${fmtMs(t.computeMs)} (${fmtMs(t.totalMs)} with hand-off)`)
  }

  hexagons(shown: HexagonsShown | null, error?: string): void {
    set('hex-status', shown ? `res ${shown.res} · ${shown.cells.toLocaleString('en')} cells · up to ${shown.maxCount.toLocaleString('en')} points in one` : error ?? '')
  }

  fileStatus(text: string): void {
    set('file-status', text)
  }
}
