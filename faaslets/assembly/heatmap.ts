// heatmap: weighted kernel density of points (or clusters) on the cells of one web-mercator tile, as a
// GRID of densities and an IMAGE of the same cells through viridis. Exact (the sum a direct loop over
// points × cells would give, to f64 rounding) yet O(points·r) for the quartic kernel: see
// heatmap/quartic.ts; the gaussian kernel is O(points·r²) with a small constant: heatmap/gaussian.ts.
//
// `cells` = f64 writes the grid's cells unrounded, each the sum of its points' own terms (the gaussian's
// as above, the quartic's term by term: heatmap/quartic-direct.ts, O(points·r²)), so heatmaps of disjoint
// point sets add up (grid-combine sum) to the heatmap of their union to the rounding of the additions.
// The image is drawn from the cells rounded to f32 either way (heatmap/colour.ts).
import { enter, fail, inputCount, inputLen, inputPtr, output, param, paramCount } from "./lib/ctx";
import { byteLength, check, count, create, crs, data, kind, sectionCount, setExtent, setSize, setTile, stride } from "./lib/region";
import {
  ABI_VERSION, CLUSTER_STRIDE, CLUSTER_WEIGHT, GRID_STRIDE, GRID_STRIDE_F64, HEADER_SIZE, IMAGE_STRIDE, KIND_CLUSTERS, KIND_GRID,
  KIND_IMAGE, KIND_POINTS, POINT_STRIDE, POINT_WEIGHT, STATUS_BAD_INPUT_KIND, STATUS_BAD_PARAM,
  STATUS_MALFORMED_INPUT, STATUS_OK, STATUS_UNSUPPORTED_CRS,
} from "../abi/layout";
import { toPixels } from "./heatmap/pixels";
import { quartic } from "./heatmap/quartic";
import { quarticDirect } from "./heatmap/quartic-direct";
import { gaussian } from "./heatmap/gaussian";
import { colourise } from "./heatmap/colour";

const EARTH_CIRCUMFERENCE: f64 = 2 * Math.PI * 6378137;
const MAX_ZOOM: f64 = 30;
const MAX_SIZE: f64 = 4096;
const MAX_RADIUS: f64 = 256;
const KERNEL_QUARTIC: f64 = 0;
const KERNEL_GAUSSIAN: f64 = 1;
const CELLS_F32: f64 = 0;
const CELLS_F64: f64 = 1;
// cells per band of rows: the quartic's difference rows hold 96 bytes a cell (two block systems) and are
// padded by ⌈2r⌉ + 1 cells on each side (quartic.ts), the gaussian's 8 bytes a cell
const QUARTIC_BAND_CELLS: i32 = 32768;
const GAUSSIAN_BAND_CELLS: i32 = 32768;

export function gr_abi_version(): i32 { return ABI_VERSION; }

function isInt(v: f64, lo: f64, hi: f64): bool { return v >= lo && v <= hi && Math.floor(v) == v; }

/** log2 of the rows per band: rows of `width` cells, about `cells` cells a band, at least one row, no more than the tile's `size`. */
function bandShift(size: i32, width: i32, cells: i32): i32 {
  let shift = 0;
  while ((width << (shift + 1)) <= cells && (1 << shift) < size) shift++;
  return shift;
}

export function gr_run(ctx: usize): i32 {
  enter(ctx);
  // 7 slots: packed before `cells` existed (it was added last so that none moved), f32 cells as then
  const slots = paramCount(ctx);
  if (slots != 7 && slots != 8) return fail(ctx, STATUS_BAD_PARAM, "expected 8 parameter slots (z, x, y, size, radius, kernel, scale, cells), or the first 7");
  const z = param(ctx, 0), x = param(ctx, 1), y = param(ctx, 2), size = param(ctx, 3);
  const radius = param(ctx, 4), kernel = param(ctx, 5), scale = param(ctx, 6);
  const cellType = slots == 8 ? param(ctx, 7) : CELLS_F32;
  if (!isInt(z, 0, MAX_ZOOM)) return fail(ctx, STATUS_BAD_PARAM, "z must be an integer in [0, 30]");
  const tiles = Math.pow(2, z);
  if (!isInt(x, 0, tiles - 1) || !isInt(y, 0, tiles - 1)) return fail(ctx, STATUS_BAD_PARAM, "tile x and y must be integers in [0, 2^z)");
  if (!isInt(size, 1, MAX_SIZE)) return fail(ctx, STATUS_BAD_PARAM, "size must be an integer in [1, 4096]");
  if (!(radius > 0 && radius <= MAX_RADIUS)) return fail(ctx, STATUS_BAD_PARAM, "radius must be > 0 and <= 256 pixels");
  if (kernel != KERNEL_QUARTIC && kernel != KERNEL_GAUSSIAN) return fail(ctx, STATUS_BAD_PARAM, "kernel must be quartic or gaussian");
  if (!(scale >= 0 && scale < Infinity)) return fail(ctx, STATUS_BAD_PARAM, "scale must be a finite number >= 0");
  if (cellType != CELLS_F32 && cellType != CELLS_F64) return fail(ctx, STATUS_BAD_PARAM, "cells must be f32 or f64");

  if (inputCount(ctx) != 1) return fail(ctx, STATUS_BAD_INPUT_KIND, "heatmap takes one points or clusters region");
  const r = inputPtr(ctx, 0), len = inputLen(ctx, 0);
  const isClusters = len >= <usize>HEADER_SIZE && kind(r) == KIND_CLUSTERS;
  const want: u32 = isClusters ? KIND_CLUSTERS : KIND_POINTS;
  const recordBytes: u32 = isClusters ? CLUSTER_STRIDE : POINT_STRIDE;
  const why = check(r, len, want, [recordBytes]);
  if (why.length > 0) return fail(ctx, len >= <usize>HEADER_SIZE && kind(r) != want ? STATUS_BAD_INPUT_KIND : STATUS_MALFORMED_INPUT, why);
  if (stride(r) != recordBytes || count(r) != sectionCount(r, 0)) return fail(ctx, STATUS_MALFORMED_INPUT, "record count or stride disagrees with the main table");
  const srcCrs = crs(r);
  if (srcCrs != 4326 && srcCrs != 3857) return fail(ctx, STATUS_UNSUPPORTED_CRS, "EPSG:" + srcCrs.toString() + " (heatmap reads EPSG:4326 or EPSG:3857)");

  const cells = <i32>size;
  const gauss = kernel == KERNEL_GAUSSIAN;
  const reach = gauss ? 3 * radius : radius;
  const pts = toPixels(
    data(r), count(r), recordBytes, isClusters ? CLUSTER_WEIGHT : POINT_WEIGHT, srcCrs,
    <i32>z, x, y, cells, reach,
    gauss ? bandShift(cells, cells, GAUSSIAN_BAND_CELLS) : bandShift(cells, cells + 2 * (<i32>Math.ceil(2 * radius) + 1), QUARTIC_BAND_CELLS),
  );
  if (pts.bad >= 0) return fail(ctx, STATUS_MALFORMED_INPUT, "record " + pts.bad.toString() + " has a non-finite coordinate or weight");

  const n = <u32>(cells * cells);
  const wide = cellType == CELLS_F64;
  const cellBytes: u32 = wide ? GRID_STRIDE_F64 : GRID_STRIDE;
  const grid = create(KIND_GRID, n, cellBytes, 3857, [<u64>n * cellBytes], [n]);
  const image = create(KIND_IMAGE, n, IMAGE_STRIDE, 3857, [<u64>n * IMAGE_STRIDE], [n]);
  const minX = (x / tiles - 0.5) * EARTH_CIRCUMFERENCE, maxX = ((x + 1) / tiles - 0.5) * EARTH_CIRCUMFERENCE;
  const maxY = (0.5 - y / tiles) * EARTH_CIRCUMFERENCE, minY = (0.5 - (y + 1) / tiles) * EARTH_CIRCUMFERENCE;
  for (let k = 0; k < 2; k++) {
    const region = k == 0 ? grid : image;
    setSize(region, <u32>cells, <u32>cells);
    setTile(region, <i32>z, <u32>x, <u32>y);
    setExtent(region, minX, minY, maxX, maxY);
  }
  if (wide) {
    if (gauss) gaussian<f64>(pts, cells, radius, data(grid));
    else quarticDirect(pts, cells, radius, data(grid));
    colourise<f64>(data(grid), data(image), <usize>n, scale);
  } else {
    if (gauss) gaussian<f32>(pts, cells, radius, data(grid));
    else quartic(pts, cells, radius, data(grid));
    colourise<f32>(data(grid), data(image), <usize>n, scale);
  }
  output(ctx, grid, <usize>byteLength(grid));
  output(ctx, image, <usize>byteLength(image));
  return STATUS_OK;
}
