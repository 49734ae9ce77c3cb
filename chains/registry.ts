// The chains graticule can run: the ones shipped in chains/*.yaml (read-only) and the ones users PUT,
// stored one file each in a data folder. Names are checked before they touch a path, so no name can
// leave its folder.
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { ROOT } from '../faaslets/catalog.js'
import { fail, failWith } from '../errors/index.js'
import type { Chain } from './chain.js'
import { formatDiagnostic } from './diagnostics.js'
import { loadChain, type ManifestSource } from './load.js'

export const SHIPPED_DIR = join(ROOT, 'chains')
const NAME = /^[a-z0-9][a-z0-9-]{0,62}$/

export function checkChainName(name: string): void {
  if (!NAME.test(name)) throw fail('E_CHAIN_NAME', name)
}

export class ChainRegistry {
  private readonly chains = new Map<string, { chain: Chain; shipped: boolean }>()

  /** `userDir`: where PUT chains are kept (created on first write); null keeps them in memory only. */
  constructor(private readonly faaslets: ManifestSource, private readonly userDir: string | null = null) {
    this.loadDir(SHIPPED_DIR, true)
    if (userDir && existsSync(userDir)) this.loadDir(userDir, false)
  }

  private loadDir(dir: string, shipped: boolean): void {
    for (const f of readdirSync(dir).filter((f) => f.endsWith('.yaml')).sort()) {
      const file = join(dir, f)
      const { chain, diagnostics } = loadChain(readFileSync(file, 'utf8'), shipped ? `chains/${f}` : file, this.faaslets)
      if (!chain) {
        // a shipped chain that does not validate is a bug; a stored user chain may predate a faaslet change
        if (shipped) throw new Error(diagnostics.map(formatDiagnostic).join('\n'))
        continue
      }
      this.chains.set(chain.name, { chain, shipped })
    }
  }

  names(): string[] {
    return [...this.chains.keys()].sort()
  }

  list(): Array<{ chain: Chain; shipped: boolean }> {
    return this.names().map((n) => this.chains.get(n)!)
  }

  get(name: string): Chain {
    const c = this.chains.get(name)
    if (!c) throw fail('E_UNKNOWN_CHAIN', name, this.names().join(', '))
    return c.chain
  }

  has(name: string): boolean {
    return this.chains.has(name)
  }

  isShipped(name: string): boolean {
    return this.chains.get(name)?.shipped ?? false
  }

  /** Validates and stores a chain under `name` (its YAML `name` must agree). Returns whether it is new. */
  put(name: string, text: string): { chain: Chain; created: boolean } {
    const chain = this.validate(name, text)
    const created = !this.chains.has(name)
    if (this.userDir) {
      mkdirSync(this.userDir, { recursive: true })
      const tmp = join(this.userDir, `.${name}.yaml.tmp`)
      writeFileSync(tmp, text)
      renameSync(tmp, join(this.userDir, `${name}.yaml`)) // atomic: a crash never leaves half a chain
    }
    this.chains.set(name, { chain, shipped: false })
    return { chain, created }
  }

  /** What put checks, without storing: the chain `text` would be as `name`, or the error put would throw. */
  validate(name: string, text: string): Chain {
    checkChainName(name)
    if (this.isShipped(name)) throw fail('E_CHAIN_READONLY', name, 'replaced')
    const { chain, diagnostics } = loadChain(text, `${name}.yaml`, this.faaslets)
    if (!chain) throw failWith('E_CHAIN_INVALID', diagnostics, `${name}.yaml`, `${diagnostics.length} problem${diagnostics.length === 1 ? '' : 's'}\n${diagnostics.map(formatDiagnostic).join('\n')}`)
    if (chain.name !== name) {
      const d = { code: 'E_CHAIN_SCHEMA', message: `the file names the chain "${chain.name}" but it is stored as "${name}"`, file: `${name}.yaml`, line: 1, col: 1, length: 1, source: text.split('\n')[0] ?? '' }
      throw failWith('E_CHAIN_INVALID', [d], `${name}.yaml`, d.message)
    }
    return chain
  }

  delete(name: string): void {
    checkChainName(name)
    if (!this.chains.has(name)) throw fail('E_UNKNOWN_CHAIN', name, this.names().join(', '))
    if (this.isShipped(name)) throw fail('E_CHAIN_READONLY', name, 'deleted')
    this.chains.delete(name)
    if (this.userDir) rmSync(join(this.userDir, `${name}.yaml`), { force: true })
  }
}
