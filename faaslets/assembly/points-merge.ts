// points-merge (fan-in): concatenates 1..8 points regions, in input order, into one. All inputs must share
// one crs. The records are block-copied; the extent is the union of the inputs' header extents, where an
// input's extent is unknown (NaN) its finite points are scanned instead. The tile is kept if every input
// has the same one, else the output has none.
import { enter, fail, inputCount, inputLen, inputPtr, output } from "./lib/ctx";
import { byteLength, check, count, create, crs, data, kind, sectionCount, setExtent, setTile, stride, tileX, tileY, tileZ } from "./lib/region";
import {
  ABI_VERSION, CTX_MAX_INPUTS, HDR_MAGIC, HDR_MAX_X, HDR_MAX_Y, HDR_MIN_X, HDR_MIN_Y, HEADER_SIZE, KIND_POINTS,
  POINT_STRIDE, POINT_X, POINT_Y, REGION_MAGIC, SEC_MAIN, STATUS_BAD_INPUT_KIND, STATUS_MALFORMED_INPUT, STATUS_OK,
  STATUS_TOO_LARGE, STATUS_UNSUPPORTED_CRS,
} from "../abi/layout";

// the largest region lib/region's create() makes
const MAX_REGION_BYTES: u64 = 0x7fff0000;

export function gr_abi_version(): i32 { return ABI_VERSION; }

function at(i: u32): string { return "input " + i.toString(); }

export function gr_run(ctx: usize): i32 {
  enter(ctx);
  const k = inputCount(ctx);
  if (k < 1 || k > <u32>CTX_MAX_INPUTS) return fail(ctx, STATUS_BAD_INPUT_KIND, "points-merge takes 1 to 8 points regions, got " + k.toString());
  let total: u64 = 0;
  let sameTile = true;
  const first = inputPtr(ctx, 0);
  for (let i: u32 = 0; i < k; i++) {
    const r = inputPtr(ctx, i), len = inputLen(ctx, i);
    if (len < <usize>HEADER_SIZE || load<u32>(r + HDR_MAGIC) != REGION_MAGIC) return fail(ctx, STATUS_MALFORMED_INPUT, at(i) + " is not a region (shorter than a header or bad magic)");
    if (kind(r) != KIND_POINTS) return fail(ctx, STATUS_BAD_INPUT_KIND, at(i) + ": points-merge takes points regions (kind 2), got kind " + kind(r).toString());
    const why = check(r, len, KIND_POINTS, [POINT_STRIDE]);
    if (why.length > 0) return fail(ctx, STATUS_MALFORMED_INPUT, at(i) + ": " + why);
    if (stride(r) != POINT_STRIDE || count(r) != sectionCount(r, SEC_MAIN)) return fail(ctx, STATUS_MALFORMED_INPUT, at(i) + ": record stride or count disagrees with the main table");
    if (crs(r) != crs(first)) {
      return fail(ctx, STATUS_UNSUPPORTED_CRS, at(i) + " is in EPSG:" + crs(r).toString() + " but input 0 is in EPSG:" + crs(first).toString() + " (points-merge needs one crs: reproject first)");
    }
    sameTile = sameTile && tileZ(r) == tileZ(first) && tileX(r) == tileX(first) && tileY(r) == tileY(first);
    total += <u64>count(r);
  }
  if (<u64>HEADER_SIZE + total * POINT_STRIDE > MAX_REGION_BYTES) return fail(ctx, STATUS_TOO_LARGE, total.toString() + " points do not fit in one region");

  const n = <u32>total;
  const out = create(KIND_POINTS, n, POINT_STRIDE, crs(first), [total * POINT_STRIDE], [n]);
  if (sameTile) setTile(out, tileZ(first), tileX(first), tileY(first));
  let x0 = Infinity, y0 = Infinity, x1 = -Infinity, y1 = -Infinity;
  let dst = data(out);
  for (let i: u32 = 0; i < k; i++) {
    const r = inputPtr(ctx, i);
    const m = count(r);
    if (m == 0) continue;
    const bytes = <usize>m * POINT_STRIDE;
    memory.copy(dst, data(r), bytes);
    dst += bytes;
    let a = load<f64>(r + HDR_MIN_X), b = load<f64>(r + HDR_MIN_Y), c = load<f64>(r + HDR_MAX_X), d = load<f64>(r + HDR_MAX_Y);
    if (!(a <= c && b <= d)) {
      // unknown extent: measure this input's finite points
      a = Infinity; b = Infinity; c = -Infinity; d = -Infinity;
      const end = data(r) + bytes;
      for (let p = data(r); p < end; p += POINT_STRIDE) {
        const x = load<f64>(p, POINT_X), y = load<f64>(p, POINT_Y);
        if (x - x == 0 && y - y == 0) {
          a = min(a, x); c = max(c, x);
          b = min(b, y); d = max(d, y);
        }
      }
      if (!(a <= c)) continue;
    }
    x0 = min(x0, a); y0 = min(y0, b); x1 = max(x1, c); y1 = max(y1, d);
  }
  if (x0 <= x1) setExtent(out, x0, y0, x1, y1);
  output(ctx, out, <usize>byteLength(out));
  return STATUS_OK;
}
