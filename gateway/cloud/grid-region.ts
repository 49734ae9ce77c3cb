// Density grids of a tile set as GRID regions, both cell types: f64 (stride 8: what edges send and the cloud sums,
// so the grids of several edges add up exactly to the grid of their union) and f32 (stride 4: what colorize reads
// for one tile's PNG). Extents are EPSG:3857 metres of the tile range, so a region says where its cells are.
import type { Descriptor, RegionMemory } from '../../faaslets/abi/region.js'
import { readGrid, writeGrid } from '../../faaslets/codecs/grid.js'
import { WEB_MERCATOR_HALF as HALF } from '../../faaslets/codecs/world-file.js'
import type { PartialGrid } from '../partials/partial.js'

/** EPSG:3857 bounds of tiles x0..x1, y0..y1 (inclusive, rows from the top) at zoom z. */
export function tileRangeExtent(z: number, x0: number, y0: number, x1: number, y1: number): [number, number, number, number] {
  const span = (2 * HALF) / 2 ** z
  return [-HALF + x0 * span, HALF - (y1 + 1) * span, -HALF + (x1 + 1) * span, HALF - y0 * span]
}

/** Writes f64 cells as a GRID region of `width` × `height` (f64 cells: codecs/grid.ts writes a Float64Array so). */
export function writeGrid64(mem: RegionMemory, cells: Float64Array, width: number, height: number, extent?: [number, number, number, number]): Descriptor {
  return writeGrid(mem, { width, height, values: cells, crs: 3857, extent })
}

/** Writes f32 cells of one tile as a GRID region: colorize's input. */
export function writeTileGrid32(mem: RegionMemory, cells: Float32Array, size: number, tile: { z: number; x: number; y: number }): Descriptor {
  return writeGrid(mem, { width: size, height: size, values: cells, crs: 3857, tile, extent: tileRangeExtent(tile.z, tile.x, tile.y, tile.x, tile.y) })
}

/** A GRID region's cells as f64 (the one copy out), whichever its cell type; with its size. */
export function readGridCells(bytes: Uint8Array, d: Descriptor): { width: number; height: number; cells: Float64Array } {
  const g = readGrid(bytes, d)
  return { width: g.width, height: g.height, cells: g.values instanceof Float64Array ? g.values : Float64Array.from(g.values) }
}

/** One tile's size × size cells cut out of a tile set's mosaic, as f32 (colour needs no more). */
export function cropTile(grid: PartialGrid, size: number, x: number, y: number): Float32Array {
  const out = new Float32Array(size * size)
  const left = (x - grid.x0) * size
  const top = (y - grid.y0) * size
  for (let r = 0; r < size; r++) {
    const from = (top + r) * grid.width + left
    for (let c = 0; c < size; c++) out[r * size + c] = grid.cells[from + c]
  }
  return out
}
