// The dataplane's public API: tenants, and invocations of a plan in one of three modes.
//   shared — the product: the tenant's arena, descriptors between stages (shared-executor.ts)
//   copy   — the baseline: a private memory per stage, msgpackr-encoded copies between them (copy-executor.ts)
//   http   — the Knative/OpenFaaS way: one process per faaslet, msgpack over HTTP (http-executor.ts)
// Every mode runs the same .wasm and returns the same regions; a result is read in place and released.
import { availableParallelism } from 'node:os'
import { Catalog } from '../faaslets/catalog.js'
import { fail } from '../errors/index.js'
import type { ChainInput, InputWriter } from './boundary-task.js'
import type { Executor, ExecuteOptions, InvokeResult } from './executor.js'
import { CopyExecutor } from './copy-executor.js'
import { HttpExecutor } from './http-executor.js'
import { checkPlan, type Plan } from './plan.js'
import { SharedExecutor } from './shared-executor.js'
import { DEFAULT_LIMITS, Tenant, validTenantName, type TenantLimits } from './tenant.js'

import type { Mode } from './modes.js'
export { MODES, type Mode } from './modes.js'

export interface DataplaneOptions {
  catalog?: Catalog
  /** worker threads of the shared executor (default: cores) */
  workers?: number
  limits?: Partial<TenantLimits>
}

export interface InvokeOptions extends ExecuteOptions {
  mode?: Mode
}

export type { ChainInput, InputWriter, OutputEncoding } from './boundary-task.js'
export type { Executor, ExecuteOptions, InvokeResult } from './executor.js'

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
    this.catalog = opts.catalog ?? Catalog.load()
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

  /** The executor of a mode (the baselines are started on first use). */
  async executor(mode: Mode): Promise<Executor> {
    if (mode === 'shared') return this.shared
    return mode === 'copy' ? this.copy() : this.http()
  }

  /**
   * Runs `plan` on `input` for a tenant. A body or point columns are parsed and written by the worker
   * that runs the chain in shared mode (by this thread in the baselines); a writer function runs here.
   */
  async invoke(tenantName: string, plan: Plan, input: InputWriter | ChainInput, opts: InvokeOptions = {}): Promise<InvokeResult> {
    if (this.closed) throw new Error('dataplane is closed')
    checkPlan(plan)
    for (const s of plan.steps) this.catalog.get(s.faaslet)
    const tenant = this.tenant(tenantName)
    if (tenant.running >= tenant.limits.maxConcurrent) throw fail('E_TOO_MANY_INVOCATIONS', tenant.name, tenant.running, tenant.limits.maxConcurrent)
    tenant.running++ // before any await: the check above and this count are one step
    try {
      const exec = await this.executor(opts.mode ?? 'shared')
      return await exec.invoke(tenant, plan, typeof input === 'function' ? { write: input } : input, opts)
    } finally {
      tenant.running--
      tenant.settle()
    }
  }

  async close(): Promise<void> {
    if (this.closed) return
    this.closed = true
    await Promise.all([this.shared.close(), this.copyExec?.close(), this.httpExec?.close()])
  }
}
