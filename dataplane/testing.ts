// Test hooks, kept out of the public API (index.ts, DataplaneOptions, InvokeOptions): a dataplane that
// also loads the test faaslets (trap, loop, hog, hostile, …), and an invocation whose worker exits.
import { Catalog } from '../faaslets/catalog.js'
import { Dataplane, type DataplaneOptions, type InputWriter, type InvokeOptions, type InvokeResult } from './dataplane.js'
import { CRASH_WORKER } from './executor.js'
import type { Plan } from './plan.js'

export function startWithTestFaaslets(opts: Omit<DataplaneOptions, 'catalog'> = {}): Promise<Dataplane> {
  return Dataplane.start({ ...opts, catalog: Catalog.load({ includeTest: true }) })
}

/** Invokes `plan` in shared mode with the worker that picks it up exiting mid-task (E_WORKER_DIED). */
export function invokeCrashingWorker(dp: Dataplane, tenant: string, plan: Plan, write: InputWriter, opts: InvokeOptions = {}): Promise<InvokeResult> {
  return dp.invoke(tenant, plan, write, { ...opts, [CRASH_WORKER]: true })
}
