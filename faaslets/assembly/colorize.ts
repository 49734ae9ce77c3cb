// colorize: a grid as an RGBA image, with the very colour map and normalisation of heatmap (shared code),
// so a chain that combines grids (grid-combine) draws them exactly as a heatmap would. f32 or f64 cells,
// as the grid's stride says; either is coloured from its cells rounded to f32, as heatmap colours.
import { enter, fail, inputCount, inputLen, inputPtr, output, param } from "./lib/ctx";
import { byteLength, check, count, create, crs, data, height, setExtent, setSize, setTile, tileX, tileY, tileZ, width } from "./lib/region";
import { badStride, cellBytes } from "./lib/grid";
import {
  ABI_VERSION, GRID_STRIDE, GRID_STRIDE_F64, HDR_MAX_X, HDR_MAX_Y, HDR_MIN_X, HDR_MIN_Y, IMAGE_STRIDE, KIND_GRID, KIND_IMAGE,
  STATUS_BAD_INPUT_KIND, STATUS_BAD_PARAM, STATUS_MALFORMED_INPUT,
} from "../abi/layout";
import { colourise } from "./heatmap/colour";

export function gr_abi_version(): i32 { return ABI_VERSION; }

export function gr_run(ctx: usize): i32 {
  enter(ctx);
  if (inputCount(ctx) != 1) return fail(ctx, STATUS_BAD_INPUT_KIND, "colorize takes one grid");
  const g = inputPtr(ctx, 0), len = inputLen(ctx, 0);
  let why = check(g, len, KIND_GRID, [GRID_STRIDE]);
  if (why.length > 0) return fail(ctx, STATUS_BAD_INPUT_KIND, why);
  const bytes = cellBytes(g);
  if (bytes == 0) return fail(ctx, STATUS_MALFORMED_INPUT, badStride(g));
  // f64 cells: the main table must hold 8 bytes a cell, not the 4 checked above
  if (bytes == GRID_STRIDE_F64) why = check(g, len, KIND_GRID, [GRID_STRIDE_F64]);
  if (why.length > 0) return fail(ctx, STATUS_MALFORMED_INPUT, why);
  const n = count(g);
  const w = width(g), h = height(g);
  if (<u64>w * <u64>h != <u64>n) return fail(ctx, STATUS_MALFORMED_INPUT, "grid of " + n.toString() + " cells is not " + w.toString() + " × " + h.toString());
  const scale = param(ctx, 0);
  if (!(scale >= 0)) return fail(ctx, STATUS_BAD_PARAM, "scale must be >= 0");
  const image = create(KIND_IMAGE, n, IMAGE_STRIDE, crs(g), [<u64>n * IMAGE_STRIDE], [n]);
  setSize(image, w, h);
  setTile(image, tileZ(g), tileX(g), tileY(g));
  setExtent(image, load<f64>(g + HDR_MIN_X), load<f64>(g + HDR_MIN_Y), load<f64>(g + HDR_MAX_X), load<f64>(g + HDR_MAX_Y));
  if (bytes == GRID_STRIDE_F64) colourise<f64>(data(g), data(image), <usize>n, scale);
  else colourise<f32>(data(g), data(image), <usize>n, scale);
  output(ctx, image, <usize>byteLength(image));
  return 0;
}
