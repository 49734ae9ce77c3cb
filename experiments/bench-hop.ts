// npm run bench:hop — the cost of ONE hand-off between stages at 1k / 10k / 100k points, shared
// descriptors against the copy-based hop, in one worker and across workers; the seed chains end to end in
// every mode through the Dataplane API; instantiation and worker cold start. Goals met or missed.
//   npm run bench:hop [-- --quick] [--sizes 1000,10000] [--out dir] [--no-chains] [--no-startup]
import { parseArgs } from 'node:util'
import { fileURLToPath } from 'node:url'
import { machineLine } from './lib/measure.js'
import { RESULTS_DIR, writeResults } from './lib/report.js'
import { hopGoals, hopMarkdown } from './hop/report.js'
import { runHop, type HopOptions, type HopResult } from './hop/run.js'

export { runHop, hopGoals, hopMarkdown, type HopOptions, type HopResult }

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({
    options: {
      quick: { type: 'boolean', default: false },
      sizes: { type: 'string' },
      out: { type: 'string' },
      workers: { type: 'string' },
      'no-chains': { type: 'boolean', default: false },
      'no-startup': { type: 'boolean', default: false },
    },
  })
  const sizes = values.sizes ? values.sizes.split(',').map(Number) : [1000, 10_000, 100_000]
  console.error(machineLine())
  const result = await runHop({
    sizes, quick: values.quick, workers: values.workers ? Number(values.workers) : undefined,
    chains: !values['no-chains'], startup: !values['no-startup'],
    progress: (label, f) => console.error(`bench:hop ${(f * 100).toFixed(0).padStart(3)}%  ${label}`),
  })
  const goals = hopGoals(result)
  const md = hopMarkdown(result, goals)
  const out = writeResults('hop', { ...result, goals }, md, values.out ?? RESULTS_DIR)
  console.log(md)
  console.error(`bench:hop: wrote ${out.json} and ${out.markdown}`)
}
