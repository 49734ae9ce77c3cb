// The one interface every executor implements (shared, copy, http), and what an invocation returns.
// Dataplane.invoke checks the tenant and its limits, then hands the plan to the executor of the mode.
import type { Descriptor } from '../faaslets/abi/region.js'
import { encodeOutput } from '../faaslets/codecs/boundary.js'
import { prepareChainInput, type ChainInput, type InputWriter, type OutputEncoding } from './boundary-task.js'
import type { CopyCounter } from './copy-counter.js'
import type { Mode } from './modes.js'
import type { Plan } from './plan.js'
import type { StepTiming } from './segment.js'
import type { Placement } from './shared-executor.js'
import type { Tenant } from './tenant.js'

export interface ExecuteOptions {
  placement?: Placement
  /** outputs to encode (in shared mode by the worker that makes them); the result's `encoded` */
  encode?: OutputEncoding[]
  /** fault injection (dataplane/testing.ts; not in the public API): the worker running the chain exits */
  [CRASH_WORKER]?: boolean
}

/** The key of the fault-injection option: only dataplane/testing.ts and the executors import it. */
export const CRASH_WORKER = Symbol('graticule: crash the worker (tests)')

export interface InvokeResult {
  mode: Mode
  invocation: number
  /** the plan's outputs, valid in bytes() until release() */
  outputs: Descriptor[]
  /** the encodings asked for in ExecuteOptions.encode, in order */
  encoded: Uint8Array[]
  /** points or features the chain input held (when it was a body or columns) */
  inputSize?: number
  bytes(): Uint8Array
  timings: StepTiming[]
  /** wall time of the run, input written to outputs ready (ms) */
  totalMs: number
  /** sum of the steps' own compute (ms) */
  computeMs: number
  copied: CopyCounter
  /** instances created for this invocation (0 when warm) */
  instantiations: number
  threads: number[]
  /** frees the invocation's memory; idempotent */
  release(): void
}

export interface Executor {
  readonly mode: Mode
  invoke(tenant: Tenant, plan: Plan, input: ChainInput, opts: ExecuteOptions): Promise<InvokeResult>
  close(): Promise<void>
}

/** What the baselines' run() returns: outputs in a scratch memory of the calling thread. */
export type ScratchRun = Pick<InvokeResult, 'outputs' | 'bytes' | 'timings' | 'totalMs' | 'computeMs' | 'copied' | 'instantiations'>

/**
 * The baselines' boundary: the input parsed and written, and the outputs encoded, on the calling thread —
 * where a gateway in front of such a platform does it.
 */
export async function invokeOnScratch(
  mode: Exclude<Mode, 'shared'>, run: (plan: Plan, write: InputWriter) => Promise<ScratchRun>, plan: Plan, input: ChainInput, opts: ExecuteOptions,
): Promise<InvokeResult> {
  let write: InputWriter
  let inputSize: number | undefined
  let carried: OutputEncoding['carried']
  if ('write' in input) write = input.write
  else {
    const p = await prepareChainInput(input)
    inputSize = p.size
    carried = p.carried
    write = (mem) => [p.write(mem)]
  }
  const res = await run(plan, write)
  const encoded = (opts.encode ?? []).map((e) => encodeOutput(res.bytes(), res.outputs[e.output], e.as, { carried: e.carried ?? carried, rfc7946: e.rfc7946 }))
  return { ...res, mode, invocation: 0, encoded, inputSize, threads: [], release: () => {} }
}
