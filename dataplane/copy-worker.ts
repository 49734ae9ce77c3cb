// A worker of the copy-based baseline: runs one faaslet on a memory of its own. Each input arrives as a
// msgpack message (transferred), is decoded and copied into that memory; each output is encoded with
// msgpackr out of it and transferred back. The same .wasm as the shared mode — only the data path differs.
import { parentPort, workerData } from 'node:worker_threads'
import { Packr, Unpackr } from 'msgpackr'
import type { Manifest } from '../faaslets/abi/manifest.js'
import { Catalog } from '../faaslets/catalog.js'
import { GraticuleError } from '../errors/index.js'
import { Arena, createArenaHandles } from './arena.js'
import { newCopyCounter, copyBytes, countCopied } from './copy-counter.js'
import { LocalRunner, type ModuleSource } from './local-runner.js'

export interface CopyRequest {
  id: number
  faaslet: string
  params: number[]
  /** msgpack-encoded regions: {region: Uint8Array} */
  inputs: Uint8Array[]
  /** which outputs anyone reads: the others are not encoded */
  wanted: boolean[]
  /** the tenant's memory quota, enforced per invocation on this private memory */
  quotaBytes: number
  module?: { key: string; module: WebAssembly.Module; manifest: Manifest }
}

export type CopyReply =
  | { id: number; ok: true; outputs: Uint8Array[]; ms: number; copiedIn: number[]; copiedOut: number[] }
  | { id: number; ok: false; error: { code: string; message: string } }

const catalog = Catalog.load({ includeTest: Boolean((workerData as { includeTest?: boolean } | null)?.includeTest) })
const deployed = new Map<string, { module: WebAssembly.Module; manifest: Manifest }>()
const source: ModuleSource = {
  module: (name) => deployed.get(name)?.module ?? catalog.module(name),
  manifest: (name) => deployed.get(name)?.manifest ?? catalog.manifest(name),
}
// a private arena: shared-flagged only because the faaslets import a shared memory; no other thread has it
const runner = new LocalRunner(source, new Arena(createArenaHandles({ tenant: 'copy-private', quotaBytes: 1024 * 1024 * 1024 })))
const packr = new Packr()
const unpackr = new Unpackr()

function handle(req: CopyRequest): { reply: CopyReply; transfer: ArrayBuffer[] } {
  if (req.module) {
    deployed.set(req.faaslet, { module: req.module.module, manifest: req.module.manifest })
    runner.forget(req.faaslet)
  }
  const inv = runner.begin(req.quotaBytes)
  const copiedIn: number[] = []
  const copiedOut: number[] = []
  try {
    const descriptors = req.inputs.map((packed) => {
      const counter = newCopyCounter()
      const { region } = unpackr.unpack(packed) as { region: Uint8Array }
      if (region.buffer !== packed.buffer) countCopied(counter, 'betweenStages', region.length) // decode copied
      const ptr = inv.mem.alloc(region.length, 8)
      copyBytes(counter, 'betweenStages', runner.arena.bytes(), ptr, region, 0, region.length)
      copiedIn.push(counter.betweenStages)
      return { ptr, len: region.length }
    })
    const t0 = performance.now()
    const outs = runner.run(inv, req.faaslet, descriptors, Float64Array.from(req.params))
    const ms = performance.now() - t0
    const bytes = runner.arena.bytes()
    const outputs = outs.map((d, k) => {
      if (!req.wanted[k]) {
        copiedOut.push(0)
        return new Uint8Array(0)
      }
      const counter = newCopyCounter()
      const packed = packr.pack({ region: bytes.subarray(d.ptr, d.ptr + d.len) })
      countCopied(counter, 'betweenStages', d.len) // encode copies out of the memory
      // packr reuses one large buffer: copy the message out so it can be transferred alone
      const own = new Uint8Array(packed.length)
      copyBytes(counter, 'betweenStages', own, 0, packed, 0, packed.length)
      copiedOut.push(counter.betweenStages)
      return own
    })
    return { reply: { id: req.id, ok: true, outputs, ms, copiedIn, copiedOut }, transfer: outputs.map((o) => o.buffer as ArrayBuffer) }
  } catch (e) {
    const error = e instanceof GraticuleError ? { code: e.code, message: e.message } : { code: 'E_FAASLET_INTERNAL', message: String((e as Error)?.message ?? e) }
    return { reply: { id: req.id, ok: false, error }, transfer: [] }
  } finally {
    runner.release(inv)
  }
}

parentPort!.on('message', (req: CopyRequest) => {
  const { reply, transfer } = handle(req)
  parentPort!.postMessage(reply, transfer)
})
