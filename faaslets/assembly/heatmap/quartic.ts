// Quartic (biweight) kernel density, exact, in O(points·r + cells) instead of O(points·r²).
//
// Along one row of cells a point's contribution w·(1 − (dx² + dy²)/r²)² is a degree-4 polynomial in the
// column over the interval of columns inside its disc. So each point adds its 5 coefficients (and a
// count of 1) at the interval's first column and subtracts them after its last, into a per-row
// difference array; one pass along the row then prefix-sums the coefficients and evaluates the sum of
// the active polynomials at every cell.
//
// Conditioning: the polynomial is written in u = (cell centre − o)/r with o the centre of a block of
// B columns (B the largest power of two ≤ 4r, so 2r < B), so |u| < 2 and every point active at u has
// |p| < 3 (|u − p| < 1):
// Σ|terms| ≤ 625·w, and the cancellation costs < 1.5e-13 of the active weight (one origin for the whole
// row would cost (size/r)⁴). An interval that crosses into the next block is re-expressed there: a
// "transfer" event adds its coefficients in the new block's variable at the block's first column,
// and the running sums restart at every block. The count lane is exact (small integers in f64): a
// cell no point reaches is exactly 0, and the sums restart whenever it drops to 0, so rounding left
// by intervals that ended cannot leak into the cells after them.
//
// Layout of one row of the difference array: block b owns slots [b·(B+1), (b+1)·(B+1)): one per column
// plus a sink after its last column, where intervals ending at the block's end subtract (never read),
// so an interval's end needs no test. An interval is shorter than B (2r < B): it spans one block or
// two. (Measured: testing for the crossing beats an unconditional transfer into a dummy slot by ~10%.)
//
// Which cells a point covers: those with centre strictly inside its disc, i + 0.5 ∈ (px − h, px + h),
// h = √(r² − dy²): exactly the direct sum's d < r wherever h is exact, else up to the rounding of h.
//
// Speed (V8): two rows per step in f64x2 (square root, floor/ceil, integer conversion by adding
// 1.5·2^52), the coefficients of an interval's two blocks as the two lanes of one f64x2, loop
// invariants read from memory (TurboFan would otherwise recompute 1/r inside the loop).
import { alloc } from "../lib/ctx";
import { PIXEL_STRIDE, PixelPoints } from "./pixels";

// @ts-ignore: decorator
@inline const SLOT_BYTES: usize = 48; // c0 c1 | c2 c3 | c4 count, as three f64x2
// @ts-ignore: decorator
@inline const ROUND: f64 = 6755399441055744.0; // 1.5·2^52: x + ROUND holds integer x in its low 32 bits

/** Columns per block: the largest power of two ≤ 4r (at least 1), so |u| ≤ B/2r ≤ 2. */
export function blockWidth(r: f64): i32 {
  let b = 1;
  while (<f64>(b << 1) <= 4 * r) b <<= 1;
  return b;
}

// @ts-ignore: decorator
@inline function addEvent(at: usize, c01: v128, c23: v128, c4n: v128): void {
  v128.store(at, f64x2.add(v128.load(at), c01));
  v128.store(at, f64x2.add(v128.load(at, 16), c23), 16);
  v128.store(at, f64x2.add(v128.load(at, 32), c4n), 32);
}

// @ts-ignore: decorator
@inline function subEvent(at: usize, c01: v128, c23: v128, c4n: v128): void {
  v128.store(at, f64x2.sub(v128.load(at), c01));
  v128.store(at, f64x2.sub(v128.load(at, 16), c23), 16);
  v128.store(at, f64x2.sub(v128.load(at, 32), c4n), 32);
}

/**
 * The events of one row interval [lo, hi) (clipped to the tile): start, end, and a transfer where it
 * enters the next block. Given a = 1 − (dy/r)² and the
 * point's constants splatted: px, 1/r, w, 4w, and (w, 1).
 */
// @ts-ignore: decorator
@inline function interval(
  rowDiff: usize, lo: i32, hi: i32, a: f64, pxv: v128, invR: v128, wv: v128, w4v: v128, c4n: v128,
  blockShift: i32, B: i32, W: i32, origins: usize,
): void {
  lo = max<i32>(lo, 0);
  hi = min<i32>(hi, W);
  if (lo >= hi) return;
  const bLo = lo >> blockShift;
  const bHi = (hi - 1) >> blockShift;
  const cross = bHi - bLo;
  // lanes: (the block of the first cell, the block of the last) — the same block unless it crosses
  const p = f64x2.mul(f64x2.sub(pxv, v128.load(origins + (<usize>((bLo << 1) + cross) << 4))), invR);
  // (a − (u − p)²)² = m² + 4pm·u + (4p² − 2m)·u² − 4p·u³ + u⁴,  m = a − p²
  const m = f64x2.sub(f64x2.splat(a), f64x2.mul(p, p));
  const wm = f64x2.mul(wv, m);
  const pw4 = f64x2.mul(w4v, p);
  const c0 = f64x2.mul(wm, m);
  const c1 = f64x2.mul(pw4, m);
  const c2 = f64x2.sub(f64x2.mul(p, pw4), f64x2.add(wm, wm));
  const c3 = f64x2.neg(pw4);
  const stride = <usize>(B + 1);
  addEvent(rowDiff + <usize>(lo + bLo) * SLOT_BYTES, f64x2.shuffle(c0, c1, 0, 2), f64x2.shuffle(c2, c3, 0, 2), c4n);
  const c01 = f64x2.shuffle(c0, c1, 1, 3), c23 = f64x2.shuffle(c2, c3, 1, 3);
  if (cross != 0) addEvent(rowDiff + <usize>bHi * stride * SLOT_BYTES, c01, c23, c4n);
  subEvent(rowDiff + <usize>(hi + bHi) * SLOT_BYTES, c01, c23, c4n);
}

export function quartic(pts: PixelPoints, size: i32, r: f64, grid: usize): void {
  const W = size;
  const B = blockWidth(r);
  const blockShift = <i32>ctz(B);
  const blocks = (W + B - 1) >> blockShift;
  const slots = blocks * (B + 1);
  const rowBytes = <usize>slots * SLOT_BYTES;
  const shift = pts.bandShift;
  const rows = 1 << shift;
  const diff = alloc(<usize>rows * rowBytes, 16);
  memory.fill(diff, 0, <usize>rows * rowBytes);
  // block centres o_b = b·B + B/2 in pixels, as lane pairs (o_b, o_b) and (o_b, o_b+1): the origins
  // of an interval's first and last block
  const origins = alloc(<usize>blocks << 5, 16);
  for (let b = 0; b < blocks; b++) {
    const at = origins + (<usize>b << 5);
    const o = <f64>(b * B) + <f64>B * 0.5;
    store<f64>(at, o);
    store<f64>(at, o, 8);
    store<f64>(at, o, 16);
    store<f64>(at, o + <f64>B, 24);
  }
  // loop invariants, read from memory in the loops
  const k = alloc(32, 16);
  store<f64>(k, r * r);
  store<f64>(k, 1 / (r * r), 8);
  store<f64>(k, 1 / r, 16);
  const halfB = <f64>B * 0.5;
  for (let band = 0; band < pts.bands; band++) {
    const row0 = band << shift;
    const row1 = min<i32>(row0 + rows, W);
    const first = pts.bandStart(max<i32>(0, band - pts.span));
    const last = pts.bandStart(band + 1);
    for (let i = first; i < last; i++) {
      const rec = pts.ptr + <usize>i * PIXEL_STRIDE;
      const px = load<f64>(rec), py = load<f64>(rec, 8), w = load<f64>(rec, 16);
      const ja = max<i32>(row0, <i32>Math.floor(py - r - 0.5) + 1);
      const jb = min<i32>(row1, <i32>Math.ceil(py + r - 0.5));
      if (ja >= jb) continue;
      const xl = f64x2.splat(px - 0.5);
      const pyv = f64x2.splat(py);
      const pxv = f64x2.splat(px);
      const invR = f64x2.splat(load<f64>(k, 16));
      const wv = f64x2.splat(w);
      const w4v = f64x2.splat(4 * w);
      const c4n = f64x2.replace_lane(f64x2.splat(1), 0, w);
      const yc0 = <f64>ja + 0.5;
      let yc = f64x2.replace_lane(f64x2.splat(yc0), 1, yc0 + 1);
      let rowDiff = diff + <usize>(ja - row0) * rowBytes;
      for (let j = ja; j < jb; j += 2) {
        const dy = f64x2.sub(yc, pyv);
        // rows just past the disc may round to h² ≤ 0: h = 0 gives them an empty interval
        const h2 = f64x2.pmax(f64x2.sub(f64x2.splat(load<f64>(k)), f64x2.mul(dy, dy)), f64x2.splat(0));
        const h = f64x2.sqrt(h2);
        const lo = f64x2.add(f64x2.add(f64x2.floor(f64x2.sub(xl, h)), f64x2.splat(1)), f64x2.splat(ROUND));
        const hi = f64x2.add(f64x2.ceil(f64x2.add(xl, h)), f64x2.splat(ROUND));
        const a = f64x2.mul(h2, f64x2.splat(load<f64>(k, 8)));
        interval(rowDiff, i32x4.extract_lane(lo, 0), i32x4.extract_lane(hi, 0), f64x2.extract_lane(a, 0),
          pxv, invR, wv, w4v, c4n, blockShift, B, W, origins);
        if (j + 1 < jb) {
          const next = rowDiff + rowBytes;
          interval(next, i32x4.extract_lane(lo, 2), i32x4.extract_lane(hi, 2), f64x2.extract_lane(a, 1),
            pxv, invR, wv, w4v, c4n, blockShift, B, W, origins);
        }
        yc = f64x2.add(yc, f64x2.splat(2));
        rowDiff += rowBytes << 1;
      }
    }
    // prefix-sum and evaluate every row of the band, then clear the band for the next one
    for (let j = row0; j < row1; j++) {
      const rowDiff = diff + <usize>(j - row0) * rowBytes;
      const out = grid + <usize>j * <usize>W * 4;
      for (let b = 0; b < blocks; b++) {
        const blockStart = b << blockShift;
        const blockEnd = min<i32>(blockStart + B, W);
        let s01 = f64x2.splat(0), s23 = f64x2.splat(0), s4n = f64x2.splat(0);
        let at = rowDiff + <usize>(blockStart + b) * SLOT_BYTES;
        for (let c = blockStart; c < blockEnd; c++, at += SLOT_BYTES) {
          s01 = f64x2.add(s01, v128.load(at));
          s23 = f64x2.add(s23, v128.load(at, 16));
          s4n = f64x2.add(s4n, v128.load(at, 32));
          let v: f64 = 0;
          if (f64x2.extract_lane(s4n, 1) < 0.5) {
            s01 = f64x2.splat(0); s23 = f64x2.splat(0); s4n = f64x2.splat(0);
          } else {
            const u = (<f64>(c - blockStart) + 0.5 - halfB) * load<f64>(k, 16);
            const c4 = f64x2.extract_lane(s4n, 0);
            const c3 = f64x2.extract_lane(s23, 1), c2 = f64x2.extract_lane(s23, 0);
            const c1 = f64x2.extract_lane(s01, 1), c0 = f64x2.extract_lane(s01, 0);
            v = c0 + u * (c1 + u * (c2 + u * (c3 + u * c4)));
          }
          store<f32>(out + (<usize>c << 2), <f32>v);
        }
      }
    }
    memory.fill(diff, 0, <usize>rows * rowBytes);
  }
}
