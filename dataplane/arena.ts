// A tenant's arena: one shared WebAssembly.Memory that every faaslet of the tenant instantiates on, in
// any worker, plus the shared tables of the chunk allocator (allocator.ts). An Arena object is cheap and
// per thread; the handles it is built from cross threads by postMessage and all copies see one memory.
import { CHUNK_BYTES, HEAP_BASE, PAGE_SIZE } from '../faaslets/abi/layout.js'
import type { RegionMemory } from '../faaslets/abi/region.js'
import { STAT, STAT_SLOTS } from './allocator.js'

export interface ArenaHandles {
  tenant: string
  memory: WebAssembly.Memory
  /** Int32 per chunk: id of the invocation that owns it, 0 = free */
  owners: SharedArrayBuffer
  /** Int32 counters, indices in allocator.ts STAT */
  stats: SharedArrayBuffer
}

export interface ArenaOptions {
  tenant: string
  /** bytes of chunk heap the tenant may hold at once (regions + scratch of its running invocations) */
  quotaBytes?: number
  /** chunk heap bytes committed up front (the memory grows on demand past it, up to the quota) */
  initialBytes?: number
}

export const DEFAULT_QUOTA_BYTES = 512 * 1024 * 1024
export const DEFAULT_INITIAL_BYTES = 8 * 1024 * 1024

export function createArenaHandles(opts: ArenaOptions): ArenaHandles {
  const quota = Math.max(CHUNK_BYTES, opts.quotaBytes ?? DEFAULT_QUOTA_BYTES)
  const quotaChunks = Math.ceil(quota / CHUNK_BYTES)
  const initialChunks = Math.min(quotaChunks, Math.ceil((opts.initialBytes ?? DEFAULT_INITIAL_BYTES) / CHUNK_BYTES))
  const pagesPerChunk = CHUNK_BYTES / PAGE_SIZE
  const basePages = HEAP_BASE / PAGE_SIZE
  const memory = new WebAssembly.Memory({
    initial: basePages + initialChunks * pagesPerChunk,
    // the engine itself stops the tenant at its quota: no grow past it, from the host or a faaslet
    maximum: basePages + quotaChunks * pagesPerChunk,
    shared: true,
  })
  const stats = new SharedArrayBuffer(STAT_SLOTS * 4)
  const s = new Int32Array(stats)
  s[STAT.QUOTA_CHUNKS] = quotaChunks
  return { tenant: opts.tenant, memory, owners: new SharedArrayBuffer(quotaChunks * 4), stats }
}

export class Arena {
  readonly tenant: string
  readonly memory: WebAssembly.Memory
  readonly owners: Int32Array
  readonly stats: Int32Array
  readonly handles: ArenaHandles
  private u8: Uint8Array
  private dv: DataView

  constructor(handles: ArenaHandles) {
    this.handles = handles
    this.tenant = handles.tenant
    this.memory = handles.memory
    this.owners = new Int32Array(handles.owners)
    this.stats = new Int32Array(handles.stats)
    this.u8 = new Uint8Array(this.memory.buffer)
    this.dv = new DataView(this.memory.buffer)
  }

  /** Views over the whole memory; re-created when it has grown (a grown memory has a new buffer). */
  bytes(): Uint8Array {
    this.refresh()
    return this.u8
  }

  view(): DataView {
    this.refresh()
    return this.dv
  }

  private refresh(): void {
    const buf = this.memory.buffer
    if (buf.byteLength !== this.u8.byteLength) {
      this.u8 = new Uint8Array(buf)
      this.dv = new DataView(buf)
    }
  }

  get quotaBytes(): number { return this.stats[STAT.QUOTA_CHUNKS] * CHUNK_BYTES }
  get bytesInUse(): number { return Atomics.load(this.stats, STAT.CHUNKS_IN_USE) * CHUNK_BYTES }
  get highWaterBytes(): number { return Atomics.load(this.stats, STAT.HIGH_WATER_CHUNKS) * CHUNK_BYTES }
  get committedBytes(): number { return this.memory.buffer.byteLength }

  /** A RegionMemory that allocates for one invocation (see allocator.ts InvocationHeap). */
  regionMemory(alloc: (size: number, align: number) => number): RegionMemory {
    return { bytes: () => this.bytes(), view: () => this.view(), alloc }
  }
}
