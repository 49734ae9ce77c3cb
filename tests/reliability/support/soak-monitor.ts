// What a soak measures: samples of the gateway process over time, and the slope of a series' floor (a leak).
import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks'
import type { Gateway } from '../../../gateway/app.js'

/** Ordinary least-squares slope of y over x (units of y per unit of x). */
export function slope(xs: number[], ys: number[]): number {
  const n = xs.length
  if (n < 2) return 0
  const mx = xs.reduce((a, b) => a + b, 0) / n
  const my = ys.reduce((a, b) => a + b, 0) / n
  let num = 0, den = 0
  for (let i = 0; i < n; i++) {
    num += (xs[i] - mx) * (ys[i] - my)
    den += (xs[i] - mx) ** 2
  }
  return den === 0 ? 0 : num / den
}
export interface SoakSample {
  /** seconds since the soak started */
  t: number
  rssMiB: number
  heapMiB: number
  /** chunk-heap bytes held, all tenants: the least seen since the previous sample (see SoakMonitor) */
  arenaBytes: number
  /** event-loop delay over the last interval, ms */
  loopP50: number
  loopP99: number
  loopMax: number
  /** requests answered so far, and how many of them were not 2xx or failed */
  ok: number
  errors: number
  /** sensor windows published so far */
  windows: number
}

/** Samples the gateway's process: RSS, heap, arena bytes in use, event-loop delay, request and window counts. */
export class SoakMonitor {
  readonly samples: SoakSample[] = []
  private readonly delay: IntervalHistogram
  private readonly t0 = performance.now()
  /**
   * Arena use is read every 20 ms and a sample keeps the least value since the previous one. Invocations
   * in flight hold chunks (they run in workers, so a once-a-second read often lands inside one); a leak
   * holds them between invocations too, so the least value is the one that tells.
   */
  private arenaLeast = Infinity
  private readonly arenaTimer: NodeJS.Timeout

  constructor(private readonly gw: Gateway, private readonly counts: () => { ok: number; errors: number }) {
    this.delay = monitorEventLoopDelay({ resolution: 10 })
    this.delay.enable()
    this.arenaTimer = setInterval(() => { this.arenaLeast = Math.min(this.arenaLeast, this.arenaBytes()) }, 20)
  }

  arenaBytes(): number {
    return [...this.gw.ctx.dataplane.tenants.values()].reduce((n, t) => n + t.arena.bytesInUse, 0)
  }

  highWaterBytes(): number {
    return Math.max(...[...this.gw.ctx.dataplane.tenants.values()].map((t) => t.arena.highWaterBytes))
  }

  sample(): SoakSample {
    const m = process.memoryUsage()
    const ms = (ns: number) => (Number.isFinite(ns) ? ns / 1e6 : 0)
    const s: SoakSample = {
      t: (performance.now() - this.t0) / 1000, rssMiB: m.rss / 2 ** 20, heapMiB: m.heapUsed / 2 ** 20, arenaBytes: Math.min(this.arenaLeast, this.arenaBytes()),
      loopP50: ms(this.delay.percentile(50)), loopP99: ms(this.delay.percentile(99)), loopMax: ms(this.delay.max),
      ...this.counts(), windows: this.gw.ctx.ingestion?.live.windows ?? 0,
    }
    this.delay.reset()
    this.arenaLeast = Infinity
    this.samples.push(s)
    return s
  }

  stop(): void {
    clearInterval(this.arenaTimer)
    this.delay.disable()
  }
}

/**
 * Slope (units per second) of the floor of a series over [from, to] s: the least-squares line through the
 * minimum of each `bucket`-second bucket. Garbage collection makes RSS a sawtooth and in-flight
 * invocations make arena use jitter; a leak raises the floor, so the floor is what is fitted.
 */
export function floorSlope(samples: SoakSample[], key: keyof SoakSample, from: number, to = Infinity, bucket = 5): number {
  const buckets = new Map<number, { t: number; v: number }>()
  for (const s of samples) {
    if (s.t < from || s.t > to) continue
    const b = Math.floor((s.t - from) / bucket)
    const have = buckets.get(b)
    const v = s[key] as number
    if (!have || v < have.v) buckets.set(b, { t: s.t, v })
  }
  const pts = [...buckets.values()]
  return slope(pts.map((p) => p.t), pts.map((p) => p.v))
}
