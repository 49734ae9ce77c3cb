// A tenant: its arena and its limits. Tenants never share memory, so a faaslet of one cannot address
// another's data at all (a pointer is an offset into its own tenant's memory, nothing more).
import { Arena, createArenaHandles } from './arena.js'
import { reconcile } from './allocator.js'
import { CHUNK_BYTES } from '../faaslets/abi/layout.js'

export interface TenantLimits {
  /** chunk-heap bytes held at once by the tenant's running invocations */
  quotaBytes: number
  /** wall-clock limit of one invocation (a chain), in ms */
  timeLimitMs: number
  /** invocations running at once; more are refused with E_TOO_MANY_INVOCATIONS */
  maxConcurrent: number
}

export const DEFAULT_LIMITS: TenantLimits = {
  quotaBytes: 1024 * 1024 * 1024,
  timeLimitMs: 10_000,
  maxConcurrent: 64,
}

let nextKey = 1

export class Tenant {
  readonly key = nextKey++
  readonly arena: Arena
  running = 0
  /** set when a worker died mid-invocation: recount chunks once nothing runs (allocator.ts) */
  needsReconcile = false

  constructor(readonly name: string, readonly limits: TenantLimits) {
    this.arena = new Arena(createArenaHandles({ tenant: name, quotaBytes: limits.quotaBytes }))
  }

  /**
   * What one invocation may hold in one thread: three quarters of the tenant's quota. A runaway
   * allocation must fail only its own invocation; if it could take the whole quota, every sibling asking
   * for a chunk while it ran would fail with it. A quarter is always left to the tenant's other work.
   */
  get invocationLimitBytes(): number {
    return Math.max(8 * CHUNK_BYTES, Math.floor((this.limits.quotaBytes * 3) / 4))
  }

  /** Called whenever an invocation ends. */
  settle(): void {
    if (this.needsReconcile && this.running === 0) {
      reconcile(this.arena)
      this.needsReconcile = false
    }
  }
}

export function validTenantName(name: string): boolean {
  return /^[a-z0-9][a-z0-9_-]{0,62}$/i.test(name)
}
