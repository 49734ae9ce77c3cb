// What crosses the chain boundary, as data a worker can act on: the input to write as the chain's input
// region and the outputs to encode. The shared executor does both in its workers (so the HTTP thread only
// moves bytes); the baselines do them on the calling thread, as a platform's gateway would.
import type { RegionKindName } from '../faaslets/abi/manifest.js'
import type { Descriptor, RegionMemory } from '../faaslets/abi/region.js'
import type { InputFormat, InputOptions, OutputFormat } from '../faaslets/codecs/boundary.js'
import type { CarriedProperties, PointArrays } from '../faaslets/codecs/points.js'

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
