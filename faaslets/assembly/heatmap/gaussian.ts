// Gaussian kernel density, w·exp(−d²/2r²) for d < 3r: not a polynomial, so no interval trick, but
// separable. Per point: one row of column factors exp(−dx²/2r²) and one factor per row, both by
// recurrence (a Gaussian sampled at unit steps is g(t+1) = g(t)·q(t), q(t+1) = q(t)·e^(−1/r²); the
// columns two at a time, even and odd ones in the two lanes of an f64x2), so 6 exps per point instead
// of one per cell; then each row of the disc is an f64x2 multiply-add of the column factors into an
// f64 band of rows, eight cells a step. Still O(points·r²), with a small constant.
//
// Which cells a point covers is decided exactly as a direct sum would: dx² + dy² < (3r)² in pixels.
import { alloc } from "../lib/ctx";
import { PIXEL_STRIDE, PixelPoints, toInt } from "./pixels";

/** The density of `pts` into `grid`'s size × size cells of type T: f32, or f64 for a grid that keeps every bit of the sum. */
export function gaussian<T>(pts: PixelPoints, size: i32, r: f64, grid: usize): void {
  const W = size;
  const shift = pts.bandShift;
  const rows = 1 << shift;
  const rowBytes = <usize>W << 3;
  const acc = alloc(<usize>rows * rowBytes, 16);
  memory.fill(acc, 0, <usize>rows * rowBytes);
  const R = 3 * r;
  const RR = R * R;
  const k = 1 / (2 * r * r);
  const step = Math.exp(-2 * k); // q(t+1)/q(t)
  const step4 = Math.exp(-8 * k); // Q(t+2)/Q(t)
  const gx = alloc((<usize>Math.ceil(2 * R) + 6) << 3, 16);
  for (let band = 0; band < pts.bands; band++) {
    const row0 = band << shift;
    const row1 = min<i32>(row0 + rows, W);
    const first = pts.bandStart(max<i32>(0, band - pts.span));
    const last = pts.bandStart(band + 1);
    for (let i = first; i < last; i++) {
      const rec = pts.ptr + <usize>i * PIXEL_STRIDE;
      const px = load<f64>(rec), py = load<f64>(rec, 8), w = load<f64>(rec, 16);
      const ja = max<i32>(row0, toInt(Math.floor(py - R - 0.5)));
      const jb = min<i32>(row1, toInt(Math.floor(py + R - 0.5)) + 2);
      if (ja >= jb) continue;
      const ia = max<i32>(0, toInt(Math.floor(px - R - 0.5)));
      const ib = min<i32>(W, toInt(Math.floor(px + R - 0.5)) + 2);
      if (ia >= ib) continue;
      // the column factors two at a time, even and odd columns in the two lanes:
      // g(t + 2) = g(t)·Q(t), Q(t) = e^(−(4t+4)k), Q(t + 2) = Q(t)·e^(−8k)
      let t = <f64>ia + 0.5 - px;
      const t1 = t + 1;
      let g2 = f64x2.replace_lane(f64x2.splat(Math.exp(-t * t * k)), 1, Math.exp(-t1 * t1 * k));
      let q2 = f64x2.replace_lane(f64x2.splat(Math.exp(-(4 * t + 4) * k)), 1, Math.exp(-(4 * t1 + 4) * k));
      const step2 = f64x2.splat(step4);
      for (let c = ia; c < ib; c += 2) {
        v128.store(gx + (<usize>(c - ia) << 3), g2);
        g2 = f64x2.mul(g2, q2);
        q2 = f64x2.mul(q2, step2);
      }
      t = <f64>ja + 0.5 - py;
      let gy = w * Math.exp(-t * t * k), qy = Math.exp(-(2 * t + 1) * k);
      // the square root of the next row is taken while this one is written (its latency would stall)
      let dyNext = t;
      let h2Next = RR - dyNext * dyNext;
      let hNext = Math.sqrt(max<f64>(h2Next, 0));
      for (let j = ja; j < jb; j++, gy *= qy, qy *= step) {
        const dy = dyNext, h2 = h2Next, h = hNext;
        const dy2 = dy * dy;
        dyNext = <f64>(j + 1) + 0.5 - py;
        h2Next = RR - dyNext * dyNext;
        hNext = Math.sqrt(max<f64>(h2Next, 0));
        if (h2 <= 0) continue;
        let i0 = toInt(Math.floor(px - 0.5 - h)) + 1;
        let i1 = toInt(Math.floor(px - 0.5 + h)) + 1;
        let e = <f64>i0 - 0.5 - px;
        if (e * e + dy2 < RR) i0--;
        e = <f64>i1 + 0.5 - px;
        if (e * e + dy2 < RR) i1++;
        if (i0 < i1) { e = <f64>i0 + 0.5 - px; if (!(e * e + dy2 < RR)) i0++; }
        if (i0 < i1) { e = <f64>i1 - 0.5 - px; if (!(e * e + dy2 < RR)) i1--; }
        i0 = max<i32>(i0, ia);
        i1 = min<i32>(i1, ib);
        if (i0 >= i1) continue;
        let a = acc + <usize>(j - row0) * rowBytes + (<usize>i0 << 3);
        let f = gx + (<usize>(i0 - ia) << 3);
        const end = a + (<usize>(i1 - i0) << 3);
        const gv = f64x2.splat(gy);
        // eight cells a step (TurboFan does not unroll), then pairs
        while (a + 64 <= end) {
          v128.store(a, f64x2.add(v128.load(a), f64x2.mul(v128.load(f), gv)));
          v128.store(a, f64x2.add(v128.load(a, 16), f64x2.mul(v128.load(f, 16), gv)), 16);
          v128.store(a, f64x2.add(v128.load(a, 32), f64x2.mul(v128.load(f, 32), gv)), 32);
          v128.store(a, f64x2.add(v128.load(a, 48), f64x2.mul(v128.load(f, 48), gv)), 48);
          a += 64;
          f += 64;
        }
        while (a + 16 <= end) {
          v128.store(a, f64x2.add(v128.load(a), f64x2.mul(v128.load(f), gv)));
          a += 16;
          f += 16;
        }
        if (a < end) store<f64>(a, load<f64>(a) + load<f64>(f) * gy);
      }
    }
    for (let j = row0; j < row1; j++) {
      const src = acc + <usize>(j - row0) * rowBytes;
      const out = grid + <usize>j * <usize>W * sizeof<T>();
      for (let c = 0; c < W; c++) store<T>(out + (<usize>c << alignof<T>()), <T>load<f64>(src + (<usize>c << 3)));
    }
    memory.fill(acc, 0, <usize>rows * rowBytes);
  }
}
