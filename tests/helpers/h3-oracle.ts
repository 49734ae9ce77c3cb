// The oracle for h3-bin and the chains on it: h3-js 4.5.0 (H3's C through emscripten, the same H3 version)
// puts every point in the cell latLngToCell gives it, and a JS loop tallies the cells in input order — so
// weight sums agree to the bit — ordered by cell id, as h3-bin orders them.
import { latLngToCell } from 'h3-js'

export interface H3Cell { h3: string; count: number; sum: number; min: number; max: number }
export interface LonLatWeight { lon: ArrayLike<number>; lat: ArrayLike<number>; weight: ArrayLike<number> }

export function h3jsCells(p: LonLatWeight, res: number): H3Cell[] {
  const cells = new Map<string, H3Cell>()
  for (let i = 0; i < p.lon.length; i++) {
    const h3 = latLngToCell(p.lat[i], p.lon[i], res)
    const w = p.weight[i]
    const c = cells.get(h3)
    if (!c) cells.set(h3, { h3, count: 1, sum: w, min: w, max: w })
    else { c.count++; c.sum += w; c.min = Math.min(c.min, w); c.max = Math.max(c.max, w) }
  }
  // every cell id has 15 hex digits (mode 1 in the top bits), so string order is numeric order
  return [...cells.values()].sort((a, b) => (a.h3 < b.h3 ? -1 : a.h3 > b.h3 ? 1 : 0))
}
