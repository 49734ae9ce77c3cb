// The load matrix: every (chain, size, mode) target driven with the same connections, warm-up and
// duration, modes interleaved within each round and their order rotated from round to round, so machine
// noise falls on all modes alike. Rows pool the rounds: req/s per round (median, min, max), latency
// percentiles over every response, the time split from the gateway's headers, server CPU and RSS.
import { stats, type Stats } from '../lib/measure.js'
import { REGION_MEDIA_TYPE } from '../../faaslets/codecs/boundary.js'
import { PREPARE_PARAMS, TILE } from '../hop/inputs.js'
import { drive, type LoadResult } from './load.js'
import type { BenchServer } from './server-client.js'
import type { ServerStats } from './protocol.js'

export type ChainName = 'tile-heatmap' | 'points-prepare'
export const TILE_MODES = ['shared', 'copy', 'http', 'monolith', 'monolith-pool'] as const
export const PREPARE_MODES = ['shared', 'copy', 'http'] as const
export type BenchMode = (typeof TILE_MODES)[number]

export interface Target {
  chain: ChainName
  points: number
  mode: BenchMode
  path: string
  body: Uint8Array
  contentType: string
}

const query = (o: Record<string, unknown>) => Object.entries(o).map(([k, v]) => `${k}=${encodeURIComponent(String(v))}`).join('&')

export function tileTarget(points: number, mode: BenchMode, body: Uint8Array): Target {
  const q = query(TILE)
  const path = mode === 'monolith' || mode === 'monolith-pool' ? `/${mode}/tile-heatmap?${q}` : `/chains/tile-heatmap/invoke?${q}&mode=${mode}`
  return { chain: 'tile-heatmap', points, mode, path, body, contentType: 'application/vnd.mapbox-vector-tile' }
}

export function prepareTarget(points: number, mode: BenchMode, body: Uint8Array): Target {
  // the region output: binary, what the next service would read; the grid is encoded too (see report)
  const path = `/chains/points-prepare/invoke?${query(PREPARE_PARAMS)}&output=region&mode=${mode}`
  return { chain: 'points-prepare', points, mode, path, body, contentType: REGION_MEDIA_TYPE }
}

export interface RunSettings {
  connections: number
  warmupS: number
  /** seconds of each measured run of a target */
  durationS: (t: Target) => number
  timeoutS: number
}

export interface Measured {
  target: Target
  round: number
  load: LoadResult
  server: ServerStats
}

export interface LoadRow {
  chain: ChainName
  points: number
  mode: BenchMode
  bodyBytes: number
  rounds: number
  requests: number
  rps: { median: number; min: number; max: number; perRound: number[] }
  /** over every 2xx response of every round, ms */
  latency: Stats
  errors: number
  timeouts: number
  non2xx: number
  /** x-graticule-copied-bytes per request (between stages); null for the monolith */
  copiedBytesPerRequest: number | null
  /** means per request, ms: stage compute, dataplane overhead (chain − compute), gateway/boundary (latency − chain) */
  split: { latencyMs: number; computeMs: number; dataplaneMs: number; boundaryMs: number } | null
  /** server process + its children: CPU cores busy on average, CPU ms per request (medians of rounds) */
  cpu: { cores: number; msPerRequest: number }
  rssMaxMiB: number
}

/** Runs every target once per round (warm-up run, then the measured run), rotating the order. */
export async function runMatrix(
  server: BenchServer, groups: Target[][], rounds: number, s: RunSettings,
  onRun: (label: string, units: number) => void,
): Promise<Measured[]> {
  const out: Measured[] = []
  for (let round = 0; round < rounds; round++) {
    for (const [g, targets] of groups.entries()) {
      for (let k = 0; k < targets.length; k++) {
        const t = targets[(k + round + g) % targets.length]
        const d = s.durationS(t)
        onRun(`round ${round + 1}/${rounds}  ${t.chain} ${t.points >= 1000 ? `${t.points / 1000}k` : t.points}  ${t.mode}`, s.warmupS + d)
        const spec = { url: server.url + t.path, body: t.body, contentType: t.contentType, connections: s.connections, timeoutS: s.timeoutS }
        await server.drain() // what the previous run left running finishes first
        if (s.warmupS > 0) await drive({ ...spec, durationS: s.warmupS })
        await server.drain()
        await server.reset()
        const load = await drive({ ...spec, durationS: d })
        out.push({ target: t, round, load, server: await server.stats() })
      }
    }
  }
  return out
}

const median = (xs: number[]) => stats(xs.length ? xs : [NaN]).median
const mean = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : NaN)

export function aggregate(measured: Measured[]): LoadRow[] {
  const keys = [...new Set(measured.map((m) => `${m.target.chain}|${m.target.points}|${m.target.mode}`))]
  return keys.map((key) => {
    const runs = measured.filter((m) => `${m.target.chain}|${m.target.points}|${m.target.mode}` === key)
    const t = runs[0].target
    const lat = runs.flatMap((r) => r.load.samples.latencyMs)
    const h = {
      latencyMs: runs.flatMap((r) => r.load.samples.withHeaders.latencyMs),
      computeMs: runs.flatMap((r) => r.load.samples.withHeaders.computeMs),
      chainMs: runs.flatMap((r) => r.load.samples.withHeaders.chainMs),
      copiedBytes: runs.flatMap((r) => r.load.samples.withHeaders.copiedBytes),
    }
    const perRound = runs.map((r) => r.load.rps)
    const cpuMs = (r: Measured) => r.server.userMs + r.server.systemMs + r.server.childCpuMs
    return {
      chain: t.chain, points: t.points, mode: t.mode, bodyBytes: t.body.byteLength, rounds: runs.length,
      requests: runs.reduce((n, r) => n + r.load.ok, 0),
      rps: { median: median(perRound), min: Math.min(...perRound), max: Math.max(...perRound), perRound },
      latency: stats(lat.length ? lat : [NaN]),
      errors: runs.reduce((n, r) => n + r.load.errors, 0),
      timeouts: runs.reduce((n, r) => n + r.load.timeouts, 0),
      non2xx: runs.reduce((n, r) => n + r.load.non2xx, 0),
      copiedBytesPerRequest: h.copiedBytes.length ? mean(h.copiedBytes) : null,
      split: h.chainMs.length
        ? { latencyMs: mean(h.latencyMs), computeMs: mean(h.computeMs), dataplaneMs: mean(h.chainMs) - mean(h.computeMs), boundaryMs: mean(h.latencyMs) - mean(h.chainMs) }
        : null,
      cpu: {
        cores: median(runs.map((r) => cpuMs(r) / r.server.wallMs)),
        msPerRequest: median(runs.map((r) => (r.load.ok ? cpuMs(r) / r.load.ok : NaN))),
      },
      rssMaxMiB: Math.max(...runs.map((r) => r.server.rssMaxBytes)) / 2 ** 20,
    }
  })
}
