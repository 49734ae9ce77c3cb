// grid-mosaic (fan-in by place): 1..8 GRIDs on one cell size — tiles of one zoom, or mosaics of them —
// placed side by side into one GRID that covers the union of their extents. Each input lands at its cell
// offset from the union's top-left corner, computed from its extent and rounded to a whole cell; cells no
// input covers are 0. The output's extent is the union (the inputs' own numbers, min and max: nothing is
// recomputed, so a mosaic of mosaics has the extent of the mosaic of all its tiles) and its CRS theirs.
//
// Placement by extent makes the gather order-insensitive and associative: any grouping of the tiles, in
// any order, mosaicked and mosaicked again, gives the same cells (a chain gathers more than 8 branches as
// a tree: chains/bind.ts). One grid is returned as it is (its extent, if any, and tile kept).
//
// Cells are f32 or f64, as each input's stride says: the mosaic has f64 cells when any input has them
// (f32 cells widen exactly), else f32 cells — a mosaic of f64 tiles keeps every bit of them.
//
// Refused as malformed input (status 2), with what is wrong: inputs in different CRSs; two or more inputs
// of which one has no finite, non-empty extent; cell sizes that differ; an offset that is not a whole
// number of cells; two inputs that overlap; a stride other than f32's or f64's. A mosaic past the largest
// region: too large (status 5).
//
// "Whole" allows 1e-6 of a cell plus the rounding of the coordinates themselves (2^-46 of their largest
// magnitude, a few dozen ulps): a z30 tile's 256 cells are 0.15 mm wide on coordinates of 2·10^7 m.
import { alloc, enter, fail, inputCount, inputLen, inputPtr, output, paramCount } from "./lib/ctx";
import {
  byteLength, check, count, create, crs, data, height, kind, sectionCount, setExtent, setSize, setTile, stride,
  tileX, tileY, tileZ, width,
} from "./lib/region";
import { badStride, cellBytes } from "./lib/grid";
import {
  ABI_VERSION, CTX_MAX_INPUTS, GRID_STRIDE, GRID_STRIDE_F64, HDR_MAGIC, HDR_MAX_X, HDR_MAX_Y, HDR_MIN_X, HDR_MIN_Y, HEADER_SIZE,
  KIND_GRID, REGION_MAGIC, SEC_MAIN, STATUS_BAD_INPUT_KIND, STATUS_BAD_PARAM, STATUS_MALFORMED_INPUT, STATUS_OK, STATUS_TOO_LARGE,
} from "../abi/layout";

// the largest main table lib/region's create() makes a region for
const MAX_TABLE_BYTES: f64 = <f64>(0x7fff0000 - HEADER_SIZE);
const CELL_TOLERANCE: f64 = 1e-6;
const COORD_TOLERANCE: f64 = 1.4210854715202004e-14; // 2^-46

export function gr_abi_version(): i32 { return ABI_VERSION; }

function at(i: u32): string { return "input " + i.toString(); }
function minX(r: usize): f64 { return load<f64>(r + HDR_MIN_X); }
function minY(r: usize): f64 { return load<f64>(r + HDR_MIN_Y); }
function maxX(r: usize): f64 { return load<f64>(r + HDR_MAX_X); }
function maxY(r: usize): f64 { return load<f64>(r + HDR_MAX_Y); }
function isNumber(v: f64): bool { return v - v == 0; }

export function gr_run(ctx: usize): i32 {
  enter(ctx);
  if (paramCount(ctx) != 0) return fail(ctx, STATUS_BAD_PARAM, "grid-mosaic takes no parameters, got " + paramCount(ctx).toString() + " slots");
  const k = inputCount(ctx);
  if (k < 1 || k > <u32>CTX_MAX_INPUTS) return fail(ctx, STATUS_BAD_INPUT_KIND, "grid-mosaic takes 1 to 8 grids, got " + k.toString());
  const first = inputPtr(ctx, 0);
  let outBytes: u32 = GRID_STRIDE; // GRID_STRIDE_F64 once an input has f64 cells
  for (let i: u32 = 0; i < k; i++) {
    const r = inputPtr(ctx, i), len = inputLen(ctx, i);
    if (len < <usize>HEADER_SIZE || load<u32>(r + HDR_MAGIC) != REGION_MAGIC) return fail(ctx, STATUS_MALFORMED_INPUT, at(i) + " is not a region (shorter than a header or bad magic)");
    if (kind(r) != KIND_GRID) return fail(ctx, STATUS_BAD_INPUT_KIND, at(i) + ": grid-mosaic takes grid regions (kind 5), got kind " + kind(r).toString());
    const bytes = cellBytes(r);
    if (bytes == 0) return fail(ctx, STATUS_MALFORMED_INPUT, at(i) + ": " + badStride(r));
    if (bytes == GRID_STRIDE_F64) outBytes = GRID_STRIDE_F64;
    const why = check(r, len, KIND_GRID, [bytes]);
    if (why.length > 0) return fail(ctx, STATUS_MALFORMED_INPUT, at(i) + ": " + why);
    if (count(r) != sectionCount(r, SEC_MAIN)) return fail(ctx, STATUS_MALFORMED_INPUT, at(i) + ": record count disagrees with the main table");
    if (width(r) == 0 || height(r) == 0 || <u64>count(r) != <u64>width(r) * <u64>height(r)) {
      return fail(ctx, STATUS_MALFORMED_INPUT, at(i) + ": " + count(r).toString() + " cells for a " + width(r).toString() + "×" + height(r).toString() + " grid");
    }
    if (crs(r) != crs(first)) return fail(ctx, STATUS_MALFORMED_INPUT, at(i) + " is in EPSG:" + crs(r).toString() + ", input 0 in EPSG:" + crs(first).toString() + ": a mosaic needs one CRS");
  }
  if (k == 1) return single(ctx, first);

  // the union, and the largest coordinate (for the rounding allowance)
  let uMinX = Infinity, uMinY = Infinity, uMaxX = -Infinity, uMaxY = -Infinity, magnitude = 0.0;
  for (let i: u32 = 0; i < k; i++) {
    const r = inputPtr(ctx, i);
    const x0 = minX(r), y0 = minY(r), x1 = maxX(r), y1 = maxY(r);
    if (!(isNumber(x0) && isNumber(y0) && isNumber(x1) && isNumber(y1) && x1 > x0 && y1 > y0)) {
      return fail(ctx, STATUS_MALFORMED_INPUT, at(i) + " has no extent (or an empty one): a mosaic places grids by their extents");
    }
    uMinX = Math.min(uMinX, x0); uMinY = Math.min(uMinY, y0); uMaxX = Math.max(uMaxX, x1); uMaxY = Math.max(uMaxY, y1);
    magnitude = Math.max(magnitude, Math.max(Math.max(Math.abs(x0), Math.abs(x1)), Math.max(Math.abs(y0), Math.abs(y1))));
  }
  // the cell size: input 0's
  const cw = (maxX(first) - minX(first)) / <f64>width(first), ch = (maxY(first) - minY(first)) / <f64>height(first);
  if (!(cw > 0 && ch > 0 && isNumber(cw) && isNumber(ch))) return fail(ctx, STATUS_MALFORMED_INPUT, "input 0's cells have no size");
  const tolX = CELL_TOLERANCE + COORD_TOLERANCE * magnitude / cw, tolY = CELL_TOLERANCE + COORD_TOLERANCE * magnitude / ch;

  // each input's offset in cells from the union's top-left corner (columns east, rows south)
  const offsets = alloc(<usize>k * 16, 8);
  let cols = 0.0, rows = 0.0;
  for (let i: u32 = 0; i < k; i++) {
    const r = inputPtr(ctx, i);
    const w = <f64>width(r), h = <f64>height(r);
    const sx = (maxX(r) - minX(r)) / cw, sy = (maxY(r) - minY(r)) / ch;
    if (!(Math.abs(sx - w) <= tolX && Math.abs(sy - h) <= tolY)) {
      return fail(ctx, STATUS_MALFORMED_INPUT, at(i) + "'s cells are " + ((maxX(r) - minX(r)) / w).toString() + " × " + ((maxY(r) - minY(r)) / h).toString() + ", input 0's " + cw.toString() + " × " + ch.toString() + ": a mosaic needs one cell size");
    }
    const fx = (minX(r) - uMinX) / cw, fy = (uMaxY - maxY(r)) / ch;
    const ox = Math.round(fx), oy = Math.round(fy);
    if (!(Math.abs(fx - ox) <= tolX && Math.abs(fy - oy) <= tolY)) {
      return fail(ctx, STATUS_MALFORMED_INPUT, at(i) + " lies " + fx.toString() + " cells east and " + fy.toString() + " cells south of the mosaic's corner: offsets must be whole cells");
    }
    store<f64>(offsets + <usize>i * 16, ox);
    store<f64>(offsets + <usize>i * 16 + 8, oy);
    cols = Math.max(cols, ox + w);
    rows = Math.max(rows, oy + h);
  }
  // f64 until the size is known to fit: offsets of far-apart extents can be any size
  if (!(cols * rows * <f64>outBytes <= MAX_TABLE_BYTES)) {
    return fail(ctx, STATUS_TOO_LARGE, "the mosaic would be " + cols.toString() + " × " + rows.toString() + " cells, more than one region holds");
  }
  for (let i: u32 = 0; i < k; i++) {
    for (let j: u32 = 0; j < i; j++) {
      const a = inputPtr(ctx, i), b = inputPtr(ctx, j);
      const ax = load<f64>(offsets + <usize>i * 16), ay = load<f64>(offsets + <usize>i * 16 + 8);
      const bx = load<f64>(offsets + <usize>j * 16), by = load<f64>(offsets + <usize>j * 16 + 8);
      const wide = Math.min(ax + <f64>width(a), bx + <f64>width(b)) - Math.max(ax, bx);
      const tall = Math.min(ay + <f64>height(a), by + <f64>height(b)) - Math.max(ay, by);
      if (wide > 0 && tall > 0) {
        return fail(ctx, STATUS_MALFORMED_INPUT, at(i) + " overlaps " + at(j) + " on " + (<i64>wide).toString() + " × " + (<i64>tall).toString() + " cells: a mosaic places each cell once");
      }
    }
  }

  const W = <u32>cols, H = <u32>rows, cells = W * H;
  const out = create(KIND_GRID, cells, outBytes, crs(first), [<u64>cells * outBytes], [cells]);
  setSize(out, W, H);
  setExtent(out, uMinX, uMinY, uMaxX, uMaxY);
  const dst = data(out);
  memory.fill(dst, 0, <usize>cells * outBytes);
  for (let i: u32 = 0; i < k; i++) {
    const r = inputPtr(ctx, i);
    const w = width(r), h = height(r), bytes = stride(r);
    const ox = <u32>load<f64>(offsets + <usize>i * 16), oy = <u32>load<f64>(offsets + <usize>i * 16 + 8);
    const src = data(r), rowBytes = <usize>w * bytes;
    for (let y: u32 = 0; y < h; y++) {
      const to = dst + (<usize>(oy + y) * <usize>W + <usize>ox) * outBytes, from = src + <usize>y * rowBytes;
      if (bytes == outBytes) memory.copy(to, from, rowBytes);
      else for (let c: usize = 0; c < <usize>w; c++) store<f64>(to + (c << 3), <f64>load<f32>(from + (c << 2))); // f32 into an f64 mosaic
    }
  }
  output(ctx, out, <usize>byteLength(out));
  return STATUS_OK;
}

/** A mosaic of one grid: the grid, with its extent (if any), tile, CRS and cell type. */
function single(ctx: usize, r: usize): i32 {
  const cells = count(r), bytes = stride(r);
  const out = create(KIND_GRID, cells, bytes, crs(r), [<u64>cells * bytes], [cells]);
  setSize(out, width(r), height(r));
  setTile(out, tileZ(r), tileX(r), tileY(r));
  setExtent(out, minX(r), minY(r), maxX(r), maxY(r));
  memory.copy(data(out), data(r), <usize>cells * bytes);
  output(ctx, out, <usize>byteLength(out));
  return STATUS_OK;
}
