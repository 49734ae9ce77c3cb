// The sensors themselves at close zooms (/live/points in the view), coloured by their value.
import * as L from 'leaflet'
import { viewBBox } from './clusters-layer.js'
import { singleFlight } from './single-flight.js'

interface SensorProps { sensor: string; value: number; ts: number }

export class SensorPointsLayer {
  readonly layer = L.layerGroup()
  enabled = true
  /** redraws for the view and window now (coalesced while one is running) */
  readonly refresh = singleFlight(() => this.load())

  constructor(private readonly map: L.Map, private readonly minZoom = 9, private readonly limit = 4000) {
    map.on('moveend', () => void this.refresh())
  }

  private async load(): Promise<void> {
    if (!this.enabled || this.map.getZoom() < this.minZoom) {
      this.layer.clearLayers()
      return
    }
    const res = await fetch(`/live/points?bbox=${viewBBox(this.map).map((v) => v.toFixed(5)).join(',')}&limit=${this.limit}`)
    if (!res.ok) return
    const fc = (await res.json()) as GeoJSON.FeatureCollection<GeoJSON.Point, SensorProps>
    this.layer.clearLayers()
    for (const f of fc.features) {
      const [lon, lat] = f.geometry.coordinates
      const { sensor, value } = f.properties
      this.layer.addLayer(L.circleMarker([lat, lon], { radius: 4, weight: 1, color: '#222', fillColor: valueColour(value), fillOpacity: 0.9 })
        .bindTooltip(`${sensor}: ${value.toFixed(2)}`))
    }
  }
}

/** Cold blue → warm red over −10 … 40 (the simulator's temperature-like values). */
function valueColour(v: number): string {
  const t = Math.min(1, Math.max(0, (v + 10) / 50))
  return `hsl(${Math.round(230 - 230 * t)}, 75%, 50%)`
}
