// Runs a chain end to end: parameters checked, input parsed once and written as the one input region,
// the plan run by the dataplane in the chosen mode, outputs encoded, the invocation released.
import type { RawParams } from '../faaslets/abi/manifest.js'
import { carriedOf, encodeOutput, prepareInput, preparedSize, writePrepared, type InputFormat, type InputOptions } from '../faaslets/codecs/boundary.js'
import type { Dataplane, InvokeResult, Mode } from '../dataplane/dataplane.js'
import { fail } from '../errors/index.js'
import { bindChain, invocationParams } from './bind.js'
import { FORMAT_MEDIA, INPUT_REGION, type Chain } from './chain.js'

export interface ChainRunOptions {
  mode?: Mode
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

export interface ChainRunResult {
  outputs: ChainRunOutput[]
  invocation: Omit<InvokeResult, 'bytes' | 'release' | 'outputs'>
}

export async function runChain(dp: Dataplane, chain: Chain, raw: RawParams, body: Uint8Array, format: InputFormat, opts: ChainRunOptions = {}): Promise<ChainRunResult> {
  const plan = bindChain(chain, raw, dp.catalog)
  const params = invocationParams(chain, raw)
  const tile = typeof params.z === 'number' || typeof params.z === 'string'
    ? { z: Number(params.z), x: Number(params.x), y: Number(params.y) }
    : undefined
  const prepared = await prepareInput(body, format, INPUT_REGION[chain.input.kind], { ...opts.input, tile: tile && Number.isInteger(tile.x) && Number.isInteger(tile.y) ? tile : undefined })
  const size = preparedSize(prepared)
  if (opts.maxPoints !== undefined && size > opts.maxPoints) throw fail('E_TOO_MANY_POINTS', size, opts.maxPoints)
  const res = await dp.invoke(opts.tenant ?? 'default', plan, (mem) => [writePrepared(mem, prepared)], { mode: opts.mode })
  try {
    const bytes = res.bytes()
    const outputs = chain.outputs.flatMap((o, i) => (opts.only && !opts.only.includes(o.name) ? [] : [{
      name: o.name, as: o.as, contentType: FORMAT_MEDIA[o.as], body: encodeOutput(bytes, res.outputs[i], o.as, { carried: carriedOf(prepared), rfc7946: opts.rfc7946 }),
    }]))
    const { bytes: _b, release: _r, outputs: _o, ...invocation } = res
    return { outputs, invocation }
  } finally {
    res.release()
  }
}
