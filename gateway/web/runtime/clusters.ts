// Clusters computed in the browser: the points-clusters chain (the one behind /live/clusters) on points
// regions already in the arena, written out as supercluster-style GeoJSON by the host codec.
import { clustersToGeoJSON, readClusters } from '../../../faaslets/codecs/clusters.js'
import type { HeldRegions } from './browser-dataplane.js'
import type { BrowserChains } from './chains.js'

export type BBox = [w: number, s: number, e: number, n: number]

export async function browserClusters(chains: BrowserChains, points: HeldRegions, zoom: number, bbox: BBox): Promise<GeoJSON.FeatureCollection> {
  return points.use(async (inputs) => {
    const run = await chains.run('points-clusters', { zoom, bbox }, () => inputs)
    try {
      return clustersToGeoJSON(readClusters(run.bytes(), run.output('clusters'))) as GeoJSON.FeatureCollection
    } finally {
      run.release()
    }
  })
}
