// A piscina worker of the shared-memory executor. It keeps, per tenant, an Arena on the tenant's shared
// memory and a pool of faaslet instances on it, the compiled modules and the plans it was sent. A task
// names what it needs by number (tenant key, catalog generation, plan id, progress slot); when the worker
// lacks something it answers `missing` and the executor resends the task with it attached (once per
// worker, not per task), so a warm invocation carries descriptors, step indexes and numbers — never a
// plan, a module or a list of module keys (a structured clone costs per field).
//
// A task may also carry the chain's boundary: the request body to parse and write as the input region
// (or point columns on SharedArrayBuffers to write), and the outputs to encode (PNG, GeoJSON, …). That
// work happens here, so the thread that serves HTTP only moves bytes.
import { threadId } from 'node:worker_threads'
import { move, transferableSymbol, valueSymbol } from 'piscina'
import type { Manifest } from '../faaslets/abi/manifest.js'
import type { Descriptor } from '../faaslets/abi/region.js'
import { encodeOutput } from '../faaslets/codecs/boundary.js'
import type { CarriedProperties } from '../faaslets/codecs/points.js'
import { GraticuleError } from '../errors/index.js'
import { Arena, type ArenaHandles } from './arena.js'
import { prepareChainInput, type ChainInput, type OutputEncoding } from './boundary-task.js'
import { openInvocation } from './invocation.js'
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
  /** what this task's part of the invocation may hold (Tenant.invocationLimitBytes) */
  limitBytes: number
  /** the plan's id in this executor; the plan itself is attached only when the worker lacks it */
  planId: number
  plan?: Plan
  run: number[]
  /** chain input descriptors (empty when this task writes the input itself) */
  inputs: Descriptor[]
  known: Array<Descriptor[] | null>
  /** the catalog generation the task was made in: a worker holding an older one refreshes its modules */
  generation: number
  /** this task's slot in the executor's progress array: the step running, for a supervisor that kills it */
  progressSlot: number
  attach?: {
    arena: ArenaHandles
    /** the catalog's module keys at `generation`: the worker drops modules whose key changed */
    keys: Record<string, string>
    modules: ModuleAttachment[]
    progress: SharedArrayBuffer
  }
  /** boundary in: parse and write the chain's input region here before running */
  input?: Exclude<ChainInput, { write: unknown }>
  /** boundary out: encode these plan outputs here after running (they must be known by then) */
  encode?: OutputEncoding[]
  /** test hook: the worker process exits while running (fault injection) */
  crash?: boolean
}

export type SegmentResult =
  | {
    ok: true
    outputs: Array<Descriptor[] | null>
    /** the chain inputs, when this task wrote them */
    inputs?: Descriptor[]
    /** points or features the input held (written here), for limits and metrics */
    inputSize?: number
    /** what the input's conversion carried beside the region, when this task wrote it and another encodes */
    carried?: CarriedProperties
    encoded?: Uint8Array[]
    timings: StepTiming[]
    instantiations: number
    threadId: number
  }
  | { ok: false; missing: true }
  | { ok: false; error: { code: string; message: string } }

const modules = new Map<string, ModuleAttachment>()
let generation = -1
let progress: Int32Array | null = null
const tenants = new Map<string, { key: number; runner: LocalRunner }>()
/** plans by id with the module names they use; bounded so a stream of one-off plans cannot grow it */
const plans = new Map<number, { plan: Plan; names: string[] }>()
const PLANS_KEPT = 1024

const source: ModuleSource = {
  module: (name) => modules.get(name)!.module,
  manifest: (name) => {
    const m = modules.get(name)
    if (!m) throw new Error(`module ${name} was not attached to this worker`)
    return m.manifest
  },
}

function attach(task: SegmentTask): void {
  if (task.plan) {
    plans.set(task.planId, { plan: task.plan, names: [...new Set(task.plan.steps.map((s) => s.faaslet.split('@')[0]))] })
    if (plans.size > PLANS_KEPT) plans.delete(plans.keys().next().value!)
  }
  if (!task.attach) return
  progress = new Int32Array(task.attach.progress)
  const drop = (name: string) => {
    modules.delete(name)
    for (const t of tenants.values()) t.runner.forget(name)
  }
  for (const [name, m] of modules) if (task.attach.keys[name] !== m.key) drop(name)
  for (const m of task.attach.modules) {
    if (modules.get(m.name)?.key !== m.key) drop(m.name)
    modules.set(m.name, m)
  }
  generation = task.generation
  const have = tenants.get(task.tenant)
  if (!have || have.key !== task.tenantKey) {
    tenants.set(task.tenant, { key: task.tenantKey, runner: new LocalRunner(source, new Arena(task.attach.arena)) })
  }
}

export default async function runSegmentTask(task: SegmentTask): Promise<SegmentResult> {
  attach(task)
  const tenant = tenants.get(task.tenant)
  const entry = plans.get(task.planId)
  if (!tenant || tenant.key !== task.tenantKey || !entry || generation !== task.generation || !progress) return { ok: false, missing: true }
  for (const name of entry.names) if (!modules.has(name)) return { ok: false, missing: true }
  const plan = entry.plan
  if (task.crash) process.exit(70)

  const runner = tenant.runner
  const before = runner.instantiations
  // this thread's part of the invocation: the executor, which opened it, releases every chunk at the end
  const inv = openInvocation(runner.arena, { id: task.invocation, limitBytes: task.limitBytes })
  const known = task.known.slice()
  try {
    let inputs = task.inputs
    let inputSize: number | undefined
    let carried: CarriedProperties | undefined
    if (task.input) {
      const p = await prepareChainInput(task.input)
      inputs = [p.write(inv.mem)]
      inputSize = p.size
      carried = p.carried
    }
    const timings = runSegment(runner, inv, plan, task.run, inputs, known, progress.subarray(task.progressSlot, task.progressSlot + 1), threadId)
    const outputs = known.map((k, i) => (task.run.includes(i) ? k : null))
    const result: SegmentResult = { ok: true, outputs, timings, instantiations: runner.instantiations - before, threadId }
    if (task.input) {
      result.inputs = inputs
      result.inputSize = inputSize
      if (!task.encode) result.carried = carried
    }
    if (task.encode) {
      const bytes = runner.arena.bytes()
      const encoded = task.encode.map((e) => {
        const r = plan.outputs[e.output]
        const d = 'step' in r ? known[r.step]![r.output] : inputs[r.input]
        return own(encodeOutput(bytes, d, e.as, { carried: e.carried ?? carried, rfc7946: e.rfc7946 }))
      })
      result.encoded = encoded
      return move({ [transferableSymbol]: encoded.map((b) => b.buffer), [valueSymbol]: result } as never) as unknown as SegmentResult
    }
    return result
  } catch (e) {
    // the invocation's chunks are released by the executor, which owns the invocation id
    if (e instanceof GraticuleError) return { ok: false, error: { code: e.code, message: e.message } }
    return { ok: false, error: { code: 'E_FAASLET_INTERNAL', message: (e as Error)?.message ?? String(e) } }
  }
}

/** A buffer of its own (pooled Buffers share one ArrayBuffer; only a whole one can be transferred). */
function own(b: Uint8Array): Uint8Array {
  return b.byteOffset === 0 && b.byteLength === b.buffer.byteLength && !(b.buffer instanceof SharedArrayBuffer) ? b : b.slice()
}
