// H3 hexagons computed in the browser: the sensor-hexagons chain (the one behind /live/hexagons) on points
// regions already in the arena, written out as GeoJSON by the host codec — the bytes the gateway sends.
import { encodeOutput } from '../../../faaslets/codecs/boundary.js'
import type { HeldRegions } from './browser-dataplane.js'
import type { BrowserChains } from './chains.js'

export interface Hexagons {
  /** the cells as GeoJSON text, encoded as the gateway encodes them */
  geojson: Uint8Array
  computeMs: number
}

export async function browserHexagons(chains: BrowserChains, points: HeldRegions, res: number): Promise<Hexagons> {
  return points.use(async (inputs) => {
    const run = await chains.run('sensor-hexagons', { res }, () => inputs)
    try {
      return { geojson: encodeOutput(run.bytes(), run.output('cells'), 'geojson'), computeMs: run.computeMs }
    } finally {
      run.release()
    }
  })
}

/** The cells to draw. */
export function hexagonCells(h: Hexagons): GeoJSON.FeatureCollection {
  return JSON.parse(new TextDecoder().decode(h.geojson)) as GeoJSON.FeatureCollection
}
