// The copy-based baseline executor: one worker per faaslet, each with a private memory; a stage's output
// is encoded with msgpackr, transferred (not cloned) to the next stage's worker, decoded and copied into
// its memory. Steps whose inputs are ready run at once, so independent branches overlap like in `spread`.
// Every copy is counted; a looping stage is stopped by terminating its worker, which is then replaced.
import type { Worker } from 'node:worker_threads'
import { Packr, Unpackr } from 'msgpackr'
import { ScratchMemory, type Descriptor } from '../faaslets/abi/region.js'
import type { Catalog } from '../faaslets/catalog.js'
import { fail, revive } from '../errors/index.js'
import { copyBytes, countCopied, newCopyCounter, type CopyCounter } from './copy-counter.js'
import type { CopyReply, CopyRequest } from './copy-worker.js'
import { isStepRef, stepDeps, type Plan, type PlanRef } from './plan.js'
import { runDag } from './schedule.js'
import type { StepTiming } from './segment.js'
import { startWorker } from './worker-entry.js'
import type { ChainInput } from './boundary-task.js'
import { invokeOnScratch, type Executor, type ExecuteOptions, type InvokeResult, type ScratchRun } from './executor.js'
import type { Tenant } from './tenant.js'

interface Pending {
  req: CopyRequest
  transfer: ArrayBuffer[]
  resolve: (r: Extract<CopyReply, { ok: true }>) => void
  reject: (e: unknown) => void
  timeLimitMs: number
}

/**
 * One stage worker. Requests go to it one at a time: the ones waiting stay here with their buffers, so
 * when a running request has to be killed (time limit) or its worker dies, only that request fails and
 * the rest go on to the replacement worker.
 */
class StageWorker {
  private worker!: Worker
  private readonly queue: Pending[] = []
  private running: Pending | null = null
  private timer: NodeJS.Timeout | null = null
  private nextId = 1

  constructor(readonly faaslet: string, private readonly includeTest: boolean) {
    this.spawn()
  }

  private spawn(): void {
    this.worker = startWorker('copy-worker', { workerData: { includeTest: this.includeTest } })
    this.worker.on('message', (reply: CopyReply) => this.settle(reply))
    this.worker.on('error', (e) => this.restart(fail('E_WORKER_DIED', this.faaslet, e.message)))
    this.worker.on('exit', (code) => this.restart(fail('E_WORKER_DIED', this.faaslet, `worker exited with code ${code}`)))
  }

  private next(): void {
    if (this.running || this.queue.length === 0) return
    const p = (this.running = this.queue.shift()!)
    this.timer = setTimeout(() => this.restart(fail('E_FAASLET_TIMEOUT', this.faaslet, p.timeLimitMs)), p.timeLimitMs)
    this.worker.postMessage(p.req, p.transfer)
  }

  private settle(reply: CopyReply): void {
    const p = this.running
    if (!p || p.req.id !== reply.id) return
    this.running = null
    if (this.timer) clearTimeout(this.timer)
    if (reply.ok) p.resolve(reply)
    else p.reject(revive(reply.error))
    this.next()
  }

  /** The running request fails with `error`; the worker is replaced and the queue goes on. */
  private restart(error: unknown): void {
    const p = this.running
    this.running = null
    if (this.timer) clearTimeout(this.timer)
    p?.reject(error)
    const old = this.worker
    old.removeAllListeners()
    old.on('error', () => {})
    void old.terminate()
    this.spawn()
    this.next()
  }

  /** requests waiting or running here */
  get load(): number {
    return this.queue.length + (this.running ? 1 : 0)
  }

  call(req: Omit<CopyRequest, 'id'>, transfer: ArrayBuffer[], timeLimitMs: number): Promise<Extract<CopyReply, { ok: true }>> {
    return new Promise((resolve, reject) => {
      this.queue.push({ req: { ...req, id: this.nextId++ }, transfer, resolve, reject, timeLimitMs })
      this.next()
    })
  }

  async close(): Promise<void> {
    this.worker.removeAllListeners()
    this.worker.on('error', () => {})
    await this.worker.terminate()
  }
}

export class CopyExecutor implements Executor {
  readonly mode = 'copy' as const
  private readonly workers = new Map<string, StageWorker[]>()
  private readonly packr = new Packr()
  private readonly unpackr = new Unpackr()

  /**
   * `replicas` workers per faaslet, as a platform scales a function out (the dataplane gives it as many as
   * the shared executor has workers, so neither baseline nor product is short of cores); a request goes to
   * the least loaded one.
   */
  constructor(private readonly catalog: Catalog, private readonly includeTest = true, private readonly replicas = 1) {}

  private worker(faaslet: string): StageWorker {
    const name = faaslet.split('@')[0]
    let ws = this.workers.get(name)
    if (!ws) this.workers.set(name, (ws = Array.from({ length: Math.max(1, this.replicas) }, () => new StageWorker(name, this.includeTest))))
    return ws.reduce((a, b) => (b.load < a.load ? b : a))
  }

  /** Starts the workers of a plan's faaslets ahead of time (cold start is not what is measured). */
  async warm(plan: Plan, write: (mem: ScratchMemory) => Descriptor[]): Promise<void> {
    await this.run(plan, write, { timeLimitMs: 60_000, quotaBytes: 1 << 30 })
  }

  async run(plan: Plan, write: (mem: ScratchMemory) => Descriptor[], opts: { timeLimitMs: number; quotaBytes?: number }): Promise<ScratchRun> {
    const copied = newCopyCounter()
    const scratch = new ScratchMemory()
    const inputs = write(scratch)
    copied.boundary += inputs.reduce((n, d) => n + d.len, 0)
    const t0 = performance.now()
    const encode = (bytes: Uint8Array, d: Descriptor, kind: keyof CopyCounter): Uint8Array => {
      const packed = this.packr.pack({ region: bytes.subarray(d.ptr, d.ptr + d.len) })
      countCopied(copied, kind, d.len)
      const own = new Uint8Array(packed.length)
      copyBytes(copied, kind, own, 0, packed, 0, packed.length)
      return own
    }
    const chainInputs = inputs.map((d) => encode(scratch.bytes(), d, 'boundary'))
    // how many consumers each packed region still has: the last one gets the buffer, others a copy
    const uses = new Map<string, number>()
    const keyOf = (r: PlanRef) => (isStepRef(r) ? `s${r.step}.${r.output}` : `i${r.input}`)
    for (const s of plan.steps) for (const r of s.inputs) uses.set(keyOf(r), (uses.get(keyOf(r)) ?? 0) + 1)
    for (const r of plan.outputs) uses.set(keyOf(r), (uses.get(keyOf(r)) ?? 0) + 1)

    const finalOutputs = new Set(plan.outputs.map(keyOf))
    const packedOf = new Map<string, Uint8Array>()
    chainInputs.forEach((p, i) => packedOf.set(`i${i}`, p))
    const take = (r: PlanRef, transfer: ArrayBuffer[]): Uint8Array => {
      const k = keyOf(r)
      const p = packedOf.get(k)!
      const left = (uses.get(k) ?? 1) - 1
      uses.set(k, left)
      if (left > 0) {
        const copy = new Uint8Array(p.length)
        copyBytes(copied, isStepRef(r) ? 'betweenStages' : 'boundary', copy, 0, p, 0, p.length)
        transfer.push(copy.buffer)
        return copy
      }
      transfer.push(p.buffer as ArrayBuffer)
      return p
    }

    const timings: StepTiming[] = []
    await runDag(stepDeps(plan), async (i) => {
      const s = plan.steps[i]
      const transfer: ArrayBuffer[] = []
      const packedInputs = s.inputs.map((r) => take(r, transfer))
      const mod = this.catalog.get(s.faaslet)
      const wanted = mod.manifest.outputs.map((_, k) => (uses.get(`s${i}.${k}`) ?? 0) > 0)
      const req: Omit<CopyRequest, 'id'> = { faaslet: mod.manifest.name, params: s.params, inputs: packedInputs, wanted, quotaBytes: opts.quotaBytes ?? 1 << 30 }
      if (mod.deployed) req.module = { key: this.catalog.key(s.faaslet), module: this.catalog.module(s.faaslet), manifest: mod.manifest }
      const reply = await this.worker(s.faaslet).call(req, transfer, opts.timeLimitMs)
      reply.outputs.forEach((o, k) => packedOf.set(`s${i}.${k}`, o))
      // copies into a stage's memory from a chain input, or out of it into a chain output, are the
      // boundary crossing every mode pays; the rest are the hops between stages
      reply.copiedIn.forEach((n, k) => countCopied(copied, isStepRef(s.inputs[k]) ? 'betweenStages' : 'boundary', n))
      reply.copiedOut.forEach((n, k) => countCopied(copied, finalOutputs.has(`s${i}.${k}`) && (uses.get(`s${i}.${k}`) ?? 0) <= 1 ? 'boundary' : 'betweenStages', n))
      timings.push({ step: i, ms: reply.ms, inputs: [], outputs: [] })
    }, plan.name)
    // the results: decode into one scratch memory the caller reads (the one copy out)
    const out = new ScratchMemory()
    const outputs = plan.outputs.map((r) => {
      const { region } = this.unpackr.unpack(packedOf.get(keyOf(r))!) as { region: Uint8Array }
      const ptr = out.alloc(region.length, 8)
      copyBytes(copied, 'boundary', out.bytes(), ptr, region, 0, region.length)
      return { ptr, len: region.length }
    })
    const totalMs = performance.now() - t0
    timings.sort((a, b) => a.step - b.step)
    return { outputs, bytes: () => out.bytes(), timings, totalMs, computeMs: timings.reduce((n, t) => n + t.ms, 0), copied, instantiations: 0 }
  }

  invoke(tenant: Tenant, plan: Plan, input: ChainInput, opts: ExecuteOptions): Promise<InvokeResult> {
    return invokeOnScratch('copy', (p, write) => this.run(p, write, { timeLimitMs: tenant.limits.timeLimitMs, quotaBytes: tenant.limits.quotaBytes }), plan, input, opts)
  }

  async close(): Promise<void> {
    await Promise.all([...this.workers.values()].flat().map((w) => w.close()))
    this.workers.clear()
  }
}
