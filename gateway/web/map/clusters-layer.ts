// Clusters of the window for the map's zoom and view, as count bubbles; a click zooms to where the cluster
// splits. supercluster (and the cluster faaslet, a bit-exact port) encode the zoom a cluster was made at
// in its id: origin zoom = (cluster_id − number of points) mod 32, which is where it expands. Below
// `maxZoom` only: closer in, the sensors themselves are drawn (points-layer.ts).
import * as L from 'leaflet'
import type { BBox } from '../runtime/clusters.js'
import { singleFlight } from './single-flight.js'

export interface ClusterData { collection: GeoJSON.FeatureCollection; pointCount: number }
export type ClusterSource = (bbox: BBox, zoom: number) => Promise<ClusterData | null>

interface ClusterProps { cluster?: boolean; cluster_id?: number; point_count?: number; point_count_abbreviated?: number | string }

export function expansionZoom(clusterId: number, pointCount: number): number {
  return (((clusterId - pointCount) % 32) + 32) % 32
}

export function viewBBox(map: L.Map): BBox {
  const b = map.getBounds()
  const clamp = (v: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, v))
  return [clamp(b.getWest(), -180, 180), clamp(b.getSouth(), -85, 85), clamp(b.getEast(), -180, 180), clamp(b.getNorth(), -85, 85)]
}

export class ClustersLayer {
  readonly layer = L.layerGroup()
  /** the zoom the markers on the map were made for (null: none drawn) */
  renderedZoom: number | null = null
  /** redraws for the view and window now (coalesced while one is running) */
  readonly refresh = singleFlight(() => this.load())

  constructor(private readonly map: L.Map, private source: ClusterSource | null, private readonly maxZoom = 9) {
    map.on('moveend', () => void this.refresh())
  }

  setSource(source: ClusterSource | null): void {
    this.source = source
    void this.refresh()
  }

  private async load(): Promise<void> {
    const zoom = Math.round(this.map.getZoom())
    const data = this.source && zoom < this.maxZoom ? await this.source(viewBBox(this.map), zoom) : null
    this.layer.clearLayers()
    this.renderedZoom = data ? zoom : null
    if (!data) return
    for (const f of data.collection.features) {
      const [lon, lat] = (f.geometry as GeoJSON.Point).coordinates
      const p = (f.properties ?? {}) as ClusterProps
      if (p.cluster) this.layer.addLayer(this.bubble(L.latLng(lat, lon), p, data.pointCount))
      else this.layer.addLayer(L.circleMarker([lat, lon], { radius: 3, color: '#3b528b', weight: 1, fillOpacity: 0.7 }))
    }
  }

  private bubble(at: L.LatLng, p: ClusterProps, pointCount: number): L.Marker {
    const count = p.point_count ?? 0
    const size = Math.round(18 + Math.min(22, Math.log10(Math.max(1, count)) * 6))
    const html = `<span data-cluster-id="${p.cluster_id}" data-count="${count}">${p.point_count_abbreviated ?? count}</span>`
    const icon = L.divIcon({ className: 'cluster', html, iconSize: [size, size] })
    const marker = L.marker(at, { icon, title: `${count} points`, keyboard: false })
    marker.on('click', () => {
      const now = this.map.getZoom()
      const to = Math.max(now + 1, expansionZoom(p.cluster_id ?? 0, pointCount))
      this.map.setView(at, Math.min(to, this.map.getMaxZoom()))
    })
    return marker
  }
}
