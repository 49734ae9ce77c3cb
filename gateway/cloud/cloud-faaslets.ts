// The faaslet calls of the cloud role, on regions it writes itself into the tenant's arena (ChainInput `{ write }`):
// summing edges' f64 grids (grid-combine, op sum, ≤ 8 regions a call, a tree past that), merging cluster summaries
// (cluster, the summaries as points), and one tile's PNG (colorize, encoded in the worker as the live routes' are).
// Plans are built once per shape and reused, so workers keep them by id. Every invocation is observed (metrics).
import type { Dataplane, InvokeResult } from '../../dataplane/dataplane.js'
import type { Plan, PlanRef, PlanStep } from '../../dataplane/plan.js'
import { parseParams } from '../../faaslets/abi/manifest.js'
import { CTX_MAX_INPUTS } from '../../faaslets/abi/layout.js'
import type { RegionMemory } from '../../faaslets/abi/region.js'
import { readClusters } from '../../faaslets/codecs/clusters.js'
import { writePoints } from '../../faaslets/codecs/points.js'
import type { ClusterSummaries } from '../partials/partial.js'
import { readGridCells, writeGrid64, writeTileGrid32 } from './grid-region.js'

/** Told of every invocation (the gateway's metrics). */
export type InvocationObserver = (name: string, plan: Plan, res: InvokeResult) => void

export interface ClusterParams {
  zoom: number
  /** cluster radius in pixels of a tile of 512 (the edge's chain's) */
  radius: number
}

export class CloudFaaslets {
  private readonly plans = new Map<string, Plan>()

  constructor(private readonly dp: Dataplane, private readonly tenant = 'default', private readonly observe?: InvocationObserver) {}

  /** Cell-by-cell sum of same-sized f64 grids (at least one), in double precision. */
  async sumGrids(grids: Float64Array[], width: number, height: number, extent?: [number, number, number, number]): Promise<Float64Array> {
    if (grids.length === 0) throw new Error('nothing to sum')
    if (grids.length === 1) return grids[0].slice()
    const plan = this.plan(`cloud-grid-sum/${grids.length}`, () => sumPlan(grids.length, Array.from(parseParams(this.dp.catalog.manifest('grid-combine'), { op: 'sum' }))))
    return this.run(plan, (mem) => grids.map((g) => writeGrid64(mem, g, width, height, extent)), (bytes, res) => readGridCells(bytes, res.outputs[0]).cells)
  }

  /**
   * The clusters of several cluster summaries, each taken as one point at its centre (EPSG:3857): the cluster
   * faaslet runs twice on the same positions, once weighted by the summaries' point counts and once by their value
   * sums. Clustering reads positions only, so both runs make the same clusters in the same order: the first gives
   * each merged cluster its exact point count, the second its value sum.
   */
  async mergeClusters(parts: ClusterSummaries[], p: ClusterParams): Promise<ClusterSummaries> {
    const n = parts.reduce((k, c) => k + c.x.length, 0)
    if (n === 0) return { zoom: p.zoom, x: new Float64Array(0), y: new Float64Array(0), count: new Float64Array(0), weight: new Float64Array(0) }
    const plan = this.plan(`cloud-cluster-merge/${p.zoom}/${p.radius}`, () => {
      const params = Array.from(parseParams(this.dp.catalog.manifest('cluster'), { zoom: p.zoom, radius: p.radius }))
      const step = (i: number): PlanStep => ({ id: `cluster-by-${i ? 'value' : 'count'}`, faaslet: 'cluster', params, inputs: [{ input: i }] })
      return { name: 'cloud-cluster-merge', inputCount: 2, steps: [step(0), step(1)], outputs: [{ step: 0, output: 0 }, { step: 1, output: 0 }] }
    })
    return this.run(plan, (mem) => [writeSummaryPoints(mem, parts, n, 'count'), writeSummaryPoints(mem, parts, n, 'weight')], (bytes, res) => {
      const byCount = readClusters(bytes, res.outputs[0])
      const byValue = readClusters(bytes, res.outputs[1])
      if (byCount.x.length !== byValue.x.length) throw new Error('the two cluster runs disagree')
      return { zoom: p.zoom, x: byCount.x, y: byCount.y, count: byCount.weight, weight: byValue.weight }
    })
  }

  /** The PNG of one tile's cells through viridis (colorize; `scale` 0 = the tile's largest cell). */
  async tilePng(cells: Float32Array, size: number, tile: { z: number; x: number; y: number }, scale: number): Promise<Uint8Array> {
    const plan = this.plan(`cloud-colorize/${scale}`, () => ({
      name: 'cloud-colorize', inputCount: 1, outputs: [{ step: 0, output: 0 }],
      steps: [{ id: 'colour', faaslet: 'colorize', params: Array.from(parseParams(this.dp.catalog.manifest('colorize'), { scale })), inputs: [{ input: 0 }] }],
    }))
    const res = await this.dp.invoke(this.tenant, plan, { write: (mem) => [writeTileGrid32(mem, cells, size, tile)] }, { encode: [{ output: 0, as: 'png' }] })
    try {
      this.observe?.(plan.name, plan, res)
      return res.encoded[0]
    } finally {
      res.release()
    }
  }

  private plan(key: string, make: () => Plan): Plan {
    let plan = this.plans.get(key)
    if (!plan) {
      plan = make()
      this.plans.set(key, plan)
    }
    return plan
  }

  private async run<T>(plan: Plan, write: (mem: RegionMemory) => Array<{ ptr: number; len: number }>, read: (bytes: Uint8Array, res: InvokeResult) => T): Promise<T> {
    const res = await this.dp.invoke(this.tenant, plan, { write })
    try {
      this.observe?.(plan.name, plan, res)
      return read(res.bytes(), res)
    } finally {
      res.release()
    }
  }
}

/** grid-combine over n inputs: groups of ≤ 8 summed, then the groups' sums, until one (sum is associative). */
function sumPlan(n: number, params: number[]): Plan {
  const steps: PlanStep[] = []
  let level: PlanRef[] = Array.from({ length: n }, (_, i) => ({ input: i }))
  while (level.length > 1) {
    const next: PlanRef[] = []
    for (let i = 0; i < level.length; i += CTX_MAX_INPUTS) {
      const group = level.slice(i, i + CTX_MAX_INPUTS)
      if (group.length === 1) next.push(group[0])
      else {
        steps.push({ id: `sum[${steps.length}]`, faaslet: 'grid-combine', params, inputs: group })
        next.push({ step: steps.length - 1, output: 0 })
      }
    }
    level = next
  }
  return { name: 'cloud-grid-sum', inputCount: n, steps, outputs: level }
}

/** Cluster summaries as one POINTS region (EPSG:3857): a point per summary at its centre, weighted by `by`. */
function writeSummaryPoints(mem: RegionMemory, parts: ClusterSummaries[], n: number, by: 'count' | 'weight') {
  const join = (col: (c: ClusterSummaries) => Float64Array) => {
    const out = new Float64Array(n)
    let at = 0
    for (const c of parts) { out.set(col(c), at); at += c.x.length }
    return out
  }
  return writePoints(mem, { x: join((c) => c.x), y: join((c) => c.y), weight: join((c) => c[by]), id: Float64Array.from({ length: n }, (_, i) => i), crs: 3857 })
}
