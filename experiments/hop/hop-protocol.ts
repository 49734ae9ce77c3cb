// The messages between the main thread and the hop workers (hop-worker.ts), and the ring layout.
import type { MessagePort } from 'node:worker_threads'
import type { ArenaHandles } from '../../dataplane/arena.js'
import type { SeqRegion } from './region-seq.js'

export type Transport = 'port' | 'parent' | 'ring'
export type Payload = 'descriptor' | 'copy'

export interface SendCommand {
  cmd: 'send'
  transport: Transport
  payload: Payload
  /** hand-offs, warm-up included */
  n: number
  ack: SharedArrayBuffer
  port?: MessagePort
  ring?: SharedArrayBuffer
  /** descriptor payload: the tenant memory and the region in it */
  arena?: ArenaHandles
  region?: SeqRegion
  /** copy payload: points in the region the sender builds in its own memory */
  points?: number
}

export interface RecvCommand {
  cmd: 'recv'
  transport: Transport
  payload: Payload
  n: number
  ack: SharedArrayBuffer
  /** Float64 per hand-off: one-way latency, µs */
  latency: SharedArrayBuffer
  /** copy payload: Float64 × 5 per hand-off: pack, copy out, transport, unpack, memcpy in (µs) */
  phases?: SharedArrayBuffer
  port?: MessagePort
  ring?: SharedArrayBuffer
  arena?: ArenaHandles
  /** ring: polls before Atomics.wait (0 = wait at once) */
  spin?: number
}

export interface HopMessage {
  type: 'hop'
  seq: number
  /** sender's stamp when the hand-off began (µs) */
  t: number
  ptr?: number
  len?: number
  /** copy payload: stamps after pack and after the copy out; the packed region */
  tPack?: number
  tCopy?: number
  outputs?: Uint8Array[]
}

export const RING_SLOTS = 64
/** ring layout: Int32 [0] = published count; slot k at Int32 4 + 4k: ptr, len, seq; Float64 at 2 + 2·64 + k: t */
export function newRing(): SharedArrayBuffer {
  return new SharedArrayBuffer(16 + RING_SLOTS * 16 + RING_SLOTS * 8)
}

