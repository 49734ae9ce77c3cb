// The region header reader (checkRegion) on its own: what it accepts must fit the descriptor, and every host codec
// must read it or refuse it with a clear code.
import fc from 'fast-check'
import { GraticuleError } from '../../../errors/index.js'
import * as L from '../../../faaslets/abi/layout.js'
import { checkRegion, NAME_BY_KIND } from '../../../faaslets/abi/region.js'
import { describeError } from './outcomes.js'
import { arbRegionInput, readRegionWithCodecs, REGION_KINDS } from './region-inputs.js'

export interface HeaderCase { bytes: Uint8Array; ptr: number; len: number }

/** Regions of every kind, edited or random, placed at an 8-aligned offset of a larger buffer, any length. */
export const arbHeaderCase: fc.Arbitrary<HeaderCase> = fc.record({
  region: arbRegionInput(REGION_KINDS),
  pad: fc.integer({ min: 0, max: 8 }).map((k) => 8 * k),
  tail: fc.integer({ min: 0, max: 64 }),
  lenShift: fc.oneof({ weight: 6, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.integer({ min: -200, max: 200 }) }),
}).map(({ region, pad, tail, lenShift }) => {
  // rounded up to 8 bytes, like every memory a region lives in (arena pages, scratch memory)
  const bytes = new Uint8Array((pad + Math.max(region.bytes.length, region.len) + tail + 7) & ~7)
  bytes.set(region.bytes, pad)
  return { bytes, ptr: pad, len: Math.max(0, region.len + lenShift) }
})

/** checkRegion: a header it accepts really fits its descriptor, and every host codec reads it or says E_BAD_REGION. */
export function checkHeaderCase(c: HeaderCase): string {
  const dv = new DataView(c.bytes.buffer, c.bytes.byteOffset, c.bytes.byteLength)
  let h
  try {
    h = checkRegion(dv, c.ptr, c.len)
  } catch (e) {
    if (!(e instanceof GraticuleError) || e.code !== 'E_BAD_REGION') throw new Error(`checkRegion must refuse with E_BAD_REGION, got ${describeError(e)}`)
    return 'E_BAD_REGION'
  }
  // what acceptance promises
  if (c.ptr + c.len > c.bytes.length || h.byteLength > c.len || h.byteLength < L.HEADER_SIZE) throw new Error(`accepted a region of ${h.byteLength} bytes in a descriptor of ${c.len}`)
  if (!NAME_BY_KIND[h.kind]) throw new Error(`accepted unknown kind ${h.kind}`)
  if (h.count !== h.sections[0].count) throw new Error('accepted a count that disagrees with the main table')
  try {
    readRegionWithCodecs(c.bytes, { ptr: c.ptr, len: c.len }, h.kind)
  } catch (e) {
    if (!(e instanceof GraticuleError) || !['E_BAD_REGION', 'E_BAD_FORMAT'].includes(e.code)) {
      throw new Error(`a ${NAME_BY_KIND[h.kind]} region checkRegion accepted makes a host codec fail unclearly: ${describeError(e)}`)
    }
    return `accepted, codec ${e.code}`
  }
  return 'accepted'
}
