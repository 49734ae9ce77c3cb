// (a) The in-worker hand-off: what the shared executor does between two steps of a chain in one worker.
// Both numbers run the real dataplane/segment.ts runSegment over a linear plan of K steps:
//
//   handoff  — runSegment with a runner whose run() returns its input descriptors at once: resolving a
//              step's inputs from the previous step's outputs and calling the next stage, nothing else.
//   perStep  — runSegment with the real LocalRunner and a real faaslet (points-scale), minus the time spent
//              inside the module's gr_run (measured around every gr_run call): everything the executor adds
//              per step — input resolution, instance pool, the invocation context written and read back,
//              every output region checked, the step's timing — i.e. what a hop costs beyond the compute.
//
// perStep is the honest figure (it is what a chain pays per step); handoff is the floor of moving a
// descriptor in JS. Each iteration is a fresh invocation (new heap, chunks claimed and released), as in
// the shared worker; the chain input is written once and reused.
import { performance } from 'node:perf_hooks'
import { Arena, createArenaHandles } from '../../dataplane/arena.js'
import { LocalRunner, type Invocation, type ModuleSource } from '../../dataplane/local-runner.js'
import type { FaasletInstance } from '../../dataplane/faaslet-instance.js'
import { linearPlan } from '../../dataplane/plan.js'
import { runSegment } from '../../dataplane/segment.js'
import { parseParams } from '../../faaslets/abi/manifest.js'
import type { Descriptor } from '../../faaslets/abi/region.js'
import { Catalog } from '../../faaslets/catalog.js'
import { stats, type Stats } from '../lib/measure.js'
import { writeSeqRegion } from './region-seq.js'

export const STAGE = 'points-scale'
export const STEPS = 4

/**
 * LocalRunner that adds up the time spent inside gr_run (µs), so the rest of a step can be told apart.
 * With `sweep` set, each gr_run is followed (inside the timed part) by a pass over that buffer: the host
 * code then runs with cold caches, as it does after a stage that streamed megabytes (the control below).
 */
class TimedRunner extends LocalRunner {
  grUs = 0
  sweep: Float64Array | null = null
  private readonly wrapped = new WeakSet<FaasletInstance>()

  override acquire(name: string): FaasletInstance {
    const inst = super.acquire(name)
    if (!this.wrapped.has(inst)) {
      const run = inst.run
      ;(inst as { run: (ctx: number) => number }).run = (ctx: number) => {
        const t0 = performance.now()
        const status = run(ctx)
        const sweep = this.sweep
        if (sweep) for (let i = 0; i < sweep.length; i += 8) sweep[i] += 1 // one touch per 64-byte line
        this.grUs += (performance.now() - t0) * 1000
        return status
      }
      this.wrapped.add(inst)
    }
    return inst
  }
}

export interface InWorkerRow {
  points: number
  /** set on the control row: what was done to the caches */
  control?: string
  /** µs per step: descriptor resolution + call, no faaslet */
  handoff: Stats
  /** µs per step: everything but gr_run, real faaslet */
  perStep: Stats
  /** µs per step inside gr_run (the stage's own compute, for scale) */
  compute: Stats
  iterations: number
}

/** Modules and manifests by name, looked up like the shared worker's (a Map, no catalog parsing per step). */
function workerSource(catalog: Catalog): ModuleSource {
  const entries = new Map(catalog.names().map((name) => [name, { module: catalog.module(name), manifest: catalog.manifest(name) }]))
  return { module: (name) => entries.get(name)!.module, manifest: (name) => entries.get(name)!.manifest }
}

/** The rows per size, then a control row at the smallest size with a cold cache after every stage. */
export function inWorkerHandoff(sizes: number[], iterations: (points: number) => number, controlIterations = 2000, sweepMiB = 8): InWorkerRow[] {
  const catalog = Catalog.load()
  const runner = new TimedRunner(workerSource(catalog), new Arena(createArenaHandles({ tenant: 'hop-in-worker', quotaBytes: 1 << 30 })))
  const params = Array.from(parseParams(catalog.manifest(STAGE), { a: 1, b: 0 }))
  const plan = linearPlan('hop', Array.from({ length: STEPS }, () => ({ faaslet: STAGE, params })))
  const run = plan.steps.map((_, i) => i)
  const progress = new Int32Array(new SharedArrayBuffer(4)) // the shared worker passes one too
  const rows: InWorkerRow[] = []

  // the floor: the same loop, a stage that hands back its input
  const echo = { run: (_inv: Invocation, _name: string, ins: Descriptor[]) => ins } as unknown as LocalRunner

  const once = (input: Descriptor, perStep: number[] | null, compute: number[] | null) => {
    const inv = runner.begin()
    runner.grUs = 0
    const t0 = performance.now()
    runSegment(runner, inv, plan, run, [input], plan.steps.map(() => null), progress)
    const wallUs = (performance.now() - t0) * 1000
    const gr = runner.grUs
    runner.release(inv)
    perStep?.push((wallUs - gr) / STEPS)
    compute?.push(gr / STEPS)
  }
  // tier-up of the host code (and the module) before anything is recorded: thousands of small runs
  const small = runner.begin()
  const smallInput = writeSeqRegion(small.mem, 100)
  for (let i = 0; i < 5000; i++) once(smallInput, null, null)
  runner.release(small)

  const cases: Array<{ points: number; sweep: boolean }> = [...sizes.map((points) => ({ points, sweep: false })), { points: Math.min(...sizes), sweep: true }]
  for (const { points, sweep } of cases) {
    runner.sweep = sweep ? new Float64Array((sweepMiB << 20) / 8) : null
    const held = runner.begin()
    const input = writeSeqRegion(held.mem, points)
    const n = sweep ? controlIterations : iterations(points) // the control sweeps 4 × 8 MiB per iteration

    const handoff: number[] = []
    const batch = 200
    const fakeInv = runner.begin()
    for (let i = 0; i < n / 10 + 2000; i++) runSegment(echo, fakeInv, plan, run, [input], plan.steps.map(() => null), progress) // warm
    for (let s = 0; s < Math.max(50, n / batch); s++) {
      const t0 = performance.now()
      for (let i = 0; i < batch; i++) runSegment(echo, fakeInv, plan, run, [input], plan.steps.map(() => null), progress)
      handoff.push(((performance.now() - t0) * 1000) / (batch * STEPS))
    }
    runner.release(fakeInv)

    const perStep: number[] = []
    const compute: number[] = []
    for (let i = 0; i < 20; i++) once(input, null, null) // this size's memory touched once
    for (let i = 0; i < n; i++) once(input, perStep, compute)
    runner.release(held)
    rows.push({
      points, control: sweep ? `${sweepMiB} MiB swept through the cache after every stage (counted as compute)` : undefined,
      handoff: stats(handoff), perStep: stats(perStep), compute: stats(compute), iterations: n,
    })
  }
  runner.sweep = null
  if (runner.arena.bytesInUse !== 0) throw new Error('in-worker hop benchmark leaked arena chunks')
  return rows
}
