// points-filter: keeps the points inside a bounding box whose weight lies in [minWeight, maxWeight], in
// their order. One branch-free pass: every record is copied to the output cursor and the cursor advances
// only when the point is kept, so random data costs no branch mispredictions.
//
// Params (manifest order): bbox (w, s, e, n in the region's crs units; w > e crosses the antimeridian:
// x >= w or x <= e), minWeight, maxWeight. Points with a non-finite x or y, or a NaN weight, are dropped.
// The output has the input's crs and tile, and the extent of the kept points (NaN if none are kept).
import { enter, fail, inputCount, inputLen, inputPtr, output, param, paramCount } from "./lib/ctx";
import { check, count, create, crs, data, kind, sectionCount, setExtent, setTile, stride, tileX, tileY, tileZ } from "./lib/region";
import {
  ABI_VERSION, HDR_BYTE_LENGTH, HDR_COUNT, HDR_MAGIC, HDR_SECTIONS, HEADER_SIZE, KIND_POINTS, POINT_STRIDE,
  POINT_WEIGHT, REGION_MAGIC, SEC_MAIN, STATUS_BAD_INPUT_KIND, STATUS_BAD_PARAM, STATUS_MALFORMED_INPUT, STATUS_OK, STATUS_TOO_LARGE,
} from "../abi/layout";

// the largest main table lib/region's create() makes a region for
const MAX_TABLE_BYTES: u64 = 0x7fff0000 - HEADER_SIZE;

export function gr_abi_version(): i32 { return ABI_VERSION; }

export function gr_run(ctx: usize): i32 {
  enter(ctx);
  if (inputCount(ctx) != 1) return fail(ctx, STATUS_BAD_INPUT_KIND, "points-filter takes one points region, got " + inputCount(ctx).toString() + " inputs");
  const r = inputPtr(ctx, 0), len = inputLen(ctx, 0);
  if (len < <usize>HEADER_SIZE || load<u32>(r + HDR_MAGIC) != REGION_MAGIC) return fail(ctx, STATUS_MALFORMED_INPUT, "input is not a region (shorter than a header or bad magic)");
  if (kind(r) != KIND_POINTS) return fail(ctx, STATUS_BAD_INPUT_KIND, "points-filter takes a points region (kind 2), got kind " + kind(r).toString());
  const why = check(r, len, KIND_POINTS, [POINT_STRIDE]);
  if (why.length > 0) return fail(ctx, STATUS_MALFORMED_INPUT, why);
  if (stride(r) != POINT_STRIDE || count(r) != sectionCount(r, SEC_MAIN)) return fail(ctx, STATUS_MALFORMED_INPUT, "record stride or count disagrees with the main table");
  if (<u64>count(r) * POINT_STRIDE > MAX_TABLE_BYTES) return fail(ctx, STATUS_TOO_LARGE, count(r).toString() + " points do not fit in one output region");

  if (paramCount(ctx) != 6) return fail(ctx, STATUS_BAD_PARAM, "expected 6 parameter slots (bbox w, s, e, n, minWeight, maxWeight)");
  const w = param(ctx, 0), s = param(ctx, 1), e = param(ctx, 2), n = param(ctx, 3);
  const lo = param(ctx, 4), hi = param(ctx, 5);
  if (!(finite(w) && finite(s) && finite(e) && finite(n))) return fail(ctx, STATUS_BAD_PARAM, "bbox must be four finite numbers");
  if (!(s <= n)) return fail(ctx, STATUS_BAD_PARAM, "bbox south is above north");
  if (!(lo <= hi)) return fail(ctx, STATUS_BAD_PARAM, "minWeight is above maxWeight");

  const total = count(r);
  const out = create(KIND_POINTS, total, POINT_STRIDE, crs(r), [<u64>total * POINT_STRIDE], [total]);
  setTile(out, tileZ(r), tileX(r), tileY(r));
  const kept = w <= e
    ? keep(data(r), total, data(out), w, s, e, n, lo, hi, false)
    : keep(data(r), total, data(out), w, s, e, n, lo, hi, true);
  // the output was sized for every point: shrink its header to the kept ones (the tail stays unused)
  const bytes = <u32>HEADER_SIZE + kept * POINT_STRIDE;
  store<u32>(out + HDR_COUNT, kept);
  store<u32>(out + HDR_SECTIONS + 4, kept);
  store<u32>(out + HDR_BYTE_LENGTH, bytes);
  if (kept > 0) setExtent(out, minX, minY, maxX, maxY);
  output(ctx, out, <usize>bytes);
  return STATUS_OK;
}

// extent of the points the last keep() kept
let minX: f64 = 0;
let minY: f64 = 0;
let maxX: f64 = 0;
let maxY: f64 = 0;

/** Copies the kept records of src to dst; returns how many. `wrap`: the bbox crosses the antimeridian. */
// @ts-ignore: decorator
@inline function keep(src: usize, n: u32, dst: usize, w: f64, s: f64, e: f64, north: f64, lo: f64, hi: f64, wrap: bool): u32 {
  const inf = f64x2.splat(Infinity), negInf = f64x2.splat(-Infinity);
  let low = inf, high = negInf;
  const start = dst;
  const end = src + <usize>n * POINT_STRIDE;
  for (; src < end; src += POINT_STRIDE) {
    const xy = v128.load(src); // x, y
    const rest = v128.load(src, 16); // weight, id
    const x = f64x2.extract_lane(xy, 0);
    const y = f64x2.extract_lane(xy, 1);
    const weight = load<f64>(src, POINT_WEIGHT);
    // bounds are finite, so the comparisons also refuse NaN and ±Infinity (wrapped: x - x == 0 does)
    const inX = wrap ? (<i32>(x >= w) | <i32>(x <= e)) & <i32>(x - x == 0) : <i32>(x >= w) & <i32>(x <= e);
    const ok = inX & <i32>(y >= s) & <i32>(y <= north) & <i32>(weight >= lo) & <i32>(weight <= hi);
    v128.store(dst, xy);
    v128.store(dst, rest, 16);
    dst += <usize>ok * POINT_STRIDE;
    // the extent, both coordinates at once: a kept point's (x, y), else ±Infinity that change nothing
    const mask = i64x2.splat(-<i64>ok);
    low = f64x2.min(low, v128.bitselect(xy, inf, mask));
    high = f64x2.max(high, v128.bitselect(xy, negInf, mask));
  }
  minX = f64x2.extract_lane(low, 0); minY = f64x2.extract_lane(low, 1);
  maxX = f64x2.extract_lane(high, 0); maxY = f64x2.extract_lane(high, 1);
  return <u32>((dst - start) / POINT_STRIDE);
}

// @ts-ignore: decorator
@inline function finite(v: f64): bool { return v - v == 0; }
