// points-scale: weight' = clamp(a·weight + b, lo, hi); coordinates and ids are copied unchanged, so the
// output keeps the input's crs, tile and extent. One pass: each record is moved as two 16-byte vectors
// with the new weight written over the copy.
//
// Params (manifest order): a, b, lo, hi (lo <= hi). clamp(v) = min(max(v, lo), hi); a NaN stays NaN.
import { enter, fail, inputCount, inputLen, inputPtr, output, param, paramCount } from "./lib/ctx";
import { byteLength, check, count, create, crs, data, kind, sectionCount, setExtent, setTile, stride, tileX, tileY, tileZ } from "./lib/region";
import {
  ABI_VERSION, HDR_MAGIC, HDR_MAX_X, HDR_MAX_Y, HDR_MIN_X, HDR_MIN_Y, HEADER_SIZE, KIND_POINTS, POINT_STRIDE,
  POINT_WEIGHT, REGION_MAGIC, SEC_MAIN, STATUS_BAD_INPUT_KIND, STATUS_BAD_PARAM, STATUS_MALFORMED_INPUT, STATUS_OK, STATUS_TOO_LARGE,
} from "../abi/layout";

// the largest main table lib/region's create() makes a region for
const MAX_TABLE_BYTES: u64 = 0x7fff0000 - HEADER_SIZE;

export function gr_abi_version(): i32 { return ABI_VERSION; }

export function gr_run(ctx: usize): i32 {
  enter(ctx);
  if (inputCount(ctx) != 1) return fail(ctx, STATUS_BAD_INPUT_KIND, "points-scale takes one points region, got " + inputCount(ctx).toString() + " inputs");
  const r = inputPtr(ctx, 0), len = inputLen(ctx, 0);
  if (len < <usize>HEADER_SIZE || load<u32>(r + HDR_MAGIC) != REGION_MAGIC) return fail(ctx, STATUS_MALFORMED_INPUT, "input is not a region (shorter than a header or bad magic)");
  if (kind(r) != KIND_POINTS) return fail(ctx, STATUS_BAD_INPUT_KIND, "points-scale takes a points region (kind 2), got kind " + kind(r).toString());
  const why = check(r, len, KIND_POINTS, [POINT_STRIDE]);
  if (why.length > 0) return fail(ctx, STATUS_MALFORMED_INPUT, why);
  if (stride(r) != POINT_STRIDE || count(r) != sectionCount(r, SEC_MAIN)) return fail(ctx, STATUS_MALFORMED_INPUT, "record stride or count disagrees with the main table");
  if (<u64>count(r) * POINT_STRIDE > MAX_TABLE_BYTES) return fail(ctx, STATUS_TOO_LARGE, count(r).toString() + " points do not fit in one output region");

  if (paramCount(ctx) != 4) return fail(ctx, STATUS_BAD_PARAM, "expected 4 parameter slots (a, b, lo, hi)");
  const a = param(ctx, 0), b = param(ctx, 1), lo = param(ctx, 2), hi = param(ctx, 3);
  if (!(finite(a) && finite(b))) return fail(ctx, STATUS_BAD_PARAM, "a and b must be finite");
  if (!(lo <= hi)) return fail(ctx, STATUS_BAD_PARAM, "lo is above hi");

  const n = count(r);
  const out = create(KIND_POINTS, n, POINT_STRIDE, crs(r), [<u64>n * POINT_STRIDE], [n]);
  setTile(out, tileZ(r), tileX(r), tileY(r));
  setExtent(out, load<f64>(r + HDR_MIN_X), load<f64>(r + HDR_MIN_Y), load<f64>(r + HDR_MAX_X), load<f64>(r + HDR_MAX_Y));
  let src = data(r), dst = data(out);
  const end = src + <usize>n * POINT_STRIDE;
  for (; src < end; src += POINT_STRIDE, dst += POINT_STRIDE) {
    v128.store(dst, v128.load(src)); // x, y
    const rest = v128.load(src, POINT_WEIGHT); // weight, id
    const weight = min(max(a * f64x2.extract_lane(rest, 0) + b, lo), hi);
    v128.store(dst, f64x2.replace_lane(rest, 0, weight), POINT_WEIGHT);
  }
  output(ctx, out, <usize>byteLength(out));
  return STATUS_OK;
}

// @ts-ignore: decorator
@inline function finite(v: f64): bool { return v - v == 0; }
