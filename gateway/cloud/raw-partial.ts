// A raw partial (the edge sent its window's points, the `raw` uplink option) made into what an edge would have sent:
// the shipped chain window-partial on its points with the edge's own parameters for the tile set, its output
// regions read back by the edge's own readers (gateway/edge/partial-of.ts).
import type { ChainRegistry } from '../../chains/registry.js'
import type { ChainRunner } from '../../chains/run.js'
import { chainParams, clustersOf, EDGE_CHAIN, gridOf } from '../edge/partial-of.js'
import type { ClusterSummaries, PartialGrid, RawPoints, TileSet, WindowPartial } from '../partials/partial.js'

/** Grid and cluster summaries of points, by the window-partial chain, as an edge computes them. */
export async function computePartial(runner: ChainRunner, chains: ChainRegistry, ts: TileSet, points: RawPoints): Promise<{ grid: PartialGrid; clusters: ClusterSummaries | null }> {
  const n = points.lon.length
  // the edge's columns: weight = the sensor value (as the live windows weigh points)
  const input = { x: points.lon, y: points.lat, weight: points.value, id: Float64Array.from({ length: n }, (_, i) => i), crs: 4326 }
  const chain = chains.get(EDGE_CHAIN)
  const res = await runner.run(chain, chainParams(ts), { points: input })
  // each output on its own buffer: f64 views need 8-byte alignment
  const out = (name: string) => res.outputs.find((o) => o.name === name)?.body.slice()
  const grid = out('grid')
  const clusters = out('clusters')
  if (!grid) throw new Error(`chain ${EDGE_CHAIN} gave no grid`)
  return { grid: gridOf(grid, ts), clusters: clusters ? clustersOf(clusters) : null }
}

/** A raw partial with the grid and clusters its edge would have sent (its points dropped: the cloud merges summaries). */
export async function cookRawPartial(runner: ChainRunner, chains: ChainRegistry, ts: TileSet, p: WindowPartial): Promise<WindowPartial> {
  const { grid, clusters } = await computePartial(runner, chains, ts, p.points!)
  return { ...p, grid, clusters, points: null }
}
