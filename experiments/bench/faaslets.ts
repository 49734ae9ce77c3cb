// The faaslet micro-benchmarks (experiments/faaslets/*.bench.ts, as bench-faaslets.ts runs them): every
// faaslet against the best JS library doing the same job. Found by file name, so new ones join in.
import { readdirSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import type { BenchRow } from '../faaslets/types.js'

export function faasletBenches(): string[] {
  const dir = join(dirname(fileURLToPath(import.meta.url)), '..', 'faaslets')
  const ext = import.meta.url.endsWith('.ts') ? '.bench.ts' : '.bench.js'
  return readdirSync(dir).filter((f) => f.endsWith(ext)).sort().map((f) => join(dir, f))
}

export async function runFaasletBench(file: string, sizes: number[]): Promise<BenchRow[]> {
  const mod = (await import(pathToFileURL(file).href)) as { bench(sizes: number[]): Promise<BenchRow[]> }
  return mod.bench(sizes)
}
