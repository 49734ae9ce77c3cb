// A plan is a chain compiled for execution: steps in topological order, each naming its faaslet, its
// packed parameter slots and where each input comes from. chains/ builds plans from YAML; tests and
// benchmarks may write them by hand. Pure data: it crosses to workers and processes as is.

/** An input of a step, or an output of the plan: a chain input, or output `output` of an earlier step. */
export type PlanRef = { input: number } | { step: number; output: number }

export interface PlanStep {
  id: string
  faaslet: string
  /** parameter slots in manifest order (see faaslets/abi/manifest.ts parseParams) */
  params: number[]
  inputs: PlanRef[]
  /**
   * The chain step this one was expanded from, when it is one of several: a branch of a mapped step
   * (`heat[3]`, of `heat`) or a partial gather of a tree (`mosaic[0]`, of `mosaic`). Absent otherwise.
   */
  of?: string
}

export interface Plan {
  name: string
  steps: PlanStep[]
  outputs: PlanRef[]
  /** how many regions the caller provides as chain inputs */
  inputCount: number
}

export function isStepRef(r: PlanRef): r is { step: number; output: number } {
  return 'step' in r
}

/** Throws if a step reads a later step or an input that does not exist (plans must be topological). */
export function checkPlan(plan: Plan): void {
  const check = (r: PlanRef, where: string, before: number) => {
    if (isStepRef(r)) {
      if (!(r.step >= 0 && r.step < before)) throw new Error(`${plan.name}: ${where} reads step ${r.step}, which does not run before it`)
    } else if (!(r.input >= 0 && r.input < plan.inputCount)) {
      throw new Error(`${plan.name}: ${where} reads chain input ${r.input}, the plan has ${plan.inputCount}`)
    }
  }
  plan.steps.forEach((s, i) => s.inputs.forEach((r) => check(r, `step ${s.id}`, i)))
  plan.outputs.forEach((r, i) => check(r, `output ${i}`, plan.steps.length))
}

/** The steps each step waits for (its inputs' producers). */
export function stepDeps(plan: Plan): number[][] {
  return plan.steps.map((s) => [...new Set(s.inputs.filter(isStepRef).map((r) => r.step))])
}

/** A linear plan: each step reads the previous step's first output (the first reads chain input 0). */
export function linearPlan(name: string, steps: Array<{ faaslet: string; params: number[]; id?: string }>): Plan {
  return {
    name,
    inputCount: 1,
    steps: steps.map((s, i) => ({
      id: s.id ?? `${i}-${s.faaslet}`,
      faaslet: s.faaslet,
      params: s.params,
      inputs: [i === 0 ? { input: 0 } : { step: i - 1, output: 0 }],
    })),
    outputs: [{ step: steps.length - 1, output: 0 }],
  }
}
