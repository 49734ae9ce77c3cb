// npm run bench:faaslets — every faaslet against the best JS library doing the same job, in one process,
// at 1k / 10k / 100k points (h3-bin also at 1M): warmed, medians of several runs, ratio JS/wasm (> 1: wasm
// faster). A bench module may export DEFAULT_SIZES (its sizes when --sizes is not given), `details` (more data
// for the JSON) and report(goal) (a Markdown section appended to the report).
//   npm run bench:faaslets [-- --sizes 1000,10000 --only heatmap,cluster]
import { performance } from 'node:perf_hooks'
import { parseArgs } from 'node:util'
import type { BenchRow } from './faaslets/types.js'
import { fmt, machineLine } from './lib/measure.js'
import { table, writeResults } from './lib/report.js'

interface BenchModule {
  bench(sizes: number[]): Promise<BenchRow[]>
  DEFAULT_SIZES?: number[]
  details?: unknown
  report?(goal: number | undefined): string
}

const BENCHES: Record<string, () => Promise<BenchModule>> = {
  'mvt-decode': () => import('./faaslets/mvt-decode.bench.js'),
  reproject: () => import('./faaslets/reproject.bench.js'),
  cluster: () => import('./faaslets/cluster.bench.js'),
  heatmap: () => import('./faaslets/heatmap.bench.js'),
  light: () => import('./faaslets/light.bench.js'),
  'pip-aggregate': () => import('./faaslets/pip-aggregate.bench.js'),
  'h3-bin': () => import('./faaslets/h3-bin.bench.js'),
}

/** What each faaslet should reach against its JS baseline at 100k points (issue goals). */
const GOALS: Record<string, number> = { 'mvt-decode': 2, heatmap: 20, 'h3-bin': 2 }

const DEFAULT_SIZES = [1000, 10000, 100000]
const { values } = parseArgs({ options: { sizes: { type: 'string' }, only: { type: 'string' } } })
const sizes = values.sizes?.split(',').map(Number)
const only = values.only?.split(',')
const rows: BenchRow[] = []
const sections: string[] = []
const details: Record<string, unknown> = {}
const sizesRun: Record<string, number[]> = {}
console.error(machineLine())
for (const [name, load] of Object.entries(BENCHES)) {
  if (only && !only.includes(name)) continue
  console.error(`bench:faaslets: ${name} …`)
  const started = performance.now()
  const mod = await load()
  sizesRun[name] = sizes ?? mod.DEFAULT_SIZES ?? DEFAULT_SIZES
  const got = await mod.bench(sizesRun[name])
  for (const r of got) console.error(`  ${r.faaslet.padEnd(16)} ${String(r.size).padStart(7)}  wasm ${fmt(r.wasm.median).padStart(9)}  JS ${fmt(r.js.median).padStart(9)}  ×${(r.js.median / r.wasm.median).toFixed(2)}  ${r.note ?? ''}`)
  rows.push(...got)
  if (mod.details !== undefined) details[name] = mod.details
  if (mod.report) sections.push(mod.report(GOALS[name]))
  console.error(`bench:faaslets: ${name} took ${((performance.now() - started) / 1000).toFixed(0)} s`)
}

const md = [
  '# Faaslets against their JS libraries',
  '',
  'Each faaslet runs on an input region already in the arena (as in a chain); the JS side runs the best library',
  'for the job on its native input. Warmed; median (p90) of the runs; ratio = JS median / wasm median (> 1: the faaslet is faster).',
  '',
  table(['faaslet', 'points', 'wasm median (p90)', 'JS library', 'JS median (p90)', 'JS / wasm', 'goal', 'note'], rows.map((r) => {
    const ratio = r.js.median / r.wasm.median
    const goal = GOALS[r.faaslet] && r.size >= 100_000 ? `≥ ${GOALS[r.faaslet]}× ${ratio >= GOALS[r.faaslet] ? 'met' : 'missed'}` : '≥ 1×' + (ratio >= 1 ? '' : ' missed')
    return [r.faaslet, r.size, `${fmt(r.wasm.median)} (${fmt(r.wasm.p90)})`, r.jsLibrary, `${fmt(r.js.median)} (${fmt(r.js.p90)})`, `${ratio.toFixed(2)}×`, goal, r.note ?? '']
  })),
  ...sections.flatMap((s) => ['', s]),
].join('\n')
const out = writeResults('faaslets', { sizes: sizes ?? DEFAULT_SIZES, sizesByBench: sizesRun, rows, details }, md)
console.log(md)
console.error(`bench:faaslets: wrote ${out.json} and ${out.markdown}`)
