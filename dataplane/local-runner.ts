// LocalRunner: the instance pool (instance-pool.ts) on a fresh arena, with the faaslets of the catalog on
// disk — what `graticule exec`, the oracle tests and the benchmarks start from.
import { Catalog, type CatalogOptions } from '../faaslets/catalog.js'
import { Arena, createArenaHandles, type ArenaOptions } from './arena.js'
import { InstancePool } from './instance-pool.js'

export type { Invocation, ModuleSource } from './instance-pool.js'

export class LocalRunner extends InstancePool {
  static create(opts: CatalogOptions & Partial<ArenaOptions> = {}): LocalRunner {
    const catalog = Catalog.load(opts)
    return new LocalRunner(catalog, new Arena(createArenaHandles({ tenant: opts.tenant ?? 'local', ...opts })))
  }
}
