// What crosses the chain boundary, as data a worker can act on: the input to write as the chain's input
// region (and the one way it is parsed and written) and the outputs to encode. The shared executor does both in its workers (so the HTTP thread only
// moves bytes); the baselines do them on the calling thread, as a platform's gateway would.
import type { RegionKindName } from '../faaslets/abi/manifest.js'
import type { Descriptor, RegionMemory } from '../faaslets/abi/region.js'
import { carriedOf, prepareInput, preparedSize, writePrepared, type InputFormat, type InputOptions, type OutputFormat } from '../faaslets/codecs/boundary.js'
import { writePoints, type CarriedProperties, type PointArrays } from '../faaslets/codecs/points.js'
import { fail } from '../errors/index.js'

/** Writes the chain's input regions; called with memory of the invocation on the calling thread. */
export type InputWriter = (mem: RegionMemory) => Descriptor[]

export type ChainInput =
  /** regions written by the caller, on its thread (tests, benchmarks, the baselines' own inputs) */
  | { write: InputWriter }
  /** a request body or file: parsed and written by the worker that runs the chain */
  | { body: Uint8Array; format: InputFormat; region: RegionKindName; options?: InputOptions; maxPoints?: number }
  /** point columns (a live window's, on SharedArrayBuffers: nothing is cloned): written by the worker */
  | { points: PointArrays }

/** One plan output to encode, as the chain declares it. */
export interface OutputEncoding {
  /** index into plan.outputs */
  output: number
  as: OutputFormat
  rfc7946?: boolean
  carried?: CarriedProperties
}

/** A body or columns made ready to write: parsed (and checked against maxPoints) once, written on demand. */
export interface PreparedChainInput {
  write(mem: RegionMemory): Descriptor
  /** points or features it holds */
  size: number
  /** what the conversion to points carried beside the region (for encoding points outputs) */
  carried?: CarriedProperties
}

export async function prepareChainInput(input: Exclude<ChainInput, { write: unknown }>): Promise<PreparedChainInput> {
  if ('points' in input) return { write: (mem) => writePoints(mem, input.points), size: input.points.x.length }
  // a body may arrive on a SharedArrayBuffer (so a resent task still has it); decoders want private bytes
  const body = input.body.buffer instanceof SharedArrayBuffer ? input.body.slice() : input.body
  const prepared = await prepareInput(body, input.format, input.region, input.options)
  const size = preparedSize(prepared)
  if (input.maxPoints !== undefined && size > input.maxPoints) throw fail('E_TOO_MANY_POINTS', size, input.maxPoints)
  return { write: (mem) => writePrepared(mem, prepared), size, carried: carriedOf(prepared) }
}
