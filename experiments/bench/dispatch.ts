// The fixed cost of one warm invocation: a one-step plan (points-scale on one point) invoked one after
// another on a dataplane of one worker, so what is measured is the path around the faaslet — the plan
// checked, the input written, the task posted to the worker and its answer taken back, the invocation
// released — not the faaslet. Latency per invocation (median of rounds) and the calling thread's CPU per
// invocation (from /proc, Linux; null elsewhere).
import { Dataplane } from '../../dataplane/dataplane.js'
import { linearPlan } from '../../dataplane/plan.js'
import { parseParams } from '../../faaslets/abi/manifest.js'
import { pointArrays, writePoints } from '../../faaslets/codecs/points.js'
import { cpuSample } from './scale-gateway.js'

export interface DispatchResult {
  invocations: number
  rounds: number
  /** wall time per invocation, µs: median of the rounds, and the rounds */
  medianUs: number
  roundsUs: number[]
  /** the calling (main) thread's CPU per invocation, µs (null without /proc) */
  mainCpuUs: number | null
}

export async function measureDispatch(opts: { invocations?: number; rounds?: number } = {}): Promise<DispatchResult> {
  const invocations = opts.invocations ?? 2_000
  const rounds = opts.rounds ?? 5
  const dp = await Dataplane.start({ workers: 1 })
  try {
    const plan = linearPlan('dispatch', [{ faaslet: 'points-scale', params: Array.from(parseParams(dp.catalog.manifest('points-scale'), { a: 1 })) }])
    const pts = pointArrays(1)
    const once = async () => (await dp.invoke('default', plan, (mem) => [writePoints(mem, pts)])).release()
    for (let i = 0; i < 200; i++) await once()
    const roundsUs: number[] = []
    const before = cpuSample(process.pid)
    for (let r = 0; r < rounds; r++) {
      const t0 = performance.now()
      for (let i = 0; i < invocations; i++) await once()
      roundsUs.push(((performance.now() - t0) / invocations) * 1000)
    }
    const after = cpuSample(process.pid)
    const sorted = [...roundsUs].sort((a, b) => a - b)
    return {
      invocations, rounds, medianUs: sorted[Math.floor(sorted.length / 2)], roundsUs,
      mainCpuUs: before && after ? ((after.mainMs - before.mainMs) * 1000) / (invocations * rounds) : null,
    }
  } finally {
    await dp.close()
  }
}
