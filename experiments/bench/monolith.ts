// The plain-JS monolith the gateway's chains are measured against: tile-heatmap's work in one function,
// with the best JS libraries for each part — @mapbox/vector-tile + pbf (decode), supercluster (clusters),
// proj4 (cluster centres to EPSG:3857), a straightforward kernel sum over each cluster's disc, viridis,
// pngjs. It is written to be fast, not to lose: geometry is read with loadGeometry() (no GeoJSON objects
// from the decoder, no property decoding — the answer needs neither), supercluster gets lon/lat directly
// (so the whole set is never reprojected; of the chain's `reproject` stage only the longitude wrap is
// kept), and only the ~hundreds of cluster centres go through proj4. It returns the chain's PNG (bench.ts
// checks pixel by pixel before it measures anything).
import { VectorTile } from '@mapbox/vector-tile'
import { PbfReader } from 'pbf'
import proj4 from 'proj4'
import Supercluster from 'supercluster'
import { PNG } from 'pngjs'

export interface TileAddress { z: number; x: number; y: number }

const WORLD: [number, number, number, number] = [-180, -85, 180, 85]
const EARTH = 2 * Math.PI * 6378137
const toMercator = proj4('EPSG:4326', 'EPSG:3857')

// viridis, 256 × RGB (d3-scale-chromatic's string = round(255 × matplotlib's _viridis_data))
const VIRIDIS_HEX =
  '44015444025645045745055946075a46085c460a5d460b5e470d60470e61471063471164471365481467481668481769' +
  '48186a481a6c481b6d481c6e481d6f481f70482071482173482374482475482576482677482878482979472a7a472c7a' +
  '472d7b472e7c472f7d46307e46327e46337f463480453581453781453882443983443a83443b84433d84433e85423f85' +
  '4240864241864142874144874045884046883f47883f48893e49893e4a893e4c8a3d4d8a3d4e8a3c4f8a3c508b3b518b' +
  '3b528b3a538b3a548c39558c39568c38588c38598c375a8c375b8d365c8d365d8d355e8d355f8d34608d34618d33628d' +
  '33638d32648e32658e31668e31678e31688e30698e306a8e2f6b8e2f6c8e2e6d8e2e6e8e2e6f8e2d708e2d718e2c718e' +
  '2c728e2c738e2b748e2b758e2a768e2a778e2a788e29798e297a8e297b8e287c8e287d8e277e8e277f8e27808e26818e' +
  '26828e26828e25838e25848e25858e24868e24878e23888e23898e238a8d228b8d228c8d228d8d218e8d218f8d21908d' +
  '21918c20928c20928c20938c1f948c1f958b1f968b1f978b1f988b1f998a1f9a8a1e9b8a1e9c891e9d891f9e891f9f88' +
  '1fa0881fa1881fa1871fa28720a38620a48621a58521a68522a78522a88423a98324aa8325ab8225ac8226ad8127ad81' +
  '28ae8029af7f2ab07f2cb17e2db27d2eb37c2fb47c31b57b32b67a34b67935b77937b87838b9773aba763bbb753dbc74' +
  '3fbc7340bd7242be7144bf7046c06f48c16e4ac16d4cc26c4ec36b50c46a52c56954c56856c66758c7655ac8645cc863' +
  '5ec96260ca6063cb5f65cb5e67cc5c69cd5b6ccd5a6ece5870cf5773d05675d05477d1537ad1517cd2507fd34e81d34d' +
  '84d44b86d54989d5488bd6468ed64590d74393d74195d84098d83e9bd93c9dd93ba0da39a2da37a5db36a8db34aadc32' +
  'addc30b0dd2fb2dd2db5de2bb8de29bade28bddf26c0df25c2df23c5e021c8e020cae11fcde11dd0e11cd2e21bd5e21a' +
  'd8e219dae319dde318dfe318e2e418e5e419e7e419eae51aece51befe51cf1e51df4e61ef6e620f8e621fbe723fde725'
const VIRIDIS = Uint8Array.from(VIRIDIS_HEX.match(/../g)!, (h) => parseInt(h, 16))

type PointFeature = { type: 'Feature'; properties: Record<string, never>; geometry: { type: 'Point'; coordinates: [number, number] } }

/** Every point of every layer as lon/lat GeoJSON features (what supercluster takes), as toGeoJSON projects them. */
export function tilePoints(bytes: Uint8Array, t: TileAddress): PointFeature[] {
  const tile = new VectorTile(new PbfReader(bytes))
  const out: PointFeature[] = []
  for (const name in tile.layers) {
    const layer = tile.layers[name]
    const size = layer.extent * 2 ** t.z, x0 = layer.extent * t.x, y0 = layer.extent * t.y
    for (let i = 0; i < layer.length; i++) {
      const f = layer.feature(i)
      if (f.type !== 1) continue
      for (const ring of f.loadGeometry()) {
        for (const p of ring) {
          let lon = ((p.x + x0) * 360) / size - 180
          // the chain's reproject stage (proj4's formulas) wraps longitudes into ±180°: a tile's buffer
          // copies across the antimeridian land on the world again; do the same so the answers agree
          if (Math.abs(lon) > 180) lon -= Math.sign(lon) * 360
          const lat = (360 / Math.PI) * Math.atan(Math.exp((1 - ((p.y + y0) * 2) / size) * Math.PI)) - 90
          out.push({ type: 'Feature', properties: {}, geometry: { type: 'Point', coordinates: [lon, lat] } })
        }
      }
    }
  }
  return out
}

/** Quartic kernel density (radius r pixels) of weighted points in pixel space on a size×size grid, as f32. */
export function kernelSum(px: Float64Array, py: Float64Array, w: Float64Array, size: number, r: number): Float32Array {
  const grid = new Float64Array(size * size)
  const rr = r * r
  for (let k = 0; k < px.length; k++) {
    const x = px[k], y = py[k], wk = w[k]
    const i0 = Math.max(0, Math.floor(x - r)), i1 = Math.min(size - 1, Math.ceil(x + r))
    const j0 = Math.max(0, Math.floor(y - r)), j1 = Math.min(size - 1, Math.ceil(y + r))
    for (let j = j0; j <= j1; j++) {
      const dy = j + 0.5 - y
      for (let i = i0; i <= i1; i++) {
        const dx = i + 0.5 - x
        const d2 = dx * dx + dy * dy
        if (d2 < rr) {
          const q = 1 - d2 / rr
          grid[j * size + i] += wk * q * q
        }
      }
    }
  }
  return Float32Array.from(grid) // the chain's grid holds f32 cells, and colours from them
}

/** viridis RGBA of a grid: t = v / max, index min(255, ⌊256·t⌋), cells equal to 0 transparent. */
export function colourise(grid: Float32Array): Uint8Array {
  let s = 0
  for (const v of grid) if (v > s) s = v
  const rgba = new Uint8Array(grid.length * 4)
  for (let i = 0; i < grid.length; i++) {
    const v = grid[i]
    if (v === 0) continue
    let t = s > 0 ? v / s : 0
    if (!(t > 0)) t = 0
    if (t > 1) t = 1
    const k = Math.min(255, Math.floor(t * 256)) * 3
    rgba[4 * i] = VIRIDIS[k]
    rgba[4 * i + 1] = VIRIDIS[k + 1]
    rgba[4 * i + 2] = VIRIDIS[k + 2]
    rgba[4 * i + 3] = 255
  }
  return rgba
}

/** tile-heatmap in one function: MVT bytes → the heatmap PNG of tile t (radius in pixels, 256×256). */
export function tileHeatmapPng(bytes: Uint8Array, t: TileAddress, radius = 16, size = 256): Buffer {
  const points = tilePoints(bytes, t)
  const index = new Supercluster({ radius: 40, extent: 512, minZoom: 0, maxZoom: 16, minPoints: 2 }).load(points)
  const clusters = index.getClusters(WORLD, t.z)
  const n = clusters.length
  const px = new Float64Array(n), py = new Float64Array(n), w = new Float64Array(n)
  const tiles = 2 ** t.z
  clusters.forEach((c, k) => {
    const [mx, my] = toMercator.forward(c.geometry.coordinates as [number, number])
    px[k] = ((mx / EARTH + 0.5) * tiles - t.x) * size
    py[k] = ((0.5 - my / EARTH) * tiles - t.y) * size
    const props = c.properties as { cluster?: boolean; point_count?: number }
    w[k] = props.cluster ? props.point_count! : 1
  })
  const rgba = colourise(kernelSum(px, py, w, size, radius))
  const png = new PNG({ width: size, height: size, colorType: 6, inputColorType: 6, inputHasAlpha: true })
  png.data = Buffer.from(rgba.buffer, rgba.byteOffset, rgba.byteLength)
  return PNG.sync.write(png, { colorType: 6, inputColorType: 6, inputHasAlpha: true })
}
