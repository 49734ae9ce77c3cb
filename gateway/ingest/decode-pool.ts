// The Kafka source's decoder workers: sensor record values are decoded (JSON or msgpack, checked point by point)
// off the main thread, which only copies a fetched batch's values into one buffer, hands it over (transferred) and
// feeds the columns that come back into the windows. A partition is pinned to one worker: its batches are decoded
// in order, and its sensor ids all come from that worker's SensorIndex (the duplicate check compares ids).
//
// A worker that dies (it should not: decoding never throws) takes its sensor index with it. Its pending batches are
// refused, a new worker takes its place under a new generation, and `onLost` says so: the partitions pinned to it
// must be read again from their last commit (kafka-source.ts), since their open windows hold the old ids.
import type { Worker } from 'node:worker_threads'
import { startWorker } from '../../dataplane/worker-entry.js'
import type { DecodedRecords } from './sensor-decode.js'

/** What a decoder worker starts with. */
export interface DecoderData {
  /** the ids handed out by every SensorIndex of the gateway (an Int32Array on a SharedArrayBuffer) */
  counter: Int32Array
  maxSensors: number
}

export interface DecodeRequest {
  id: number
  /** the batch's record values, one after the other */
  bytes: Uint8Array
  /** where each record's value ends in `bytes` */
  ends: Uint32Array
}

export interface DecodeReply extends DecodedRecords {
  id: number
}

/** A decoded batch, and the generation of the worker that decoded it (its sensor ids are that worker's). */
export interface DecodedBatch extends DecodedRecords {
  generation: number
}

interface Slot {
  worker: Worker
  generation: number
  pending: Map<number, { resolve(d: DecodedBatch): void; reject(e: Error): void }>
  /** resolves once the worker listens (it says so), rejects if it dies first */
  ready: Promise<void>
}

/** Decoder workers: few (the main thread and the dataplane's workers want the cores too). */
export class SensorDecoders {
  private readonly slots: Slot[] = []
  private nextId = 1
  private closing = false

  constructor(readonly size: number, private readonly data: DecoderData, private readonly onLost: (slot: number, err: Error) => void = () => {}) {
    if (!(size >= 1)) throw new Error(`decoder workers: ${size}`)
    for (let i = 0; i < size; i++) this.slots.push(this.spawn(i, 0))
  }

  private spawn(i: number, generation: number): Slot {
    // the entry lives beside this file; worker-entry.ts resolves names from dataplane/ (.ts under tsx, .js in dist/)
    const worker = startWorker('../gateway/ingest/sensor-decode-worker', { workerData: this.data, name: `sensor-decoder-${i}` })
    worker.unref() // referenced only while it has batches to decode
    let listening: () => void = () => {}
    let failed: (e: Error) => void = () => {}
    const ready = new Promise<void>((resolve, reject) => { listening = resolve; failed = reject })
    ready.catch(() => undefined)
    const slot: Slot = { worker, generation, pending: new Map(), ready }
    worker.on('message', (m: DecodeReply | { id: 0; ready: true }) => {
      if (m.id === 0) return listening()
      const p = slot.pending.get(m.id)
      if (!p) return
      slot.pending.delete(m.id)
      if (slot.pending.size === 0) worker.unref()
      p.resolve({ ...(m as DecodeReply), generation })
    })
    const lost = (err: Error) => {
      failed(err)
      if (this.slots[i] !== slot) return // told already ('error' is followed by 'exit')
      for (const p of slot.pending.values()) p.reject(err)
      slot.pending.clear()
      if (this.closing) return
      this.slots[i] = this.spawn(i, generation + 1)
      this.onLost(i, err)
    }
    worker.on('error', (e) => lost(e instanceof Error ? e : new Error(String(e))))
    worker.on('exit', (code) => lost(new Error(`sensor decoder ${i} exited (code ${code})`)))
    return slot
  }

  /** Resolves once every worker listens (a worker started from source takes a while to load): no batch waits for one. */
  async ready(): Promise<void> {
    await Promise.all(this.slots.map((s) => s.ready))
  }

  /** The generation of the worker in `slot` now (bumped each time one is replaced). */
  generation(slot: number): number {
    return this.slots[slot].generation
  }

  /** Decodes a batch on the worker in `slot`; `bytes` and `ends` are transferred (unusable here afterwards). */
  decode(slot: number, bytes: Uint8Array, ends: Uint32Array): Promise<DecodedBatch> {
    const s = this.slots[slot]
    if (this.closing) return Promise.reject(new Error('the sensor decoders are closed'))
    const id = this.nextId++
    return new Promise<DecodedBatch>((resolve, reject) => {
      if (s.pending.size === 0) s.worker.ref()
      s.pending.set(id, { resolve, reject })
      const req: DecodeRequest = { id, bytes, ends }
      // a view of a larger buffer (Buffer's pool) cannot be transferred: it is cloned instead
      const transfer = [bytes, ends].filter((a) => a.byteOffset === 0 && a.byteLength === a.buffer.byteLength && !(a.buffer instanceof SharedArrayBuffer)).map((a) => a.buffer as ArrayBuffer)
      s.worker.postMessage(req, transfer)
    })
  }

  /** The workers, for tests that need one to die. */
  get workers(): readonly Worker[] {
    return this.slots.map((s) => s.worker)
  }

  async close(): Promise<void> {
    this.closing = true
    await Promise.all(this.slots.map((s) => s.worker.terminate()))
  }
}
