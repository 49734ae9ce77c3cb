// Input points → tile pixel space, keeping only those within the kernel's reach of the tile, grouped
// by the band of rows they start in (a counting sort) so a kernel can work one band at a time, and by
// column within a band, so consecutive points touch nearby cells (cache locality).
import { alloc } from "../lib/ctx";

// @ts-ignore: decorator
@inline export const PIXEL_STRIDE: usize = 24; // px f64, py f64, weight f64

const EARTH_CIRCUMFERENCE: f64 = 2 * Math.PI * 6378137;

export class PixelPoints {
  /** n records of PIXEL_STRIDE bytes, ordered by (band, column bucket) */
  ptr: usize = 0;
  n: i32 = 0;
  /** u32 × (bands · columnBuckets + 1): index of the first record of each (band, column bucket) */
  keyStart: usize = 0;
  columnBuckets: i32 = 0;
  bands: i32 = 0;
  /** rows per band = 1 << bandShift */
  bandShift: i32 = 0;
  /** a point starting in band k reaches no row past band k + span */
  span: i32 = 0;
  /** index of the first input record with a non-finite coordinate or weight, or -1 */
  bad: i32 = -1;

  /** Index of the first record of band k (k = bands: n). */
  bandStart(k: i32): u32 { return load<u32>(this.keyStart + (<usize>(k * this.columnBuckets) << 2)); }
}

// @ts-ignore: decorator
@inline const BUCKET_SHIFT = 3; // 8 columns a bucket

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
  out.columnBuckets = buckets;
  const keys = bands * buckets;
  const starts = alloc(<usize>(keys + 1) * 4, 4);
  memory.fill(starts, 0, <usize>(keys + 1) * 4);
  const tiles = <f64>(1 << z); // tiles across the mercator unit square at this zoom
  const cells = <f64>size;
  const lo = -reach, hi = <f64>size + reach;
  let n = 0;
  for (let i: u32 = 0; i < count; i++) {
    const rec = src + <usize>i * stride;
    const x = load<f64>(rec), y = load<f64>(rec, 8), w = load<f64>(rec + weightAt);
    if (!isFinite(x) || !isFinite(y) || !isFinite(w)) { out.bad = <i32>i; return out; }
    let X: f64, Y: f64;
    if (crs == 4326) {
      X = x / 360 + 0.5;
      Y = 0.5 - Math.log(Math.tan(Math.PI / 4 + y * (Math.PI / 360))) / (2 * Math.PI);
    } else {
      X = x / EARTH_CIRCUMFERENCE + 0.5;
      Y = 0.5 - y / EARTH_CIRCUMFERENCE;
    }
    const px = (X * tiles - tx) * cells, py = (Y * tiles - ty) * cells;
    // NaN (a latitude beyond ±90°) fails both tests and is dropped with the far-away points
    if (!(px > lo && px < hi && py > lo && py < hi)) continue;
    const p = tmp + <usize>n * PIXEL_STRIDE;
    store<f64>(p, px);
    store<f64>(p, py, 8);
    store<f64>(p, w, 16);
    const firstRow = max<i32>(0, <i32>Math.floor(py - reach - 0.5) + 1);
    const band = min<i32>(bands - 1, firstRow >> bandShift);
    const bucket = min<i32>(buckets - 1, <i32>(px + reach) >> BUCKET_SHIFT);
    const key = band * buckets + bucket;
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
