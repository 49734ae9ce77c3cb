// Hexagons computed by the gateway (/live/hexagons: the sensor-hexagons chain on the newest window, cached
// there per window and resolution).
import type { HexagonSource } from '../map/hexagons-layer.js'

export function serverHexagons(): HexagonSource {
  return async (res) => {
    const r = await fetch(`/live/hexagons?res=${res}`)
    return r.ok ? ((await r.json()) as GeoJSON.FeatureCollection) : null
  }
}
