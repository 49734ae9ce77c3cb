// The faaslets graticule knows: manifests from faaslets/manifests (and, for tests, tests/faaslets) with
// their built modules from faaslets/build. Modules are compiled once per process and cached.
import { createHash } from 'node:crypto'
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Manifest } from './abi/manifest.js'
import { fail } from '../errors/index.js'

/** The repository root, from source (tsx, vitest) or from dist/. */
export const ROOT = (() => {
  let dir = dirname(fileURLToPath(import.meta.url))
  while (!existsSync(join(dir, 'package.json'))) {
    const up = dirname(dir)
    if (up === dir) throw new Error(`no package.json above ${fileURLToPath(import.meta.url)}`)
    dir = up
  }
  return dir
})()

export interface CatalogEntry {
  manifest: Manifest
  wasmPath: string
  /** true for modules deployed by users at run time */
  deployed?: boolean
}

export interface CatalogOptions {
  /** include the test faaslets (trap, loop, hog, …) */
  includeTest?: boolean
}

export class Catalog {
  private readonly entries = new Map<string, CatalogEntry>()
  /** bumped by every add and remove: a worker that saw an older generation refreshes what it holds */
  generation = 0
  private readonly modules = new Map<string, WebAssembly.Module>()
  private readonly keys = new Map<string, string>()
  /** bytes of modules that live only in memory (deployed without a store) */
  private readonly bytes = new Map<string, Uint8Array<ArrayBuffer>>()

  static load(opts: CatalogOptions = {}): Catalog {
    const c = new Catalog()
    c.addDir(join(ROOT, 'faaslets/manifests'), join(ROOT, 'faaslets/build'))
    if (opts.includeTest) c.addDir(join(ROOT, 'tests/faaslets'), join(ROOT, 'faaslets/build/test'))
    return c
  }

  private addDir(manifestDir: string, buildDir: string): void {
    if (!existsSync(manifestDir)) return
    for (const f of readdirSync(manifestDir).filter((f) => f.endsWith('.json')).sort()) {
      const manifest = JSON.parse(readFileSync(join(manifestDir, f), 'utf8')) as Manifest
      this.entries.set(manifest.name, { manifest, wasmPath: join(buildDir, `${manifest.name}.wasm`) })
    }
  }

  add(entry: CatalogEntry, module?: WebAssembly.Module, bytes?: Uint8Array): void {
    this.generation++
    this.entries.set(entry.manifest.name, entry)
    this.modules.delete(entry.manifest.name)
    this.keys.delete(entry.manifest.name)
    this.bytes.delete(entry.manifest.name)
    if (module) this.modules.set(entry.manifest.name, module)
    if (bytes) this.bytes.set(entry.manifest.name, new Uint8Array(bytes))
  }

  remove(name: string): boolean {
    this.generation++
    this.modules.delete(name)
    this.keys.delete(name)
    this.bytes.delete(name)
    return this.entries.delete(name)
  }

  names(): string[] {
    return [...this.entries.keys()].sort()
  }

  list(): CatalogEntry[] {
    return this.names().map((n) => this.entries.get(n)!)
  }

  has(name: string): boolean {
    return this.entries.has(name)
  }

  /** Accepts `name` or `name@version` (the version must match the manifest's). */
  get(ref: string): CatalogEntry {
    const [name, version] = ref.split('@')
    const e = this.entries.get(name)
    if (!e) throw fail('E_UNKNOWN_FAASLET', ref, this.names().join(', '))
    if (version && version !== e.manifest.version) throw fail('E_UNKNOWN_FAASLET', ref, `${name}@${e.manifest.version}`)
    return e
  }

  manifest(ref: string): Manifest {
    return this.get(ref).manifest
  }

  wasmBytes(ref: string): Uint8Array<ArrayBuffer> {
    const e = this.get(ref)
    const held = this.bytes.get(e.manifest.name)
    if (held) return held
    if (!existsSync(e.wasmPath)) throw new Error(`${e.wasmPath} is missing: run \`npm run build\``)
    return new Uint8Array(readFileSync(e.wasmPath))
  }

  /** Identifies the module's bytes: workers holding an older compile of the same name refresh it. */
  key(ref: string): string {
    const name = this.get(ref).manifest.name
    let k = this.keys.get(name)
    if (!k) {
      k = createHash('sha256').update(this.wasmBytes(name)).digest('hex').slice(0, 16)
      this.keys.set(name, k)
    }
    return k
  }

  module(ref: string): WebAssembly.Module {
    const name = this.get(ref).manifest.name
    let m = this.modules.get(name)
    if (!m) {
      m = new WebAssembly.Module(this.wasmBytes(name))
      this.modules.set(name, m)
    }
    return m
  }
}
