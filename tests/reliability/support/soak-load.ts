// The load a soak applies: the points-heatmap request and an autocannon run against it.
import { createRequire } from 'node:module'

/** A points-heatmap request body: n points in and around tile 4/8/5 (Europe), CSV. */
export function soakCsv(n: number, seed = 1): string {
  let a = seed >>> 0
  const rand = () => { a = (a + 0x6d2b79f5) >>> 0; let t = a; t = Math.imul(t ^ (t >>> 15), t | 1); t ^= t + Math.imul(t ^ (t >>> 7), t | 61); return ((t ^ (t >>> 14)) >>> 0) / 4294967296 }
  const rows = ['lon,lat,weight']
  for (let i = 0; i < n; i++) rows.push(`${(rand() * 24 - 1).toFixed(5)},${(40 + rand() * 16).toFixed(5)},${(1 + rand() * 4).toFixed(2)}`)
  return rows.join('\n') + '\n'
}
export const SOAK_PATH = '/chains/points-heatmap/invoke?z=4&x=8&y=5'

/** The subset of autocannon's programmatic API the soak uses (the package ships no types). */
export interface Cannon extends NodeJS.EventEmitter {
  stop(): void
}
export interface CannonResult {
  requests: { average: number; total: number }
  latency: { p50: number; p99: number; max: number }
  non2xx: number
  errors: number
  timeouts: number
  duration: number
}
export type CannonFn = ((opts: Record<string, unknown>, cb: (err: Error | null, res: CannonResult) => void) => Cannon)

export function loadAutocannon(): CannonFn {
  return createRequire(import.meta.url)('autocannon') as CannonFn
}

/** Runs autocannon against the soak route; counts 2xx and the rest as they come (for per-interval reports). */
export function cannon(url: string, opts: { connections: number; seconds: number; rate?: number; body: string }, counts = { ok: 0, errors: 0 }): { counts: { ok: number; errors: number }; done: Promise<CannonResult>; stop(): void } {
  const autocannon = loadAutocannon()
  let instance!: Cannon
  const done = new Promise<CannonResult>((resolve, reject) => {
    instance = autocannon({
      url: url + SOAK_PATH, method: 'POST', body: opts.body, headers: { 'content-type': 'text/csv' },
      connections: opts.connections, duration: opts.seconds, timeout: 30, ...(opts.rate ? { overallRate: opts.rate } : {}),
    }, (err, res) => (err ? reject(err) : resolve(res)))
  })
  instance.on('response', (_client: unknown, status: number) => { if (status >= 200 && status < 300) counts.ok++; else counts.errors++ })
  instance.on('reqError', () => { counts.errors++ })
  return { counts, done, stop: () => instance.stop() }
}
