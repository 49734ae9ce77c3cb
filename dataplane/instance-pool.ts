// Runs faaslets in the calling thread on one tenant arena: what `graticule exec`, the oracle tests, each
// shared-mode worker and the browser page's workers build on. Instances are pooled per faaslet and reused;
// a trapped instance is dropped and replaced on next use. No Node import: the page bundles this file
// (LocalRunner adds the constructor from the catalog on disk).
import { parseParams, type RawParams } from '../faaslets/abi/manifest.js'
import type { Descriptor } from '../faaslets/abi/region.js'
import type { Arena } from './arena.js'
import { FaasletInstance } from './faaslet-instance.js'
import { openInvocation, type Invocation } from './invocation.js'
import { invokeFaaslet } from './invoke.js'

export type { Invocation } from './invocation.js'

export interface ModuleSource {
  module(name: string): WebAssembly.Module
  manifest(name: string): import('../faaslets/abi/manifest.js').Manifest
}

export class InstancePool {
  private readonly idle = new Map<string, FaasletInstance[]>()
  /** instances created so far (a warm invocation creates none) */
  instantiations = 0

  constructor(readonly modules: ModuleSource, readonly arena: Arena) {}

  begin(limitBytes = Infinity): Invocation {
    return openInvocation(this.arena, { limitBytes })
  }

  release(inv: Invocation): number {
    return inv.release()
  }

  acquire(name: string): FaasletInstance {
    const pool = this.idle.get(name)
    const inst = pool?.pop()
    if (inst) return inst
    this.instantiations++
    return new FaasletInstance(name, this.modules.module(name), this.arena)
  }

  /** Drops pooled instances of a module (it was redeployed or removed). */
  forget(name: string): void {
    this.idle.delete(name)
  }

  releaseInstance(inst: FaasletInstance): void {
    if (inst.broken) return
    let pool = this.idle.get(inst.name)
    if (!pool) this.idle.set(inst.name, (pool = []))
    pool.push(inst)
  }

  /** Runs one faaslet; params are raw (parsed from the manifest here) or already packed slots. */
  run(inv: Invocation, name: string, inputs: Descriptor[], params: RawParams | Float64Array = {}): Descriptor[] {
    const manifest = this.modules.manifest(name)
    const slots = params instanceof Float64Array ? params : parseParams(manifest, params)
    const inst = this.acquire(manifest.name)
    try {
      return invokeFaaslet(inst, manifest, inv.heap, inputs, slots)
    } finally {
      this.releaseInstance(inst)
    }
  }
}
