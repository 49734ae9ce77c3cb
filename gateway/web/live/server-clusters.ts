// Clusters computed by the gateway (/live/clusters), with what a click needs to expand one: the number of
// points they were made from (supercluster's ids encode their zoom relative to it), read from the
// headers of /live/window.region. Both must describe one window: when the stream moved on in between,
// ask again.
import type { ClusterSource } from '../map/clusters-layer.js'

export function serverClusters(): ClusterSource {
  const counts = new Map<string, number>()
  const windowCount = async (window: string): Promise<number | undefined> => {
    if (!counts.has(window)) {
      const head = await fetch('/live/window.region', { method: 'HEAD' })
      counts.set(head.headers.get('x-graticule-window') ?? '', Number(head.headers.get('x-graticule-count') ?? 0))
      while (counts.size > 4) counts.delete(counts.keys().next().value!)
    }
    return counts.get(window)
  }
  return async (bbox, zoom) => {
    for (let attempt = 0; ; attempt++) {
      const res = await fetch(`/live/clusters?zoom=${zoom}&bbox=${bbox.map((v) => v.toFixed(5)).join(',')}`)
      if (!res.ok) return null
      const window = res.headers.get('x-graticule-window') ?? ''
      const collection = (await res.json()) as GeoJSON.FeatureCollection
      const pointCount = await windowCount(window)
      if (pointCount !== undefined || attempt === 2) return { collection, pointCount: pointCount ?? 0 }
    }
  }
}
