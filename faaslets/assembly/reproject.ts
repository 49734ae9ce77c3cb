// reproject: moves the coordinates of one points or features region from one CRS to another; formulas and
// constants ported from proj4 2.22, see proj/ (proj/crs.ts lists the CRSs: EPSG:4326, 3857, 3035, the WGS84
// and ETRS89 UTM zones, Lambert conformal conic 2154 and 3034, Albers 5070 and 3338, polar stereographic
// 3413, 3995, 3031, 3976, 3032 and UPS 5041/5042). The output is a copy of the input region with new x/y
// (points: every record's x, y; features: the coordinates section), crs = `to` and the extent recomputed;
// every other byte is the input's.
//
// Params (manifest order): to (EPSG code), from (EPSG code, 0 = the region's own crs header). The host
// turns 'EPSG:n', URNs and proj4 strings into these codes (faaslets/abi/crs-names.ts).
//
// Points proj4 cannot project keep their record, with the coordinates proj4 gives them: (NaN, NaN) where
// its projection refuses (3857 within 1e-10 rad of a pole, 3035 at the antipode of its centre, a polar
// stereographic at the opposite pole) and (Infinity, Infinity) where its transverse Mercator gives up
// (UTM ~90° from the zone's meridian). One departure: where proj4's Albers inverse does not converge
// (points far outside the cone) proj4 answers latitude 0 and reproject NaN (proj/aea.ts). Non-finite input
// coordinates, which proj4 throws on, give (NaN, NaN). The extent covers the finite coordinates only (NaN
// if there are none). With from == to the coordinates are copied bit for bit.
import { alloc, enter, fail, inputCount, inputLen, inputPtr, output, param, paramCount } from "./lib/ctx";
import { byteLength, check, count, crs, kind, section, sectionCount, setExtent, stride } from "./lib/region";
import {
  ABI_VERSION, COORD_STRIDE, FEATURE_STRIDE, HDR_CRS, HDR_MAGIC, HEADER_SIZE, KIND_FEATURES, KIND_POINTS,
  POINT_STRIDE, POINT_X, POINT_Y, PROP_STRIDE, REGION_MAGIC, RING_STRIDE, SEC_COORDS, SEC_MAIN,
  STATUS_BAD_INPUT_KIND, STATUS_BAD_PARAM, STATUS_MALFORMED_INPUT, STATUS_OK, STATUS_UNSUPPORTED_CRS,
} from "../abi/layout";
import { Crs, SUPPORTED, family } from "./proj/crs";
import { outX, outY } from "./proj/common";

export function gr_abi_version(): i32 { return ABI_VERSION; }

export function gr_run(ctx: usize): i32 {
  enter(ctx);
  if (inputCount(ctx) != 1) return fail(ctx, STATUS_BAD_INPUT_KIND, "reproject takes one points or features region, got " + inputCount(ctx).toString() + " inputs");
  const r = inputPtr(ctx, 0);
  const len = inputLen(ctx, 0);
  if (len < <usize>HEADER_SIZE || load<u32>(r + HDR_MAGIC) != REGION_MAGIC) return fail(ctx, STATUS_MALFORMED_INPUT, "input is not a region (shorter than a header or bad magic)");
  const k = kind(r);
  if (k != KIND_POINTS && k != KIND_FEATURES) return fail(ctx, STATUS_BAD_INPUT_KIND, "reproject takes a points (2) or features (3) region, got kind " + k.toString());
  const why = k == KIND_POINTS
    ? check(r, len, k, [POINT_STRIDE])
    : check(r, len, k, [FEATURE_STRIDE, RING_STRIDE, COORD_STRIDE, PROP_STRIDE, 1]);
  if (why.length > 0) return fail(ctx, STATUS_MALFORMED_INPUT, why);
  const wantStride = k == KIND_POINTS ? POINT_STRIDE : FEATURE_STRIDE;
  if (stride(r) != <u32>wantStride) return fail(ctx, STATUS_MALFORMED_INPUT, "record stride " + stride(r).toString() + ", expected " + wantStride.toString());
  if (count(r) != sectionCount(r, SEC_MAIN)) return fail(ctx, STATUS_MALFORMED_INPUT, "count " + count(r).toString() + " disagrees with the main table's " + sectionCount(r, SEC_MAIN).toString());

  // which CRS, from where to where
  if (paramCount(ctx) < 2) return fail(ctx, STATUS_BAD_PARAM, "expected the parameters to and from");
  const to = epsg(param(ctx, 0));
  const fromParam = epsg(param(ctx, 1));
  const regionCrs = crs(r);
  if (family(to) < 0) return fail(ctx, STATUS_UNSUPPORTED_CRS, "to: " + name(to) + " is not supported (" + SUPPORTED + ")");
  let from = regionCrs;
  if (fromParam != 0) {
    if (family(fromParam) < 0) return fail(ctx, STATUS_UNSUPPORTED_CRS, "from: " + name(fromParam) + " is not supported (" + SUPPORTED + ")");
    if (regionCrs != 0 && regionCrs != fromParam) {
      return fail(ctx, STATUS_BAD_PARAM, "from is " + name(fromParam) + " but the region's crs is " + name(regionCrs) + " (omit from to use the region's)");
    }
    from = fromParam;
  } else if (regionCrs == 0) {
    return fail(ctx, STATUS_BAD_PARAM, "the region has no crs (0): say which with from");
  } else if (family(regionCrs) < 0) {
    return fail(ctx, STATUS_UNSUPPORTED_CRS, "the region's crs " + name(regionCrs) + " is not supported (" + SUPPORTED + ")");
  }

  // the output: a copy of the input with new coordinates, crs and extent
  const total = byteLength(r);
  const out = alloc(<usize>total, 8);
  memory.copy(out, r, <usize>total);
  store<i32>(out + HDR_CRS, to);
  if (k == KIND_POINTS) {
    transform(section(out, SEC_MAIN), count(out), POINT_STRIDE, from, to);
  } else {
    transform(section(out, SEC_COORDS), sectionCount(out, SEC_COORDS), COORD_STRIDE, from, to);
  }
  setExtent(out, minX, minY, maxX, maxY);
  output(ctx, out, <usize>total);
  return STATUS_OK;
}

// the extent of the last transform (finite coordinates only; NaN when there are none)
let minX: f64 = NaN;
let minY: f64 = NaN;
let maxX: f64 = NaN;
let maxY: f64 = NaN;

/**
 * Reprojects n records `recordBytes` apart that start with {x f64, y f64} (a point record and a features
 * coordinate alike: POINT_X/POINT_Y are those offsets), in place, and measures their extent.
 */
function transform(base: usize, n: u32, recordBytes: i32, from: i32, to: i32): void {
  const same = from == to;
  const src = new Crs(from);
  const dst = new Crs(to);
  let x0 = Infinity, y0 = Infinity, x1 = -Infinity, y1 = -Infinity;
  const step = <usize>recordBytes;
  const end = base + <usize>n * step;
  for (let p = base; p < end; p += step) {
    let x = load<f64>(p + POINT_X);
    let y = load<f64>(p + POINT_Y);
    if (!same) {
      if (finite(x) && finite(y)) {
        src.toGeographic(x, y);
        dst.fromGeographic(outX, outY);
        x = outX;
        y = outY;
      } else {
        x = NaN;
        y = NaN;
      }
      store<f64>(p + POINT_X, x);
      store<f64>(p + POINT_Y, y);
    }
    if (finite(x) && finite(y)) {
      x0 = min(x0, x);
      x1 = max(x1, x);
      y0 = min(y0, y);
      y1 = max(y1, y);
    }
  }
  const any = x0 <= x1;
  minX = any ? x0 : NaN;
  minY = any ? y0 : NaN;
  maxX = any ? x1 : NaN;
  maxY = any ? y1 : NaN;
}

// @ts-ignore: decorator
@inline function finite(v: f64): bool { return v - v == 0; }

/** A parameter slot as an EPSG code; -1 if it is not a plausible one (so it is reported unsupported). */
function epsg(v: f64): i32 {
  return v >= 0 && v <= 99999 && v == Math.floor(v) ? <i32>v : -1;
}

function name(code: i32): string { return "EPSG:" + code.toString(); }
