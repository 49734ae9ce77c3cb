// Quartic kernel density for f64 grids, term by term: every cell adds w·q·q, q = 1 − d²/r², for each point
// with d² < r², each term computed from that point alone, exactly as a direct loop over points × cells
// computes it (d² = dx·dx + dy·dy with dx = i + 0.5 − px, dy = j + 0.5 − py). So a cell of the heatmap of
// a union of point sets is the sum of the same terms as the cells of the sets' heatmaps, in another order:
// f64 heatmaps of disjoint sets add up (grid-combine) to their union's to the rounding of the additions.
//
// Why not quartic.ts: its difference rows evaluate a polynomial from coefficients summed along a row, so
// a cell carries the rounding of every point that passed through its block, not of its own terms: 1e-14
// of the tile's largest cell, which is far more than a cell's value near a kernel's rim. That is invisible
// in f32 cells and not in f64 ones. This is O(points·r²), four cells a step as two f64x2 (two a step
// waited on the addition that moves the cell centres on; the division is not what costs, measured).
import { PIXEL_STRIDE, PixelPoints, toInt } from "./pixels";

// @ts-ignore: decorator
@inline function addTerms(at: usize, c: v128, pxV: v128, dy2V: v128, rrV: v128, wV: v128): void {
  const dx = f64x2.sub(c, pxV);
  const d2 = f64x2.add(f64x2.mul(dx, dx), dy2V);
  const q = f64x2.sub(f64x2.splat(1), f64x2.div(d2, rrV));
  // cells outside the disc add +0, which changes no sum
  const term = v128.and(f64x2.mul(f64x2.mul(wV, q), q), f64x2.lt(d2, rrV));
  v128.store(at, f64x2.add(v128.load(at), term));
}

export function quarticDirect(pts: PixelPoints, size: i32, r: f64, grid: usize): void {
  const W = size;
  memory.fill(grid, 0, (<usize>W * <usize>W) << 3);
  const RR = r * r;
  const rrV = f64x2.splat(RR), two = f64x2.splat(2);
  for (let k = 0; k < pts.n; k++) {
    const rec = pts.ptr + <usize>k * PIXEL_STRIDE;
    const px = load<f64>(rec), py = load<f64>(rec, 8), w = load<f64>(rec, 16);
    const pxV = f64x2.splat(px), wV = f64x2.splat(w);
    // rows and columns whose centres may lie inside the disc; d² < r² decides each cell
    const ja = max<i32>(0, toInt(Math.floor(py - r - 0.5)));
    const jb = min<i32>(W, toInt(Math.ceil(py + r - 0.5)) + 1);
    const ia = max<i32>(0, toInt(Math.floor(px - r - 0.5)));
    const ib = min<i32>(W, toInt(Math.ceil(px + r - 0.5)) + 1);
    if (ia >= ib) continue;
    for (let j = ja; j < jb; j++) {
      const dy = <f64>j + 0.5 - py;
      const dy2 = dy * dy;
      if (!(dy2 < RR)) continue;
      const dy2V = f64x2.splat(dy2);
      let at = grid + ((<usize>j * <usize>W + <usize>ia) << 3);
      // cell centres i + 0.5 and i + 1.5: whole numbers plus a half, exact
      let c = f64x2.replace_lane(f64x2.splat(<f64>ia + 0.5), 1, <f64>ia + 1.5);
      let i = ia;
      for (; i + 3 < ib; i += 4, at += 32) {
        const c2 = f64x2.add(c, two);
        addTerms(at, c, pxV, dy2V, rrV, wV);
        addTerms(at + 16, c2, pxV, dy2V, rrV, wV);
        c = f64x2.add(c2, two);
      }
      if (i + 1 < ib) {
        addTerms(at, c, pxV, dy2V, rrV, wV);
        i += 2;
        at += 16;
      }
      if (i < ib) {
        const dx = <f64>i + 0.5 - px;
        const d2 = dx * dx + dy2;
        if (d2 < RR) {
          const q = 1 - d2 / RR;
          store<f64>(at, load<f64>(at) + w * q * q);
        }
      }
    }
  }
}
