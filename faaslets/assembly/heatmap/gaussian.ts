// Gaussian kernel density, w·exp(−d²/2r²) for d < 3r: not a polynomial, so no interval trick, but
// separable. Per point: one row of column factors exp(−dx²/2r²) and one factor per row, both by
// recurrence (a Gaussian sampled at unit steps is g(t+1) = g(t)·q(t), q(t+1) = q(t)·e^(−1/r²)), so 4
// exps per point instead of one per cell; then each row of the disc is an f64x2 multiply-add of the
// column factors into an f64 band of rows. Still O(points·r²), with a small constant.
//
// Which cells a point covers is decided exactly as a direct sum would: dx² + dy² < (3r)² in pixels.
import { alloc } from "../lib/ctx";
import { PIXEL_STRIDE, PixelPoints } from "./pixels";

export function gaussian(pts: PixelPoints, size: i32, r: f64, grid: usize): void {
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
  const gx = alloc((<usize>Math.ceil(2 * R) + 4) << 3, 16);
  for (let band = 0; band < pts.bands; band++) {
    const row0 = band << shift;
    const row1 = min<i32>(row0 + rows, W);
    const first = pts.bandStart(max<i32>(0, band - pts.span));
    const last = pts.bandStart(band + 1);
    for (let i = first; i < last; i++) {
      const rec = pts.ptr + <usize>i * PIXEL_STRIDE;
      const px = load<f64>(rec), py = load<f64>(rec, 8), w = load<f64>(rec, 16);
      const ja = max<i32>(row0, <i32>Math.floor(py - R - 0.5));
      const jb = min<i32>(row1, <i32>Math.floor(py + R - 0.5) + 2);
      if (ja >= jb) continue;
      const ia = max<i32>(0, <i32>Math.floor(px - R - 0.5));
      const ib = min<i32>(W, <i32>Math.floor(px + R - 0.5) + 2);
      if (ia >= ib) continue;
      let t = <f64>ia + 0.5 - px;
      let g = Math.exp(-t * t * k), q = Math.exp(-(2 * t + 1) * k);
      for (let c = ia; c < ib; c++) {
        store<f64>(gx + (<usize>(c - ia) << 3), g);
        g *= q;
        q *= step;
      }
      t = <f64>ja + 0.5 - py;
      let gy = w * Math.exp(-t * t * k), qy = Math.exp(-(2 * t + 1) * k);
      for (let j = ja; j < jb; j++, gy *= qy, qy *= step) {
        const dy = <f64>j + 0.5 - py;
        const dy2 = dy * dy;
        const h2 = RR - dy2;
        if (h2 <= 0) continue;
        const h = Math.sqrt(h2);
        let i0 = <i32>Math.floor(px - 0.5 - h) + 1;
        let i1 = <i32>Math.floor(px - 0.5 + h) + 1;
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
      const out = grid + <usize>j * <usize>W * 4;
      for (let c = 0; c < W; c++) store<f32>(out + (<usize>c << 2), <f32>load<f64>(src + (<usize>c << 3)));
    }
    memory.fill(acc, 0, <usize>rows * rowBytes);
  }
}
