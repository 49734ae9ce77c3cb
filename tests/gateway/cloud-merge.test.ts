// The cloud's merge without Kafka: points split over three edges, each edge's partial made by the window-partial
// chain as an edge makes it, merged by the grid-combine and cluster faaslets → the merged grid is the chain's grid of
// the union (to rounding), counts add up, duplicates are skipped (also after the view is rebuilt from encoded global
// results), a partial on another tile set is refused, a raw partial merges as its edge's own would. The merged
// clusters are measured against the clusters of the union (merge.ts says how they differ).
import { readFileSync } from 'node:fs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ChainRegistry } from '../../chains/registry.js'
import { ChainRunner } from '../../chains/run.js'
import { Dataplane } from '../../dataplane/dataplane.js'
import { CloudFaaslets } from '../../gateway/cloud/cloud-faaslets.js'
import { decodeGlobal, encodeGlobal, type GlobalResult } from '../../gateway/cloud/global-result.js'
import { GlobalView } from '../../gateway/cloud/global-view.js'
import { mergeWindow } from '../../gateway/cloud/merge.js'
import { PartialMerger, type PartialOutcome } from '../../gateway/cloud/partial-merger.js'
import { computePartial } from '../../gateway/cloud/raw-partial.js'
import { DEFAULT_TILE_SET } from '../../gateway/edge/defaults.js'
import { encodePartial, type ClusterSummaries, type RawPoints, type TileSet, type WindowPartial } from '../../gateway/partials/partial.js'
import { mulberry32 } from '../helpers/random.js'

const TS: TileSet = DEFAULT_TILE_SET
const WINDOW = 1_800_000_000_000
const RADIUS = 40 // the cluster faaslet's default, which the window-partial chain keeps
const quiet = { warn: () => {}, info: () => {}, error: () => {}, debug: () => {} }

let dp: Dataplane
let runner: ChainRunner
let chains: ChainRegistry

/** World cities (value = their weight column) and seeded random points (value in [0, 10)). */
function points(): RawPoints {
  const rows = readFileSync('samples/cities.csv', 'utf8').trim().split('\n').slice(1).map((l) => l.split(',').map(Number))
  const rnd = mulberry32(17)
  const extra = 2_000
  const n = rows.length + extra
  const p: RawPoints = { sensor: [], ts: new Float64Array(n), lon: new Float64Array(n), lat: new Float64Array(n), value: new Float64Array(n) }
  rows.forEach(([lon, lat, w], i) => { p.lon[i] = lon; p.lat[i] = lat; p.value[i] = w })
  for (let i = rows.length; i < n; i++) { p.lon[i] = rnd() * 360 - 180; p.lat[i] = rnd() * 140 - 70; p.value[i] = rnd() * 10 }
  for (let i = 0; i < n; i++) { p.sensor.push(`s${i}`); p.ts[i] = WINDOW + (i % 1000) }
  return p
}

function subset(p: RawPoints, keep: (i: number) => boolean): RawPoints {
  const idx = [...p.ts.keys()].filter(keep)
  const pick = (a: Float64Array) => Float64Array.from(idx, (i) => a[i])
  return { sensor: idx.map((i) => p.sensor[i]), ts: pick(p.ts), lon: pick(p.lon), lat: pick(p.lat), value: pick(p.value) }
}

/** What an edge sends for its points: counts and value statistics of the window, grid and clusters from the chain. */
async function partialOf(edge: string, p: RawPoints, raw = false, tileSet = TS): Promise<WindowPartial> {
  const n = p.lon.length
  let sum = 0, min = Infinity, max = -Infinity, w = Infinity, s = Infinity, e = -Infinity, nn = -Infinity
  for (let i = 0; i < n; i++) {
    sum += p.value[i]; min = Math.min(min, p.value[i]); max = Math.max(max, p.value[i])
    w = Math.min(w, p.lon[i]); e = Math.max(e, p.lon[i]); s = Math.min(s, p.lat[i]); nn = Math.max(nn, p.lat[i])
  }
  const made = raw ? { grid: null, clusters: null } : await computePartial(runner, chains, tileSet, p)
  return {
    edge, windowStart: WINDOW, windowEnd: WINDOW + 5_000, count: n, duplicates: 1, late: 2, sensors: n, value: { sum, min, max }, bbox: [w, s, e, nn],
    tileSet, grid: made.grid, clusters: made.clusters, points: raw ? p : null, closedAt: WINDOW + 6_000, sealedAt: WINDOW + 6_001,
  }
}

function merger(view: GlobalView, outcomes: PartialOutcome[] = []) {
  return new PartialMerger(view, new CloudFaaslets(dp), { runner, registry: chains }, { tileSet: TS, clusterRadius: RADIUS, log: quiet, count: (o) => outcomes.push(o) })
}

/** Largest |a − b| / |b| over the cells (cells where b is 0 must be 0 in a). */
function maxRelative(a: Float64Array, b: Float64Array): number {
  let worst = 0
  for (let i = 0; i < b.length; i++) {
    if (b[i] === 0) { if (a[i] !== 0) return Infinity; continue }
    worst = Math.max(worst, Math.abs(a[i] - b[i]) / Math.abs(b[i]))
  }
  return worst
}

/** Pixels (of the 512-pixel tile the cluster radius is given in) between two EPSG:3857 points at `zoom`. */
const pixels = (dx: number, dy: number, zoom: number) => (Math.hypot(dx, dy) / (2 * Math.PI * 6378137)) * 512 * 2 ** zoom

/** Each central cluster's nearest merged cluster: how far (px) and how their point counts compare. */
function compareClusters(central: ClusterSummaries, merged: ClusterSummaries) {
  const rows = [...central.x.keys()].map((i) => {
    let best = -1, bestD = Infinity
    for (let j = 0; j < merged.x.length; j++) {
      const d = pixels(merged.x[j] - central.x[i], merged.y[j] - central.y[i], central.zoom)
      if (d < bestD) { bestD = d; best = j }
    }
    return { px: bestD, central: central.count[i], merged: merged.count[best] }
  })
  const sorted = (xs: number[]) => [...xs].sort((a, b) => a - b)
  const q = (xs: number[], f: number) => sorted(xs)[Math.min(xs.length - 1, Math.floor(f * xs.length))]
  const big = rows.filter((r) => r.central >= 10)
  return {
    centralClusters: central.x.length, mergedClusters: merged.x.length,
    centralPoints: central.count.reduce((a, b) => a + b, 0), mergedPoints: merged.count.reduce((a, b) => a + b, 0),
    displacementPx: { median: q(rows.map((r) => r.px), 0.5), p90: q(rows.map((r) => r.px), 0.9), max: Math.max(...rows.map((r) => r.px)) },
    sameCount: rows.filter((r) => r.central === r.merged).length / rows.length,
    countRelDiff: { median: q(big.map((r) => Math.abs(r.merged - r.central) / r.central), 0.5), p90: q(big.map((r) => Math.abs(r.merged - r.central) / r.central), 0.9) },
  }
}

beforeAll(async () => {
  dp = await Dataplane.start({ workers: 2 })
  runner = new ChainRunner(dp)
  chains = new ChainRegistry(dp.catalog)
})

afterAll(async () => {
  await dp?.close()
})

describe('merging edge partials', () => {
  const all = points()
  const rnd = mulberry32(5)
  const edgeOf = Float64Array.from(all.ts, () => Math.floor(rnd() * 3)) // points interleave: the hard case for clusters
  const parts = [0, 1, 2].map((k) => subset(all, (i) => edgeOf[i] === k))
  let merged: GlobalResult
  let central: Awaited<ReturnType<typeof computePartial>>
  let partials: WindowPartial[]

  beforeAll(async () => {
    partials = await Promise.all(parts.map((p, k) => partialOf(`edge-${k}`, p)))
    central = await computePartial(runner, chains, TS, all)
    const view = new GlobalView()
    const results = await merger(view).merge(partials.map(encodePartial))
    expect(results).toHaveLength(1)
    merged = results[0]
    view.put(merged)
  })

  it('gives the grid of the union, to rounding, and the counts summed', () => {
    const rel = maxRelative(merged.grid.cells, central.grid.cells)
    console.log(`merged vs central grid: max relative error ${rel.toExponential(2)} over ${central.grid.cells.length} cells (${central.grid.cells.filter((v) => v > 0).length} non-zero)`)
    expect(rel).toBeLessThan(1e-9)
    expect(merged.count).toBe(all.lon.length)
    expect(merged.duplicates).toBe(3)
    expect(merged.late).toBe(6)
    expect(merged.sensors).toBe(all.lon.length)
    expect(merged.value.sum).toBeCloseTo(all.value.reduce((a, b) => a + b, 0), 6)
    expect(merged.value.min).toBe(Math.min(...all.value))
    expect(merged.value.max).toBe(Math.max(...all.value))
    expect(merged.edges.map((e) => [e.edge, e.count])).toEqual(parts.map((p, k) => [`edge-${k}`, p.lon.length]))
    expect(merged.bbox![0]).toBe(Math.min(...all.lon))
  })

  it('keeps the cluster point counts exact, and says how far the clusters are from the central ones', () => {
    const c = compareClusters(central.clusters!, merged.clusters!)
    console.log('merged vs central clusters (interleaved edges):', JSON.stringify(c))
    expect(c.mergedPoints).toBe(all.lon.length)
    expect(c.centralPoints).toBe(all.lon.length)
    // the same order of magnitude of clusters, mostly within the cluster radius of a central one
    expect(c.mergedClusters).toBeGreaterThan(c.centralClusters / 3)
    expect(c.mergedClusters).toBeLessThan(c.centralClusters * 3)
    expect(c.displacementPx.median).toBeLessThan(RADIUS)
  })

  it('comes closer to the central clusters where edges hold disjoint areas', async () => {
    // cut at 30° W and 60° E: only clusters near the cuts, and an edge's own clusters left within the radius of each
    // other, are clustered differently
    const zone = (lon: number) => (lon < -30 ? 0 : lon < 60 ? 1 : 2)
    const byArea = [0, 1, 2].map((k) => subset(all, (i) => zone(all.lon[i]) === k))
    const ps = await Promise.all(byArea.map((p, k) => partialOf(`area-${k}`, p)))
    const [r] = await merger(new GlobalView()).merge(ps)
    const c = compareClusters(central.clusters!, r.clusters!)
    console.log('merged vs central clusters (edges by area):', JSON.stringify(c))
    expect(c.mergedPoints).toBe(all.lon.length)
    expect(c.sameCount).toBeGreaterThan(0.8)
    expect(c.displacementPx.p90).toBeLessThan(1)
  })

  it('skips a partial merged before: in the same batch, after, and after the view is rebuilt from the global results', async () => {
    const outcomes: PartialOutcome[] = []
    const view = new GlobalView()
    const m = merger(view, outcomes)
    const [first] = await m.merge([partials[0], partials[0]])
    expect(first.edges.map((e) => e.edge)).toEqual(['edge-0'])
    view.put(first)
    expect(await m.merge([partials[0]])).toEqual([])
    expect(outcomes).toEqual(['deduplicated', 'merged', 'deduplicated'])

    // a restarted cloud: its view is what the global topic holds
    const rebuilt = new GlobalView()
    rebuilt.put(decodeGlobal(encodeGlobal(first)))
    const again: PartialOutcome[] = []
    const m2 = merger(rebuilt, again)
    const rs = await m2.merge([partials[0], partials[1], partials[2]].map(encodePartial))
    expect(again).toEqual(['deduplicated', 'merged', 'merged'])
    expect(rs).toHaveLength(1)
    // the stored grid plus the two new edges' grids is the union's
    expect(maxRelative(rs[0].grid.cells, central.grid.cells)).toBeLessThan(1e-9)
    expect(rs[0].count).toBe(all.lon.length)
  })

  it('refuses a partial made on another tile set, and counts a record that is no partial', async () => {
    const outcomes: PartialOutcome[] = []
    const other = { ...TS, radius: TS.radius + 1 }
    const wrong = await partialOf('edge-x', parts[0], false, other)
    const rs = await merger(new GlobalView(), outcomes).merge([encodePartial(wrong), new Uint8Array([1, 2, 3])])
    expect(rs).toEqual([])
    expect(outcomes).toEqual(['refused', 'invalid'])
  })

  it('merges a raw partial as its edge\'s own partial', async () => {
    const raw = await partialOf('edge-2', parts[2], true)
    const [fromRaw] = await merger(new GlobalView()).merge([partials[0], partials[1], encodePartial(raw)])
    expect(fromRaw.edges.find((e) => e.edge === 'edge-2')!.raw).toBe(true)
    expect(Buffer.from(fromRaw.grid.cells.buffer).equals(Buffer.from(merged.grid.cells.buffer))).toBe(true)
    expect(fromRaw.clusters!.count).toEqual(merged.clusters!.count)
  })

  it('costs little per partial at the default grid (measured)', async () => {
    const faaslets = new CloudFaaslets(dp)
    const base = merged
    const next = { ...partials[0], edge: 'edge-9' }
    for (let i = 0; i < 3; i++) await mergeWindow(base, [{ partial: next, raw: false }], faaslets, TS, { zoom: 3, radius: RADIUS })
    const times: number[] = [], grid: number[] = [], clusters: number[] = [], codec: number[] = []
    for (let i = 0; i < 15; i++) {
      let t = performance.now()
      const r = await mergeWindow(base, [{ partial: next, raw: false }], faaslets, TS, { zoom: 3, radius: RADIUS })
      times.push(performance.now() - t)
      t = performance.now()
      await faaslets.sumGrids([base.grid.cells, next.grid!.cells], base.grid.width, base.grid.height)
      grid.push(performance.now() - t)
      t = performance.now()
      await faaslets.mergeClusters(r.edges.map((e) => e.clusters!), { zoom: 3, radius: RADIUS })
      clusters.push(performance.now() - t)
      t = performance.now()
      decodeGlobal(encodeGlobal(r))
      codec.push(performance.now() - t)
    }
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]
    console.log(`merge of one partial onto a window, ${TS.size * 4}×${TS.size * 4} f64 cells: median ${median(times).toFixed(2)} ms (grid sum ${median(grid).toFixed(2)} ms, clusters of 4 edges ${median(clusters).toFixed(2)} ms); global result encode+decode ${median(codec).toFixed(2)} ms, ${encodeGlobal(merged).length} bytes`)
    expect(median(times)).toBeLessThan(1_000)
  })
})
