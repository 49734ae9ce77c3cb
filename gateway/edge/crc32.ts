// CRC-32 (IEEE, zlib's): node:zlib has it from Node 20.15 on; before that, a table. The spool frames records with it.
import * as zlib from 'node:zlib'

let table: Uint32Array | null = null

function crc32Table(data: Uint8Array, crc = 0): number {
  if (!table) {
    table = new Uint32Array(256)
    for (let n = 0; n < 256; n++) {
      let c = n
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1
      table[n] = c >>> 0
    }
  }
  let c = ~crc
  for (let i = 0; i < data.length; i++) c = table[(c ^ data[i]) & 0xff] ^ (c >>> 8)
  return ~c >>> 0
}

const native = (zlib as { crc32?: (data: Uint8Array, value?: number) => number }).crc32

/** The CRC-32 of `data`, continuing from `crc` (0 to start). */
export const crc32: (data: Uint8Array, crc?: number) => number = native ? (d, c = 0) => native(d, c) : crc32Table

/** The table version, whatever Node has (tests check the two agree). */
export const crc32Portable = crc32Table
