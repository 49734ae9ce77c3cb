// Where a worker's entry file is: next to this file as .js when running compiled (dist/), or as .ts with
// the tsx loader when running from source (vitest, tsx). Workers inherit nothing else.
import { Worker, type WorkerOptions } from 'node:worker_threads'
import { fileURLToPath, pathToFileURL } from 'node:url'

export interface WorkerEntry {
  filename: string
  execArgv: string[]
}

export function workerEntry(name: string): WorkerEntry {
  const here = import.meta.url
  if (here.endsWith('.ts')) {
    return { filename: fileURLToPath(new URL(`./${name}.ts`, here)), execArgv: ['--import', import.meta.resolve('tsx')] } // by location: any working directory
  }
  return { filename: fileURLToPath(new URL(`./${name}.js`, here)), execArgv: [] }
}

/**
 * A worker_threads Worker running `name`. From source, the entry is a .ts file, which Node refuses as a
 * worker's main script even with the tsx loader registered; a one-line eval script imports it instead.
 */
export function startWorker(name: string, opts: WorkerOptions = {}): Worker {
  const entry = workerEntry(name)
  if (entry.execArgv.length === 0) return new Worker(entry.filename, opts)
  // tsx's ESM API, resolved as an import (require.resolve would give the CommonJS one)
  const tsxApi = import.meta.resolve('tsx/esm/api')
  const target = pathToFileURL(entry.filename).href
  const code = `import(${JSON.stringify(tsxApi)}).then((t) => { t.register(); return import(${JSON.stringify(target)}) })`
  return new Worker(code, { ...opts, eval: true })
}
