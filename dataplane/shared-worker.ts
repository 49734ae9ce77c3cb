// A piscina worker of the shared-memory executor. It keeps, per tenant, an Arena on the tenant's shared
// memory and a pool of faaslet instances on it, and the compiled modules it was sent. A task names what it
// needs by key; when the worker lacks something it answers `missing` and the executor resends the task
// with the tenant's handles and the modules attached (once per worker, not per task).
import { threadId } from 'node:worker_threads'
import type { Manifest } from '../faaslets/abi/manifest.js'
import type { Descriptor } from '../faaslets/abi/region.js'
import { GraticuleError } from '../errors/index.js'
import { Arena, type ArenaHandles } from './arena.js'
import { InvocationHeap } from './allocator.js'
import { LocalRunner, type ModuleSource } from './local-runner.js'
import type { Plan } from './plan.js'
import { runSegment, type StepTiming } from './segment.js'

export interface ModuleRef {
  name: string
  /** changes when the module is redeployed */
  key: string
}

export interface ModuleAttachment extends ModuleRef {
  module: WebAssembly.Module
  manifest: Manifest
}

export interface SegmentTask {
  tenant: string
  tenantKey: number
  invocation: number
  plan: Plan
  run: number[]
  inputs: Descriptor[]
  known: Array<Descriptor[] | null>
  modules: ModuleRef[]
  progress?: SharedArrayBuffer
  attach?: { arena: ArenaHandles; modules: ModuleAttachment[] }
  /** test hook: the worker process exits while running (fault injection) */
  crash?: boolean
}

export type SegmentResult =
  | { ok: true; outputs: Array<Descriptor[] | null>; timings: StepTiming[]; instantiations: number; threadId: number }
  | { ok: false; missing: true }
  | { ok: false; error: { code: string; message: string } }

const modules = new Map<string, ModuleAttachment>()
const tenants = new Map<string, { key: number; runner: LocalRunner }>()

const source: ModuleSource = {
  module: (name) => modules.get(name)!.module,
  manifest: (name) => {
    const m = modules.get(name)
    if (!m) throw new Error(`module ${name} was not attached to this worker`)
    return m.manifest
  },
}

function attach(task: SegmentTask): void {
  if (!task.attach) return
  for (const m of task.attach.modules) {
    const had = modules.get(m.name)
    modules.set(m.name, m)
    if (had && had.key !== m.key) for (const t of tenants.values()) t.runner.forget(m.name)
  }
  const have = tenants.get(task.tenant)
  if (!have || have.key !== task.tenantKey) {
    tenants.set(task.tenant, { key: task.tenantKey, runner: new LocalRunner(source, new Arena(task.attach.arena)) })
  }
}

export default function runSegmentTask(task: SegmentTask): SegmentResult {
  attach(task)
  const tenant = tenants.get(task.tenant)
  if (!tenant || tenant.key !== task.tenantKey) return { ok: false, missing: true }
  for (const m of task.modules) if (modules.get(m.name)?.key !== m.key) return { ok: false, missing: true }
  if (task.crash) process.exit(70)

  const runner = tenant.runner
  const before = runner.instantiations
  const heap = new InvocationHeap(runner.arena, task.invocation)
  const inv = { id: task.invocation, heap, mem: runner.arena.regionMemory((s, a) => heap.alloc(s, a)) }
  const known = task.known.slice()
  try {
    const timings = runSegment(runner, inv, task.plan, task.run, task.inputs, known, task.progress ? new Int32Array(task.progress) : undefined)
    const outputs = known.map((k, i) => (task.run.includes(i) ? k : null))
    return { ok: true, outputs, timings, instantiations: runner.instantiations - before, threadId }
  } catch (e) {
    // the invocation's chunks are released by the executor, which owns the invocation id
    if (e instanceof GraticuleError) return { ok: false, error: { code: e.code, message: e.message } }
    return { ok: false, error: { code: 'E_FAASLET_INTERNAL', message: (e as Error)?.message ?? String(e) } }
  }
}
