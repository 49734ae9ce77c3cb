// The one way to run a chain: parameters checked and bound (once per distinct set: the same plan object
// is reused, so workers keep it by id), the input handed to the dataplane as it came (a body, a file or
// point columns: the worker that runs the chain parses and writes it), outputs encoded where they are
// made, the invocation released. Routes, ingestion and the CLI all come through here.
import type { RawParams } from '../faaslets/abi/manifest.js'
import type { InputFormat, InputOptions } from '../faaslets/codecs/boundary.js'
import type { PointArrays } from '../faaslets/codecs/points.js'
import type { ChainInput, Dataplane, InvokeResult, Mode } from '../dataplane/dataplane.js'
import type { Placement } from '../dataplane/shared-executor.js'
import type { Plan } from '../dataplane/plan.js'
import { bindChain, invocationParams } from './bind.js'
import { FORMAT_MEDIA, INPUT_REGION, type Chain } from './chain.js'

export interface ChainRunOptions {
  mode?: Mode
  placement?: Placement
  tenant?: string
  /** most points/features one request may carry */
  maxPoints?: number
  /** encode only these outputs (by name; default all): an HTTP response carries one */
  only?: string[]
  /** how to read the body beyond its format (declared CRS, what non-points become, CSV delimiter) */
  input?: Omit<InputOptions, 'tile'>
  /** strict RFC 7946 GeoJSON out */
  rfc7946?: boolean
}

export interface ChainRunOutput {
  name: string
  as: string
  contentType: string
  body: Uint8Array
}

export type InvocationStats = Omit<InvokeResult, 'bytes' | 'release' | 'outputs' | 'encoded'>

export interface ChainRunResult {
  outputs: ChainRunOutput[]
  invocation: InvocationStats
}

/** What a chain runs on: bytes of a format, or point columns (a live window's). */
export type ChainRunInput = { body: Uint8Array; format: InputFormat } | { points: PointArrays }

const BOUND_KEPT = 256
const bound = new WeakMap<Chain, Map<string, Plan>>()

/** The plan of `chain` for these parameters: bound once per distinct set and reused (bounded per chain). */
export function planFor(dp: Dataplane, chain: Chain, raw: RawParams): Plan {
  let plans = bound.get(chain)
  if (!plans) bound.set(chain, (plans = new Map()))
  const key = JSON.stringify(Object.entries(raw).sort(([a], [b]) => (a < b ? -1 : 1)))
  let plan = plans.get(key)
  if (!plan) {
    plan = bindChain(chain, raw, dp.catalog)
    plans.set(key, plan)
    if (plans.size > BOUND_KEPT) plans.delete(plans.keys().next().value!)
  }
  return plan
}

/** Told of every invocation that completed (the gateway's metrics). */
export type InvocationObserver = (chain: Chain, plan: Plan, stats: InvocationStats) => void

/** Runs chains on one dataplane, reporting every completed invocation to `observe`. */
export class ChainRunner {
  constructor(readonly dataplane: Dataplane, private readonly observe?: InvocationObserver) {}

  async run(chain: Chain, raw: RawParams, input: ChainRunInput, opts: ChainRunOptions = {}): Promise<ChainRunResult> {
    const plan = planFor(this.dataplane, chain, raw)
    const res = await runPlan(this.dataplane, chain, plan, raw, input, opts)
    this.observe?.(chain, plan, res.invocation)
    return res
  }
}

export function runChain(dp: Dataplane, chain: Chain, raw: RawParams, input: ChainRunInput, opts: ChainRunOptions = {}): Promise<ChainRunResult> {
  return runPlan(dp, chain, planFor(dp, chain, raw), raw, input, opts)
}

/** Runs `chain` bound as `plan` (planFor of the same parameters). */
async function runPlan(dp: Dataplane, chain: Chain, plan: Plan, raw: RawParams, input: ChainRunInput, opts: ChainRunOptions): Promise<ChainRunResult> {
  const wanted = chain.outputs.flatMap((o, i) => (opts.only && !opts.only.includes(o.name) ? [] : [{ o, i }]))
  let chainInput: ChainInput
  if ('points' in input) chainInput = { points: input.points }
  else {
    // a body must reach the worker without a copy per attempt: it goes on shared memory once (the gateway's
    // invocation bodies arrive there already)
    let body = input.body
    if (!(body.buffer instanceof SharedArrayBuffer)) {
      body = new Uint8Array(new SharedArrayBuffer(input.body.byteLength))
      body.set(input.body)
    }
    chainInput = { body, format: input.format, region: INPUT_REGION[chain.input.kind], options: { ...opts.input, tile: tileOf(chain, raw) }, maxPoints: opts.maxPoints }
  }
  const res = await dp.invoke(opts.tenant ?? 'default', plan, chainInput, {
    mode: opts.mode, placement: opts.placement, encode: wanted.map(({ o, i }) => ({ output: i, as: o.as, rfc7946: opts.rfc7946 })),
  })
  res.release()
  const { bytes: _b, release: _r, outputs: _o, encoded, ...invocation } = res
  return { outputs: wanted.map(({ o }, k) => ({ name: o.name, as: o.as, contentType: FORMAT_MEDIA[o.as], body: encoded[k] })), invocation }
}

/** The tile an MVT body is, from the chain's z/x/y parameters (when it has them). */
function tileOf(chain: Chain, raw: RawParams): { z: number; x: number; y: number } | undefined {
  if (chain.input.kind !== 'tile') return undefined
  const p = invocationParams(chain, raw)
  const tile = { z: Number(p.z), x: Number(p.x), y: Number(p.y) }
  return Number.isInteger(tile.z) && Number.isInteger(tile.x) && Number.isInteger(tile.y) ? tile : undefined
}
