// Where a GRID or IMAGE region lies on the earth, as sidecar files GIS tools read beside a PNG: the six-line
// ESRI world file (.pgw, .tfw, .wld), which carries the affine georeference only, and a GDAL PAM
// `<name>.png.aux.xml` that names the CRS. No `.prj`: GDAL, and so QGIS, ignores a .prj beside a PNG
// (checked with gdal3.js 2.8.1 / GDAL 3.8.4) but reads the CRS from the .aux.xml.
//
// placement() is shared with the GeoTIFF writer: a region's extent is the bounds of its cells; a tile region
// without one (a .grid.json that names only its tile) lies on its Web Mercator tile.
import * as L from '../abi/layout.js'
import { checkRegion, type Descriptor } from '../abi/region.js'
import { fail } from '../../errors/index.js'
import type { TileId } from './grid.js'

/** [minX, minY, maxX, maxY] in crs units: the outer edges of the cells, not their centres. */
export type Extent = [number, number, number, number]

export interface Placement {
  width: number
  height: number
  extent: Extent
  /** EPSG code; 0 = unknown (a world file still places the raster, the user names the CRS) */
  crs: number
}

/** What a grid or image says about itself (Grid, Image and GridJson all fit). */
export interface Placeable {
  width: number
  height: number
  extent?: Extent
  tile?: TileId
  crs?: number
}

/** Half the side of the Web Mercator square, π · 6378137 m (the spherical earth's radius). */
export const WEB_MERCATOR_HALF = Math.PI * 6378137

/** Bounds of XYZ tile z/x/y in EPSG:3857 metres (y counts rows from the north). */
export function tileExtent(z: number, x: number, y: number): Extent {
  const side = (2 * WEB_MERCATOR_HALF) / 2 ** z
  return [-WEB_MERCATOR_HALF + x * side, WEB_MERCATOR_HALF - (y + 1) * side, -WEB_MERCATOR_HALF + (x + 1) * side, WEB_MERCATOR_HALF - y * side]
}

/**
 * Extent and CRS of a grid or image: its own extent when it has one, else its tile's Web Mercator bounds
 * (only when its crs is 3857 or unset: a tile is a Web Mercator square). Throws E_BAD_FORMAT when it
 * cannot be placed. `what` names the output in the message.
 */
export function placement(r: Placeable, what = 'world file'): Placement {
  let crs = r.crs ?? 0
  let extent = r.extent
  if (!extent && r.tile && (crs === 0 || crs === 3857)) {
    extent = tileExtent(r.tile.z, r.tile.x, r.tile.y)
    crs = 3857
  }
  if (!extent) throw fail('E_BAD_FORMAT', what, 'the region has neither an extent nor a Web Mercator tile, so it has no place on the map')
  const [minX, minY, maxX, maxY] = extent
  if (!extent.every(Number.isFinite) || !(minX < maxX && minY < maxY)) {
    throw fail('E_BAD_FORMAT', what, `extent [${extent.join(', ')}] is not a finite box with min < max`)
  }
  return { width: r.width, height: r.height, extent: [minX, minY, maxX, maxY], crs }
}

/** Placement of a GRID or IMAGE region, from its header alone (no pixels are copied). */
export function placeRegion(bytes: Uint8Array, d: Descriptor, what = 'world file'): Placement {
  const h = checkRegion(new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength), d.ptr, d.len)
  if (h.kind !== L.KIND_GRID && h.kind !== L.KIND_IMAGE) throw fail('E_BAD_FORMAT', what, `a region of kind ${h.kind} is not a grid or an image`)
  if (h.width < 1 || h.height < 1) throw fail('E_BAD_REGION', `a ${h.width}×${h.height} raster has no cells`)
  const r: Placeable = { width: h.width, height: h.height, crs: h.crs }
  if ([h.minX, h.minY, h.maxX, h.maxY].every(Number.isFinite)) r.extent = [h.minX, h.minY, h.maxX, h.maxY]
  if (h.tileZ >= 0) r.tile = { z: h.tileZ, x: h.tileX, y: h.tileY }
  return placement(r, what)
}

/**
 * The ESRI world file of a width × height raster covering `extent` (north up):
 *   pixel width, 0 (row rotation), 0 (column rotation), −pixel height,
 *   x and y of the CENTRE of the top-left pixel
 * one per line, each number written so it reads back to the same double.
 */
export function worldFile(extent: Extent, width: number, height: number): string {
  const [minX, minY, maxX, maxY] = extent
  if (!(Number.isInteger(width) && width > 0 && Number.isInteger(height) && height > 0)) {
    throw fail('E_BAD_FORMAT', 'world file', `a raster of ${width}×${height} pixels`)
  }
  const sx = (maxX - minX) / width
  const sy = (maxY - minY) / height
  return [sx, 0, 0, -sy, minX + sx / 2, maxY - sy / 2].map(decimal).join('\n') + '\n'
}

/** Where the world file of `path` goes: the extension's first and last letters + "w" (heat.png → heat.pgw). */
export function worldFilePath(path: string): string {
  const m = /\.([^./\\]+)$/.exec(path)
  if (!m) return path + '.wld'
  const ext = m[1]
  return path.slice(0, -ext.length) + (ext.length >= 2 ? ext[0] + ext[ext.length - 1] + 'w' : 'wld')
}

// What GDAL 3.8.4 writes for these CRSs in its own .aux.xml / .vrt (OGR's WKT1 with EPSG authorities), so
// GDAL identifies the code exactly; dataAxisToSRSAxisMapping maps the file's x, y onto the CRS's axes
// (EPSG:4326 is latitude-first, the raster's x is longitude).
const PAM_SRS: Record<number, { mapping: string; wkt: string }> = {
  3857: {
    mapping: '1,2',
    wkt: 'PROJCS["WGS 84 / Pseudo-Mercator",GEOGCS["WGS 84",DATUM["WGS_1984",SPHEROID["WGS 84",6378137,298.257223563,AUTHORITY["EPSG","7030"]],AUTHORITY["EPSG","6326"]],PRIMEM["Greenwich",0,AUTHORITY["EPSG","8901"]],UNIT["degree",0.0174532925199433,AUTHORITY["EPSG","9122"]],AUTHORITY["EPSG","4326"]],PROJECTION["Mercator_1SP"],PARAMETER["central_meridian",0],PARAMETER["scale_factor",1],PARAMETER["false_easting",0],PARAMETER["false_northing",0],UNIT["metre",1,AUTHORITY["EPSG","9001"]],AXIS["Easting",EAST],AXIS["Northing",NORTH],EXTENSION["PROJ4","+proj=merc +a=6378137 +b=6378137 +lat_ts=0 +lon_0=0 +x_0=0 +y_0=0 +k=1 +units=m +nadgrids=@null +wktext +no_defs"],AUTHORITY["EPSG","3857"]]',
  },
  4326: {
    mapping: '2,1',
    wkt: 'GEOGCS["WGS 84",DATUM["WGS_1984",SPHEROID["WGS 84",6378137,298.257223563,AUTHORITY["EPSG","7030"]],AUTHORITY["EPSG","6326"]],PRIMEM["Greenwich",0,AUTHORITY["EPSG","8901"]],UNIT["degree",0.0174532925199433,AUTHORITY["EPSG","9122"]],AXIS["Latitude",NORTH],AXIS["Longitude",EAST],AUTHORITY["EPSG","4326"]]',
  },
}

/**
 * GDAL PAM sidecar (`<image file name>.aux.xml`, e.g. heat.png.aux.xml) naming the CRS, for EPSG:3857 and
 * EPSG:4326; null for any other code (set the layer's CRS by hand then: the world file still places it).
 */
export function auxXml(crs: number): string | null {
  const srs = PAM_SRS[crs]
  if (!srs) return null
  const wkt = srs.wkt.replace(/&/g, '&amp;').replace(/</g, '&lt;')
  return `<PAMDataset>\n  <SRS dataAxisToSRSAxisMapping="${srs.mapping}">${wkt}</SRS>\n</PAMDataset>\n`
}

/** Shortest round-trip decimal, never in exponent form (world file readers differ on "1e-7"). */
function decimal(n: number): string {
  const s = String(n === 0 ? 0 : n)
  if (!/e/i.test(s)) return s
  // enough fraction digits for 17 significant ones; toFixed writes the double's exact decimal expansion
  const digits = Math.min(100, Math.max(0, 17 - Math.floor(Math.log10(Math.abs(n)))))
  return n.toFixed(digits).replace(/(\.\d*?)0+$/, '$1').replace(/\.$/, '')
}
