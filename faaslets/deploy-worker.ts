// The deploy worker: one module's checks and compilation, off the gateway's main thread. faaslets/deploy.ts
// starts one per deploy, hands it the bytes and terminates it once it answers, or at the time limit.
import { parentPort, workerData } from 'node:worker_threads'
import { checkAndCompile, transferable, type DeployJob, type WorkerAnswer } from './deploy.js'
import { revive } from '../errors/index.js'

const answer = (a: WorkerAnswer, transfer: ArrayBuffer[] = []) => parentPort!.postMessage(a, transfer)

answer({ started: true }) // the time limit counts from here, not from the worker's start-up
try {
  const checked = await checkAndCompile(workerData as DeployJob)
  const bytes = transferable(checked.bytes)
  answer({ checked: { ...checked, bytes } }, [bytes.buffer])
} catch (e) {
  answer({ error: revive(e).toJSON() })
}
