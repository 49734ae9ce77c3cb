// grid-combine (fan-in): combines 2..8 GRIDs of one width × height cell by cell:
//   sum         g0 + g1 + … + gk            (left to right)
//   difference  g0 − (g1 + … + gk)          (the first minus the sum of the rest)
//   max, min    the largest / smallest value (NaN if any value is NaN)
//   mean        (g0 + g1 + … + gk) / count
//   blend       a·g0 + b·g1                 (exactly two grids)
// in f64 from the cells, f32 or f64 (mixed: an f32 cell widens exactly). The output has f64 cells when any
// input has them, else f32 cells, each rounded once from the f64 result. Two cells at a time as one f64x2
// vector. The output takes width, height, crs, tile and extent from the first grid.
//
// Params (manifest order): op (0 sum, 1 difference, 2 max, 3 min, 4 mean, 5 blend), a, b.
// Grids of different sizes, or with a stride other than f32's or f64's, are refused as malformed input
// (status 2); fewer than two grids, or blend without exactly two, as a bad input count (status 1).
import { alloc, enter, fail, inputCount, inputLen, inputPtr, output, param, paramCount } from "./lib/ctx";
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
const MAX_TABLE_BYTES: u64 = 0x7fff0000 - HEADER_SIZE;

const OP_SUM = 0;
const OP_DIFFERENCE = 1;
const OP_MAX = 2;
const OP_MIN = 3;
const OP_MEAN = 4;
const OP_BLEND = 5;

export function gr_abi_version(): i32 { return ABI_VERSION; }

function at(i: u32): string { return "input " + i.toString(); }
function size(r: usize): string { return width(r).toString() + "×" + height(r).toString(); }

export function gr_run(ctx: usize): i32 {
  enter(ctx);
  if (paramCount(ctx) != 3) return fail(ctx, STATUS_BAD_PARAM, "expected 3 parameter slots (op, a, b)");
  const opf = param(ctx, 0), a = param(ctx, 1), b = param(ctx, 2);
  if (!(opf >= OP_SUM && opf <= OP_BLEND && Math.floor(opf) == opf)) return fail(ctx, STATUS_BAD_PARAM, "op must be sum, difference, max, min, mean or blend");
  if (!(a - a == 0 && b - b == 0)) return fail(ctx, STATUS_BAD_PARAM, "a and b must be finite");
  const op = <i32>opf;

  const k = inputCount(ctx);
  if (k < 2 || k > <u32>CTX_MAX_INPUTS) return fail(ctx, STATUS_BAD_INPUT_KIND, "grid-combine takes 2 to 8 grids, got " + k.toString());
  if (op == OP_BLEND && k != 2) return fail(ctx, STATUS_BAD_INPUT_KIND, "op blend combines exactly two grids, got " + k.toString());
  const first = inputPtr(ctx, 0);
  let wide = false; // some input has f64 cells
  for (let i: u32 = 0; i < k; i++) {
    const r = inputPtr(ctx, i), len = inputLen(ctx, i);
    if (len < <usize>HEADER_SIZE || load<u32>(r + HDR_MAGIC) != REGION_MAGIC) return fail(ctx, STATUS_MALFORMED_INPUT, at(i) + " is not a region (shorter than a header or bad magic)");
    if (kind(r) != KIND_GRID) return fail(ctx, STATUS_BAD_INPUT_KIND, at(i) + ": grid-combine takes grid regions (kind 5), got kind " + kind(r).toString());
    const bytes = cellBytes(r);
    if (bytes == 0) return fail(ctx, STATUS_MALFORMED_INPUT, at(i) + ": " + badStride(r));
    wide = wide || bytes == GRID_STRIDE_F64;
    const why = check(r, len, KIND_GRID, [bytes]);
    if (why.length > 0) return fail(ctx, STATUS_MALFORMED_INPUT, at(i) + ": " + why);
    if (count(r) != sectionCount(r, SEC_MAIN)) return fail(ctx, STATUS_MALFORMED_INPUT, at(i) + ": record count disagrees with the main table");
    if (<u64>count(r) != <u64>width(r) * <u64>height(r)) return fail(ctx, STATUS_MALFORMED_INPUT, at(i) + ": " + count(r).toString() + " cells for a " + size(r) + " grid");
    if (width(r) != width(first) || height(r) != height(first)) {
      return fail(ctx, STATUS_MALFORMED_INPUT, at(i) + " is " + size(r) + " cells but input 0 is " + size(first) + ": grid-combine needs grids of one size");
    }
  }

  const cells = count(first);
  const outBytes: u32 = wide ? GRID_STRIDE_F64 : GRID_STRIDE;
  if (<u64>cells * outBytes > MAX_TABLE_BYTES) return fail(ctx, STATUS_TOO_LARGE, cells.toString() + " cells do not fit in one output region");
  const out = create(KIND_GRID, cells, outBytes, crs(first), [<u64>cells * outBytes], [cells]);
  setSize(out, width(first), height(first));
  setTile(out, tileZ(first), tileX(first), tileY(first));
  setExtent(out, load<f64>(first + HDR_MIN_X), load<f64>(first + HDR_MIN_Y), load<f64>(first + HDR_MAX_X), load<f64>(first + HDR_MAX_Y));
  // the inputs' first cells, as a table the kernels index, and (some input with f64 cells) their strides
  const grids = alloc(<usize>k * sizeof<usize>(), 8);
  const strides = alloc(<usize>k << 2, 8);
  for (let i: u32 = 0; i < k; i++) {
    store<usize>(grids + <usize>i * sizeof<usize>(), data(inputPtr(ctx, i)));
    store<u32>(strides + (<usize>i << 2), stride(inputPtr(ctx, i)));
  }
  const dst = data(out);
  if (wide) {
    // `at` is a cell index here: each input is addressed by its own stride
    const even = <usize>(cells & ~1);
    for (let c: usize = 0; c < even; c += 2) v128.store(dst + (c << 3), pair(op, grids, strides, k, c, a, b, false, true));
    if (cells & 1) v128.store64_lane(dst + (even << 3), pair(op, grids, strides, k, even, a, b, true, true), 0);
  } else {
    const pairs = <usize>(cells >> 1) << 3;
    for (let off: usize = 0; off < pairs; off += 8) v128.store64_lane(dst + off, f32x4.demote_f64x2_zero(pair(op, grids, strides, k, off, a, b, false, false)), 0);
    if (cells & 1) v128.store32_lane(dst + pairs, f32x4.demote_f64x2_zero(pair(op, grids, strides, k, pairs, a, b, true, false)), 0);
  }
  output(ctx, out, <usize>byteLength(out));
  return STATUS_OK;
}

/**
 * Two neighbouring cells of grid j as f64x2 (one: only the first, the second lane 0). Not `wide` (every
 * grid f32): `at` is the first cell's byte offset. `wide`: `at` is its index, and grid j's stride says
 * whether its cells are f64 or f32.
 */
// @ts-ignore: decorator
@inline function cells(grids: usize, strides: usize, j: u32, at: usize, one: bool, wide: bool): v128 {
  const base = load<usize>(grids + <usize>j * sizeof<usize>());
  if (wide && load<u32>(strides + (<usize>j << 2)) == GRID_STRIDE_F64) {
    const p = base + (at << 3);
    return one ? v128.load64_zero(p) : v128.load(p);
  }
  const p = base + (wide ? at << 2 : at);
  return f64x2.promote_low_f32x4(one ? v128.load32_zero(p) : v128.load64_zero(p));
}

/** g_from + … + g_(k−1), left to right. */
// @ts-ignore: decorator
@inline function sum(grids: usize, strides: usize, from: u32, k: u32, at: usize, one: bool, wide: bool): v128 {
  let acc = cells(grids, strides, from, at, one, wide);
  for (let j = from + 1; j < k; j++) acc = f64x2.add(acc, cells(grids, strides, j, at, one, wide));
  return acc;
}

/** The combined value of two neighbouring cells (one: of the first only); `at` and `wide` as for cells(). */
// @ts-ignore: decorator
@inline function pair(op: i32, grids: usize, strides: usize, k: u32, at: usize, a: f64, b: f64, one: bool, wide: bool): v128 {
  switch (op) {
    case OP_SUM: return sum(grids, strides, 0, k, at, one, wide);
    case OP_DIFFERENCE: return f64x2.sub(cells(grids, strides, 0, at, one, wide), sum(grids, strides, 1, k, at, one, wide));
    case OP_MEAN: return f64x2.div(sum(grids, strides, 0, k, at, one, wide), f64x2.splat(<f64>k));
    case OP_BLEND: return f64x2.add(f64x2.mul(f64x2.splat(a), cells(grids, strides, 0, at, one, wide)), f64x2.mul(f64x2.splat(b), cells(grids, strides, 1, at, one, wide)));
    default: {
      let acc = cells(grids, strides, 0, at, one, wide);
      for (let j: u32 = 1; j < k; j++) {
        const v = cells(grids, strides, j, at, one, wide);
        acc = op == OP_MAX ? f64x2.max(acc, v) : f64x2.min(acc, v);
      }
      return acc;
    }
  }
}
