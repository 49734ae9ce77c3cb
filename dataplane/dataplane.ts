// The dataplane's public API: tenants, and invocations of a plan in one of three modes.
//   shared — the product: the tenant's arena, descriptors between stages (shared-executor.ts)
//   copy   — the baseline: a private memory per stage, msgpackr-encoded copies between them (copy-executor.ts)
//   http   — the Knative/OpenFaaS way: one process per faaslet, msgpack over HTTP (http-executor.ts)
// Every mode runs the same .wasm and returns the same regions; a result is read in place and released.
import { availableParallelism } from 'node:os'
import type { Descriptor } from '../faaslets/abi/region.js'
import { Catalog } from '../faaslets/catalog.js'
import { fail } from '../errors/index.js'
import { carriedOf, encodeOutput, prepareInput, preparedSize, writePrepared } from '../faaslets/codecs/boundary.js'
import { writePoints } from '../faaslets/codecs/points.js'
import type { ChainInput, InputWriter, OutputEncoding } from './boundary-task.js'
import { newCopyCounter, type CopyCounter } from './copy-counter.js'
import { CopyExecutor } from './copy-executor.js'
import { HttpExecutor } from './http-executor.js'
import { checkPlan, type Plan } from './plan.js'
import type { StepTiming } from './segment.js'
import { SharedExecutor, type Placement } from './shared-executor.js'
import { openInvocation } from './invocation.js'
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
  /** outputs to encode (in shared mode by the worker that makes them); the result's `encoded` */
  encode?: OutputEncoding[]
  /** fault injection for tests: the worker running the chain exits */
  crashWorker?: boolean
}

export type { ChainInput, InputWriter, OutputEncoding } from './boundary-task.js'

export interface InvokeResult {
  mode: Mode
  invocation: number
  /** the plan's outputs, valid in bytes() until release() */
  outputs: Descriptor[]
  /** the encodings asked for in InvokeOptions.encode, in order */
  encoded: Uint8Array[]
  /** points or features the chain input held (when it was a body or columns) */
  inputSize?: number
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
    const mode = opts.mode ?? 'shared'
    const chainInput: ChainInput = typeof input === 'function' ? { write: input } : input
    tenant.running++
    try {
      if (mode === 'shared') return await this.invokeShared(tenant, plan, chainInput, opts)
      return await this.invokeBaseline(tenant, mode, plan, chainInput, opts)
    } finally {
      tenant.running--
      tenant.settle()
    }
  }

  private async invokeShared(tenant: Tenant, plan: Plan, input: ChainInput, opts: InvokeOptions): Promise<InvokeResult> {
    const arena = tenant.arena
    const inv = openInvocation(arena)
    try {
      const copied = newCopyCounter()
      const written = 'write' in input ? input.write(inv.mem) : null
      const t0 = performance.now()
      const res = await this.shared.run(tenant, inv.id, plan, written ?? input as Exclude<ChainInput, { write: unknown }>, opts.encode ?? [], {
        placement: opts.placement, timeLimitMs: tenant.limits.timeLimitMs, crash: opts.crashWorker,
      })
      const totalMs = performance.now() - t0
      copied.boundary += res.inputs.reduce((n, d) => n + d.len, 0)
      return {
        mode: 'shared', invocation: inv.id, outputs: res.outputs, encoded: res.encoded, inputSize: res.inputSize, bytes: () => arena.bytes(), timings: res.timings,
        totalMs, computeMs: res.timings.reduce((n, t) => n + t.ms, 0), copied,
        instantiations: res.instantiations, threads: res.threads, release: () => { inv.release() },
      }
    } catch (e) {
      inv.release()
      throw e
    }
  }

  /** copy and http: the boundary on this thread, as a gateway in front of such a platform would do it. */
  private async invokeBaseline(tenant: Tenant, mode: Exclude<Mode, 'shared'>, plan: Plan, input: ChainInput, opts: InvokeOptions): Promise<InvokeResult> {
    let write: InputWriter
    let inputSize: number | undefined
    let carried: OutputEncoding['carried']
    if ('write' in input) write = input.write
    else if ('points' in input) {
      inputSize = input.points.x.length
      write = (mem) => [writePoints(mem, input.points)]
    } else {
      const prepared = await prepareInput(input.body, input.format, input.region, input.options)
      inputSize = preparedSize(prepared)
      if (input.maxPoints !== undefined && inputSize > input.maxPoints) throw fail('E_TOO_MANY_POINTS', inputSize, input.maxPoints)
      carried = carriedOf(prepared)
      write = (mem) => [writePrepared(mem, prepared)]
    }
    const exec = mode === 'copy' ? this.copy() : await this.http()
    const res = await exec.run(plan, write, { timeLimitMs: tenant.limits.timeLimitMs, quotaBytes: tenant.limits.quotaBytes })
    const encoded = (opts.encode ?? []).map((e) => encodeOutput(res.bytes(), res.outputs[e.output], e.as, { carried: e.carried ?? carried, rfc7946: e.rfc7946 }))
    return { ...res, mode, invocation: 0, encoded, inputSize, threads: [], release: () => {} }
  }

  async close(): Promise<void> {
    if (this.closed) return
    this.closed = true
    await Promise.all([this.shared.close(), this.copyExec?.close(), this.httpExec?.close()])
  }
}
