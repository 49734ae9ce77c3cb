// One window's merge: the partials of new edges folded into what the window already holds. Pure bookkeeping
// around two faaslet calls (cloud-faaslets.ts): the grids add up (grid-combine, f64 — the KDE of a union of point
// sets is the sum of their KDEs, so the merged grid is the grid of the union up to rounding), counts, duplicates,
// late points and sensors add (a sensor reporting to two edges counts twice), value min/max combine, bboxes unite.
//
// Clusters: every share's summaries, in edge (and part) order, clustered again by the cluster faaslet as points at their
// centres. Point counts and value sums are exact (they travel as weights). How this differs from clustering the
// union of the points centrally (tests/gateway/cloud-merge.test.ts measures it):
//   - a merged cluster's centre is the plain mean of the summary centres it absorbed (supercluster weighs a
//     centre by the entries it merges, and each summary enters as one entry), not the mean of its points;
//   - an edge's cluster is indivisible: its points cannot join different merged clusters, and cluster borders
//     fall where summaries happen to lie, so the cluster count and per-cluster counts differ where edges'
//     points interleave;
//   - the radius is measured from summary centres, which sit inside their points: clusters that centrally would
//     stay apart can meet, and the other way round;
//   - an edge's own clusters are clustered again too: supercluster leaves clusters whose centres ended up within
//     the radius of each other (a centre moves as it absorbs neighbours), and the second pass merges those.
// Measured on 5,000 points at zoom 3 (world cities and random points, tests/gateway/cloud-merge.test.ts): with points
// interleaved over three edges, 1,413 merged clusters for 1,457 central ones, 72 % of central clusters meet a merged
// one of the same point count at its nearest, centres 0 px apart at the median, 19 px at p90, 45 px at most (512 px
// tiles, radius 40); with the edges holding three areas, 91 % the same count, 0 px at p90.
import { sameTileSet, tileSetGrid, type TileSet, type WindowPartial } from '../partials/partial.js'
import type { ClusterParams, CloudFaaslets } from './cloud-faaslets.js'
import { shareKey, shareOf, type EdgeShare, type GlobalResult } from './global-result.js'
import { tileRangeExtent } from './grid-region.js'

/** Why a partial (with its grid) cannot be merged on `ts`, or null when it can. */
export function tileSetProblem(p: WindowPartial, ts: TileSet): string | null {
  if (!sameTileSet(p.tileSet, ts)) return `it was computed on ${describeTileSet(p.tileSet)}, this cloud merges ${describeTileSet(ts)}`
  const g = p.grid
  const want = tileSetGrid(ts)
  if (g && (g.x0 !== want.x0 || g.y0 !== want.y0 || g.x1 !== want.x1 || g.y1 !== want.y1 || g.width !== want.width || g.height !== want.height || g.cells.length !== want.width * want.height)) {
    return `its grid covers tiles ${g.x0}..${g.x1} × ${g.y0}..${g.y1} in ${g.width}×${g.height} cells, the tile set ${want.x0}..${want.x1} × ${want.y0}..${want.y1} in ${want.width}×${want.height}`
  }
  return null
}

export const describeTileSet = (t: TileSet): string => `bbox ${t.bbox.join(',')} zoom ${t.zoom} size ${t.size} radius ${t.radius} ${t.kernel}`

export interface NewShare {
  /** a partial with its grid (a raw one already computed; none when the edge's chain refused the window) */
  partial: WindowPartial
  raw: boolean
}

/**
 * `prev` (the window as merged so far, or none) with the partials of new edges added: one call sums every grid
 * (≤ 8 a call, a tree past that), one clusters every edge's summaries. The caller has checked tile sets and dropped
 * edges already merged; all partials are of prev's window.
 */
export async function mergeWindow(prev: GlobalResult | undefined, shares: NewShare[], faaslets: CloudFaaslets, tileSet: TileSet, clusters: ClusterParams, now = Date.now()): Promise<GlobalResult> {
  const t0 = performance.now()
  const first = shares[0].partial
  const g = tileSetGrid(tileSet)
  const extent = tileRangeExtent(tileSet.zoom, g.x0, g.y0, g.x1, g.y1)
  // a partial without a grid (its edge's chain refused the window's points) adds no density
  const grids = [...(prev ? [prev.grid.cells] : []), ...shares.flatMap((s) => (s.partial.grid ? [s.partial.grid.cells] : []))]
  const cells = grids.length ? await faaslets.sumGrids(grids, g.width, g.height, extent) : new Float64Array(g.width * g.height)

  const byKey = (a: EdgeShare, b: EdgeShare) => { const x = shareKey(a), y = shareKey(b); return x < y ? -1 : x > y ? 1 : 0 }
  const edges: EdgeShare[] = [...(prev?.edges ?? []), ...shares.map((s) => shareOf(s.partial, now, s.raw))].sort(byKey)
  const summaries = edges.flatMap((e) => (e.clusters ? [e.clusters] : []))
  const merged = summaries.length ? await faaslets.mergeClusters(summaries, { ...clusters, zoom: summaries[0].zoom }) : null

  let r: Omit<GlobalResult, 'grid' | 'clusters' | 'edges' | 'updatedAt' | 'mergeMs'> = prev ?? {
    windowStart: first.windowStart, windowEnd: first.windowEnd, count: 0, duplicates: 0, late: 0, sensors: 0,
    value: { sum: 0, min: Infinity, max: -Infinity }, bbox: null, tileSet,
  }
  for (const { partial: p } of shares) {
    r = {
      ...r, windowEnd: Math.max(r.windowEnd, p.windowEnd), count: r.count + p.count, duplicates: r.duplicates + p.duplicates, late: r.late + p.late,
      sensors: r.sensors + p.sensors,
      value: p.count > 0 ? { sum: r.value.sum + p.value.sum, min: Math.min(r.value.min, p.value.min), max: Math.max(r.value.max, p.value.max) } : r.value,
      bbox: unite(r.bbox, p.bbox),
    }
  }
  return { ...r, tileSet, edges, grid: { ...g, cells }, clusters: merged, updatedAt: now, mergeMs: performance.now() - t0 }
}

function unite(a: GlobalResult['bbox'], b: GlobalResult['bbox']): GlobalResult['bbox'] {
  if (!a) return b
  if (!b) return a
  return [Math.min(a[0], b[0]), Math.min(a[1], b[1]), Math.max(a[2], b[2]), Math.max(a[3], b[3])]
}
