// The two worker threads of the cross-worker hop benchmarks: a sender (A) and a receiver (B). One hand-off
// is in flight at a time: A writes a fresh sequence number into the region, stamps the process-wide clock
// and hands the region over; B takes it, checks the region and reads the sequence number, stamps the clock
// (one-way latency = B's stamp − A's stamp) and acknowledges through a SharedArrayBuffer, which A waits on
// before the next one. The acknowledgement path is not timed.
//
// transport: 'port'   — a MessagePort from A straight to B
//            'parent' — A → main thread → B, as the copy executor routes a stage's output to the next stage
//            'ring'   — a descriptor ring in a SharedArrayBuffer: B polls `spin` times, then Atomics.wait
// payload:   'descriptor' — {ptr, len} of a region in the tenant's shared memory (the shared mode)
//            'copy'       — the region's bytes as dataplane/copy-worker.ts moves them: msgpackr pack, copy
//                           out of the packer's buffer, postMessage with the buffer transferred, unpack,
//                           memcpy into the receiver's own wasm memory (a fresh invocation heap)
import { parentPort } from 'node:worker_threads'
import { Packr, Unpackr } from 'msgpackr'
import { Arena, createArenaHandles } from '../../dataplane/arena.js'
import { InvocationHeap, newInvocationId, releaseInvocation } from '../../dataplane/allocator.js'
import { writeSeqRegion, readSeq, type SeqRegion } from './region-seq.js'
import { RING_SLOTS, type HopMessage, type RecvCommand, type SendCommand } from './hop-protocol.js'
import { nowUs } from './threads.js'

const ACK_SPIN = 2000

/** Waits until ack[0] ≥ target: a bounded spin, then Atomics.wait (so a 2-core machine is not burned). */
function waitFor(word: Int32Array, target: number, spin: number): void {
  for (let i = 0; i < spin; i++) if (Atomics.load(word, 0) >= target) return
  for (;;) {
    const seen = Atomics.load(word, 0)
    if (seen >= target) return
    Atomics.wait(word, 0, seen, 1000)
  }
}

function signal(word: Int32Array, value: number): void {
  Atomics.store(word, 0, value)
  Atomics.notify(word, 0)
}

const packr = new Packr()
const unpackr = new Unpackr()
/** the receiver's own memory for copy hops, like each copy-executor worker has */
let privateArena: Arena | null = null
const ownArena = () => (privateArena ??= new Arena(createArenaHandles({ tenant: 'hop-private', quotaBytes: 256 << 20 })))

function send(c: SendCommand): void {
  const ack = new Int32Array(c.ack)
  let arena: Arena, region: SeqRegion
  if (c.payload === 'descriptor') {
    arena = new Arena(c.arena!)
    region = c.region!
  } else {
    arena = ownArena()
    const heap = new InvocationHeap(arena, newInvocationId(arena))
    region = writeSeqRegion(arena.regionMemory((s, a) => heap.alloc(s, a)), c.points!)
  }
  const ring = c.ring ? { i32: new Int32Array(c.ring), f64: new Float64Array(c.ring) } : null
  const post = c.transport === 'port' ? (m: HopMessage, t: ArrayBuffer[]) => c.port!.postMessage(m, t) : (m: HopMessage, t: ArrayBuffer[]) => parentPort!.postMessage(m, t)
  for (let seq = 0; seq < c.n; seq++) {
    const f64 = new Float64Array(arena.bytes().buffer)
    f64[region.seqAt / 8] = seq
    const t = nowUs()
    if (c.payload === 'copy') {
      const bytes = arena.bytes()
      const packed = packr.pack({ region: bytes.subarray(region.ptr, region.ptr + region.len) })
      const tPack = nowUs()
      // packr reuses one large buffer: copy the message out so it can be transferred alone (copy-worker.ts)
      const own = new Uint8Array(packed.length)
      own.set(packed)
      const tCopy = nowUs()
      post({ type: 'hop', seq, t, tPack, tCopy, outputs: [own] }, [own.buffer as ArrayBuffer])
    } else if (ring) {
      const k = seq % RING_SLOTS
      ring.i32[4 + 4 * k] = region.ptr
      ring.i32[4 + 4 * k + 1] = region.len
      ring.i32[4 + 4 * k + 2] = seq
      ring.f64[2 + 2 * RING_SLOTS + k] = t
      Atomics.store(ring.i32, 0, seq + 1) // publishes the slot (and the region write before it)
      Atomics.notify(ring.i32, 0)
    } else {
      post({ type: 'hop', seq, t, ptr: region.ptr, len: region.len }, [])
    }
    waitFor(ack, seq + 1, ACK_SPIN)
  }
  parentPort!.postMessage({ type: 'sent' })
}

function recv(c: RecvCommand): void {
  const ack = new Int32Array(c.ack)
  const latency = new Float64Array(c.latency)
  const phases = c.phases ? new Float64Array(c.phases) : null
  const shared = c.arena ? new Arena(c.arena) : null
  let count = 0

  const take = (m: HopMessage) => {
    if (m.seq !== count) throw new Error(`hand-off ${m.seq} arrived when ${count} was expected`)
    let seen: number
    if (c.payload === 'copy') {
      const tRecv = nowUs()
      const { region } = unpackr.unpack(m.outputs![0]) as { region: Uint8Array }
      const tUnpack = nowUs()
      const arena = ownArena()
      const id = newInvocationId(arena)
      const heap = new InvocationHeap(arena, id)
      const ptr = heap.alloc(region.length, 8)
      arena.bytes().set(region, ptr)
      const tIn = nowUs()
      seen = readSeq(arena.view(), { ptr, len: region.length })
      latency[count] = nowUs() - m.t
      phases!.set([m.tPack! - m.t, m.tCopy! - m.tPack!, tRecv - m.tCopy!, tUnpack - tRecv, tIn - tUnpack], count * 5)
      releaseInvocation(arena, id) // after the stamp: what the copy worker does once its faaslet has run
    } else {
      seen = readSeq(shared!.view(), { ptr: m.ptr!, len: m.len! })
      latency[count] = nowUs() - m.t
    }
    if (seen !== m.seq) throw new Error(`read sequence ${seen} in the region, the hand-off said ${m.seq}`)
    count++
    signal(ack, count)
  }

  if (c.transport === 'ring') {
    const i32 = new Int32Array(c.ring!)
    const f64 = new Float64Array(c.ring!)
    const spin = c.spin ?? 0
    parentPort!.postMessage({ type: 'ready' })
    for (let seq = 0; seq < c.n; seq++) {
      let polls = 0
      while (Atomics.load(i32, 0) <= seq) {
        if (polls++ < spin) continue
        Atomics.wait(i32, 0, seq, 1000)
      }
      const k = seq % RING_SLOTS
      take({ type: 'hop', seq: i32[4 + 4 * k + 2], t: f64[2 + 2 * RING_SLOTS + k], ptr: i32[4 + 4 * k], len: i32[4 + 4 * k + 1] })
    }
    parentPort!.postMessage({ type: 'done' })
    return
  }
  const source = c.transport === 'port' ? c.port! : parentPort!
  const onMessage = (m: HopMessage) => {
    if (m?.type !== 'hop') return
    try {
      take(m)
    } catch (e) {
      source.off('message', onMessage)
      parentPort!.postMessage({ type: 'error', message: (e as Error).stack ?? String(e) })
      return
    }
    if (count === c.n) {
      source.off('message', onMessage)
      if (c.transport === 'port') c.port!.close()
      parentPort!.postMessage({ type: 'done' })
    }
  }
  source.on('message', onMessage)
  parentPort!.postMessage({ type: 'ready' })
}

parentPort!.on('message', (c: SendCommand | RecvCommand | HopMessage) => {
  try {
    if ('cmd' in c && c.cmd === 'send') send(c)
    else if ('cmd' in c && c.cmd === 'recv') recv(c)
  } catch (e) {
    parentPort!.postMessage({ type: 'error', message: (e as Error).stack ?? String(e) })
  }
})
parentPort!.postMessage({ type: 'online' })
