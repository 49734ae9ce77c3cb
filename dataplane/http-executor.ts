// The HTTP-per-function baseline executor: every faaslet a process of its own on 127.0.0.1, called in turn
// over HTTP with msgpack bodies (keep-alive connections). A call past the time limit is abandoned and the
// process killed and restarted, like a serverless platform would.
import { fork, type ChildProcess } from 'node:child_process'
import { Agent, request } from 'node:http'
import { Packr, Unpackr } from 'msgpackr'
import { ScratchMemory, type Descriptor } from '../faaslets/abi/region.js'
import type { Catalog } from '../faaslets/catalog.js'
import { fail, revive } from '../errors/index.js'
import { copyBytes, countCopied, newCopyCounter, type CopyCounter } from './copy-counter.js'
import { isStepRef, stepDeps, type Plan, type PlanRef } from './plan.js'
import { runDag } from './schedule.js'
import type { StepTiming } from './segment.js'
import { workerEntry } from './worker-entry.js'
import type { ChainInput } from './boundary-task.js'
import { invokeOnScratch, type Executor, type ExecuteOptions, type InvokeResult, type ScratchRun } from './executor.js'
import type { Tenant } from './tenant.js'

interface FunctionProcess {
  child: ChildProcess
  port: number
  key: string
}

/** One process of a function, and the requests it has in flight (the router sends to the least busy). */
interface Replica {
  proc: Promise<FunctionProcess>
  inflight: number
}

export class HttpExecutor implements Executor {
  readonly mode = 'http' as const
  private readonly procs = new Map<string, Replica[]>()
  private readonly agent = new Agent({ keepAlive: true, maxSockets: 64 })
  private readonly packr = new Packr()
  private readonly unpackr = new Unpackr()

  /** `replicas` processes per function, as a platform scales a function out (see copy-executor.ts). */
  private constructor(private readonly catalog: Catalog, private readonly replicas: number) {}

  static async start(catalog: Catalog, replicas = 1): Promise<HttpExecutor> {
    return new HttpExecutor(catalog, Math.max(1, replicas))
  }

  /** The least busy process serving `faaslet`, started on first use (and again after it was killed). */
  private replica(faaslet: string): Replica {
    const name = this.catalog.get(faaslet).manifest.name
    const key = this.catalog.key(name)
    let list = this.procs.get(name)
    if (!list) this.procs.set(name, (list = Array.from({ length: this.replicas }, () => ({ proc: this.spawn(name), inflight: 0 }))))
    const r = list.reduce((a, b) => (b.inflight < a.inflight ? b : a))
    r.proc = r.proc.then((p) => (p.key === key && p.child.exitCode === null ? p : this.spawn(name, p)), () => this.spawn(name))
    return r
  }

  private spawn(name: string, old?: FunctionProcess): Promise<FunctionProcess> {
    if (old) old.child.kill('SIGKILL')
    const e = this.catalog.get(name)
    const key = this.catalog.key(name)
    const server = workerEntry('http-function-server')
    const p = new Promise<FunctionProcess>((resolve, reject) => {
      const child = fork(server.filename, [name], { execArgv: server.execArgv, stdio: ['ignore', 'inherit', 'inherit', 'ipc'], serialization: 'advanced' })
      child.send({ wasm: this.catalog.wasmBytes(name), manifest: e.manifest })
      child.once('message', (m: { port: number }) => resolve({ child, port: m.port, key }))
      child.once('exit', (code) => reject(new Error(`function process ${name} exited with ${code}`)))
    })
    p.catch(() => undefined)
    return p
  }

  private post(port: number, body: Buffer, timeoutMs: number): Promise<{ status: number; body: Buffer }> {
    return new Promise((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port, method: 'POST', path: '/invoke', agent: this.agent, headers: { 'content-type': 'application/msgpack', 'content-length': body.length } }, (res) => {
        const chunks: Buffer[] = []
        res.on('data', (c: Buffer) => chunks.push(c))
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: chunks.length === 1 ? chunks[0] : Buffer.concat(chunks) }))
        res.on('error', reject)
      })
      req.setTimeout(timeoutMs, () => req.destroy(Object.assign(new Error('timeout'), { timeout: true })))
      req.on('error', reject)
      req.end(body)
    })
  }

  /** Warms every function process a plan uses (process start is not what the benchmark measures). */
  async warm(plan: Plan, write: (mem: ScratchMemory) => Descriptor[]): Promise<void> {
    await this.run(plan, write, { timeLimitMs: 60_000 })
  }

  async run(plan: Plan, write: (mem: ScratchMemory) => Descriptor[], opts: { timeLimitMs: number; quotaBytes?: number }): Promise<ScratchRun> {
    const copied: CopyCounter = newCopyCounter()
    const scratch = new ScratchMemory()
    const inputs = write(scratch)
    copied.boundary += inputs.reduce((n, d) => n + d.len, 0)
    const t0 = performance.now()
    const keyOf = (r: PlanRef) => (isStepRef(r) ? `s${r.step}.${r.output}` : `i${r.input}`)
    const uses = new Map<string, number>()
    for (const s of plan.steps) for (const r of s.inputs) uses.set(keyOf(r), (uses.get(keyOf(r)) ?? 0) + 1)
    for (const r of plan.outputs) uses.set(keyOf(r), (uses.get(keyOf(r)) ?? 0) + 1)
    const regions = new Map<string, Uint8Array>()
    inputs.forEach((d, i) => regions.set(`i${i}`, scratch.bytes().subarray(d.ptr, d.ptr + d.len)))

    const timings: StepTiming[] = []
    const runStep = async (i: number): Promise<void> => {
      const s = plan.steps[i]
      const manifest = this.catalog.manifest(s.faaslet)
      const wanted = manifest.outputs.map((_, k) => (uses.get(`s${i}.${k}`) ?? 0) > 0)
      const ins = s.inputs.map((r) => regions.get(keyOf(r))!)
      const packed = this.packr.pack({ params: s.params, inputs: ins, wanted, quotaBytes: opts.quotaBytes ?? 1 << 30 })
      const body = Buffer.from(packed.buffer, packed.byteOffset, packed.length)
      const hop = (r: PlanRef): keyof CopyCounter => (isStepRef(r) ? 'betweenStages' : 'boundary')
      s.inputs.forEach((r, k) => countCopied(copied, hop(r), ins[k].length * 2)) // encode + socket
      const replica = this.replica(s.faaslet)
      replica.inflight++
      let res: { status: number; body: Buffer }
      try {
        const fp = await replica.proc
        try {
          res = await this.post(fp.port, body, opts.timeLimitMs)
        } catch (e) {
          if ((e as { timeout?: boolean }).timeout) {
            replica.proc = this.spawn(manifest.name, fp) // kill the stuck process and start a fresh one
            throw fail('E_FAASLET_TIMEOUT', `${plan.name}/${s.id}`, opts.timeLimitMs)
          }
          throw fail('E_WORKER_DIED', `${plan.name}/${s.id}`, (e as Error).message)
        }
      } finally {
        replica.inflight--
      }
      const reply = this.unpackr.unpack(res.body) as { outputs?: Uint8Array[]; ms?: number; copiedIn?: number; error?: { code: string; message: string } }
      if (reply.error) throw revive(reply.error)
      const final = new Set(plan.outputs.map(keyOf))
      reply.outputs!.forEach((o, k) => {
        regions.set(`s${i}.${k}`, o)
        const key = `s${i}.${k}`
        if (o.length) countCopied(copied, final.has(key) && (uses.get(key) ?? 0) <= 1 ? 'boundary' : 'betweenStages', o.length * 2) // encode + socket
      })
      countCopied(copied, s.inputs.some(isStepRef) ? 'betweenStages' : 'boundary', reply.copiedIn ?? 0)
      timings.push({ step: i, ms: reply.ms ?? 0, inputs: [], outputs: [] })
    }
    await runDag(stepDeps(plan), runStep, plan.name)
    const out = new ScratchMemory()
    const outputs = plan.outputs.map((r) => {
      const region = regions.get(keyOf(r))!
      const ptr = out.alloc(region.length, 8)
      copyBytes(copied, 'boundary', out.bytes(), ptr, region, 0, region.length)
      return { ptr, len: region.length }
    })
    const totalMs = performance.now() - t0
    timings.sort((a, b) => a.step - b.step)
    return { outputs, bytes: () => out.bytes(), timings, totalMs, computeMs: timings.reduce((n, t) => n + t.ms, 0), copied, instantiations: 0 }
  }

  invoke(tenant: Tenant, plan: Plan, input: ChainInput, opts: ExecuteOptions): Promise<InvokeResult> {
    return invokeOnScratch('http', (p, write) => this.run(p, write, { timeLimitMs: tenant.limits.timeLimitMs, quotaBytes: tenant.limits.quotaBytes }), plan, input, opts)
  }

  async close(): Promise<void> {
    const procs = await Promise.allSettled([...this.procs.values()].flat().map((r) => r.proc))
    for (const p of procs) if (p.status === 'fulfilled') p.value.child.kill('SIGKILL')
    this.procs.clear()
    this.agent.destroy()
  }
}
