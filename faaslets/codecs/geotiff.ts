// GRID region → single-band Float32 GeoTIFF (Float64 for a grid of f64 cells: BitsPerSample 64, the cells
// bit for bit) that GIS tools place: baseline TIFF 6.0 (little-endian, uncompressed strips, SampleFormat
// IEEE float) plus the GeoTIFF 1.0 georeference — ModelPixelScale, ModelTiepoint (raster (0, 0),
// the top-left corner of the top-left cell, ↔ (minX, maxY)) and GeoKeys GTModelType, GTRasterType =
// PixelIsArea and the EPSG code (ProjectedCSType, or GeographicType for EPSG:4326).
//
// Written here, not with geotiff.js 3.0.5's writeArrayBuffer: that one always adds an ExtraSamples entry of
// count 0 and a Software tag, puts the pixels at a fixed offset 1000 (a longer IFD would be cut short
// without a word) and encodes cell by cell (5.8 s for a 4096² grid). The file is a function of the grid
// alone: no date, no software name, the same bytes every time.
//
// No NoData tag: every cell of a grid is a value (0 is zero density or count; NaN, from a NaN weight, stays
// NaN, which GDAL reads as NaN).
import { fail } from '../../errors/index.js'
import type { Descriptor } from '../abi/region.js'
import { readGrid, type Grid } from './grid.js'
import { placement } from './world-file.js'

/** The media type OGC's GeoTIFF standard registers. */
export const GEOTIFF_MEDIA_TYPE = 'image/tiff; application=geotiff'

const SHORT = 3
const LONG = 4
const DOUBLE = 12
const TYPE_BYTES: Record<number, number> = { [SHORT]: 2, [LONG]: 4, [DOUBLE]: 8 }

// GeoKey values (GeoTIFF 1.0 §6.3)
const MODEL_PROJECTED = 1
const MODEL_GEOGRAPHIC = 2
const RASTER_PIXEL_IS_AREA = 1

/** Strips of about 8 KiB, as libtiff recommends and GDAL writes: a reader fetches a few rows at a time. */
const STRIP_TARGET_BYTES = 8192

interface Entry { tag: number; type: number; values: number[]; offset?: number }

/**
 * 4001–4999 is EPSG's block of geographic CRSs (4326 the one the faaslets use); any other code a SHORT GeoKey
 * holds (1024–32766; 32767 means user-defined) is taken as projected, as every other CRS reproject writes is.
 */
function modelType(crs: number): number {
  if (crs >= 4001 && crs <= 4999) return MODEL_GEOGRAPHIC
  if (crs >= 1024 && crs <= 32766) return MODEL_PROJECTED
  throw fail('E_BAD_FORMAT', 'geotiff', crs === 0 ? 'the grid has no crs, so a GeoTIFF could not say where it lies' : `EPSG:${crs} is not an EPSG code a GeoTIFF key can hold`)
}

/** GRID region → GeoTIFF bytes (the one copy out). */
export function gridToGeoTiff(bytes: Uint8Array, d: Descriptor): Uint8Array {
  return encodeGeoTiff(readGrid(bytes, d))
}

/** A grid with an extent (or a Web Mercator tile) and a crs → GeoTIFF bytes. */
export function encodeGeoTiff(g: Grid): Uint8Array {
  const { width, height, extent: [minX, minY, maxX, maxY], crs } = placement(g, 'geotiff')
  const model = modelType(crs)
  if (g.values.length !== width * height) throw fail('E_BAD_FORMAT', 'geotiff', `${width}×${height} needs ${width * height} values, got ${g.values.length}`)
  const sampleBytes = g.values.BYTES_PER_ELEMENT // 4 or 8: f32 or f64 cells
  const rowBytes = width * sampleBytes
  const rowsPerStrip = Math.min(height, Math.max(1, Math.floor(STRIP_TARGET_BYTES / rowBytes)))
  const strips = Math.ceil(height / rowsPerStrip)
  const geoKeys = [
    1, 1, 0, 3, // directory version 1, key revision 1.0, 3 keys; then {key, location 0 = value here, count 1, value}
    1024, 0, 1, model,
    1025, 0, 1, RASTER_PIXEL_IS_AREA,
    model === MODEL_GEOGRAPHIC ? 2048 : 3072, 0, 1, crs, // GeographicTypeGeoKey / ProjectedCSTypeGeoKey
  ]
  // in ascending tag order, as TIFF requires
  const entries: Entry[] = [
    { tag: 256, type: LONG, values: [width] }, // ImageWidth
    { tag: 257, type: LONG, values: [height] }, // ImageLength
    { tag: 258, type: SHORT, values: [sampleBytes * 8] }, // BitsPerSample
    { tag: 259, type: SHORT, values: [1] }, // Compression: none
    { tag: 262, type: SHORT, values: [1] }, // PhotometricInterpretation: BlackIsZero
    { tag: 273, type: LONG, values: new Array(strips).fill(0) }, // StripOffsets, filled in below
    { tag: 277, type: SHORT, values: [1] }, // SamplesPerPixel
    { tag: 278, type: LONG, values: [rowsPerStrip] }, // RowsPerStrip
    { tag: 279, type: LONG, values: Array.from({ length: strips }, (_, s) => Math.min(rowsPerStrip, height - s * rowsPerStrip) * rowBytes) }, // StripByteCounts
    { tag: 284, type: SHORT, values: [1] }, // PlanarConfiguration: chunky
    { tag: 339, type: SHORT, values: [3] }, // SampleFormat: IEEE float
    { tag: 33550, type: DOUBLE, values: [(maxX - minX) / width, (maxY - minY) / height, 0] }, // ModelPixelScale
    { tag: 33922, type: DOUBLE, values: [0, 0, 0, minX, maxY, 0] }, // ModelTiepoint
    { tag: 34735, type: SHORT, values: geoKeys }, // GeoKeyDirectory
  ]

  // layout: header (8) | IFD | values too long for an entry, 8-aligned | pixels, 8-aligned
  const ifdBytes = 2 + entries.length * 12 + 4
  let at = 8 + ifdBytes
  for (const e of entries) {
    const size = e.values.length * TYPE_BYTES[e.type]
    if (size > 4) { at = align8(at); e.offset = at; at += size }
  }
  const dataOffset = align8(at)
  const total = dataOffset + height * rowBytes
  if (total > 0xffffffff) throw fail('E_BAD_FORMAT', 'geotiff', `${width}×${height} cells need BigTIFF (over 4 GiB)`)
  const stripOffsets = entries.find((e) => e.tag === 273)!
  stripOffsets.values = stripOffsets.values.map((_, s) => dataOffset + s * rowsPerStrip * rowBytes)

  const out = new Uint8Array(total)
  const dv = new DataView(out.buffer)
  out.set([0x49, 0x49]) // "II": little-endian
  dv.setUint16(2, 42, true)
  dv.setUint32(4, 8, true)
  dv.setUint16(8, entries.length, true)
  entries.forEach((e, i) => {
    const p = 10 + i * 12
    dv.setUint16(p, e.tag, true)
    dv.setUint16(p + 2, e.type, true)
    dv.setUint32(p + 4, e.values.length, true)
    if (e.offset !== undefined) dv.setUint32(p + 8, e.offset, true)
    writeValues(dv, e.offset ?? p + 8, e)
  })
  // next-IFD offset 0 (one image) is already 0
  // the grid's cells, row-major from the top-left, are the strips in order; the host is little-endian
  // like the arena they came from (readGrid views it as a Float32Array or Float64Array too)
  out.set(new Uint8Array(g.values.buffer, g.values.byteOffset, width * height * sampleBytes), dataOffset)
  return out
}

function writeValues(dv: DataView, at: number, e: Entry): void {
  e.values.forEach((v, i) => {
    if (e.type === SHORT) dv.setUint16(at + i * 2, v, true)
    else if (e.type === LONG) dv.setUint32(at + i * 4, v, true)
    else dv.setFloat64(at + i * 8, v, true)
  })
}

const align8 = (n: number) => Math.ceil(n / 8) * 8
