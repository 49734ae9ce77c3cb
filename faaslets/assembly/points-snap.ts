// points-snap: moves every point to the centre of its cell of a square grid of `cell` units anchored at
// the origin, x' = (floor(x / cell) + 0.5) · cell (and y alike), keeping weight and id. x and y are
// snapped together as one f64x2 vector. Non-finite coordinates stay non-finite (NaN stays NaN, ±Infinity
// stays ±Infinity). The output has the input's crs and tile, and the extent of the points whose snapped
// x and y are both finite (NaN if there are none).
//
// Params (manifest order): cell (> 0, finite).
import { enter, fail, inputCount, inputLen, inputPtr, output, param, paramCount } from "./lib/ctx";
import { byteLength, check, count, create, crs, data, kind, sectionCount, setExtent, setTile, stride, tileX, tileY, tileZ } from "./lib/region";
import {
  ABI_VERSION, HDR_MAGIC, HEADER_SIZE, KIND_POINTS, POINT_STRIDE, POINT_WEIGHT, POINT_X, REGION_MAGIC, SEC_MAIN,
  STATUS_BAD_INPUT_KIND, STATUS_BAD_PARAM, STATUS_MALFORMED_INPUT, STATUS_OK, STATUS_TOO_LARGE,
} from "../abi/layout";

// the largest main table lib/region's create() makes a region for
const MAX_TABLE_BYTES: u64 = 0x7fff0000 - HEADER_SIZE;

export function gr_abi_version(): i32 { return ABI_VERSION; }

export function gr_run(ctx: usize): i32 {
  enter(ctx);
  if (inputCount(ctx) != 1) return fail(ctx, STATUS_BAD_INPUT_KIND, "points-snap takes one points region, got " + inputCount(ctx).toString() + " inputs");
  const r = inputPtr(ctx, 0), len = inputLen(ctx, 0);
  if (len < <usize>HEADER_SIZE || load<u32>(r + HDR_MAGIC) != REGION_MAGIC) return fail(ctx, STATUS_MALFORMED_INPUT, "input is not a region (shorter than a header or bad magic)");
  if (kind(r) != KIND_POINTS) return fail(ctx, STATUS_BAD_INPUT_KIND, "points-snap takes a points region (kind 2), got kind " + kind(r).toString());
  const why = check(r, len, KIND_POINTS, [POINT_STRIDE]);
  if (why.length > 0) return fail(ctx, STATUS_MALFORMED_INPUT, why);
  if (stride(r) != POINT_STRIDE || count(r) != sectionCount(r, SEC_MAIN)) return fail(ctx, STATUS_MALFORMED_INPUT, "record stride or count disagrees with the main table");
  if (<u64>count(r) * POINT_STRIDE > MAX_TABLE_BYTES) return fail(ctx, STATUS_TOO_LARGE, count(r).toString() + " points do not fit in one output region");

  if (paramCount(ctx) != 1) return fail(ctx, STATUS_BAD_PARAM, "expected 1 parameter slot (cell)");
  const cell = param(ctx, 0);
  if (!(cell > 0 && cell < Infinity)) return fail(ctx, STATUS_BAD_PARAM, "cell must be a finite number > 0");

  const n = count(r);
  const out = create(KIND_POINTS, n, POINT_STRIDE, crs(r), [<u64>n * POINT_STRIDE], [n]);
  setTile(out, tileZ(r), tileX(r), tileY(r));
  const size = f64x2.splat(cell);
  const half = f64x2.splat(0.5);
  const zero = f64x2.splat(0);
  let lo = f64x2.splat(Infinity), hi = f64x2.splat(-Infinity);
  let src = data(r), dst = data(out);
  const end = src + <usize>n * POINT_STRIDE;
  for (; src < end; src += POINT_STRIDE, dst += POINT_STRIDE) {
    const xy = f64x2.mul(f64x2.add(f64x2.floor(f64x2.div(v128.load(src, POINT_X), size)), half), size);
    v128.store(dst, xy, POINT_X);
    v128.store(dst, v128.load(src, POINT_WEIGHT), POINT_WEIGHT); // weight, id
    // the extent takes the point only if both snapped coordinates are finite (v - v == 0 in each lane)
    const lane = f64x2.eq(f64x2.sub(xy, xy), zero);
    const both = v128.and(lane, v128.shuffle<i64>(lane, lane, 1, 0));
    lo = f64x2.min(lo, v128.bitselect(xy, f64x2.splat(Infinity), both));
    hi = f64x2.max(hi, v128.bitselect(xy, f64x2.splat(-Infinity), both));
  }
  const x0 = f64x2.extract_lane(lo, 0), y0 = f64x2.extract_lane(lo, 1);
  const x1 = f64x2.extract_lane(hi, 0), y1 = f64x2.extract_lane(hi, 1);
  if (x0 <= x1) setExtent(out, x0, y0, x1, y1);
  output(ctx, out, <usize>byteLength(out));
  return STATUS_OK;
}
