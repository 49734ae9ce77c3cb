// The shared-memory executor: runs a plan on the tenant's arena in piscina workers, cut into segments
// (Placement below) that the one scheduler (schedule.ts) starts as soon as their inputs exist. A hand-off
// inside a segment is a function call; between segments, on different workers, it is a descriptor posted
// with the task. Either way no payload byte moves: only {ptr, len} pairs do. The chain's boundary (parsing
// the body into the input region, encoding the outputs) runs in the first and last segment's worker.
import { setMaxListeners } from 'node:events'
import { Piscina } from 'piscina'
import type { Descriptor } from '../faaslets/abi/region.js'
import type { Catalog } from '../faaslets/catalog.js'
import { fail, revive, type GraticuleError } from '../errors/index.js'
import { releaseInvocation } from './allocator.js'
import type { ChainInput, OutputEncoding } from './boundary-task.js'
import { newCopyCounter } from './copy-counter.js'
import { CRASH_WORKER, type Executor, type ExecuteOptions, type InvokeResult } from './executor.js'
import { openInvocation } from './invocation.js'
import { isStepRef, type Plan } from './plan.js'
import { runDag } from './schedule.js'
import type { SegmentResult, SegmentTask } from './shared-worker.js'
import type { StepTiming } from './segment.js'
import type { Tenant } from './tenant.js'
import { workerEntry } from './worker-entry.js'

/**
 * Where the steps of a chain run. `colocated`: the whole chain is one task in one worker, every hand-off a
 * function call. `spread`: every step its own task. `parallel` (the default): maximal linear runs of steps
 * are one task each, so a linear chain is colocated and the branches of a fan-out (a `map` step's tiles,
 * density-contrast's two heatmaps) run on different workers at once — over the same memory, handing on
 * descriptors.
 */
export type Placement = 'colocated' | 'spread' | 'parallel'

export interface SharedRunResult {
  outputs: Descriptor[]
  /** the chain inputs (written by a worker when the input was a body or columns) */
  inputs: Descriptor[]
  /** points or features the input held, when a worker wrote it */
  inputSize?: number
  /** the requested encodings, in order */
  encoded: Uint8Array[]
  timings: StepTiming[]
  instantiations: number
  /** worker threads that ran a part of the chain */
  threads: number[]
}

export interface SharedExecutorOptions {
  workers: number
}

/** A unit of work: steps run in order in one task, and the units it waits for. */
interface Segment {
  run: number[]
  deps: number[]
  writesInput: boolean
  encodes: boolean
}

/** What the executor keeps per plan object: its id (what tasks carry), module names and segments. */
interface PlanInfo {
  id: number
  names: string[]
  segments: Map<string, Segment[]>
}

let nextPlanId = 1
const PROGRESS_SLOTS = 1 << 16

export class SharedExecutor implements Executor {
  readonly mode = 'shared' as const
  readonly pool: Piscina
  /** per running task, the step it is on (written by the worker): one array, a slot per task */
  private readonly progress = new Int32Array(new SharedArrayBuffer(PROGRESS_SLOTS * 4))
  private readonly freeSlots = Array.from({ length: PROGRESS_SLOTS - 1 }, (_, i) => PROGRESS_SLOTS - 2 - i)
  private readonly plans = new WeakMap<Plan, PlanInfo>()

  constructor(private readonly catalog: Catalog, opts: SharedExecutorOptions) {
    const entry = workerEntry('shared-worker')
    this.pool = new Piscina({
      filename: entry.filename,
      execArgv: entry.execArgv,
      minThreads: opts.workers,
      maxThreads: opts.workers,
      idleTimeout: Infinity,
    })
  }

  /** Starts every worker and loads it with the catalog's modules, so the first invocation is warm. */
  async warm(tenant: Tenant): Promise<void> {
    // a module that is missing (not built) fails when a chain uses it, not here
    const names = this.catalog.names().filter((n) => {
      try {
        this.catalog.module(n)
        return true
      } catch {
        return false
      }
    })
    const plan: Plan = { name: 'warm', steps: [], outputs: [], inputCount: 0 }
    const info = this.info(plan)
    await Promise.all(
      Array.from({ length: this.pool.options.maxThreads }, () =>
        this.pool.run(this.task(tenant, 0, plan, info, [], [], [], names, PROGRESS_SLOTS - 1)),
      ),
    )
  }

  private info(plan: Plan): PlanInfo {
    let info = this.plans.get(plan)
    if (!info) {
      info = { id: nextPlanId++, names: [...new Set(plan.steps.map((s) => s.faaslet.split('@')[0]))], segments: new Map() }
      this.plans.set(plan, info)
    }
    return info
  }

  private task(
    tenant: Tenant, invocation: number, plan: Plan, info: PlanInfo, run: number[], inputs: Descriptor[],
    known: Array<Descriptor[] | null>, attachNames: string[] | null, progressSlot: number,
  ): SegmentTask {
    const task: SegmentTask = {
      tenant: tenant.name, tenantKey: tenant.key, invocation, limitBytes: tenant.invocationLimitBytes, planId: info.id,
      run, inputs, known, generation: this.catalog.generation, progressSlot,
    }
    if (attachNames) {
      task.plan = plan
      task.attach = {
        arena: tenant.arena.handles,
        keys: Object.fromEntries(this.catalog.names().flatMap((n) => { try { return [[n, this.catalog.key(n)]] } catch { return [] } })),
        modules: attachNames.map((name) => ({ name, key: this.catalog.key(name), module: this.catalog.module(name), manifest: this.catalog.manifest(name) })),
        progress: this.progress.buffer as SharedArrayBuffer,
      }
    }
    return task
  }

  /** Runs one segment in one worker; resends with attachments if the worker lacks the tenant, plan or a module. */
  private async segment(
    tenant: Tenant, invocation: number, plan: Plan, info: PlanInfo, seg: Segment, inputs: Descriptor[],
    known: Array<Descriptor[] | null>, boundary: Pick<SegmentTask, 'input' | 'encode'>, signal: AbortSignal, crash = false,
  ): Promise<Extract<SegmentResult, { ok: true }>> {
    // a slot of the progress array for this task (the last one is shared if ever more run at once)
    const slot = this.freeSlots.pop() ?? PROGRESS_SLOTS - 1
    try {
      for (let attempt = 0; attempt < 3; attempt++) {
        const task = this.task(tenant, invocation, plan, info, seg.run, inputs, known, attempt > 0 ? info.names : null, slot)
        if (seg.writesInput) task.input = boundary.input
        if (seg.encodes) task.encode = boundary.encode
        if (crash) task.crash = true
        const res = (await this.pool.run(task, { signal })) as SegmentResult
        if (res.ok) return res
        if ('missing' in res) continue
        throw revive(res.error)
      }
      throw new Error('worker kept reporting missing modules')
    } catch (e) {
      (e as { step?: string }).step = plan.steps[Atomics.load(this.progress, slot)]?.id
      throw e
    } finally {
      if (slot !== PROGRESS_SLOTS - 1) this.freeSlots.push(slot)
    }
  }

  /** An invocation on the tenant's arena: its input written (here, or by the first worker), run, encoded. */
  async invoke(tenant: Tenant, plan: Plan, input: ChainInput, opts: ExecuteOptions): Promise<InvokeResult> {
    const arena = tenant.arena
    const inv = openInvocation(arena, { limitBytes: tenant.invocationLimitBytes })
    try {
      const copied = newCopyCounter()
      const written = 'write' in input ? input.write(inv.mem) : null
      const t0 = performance.now()
      const res = await this.run(tenant, inv.id, plan, written ?? input as Exclude<ChainInput, { write: unknown }>, opts.encode ?? [], {
        placement: opts.placement, timeLimitMs: tenant.limits.timeLimitMs, crash: opts[CRASH_WORKER],
      })
      const totalMs = performance.now() - t0
      copied.boundary += res.inputs.reduce((n, d) => n + d.len, 0)
      return {
        mode: 'shared', invocation: inv.id, outputs: res.outputs, encoded: res.encoded, inputSize: res.inputSize, bytes: () => arena.bytes(),
        timings: res.timings, totalMs, computeMs: res.timings.reduce((n, t) => n + t.ms, 0), copied,
        instantiations: res.instantiations, threads: res.threads, release: () => { inv.release() },
      }
    } catch (e) {
      inv.release()
      throw e
    }
  }

  /**
   * Runs `plan` for `invocation`. `input` is either the chain input descriptors, already in the arena, or
   * a boundary input a worker parses and writes; `encode` lists the outputs a worker encodes at the end.
   */
  async run(
    tenant: Tenant, invocation: number, plan: Plan, input: Descriptor[] | NonNullable<SegmentTask['input']>, encode: OutputEncoding[],
    opts: { placement?: Placement; timeLimitMs: number; crash?: boolean },
  ): Promise<SharedRunResult> {
    const controller = new AbortController()
    // every segment task listens on the one signal: a map over 256 tiles is as many listeners
    setMaxListeners(Infinity, controller.signal)
    let timedOut = false
    const timer = setTimeout(() => { timedOut = true; controller.abort() }, opts.timeLimitMs)
    try {
      const info = this.info(plan)
      const writes = !Array.isArray(input)
      const segments = this.segmentsOf(plan, info, opts.placement ?? 'parallel', writes, encode.length > 0)
      const known: Array<Descriptor[] | null> = plan.steps.map(() => null)
      let inputs: Descriptor[] = writes ? [] : input
      let inputSize: number | undefined
      let carried: OutputEncoding['carried']
      let encoded: Uint8Array[] = []
      const timings: StepTiming[] = []
      const threads = new Set<number>()
      let instantiations = 0
      const boundary = { input: writes ? input : undefined, encode }
      await runDag(segments.map((s) => s.deps), async (k) => {
        const seg = segments[k]
        const b = seg.encodes && carried ? { ...boundary, encode: encode.map((e) => ({ ...e, carried })) } : boundary
        const res = await this.segment(tenant, invocation, plan, info, seg, inputs, known.slice(), b, controller.signal, opts.crash)
        res.outputs.forEach((o, i) => { if (o) known[i] = o })
        if (res.inputs) {
          inputs = res.inputs
          inputSize = res.inputSize
          carried = res.carried
        }
        if (res.encoded) encoded = res.encoded
        timings.push(...res.timings)
        instantiations += res.instantiations
        threads.add(res.threadId)
      }, plan.name)
      const outputs = plan.outputs.map((r) => (isStepRef(r) ? known[r.step]![r.output] : inputs[r.input]))
      timings.sort((a, b) => a.step - b.step)
      return { outputs, inputs, inputSize, encoded, timings, instantiations, threads: [...threads] }
    } catch (e) {
      throw this.explain(e, tenant, invocation, plan, timedOut, opts.timeLimitMs)
    } finally {
      clearTimeout(timer)
    }
  }

  /** The plan cut into segments for a placement (memoised per plan). */
  private segmentsOf(plan: Plan, info: PlanInfo, placement: Placement, writesInput: boolean, encodes: boolean): Segment[] {
    const memo = `${placement}/${writesInput}/${encodes}`
    const had = info.segments.get(memo)
    if (had) return had
    const n = plan.steps.length
    // consumers of each step's outputs (steps only: plan outputs do not run)
    const consumers = plan.steps.map(() => new Set<number>())
    plan.steps.forEach((s, i) => s.inputs.forEach((r) => { if (isStepRef(r)) consumers[r.step].add(i) }))
    const segOf = new Array<number>(n)
    const runs: number[][] = []
    plan.steps.forEach((s, i) => {
      const producers = new Set(s.inputs.filter(isStepRef).map((r) => r.step))
      let join = -1
      if (placement === 'colocated') join = runs.length ? 0 : -1
      else if (placement === 'parallel' && producers.size === 1) {
        const p = [...producers][0]
        const seg = runs[segOf[p]]
        // extend a linear run: the producer ends its run and feeds this step alone
        if (seg[seg.length - 1] === p && consumers[p].size === 1 && !s.inputs.some((r) => !isStepRef(r))) join = segOf[p]
      }
      if (join < 0) runs.push([i])
      else runs[join].push(i)
      segOf[i] = join < 0 ? runs.length - 1 : join
    })
    if (runs.length === 0) runs.push([])
    const segments: Segment[] = runs.map((run, k) => {
      const deps = new Set<number>()
      for (const i of run) for (const r of plan.steps[i].inputs) {
        if (isStepRef(r)) { if (segOf[r.step] !== k) deps.add(segOf[r.step]) } else if (writesInput && k !== 0) deps.add(0)
      }
      return { run, deps: [...deps], writesInput: writesInput && k === 0, encodes: false }
    })
    if (encodes) {
      // encode where every output is made, or in a last task once all are known
      const makers = new Set(plan.outputs.map((r) => (isStepRef(r) ? segOf[r.step] : 0)))
      if (makers.size === 1) segments[[...makers][0]].encodes = true
      else segments.push({ run: [], deps: segments.map((_, k) => k), writesInput: false, encodes: true })
    }
    info.segments.set(memo, segments)
    return segments
  }

  private explain(e: unknown, tenant: Tenant, invocation: number, plan: Plan, timedOut: boolean, limitMs: number): GraticuleError {
    const step = (e as { step?: string })?.step
    const where = step ? `${plan.name}/${step}` : plan.name
    if (timedOut) {
      tenant.needsReconcile = true
      return fail('E_FAASLET_TIMEOUT', where, limitMs)
    }
    if (e && typeof e === 'object' && 'code' in e && typeof (e as { code: unknown }).code === 'string' && String((e as { code: string }).code).startsWith('E_')) {
      return revive(e)
    }
    // the worker died under us (process.exit, OOM, crash): piscina replaces it
    tenant.needsReconcile = true
    return fail('E_WORKER_DIED', where, (e as Error)?.message ?? String(e))
  }

  /** Frees every chunk of the invocation (also those a killed worker claimed). */
  release(tenant: Tenant, invocation: number): number {
    return releaseInvocation(tenant.arena, invocation)
  }

  async close(): Promise<void> {
    await this.pool.destroy()
  }
}
