// Chains end to end through the Dataplane API in every mode, interleaved run by run so the machine's
// noise falls on all modes alike: chain wall time (totalMs: input written → outputs ready) against the sum
// of the stages' own compute (computeMs), the difference being what the dataplane adds (hand-offs,
// encoding and copies, dispatch); bytes copied between stages; instances created by warm invocations.
import type { Dataplane, Mode } from '../../dataplane/dataplane.js'
import type { Placement } from '../../dataplane/shared-executor.js'
import { stats, type Stats } from '../lib/measure.js'
import type { ChainCase } from './inputs.js'

export interface ModeSpec {
  label: string
  mode: Mode
  placement?: Placement
}

export const CHAIN_MODES: ModeSpec[] = [
  { label: 'shared', mode: 'shared' },
  { label: 'shared-spread', mode: 'shared', placement: 'spread' },
  { label: 'copy', mode: 'copy' },
  { label: 'http', mode: 'http' },
]

export interface ChainRow {
  chain: string
  points: number
  mode: string
  runs: number
  totalMs: Stats
  computeMs: Stats
  /** totalMs − computeMs per run */
  overheadMs: Stats
  /** overhead as % of that run's compute */
  overheadPct: Stats
  /** per invocation (the same every run) */
  copiedBetweenStages: number
  copiedBoundary: number
  /** instances created over all measured runs (0 = every warm invocation instantiated nothing) */
  instantiations: number
  /** median compute of each step, ms */
  stepMs: number[]
}

export interface ChainBudget {
  /** rounds (one run of every mode) at least */
  minRounds: number
  maxRounds: number
  /** stop adding rounds after this much time for the case (ms) */
  budgetMs: number
  warmup: number
}

export async function runChainCase(dp: Dataplane, c: ChainCase, modes: ModeSpec[], budget: ChainBudget, tenant = 'bench'): Promise<ChainRow[]> {
  const samples = modes.map(() => ({ total: [] as number[], compute: [] as number[], overhead: [] as number[], pct: [] as number[], steps: [] as number[][], copied: 0, boundary: 0, inst: 0 }))
  // warm-up: workers and function processes started, modules compiled and tiered up; every mode must
  // give the same output bytes before its times mean anything
  let reference: Uint8Array | null = null
  for (let w = 0; w < budget.warmup; w++) {
    for (const m of modes) {
      const res = await dp.invoke(tenant, c.plan, c.write, { mode: m.mode, placement: m.placement })
      const d = res.outputs[0]
      const out = res.bytes().slice(d.ptr, d.ptr + d.len)
      res.release()
      if (!reference) reference = out
      else if (!Buffer.from(out).equals(Buffer.from(reference))) throw new Error(`${c.chain} ${c.points}: ${m.label} gives other output bytes than ${modes[0].label}`)
    }
  }
  const t0 = performance.now()
  for (let round = 0; round < budget.maxRounds; round++) {
    if (round >= budget.minRounds && performance.now() - t0 > budget.budgetMs) break
    for (let k = 0; k < modes.length; k++) {
      const i = (k + round) % modes.length // rotate: no mode always runs first
      const m = modes[i]
      const res = await dp.invoke(tenant, c.plan, c.write, { mode: m.mode, placement: m.placement })
      res.release()
      const s = samples[i]
      s.total.push(res.totalMs)
      s.compute.push(res.computeMs)
      s.overhead.push(res.totalMs - res.computeMs)
      s.pct.push((100 * (res.totalMs - res.computeMs)) / res.computeMs)
      s.steps.push(res.timings.map((t) => t.ms))
      s.copied = res.copied.betweenStages
      s.boundary = res.copied.boundary
      s.inst += res.instantiations
    }
  }
  return modes.map((m, i) => {
    const s = samples[i]
    return {
      chain: c.chain, points: c.points, mode: m.label, runs: s.total.length,
      totalMs: stats(s.total), computeMs: stats(s.compute), overheadMs: stats(s.overhead), overheadPct: stats(s.pct),
      copiedBetweenStages: s.copied, copiedBoundary: s.boundary, instantiations: s.inst,
      stepMs: c.plan.steps.map((_, k) => stats(s.steps.map((x) => x[k])).median),
    }
  })
}
