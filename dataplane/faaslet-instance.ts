// One instance of a faaslet module on a tenant arena. The only imports are the arena memory and
// `graticule.alloc`, which allocates for whichever invocation the instance is running right now.
import { ABI_VERSION } from '../faaslets/abi/layout.js'
import { fail } from '../errors/index.js'
import type { Arena } from './arena.js'
import type { InvocationHeap } from './allocator.js'

export class FaasletInstance {
  readonly run: (ctx: number) => number
  /** the heap of the invocation being run; null between invocations */
  heap: InvocationHeap | null = null
  /** set after a trap: the instance's globals (e.g. its shadow stack pointer) may be mid-update */
  broken = false

  constructor(readonly name: string, module: WebAssembly.Module, readonly arena: Arena) {
    const imports = {
      env: { memory: arena.memory },
      graticule: {
        alloc: (size: number, align: number): number => {
          if (!this.heap) throw fail('E_ABI_MISMATCH', name, 'called graticule.alloc outside an invocation')
          return this.heap.alloc(size, align)
        },
      },
    }
    const instance = new WebAssembly.Instance(module, imports)
    const exports = instance.exports as Record<string, unknown>
    if (typeof exports.gr_abi_version !== 'function' || typeof exports.gr_run !== 'function') {
      throw fail('E_ABI_MISMATCH', name, 'module must export functions gr_abi_version and gr_run')
    }
    const version = (exports.gr_abi_version as () => number)()
    if (version !== ABI_VERSION) throw fail('E_ABI_MISMATCH', name, `ABI version ${version}, host speaks ${ABI_VERSION}`)
    this.run = exports.gr_run as (ctx: number) => number
  }
}
