// Runs every hop benchmark in one process and collects the results (bench-hop.ts writes them; bench.ts
// embeds them in its report). Baselines and candidates run in the same process, one after the other per
// size, on the same regions.
import { availableParallelism } from 'node:os'
import { Arena, createArenaHandles } from '../../dataplane/arena.js'
import { InvocationHeap, newInvocationId } from '../../dataplane/allocator.js'
import { Dataplane } from '../../dataplane/dataplane.js'
import { stats, type Stats } from '../lib/measure.js'
import { CHAIN_MODES, runChainCase, type ChainRow } from './chain.js'
import { HopPair, phaseStats, piscinaRoundTrips } from './cross-worker.js'
import { inWorkerHandoff, STAGE, STEPS, type InWorkerRow } from './in-worker.js'
import { chainCase } from './inputs.js'
import { writeSeqRegion } from './region-seq.js'
import { startup, type StartupResult } from './startup.js'

export interface HopOptions {
  sizes: number[]
  quick: boolean
  /** shared-executor workers (and piscina pool size) */
  workers?: number
  chains?: boolean
  startup?: boolean
  /** called as each part starts: a label and the fraction of the whole done so far */
  progress?: (label: string, fraction: number) => void
}

export interface CrossRow {
  points: number
  what: string
  /** one-way latency (round trip for piscina), µs */
  us: Stats
}

export interface CopyRow {
  points: number
  route: 'via main' | 'direct'
  bytes: number
  us: Stats
  phases: Record<string, Stats>
}

export interface RatioRow {
  points: number
  /** copy hop as the copy executor routes it (A → main → B) / the shared executor's in-worker per-step cost */
  copyOverInWorker: number
  /** same route, bytes vs descriptor: copy via main / descriptor via main */
  copyOverDescriptorViaMain: number
  /** direct port, bytes vs descriptor */
  copyOverDescriptorDirect: number
}

export interface HopResult {
  sizes: number[]
  quick: boolean
  workers: number
  stage: string
  steps: number
  inWorker: InWorkerRow[]
  /** the in-worker measurement at the smallest size with cold caches after every stage (a control) */
  inWorkerColdCache: InWorkerRow | null
  crossWorker: CrossRow[]
  copy: CopyRow[]
  ratios: RatioRow[]
  chains: ChainRow[]
  startup: StartupResult | null
}

export const CROSS = {
  port: 'descriptor, MessagePort A → B',
  viaMain: 'descriptor, A → main → B (postMessage)',
  ringSpin: 'descriptor ring (SAB), spin 2000 then Atomics.wait',
  ringWait: 'descriptor ring (SAB), Atomics.wait only',
  piscina: 'piscina.run(descriptor) round trip (what spread pays per step)',
} as const

export async function runHop(opts: HopOptions): Promise<HopResult> {
  const q = opts.quick
  const workers = opts.workers ?? Math.max(1, availableParallelism())
  const sizes = opts.sizes
  const progress = opts.progress ?? (() => {})
  const parts = 4 + (opts.chains === false ? 0 : 2) + (opts.startup === false ? 0 : 1)
  let part = 0
  const step = (label: string) => progress(label, part++ / parts)

  step('hop: in-worker hand-off')
  const inWorkerRows = inWorkerHandoff(sizes, (n) => (q ? (n >= 100_000 ? 60 : n >= 10_000 ? 400 : 2000) : n >= 100_000 ? 1500 : n >= 10_000 ? 8000 : 20_000), q ? 300 : 2000)
  const inWorker = inWorkerRows.filter((r) => !r.control)
  const inWorkerColdCache = inWorkerRows.find((r) => r.control) ?? null

  step('hop: cross-worker descriptors')
  const handles = createArenaHandles({ tenant: 'hop', quotaBytes: 1 << 30 })
  const arena = new Arena(handles)
  const heap = new InvocationHeap(arena, newInvocationId(arena))
  const mem = arena.regionMemory((s, a) => heap.alloc(s, a))
  const regions = new Map(sizes.map((n) => [n, writeSeqRegion(mem, n)]))
  const nDesc = q ? 2000 : 10_000
  const warmDesc = q ? 300 : 1000
  const pair = await HopPair.start()
  const crossWorker: CrossRow[] = []
  const copy: CopyRow[] = []
  try {
    for (const points of sizes) {
      const region = regions.get(points)!
      const one = async (what: string, transport: 'port' | 'parent' | 'ring', spin?: number) => {
        const r = await pair.run({ transport, payload: 'descriptor', n: nDesc, warmup: warmDesc, arena: handles, region, spin })
        crossWorker.push({ points, what, us: stats(Array.from(r.latency)) })
      }
      await one(CROSS.port, 'port')
      await one(CROSS.viaMain, 'parent')
      await one(CROSS.ringSpin, 'ring', 2000)
      await one(CROSS.ringWait, 'ring', 0)
    }

    step('hop: piscina round trips')
    for (const points of sizes) {
      const rt = await piscinaRoundTrips(handles, regions.get(points)!, workers, nDesc, warmDesc)
      crossWorker.push({ points, what: CROSS.piscina, us: stats(Array.from(rt)) })
    }

    step('hop: copy hops')
    for (const points of sizes) {
      const n = q ? (points >= 100_000 ? 40 : points >= 10_000 ? 200 : 500) : points >= 100_000 ? 300 : points >= 10_000 ? 2000 : 5000
      for (const [route, transport] of [['via main', 'parent'], ['direct', 'port']] as const) {
        const r = await pair.run({ transport, payload: 'copy', n, warmup: Math.max(10, n / 10), points })
        copy.push({ points, route, bytes: regions.get(points)!.len, us: stats(Array.from(r.latency)), phases: phaseStats(r.phases!) })
      }
    }
  } finally {
    await pair.close()
  }

  const median = (rows: CrossRow[], points: number, what: string) => rows.find((r) => r.points === points && r.what === what)!.us.median
  const ratios: RatioRow[] = sizes.map((points) => {
    const viaMain = copy.find((c) => c.points === points && c.route === 'via main')!.us.median
    const direct = copy.find((c) => c.points === points && c.route === 'direct')!.us.median
    return {
      points,
      copyOverInWorker: viaMain / inWorker.find((r) => r.points === points)!.perStep.median,
      copyOverDescriptorViaMain: viaMain / median(crossWorker, points, CROSS.viaMain),
      copyOverDescriptorDirect: direct / median(crossWorker, points, CROSS.port),
    }
  })

  const chains: ChainRow[] = []
  if (opts.chains !== false) {
    const dp = await Dataplane.start({ workers })
    try {
      for (const chain of ['tile-heatmap', 'points-prepare'] as const) {
        step(`hop: ${chain} end to end in every mode`)
        for (const points of sizes) {
          const c = await chainCase(dp.catalog, chain, points)
          const heavy = chain === 'tile-heatmap' && points >= 100_000
          chains.push(...(await runChainCase(dp, c, CHAIN_MODES, {
            warmup: heavy ? 1 : q ? 2 : 3,
            minRounds: q ? (heavy ? 2 : 5) : heavy ? 6 : 20,
            maxRounds: q ? 100 : 400,
            budgetMs: q ? 1500 : heavy ? 30_000 : 10_000,
          })))
        }
      }
    } finally {
      await dp.close()
    }
  }

  let start: StartupResult | null = null
  if (opts.startup !== false) {
    step('hop: instantiate and cold start')
    start = await startup({ instances: q ? 50 : 300, workers: q ? 3 : 10, executors: q ? 1 : 3 })
  }
  progress('hop: done', 1)
  return { sizes, quick: q, workers, stage: STAGE, steps: STEPS, inWorker, inWorkerColdCache, crossWorker, copy, ratios, chains, startup: start }
}
