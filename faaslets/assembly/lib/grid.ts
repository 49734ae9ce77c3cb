// GRID cells are f32 (stride GRID_STRIDE) or f64 (stride GRID_STRIDE_F64), as the region's header says
// (layout.ts). A faaslet that reads grids takes its cell type from here, so f64 bytes are never read as f32.
import { GRID_STRIDE, GRID_STRIDE_F64 } from "../../abi/layout";
import { stride } from "./region";

/** Bytes per cell of the grid at r — GRID_STRIDE or GRID_STRIDE_F64 — or 0 for any other stride. Read it once check() has seen the header in bounds. */
export function cellBytes(r: usize): u32 {
  const s = stride(r);
  return s == GRID_STRIDE || s == GRID_STRIDE_F64 ? s : 0;
}

/** What is wrong with a grid whose cellBytes() is 0, for fail(). */
export function badStride(r: usize): string {
  return "grid stride " + stride(r).toString() + ": a grid's cells are f32 (stride 4) or f64 (stride 8)";
}
