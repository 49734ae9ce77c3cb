// Before anything is timed: every mode must answer the same request with the same bytes (shared, copy and
// http run the same .wasm), and the monolith must draw the same heatmap. The monolith's supercluster
// clusters its own lon/lat projection while the chain clusters EPSG:3857 metres, so a point that sits on
// a cluster radius at a high zoom can be decided the other way and cascade to z0: a few pixels may
// differ. The gate refuses gross differences (wrong projection, colours, data) and reports the rest.
// This also warms every mode: copy workers and http function processes start here.
import { PNG } from 'pngjs'
import type { Target } from './matrix.js'

export interface VerifyRow {
  chain: string
  points: number
  /** shared, copy and http answered byte for byte the same */
  modesIdentical: boolean
  /** monolith against shared: pixels with any channel different, and different by more than 2 levels */
  monolith?: { pixels: number; differing: number; over2: number; poolIdentical: boolean }
  /** the slowest mode's time for one request once warm (ms): sizes the load runs */
  slowestMs: number
}

async function post(url: string, t: Target): Promise<Buffer> {
  const r = await fetch(url + t.path, { method: 'POST', body: new Uint8Array(t.body) as Uint8Array<ArrayBuffer>, headers: { 'content-type': t.contentType } })
  const body = Buffer.from(await r.arrayBuffer())
  if (r.status !== 200) throw new Error(`${t.chain} ${t.points} ${t.mode}: HTTP ${r.status} ${body.toString().slice(0, 300)}`)
  return body
}

/**
 * Every target once alone (the answers compared), then `parallel` at once (every thread of a pool has
 * run it: pools start their workers' code lazily), then once more alone, timed.
 */
export async function verify(url: string, targets: Target[], parallel: number): Promise<VerifyRow> {
  const got = new Map<string, Buffer>()
  let slowestMs = 0
  for (const t of targets) {
    got.set(t.mode, await post(url, t))
    await Promise.all(Array.from({ length: parallel }, () => post(url, t)))
    const t0 = performance.now()
    await post(url, t)
    slowestMs = Math.max(slowestMs, performance.now() - t0)
  }
  const shared = got.get('shared')!
  const row: VerifyRow = {
    chain: targets[0].chain, points: targets[0].points,
    modesIdentical: ['copy', 'http'].every((m) => !got.has(m) || got.get(m)!.equals(shared)),
    slowestMs,
  }
  if (!row.modesIdentical) throw new Error(`${row.chain} ${row.points}: shared, copy and http answer differently`)
  const mono = got.get('monolith')
  if (mono) {
    const a = PNG.sync.read(shared), b = PNG.sync.read(mono)
    if (a.width !== b.width || a.height !== b.height) throw new Error(`monolith PNG is ${b.width}×${b.height}, the chain's ${a.width}×${a.height}`)
    let differing = 0, over2 = 0
    for (let i = 0; i < a.data.length; i += 4) {
      let d = 0
      for (let c = 0; c < 4; c++) d = Math.max(d, Math.abs(a.data[i + c] - b.data[i + c]))
      if (d > 0) differing++
      if (d > 2) over2++
    }
    const pixels = a.width * a.height
    row.monolith = { pixels, differing, over2, poolIdentical: got.get('monolith-pool')?.equals(mono) ?? true }
    if (over2 > 0.1 * pixels) throw new Error(`${row.chain} ${row.points}: the monolith's heatmap differs from the chain's on ${over2} of ${pixels} pixels`)
    if (!row.monolith.poolIdentical) throw new Error('the pooled monolith answers differently from the inline one')
  }
  return row
}
