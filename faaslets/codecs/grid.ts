// GRID regions ↔ `.grid.json` ({width, height, values}, values row-major from the top-left; the tile,
// extent and crs ride along when the region has them, and `"cells": "f64"` when its cells are f64: a JSON
// number is a double, so every finite f64 cell but −0 round-trips bit for bit) and IMAGE regions ↔ PNG
// (RGBA, pngjs 7). A grid's cells are f32 or f64 (layout.ts): a Float32Array or a Float64Array here,
// never one read as the other.
// Region-level (gridToJson, writeGridJson, imageToPng, pngToImage) for the CLI/HTTP boundary, and
// object-level (readGrid/writeGrid, readImage/writeImage, encodePng/decodePng) for tests and tools.
import { PNG } from 'pngjs'
import * as L from '../abi/layout.js'
import { checkRegion, createRegion, type Descriptor, type RegionHeader, type RegionMemory } from '../abi/region.js'
import { fail } from '../../errors/index.js'

export interface TileId { z: number; x: number; y: number }

/** A grid's cells: f32 (stride GRID_STRIDE) or f64 (GRID_STRIDE_F64). */
export type GridCells = Float32Array | Float64Array

export interface Grid {
  width: number
  height: number
  /** width × height cells, row-major from the top-left; a Float64Array is written as an f64 grid */
  values: GridCells
  tile?: TileId
  /** [minX, minY, maxX, maxY] in `crs` units (the tile bounds in EPSG:3857 metres for a heatmap) */
  extent?: [number, number, number, number]
  crs?: number
}

export interface Image {
  width: number
  height: number
  /** width × height RGBA pixels, row-major from the top-left */
  rgba: Uint8Array
  tile?: TileId
  extent?: [number, number, number, number]
  crs?: number
}

/** The JSON form of a grid (.grid.json). */
export interface GridJson {
  width: number
  height: number
  values: number[]
  /** the cell type; absent: f32 */
  cells?: 'f32' | 'f64'
  tile?: TileId
  extent?: [number, number, number, number]
  crs?: number
}

function header(bytes: Uint8Array, d: Descriptor, kind: number, what: string): RegionHeader {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const h = checkRegion(dv, d.ptr, d.len)
  if (h.kind !== kind) throw fail('E_BAD_REGION', `expected ${what} region, got kind ${h.kind}`)
  // both sides ≥ 1: a 0 × 4294967295 "grid" of 0 cells passes the count check but no encoder takes it
  if (h.width < 1 || h.height < 1 || h.count !== h.width * h.height) throw fail('E_BAD_REGION', `${what} of ${h.width}×${h.height} holds ${h.count} cells`)
  return h
}

function placement(h: RegionHeader): Pick<Grid, 'tile' | 'extent' | 'crs'> {
  const out: Pick<Grid, 'tile' | 'extent' | 'crs'> = {}
  if (h.tileZ >= 0) out.tile = { z: h.tileZ, x: h.tileX, y: h.tileY }
  if ([h.minX, h.minY, h.maxX, h.maxY].every(Number.isFinite)) out.extent = [h.minX, h.minY, h.maxX, h.maxY]
  if (h.crs !== 0) out.crs = h.crs
  return out
}

/** Reads a GRID region out (the one copy out): f32 cells as a Float32Array, f64 cells as a Float64Array. */
export function readGrid(bytes: Uint8Array, d: Descriptor): Grid {
  const h = header(bytes, d, L.KIND_GRID, 'a grid')
  const start = d.ptr + h.sections[0].offset
  // checkRegion allows these two strides only
  const values = h.stride === L.GRID_STRIDE_F64 ? new Float64Array(h.count) : new Float32Array(h.count)
  new Uint8Array(values.buffer).set(bytes.subarray(start, start + values.byteLength))
  return { width: h.width, height: h.height, values, ...placement(h) }
}

/** Writes a grid into a new GRID region: f64 cells for a Float64Array, else f32. */
export function writeGrid(mem: RegionMemory, g: Grid): Descriptor {
  const n = g.width * g.height
  if (g.values.length !== n) throw fail('E_BAD_FORMAT', 'grid', `${g.width}×${g.height} needs ${n} values, got ${g.values.length}`)
  const wide = g.values instanceof Float64Array
  const stride = wide ? L.GRID_STRIDE_F64 : L.GRID_STRIDE
  const r = createRegion(mem, {
    kind: L.KIND_GRID, count: n, stride, crs: g.crs ?? 0, width: g.width, height: g.height,
    tile: g.tile, extent: g.extent, sections: [{ bytes: n * stride, count: n }],
  })
  if (wide) new Float64Array(mem.bytes().buffer, r.sectionPtrs[0], n).set(g.values)
  else new Float32Array(mem.bytes().buffer, r.sectionPtrs[0], n).set(g.values)
  return { ptr: r.ptr, len: r.len }
}

/** GRID region → .grid.json object (the one copy out). */
export function gridToJson(bytes: Uint8Array, d: Descriptor): GridJson {
  const g = readGrid(bytes, d)
  const out: GridJson = { width: g.width, height: g.height, values: Array.from(g.values) }
  if (g.values instanceof Float64Array) out.cells = 'f64'
  if (g.tile) out.tile = g.tile
  if (g.extent) out.extent = g.extent
  if (g.crs !== undefined) out.crs = g.crs
  return out
}

/** .grid.json object (parsed JSON) → a new GRID region. */
export function writeGridJson(mem: RegionMemory, json: unknown): Descriptor {
  return writeGrid(mem, gridFromJson(json))
}

/** Validates a parsed .grid.json: positive integer width and height, width × height finite values, cells f32 (default) or f64. */
export function gridFromJson(json: unknown): Grid {
  const j = json as Partial<GridJson> | null
  const positiveInt = (v: unknown) => typeof v === 'number' && Number.isInteger(v) && v > 0
  if (!j || typeof j !== 'object' || !positiveInt(j.width) || !positiveInt(j.height) || !Array.isArray(j.values)) {
    throw fail('E_BAD_FORMAT', 'grid.json', 'expected {width, height, values} with positive integer width and height')
  }
  const n = j.width! * j.height!
  if (j.values.length !== n) throw fail('E_BAD_FORMAT', 'grid.json', `${j.width}×${j.height} needs ${n} values, got ${j.values.length}`)
  if (j.cells !== undefined && j.cells !== 'f32' && j.cells !== 'f64') throw fail('E_BAD_FORMAT', 'grid.json', `cells is "f32" or "f64", got ${JSON.stringify(j.cells)}`)
  const values = j.cells === 'f64' ? new Float64Array(n) : new Float32Array(n)
  j.values.forEach((v, i) => {
    if (typeof v !== 'number' || !Number.isFinite(v)) throw fail('E_BAD_FORMAT', 'grid.json', `values[${i}] is not a finite number`)
    values[i] = v
  })
  const g: Grid = { width: j.width!, height: j.height!, values }
  const tile = j.tile as Partial<TileId> | undefined
  if (tile && [tile.z, tile.x, tile.y].every((v) => Number.isInteger(v) && v! >= 0)) g.tile = { z: tile.z!, x: tile.x!, y: tile.y! }
  if (Array.isArray(j.extent) && j.extent.length === 4 && j.extent.every(Number.isFinite)) g.extent = [j.extent[0], j.extent[1], j.extent[2], j.extent[3]]
  if (Number.isInteger(j.crs)) g.crs = j.crs
  return g
}

/** Reads an IMAGE region out (the one copy out). */
export function readImage(bytes: Uint8Array, d: Descriptor): Image {
  const h = header(bytes, d, L.KIND_IMAGE, 'an image')
  const start = bytes.byteOffset + d.ptr + h.sections[0].offset
  return { width: h.width, height: h.height, rgba: bytes.slice(start, start + h.count * L.IMAGE_STRIDE), ...placement(h) }
}

/** Writes RGBA pixels into a new IMAGE region. */
export function writeImage(mem: RegionMemory, img: Image): Descriptor {
  const n = img.width * img.height
  if (img.rgba.length !== n * 4) throw fail('E_BAD_FORMAT', 'image', `${img.width}×${img.height} needs ${n * 4} RGBA bytes, got ${img.rgba.length}`)
  const r = createRegion(mem, {
    kind: L.KIND_IMAGE, count: n, stride: L.IMAGE_STRIDE, crs: img.crs ?? 0, width: img.width, height: img.height,
    tile: img.tile, extent: img.extent, sections: [{ bytes: n * L.IMAGE_STRIDE, count: n }],
  })
  mem.bytes().set(img.rgba, r.sectionPtrs[0])
  return { ptr: r.ptr, len: r.len }
}

/** IMAGE region → RGBA PNG bytes (pngjs). */
export function imageToPng(bytes: Uint8Array, d: Descriptor): Uint8Array {
  return encodePng(readImage(bytes, d))
}

/** PNG bytes (any colour type pngjs reads) → a new IMAGE region of RGBA pixels. */
export function pngToImage(mem: RegionMemory, png: Uint8Array): Descriptor {
  return writeImage(mem, decodePng(png))
}

export function encodePng(img: Image): Buffer {
  const png = new PNG({ width: img.width, height: img.height, colorType: 6, inputColorType: 6, inputHasAlpha: true })
  png.data = Buffer.from(img.rgba.buffer, img.rgba.byteOffset, img.rgba.byteLength)
  // one filter (Paeth) for every row: pngjs's default tries all five per row, three times the cost for
  // a file no smaller on heatmap tiles (6.1 → 2.1 ms, 24.0 → 23.6 KB on a 256² tile)
  return PNG.sync.write(png, { colorType: 6, inputColorType: 6, inputHasAlpha: true, filterType: 4 })
}

export function decodePng(bytes: Uint8Array): Image {
  let png: PNG
  try {
    png = PNG.sync.read(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength))
  } catch (e) {
    throw fail('E_BAD_FORMAT', 'png', (e as Error).message)
  }
  return { width: png.width, height: png.height, rgba: new Uint8Array(png.data.buffer, png.data.byteOffset, png.data.byteLength) }
}
