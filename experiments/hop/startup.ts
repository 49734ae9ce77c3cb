// What starting costs: a fresh WebAssembly.Instance of a compiled module on a tenant arena (what a
// worker pays the first time it runs a faaslet, and what a warm invocation must never pay), compiling a
// module, and a worker thread from nothing to "module instantiated".
import { performance } from 'node:perf_hooks'
import { Worker } from 'node:worker_threads'
import { Arena, createArenaHandles } from '../../dataplane/arena.js'
import { FaasletInstance } from '../../dataplane/faaslet-instance.js'
import { SharedExecutor } from '../../dataplane/shared-executor.js'
import { Tenant, DEFAULT_LIMITS } from '../../dataplane/tenant.js'
import { Catalog } from '../../faaslets/catalog.js'
import { stats, type Stats } from '../lib/measure.js'

export interface InstantiateRow {
  faaslet: string
  wasmBytes: number
  /** new WebAssembly.Module(bytes), ms (Node 20 compiles lazily: functions compile on first call) */
  compileMs: number
  /** new WebAssembly.Instance(module, imports) on the arena memory, µs */
  instance: Stats
  /** dataplane/faaslet-instance.ts FaasletInstance (instance + ABI version check), µs */
  faasletInstance: Stats
}

export interface StartupResult {
  instantiate: InstantiateRow[]
  /** new Worker (plain JS) → a catalog module instantiated in it → first message back, ms */
  workerColdStart: Stats
  /** the shared executor's way: a 1-thread piscina pool started and warmed with every module, ms */
  sharedExecutorColdStart: Stats
  /** true when running from source: the executor's workers load TypeScript through tsx, which counts above */
  fromSource: boolean
}

const BARE_WORKER = `
const { parentPort, workerData } = require('node:worker_threads')
const imports = { env: { memory: workerData.memory }, graticule: { alloc: () => 0 } }
const instance = new WebAssembly.Instance(workerData.module, imports)
parentPort.postMessage(instance.exports.gr_abi_version())
`

export async function startup(opts: { instances: number; workers: number; executors: number }): Promise<StartupResult> {
  const catalog = Catalog.load()
  const arena = new Arena(createArenaHandles({ tenant: 'hop-startup' }))
  const instantiate: InstantiateRow[] = []
  for (const name of catalog.names()) {
    const bytes = catalog.wasmBytes(name)
    let t0 = performance.now()
    const module = new WebAssembly.Module(bytes)
    const compileMs = performance.now() - t0
    const imports = { env: { memory: arena.memory }, graticule: { alloc: () => 0 } }
    const raw: number[] = []
    const wrapped: number[] = []
    for (let i = 0; i < opts.instances + 20; i++) {
      t0 = performance.now()
      new WebAssembly.Instance(module, imports)
      const a = performance.now() - t0
      t0 = performance.now()
      new FaasletInstance(name, module, arena)
      const b = performance.now() - t0
      if (i >= 20) {
        raw.push(a * 1000)
        wrapped.push(b * 1000)
      }
    }
    instantiate.push({ faaslet: name, wasmBytes: bytes.length, compileMs, instance: stats(raw), faasletInstance: stats(wrapped) })
  }

  const cold: number[] = []
  const module = catalog.module('heatmap')
  for (let i = 0; i < opts.workers; i++) {
    const t0 = performance.now()
    const w = new Worker(BARE_WORKER, { eval: true, workerData: { module, memory: arena.memory } })
    await new Promise<void>((resolve, reject) => {
      w.once('message', () => resolve())
      w.once('error', reject)
    })
    cold.push(performance.now() - t0)
    await w.terminate()
  }

  const executor: number[] = []
  for (let i = 0; i < opts.executors; i++) {
    const tenant = new Tenant('startup', DEFAULT_LIMITS)
    const t0 = performance.now()
    const exec = new SharedExecutor(catalog, { workers: 1 })
    await exec.warm(tenant)
    executor.push(performance.now() - t0)
    await exec.close()
  }
  return {
    instantiate, workerColdStart: stats(cold), sharedExecutorColdStart: stats(executor),
    fromSource: import.meta.url.endsWith('.ts'),
  }
}
