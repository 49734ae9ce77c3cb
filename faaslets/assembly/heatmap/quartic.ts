// Quartic (biweight) kernel density, exact, in O(points·r + cells) instead of O(points·r²).
//
// Along one row of cells a point's contribution w·(1 − (dx² + dy²)/r²)² is a degree-4 polynomial in the
// column over the interval of columns inside its disc. So each point adds its 5 coefficients (and a
// count of 1) at the interval's first column and subtracts them after its last, into a per-row
// difference array; one pass along the row then prefix-sums the coefficients and evaluates the sum of
// the active polynomials at every cell.
//
// Conditioning: the polynomial is written in u = (cell centre − o)/r with o the centre of a block of
// B = 2H columns, H = ⌈2r⌉ (a disc's cells span at most H columns). There are two staggered systems of
// such blocks, boundaries at the even multiples of H and at the odd ones: a span of at most H columns
// crosses at most one of those boundaries, so it lies whole inside a block of one system. Each point
// writes all its rows into that one block, in that block's variable, and no term is ever carried across
// a boundary; the evaluation adds the two systems. In its block |u| ≲ H/r and every point active at u has
// |p| ≲ H/r, |u − p| < 1 (p = (px − o)/r), so Σ|terms| ≲ 16·(H/r)⁴·w: 256·w when 2r is an integer (r = 16:
// the cancellation costs < 3e-14 of the active weight; one origin for the whole row would cost
// (size/r)⁴), ≤ 1296·w for any r ≥ 1, ≤ 4096·w for r in (0.5, 1). For r ≤ 0.5 a disc spans one column
// and the blocks are single columns, u = 0. The count lane is exact (small integers in f64): a cell no
// point reaches is exactly 0, and the sums restart whenever it drops to 0 and at every block start, so
// rounding left by intervals that ended cannot leak into the cells after them.
//
// Layout: each row of a system covers the tile's columns padded by P = H + 1 on both sides (every
// disc's columns lie in [−P, size + P), so no interval needs clipping); block k owns one slot per column
// plus a sink after its last column, where intervals ending at the block's end subtract (never read).
// A point whose span, rounded, comes out wider than H (an extreme column's centre is then within
// rounding of the rim) has that column dropped and its rows clamped to the rest.
//
// Which cells a point covers: those with centre strictly inside its disc, i + 0.5 ∈ (px − h, px + h),
// h = √(r² − dy²): exactly the direct sum's d < r wherever h is exact, else up to the rounding of h.
//
// Speed (V8, measured): two rows per step in f64x2 (square root, floor/ceil, addresses as doubles made
// integers by adding 1.5·2^52), the square root of the next two rows computed while the current ones are
// written (it is the longest latency in the step); no transfer between blocks, so four events a step
// and no branch; a point's constants computed once, not at each band it visits; loop invariants loaded
// inside the loop (TurboFan would otherwise recompute them there, or spill them: 16 vector registers);
// points ordered by 8-row blocks and columns (pixels.ts), so that a point's slots are mostly in L1.
import { alloc } from "../lib/ctx";
import { PIXEL_STRIDE, PixelPoints, toInt } from "./pixels";

// @ts-ignore: decorator
@inline const SLOT_BYTES: usize = 48; // c0 c1 | c2 −c3 | c4 count, as three f64x2
// @ts-ignore: decorator
@inline const ROUND: f64 = 6755399441055744.0; // 1.5·2^52: x + ROUND holds integer x in its low 32 bits

// a point's constants (Q_*, one record a point, in the order of `pts`), per visit (PT_*) and per call
// (K_*) constants, at these offsets of their blocks
// @ts-ignore: decorator
@inline const Q_XR: usize = 0;     // px + 0.5
// @ts-ignore: decorator
@inline const Q_XL: usize = 8;     // px − 0.5
// @ts-ignore: decorator
@inline const Q_P2: usize = 16;    // p²
// @ts-ignore: decorator
@inline const Q_W: usize = 24;     // w
// @ts-ignore: decorator
@inline const Q_W4P: usize = 32;   // 4wp
// @ts-ignore: decorator
@inline const Q_W4P2: usize = 40;  // 4wp²
// @ts-ignore: decorator
@inline const Q_AT: usize = 48;    // i32: byte offset of its block's slot for column 0 in row 0 of the band
// @ts-ignore: decorator
@inline const Q_HOW: usize = 52;   // i32: Q_PLAIN, Q_NONE, or for a point whose span came out wider than H
                                   // by rounding, 1 + its first padded column (its span is then exactly H)
// @ts-ignore: decorator
@inline const Q_PY: usize = 56;    // py
// @ts-ignore: decorator
@inline const Q_BYTES: usize = 64;
// @ts-ignore: decorator
@inline const Q_PLAIN: i32 = 0;
// @ts-ignore: decorator
@inline const Q_NONE: i32 = -1;    // no column of the tile
// @ts-ignore: decorator
@inline const PT_C4N: usize = 0;   // (w, 1)
// @ts-ignore: decorator
@inline const PT_LO: usize = 16;   // first column (clamped points only)
// @ts-ignore: decorator
@inline const PT_HI: usize = 32;   // last column + 1 (clamped points only)
// @ts-ignore: decorator
@inline const PT_BYTES: usize = 48;
// @ts-ignore: decorator
@inline const K_RR: usize = 0;     // r²
// @ts-ignore: decorator
@inline const K_INVR2: usize = 16; // 1/r²
// @ts-ignore: decorator
@inline const K_SLOT: usize = 32;  // SLOT_BYTES
// @ts-ignore: decorator
@inline const K_TWO: usize = 48;   // 2
// @ts-ignore: decorator
@inline const K_STEP: usize = 64;  // two rows, in bytes
// @ts-ignore: decorator
@inline const K_BYTES: usize = 80;

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
 * The events of rows [ja, jb) of the point with constants at `q`, two rows a step (the last step's second
 * row may be one past jb), from dy and the slot-0 addresses (+ ROUND) of the first two rows; its intervals
 * clamped to columns [PT_LO, PT_HI] if `clamp`. Constants are read where they are used: kept in registers
 * across the loop, they would be spilled anyway.
 */
// @ts-ignore: decorator
@inline function pointRows(clamp: bool, q: usize, pt: usize, k: usize, ja: i32, jb: i32, dy: v128, base: v128): void {
  // h² clamped at 0: rows just past the disc may round to h² ≤ 0, and h = 0 gives them an empty interval
  let h2 = f64x2.pmax(f64x2.sub(v128.load(k, K_RR), f64x2.mul(dy, dy)), f64x2.splat(0));
  let h = f64x2.sqrt(h2);
  for (let j = ja; j < jb; j += 2) {
    // the square root of the next two rows is taken while these are written (its latency would stall)
    dy = f64x2.add(dy, v128.load(k, K_TWO));
    const h2n = f64x2.pmax(f64x2.sub(v128.load(k, K_RR), f64x2.mul(dy, dy)), f64x2.splat(0));
    const hn = f64x2.sqrt(h2n);
    // cells [lo, hi): i + 0.5 ∈ (px − h, px + h); hi ≥ lo keeps an empty interval empty
    let lo = f64x2.floor(f64x2.sub(f64x2.splat(load<f64>(q, Q_XR)), h));
    let hi = f64x2.ceil(f64x2.add(f64x2.splat(load<f64>(q, Q_XL)), h));
    if (clamp) {
      const loB = v128.load(pt, PT_LO), hiB = v128.load(pt, PT_HI);
      lo = f64x2.pmin(f64x2.pmax(lo, loB), hiB);
      hi = f64x2.pmin(hi, hiB);
    }
    hi = f64x2.pmax(hi, lo);
    const slot = v128.load(k, K_SLOT);
    const loAt = f64x2.add(f64x2.mul(lo, slot), base);
    const hiAt = f64x2.add(f64x2.mul(hi, slot), base);
    // w·(a − (u − p)²)² = c0 + c1·u + c2·u² + c3·u³ + c4·u⁴ with a = h²/r², m = a − p²:
    // c0 = w·m², c1 = 4wp·m, c2 = 4wp² − 2w·m, c3 = −4wp, c4 = w (the slot holds −c3)
    const m = f64x2.sub(f64x2.mul(h2, v128.load(k, K_INVR2)), f64x2.splat(load<f64>(q, Q_P2)));
    const wm = f64x2.mul(f64x2.splat(load<f64>(q, Q_W)), m);
    const w4p = f64x2.splat(load<f64>(q, Q_W4P));
    const c0 = f64x2.mul(wm, m);
    const c1 = f64x2.mul(w4p, m);
    const c2 = f64x2.sub(f64x2.splat(load<f64>(q, Q_W4P2)), f64x2.add(wm, wm));
    const a01 = f64x2.shuffle(c0, c1, 0, 2), a23 = f64x2.shuffle(c2, w4p, 0, 2);
    const b01 = f64x2.shuffle(c0, c1, 1, 3), b23 = f64x2.shuffle(c2, w4p, 1, 3);
    const c4n = v128.load(pt, PT_C4N);
    addEvent(<usize>i32x4.extract_lane(loAt, 0), a01, a23, c4n);
    subEvent(<usize>i32x4.extract_lane(hiAt, 0), a01, a23, c4n);
    addEvent(<usize>i32x4.extract_lane(loAt, 2), b01, b23, c4n);
    subEvent(<usize>i32x4.extract_lane(hiAt, 2), b01, b23, c4n);
    base = f64x2.add(base, v128.load(k, K_STEP));
    h = hn;
    h2 = h2n;
  }
}

// @ts-ignore: decorator
@inline function clearSlot(at: usize): void {
  const zero = f64x2.splat(0);
  v128.store(at, zero);
  v128.store(at, zero, 16);
  v128.store(at, zero, 32);
}

export function quartic(pts: PixelPoints, size: i32, r: f64, grid: usize): void {
  const W = size;
  const H = max<i32>(1, <i32>Math.ceil(2 * r));
  const B = H == 1 ? 1 : 2 * H; // single columns when a disc spans one: system 1 is then unused
  const P = H + 1;
  const Wp = W + 2 * P; // padded columns q = column + P
  // system s: block k covers padded columns [k·B − s·H, (k + 1)·B − s·H) ∩ [0, Wp), centred at
  // k·B + B/2 − s·H
  const blocks0 = (Wp + B - 1) / B;
  const blocks1 = B == 1 ? 0 : (Wp + H + B - 1) / B;
  const slots = Wp + max<i32>(blocks0, blocks1); // column q of block k is slot q + k
  const rowBytes = <usize>slots * SLOT_BYTES;
  const shift = pts.bandShift;
  const rows = 1 << shift;
  // system s, row j of the band: diff + s·sysBytes + (j − row0)·rowBytes; row `rows` is a spill row for
  // the second row of a step that ends the band
  const sysBytes = <usize>(rows + 1) * rowBytes;
  const diff = alloc(sysBytes * 2, 16);
  memory.fill(diff, 0, sysBytes * 2);
  // padded column → its block in system 0 and in system 1
  const blk = alloc(<usize>Wp << 3, 4);
  for (let q = 0; q < Wp; q++) {
    store<i32>(blk + (<usize>q << 3), q / B);
    store<i32>(blk + (<usize>q << 3), (q + H) / B, 4);
  }
  const invR = 1 / r;
  const invRV = f64x2.splat(invR);
  const tileEnd = P + W;
  const blockStep0 = f64x2.replace_lane(f64x2.splat(<f64>B), 1, 0), blockStep1 = f64x2.replace_lane(f64x2.splat(0), 1, <f64>B);
  const zero = f64x2.splat(0);
  const k = alloc(K_BYTES, 16);
  v128.store(k, f64x2.splat(r * r), K_RR);
  v128.store(k, f64x2.splat(1 / (r * r)), K_INVR2);
  v128.store(k, f64x2.splat(<f64>SLOT_BYTES), K_SLOT);
  v128.store(k, f64x2.splat(2), K_TWO);
  v128.store(k, f64x2.splat(<f64>(rowBytes << 1)), K_STEP);
  const pt = alloc(PT_BYTES, 16);
  // each point's constants, once
  const consts = alloc(<usize>max<i32>(pts.n, 1) * Q_BYTES, 16);
  for (let i = 0; i < pts.n; i++) {
    const rec = pts.ptr + <usize>i * PIXEL_STRIDE, q = consts + <usize>i * Q_BYTES;
    const px = load<f64>(rec), py = load<f64>(rec, 8), w = load<f64>(rec, 16);
    const xl = px - 0.5, xr = px + 0.5;
    store<f64>(q, py, Q_PY);
    // the point's columns, padded: every row's [lo, hi] lies in [qL, qR]
    let qL = toInt(Math.floor(xr - r)) + P;
    let qR = toInt(Math.ceil(xl + r)) + P;
    if (qR <= P || qL >= P + W) {
      store<i32>(q, Q_NONE, Q_HOW);
      continue;
    }
    let how = Q_PLAIN;
    if (qR - qL > H) {
      // more columns than a disc spans, by rounding: the end column that is not inside is dropped
      const dx = <f64>(qL - P) + 0.5 - px;
      if (dx * dx >= r * r) qL++;
      else qR--;
      if (qR - qL > H) qR--;
      how = 1 + qL;
    }
    const b0 = load<i32>(blk + (<usize>qL << 3));
    let system = 0, block = b0, o = <f64>(b0 * B - P) + <f64>B * 0.5;
    if (load<i32>(blk + (<usize>(qR - 1) << 3)) != b0) {
      // crosses a boundary of system 0, so none of system 1
      block = load<i32>(blk + (<usize>qL << 3), 4);
      system = 1;
      o = <f64>(block * B - P);
    }
    const p = (px - o) * invR;
    store<f64>(q, xr, Q_XR);
    store<f64>(q, xl, Q_XL);
    store<f64>(q, p * p, Q_P2);
    store<f64>(q, w, Q_W);
    store<f64>(q, 4 * w * p, Q_W4P);
    store<f64>(q, 4 * w * p * p, Q_W4P2);
    store<i32>(q, <i32>(<usize>system * sysBytes + <usize>(block + P) * SLOT_BYTES), Q_AT);
    store<i32>(q, how, Q_HOW);
  }
  for (let band = 0; band < pts.bands; band++) {
    const row0 = band << shift;
    const row1 = min<i32>(row0 + rows, W);
    const first = pts.bandStart(max<i32>(0, band - pts.span));
    const last = pts.bandStart(band + 1);
    const bandAt = <f64>diff + ROUND - <f64>row0 * <f64>rowBytes;
    for (let i = first; i < last; i++) {
      const q = consts + <usize>i * Q_BYTES;
      const py = load<f64>(q, Q_PY);
      const ja = max<i32>(row0, toInt(Math.floor(py - r - 0.5)) + 1);
      const jb = min<i32>(row1, toInt(Math.ceil(py + r - 0.5)));
      const how = load<i32>(q, Q_HOW);
      if (ja >= jb || how == Q_NONE) continue;
      const yc = <f64>ja + 0.5;
      const dy = f64x2.replace_lane(f64x2.splat(yc - py), 1, yc + 1 - py);
      const at = bandAt + <f64>load<i32>(q, Q_AT) + <f64>ja * <f64>rowBytes;
      const base = f64x2.replace_lane(f64x2.splat(at), 1, at + <f64>rowBytes);
      v128.store(pt, f64x2.replace_lane(f64x2.splat(1), 0, load<f64>(q, Q_W)), PT_C4N);
      if (how == Q_PLAIN) {
        pointRows(false, q, pt, k, ja, jb, dy, base);
      } else {
        const first = how - 1 - P;
        v128.store(pt, f64x2.splat(<f64>first), PT_LO);
        v128.store(pt, f64x2.splat(<f64>(first + H)), PT_HI);
        pointRows(true, q, pt, k, ja, jb, dy, base);
      }
    }
    // prefix-sum and evaluate every row of the band, both systems side by side, clearing the slots as
    // they are read: the padding before the tile summed only, after it cleared only
    for (let j = row0; j < row1; j++) {
      const out = grid + <usize>j * <usize>W * 4 - (<usize>P << 2);
      // system 0: next slot at0, block ends at padded column e0, centred at o0; system 1 likewise
      let at0 = diff + <usize>(j - row0) * rowBytes, at1 = at0 + sysBytes;
      let e0 = B, e1 = H;
      let origins = f64x2.replace_lane(f64x2.splat(<f64>B * 0.5), 1, 0);
      let a01 = zero, a23 = zero, a4n = zero, b01 = zero, b23 = zero, b4n = zero;
      for (let q = 0; q < Wp; q++, at0 += SLOT_BYTES, at1 += SLOT_BYTES) {
        if (q == e0) {
          clearSlot(at0); // the sink
          at0 += SLOT_BYTES;
          e0 += B;
          origins = f64x2.add(origins, blockStep0);
          a01 = zero; a23 = zero; a4n = zero;
        }
        if (q == e1) {
          clearSlot(at1);
          at1 += SLOT_BYTES;
          e1 += B;
          origins = f64x2.add(origins, blockStep1);
          b01 = zero; b23 = zero; b4n = zero;
        }
        if (q >= tileEnd) {
          clearSlot(at0);
          clearSlot(at1);
          continue;
        }
        a01 = f64x2.add(a01, v128.load(at0));
        a23 = f64x2.add(a23, v128.load(at0, 16));
        a4n = f64x2.add(a4n, v128.load(at0, 32));
        b01 = f64x2.add(b01, v128.load(at1));
        b23 = f64x2.add(b23, v128.load(at1, 16));
        b4n = f64x2.add(b4n, v128.load(at1, 32));
        clearSlot(at0);
        clearSlot(at1);
        // no interval active: the sums restart from exact zeros (the polynomial is then exactly 0)
        if (f64x2.extract_lane(a4n, 1) < 0.5) { a01 = zero; a23 = zero; a4n = zero; }
        if (f64x2.extract_lane(b4n, 1) < 0.5) { b01 = zero; b23 = zero; b4n = zero; }
        if (q < P) continue; // padding
        // both systems' polynomials at once, one a lane: c0 + u·(c1 + u·(c2 − u·(−c3 − u·c4)))
        const u = f64x2.mul(f64x2.sub(f64x2.splat(<f64>q + 0.5), origins), invRV);
        const c0 = f64x2.shuffle(a01, b01, 0, 2), c1 = f64x2.shuffle(a01, b01, 1, 3);
        const c2 = f64x2.shuffle(a23, b23, 0, 2), c3n = f64x2.shuffle(a23, b23, 1, 3);
        const c4 = f64x2.shuffle(a4n, b4n, 0, 2);
        const v = f64x2.add(c0, f64x2.mul(u, f64x2.add(c1, f64x2.mul(u, f64x2.sub(c2, f64x2.mul(u, f64x2.sub(c3n, f64x2.mul(u, c4))))))));
        store<f32>(out + (<usize>q << 2), <f32>(f64x2.extract_lane(v, 0) + f64x2.extract_lane(v, 1)));
      }
      clearSlot(at0); // the last sinks
      clearSlot(at1);
    }
    memory.fill(diff + <usize>rows * rowBytes, 0, rowBytes);
    memory.fill(diff + sysBytes + <usize>rows * rowBytes, 0, rowBytes);
  }
}
