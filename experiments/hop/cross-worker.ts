// (b) and (c): hand-offs between worker threads. Two long-lived workers (hop-worker.ts) exchange one
// hand-off at a time; the receiver stamps the one-way latency after it has checked the region and read
// the sequence number the sender just wrote. Also a piscina round trip from the main thread — what the
// `spread` placement pays per step on top of the task itself.
import { MessageChannel, type Worker } from 'node:worker_threads'
import { Piscina } from 'piscina'
import type { ArenaHandles } from '../../dataplane/arena.js'
import { stats, type Stats } from '../lib/measure.js'
import { newRing, type HopMessage, type Payload, type RecvCommand, type SendCommand, type Transport } from './hop-protocol.js'
import type { SeqRegion } from './region-seq.js'
import { nextMessage, sibling, startWorker } from './threads.js'

export interface HopRun {
  /** one-way latency per hand-off after warm-up, µs */
  latency: Float64Array
  /** copy hops: per hand-off pack, copy out, transport, unpack, memcpy in (µs), 5 per hand-off */
  phases?: Float64Array
}

export const COPY_PHASES = ['pack', 'copy out', 'post + transfer', 'unpack', 'memcpy in'] as const

export interface HopCase {
  transport: Transport
  payload: Payload
  n: number
  warmup: number
  /** descriptor payload: the shared memory and the region in it */
  arena?: ArenaHandles
  region?: SeqRegion
  /** copy payload: points in the sender's region */
  points?: number
  /** ring: polls before Atomics.wait */
  spin?: number
}

type Reply = { type: 'online' | 'ready' | 'done' | 'sent' | 'error'; message?: string }

export class HopPair {
  private constructor(private readonly a: Worker, private readonly b: Worker) {}

  static async start(): Promise<HopPair> {
    const entry = sibling(import.meta.url, 'hop-worker')
    const [a, b] = [startWorker(entry.filename), startWorker(entry.filename)]
    await Promise.all([a, b].map((w) => nextMessage<Reply>(w, (m) => m.type === 'online')))
    return new HopPair(a, b)
  }

  async run(c: HopCase): Promise<HopRun> {
    const total = c.n + c.warmup
    const ack = new SharedArrayBuffer(4)
    const latency = new SharedArrayBuffer(total * 8)
    const phases = c.payload === 'copy' ? new SharedArrayBuffer(total * 5 * 8) : undefined
    const ring = c.transport === 'ring' ? newRing() : undefined
    const channel = c.transport === 'port' ? new MessageChannel() : null
    let onError: (m: Reply) => void = () => {}
    const failed = new Promise<never>((_, reject) => {
      onError = (m: Reply) => { if (m.type === 'error') reject(new Error(m.message)) }
    })
    failed.catch(() => {}) // observed below; never an unhandled rejection
    this.a.on('message', onError)
    this.b.on('message', onError)
    // A → main → B, forwarded with the buffers transferred, as the copy executor does between stages
    const forward = (m: HopMessage) => {
      if (m?.type === 'hop') this.b.postMessage(m, (m.outputs ?? []).map((o) => o.buffer as ArrayBuffer))
    }
    if (c.transport === 'parent') this.a.on('message', forward)

    const recv: RecvCommand = { cmd: 'recv', transport: c.transport, payload: c.payload, n: total, ack, latency, phases, ring, arena: c.arena, spin: c.spin }
    const ready = nextMessage<Reply>(this.b, (m) => m.type === 'ready' || m.type === 'error')
    if (channel) {
      recv.port = channel.port2
      this.b.postMessage(recv, [channel.port2])
    } else this.b.postMessage(recv)
    const r = await ready
    if (r.type === 'error') {
      this.a.off('message', forward)
      throw new Error(r.message)
    }

    const received = nextMessage<Reply>(this.b, (m) => m.type === 'done')
    const sent = nextMessage<Reply>(this.a, (m) => m.type === 'sent')
    const send: SendCommand = { cmd: 'send', transport: c.transport, payload: c.payload, n: total, ack, ring, arena: c.arena, region: c.region, points: c.points }
    if (channel) {
      send.port = channel.port1
      this.a.postMessage(send, [channel.port1])
    } else this.a.postMessage(send)
    try {
      await Promise.race([Promise.all([received, sent]), failed])
    } finally {
      this.a.off('message', forward)
      this.a.off('message', onError)
      this.b.off('message', onError)
    }
    return {
      latency: new Float64Array(latency).slice(c.warmup),
      phases: phases ? new Float64Array(phases).slice(c.warmup * 5) : undefined,
    }
  }

  async close(): Promise<void> {
    await Promise.all([this.a.terminate(), this.b.terminate()])
  }
}

/** Median etc. of each copy phase. */
export function phaseStats(phases: Float64Array): Record<string, Stats> {
  const out: Record<string, Stats> = {}
  COPY_PHASES.forEach((name, k) => {
    const xs: number[] = []
    for (let i = k; i < phases.length; i += 5) xs.push(phases[i])
    out[name] = stats(xs)
  })
  return out
}

/**
 * piscina.run(descriptor) round trips from the main thread, one at a time, on a pool like the shared
 * executor's (min = max threads, never idle-terminated); the task checks the region and reads its sequence.
 */
export async function piscinaRoundTrips(arena: ArenaHandles, region: SeqRegion, threads: number, n: number, warmup: number): Promise<Float64Array> {
  const entry = sibling(import.meta.url, 'piscina-reader')
  const pool = new Piscina({ filename: entry.filename, execArgv: entry.execArgv, minThreads: threads, maxThreads: threads, idleTimeout: Infinity, workerData: { arena } })
  const f64 = new Float64Array(arena.memory.buffer)
  const out = new Float64Array(n)
  try {
    for (let i = 0; i < warmup + n; i++) {
      f64[region.seqAt / 8] = i
      const t0 = performance.now()
      const seen = await pool.run({ ptr: region.ptr, len: region.len, seq: i })
      const us = (performance.now() - t0) * 1000
      if (seen !== i) throw new Error(`piscina task read ${seen}, expected ${i}`)
      if (i >= warmup) out[i - warmup] = us
    }
  } finally {
    await pool.destroy()
  }
  return out
}
