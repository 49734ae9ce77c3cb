// One heatmap tile computed in the browser: the points-heatmap chain (the server's live tiles use the same
// one) on points regions already in the arena; the pixels and densities are read out of the arena.
import { readGrid, readImage, type GridCells } from '../../../faaslets/codecs/grid.js'
import type { HeldRegions } from './browser-dataplane.js'
import type { BrowserChains } from './chains.js'

export interface HeatOptions { radius?: number; scale?: number }

export interface HeatTile {
  width: number
  height: number
  /** RGBA, row-major from the top-left: the pixels of the server's PNG */
  rgba: Uint8Array
  /** f32 densities, the server's `density` output */
  grid: GridCells
  computeMs: number
  totalMs: number
}

export async function heatTile(chains: BrowserChains, points: HeldRegions, z: number, x: number, y: number, opts: HeatOptions = {}): Promise<HeatTile> {
  const t0 = performance.now()
  return points.use(async (inputs) => {
    const run = await chains.run('points-heatmap', { z, x, y, radius: opts.radius ?? 16, scale: opts.scale ?? 0 }, () => inputs)
    try {
      const img = readImage(run.bytes(), run.output('heatmap'))
      const grid = readGrid(run.bytes(), run.output('density'))
      return { width: img.width, height: img.height, rgba: img.rgba, grid: grid.values, computeMs: run.computeMs, totalMs: performance.now() - t0 }
    } finally {
      run.release()
    }
  })
}
