// The page's dataplane: one tenant arena (a shared WebAssembly.Memory made here, posted to the workers),
// module workers running plans on it, and the host's allocator. Mirrors Dataplane.invoke in shared mode:
// the page opens an invocation, writes the input regions (the one copy in), a worker runs every step on
// descriptors, the page reads the outputs in place and releases the invocation's chunks in one sweep.
import { revive } from '../../../errors/index.js'
import { Arena, createArenaHandles } from '../../../dataplane/arena.js'
import { InvocationHeap, newInvocationId, releaseInvocation } from '../../../dataplane/allocator.js'
import { openInvocation } from '../../../dataplane/invocation.js'
import type { Plan } from '../../../dataplane/plan.js'
import type { Descriptor, RegionMemory } from '../../../faaslets/abi/region.js'
import { ModuleSet } from './module-set.js'
import type { FromWorker, StepTime, ToWorker } from './protocol.js'

export interface BrowserResult {
  outputs: Descriptor[]
  /** the arena's bytes: outputs are read in place until release() */
  bytes(): Uint8Array
  timings: StepTime[]
  /** the steps' own compute, measured in the worker (ms) */
  computeMs: number
  /** input written → outputs back on the page, messaging included (ms) */
  totalMs: number
  release(): void
}

interface Job { resolve(m: FromWorker): void }
interface Lane { worker: Worker; busy: number }

/** Input regions kept in the arena across invocations (a window's points read by every tile). */
export class HeldRegions {
  private users = 0
  private retired = false
  private freed = false

  constructor(private readonly arena: Arena, private readonly invocation: number, readonly descriptors: Descriptor[]) {}

  get bytes(): number { return this.descriptors.reduce((n, d) => n + d.len, 0) }

  /** retired: no new use may start */
  get released(): boolean { return this.retired }

  async use<T>(fn: (inputs: Descriptor[]) => Promise<T>): Promise<T> {
    if (this.retired) throw new Error('held regions were released')
    this.users++
    try {
      return await fn(this.descriptors)
    } finally {
      this.users--
      this.sweep()
    }
  }

  /** Releases the regions once no invocation reads them any more. */
  retire(): void {
    this.retired = true
    this.sweep()
  }

  private sweep(): void {
    if (this.retired && this.users === 0 && !this.freed) {
      this.freed = true
      releaseInvocation(this.arena, this.invocation)
    }
  }
}

export class BrowserDataplane {
  private readonly lanes: Lane[]
  private readonly jobs = new Map<number, Job>()
  private nextJob = 1

  private constructor(readonly arena: Arena, readonly modules: ModuleSet, workers: Worker[]) {
    this.lanes = workers.map((worker) => ({ worker, busy: 0 }))
    for (const w of workers) w.onmessage = (e: MessageEvent<FromWorker>) => this.settle(e.data)
  }

  static async start(opts: { workers?: number; quotaBytes?: number } = {}): Promise<BrowserDataplane> {
    const modules = await ModuleSet.load()
    const handles = createArenaHandles({ tenant: 'browser', quotaBytes: opts.quotaBytes ?? 256 * 1024 * 1024 })
    const n = opts.workers ?? Math.max(1, Math.min(4, navigator.hardwareConcurrency || 2))
    const workers = await Promise.all(Array.from({ length: n }, () => startWorker({ type: 'init', handles, faaslets: modules.entries })))
    return new BrowserDataplane(new Arena(handles), modules, workers)
  }

  get workers(): number { return this.lanes.length }

  /** Runs a plan on the regions `write` puts in the arena (or on held ones it returns). */
  async invoke(plan: Plan, write: (mem: RegionMemory) => Descriptor[]): Promise<BrowserResult> {
    const inv = openInvocation(this.arena)
    const release = () => { inv.release() }
    try {
      const inputs = write(inv.mem)
      const t0 = performance.now()
      const reply = await this.post(plan, inv.id, inputs)
      if (reply.type === 'failed') throw revive(reply.error)
      if (reply.type !== 'done') throw new Error(`unexpected worker reply ${reply.type}`)
      return {
        outputs: reply.outputs, bytes: () => this.arena.bytes(), timings: reply.timings, computeMs: reply.computeMs,
        totalMs: performance.now() - t0, release,
      }
    } catch (e) {
      release()
      throw e
    }
  }

  /** Writes regions that outlive one invocation; retire() them when done (see HeldRegions). */
  hold(write: (mem: RegionMemory) => Descriptor[]): HeldRegions {
    const invocation = newInvocationId(this.arena)
    const heap = new InvocationHeap(this.arena, invocation, 1)
    try {
      return new HeldRegions(this.arena, invocation, write(this.arena.regionMemory((size, align) => heap.alloc(size, align))))
    } catch (e) {
      releaseInvocation(this.arena, invocation)
      throw e
    }
  }

  close(): void {
    for (const l of this.lanes) l.worker.terminate()
  }

  private post(plan: Plan, invocation: number, inputs: Descriptor[]): Promise<FromWorker> {
    const lane = this.lanes.reduce((a, b) => (b.busy < a.busy ? b : a))
    const job = this.nextJob++
    lane.busy++
    return new Promise<FromWorker>((resolve) => {
      this.jobs.set(job, { resolve: (m) => { lane.busy--; resolve(m) } })
      lane.worker.postMessage({ type: 'run', job, invocation, plan, inputs } satisfies ToWorker)
    })
  }

  private settle(m: FromWorker): void {
    if (m.type === 'ready') return
    const job = this.jobs.get(m.job)
    this.jobs.delete(m.job)
    job?.resolve(m)
  }
}

function startWorker(init: ToWorker): Promise<Worker> {
  return new Promise((resolve, reject) => {
    const w = new Worker(new URL('./worker.js', import.meta.url), { type: 'module', name: 'faaslets' })
    w.onmessage = (e: MessageEvent<FromWorker>) => { if (e.data.type === 'ready') resolve(w) }
    w.onerror = (e) => reject(new Error(`faaslet worker failed to start: ${e.message || 'no message (blocked by COEP?)'}`))
    w.postMessage(init)
  })
}
