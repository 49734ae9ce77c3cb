// GRID → IMAGE through viridis. Normalisation: t = v / s with s = `scale` when > 0, else the largest
// cell of this grid (per-tile contrast; a fixed scale gives colours that agree across tiles), t clamped
// to [0, 1], colour index min(255, ⌊256·t⌋) — d3's and matplotlib's binning. Cells with v == 0 (no point
// within reach) are fully transparent; every other cell is opaque (alpha 255).
//
// T is the grid's cell type, f32 or f64. Colours come from the cells rounded to f32 either way (f64 values
// past f32's range become ±Infinity, as they would in an f32 grid), so colorize draws an f64 grid exactly
// as heatmap draws the same density, and heatmap's image of a density does not depend on its `cells`. The
// rounding moves a value by 6e-8 of itself; a colour is 1/256 of the scale.
import { viridis } from "./viridis";

export function colourise<T>(grid: usize, image: usize, cells: usize, scale: f64): void {
  let s = scale;
  if (!(s > 0)) {
    s = 0;
    for (let i: usize = 0; i < cells; i++) s = max<f64>(s, <f64><f32>load<T>(grid + (i << alignof<T>())));
  }
  const table = viridis();
  for (let i: usize = 0; i < cells; i++) {
    const v = <f64><f32>load<T>(grid + (i << alignof<T>()));
    let rgba: u32 = 0;
    if (v != 0) {
      let t = s > 0 ? v / s : 0;
      if (!(t > 0)) t = 0; // negative weights, NaN from ∞/∞
      if (t > 1) t = 1;
      const at = table + <usize>min<i32>(255, <i32>(t * 256)) * 3;
      rgba = <u32>load<u8>(at) | (<u32>load<u8>(at, 1) << 8) | (<u32>load<u8>(at, 2) << 16) | 0xff000000;
    }
    store<u32>(image + (i << 2), rgba);
  }
}
