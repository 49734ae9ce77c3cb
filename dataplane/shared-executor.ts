// The shared-memory executor: runs a plan on the tenant's arena in piscina workers. Placement
// `colocated` (default) runs the whole chain as one task, so every hand-off is a function call inside one
// worker; `spread` runs each step as its own task as soon as its inputs exist, so independent branches run
// on different workers at once and a hand-off is a descriptor posted through piscina. Either way no payload
// byte moves: only {ptr, len} pairs do.
import { Piscina } from 'piscina'
import type { Descriptor } from '../faaslets/abi/region.js'
import type { Catalog } from '../faaslets/catalog.js'
import { fail, revive, type GraticuleError } from '../errors/index.js'
import { releaseInvocation } from './allocator.js'
import { isStepRef, type Plan } from './plan.js'
import type { SegmentResult, SegmentTask } from './shared-worker.js'
import type { StepTiming } from './segment.js'
import type { Tenant } from './tenant.js'
import { workerEntry } from './worker-entry.js'

export type Placement = 'colocated' | 'spread'

export interface SharedRunResult {
  outputs: Descriptor[]
  timings: StepTiming[]
  instantiations: number
  /** worker threads that ran a part of the chain */
  threads: number[]
}

export interface SharedExecutorOptions {
  workers: number
}

export class SharedExecutor {
  readonly pool: Piscina
  private readonly progress: SharedArrayBuffer[] = []

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
    await Promise.all(
      Array.from({ length: this.pool.options.maxThreads }, () =>
        this.pool.run(this.task(tenant, 0, plan, [], [], [], names, true)),
      ),
    )
  }

  private task(
    tenant: Tenant, invocation: number, plan: Plan, run: number[], inputs: Descriptor[],
    known: Array<Descriptor[] | null>, names: string[], withAttachments: boolean, progress?: SharedArrayBuffer,
  ): SegmentTask {
    const modules = names.map((name) => ({ name, key: this.catalog.key(name) }))
    const task: SegmentTask = { tenant: tenant.name, tenantKey: tenant.key, invocation, plan, run, inputs, known, modules, progress }
    if (withAttachments) {
      task.attach = {
        arena: tenant.arena.handles,
        modules: names.map((name) => ({ name, key: this.catalog.key(name), module: this.catalog.module(name), manifest: this.catalog.manifest(name) })),
      }
    }
    return task
  }

  /** Runs steps `run` in one worker; resends with attachments if the worker lacks the tenant or a module. */
  private async segment(
    tenant: Tenant, invocation: number, plan: Plan, run: number[], inputs: Descriptor[],
    known: Array<Descriptor[] | null>, signal: AbortSignal, crash = false,
  ): Promise<Extract<SegmentResult, { ok: true }>> {
    const names = [...new Set(run.map((i) => plan.steps[i].faaslet.split('@')[0]))]
    const progress = this.progress.pop() ?? new SharedArrayBuffer(4)
    try {
      for (let attempt = 0; attempt < 3; attempt++) {
        const task = this.task(tenant, invocation, plan, run, inputs, known, names, attempt > 0, progress)
        if (crash) task.crash = true
        const res = (await this.pool.run(task, { signal })) as SegmentResult
        if (res.ok) return res
        if ('missing' in res) continue
        throw revive(res.error)
      }
      throw new Error('worker kept reporting missing modules')
    } catch (e) {
      (e as { step?: string }).step = plan.steps[new Int32Array(progress)[0]]?.id
      throw e
    } finally {
      this.progress.push(progress)
    }
  }

  async run(
    tenant: Tenant, invocation: number, plan: Plan, inputs: Descriptor[],
    opts: { placement?: Placement; timeLimitMs: number; crash?: boolean },
  ): Promise<SharedRunResult> {
    const controller = new AbortController()
    let timedOut = false
    const timer = setTimeout(() => { timedOut = true; controller.abort() }, opts.timeLimitMs)
    try {
      const known: Array<Descriptor[] | null> = plan.steps.map(() => null)
      const timings: StepTiming[] = []
      const threads = new Set<number>()
      let instantiations = 0
      const absorb = (res: Extract<SegmentResult, { ok: true }>) => {
        res.outputs.forEach((o, i) => { if (o) known[i] = o })
        timings.push(...res.timings)
        instantiations += res.instantiations
        threads.add(res.threadId)
      }
      if ((opts.placement ?? 'colocated') === 'colocated') {
        absorb(await this.segment(tenant, invocation, plan, plan.steps.map((_, i) => i), inputs, known, controller.signal, opts.crash))
      } else {
        await this.spread(tenant, invocation, plan, inputs, known, controller.signal, absorb)
      }
      const outputs = plan.outputs.map((r) => (isStepRef(r) ? known[r.step]![r.output] : inputs[r.input]))
      timings.sort((a, b) => a.step - b.step)
      return { outputs, timings, instantiations, threads: [...threads] }
    } catch (e) {
      throw this.explain(e, tenant, invocation, plan, timedOut, opts.timeLimitMs)
    } finally {
      clearTimeout(timer)
    }
  }

  private async spread(
    tenant: Tenant, invocation: number, plan: Plan, inputs: Descriptor[], known: Array<Descriptor[] | null>,
    signal: AbortSignal, absorb: (r: Extract<SegmentResult, { ok: true }>) => void,
  ): Promise<void> {
    const started = new Set<number>()
    const running = new Map<number, Promise<number>>()
    while (started.size < plan.steps.length || running.size > 0) {
      plan.steps.forEach((s, i) => {
        if (started.has(i)) return
        if (!s.inputs.every((r) => !isStepRef(r) || known[r.step])) return
        started.add(i)
        running.set(i, this.segment(tenant, invocation, plan, [i], inputs, known.slice(), signal).then((res) => { absorb(res); return i }))
      })
      if (running.size === 0) throw new Error(`${plan.name}: steps wait on each other`)
      const done = await Promise.race(running.values())
      running.delete(done)
    }
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
