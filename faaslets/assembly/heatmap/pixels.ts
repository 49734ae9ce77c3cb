// Input points → tile pixel space, keeping only those within the kernel's reach of the tile, grouped
// by the band of rows they start in (a counting sort) so a kernel can work one band at a time, and
// within a band by blocks of 8 rows, then by columns, so consecutive points touch nearby cells (cache
// locality: the quartic writes a tenth faster than when ordered by column alone).
import { alloc } from "../lib/ctx";
import { mercatorPsi } from "./mercator";

// @ts-ignore: decorator
@inline export const PIXEL_STRIDE: usize = 24; // px f64, py f64, weight f64

const EARTH_CIRCUMFERENCE: f64 = 2 * Math.PI * 6378137;

export class PixelPoints {
  /** n records of PIXEL_STRIDE bytes, ordered by (band, block of 8 rows, column bucket) */
  ptr: usize = 0;
  n: i32 = 0;
  /** u32 × (bands · keysPerBand + 1): index of the first record of each key */
  keyStart: usize = 0;
  keysPerBand: i32 = 0;
  bands: i32 = 0;
  /** rows per band = 1 << bandShift */
  bandShift: i32 = 0;
  /** a point starting in band k reaches no row past band k + span */
  span: i32 = 0;
  /** index of the first input record with a non-finite coordinate or weight, or -1 */
  bad: i32 = -1;

  /** Index of the first record of band k (k = bands: n). */
  bandStart(k: i32): u32 { return load<u32>(this.keyStart + (<usize>(k * this.keysPerBand) << 2)); }
}

// @ts-ignore: decorator
@inline const BUCKET_SHIFT = 2; // 4 columns a bucket

/**
 * An integral double (|x| < 2^31) as i32, in two instructions: x + 1.5·2^52 holds x in its low bits
 * (TurboFan's i32.trunc_sat_f64_s checks for NaN and range on every call).
 */
// @ts-ignore: decorator
@inline export function toInt(x: f64): i32 {
  return <i32>reinterpret<i64>(x + 6755399441055744.0);
}

/**
 * Projects `count` records (x at +0, y at +8, weight at +weightAt) in EPSG:4326 or 3857 to pixels of
 * tile z/tx/ty at `size` pixels: px = (X·2^z − tx)·size, py = (Y·2^z − ty)·size with X, Y the web
 * mercator unit square. Keeps points closer than `reach` pixels to the tile (the rest cannot touch a
 * cell centre); non-finite input stops the pass with `bad` set.
 */
export function toPixels(
  src: usize, count: u32, stride: usize, weightAt: usize, crs: i32,
  z: i32, tx: f64, ty: f64, size: i32, reach: f64, bandShift: i32,
): PixelPoints {
  const out = new PixelPoints();
  const bands = ((size - 1) >> bandShift) + 1;
  out.bands = bands;
  out.bandShift = bandShift;
  out.span = ((<i32>Math.ceil(2 * reach) + 2) >> bandShift) + 1;
  const tmp = alloc(<usize>count * PIXEL_STRIDE + 8, 8);
  const keyOf = alloc(<usize>count * 4 + 4, 4);
  const buckets = ((size + 2 * <i32>Math.ceil(reach)) >> BUCKET_SHIFT) + 1;
  // within a band, by blocks of 8 rows, then by column bucket: points next to each other in the order
  // are near in both directions
  const rowBlocks = ((1 << bandShift) + 7) >> 3;
  out.keysPerBand = rowBlocks * buckets;
  const keys = bands * rowBlocks * buckets;
  const starts = alloc(<usize>(keys + 1) * 4, 4);
  memory.fill(starts, 0, <usize>(keys + 1) * 4);
  const tiles = <f64>(1 << z); // tiles across the mercator unit square at this zoom
  const cells = <f64>size;
  const lo = -reach, hi = <f64>size + reach;
  // EPSG:4326: the pixels of all records first, four at a time in f64x2 lanes (the mercator ordinate of
  // each pair a long dependency chain beside the other's), with the operations of the scalar
  // px = ((λ/360 + 0.5)·tiles − tx)·cells, py = ((0.5 − ψ/2π)·tiles − ty)·cells; as (px, px′, py, py′)
  let pxy: usize = 0;
  if (crs == 4326) {
    pxy = alloc(<usize>(count + 3) << 4, 16);
    const half = f64x2.splat(0.5), twoPi = f64x2.splat(2 * Math.PI), deg = f64x2.splat(360);
    const tilesV = f64x2.splat(tiles), txV = f64x2.splat(tx), tyV = f64x2.splat(ty), cellsV = f64x2.splat(cells);
    const last = src + <usize>(count > 0 ? count - 1 : 0) * stride;
    for (let i: u32 = 0; i < count; i += 4) {
      // past the last record, the last record again (computed, never read)
      const r0 = src + <usize>i * stride;
      const r1 = i + 1 < count ? r0 + stride : last, r2 = i + 2 < count ? r0 + 2 * stride : last;
      const r3 = i + 3 < count ? r0 + 3 * stride : last;
      const lonA = f64x2.replace_lane(f64x2.splat(load<f64>(r0)), 1, load<f64>(r1));
      const lonB = f64x2.replace_lane(f64x2.splat(load<f64>(r2)), 1, load<f64>(r3));
      const psiA = mercatorPsi(f64x2.replace_lane(f64x2.splat(load<f64>(r0, 8)), 1, load<f64>(r1, 8)));
      const psiB = mercatorPsi(f64x2.replace_lane(f64x2.splat(load<f64>(r2, 8)), 1, load<f64>(r3, 8)));
      const at = pxy + (<usize>i << 4);
      v128.store(at, f64x2.mul(f64x2.sub(f64x2.mul(f64x2.add(f64x2.div(lonA, deg), half), tilesV), txV), cellsV));
      v128.store(at, f64x2.mul(f64x2.sub(f64x2.mul(f64x2.sub(half, f64x2.div(psiA, twoPi)), tilesV), tyV), cellsV), 16);
      v128.store(at, f64x2.mul(f64x2.sub(f64x2.mul(f64x2.add(f64x2.div(lonB, deg), half), tilesV), txV), cellsV), 32);
      v128.store(at, f64x2.mul(f64x2.sub(f64x2.mul(f64x2.sub(half, f64x2.div(psiB, twoPi)), tilesV), tyV), cellsV), 48);
    }
  }
  let n = 0;
  for (let i: u32 = 0; i < count; i++) {
    const rec = src + <usize>i * stride;
    const x = load<f64>(rec), y = load<f64>(rec, 8), w = load<f64>(rec + weightAt);
    if (!isFinite(x) || !isFinite(y) || !isFinite(w)) { out.bad = <i32>i; return out; }
    let px: f64, py: f64;
    if (crs == 4326) {
      const at = pxy + (<usize>(i & ~1) << 4) + (<usize>(i & 1) << 3);
      px = load<f64>(at);
      py = load<f64>(at, 16);
    } else {
      px = ((x / EARTH_CIRCUMFERENCE + 0.5) * tiles - tx) * cells;
      py = ((0.5 - y / EARTH_CIRCUMFERENCE) * tiles - ty) * cells;
    }
    // NaN (a latitude beyond ±90°) fails both tests and is dropped with the far-away points
    if (!(px > lo && px < hi && py > lo && py < hi)) continue;
    const p = tmp + <usize>n * PIXEL_STRIDE;
    store<f64>(p, px);
    store<f64>(p, py, 8);
    store<f64>(p, w, 16);
    const firstRow = max<i32>(0, toInt(Math.floor(py - reach - 0.5)) + 1);
    const band = min<i32>(bands - 1, firstRow >> bandShift);
    const bucket = min<i32>(buckets - 1, toInt(Math.floor(px + reach)) >> BUCKET_SHIFT);
    const block = min<i32>(rowBlocks - 1, (firstRow - (band << bandShift)) >> 3);
    const key = (band * rowBlocks + block) * buckets + bucket;
    store<u32>(keyOf + (<usize>n << 2), key);
    store<u32>(starts + (<usize>(key + 1) << 2), load<u32>(starts + (<usize>(key + 1) << 2)) + 1);
    n++;
  }
  for (let k = 0; k < keys; k++) {
    store<u32>(starts + (<usize>(k + 1) << 2), load<u32>(starts + (<usize>(k + 1) << 2)) + load<u32>(starts + (<usize>k << 2)));
  }
  // counting sort by key; `fill` walks each key's next free slot
  const fill = alloc(<usize>keys * 4 + 4, 4);
  memory.copy(fill, starts, <usize>keys * 4);
  const sorted = alloc(<usize>n * PIXEL_STRIDE + 8, 8);
  for (let i = 0; i < n; i++) {
    const key = <usize>load<u32>(keyOf + (<usize>i << 2));
    const slot = load<u32>(fill + (key << 2));
    store<u32>(fill + (key << 2), slot + 1);
    const from = tmp + <usize>i * PIXEL_STRIDE, to = sorted + <usize>slot * PIXEL_STRIDE;
    store<f64>(to, load<f64>(from));
    store<f64>(to, load<f64>(from, 8), 8);
    store<f64>(to, load<f64>(from, 16), 16);
  }
  out.ptr = sorted;
  out.n = n;
  out.keyStart = starts;
  return out;
}
