// One faaslet as its own HTTP service on 127.0.0.1 — the HTTP-per-function baseline (how Knative or
// OpenFaaS would run it). POST /invoke with a msgpack body {params, inputs: [region bytes]} answers
// msgpack {outputs: [region bytes], ms}. Started by http-executor.ts, which reads the port from IPC.
import { createServer } from 'node:http'
import { Packr, Unpackr } from 'msgpackr'
import type { Manifest } from '../faaslets/abi/manifest.js'
import { GraticuleError } from '../errors/index.js'
import { Arena, createArenaHandles } from './arena.js'
import { LocalRunner } from './local-runner.js'
import { copyBytes, newCopyCounter } from './copy-counter.js'

// the executor sends the module's bytes and manifest over IPC (deployed modules may exist only in memory)
const { wasm, manifest } = await new Promise<{ wasm: Uint8Array; manifest: Manifest }>((resolve) => process.once('message', resolve))
const module = new WebAssembly.Module(new Uint8Array(wasm))
const runner = new LocalRunner(
  { module: () => module, manifest: () => manifest },
  new Arena(createArenaHandles({ tenant: 'http-private', quotaBytes: 1024 * 1024 * 1024 })),
)
const packr = new Packr()
const unpackr = new Unpackr()

function invoke(body: Buffer): { status: number; body: Buffer } {
  let req: { params: number[]; inputs: Uint8Array[]; wanted: boolean[]; quotaBytes: number }
  try {
    req = unpackr.unpack(body)
  } catch {
    return { status: 400, body: Buffer.from(packr.pack({ error: { code: 'E_BAD_FORMAT', message: 'cannot use file body: not msgpack' } })) }
  }
  const inv = runner.begin(req.quotaBytes)
  try {
    const counter = newCopyCounter()
    const descriptors = req.inputs.map((region) => {
      const ptr = inv.mem.alloc(region.length, 8)
      copyBytes(counter, 'betweenStages', runner.arena.bytes(), ptr, region, 0, region.length)
      return { ptr, len: region.length }
    })
    const t0 = performance.now()
    const outs = runner.run(inv, manifest.name, descriptors, Float64Array.from(req.params))
    const ms = performance.now() - t0
    const bytes = runner.arena.bytes()
    const outputs = outs.map((d, k) => (req.wanted[k] ? bytes.subarray(d.ptr, d.ptr + d.len) : new Uint8Array(0)))
    const packed = packr.pack({ outputs, ms, copiedIn: counter.betweenStages })
    return { status: 200, body: Buffer.from(packed.buffer, packed.byteOffset, packed.length) }
  } catch (e) {
    const error = e instanceof GraticuleError ? { code: e.code, message: e.message } : { code: 'E_FAASLET_INTERNAL', message: String((e as Error)?.message ?? e) }
    const packed = packr.pack({ error })
    return { status: e instanceof GraticuleError ? e.statusCode : 500, body: Buffer.from(packed) }
  } finally {
    runner.release(inv)
  }
}

const server = createServer((req, res) => {
  if (req.method !== 'POST' || req.url !== '/invoke') {
    res.writeHead(404).end()
    return
  }
  const chunks: Buffer[] = []
  req.on('data', (c: Buffer) => chunks.push(c))
  req.on('end', () => {
    const out = invoke(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks))
    res.writeHead(out.status, { 'content-type': 'application/msgpack', 'content-length': out.body.length })
    res.end(out.body)
  })
})
server.keepAliveTimeout = 60_000
server.listen(0, '127.0.0.1', () => {
  const addr = server.address()
  process.send?.({ port: typeof addr === 'object' && addr ? addr.port : 0 })
})
process.on('disconnect', () => process.exit(0))
