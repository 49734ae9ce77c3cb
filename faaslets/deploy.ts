// Faaslets that users deploy: every check happens on the module's bytes before it can ever run — its
// manifest, the ABI (imports, shared memory with a maximum, no exported memory, no start function, the
// entry points), its static data inside a free slot, size and function-count limits, and for modules
// clang/wasm-ld linked the C build's stack and data rules — then it is stored and usable by chains at once.
// The checks and the compilation run in a worker thread under a time limit, so a big module never holds
// up the gateway's other requests; the catalog and the store change only here, on the main thread, after
// the worker answers. Deployed modules run under the same limits as shipped ones.
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { customSection, inspectWasm, withCustomSection } from './abi/inspect.js'
import { HEAP_BASE, PAGE_SIZE, STATIC_SLOT_BYTES, STATIC_SLOT_COUNT, STATIC_SLOT_FIRST } from './abi/layout.js'
import { parseParams, type Manifest } from './abi/manifest.js'
import { manifestProblems } from './abi/manifest-schema.js'
import { checkModule, checkWasmLdModule, linkedByWasmLd } from './abi/validate.js'
import type { Catalog } from './catalog.js'
import { startWorker } from '../dataplane/worker-entry.js'
import { fail, failWith, revive, type ErrorData } from '../errors/index.js'

export const MANIFEST_SECTION = 'graticule.manifest'
import { DEPLOY_LIMITS, DEPLOY_TIME_LIMIT_MS } from './deploy-limits.js'
export { DEPLOY_LIMITS, DEPLOY_TIME_LIMIT_MS } from './deploy-limits.js'
/** How long the worker may take to load before it starts (from source, tsx compiles it first): only so a deploy never hangs. */
const WORKER_START_LIMIT_MS = 30_000

/** The static slots other faaslets hold (slot → faaslet): what the checks need of the catalog, as data a worker can receive. */
export type TakenSlots = Record<number, string>

function takenSlots(catalog: Catalog, except?: string): TakenSlots {
  return Object.fromEntries(catalog.list().filter((e) => e.manifest.name !== except).map((e) => [e.manifest.slot, e.manifest.name]))
}

const freeIn = (taken: TakenSlots): number[] =>
  Array.from({ length: STATIC_SLOT_COUNT }, (_, i) => STATIC_SLOT_FIRST + i).filter((s) => !(s in taken))

export function freeSlots(catalog: Catalog, except?: string): number[] {
  return freeIn(takenSlots(catalog, except))
}

function slotProblem(taken: TakenSlots, slot: number): string | null {
  if (!(slot in taken)) return null
  return `static slot ${slot} is taken by faaslet "${taken[slot]}"; free slots: ${freeIn(taken).join(', ')} (build with a data base of slot × ${STATIC_SLOT_BYTES})`
}

const refusal = (name: string, problems: string[]) => failWith('E_MODULE_REFUSED', problems, name, problems.join('; '))

/** What the catalog alone decides: `name` is a faaslet name and not one that ships with graticule. */
function checkTarget(catalog: Catalog, name: string): void {
  if (!/^[a-z][a-z0-9-]{0,62}$/.test(name)) throw refusal(name, [`"${name}" is not a faaslet name: 1-63 lowercase letters, digits and dashes, starting with a letter`])
  if (catalog.has(name) && !catalog.get(name).deployed) throw fail('E_FAASLET_READONLY', name, 'replaced')
}

/** Checks a module's bytes for deployment as `name` (no catalog: it runs in the deploy worker); returns its manifest and the bytes to store (manifest embedded). */
export function checkDeployment(name: string, bytes: Uint8Array, manifestJson: unknown, takenSlots: TakenSlots): { manifest: Manifest; bytes: Uint8Array } {
  const refuse = (problems: string[]) => refusal(name, problems)
  if (bytes.length > DEPLOY_LIMITS.maxBytes) throw refuse([`module is ${bytes.length} bytes, the limit is ${DEPLOY_LIMITS.maxBytes}`])
  let manifest = manifestJson as Manifest | undefined
  if (manifest === undefined) {
    let section: Uint8Array | null = null
    try {
      section = customSection(bytes, MANIFEST_SECTION)
    } catch (e) {
      throw refuse([`not a valid WebAssembly module: ${(e as Error).message}`])
    }
    if (!section) throw refuse([`no manifest: embed it as a custom section "${MANIFEST_SECTION}" or send it with the module`])
    try {
      manifest = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(section)) as Manifest
    } catch (e) {
      throw refuse([`the ${MANIFEST_SECTION} section is not JSON: ${(e as Error).message}`])
    }
  }
  const shape = manifestProblems(manifest)
  if (shape.length) throw failWith('E_BAD_MANIFEST', shape, name, shape.join('; '))
  const m = manifest as Manifest
  if (m.name !== name) throw fail('E_BAD_MANIFEST', name, `it names the faaslet "${m.name}"`)
  for (const p of m.params) {
    if (p.type === 'enum' && !p.values?.length) throw fail('E_BAD_MANIFEST', name, `enum parameter "${p.name}" needs values`)
    if (p.type === 'crs' && !p.crsRanges?.length) throw fail('E_BAD_MANIFEST', name, `crs parameter "${p.name}" needs crsRanges`)
  }
  try {
    parseParams(m, Object.fromEntries(m.params.filter((p) => p.default === undefined).map((p) => [p.name, p.type === 'bbox' ? '0,0,0,0' : p.type === 'enum' ? p.values![0] : p.type === 'bool' ? 'false' : p.type === 'crs' ? p.crsRanges![0][0] : p.min ?? 0])))
  } catch (e) {
    throw fail('E_BAD_MANIFEST', name, `a parameter default does not parse: ${(e as Error).message}`)
  }

  const problems: string[] = []
  const slotTaken = slotProblem(takenSlots, m.slot)
  if (slotTaken) problems.push(slotTaken)
  const base = m.slot * STATIC_SLOT_BYTES
  const abi = checkModule(bytes, { staticRange: [base, base + STATIC_SLOT_BYTES], ...DEPLOY_LIMITS })
  problems.push(...abi)
  if (abi.length === 0 && linkedByWasmLd(bytes)) problems.push(...checkWasmLdModule(bytes, m.slot)) // what the C build enforces
  try {
    const mem = inspectWasm(bytes).imports.find((i) => i.kind === 'memory')?.memory
    if (mem && mem.initial > HEAP_BASE / PAGE_SIZE) problems.push(`imports env.memory with ${mem.initial} initial pages; at most ${HEAP_BASE / PAGE_SIZE} (the static area) so every arena links it`)
  } catch { /* reported by checkModule */ }
  if (problems.length) throw refuse(problems)
  const stored = manifestJson === undefined ? bytes : withCustomSection(bytes, MANIFEST_SECTION, new TextEncoder().encode(JSON.stringify(m)))
  return { manifest: m, bytes: stored }
}

export interface DeployJob {
  name: string
  bytes: Uint8Array
  /** the manifest sent beside the module, if any */
  manifest: unknown
  taken: TakenSlots
}

export interface CheckedModule {
  manifest: Manifest
  /** what to store: the module with its manifest embedded */
  bytes: Uint8Array
  /** the engine's compilation of those bytes, for the catalog */
  module: WebAssembly.Module
}

/** What the deploy worker posts: that it started checking, then its answer. */
export type WorkerAnswer = { started: true } | { error: ErrorData } | { checked: CheckedModule }

/** The deploy worker's job: the checks, then the compilation the catalog will hold. */
export async function checkAndCompile(job: DeployJob): Promise<CheckedModule> {
  const checked = checkDeployment(job.name, job.bytes, job.manifest, job.taken)
  try {
    return { ...checked, module: await WebAssembly.compile(checked.bytes as Uint8Array<ArrayBuffer>) }
  } catch (e) {
    throw refusal(job.name, [`the engine does not compile it: ${(e as Error).message}`])
  }
}

/** The bytes in a view that owns its whole ArrayBuffer, so they can be transferred to another thread instead of copied. */
export function transferable(bytes: Uint8Array): Uint8Array<ArrayBuffer> {
  const whole = bytes.buffer instanceof ArrayBuffer && bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength
  return whole ? (bytes as Uint8Array<ArrayBuffer>) : bytes.slice()
}

/**
 * Runs checkAndCompile in a worker thread of its own (faaslets/deploy-worker.ts), handing it the bytes: the
 * caller's view is detached when it owns its whole buffer. The worker is terminated once it answers or dies,
 * or when it is still at work `timeLimitMs` after it started checking — the module is refused then.
 */
function checkInWorker(job: DeployJob, timeLimitMs: number): Promise<CheckedModule> {
  const bytes = transferable(job.bytes)
  const worker = startWorker('../faaslets/deploy-worker', { workerData: { ...job, bytes }, transferList: [bytes.buffer] })
  return new Promise((resolve, reject) => {
    let settled = false
    const settle = (outcome: () => void) => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      void worker.terminate().then(outcome, outcome)
    }
    const died = (why: string) => fail('E_WORKER_DIED', `the deploy check of "${job.name}"`, why)
    let timer = setTimeout(() => settle(() => reject(died(`it did not start within ${WORKER_START_LIMIT_MS} ms`))), WORKER_START_LIMIT_MS)
    worker.on('message', (msg: WorkerAnswer) => {
      if ('started' in msg) {
        clearTimeout(timer)
        const tooLong = [`checking and compiling it took longer than the deploy time limit of ${timeLimitMs} ms`]
        timer = setTimeout(() => settle(() => reject(refusal(job.name, tooLong))), timeLimitMs)
      } else if ('error' in msg) settle(() => reject(revive(msg.error)))
      else settle(() => resolve(msg.checked))
    })
    worker.on('error', (e) => settle(() => reject(died(e.message))))
    worker.on('exit', (code) => settle(() => reject(died(`it exited with code ${code}`))))
  })
}

export interface DeployedStoreOptions {
  /** how long a deploy's checks and compilation may take (DEPLOY_TIME_LIMIT_MS by default) */
  timeLimitMs?: number
}

/** Deployed modules on disk: <dir>/<name>.wasm, the manifest embedded; loaded into the catalog at start. */
export class DeployedStore {
  readonly timeLimitMs: number

  constructor(readonly dir: string | null, opts: DeployedStoreOptions = {}) {
    this.timeLimitMs = opts.timeLimitMs ?? DEPLOY_TIME_LIMIT_MS
  }

  loadInto(catalog: Catalog): void {
    if (!this.dir || !existsSync(this.dir)) return
    for (const f of readdirSync(this.dir).filter((x) => x.endsWith('.wasm')).sort()) {
      const bytes = new Uint8Array(readFileSync(join(this.dir, f)))
      const section = customSection(bytes, MANIFEST_SECTION)
      if (!section) continue
      const manifest = JSON.parse(new TextDecoder().decode(section)) as Manifest
      if (catalog.has(manifest.name) && !catalog.get(manifest.name).deployed) continue
      catalog.add({ manifest, wasmPath: join(this.dir, f), deployed: true })
    }
  }

  /**
   * Deploys the module as `name`: checked and compiled in a worker under the time limit (the bytes are
   * handed over to it), then stored and put in the catalog here. Returns its manifest and whether it
   * replaced a deployed faaslet.
   */
  async deploy(catalog: Catalog, name: string, bytes: Uint8Array, manifestJson?: unknown): Promise<{ manifest: Manifest; replaced: boolean }> {
    checkTarget(catalog, name)
    const checked = await checkInWorker({ name, bytes, manifest: manifestJson, taken: takenSlots(catalog, name) }, this.timeLimitMs)
    // the catalog may have changed while the worker ran: a shipped name, or a deploy that took the slot meanwhile
    checkTarget(catalog, name)
    const slotTaken = slotProblem(takenSlots(catalog, name), checked.manifest.slot)
    if (slotTaken) throw refusal(name, [slotTaken])
    return { manifest: checked.manifest, replaced: this.save(catalog, checked.manifest, checked.bytes, checked.module) }
  }

  /** Stores the module and puts it in the catalog, compiled already (off the main thread); returns whether it replaced one. */
  private save(catalog: Catalog, manifest: Manifest, bytes: Uint8Array, module: WebAssembly.Module): boolean {
    const replaced = catalog.has(manifest.name)
    let path = `(memory)/${manifest.name}.wasm`
    if (this.dir) {
      mkdirSync(this.dir, { recursive: true })
      path = join(this.dir, `${manifest.name}.wasm`)
      const tmp = join(this.dir, `.${manifest.name}.wasm.tmp`)
      writeFileSync(tmp, bytes)
      renameSync(tmp, path) // atomic: a crash never leaves half a module
    }
    catalog.add({ manifest, wasmPath: path, deployed: true }, module, bytes)
    return replaced
  }

  remove(catalog: Catalog, name: string): void {
    catalog.remove(name)
    if (this.dir) rmSync(join(this.dir, `${name}.wasm`), { force: true })
  }
}
