// npm run bench:faaslets — every faaslet against the best JS library doing the same job, in one process,
// at 1k / 10k / 100k points: warmed, medians of several runs, ratio JS/wasm (> 1: wasm faster).
//   npm run bench:faaslets [-- --sizes 1000,10000 --only heatmap,cluster]
import { parseArgs } from 'node:util'
import type { BenchRow } from './faaslets/types.js'
import { fmt, machineLine } from './lib/measure.js'
import { table, writeResults } from './lib/report.js'

const BENCHES: Record<string, () => Promise<{ bench(sizes: number[]): Promise<BenchRow[]> }>> = {
  'mvt-decode': () => import('./faaslets/mvt-decode.bench.js'),
  reproject: () => import('./faaslets/reproject.bench.js'),
  cluster: () => import('./faaslets/cluster.bench.js'),
  heatmap: () => import('./faaslets/heatmap.bench.js'),
  light: () => import('./faaslets/light.bench.js'),
  'pip-aggregate': () => import('./faaslets/pip-aggregate.bench.js'),
}

/** What each faaslet should reach against its JS baseline at 100k points (issue goals). */
const GOALS: Record<string, number> = { 'mvt-decode': 2, heatmap: 20 }

const { values } = parseArgs({ options: { sizes: { type: 'string', default: '1000,10000,100000' }, only: { type: 'string' } } })
const sizes = values.sizes.split(',').map(Number)
const only = values.only?.split(',')
const rows: BenchRow[] = []
console.error(machineLine())
for (const [name, load] of Object.entries(BENCHES)) {
  if (only && !only.includes(name)) continue
  console.error(`bench:faaslets: ${name} …`)
  const got = await (await load()).bench(sizes)
  for (const r of got) console.error(`  ${r.faaslet.padEnd(16)} ${String(r.size).padStart(7)}  wasm ${fmt(r.wasm.median).padStart(9)}  JS ${fmt(r.js.median).padStart(9)}  ×${(r.js.median / r.wasm.median).toFixed(2)}  ${r.note ?? ''}`)
  rows.push(...got)
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
].join('\n')
const out = writeResults('faaslets', { sizes, rows }, md)
console.log(md)
console.error(`bench:faaslets: wrote ${out.json} and ${out.markdown}`)
