// The regions the hop benchmarks hand over: a points region (32 B/point) whose last point's id field
// carries a sequence number. The sender writes it before each hand-off and the receiver checks it after,
// so every timed hand-off includes "the receiver reads what the sender just wrote", not just a message.
import * as L from '../../faaslets/abi/layout.js'
import { checkRegion, type Descriptor, type RegionMemory } from '../../faaslets/abi/region.js'
import { pointArrays, writePoints } from '../../faaslets/codecs/points.js'
import { rng } from '../lib/measure.js'

export interface SeqRegion extends Descriptor {
  /** byte address of the f64 the sequence number goes into (the last point's id) */
  seqAt: number
}

/** Writes n seeded random lon/lat points; the descriptor plus where the sequence number lives. */
export function writeSeqRegion(mem: RegionMemory, n: number, seed = n): SeqRegion {
  const r = rng(seed)
  const p = pointArrays(n)
  for (let i = 0; i < n; i++) {
    p.x[i] = -180 + 360 * r()
    p.y[i] = -85 + 170 * r()
    p.weight[i] = 1 + r()
    p.id[i] = i
  }
  const d = writePoints(mem, p)
  return { ...d, seqAt: seqAddress(mem.view(), d) }
}

/** Address of the last point's id (checks the region on the way). */
export function seqAddress(dv: DataView, d: Descriptor): number {
  const h = checkRegion(dv, d.ptr, d.len)
  if (h.kind !== L.KIND_POINTS || h.count === 0) throw new Error('expected a non-empty points region')
  return d.ptr + h.sections[0].offset + (h.count - 1) * L.POINT_STRIDE + L.POINT_ID
}

/** What the receiver does with a region it was handed: validate the header, read the sequence number. */
export function readSeq(dv: DataView, d: Descriptor): number {
  return dv.getFloat64(seqAddress(dv, d), true)
}
