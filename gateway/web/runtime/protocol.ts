// Messages between the page and its faaslet workers. Only descriptors and plans cross: the regions stay
// in the arena, a WebAssembly.Memory({shared: true}) both sides see.
import type { ErrorData } from '../../../errors/index.js'
import type { ArenaHandles } from '../../../dataplane/arena.js'
import type { Plan } from '../../../dataplane/plan.js'
import type { Descriptor } from '../../../faaslets/abi/region.js'
import type { FaasletEntry } from './module-set.js'

/** page → worker, once: the arena and the modules, compiled on the page (instantiation then takes < 1 ms) */
export interface InitMessage { type: 'init'; handles: ArenaHandles; faaslets: FaasletEntry[] }

/** page → worker: run every step of `plan` for invocation `invocation` on input regions already in the arena */
export interface RunMessage { type: 'run'; job: number; invocation: number; plan: Plan; inputs: Descriptor[] }

export type ToWorker = InitMessage | RunMessage

export interface StepTime { step: number; ms: number }

export type FromWorker =
  | { type: 'ready' }
  | { type: 'done'; job: number; outputs: Descriptor[]; timings: StepTime[]; computeMs: number }
  | { type: 'failed'; job: number; error: ErrorData }
