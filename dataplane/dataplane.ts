// The dataplane's public API: tenants, and invocations of a plan in one of three modes.
//   shared — the product: the tenant's arena, descriptors between stages (shared-executor.ts)
//   copy   — the baseline: a private memory per stage, msgpackr-encoded copies between them (copy-executor.ts)
//   http   — the Knative/OpenFaaS way: one process per faaslet, msgpack over HTTP (http-executor.ts)
// Every mode runs the same .wasm and returns the same regions; a result is read in place and released.
import { availableParallelism } from 'node:os'
import type { Descriptor, RegionMemory } from '../faaslets/abi/region.js'
import { Catalog } from '../faaslets/catalog.js'
import { fail } from '../errors/index.js'
import { InvocationHeap, newInvocationId, releaseInvocation } from './allocator.js'
import { newCopyCounter, type CopyCounter } from './copy-counter.js'
import { CopyExecutor } from './copy-executor.js'
import { HttpExecutor } from './http-executor.js'
import { checkPlan, type Plan } from './plan.js'
import type { StepTiming } from './segment.js'
import { SharedExecutor, type Placement } from './shared-executor.js'
import { DEFAULT_LIMITS, Tenant, validTenantName, type TenantLimits } from './tenant.js'

import type { Mode } from './modes.js'
export { MODES, type Mode } from './modes.js'

export interface DataplaneOptions {
  catalog?: Catalog
  /** worker threads of the shared executor (default: cores) */
  workers?: number
  limits?: Partial<TenantLimits>
  /** load the test faaslets too (trap, loop, hog, hostile, …) */
  includeTestFaaslets?: boolean
}

export interface InvokeOptions {
  mode?: Mode
  placement?: Placement
  /** fault injection for tests: the worker running the chain exits */
  crashWorker?: boolean
}

/** Writes the chain's input regions; called with memory of the invocation (the only copy in). */
export type InputWriter = (mem: RegionMemory) => Descriptor[]

export interface InvokeResult {
  mode: Mode
  invocation: number
  /** the plan's outputs, valid in bytes() until release() */
  outputs: Descriptor[]
  bytes(): Uint8Array
  timings: StepTiming[]
  /** wall time of the run, input written to outputs ready (ms) */
  totalMs: number
  /** sum of the steps' own compute (ms) */
  computeMs: number
  copied: CopyCounter
  /** instances created for this invocation (0 when warm) */
  instantiations: number
  threads: number[]
  release(): void
}

export class Dataplane {
  readonly catalog: Catalog
  readonly tenants = new Map<string, Tenant>()
  readonly shared: SharedExecutor
  private copyExec: CopyExecutor | null = null
  private httpExec: HttpExecutor | null = null
  private readonly limits: TenantLimits
  /** the shared executor's workers; the baselines get as many replicas of each function */
  readonly workers: number
  private closed = false

  private constructor(opts: DataplaneOptions) {
    this.catalog = opts.catalog ?? Catalog.load({ includeTest: opts.includeTestFaaslets })
    this.limits = { ...DEFAULT_LIMITS, ...opts.limits }
    this.workers = opts.workers ?? Math.max(1, availableParallelism())
    this.shared = new SharedExecutor(this.catalog, { workers: this.workers })
  }

  static async start(opts: DataplaneOptions = {}): Promise<Dataplane> {
    const dp = new Dataplane(opts)
    await dp.shared.warm(dp.tenant('default'))
    return dp
  }

  /** The tenant called `name`, created with `limits` (or the defaults) on first use. */
  tenant(name: string, limits: Partial<TenantLimits> = {}): Tenant {
    let t = this.tenants.get(name)
    if (!t) {
      if (!validTenantName(name)) throw fail('E_UNKNOWN_TENANT', name)
      t = new Tenant(name, { ...this.limits, ...limits })
      this.tenants.set(name, t)
    }
    return t
  }

  copy(): CopyExecutor {
    return (this.copyExec ??= new CopyExecutor(this.catalog, true, this.workers))
  }

  async http(): Promise<HttpExecutor> {
    if (!this.httpExec) this.httpExec = await HttpExecutor.start(this.catalog, this.workers)
    return this.httpExec
  }

  async invoke(tenantName: string, plan: Plan, write: InputWriter, opts: InvokeOptions = {}): Promise<InvokeResult> {
    if (this.closed) throw new Error('dataplane is closed')
    checkPlan(plan)
    for (const s of plan.steps) this.catalog.get(s.faaslet)
    const tenant = this.tenant(tenantName)
    if (tenant.running >= tenant.limits.maxConcurrent) throw fail('E_TOO_MANY_INVOCATIONS', tenant.name, tenant.running, tenant.limits.maxConcurrent)
    const mode = opts.mode ?? 'shared'
    tenant.running++
    try {
      if (mode === 'shared') return await this.invokeShared(tenant, plan, write, opts)
      const exec = mode === 'copy' ? this.copy() : await this.http()
      const res = await exec.run(plan, write, { timeLimitMs: tenant.limits.timeLimitMs, quotaBytes: tenant.limits.quotaBytes })
      return { ...res, mode, invocation: 0, threads: [], release: () => {} }
    } finally {
      tenant.running--
      tenant.settle()
    }
  }

  private async invokeShared(tenant: Tenant, plan: Plan, write: InputWriter, opts: InvokeOptions): Promise<InvokeResult> {
    const arena = tenant.arena
    const invocation = newInvocationId(arena)
    let released = false
    const release = () => {
      if (!released) {
        released = true
        releaseInvocation(arena, invocation)
      }
    }
    try {
      const heap = new InvocationHeap(arena, invocation)
      const inputs = write(arena.regionMemory((s, a) => heap.alloc(s, a)))
      const copied = newCopyCounter()
      copied.boundary += inputs.reduce((n, d) => n + d.len, 0)
      const t0 = performance.now()
      const res = await this.shared.run(tenant, invocation, plan, inputs, {
        placement: opts.placement, timeLimitMs: tenant.limits.timeLimitMs, crash: opts.crashWorker,
      })
      const totalMs = performance.now() - t0
      return {
        mode: 'shared', invocation, outputs: res.outputs, bytes: () => arena.bytes(), timings: res.timings,
        totalMs, computeMs: res.timings.reduce((n, t) => n + t.ms, 0), copied,
        instantiations: res.instantiations, threads: res.threads, release,
      }
    } catch (e) {
      release()
      throw e
    }
  }

  async close(): Promise<void> {
    if (this.closed) return
    this.closed = true
    await Promise.all([this.shared.close(), this.copyExec?.close(), this.httpExec?.close()])
  }
}
