// A faaslet worker (a module Web Worker): the host's own instance pool and runSegment on the page's arena.
// It gets the arena handles and the compiled modules once, then runs whole plans for invocations the page
// opened, allocating with the arena's lock-free chunk allocator; only descriptors travel back.
import { GraticuleError, revive } from '../../../errors/index.js'
import { Arena } from '../../../dataplane/arena.js'
import { openInvocation } from '../../../dataplane/invocation.js'
import { InstancePool } from '../../../dataplane/instance-pool.js'
import { isStepRef } from '../../../dataplane/plan.js'
import { runSegment } from '../../../dataplane/segment.js'
import type { Descriptor } from '../../../faaslets/abi/region.js'
import { ModuleSet } from './module-set.js'
import type { FromWorker, RunMessage, ToWorker } from './protocol.js'

const scope = self as unknown as { onmessage: ((e: MessageEvent<ToWorker>) => void) | null; postMessage(m: FromWorker): void }
let runner: InstancePool | null = null

function run(m: RunMessage): FromWorker {
  if (!runner) throw new Error('worker not initialised')
  // this worker's part of an invocation the page opened (and releases)
  const inv = openInvocation(runner.arena, { id: m.invocation })
  const known: Array<Descriptor[] | null> = m.plan.steps.map(() => null)
  const timings = runSegment(runner, inv, m.plan, m.plan.steps.map((_, i) => i), m.inputs, known)
  const outputs = m.plan.outputs.map((r) => (isStepRef(r) ? known[r.step]![r.output] : m.inputs[r.input]))
  return {
    type: 'done', job: m.job, outputs,
    timings: timings.map((t) => ({ step: t.step, ms: t.ms })), computeMs: timings.reduce((n, t) => n + t.ms, 0),
  }
}

scope.onmessage = (e) => {
  const m = e.data
  if (m.type === 'init') {
    runner = new InstancePool(new ModuleSet(m.faaslets), new Arena(m.handles))
    scope.postMessage({ type: 'ready' })
    return
  }
  try {
    scope.postMessage(run(m))
  } catch (err) {
    const error = err instanceof GraticuleError ? err : revive(err)
    scope.postMessage({ type: 'failed', job: m.job, error: error.toJSON() })
  }
}
