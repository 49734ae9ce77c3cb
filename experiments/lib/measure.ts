// Timing helpers shared by the benchmarks: warm up, run many times, report order statistics in ms.
import { cpus, totalmem } from 'node:os'
import { performance } from 'node:perf_hooks'

export interface Stats {
  runs: number
  median: number
  p90: number
  p99: number
  min: number
  mean: number
}

export function stats(samples: number[]): Stats {
  const s = [...samples].sort((a, b) => a - b)
  const q = (p: number) => s[Math.min(s.length - 1, Math.floor(p * (s.length - 1) + 0.5))]
  return {
    runs: s.length,
    median: q(0.5),
    p90: q(0.9),
    p99: q(0.99),
    min: s[0],
    mean: s.reduce((a, b) => a + b, 0) / s.length,
  }
}

export interface MeasureOptions {
  warmup?: number
  runs?: number
  /** keep running past `runs` until this much time has been spent (ms) */
  minTimeMs?: number
  /** hard cap on the time spent (ms) */
  maxTimeMs?: number
}

/** Times fn (synchronous) after warm-up; returns ms statistics. */
export function measure(fn: () => unknown, opts: MeasureOptions = {}): Stats {
  const { warmup = 3, runs = 15, minTimeMs = 0, maxTimeMs = 30_000 } = opts
  for (let i = 0; i < warmup; i++) fn()
  const samples: number[] = []
  const start = performance.now()
  while (samples.length < runs || performance.now() - start < minTimeMs) {
    const t0 = performance.now()
    fn()
    samples.push(performance.now() - t0)
    if (performance.now() - start > maxTimeMs && samples.length >= 3) break
  }
  return stats(samples)
}

/** Async variant of measure. */
export async function measureAsync(fn: () => Promise<unknown>, opts: MeasureOptions = {}): Promise<Stats> {
  const { warmup = 3, runs = 15, minTimeMs = 0, maxTimeMs = 30_000 } = opts
  for (let i = 0; i < warmup; i++) await fn()
  const samples: number[] = []
  const start = performance.now()
  while (samples.length < runs || performance.now() - start < minTimeMs) {
    const t0 = performance.now()
    await fn()
    samples.push(performance.now() - t0)
    if (performance.now() - start > maxTimeMs && samples.length >= 3) break
  }
  return stats(samples)
}

export interface Machine {
  cpu: string
  cores: number
  memoryGiB: number
  node: string
  platform: string
  date: string
}

export function machine(): Machine {
  const c = cpus()
  return {
    cpu: c[0]?.model ?? 'unknown',
    cores: c.length,
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    platform: `${process.platform}-${process.arch}`,
    date: new Date().toISOString(),
  }
}

export function machineLine(m: Machine = machine()): string {
  return `${m.cpu}, ${m.cores} cores, ${m.memoryGiB} GiB, Node ${m.node}, ${m.platform}, ${m.date.slice(0, 10)}`
}

/** Deterministic PRNG (mulberry32) so benchmark inputs are the same on every run. */
export function rng(seed = 42): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

export function fmt(ms: number): string {
  if (ms < 0.01) return `${(ms * 1000).toFixed(2)} µs`
  if (ms < 1) return `${(ms * 1000).toFixed(0)} µs`
  if (ms < 100) return `${ms.toFixed(2)} ms`
  return `${ms.toFixed(0)} ms`
}
