// MVT regions ↔ tile bytes. An MVT region is the tile's raw protobuf bytes (stride 1, count = byte length),
// optionally tagged with the tile it is (z/x/y in the header). Decoding happens in the mvt-decode faaslet.
import * as L from '../abi/layout.js'
import { checkRegion, createRegion, type Descriptor, type RegionMemory } from '../abi/region.js'
import { fail, GraticuleError } from '../../errors/index.js'

export interface TileAddress {
  z: number
  x: number
  y: number
}

/** True for gzip data (magic 1f 8b). A tile can never start so: 0x1f is field 3 with wire type 7. */
export function isGzipped(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b
}

/** Inflated tiles larger than this are refused: a few kilobytes of gzip can expand to gigabytes. */
export const MAX_INFLATED_TILE_BYTES = 64 * 1024 * 1024

/**
 * Tiles are often served gzipped (mvt-fixtures' real-world/compressed, most tile servers): inflates them,
 * returns plain tile bytes unchanged. Uses the web-standard DecompressionStream, so it also runs in a browser.
 * Corrupt or truncated gzip and inflation past `maxBytes` are E_BAD_FORMAT, never an uncoded stream error.
 */
export async function gunzipTile(bytes: Uint8Array, maxBytes = MAX_INFLATED_TILE_BYTES): Promise<Uint8Array> {
  if (!isGzipped(bytes)) return bytes
  const reader = new Blob([bytes as Uint8Array<ArrayBuffer>]).stream().pipeThrough(new DecompressionStream('gzip')).getReader()
  const chunks: Uint8Array[] = []
  let total = 0
  try {
    for (let r = await reader.read(); !r.done; r = await reader.read()) {
      total += r.value.byteLength
      if (total > maxBytes) throw fail('E_BAD_FORMAT', 'tile', `gzip inflates past ${maxBytes} bytes`)
      chunks.push(r.value)
    }
  } catch (e) {
    await reader.cancel().catch(() => undefined)
    if (e instanceof GraticuleError) throw e
    throw fail('E_BAD_FORMAT', 'tile', `corrupt or truncated gzip (${(e as Error).message})`)
  }
  const out = new Uint8Array(total)
  let at = 0
  for (const c of chunks) {
    out.set(c, at)
    at += c.byteLength
  }
  return out
}

/** Writes tile bytes into a new MVT region (the one copy in). Refuses gzipped bytes: see gunzipTile. */
export function writeMvt(mem: RegionMemory, bytes: Uint8Array, tile?: TileAddress): Descriptor {
  if (isGzipped(bytes)) throw fail('E_BAD_FORMAT', 'tile', 'the tile is gzip-compressed; inflate it first (gunzipTile)')
  if (tile) checkTile(tile)
  const n = bytes.length
  const r = createRegion(mem, {
    kind: L.KIND_MVT, count: n, stride: 1, crs: 0, tile,
    sections: [{ bytes: n, count: n }],
  })
  mem.bytes().set(bytes, r.sectionPtrs[0])
  return { ptr: r.ptr, len: r.len }
}

/** Reads an MVT region back out: a copy of the tile bytes and the tile address if the header has one. */
export function readMvt(bytes: Uint8Array, d: Descriptor): { bytes: Uint8Array; tile?: TileAddress } {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const h = checkRegion(dv, d.ptr, d.len)
  if (h.kind !== L.KIND_MVT) throw fail('E_BAD_REGION', `expected an mvt region, got kind ${h.kind}`)
  if (h.stride !== 1) throw fail('E_BAD_REGION', `an mvt region has stride 1, got ${h.stride}`)
  const at = d.ptr + h.sections[0].offset
  const out = bytes.slice(at, at + h.count)
  return h.tileZ >= 0 ? { bytes: out, tile: { z: h.tileZ, x: h.tileX, y: h.tileY } } : { bytes: out }
}

/** Parses "z/x/y" or "z-x-y" (optionally ending in .mvt, .pbf, .mvt.gz), as in tile URLs and file names. */
export function parseTileAddress(text: string): TileAddress | null {
  const m = /(\d+)[/-](\d+)[/-](\d+)(?:\.(?:mvt|pbf)(?:\.gz)?)?$/.exec(text)
  if (!m) return null
  const tile = { z: Number(m[1]), x: Number(m[2]), y: Number(m[3]) }
  try {
    checkTile(tile)
  } catch {
    return null
  }
  return tile
}

function checkTile({ z, x, y }: TileAddress): void {
  const ok = Number.isInteger(z) && z >= 0 && z <= 30 && Number.isInteger(x) && Number.isInteger(y) && x >= 0 && y >= 0 && x < 2 ** z && y < 2 ** z
  if (!ok) throw fail('E_BAD_PARAM', 'tile', `expected z in [0, 30] and x, y in [0, 2^z), got ${z}/${x}/${y}`)
}
