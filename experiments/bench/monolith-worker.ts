// The monolith on a piscina pool (bench/server.ts `monolith-pool`): the same function as the inline
// monolith, on as many threads as the dataplane has workers, so the baseline gets the same parallelism.
import { move } from 'piscina'
import { tileHeatmapPng, type TileAddress } from './monolith.js'

export default function run(task: { body: Uint8Array; tile: TileAddress; radius: number }): Uint8Array {
  const png = tileHeatmapPng(task.body, task.tile, task.radius)
  return move(new Uint8Array(png)) as Uint8Array // a copy of its own, transferred back (never a pooled Buffer)
}
