// Compiles every faaslet (faaslets/manifests/*.json → faaslets/assembly/<name>.ts) and the test faaslets
// (tests/faaslets/) to faaslets/build/, with the flags the ABI requires, and checks each binary against
// the ABI before anything may load it. Deterministic: same sources, same bytes. Run by `npm install`.
import asc from 'assemblyscript/asc'
import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { STATIC_SLOT_BYTES, STATIC_SLOT_COUNT, STATIC_SLOT_FIRST, PAGE_SIZE } from './abi/layout.js'
import type { Manifest } from './abi/manifest.js'
import { checkModule } from './abi/validate.js'

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const STACK_BYTES = 16384

/** `foreign`: written in another language and built by its own toolchain (faaslets/c/build.ts) */
interface Target { manifest: Manifest; source: string; out: string; foreign: boolean }

function targets(): Target[] {
  const list: Target[] = []
  const dirs = [
    { manifests: 'faaslets/manifests', sources: 'faaslets/assembly', out: 'faaslets/build' },
    { manifests: 'tests/faaslets', sources: 'tests/faaslets', out: 'faaslets/build/test' },
  ]
  for (const d of dirs) {
    let files: string[] = []
    try {
      files = readdirSync(join(root, d.manifests)).filter((f) => f.endsWith('.json')).sort()
    } catch {
      continue
    }
    for (const f of files) {
      const manifest = JSON.parse(readFileSync(join(root, d.manifests, f), 'utf8')) as Manifest
      const foreign = existsSync(join(root, 'faaslets/c', manifest.name))
      list.push({ manifest, source: join(d.sources, `${manifest.name}.ts`), out: join(d.out, `${manifest.name}.wasm`), foreign })
    }
  }
  return list
}

async function compile(t: Target): Promise<void> {
  const { slot } = t.manifest
  if (!(slot >= STATIC_SLOT_FIRST && slot < STATIC_SLOT_FIRST + STATIC_SLOT_COUNT)) throw new Error(`${t.manifest.name}: slot ${slot} outside 1..${STATIC_SLOT_COUNT}`)
  const base = slot * STATIC_SLOT_BYTES
  const args = [
    t.source, '-o', t.out,
    '--importMemory', '--sharedMemory', '--noExportMemory',
    '--initialMemory', String(((slot + 1) * STATIC_SLOT_BYTES) / PAGE_SIZE), '--maximumMemory', '65536',
    '--enable', 'threads', '--enable', 'simd',
    '--runtime', './faaslets/assembly/rt/graticule',
    '--use', 'abort=faaslets/assembly/rt/graticule/graticuleAbort',
    '--memoryBase', String(base), '--stackSize', String(STACK_BYTES),
    '-O3', '--noColors',
  ]
  let log = ''
  const sink = { write: (s: string | Uint8Array) => { log += String(s); return true } }
  const { error } = await asc.main(args, { stdout: sink, stderr: sink })
  if (error) throw new Error(`${t.manifest.name}: asc failed\n${log}`)
  const problems = checkModule(readFileSync(join(root, t.out)), { staticRange: [base, base + STATIC_SLOT_BYTES - STACK_BYTES] })
  if (problems.length) throw new Error(`${t.manifest.name}: violates the ABI:\n  ${problems.join('\n  ')}`)
}

process.chdir(root)
mkdirSync('faaslets/build/test', { recursive: true })
const all = targets()
const slots = new Map<number, string>()
for (const t of all) {
  const other = slots.get(t.manifest.slot)
  if (other) throw new Error(`${t.manifest.name} and ${other} both claim static slot ${t.manifest.slot}`)
  slots.set(t.manifest.slot, t.manifest.name)
}
// `tsx faaslets/build.ts heatmap cluster` rebuilds only those (while developing one faaslet)
const only = process.argv.slice(2)
// C faaslets keep their slot in the check above but are compiled by faaslets/c/build.ts
const chosen = (only.length ? all.filter((t) => only.includes(t.manifest.name)) : all).filter((t) => !t.foreign)
const started = Date.now()
for (const t of chosen) await compile(t)
console.log(`faaslets: built ${chosen.map((t) => t.manifest.name).join(', ')} in ${Date.now() - started} ms`)
