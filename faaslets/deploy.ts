// Faaslets that users deploy: every check happens on the module's bytes before it can ever run — its
// manifest, the ABI (imports, shared memory with a maximum, no exported memory, no start function, the
// entry points), its static data inside a free slot, size and function-count limits — then it is stored
// and usable by chains at once. Deployed modules run under the same limits as shipped ones.
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { customSection, inspectWasm, withCustomSection } from './abi/inspect.js'
import { HEAP_BASE, PAGE_SIZE, STATIC_SLOT_BYTES, STATIC_SLOT_COUNT, STATIC_SLOT_FIRST } from './abi/layout.js'
import { parseParams, type Manifest } from './abi/manifest.js'
import { manifestProblems } from './abi/manifest-schema.js'
import { checkModule } from './abi/validate.js'
import type { Catalog } from './catalog.js'
import { fail, failWith } from '../errors/index.js'

export const MANIFEST_SECTION = 'graticule.manifest'
export const DEPLOY_LIMITS = { maxBytes: 4 * 1024 * 1024, maxFunctions: 10_000 }

export function freeSlots(catalog: Catalog, except?: string): number[] {
  const used = new Set(catalog.list().filter((e) => e.manifest.name !== except).map((e) => e.manifest.slot))
  const out: number[] = []
  for (let s = STATIC_SLOT_FIRST; s < STATIC_SLOT_FIRST + STATIC_SLOT_COUNT; s++) if (!used.has(s)) out.push(s)
  return out
}

/** Checks a module for deployment as `name`; returns its manifest and the bytes to store (manifest embedded). */
export function checkDeployment(catalog: Catalog, name: string, bytes: Uint8Array, manifestJson?: unknown): { manifest: Manifest; bytes: Uint8Array } {
  const refuse = (problems: string[]) => failWith('E_MODULE_REFUSED', problems, name, problems.join('; '))
  if (!/^[a-z][a-z0-9-]{0,62}$/.test(name)) throw refuse([`"${name}" is not a faaslet name: 1-63 lowercase letters, digits and dashes, starting with a letter`])
  const existing = catalog.has(name) ? catalog.get(name) : null
  if (existing && !existing.deployed) throw fail('E_FAASLET_READONLY', name, 'replaced')
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
  const free = freeSlots(catalog, name)
  if (!free.includes(m.slot)) {
    const user = catalog.list().find((e) => e.manifest.slot === m.slot && e.manifest.name !== name)
    problems.push(`static slot ${m.slot} is taken by faaslet "${user?.manifest.name}"; free slots: ${free.join(', ')} (build with a data base of slot × ${STATIC_SLOT_BYTES})`)
  }
  const base = m.slot * STATIC_SLOT_BYTES
  problems.push(...checkModule(bytes, { staticRange: [base, base + STATIC_SLOT_BYTES], ...DEPLOY_LIMITS }))
  try {
    const mem = inspectWasm(bytes).imports.find((i) => i.kind === 'memory')?.memory
    if (mem && mem.initial > HEAP_BASE / PAGE_SIZE) problems.push(`imports env.memory with ${mem.initial} initial pages; at most ${HEAP_BASE / PAGE_SIZE} (the static area) so every arena links it`)
  } catch { /* reported by checkModule */ }
  if (problems.length === 0) {
    try {
      new WebAssembly.Module(bytes as Uint8Array<ArrayBuffer>)
    } catch (e) {
      problems.push(`the engine does not compile it: ${(e as Error).message}`)
    }
  }
  if (problems.length) throw refuse(problems)
  const stored = manifestJson === undefined ? bytes : withCustomSection(bytes, MANIFEST_SECTION, new TextEncoder().encode(JSON.stringify(m)))
  return { manifest: m, bytes: stored }
}

/** Deployed modules on disk: <dir>/<name>.wasm, the manifest embedded; loaded into the catalog at start. */
export class DeployedStore {
  constructor(readonly dir: string | null) {}

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

  /** Stores the module and puts it in the catalog; returns whether it replaced one. */
  save(catalog: Catalog, manifest: Manifest, bytes: Uint8Array): boolean {
    const replaced = catalog.has(manifest.name)
    let path = `(memory)/${manifest.name}.wasm`
    if (this.dir) {
      mkdirSync(this.dir, { recursive: true })
      path = join(this.dir, `${manifest.name}.wasm`)
      const tmp = join(this.dir, `.${manifest.name}.wasm.tmp`)
      writeFileSync(tmp, bytes)
      renameSync(tmp, path) // atomic: a crash never leaves half a module
    }
    catalog.add({ manifest, wasmPath: path, deployed: true }, new WebAssembly.Module(bytes as Uint8Array<ArrayBuffer>), bytes)
    return replaced
  }

  remove(catalog: Catalog, name: string): void {
    catalog.remove(name)
    if (this.dir) rmSync(join(this.dir, `${name}.wasm`), { force: true })
  }
}
