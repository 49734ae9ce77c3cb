// Runs steps of a plan on one thread: each step's inputs are descriptors (chain inputs or earlier
// outputs), each step's outputs are descriptors. Hand-off between the steps run here is a function call:
// the array of descriptors is all that moves.
import type { Descriptor } from '../faaslets/abi/region.js'
import type { InstancePool, Invocation } from './instance-pool.js'
import { isStepRef, type Plan, type PlanRef } from './plan.js'

export interface StepTiming {
  step: number
  ms: number
  /** where the step read and wrote: in shared mode a step's input is the very region its producer wrote */
  inputs: Descriptor[]
  outputs: Descriptor[]
  /** when it started and ended, ms since the epoch with sub-ms precision (comparable across workers) */
  start?: number
  end?: number
  /** the worker thread it ran on */
  thread?: number
}

/**
 * Runs `run` (step indexes, in order) of the plan. `known[i]` holds outputs of steps that ran elsewhere;
 * entries for the steps run here are filled in. `progress[0]` (if given) is set to the running step so a
 * supervisor that has to kill the thread can say where it was.
 */
export function runSegment(
  runner: InstancePool,
  inv: Invocation,
  plan: Plan,
  run: number[],
  inputs: Descriptor[],
  known: Array<Descriptor[] | null>,
  progress?: Int32Array,
  thread?: number,
): StepTiming[] {
  const resolve = (r: PlanRef): Descriptor => {
    if (!isStepRef(r)) return inputs[r.input]
    const out = known[r.step]
    if (!out || !out[r.output]) throw new Error(`${plan.name}: step ${plan.steps[r.step].id} has no output ${r.output} here`)
    return out[r.output]
  }
  const timings: StepTiming[] = []
  for (const i of run) {
    const step = plan.steps[i]
    if (progress) Atomics.store(progress, 0, i)
    const ins = step.inputs.map(resolve)
    const t0 = performance.now()
    const outs = runner.run(inv, step.faaslet, ins, Float64Array.from(step.params))
    const t1 = performance.now()
    timings.push({ step: i, ms: t1 - t0, inputs: ins, outputs: outs, start: performance.timeOrigin + t0, end: performance.timeOrigin + t1, thread })
    known[i] = outs
  }
  return timings
}
