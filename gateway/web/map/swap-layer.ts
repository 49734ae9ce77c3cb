// Swaps tile layers without a blank map: the next layer loads under the one shown, which goes once the
// next has all its tiles. Layers arriving while one loads wait, and only the newest of them follows (so a
// slow machine still moves on from window to window instead of restarting the load forever).
import * as L from 'leaflet'

/** Tiles exist for x, y in [0, 2^z): no requests past the antimeridian or the poles. */
export const WORLD = L.latLngBounds([-85.0511, -180], [85.0511, 180])

export class SwapLayer {
  readonly group = L.layerGroup()
  private shown: L.GridLayer | null = null
  private loading: L.GridLayer | null = null
  private queued: L.GridLayer | null = null
  /** layers shown so far (each one fully loaded when it took over) */
  swaps = 0

  replace(next: L.GridLayer): void {
    if (this.loading) {
      this.queued = next
      return
    }
    this.loading = next
    next.once('load', () => this.promote(next))
    this.group.addLayer(next)
    if (!next.isLoading()) this.promote(next) // nothing in view to load: 'load' will not come
  }

  private promote(next: L.GridLayer): void {
    if (this.loading !== next) return // cleared or promoted already
    if (this.shown) this.group.removeLayer(this.shown)
    this.shown = next
    this.loading = null
    this.swaps++
    const queued = this.queued
    this.queued = null
    if (queued) this.replace(queued)
  }

  clear(): void {
    this.group.clearLayers()
    this.shown = this.loading = this.queued = null
  }
}

/** The live heatmap computed on the server for one window (the window start in the URL: cached per window). */
export function serverHeatTiles(window: number): L.TileLayer {
  return L.tileLayer(`/live/heatmap/{z}/{x}/{y}.png?w=${window}`, { noWrap: true, bounds: WORLD, opacity: 0.8, className: 'heat-server' })
}
