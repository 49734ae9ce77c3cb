// The chunk allocator of a tenant arena, safe across threads and against a thread killed mid-way.
//
// The chunk heap (above HEAP_BASE) is cut into 64 KiB chunks. `owners[i]` holds the id of the invocation
// that owns chunk i, or 0. A thread claims a run of chunks by compare-and-swapping each from 0 to its
// invocation id and rolls back if it loses a race; it never holds a lock. So a worker terminated at any
// instruction leaves only chunks stamped with its invocation's id, and releasing that id (a scan that
// swaps id → 0) returns every one of them: nothing leaks and nothing is left half-updated.
//
// `stats` counters (Int32, Atomics): chunks in use is reserved *before* claiming, which is what enforces
// the quota; a thread killed between the two is corrected by reconcile(), which recounts the table.
import { CHUNK_BYTES, HEAP_BASE, PAGE_SIZE } from '../faaslets/abi/layout.js'
import { fail } from '../errors/index.js'
import type { Arena } from './arena.js'

export const STAT = {
  CHUNKS_IN_USE: 0,
  HIGH_WATER_CHUNKS: 1,
  QUOTA_CHUNKS: 2,
  NEXT_INVOCATION: 3,
  /** lowest chunk index that may be free: where scans start */
  SCAN_HINT: 4,
  /** one past the highest chunk ever claimed: where release scans stop */
  SCAN_LIMIT: 5,
} as const
export const STAT_SLOTS = 8

const PAGES_PER_CHUNK = CHUNK_BYTES / PAGE_SIZE

export function chunkAddress(index: number): number {
  return HEAP_BASE + index * CHUNK_BYTES
}

/** A fresh invocation id for the arena (never 0). */
export function newInvocationId(arena: Arena): number {
  let id = Atomics.add(arena.stats, STAT.NEXT_INVOCATION, 1) + 1
  if (id <= 0) {
    Atomics.store(arena.stats, STAT.NEXT_INVOCATION, 1)
    id = 1
  }
  return id
}

function availableChunks(arena: Arena): number {
  return Math.min(arena.owners.length, Math.floor((arena.memory.buffer.byteLength - HEAP_BASE) / CHUNK_BYTES))
}

/** Claims `n` contiguous chunks for invocation `owner`; returns the first chunk's address. */
export function claimChunks(arena: Arena, owner: number, n: number): number {
  const { stats, owners } = arena
  const quota = stats[STAT.QUOTA_CHUNKS]
  const inUse = Atomics.add(stats, STAT.CHUNKS_IN_USE, n) + n
  if (inUse > quota) {
    Atomics.sub(stats, STAT.CHUNKS_IN_USE, n)
    throw fail('E_QUOTA_EXCEEDED', arena.tenant, quota * CHUNK_BYTES, n * CHUNK_BYTES)
  }
  for (let attempt = 0; attempt < 64; attempt++) {
    const start = findRun(arena, owner, n)
    if (start >= 0) {
      raiseHighWater(stats, inUse)
      let limit = Atomics.load(stats, STAT.SCAN_LIMIT)
      while (start + n > limit) {
        const seen = Atomics.compareExchange(stats, STAT.SCAN_LIMIT, limit, start + n)
        if (seen === limit) break
        limit = seen
      }
      return chunkAddress(start)
    }
    // no free run in the committed memory: grow it (any thread may; wasm makes grow atomic)
    const have = availableChunks(arena)
    if (have + n > owners.length) {
      if (attempt > 2) break
      continue // others may release meanwhile; the quota reservation above guarantees room eventually
    }
    try {
      arena.memory.grow(Math.max(n, Math.min(have, 256)) * PAGES_PER_CHUNK)
    } catch {
      try {
        arena.memory.grow(n * PAGES_PER_CHUNK)
      } catch {
        break
      }
    }
  }
  Atomics.sub(stats, STAT.CHUNKS_IN_USE, n)
  throw fail('E_ARENA_EXHAUSTED', arena.tenant, n * CHUNK_BYTES)
}

function findRun(arena: Arena, owner: number, n: number): number {
  const { owners, stats } = arena
  const have = availableChunks(arena)
  const hint = Atomics.load(stats, STAT.SCAN_HINT)
  for (const [from, to] of [[hint, have], [0, Math.min(hint + n, have)]]) {
    let i = from
    while (i + n <= to) {
      let run = 0
      while (run < n && Atomics.load(owners, i + run) === 0) run++
      if (run < n) {
        i += run + 1
        continue
      }
      let got = 0
      while (got < n && Atomics.compareExchange(owners, i + got, 0, owner) === 0) got++
      if (got === n) {
        if (i === hint) Atomics.compareExchange(stats, STAT.SCAN_HINT, hint, i + n)
        return i
      }
      for (let k = 0; k < got; k++) Atomics.store(owners, i + k, 0) // lost a race: roll back
      i += got + 1
    }
  }
  return -1
}

function raiseHighWater(stats: Int32Array, value: number): void {
  let seen = Atomics.load(stats, STAT.HIGH_WATER_CHUNKS)
  while (value > seen) {
    const prev = Atomics.compareExchange(stats, STAT.HIGH_WATER_CHUNKS, seen, value)
    if (prev === seen) return
    seen = prev
  }
}

/** Returns every chunk owned by invocation `owner`; returns how many were freed. */
export function releaseInvocation(arena: Arena, owner: number): number {
  const { owners, stats } = arena
  const limit = Math.min(owners.length, Atomics.load(stats, STAT.SCAN_LIMIT))
  let freed = 0
  let lowest = -1
  for (let i = 0; i < limit; i++) {
    if (owners[i] === owner && Atomics.compareExchange(owners, i, owner, 0) === owner) {
      freed++
      if (lowest < 0) lowest = i
    }
  }
  if (freed > 0) {
    Atomics.sub(stats, STAT.CHUNKS_IN_USE, freed)
    let hint = Atomics.load(stats, STAT.SCAN_HINT)
    while (lowest < hint) {
      const prev = Atomics.compareExchange(stats, STAT.SCAN_HINT, hint, lowest)
      if (prev === hint) break
      hint = prev
    }
  }
  return freed
}

/** Recounts chunks in use from the owner table (after a worker was killed between reserve and claim). */
export function reconcile(arena: Arena): number {
  const { owners, stats } = arena
  let used = 0
  for (let i = 0; i < owners.length; i++) if (Atomics.load(owners, i) !== 0) used++
  Atomics.store(stats, STAT.CHUNKS_IN_USE, used)
  return used
}

/** Chunks currently owned by `owner` (tests and leak checks). */
export function chunksOwnedBy(arena: Arena, owner: number): number {
  let n = 0
  for (let i = 0; i < arena.owners.length; i++) if (arena.owners[i] === owner) n++
  return n
}

/**
 * Bump allocation for one invocation in one thread: carves allocations out of runs of chunks claimed
 * for the invocation. Everything is returned at once by releaseInvocation.
 */
export class InvocationHeap {
  private cur = 0
  private end = 0
  /** bytes handed out by alloc (what the faaslets and codecs asked for) */
  allocatedBytes = 0

  /** chunk bytes claimed so far by this heap */
  claimedBytes = 0

  /**
   * `limitBytes` caps what this one heap may claim — the baselines run every tenant on one private memory
   * per worker, so they enforce the tenant's quota per invocation here instead of per arena.
   */
  constructor(readonly arena: Arena, readonly invocation: number, private readonly minRunChunks = 4, private readonly limitBytes = Infinity) {}

  private claim(n: number): number {
    if (this.claimedBytes + n * CHUNK_BYTES > this.limitBytes) {
      throw fail('E_QUOTA_EXCEEDED', this.arena.tenant, this.limitBytes, n * CHUNK_BYTES)
    }
    const base = claimChunks(this.arena, this.invocation, n)
    this.claimedBytes += n * CHUNK_BYTES
    return base
  }

  alloc(size: number, align: number): number {
    const bytes = size >>> 0 // a wasm i32 arrives signed: a huge request must not look negative
    if (bytes > 0x7fff0000) throw fail('E_QUOTA_EXCEEDED', this.arena.tenant, this.arena.quotaBytes, bytes)
    const a = align > 8 ? align : 8
    let ptr = Math.ceil(this.cur / a) * a
    if (this.end === 0 || ptr + bytes > this.end) {
      const fit = Math.ceil((bytes + a) / CHUNK_BYTES)
      let n = Math.max(this.minRunChunks, fit)
      let base: number
      try {
        base = this.claim(n)
      } catch (e) {
        if (n === fit) throw e
        n = fit // near the quota: take only what this allocation needs
        base = this.claim(n)
      }
      this.end = base + n * CHUNK_BYTES
      ptr = Math.ceil(base / a) * a
    }
    this.cur = ptr + bytes
    this.allocatedBytes += bytes
    return ptr
  }
}
