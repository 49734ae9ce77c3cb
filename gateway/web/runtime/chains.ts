// Shipped chains on the page: validated by the gateway (GET /web/chains/<name>.json), bound to a plan by
// the host's own bindChain (same parameter parsing as the CLI, HTTP and YAML), run on the page's dataplane.
import { bindChain } from '../../../chains/bind.js'
import type { Chain } from '../../../chains/chain.js'
import type { RawParams } from '../../../faaslets/abi/manifest.js'
import type { Descriptor, RegionMemory } from '../../../faaslets/abi/region.js'
import type { BrowserDataplane, BrowserResult } from './browser-dataplane.js'

export interface ChainRun extends BrowserResult {
  chain: Chain
  /** the output region called `name` in the chain's `output:` list */
  output(name: string): Descriptor
}

export class BrowserChains {
  private readonly chains = new Map<string, Promise<Chain>>()

  constructor(readonly dataplane: BrowserDataplane) {}

  chain(name: string): Promise<Chain> {
    let c = this.chains.get(name)
    if (!c) {
      c = fetch(`/web/chains/${encodeURIComponent(name)}.json`).then(async (r) => {
        if (!r.ok) throw new Error(`chain ${name}: ${r.status} ${await r.text()}`)
        return (await r.json()) as Chain
      })
      c.catch(() => this.chains.delete(name))
      this.chains.set(name, c)
    }
    return c
  }

  async run(name: string, params: RawParams, write: (mem: RegionMemory) => Descriptor[]): Promise<ChainRun> {
    const chain = await this.chain(name)
    const plan = bindChain(chain, params, this.dataplane.modules)
    const res = await this.dataplane.invoke(plan, write)
    return {
      ...res, chain,
      output(n: string): Descriptor {
        const i = chain.outputs.findIndex((o) => o.name === n)
        if (i < 0) throw new Error(`chain ${chain.name} has no output ${n}`)
        return res.outputs[i]
      },
    }
  }
}
