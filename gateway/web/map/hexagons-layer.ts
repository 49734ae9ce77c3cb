// The window's H3 hexagons (the sensor-hexagons chain), coloured by how many points each cell holds, on a
// canvas of their own between the heatmap tiles and the clusters. The resolution follows the zoom, so a
// hexagon stays ~10–20 pixels across; the cells are fetched again when the resolution or the window
// changes (the app calls refresh), not on every pan: each answer covers the whole world.
import * as L from 'leaflet'
import { drawableRing } from './hexagon-rings.js'
import { singleFlight } from './single-flight.js'

export type HexagonSource = (res: number) => Promise<GeoJSON.FeatureCollection | null>

interface CellProps { h3: string; count: number; mean: number }

/** What the layer draws: the resolution, the number of cells and the largest count among them. */
export interface HexagonsShown { res: number; cells: number; maxCount: number }

/** H3's cells shrink by √7 per resolution and map pixels by 2 per zoom: res ≈ 0.75 · zoom keeps their size. */
function resForZoom(zoom: number): number {
  return Math.min(15, Math.max(0, Math.round(zoom * 0.75)))
}

/** ColorBrewer's YlOrRd (a palette apart from the heatmap's viridis), on a log scale of the count up to the largest. */
const STOPS = [[255, 255, 178], [254, 204, 92], [253, 141, 60], [240, 59, 32], [189, 0, 38]]
function countColour(count: number, max: number): string {
  const t = max > 1 ? Math.log(count) / Math.log(max) : 1
  const at = Math.min(1, Math.max(0, t)) * (STOPS.length - 1)
  const i = Math.min(STOPS.length - 2, Math.floor(at))
  const [a, b] = [STOPS[i], STOPS[i + 1]]
  return `rgb(${a.map((v, c) => Math.round(v + (b[c] - v) * (at - i))).join(',')})`
}

export class HexagonsLayer {
  readonly layer: L.LayerGroup
  /** null: nothing drawn */
  shown: HexagonsShown | null = null
  private enabled = false
  private readonly renderer: L.Canvas
  /** redraws for the zoom's resolution and the newest window (coalesced while one is running) */
  readonly refresh = singleFlight(() => this.load())

  constructor(private readonly map: L.Map, private source: HexagonSource | null, private readonly onShown: (shown: HexagonsShown | null, error?: string) => void = () => {}) {
    const pane = 'hexagons'
    map.createPane(pane).style.zIndex = '350' // over the heatmap tiles (200), under the clusters and sensors (400+)
    this.renderer = L.canvas({ pane })
    this.layer = L.layerGroup().addTo(map)
    map.on('zoomend', () => { if (this.enabled && resForZoom(map.getZoom()) !== this.shown?.res) void this.refresh() })
  }

  show(on: boolean): Promise<void> {
    this.enabled = on
    return this.refresh()
  }

  setSource(source: HexagonSource | null): void {
    this.source = source
    void this.refresh()
  }

  private async load(): Promise<void> {
    const res = resForZoom(this.map.getZoom())
    let cells: GeoJSON.FeatureCollection | null = null
    let error: string | undefined
    try {
      cells = this.enabled && this.source ? await this.source(res) : null
    } catch (e) {
      error = `hexagons: ${(e as Error).message}` // e.g. dropped points that are not in longitude and latitude
    }
    this.layer.clearLayers()
    this.shown = null
    if (cells) {
      const features = cells.features as Array<GeoJSON.Feature<GeoJSON.Polygon, CellProps>>
      const maxCount = features.reduce((m, f) => Math.max(m, f.properties.count), 0)
      for (const f of features) {
        const { h3, count, mean } = f.properties
        const rings = f.geometry.coordinates.map((ring) => drawableRing(ring).map(([lon, lat]) => L.latLng(lat, lon)))
        const fill = countColour(count, maxCount)
        this.layer.addLayer(L.polygon(rings, { renderer: this.renderer, color: fill, weight: 0.8, fillColor: fill, fillOpacity: 0.65 })
          .bindTooltip(`${h3}: ${count} point${count === 1 ? '' : 's'}, mean ${mean.toFixed(2)}`))
      }
      this.shown = { res, cells: features.length, maxCount }
    }
    this.onShown(this.shown, error)
  }
}
