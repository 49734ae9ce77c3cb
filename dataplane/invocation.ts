// One invocation on a tenant arena: its id, a bump heap for the thread it is used in, the RegionMemory
// codecs write through, and release(), which returns every chunk the id owns (whichever thread claimed
// them) and does nothing the second time. Every path that runs faaslets opens its invocation here.
import type { RegionMemory } from '../faaslets/abi/region.js'
import type { Arena } from './arena.js'
import { InvocationHeap, newInvocationId, releaseInvocation } from './allocator.js'

export interface Invocation {
  id: number
  heap: InvocationHeap
  /** allocates in this invocation: codecs write input regions through it */
  mem: RegionMemory
  /** frees every chunk of the invocation; idempotent. Returns the chunks freed (0 the second time). */
  release(): number
}

/**
 * A new invocation on `arena` — or, given `id`, this thread's part of one opened elsewhere (a worker
 * running a segment of a chain: its heap claims chunks for the same id, the opener releases them all).
 */
export function openInvocation(arena: Arena, opts: { id?: number; limitBytes?: number } = {}): Invocation {
  const id = opts.id ?? newInvocationId(arena)
  const heap = new InvocationHeap(arena, id, 4, opts.limitBytes ?? Infinity)
  let released = false
  return {
    id,
    heap,
    mem: arena.regionMemory((size, align) => heap.alloc(size, align)),
    release: () => {
      if (released) return 0
      released = true
      return releaseInvocation(arena, id)
    },
  }
}
