// A chain plus one invocation's parameters → the plan the dataplane runs. Invocation parameters are
// checked against the chain's input declaration, then every step's `with` is resolved and packed by the
// faaslet's own manifest (faaslets/abi/manifest.ts): one parser for CLI, HTTP and YAML alike.
import { parseParam, parseParams, type Manifest, type RawParams } from '../faaslets/abi/manifest.js'
import type { Plan, PlanRef } from '../dataplane/plan.js'
import { fail } from '../errors/index.js'
import type { Chain } from './chain.js'
import type { ManifestSource } from './load.js'

/** Checks invocation parameters against the chain's inputs; returns them with defaults applied. */
export function invocationParams(chain: Chain, raw: RawParams): RawParams {
  const known = chain.input.params.map((p) => p.name)
  for (const name of Object.keys(raw)) {
    if (!known.includes(name)) throw fail('E_UNKNOWN_PARAM', name, `chain ${chain.name}`, known.join(', ') || 'none')
  }
  const asManifest = { name: `chain ${chain.name}` } as Manifest
  const out: RawParams = {}
  for (const p of chain.input.params) {
    const v = raw[p.name] ?? p.default
    if (v === undefined) throw fail('E_MISSING_PARAM', p.name, `chain ${chain.name}`)
    parseParam(asManifest, p, v) // throws E_BAD_PARAM with the reason
    out[p.name] = v
  }
  return out
}

export function bindChain(chain: Chain, raw: RawParams, faaslets: ManifestSource): Plan {
  const params = invocationParams(chain, raw)
  const index = new Map(chain.steps.map((s, i) => [s.id, i]))
  const ref = (r: { input: true } | { step: string; output: number }): PlanRef => ('input' in r ? { input: 0 } : { step: index.get(r.step)!, output: r.output })
  return {
    name: chain.name,
    inputCount: 1,
    steps: chain.steps.map((s) => {
      const values: RawParams = {}
      for (const [k, v] of Object.entries(s.with)) values[k] = 'ref' in v ? params[v.ref] : v.literal
      return { id: s.id, faaslet: s.faaslet, params: Array.from(parseParams(faaslets.manifest(s.faaslet), values)), inputs: s.inputs.map(ref) }
    }),
    outputs: chain.outputs.map((o) => ({ step: index.get(o.step)!, output: o.output })),
  }
}
