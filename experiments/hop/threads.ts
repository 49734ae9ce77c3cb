// Starting the benchmarks' own worker threads from source (.ts, through tsx) or from dist/ (.js), and a
// clock every thread of the process shares: process.hrtime is CLOCK_MONOTONIC, the same in all threads,
// while performance.now() counts from each thread's own start.
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { Worker, type WorkerOptions } from 'node:worker_threads'

/** Microseconds on the process-wide monotonic clock (comparable across threads). */
export function nowUs(): number {
  return Number(process.hrtime.bigint()) / 1000
}

/** A sibling module's path: `name`.ts from source, `name`.js from dist/ (and the loader it needs). */
export function sibling(base: string, name: string): { filename: string; execArgv: string[] } {
  const fromSource = base.endsWith('.ts')
  const filename = fileURLToPath(new URL(`./${name}${fromSource ? '.ts' : '.js'}`, base))
  return { filename, execArgv: fromSource ? ['--import', 'tsx'] : [] }
}

/**
 * A Worker running `filename`. Node refuses a .ts file as a worker's main script even with tsx
 * registered, so from source a one-line eval script registers tsx and imports it (as dataplane/worker-entry.ts).
 */
export function startWorker(filename: string, opts: WorkerOptions = {}): Worker {
  if (!filename.endsWith('.ts')) return new Worker(filename, opts)
  const tsxDir = dirname(createRequire(import.meta.url).resolve('tsx/package.json'))
  const tsxApi = pathToFileURL(join(tsxDir, 'dist/esm/api/index.mjs')).href
  const code = `import(${JSON.stringify(tsxApi)}).then((t) => { t.register(); return import(${JSON.stringify(pathToFileURL(filename).href)}) })`
  return new Worker(code, { ...opts, eval: true })
}

/** Resolves with the first message of `worker` that satisfies `match`. */
export function nextMessage<T>(worker: Worker, match: (m: T) => boolean = () => true): Promise<T> {
  return new Promise((resolve, reject) => {
    const onMessage = (m: T) => {
      if (!match(m)) return
      worker.off('message', onMessage)
      worker.off('error', onError)
      resolve(m)
    }
    const onError = (e: Error) => {
      worker.off('message', onMessage)
      reject(e)
    }
    worker.on('message', onMessage)
    worker.once('error', onError)
  })
}
