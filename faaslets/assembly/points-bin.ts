// points-bin: counts points, or sums their weights, per cell of a width × height grid laid over a bbox.
// Cell (col, row), row 0 at the top (north):
//   col = min(width − 1,  floor((x − w) · (width / (e − w))))
//   row = min(height − 1, floor((n − y) · (height / (n − s))))
// for points with w <= x <= e and s <= y <= n (others, and NaN coordinates, are ignored; points on the
// east or south edge go into the last column or row). Sums are accumulated in f64 scratch and stored as
// f32. A NaN weight makes its cell NaN. The GRID has the input's crs, extent = bbox, no tile.
//
// Params (manifest order): width, height, bbox (w, s, e, n; w < e, s < n), sum (0 count, 1 weight).
import { alloc, enter, fail, inputCount, inputLen, inputPtr, output, param, paramCount } from "./lib/ctx";
import { byteLength, check, count, create, crs, data, kind, sectionCount, setExtent, setSize, stride } from "./lib/region";
import {
  ABI_VERSION, GRID_STRIDE, HDR_MAGIC, HEADER_SIZE, KIND_GRID, KIND_POINTS, POINT_STRIDE, POINT_WEIGHT, POINT_X, POINT_Y,
  REGION_MAGIC, SEC_MAIN, STATUS_BAD_INPUT_KIND, STATUS_BAD_PARAM, STATUS_MALFORMED_INPUT, STATUS_OK,
} from "../abi/layout";

const MAX_SIDE: f64 = 4096;
const SUM_COUNT: f64 = 0;
const SUM_WEIGHT: f64 = 1;

export function gr_abi_version(): i32 { return ABI_VERSION; }

function isInt(v: f64, lo: f64, hi: f64): bool { return v >= lo && v <= hi && Math.floor(v) == v; }

export function gr_run(ctx: usize): i32 {
  enter(ctx);
  if (inputCount(ctx) != 1) return fail(ctx, STATUS_BAD_INPUT_KIND, "points-bin takes one points region, got " + inputCount(ctx).toString() + " inputs");
  const r = inputPtr(ctx, 0), len = inputLen(ctx, 0);
  if (len < <usize>HEADER_SIZE || load<u32>(r + HDR_MAGIC) != REGION_MAGIC) return fail(ctx, STATUS_MALFORMED_INPUT, "input is not a region (shorter than a header or bad magic)");
  if (kind(r) != KIND_POINTS) return fail(ctx, STATUS_BAD_INPUT_KIND, "points-bin takes a points region (kind 2), got kind " + kind(r).toString());
  const why = check(r, len, KIND_POINTS, [POINT_STRIDE]);
  if (why.length > 0) return fail(ctx, STATUS_MALFORMED_INPUT, why);
  if (stride(r) != POINT_STRIDE || count(r) != sectionCount(r, SEC_MAIN)) return fail(ctx, STATUS_MALFORMED_INPUT, "record stride or count disagrees with the main table");

  if (paramCount(ctx) != 7) return fail(ctx, STATUS_BAD_PARAM, "expected 7 parameter slots (width, height, bbox w, s, e, n, sum)");
  const width = param(ctx, 0), height = param(ctx, 1);
  const w = param(ctx, 2), s = param(ctx, 3), e = param(ctx, 4), n = param(ctx, 5);
  const sum = param(ctx, 6);
  if (!isInt(width, 1, MAX_SIDE) || !isInt(height, 1, MAX_SIDE)) return fail(ctx, STATUS_BAD_PARAM, "width and height must be integers in [1, 4096]");
  if (sum != SUM_COUNT && sum != SUM_WEIGHT) return fail(ctx, STATUS_BAD_PARAM, "sum must be count or weight");
  const sx = width / (e - w), sy = height / (n - s);
  if (!(w < e && sx > 0 && sx < Infinity)) return fail(ctx, STATUS_BAD_PARAM, "bbox west must be below east by a finite, non-tiny span (points-bin does not cross the antimeridian)");
  if (!(s < n && sy > 0 && sy < Infinity)) return fail(ctx, STATUS_BAD_PARAM, "bbox south must be below north by a finite, non-tiny span");

  const cols = <u32>width, rows = <u32>height, cells = cols * rows;
  const acc = alloc(<usize>cells << 3, 8);
  memory.fill(acc, 0, <usize>cells << 3);
  const byWeight = sum == SUM_WEIGHT;
  const lastCol = cols - 1, lastRow = rows - 1;
  let p = data(r);
  const end = p + <usize>count(r) * POINT_STRIDE;
  for (; p < end; p += POINT_STRIDE) {
    const x = load<f64>(p, POINT_X), y = load<f64>(p, POINT_Y);
    // finite bounds: NaN and ±Infinity fail these comparisons
    if (x >= w && x <= e && y >= s && y <= n) {
      // both products are >= 0 here, so truncation is floor
      const col = min(<u32>((x - w) * sx), lastCol);
      const row = min(<u32>((n - y) * sy), lastRow);
      const at = acc + ((<usize>row * cols + col) << 3);
      store<f64>(at, load<f64>(at) + (byWeight ? load<f64>(p, POINT_WEIGHT) : 1.0));
    }
  }

  const grid = create(KIND_GRID, cells, GRID_STRIDE, crs(r), [<u64>cells * GRID_STRIDE], [cells]);
  setSize(grid, cols, rows);
  setExtent(grid, w, s, e, n);
  const dst = data(grid);
  for (let i: usize = 0; i < <usize>cells; i++) store<f32>(dst + (i << 2), <f32>load<f64>(acc + (i << 3)));
  output(ctx, grid, <usize>byteLength(grid));
  return STATUS_OK;
}
