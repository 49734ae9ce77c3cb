// The faaslets the page can run: manifests from GET /faaslets, modules compiled from /wasm/<name>.wasm —
// the very files the server runs. Serves the host's two lookups: InstancePool's ModuleSource (in the
// workers) and bindChain's ManifestSource (on the page). Refs may carry a version, as in Catalog.get.
import type { Manifest } from '../../../faaslets/abi/manifest.js'
import type { ManifestSource } from '../../../chains/load.js'
import type { ModuleSource } from '../../../dataplane/instance-pool.js'
import { fail } from '../../../errors/index.js'

export interface FaasletEntry { manifest: Manifest; module: WebAssembly.Module }

export class ModuleSet implements ModuleSource, ManifestSource {
  private readonly byName: Map<string, FaasletEntry>

  constructor(readonly entries: FaasletEntry[]) {
    this.byName = new Map(entries.map((e) => [e.manifest.name, e]))
  }

  /** Fetches the manifests and compiles every shipped module (streaming, off the main thread). */
  static async load(): Promise<ModuleSet> {
    const res = await fetch('/faaslets')
    if (!res.ok) throw new Error(`GET /faaslets: ${res.status}`)
    const manifests = ((await res.json()) as Array<Manifest & { deployed?: boolean }>).filter((m) => !m.deployed)
    const entries = await Promise.all(manifests.map(async ({ deployed: _, ...manifest }) => ({
      manifest, module: await WebAssembly.compileStreaming(fetch(`/wasm/${manifest.name}.wasm`)),
    })))
    return new ModuleSet(entries)
  }

  names(): string[] { return [...this.byName.keys()].sort() }
  has(name: string): boolean { return this.byName.has(name) }
  manifest(ref: string): Manifest { return this.get(ref).manifest }
  module(ref: string): WebAssembly.Module { return this.get(ref).module }

  private get(ref: string): FaasletEntry {
    const [name, version] = ref.split('@')
    const e = this.byName.get(name)
    if (!e) throw fail('E_UNKNOWN_FAASLET', ref, this.names().join(', '))
    if (version && version !== e.manifest.version) throw fail('E_UNKNOWN_FAASLET', ref, `${name}@${e.manifest.version}`)
    return e
  }
}
