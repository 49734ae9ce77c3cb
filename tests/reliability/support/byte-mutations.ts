// Byte-level edits of a seed (set, flip, truncate, insert, delete, duplicate, an edge-value word): the mutation
// engine under the tile, region, chain and HTTP-body generators.
import fc from 'fast-check'

/** One edit of a byte string. Positions are taken modulo the current length, so any edit fits any input. */
export type Mutation =
  | { op: 'set'; at: number; value: number }
  | { op: 'flip'; at: number; bit: number }
  | { op: 'truncate'; at: number }
  | { op: 'insert'; at: number; bytes: Uint8Array }
  | { op: 'delete'; at: number; len: number }
  | { op: 'duplicate'; from: number; len: number; to: number }
  | { op: 'word'; at: number; width: 1 | 2 | 4 | 8; value: bigint }

/** Values at the edges of integer types, and protobuf-varint troublemakers. */
export const INTERESTING = [0n, 1n, 2n, 7n, 8n, 0x7fn, 0x80n, 0xffn, 0x100n, 0x7fffn, 0x8000n, 0xffffn, 0x10000n, 0x7fffffffn, 0x80000000n, 0xfffffff8n, 0xffffffffn, 0x7fffffffffffffffn, 0xffffffffffffffffn]
const VARINT_TROUBLE = [
  Uint8Array.of(0x80), Uint8Array.of(0xff, 0xff, 0xff, 0xff, 0x0f), Uint8Array.of(0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01),
  Uint8Array.of(0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff), Uint8Array.of(0x1a, 0xff, 0xff, 0xff, 0xff, 0x0f),
  Uint8Array.of(0x0a, 0x00), Uint8Array.of(0x12, 0x7f), Uint8Array.of(0x22, 0x80, 0x80, 0x80, 0x80, 0x08), Uint8Array.of(0x1f, 0x8b, 0x08),
]

export const arbMutation: fc.Arbitrary<Mutation> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ op: fc.constant('set' as const), at: fc.nat(), value: fc.integer({ min: 0, max: 255 }) }) },
  { weight: 3, arbitrary: fc.record({ op: fc.constant('flip' as const), at: fc.nat(), bit: fc.integer({ min: 0, max: 7 }) }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('truncate' as const), at: fc.nat() }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('insert' as const), at: fc.nat(), bytes: fc.oneof(fc.uint8Array({ minLength: 1, maxLength: 16 }), fc.constantFrom(...VARINT_TROUBLE)) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('delete' as const), at: fc.nat(), len: fc.integer({ min: 1, max: 64 }) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('duplicate' as const), from: fc.nat(), len: fc.integer({ min: 1, max: 256 }), to: fc.nat() }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('word' as const), at: fc.nat(), width: fc.constantFrom(1 as const, 2 as const, 4 as const, 8 as const), value: fc.constantFrom(...INTERESTING) }) },
)

const concat = (...parts: Uint8Array[]) => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0))
  let at = 0
  for (const p of parts) { out.set(p, at); at += p.length }
  return out
}

export function mutate(src: Uint8Array, muts: Mutation[]): Uint8Array {
  let b = src.slice()
  for (const m of muts) {
    const n = b.length
    const gap = (k: number) => k % (n + 1) // an insertion point 0..n
    if (n === 0 && m.op !== 'insert') continue
    switch (m.op) {
      case 'set': b[m.at % n] = m.value; break
      case 'flip': b[m.at % n] ^= 1 << m.bit; break
      case 'truncate': b = b.slice(0, m.at % n); break
      case 'insert': { const at = gap(m.at); b = concat(b.subarray(0, at), m.bytes, b.subarray(at)); break }
      case 'delete': { const at = m.at % n; b = concat(b.subarray(0, at), b.subarray(Math.min(n, at + m.len))); break }
      case 'duplicate': {
        const from = m.from % n, piece = b.slice(from, Math.min(n, from + m.len)), to = gap(m.to)
        b = concat(b.subarray(0, to), piece, b.subarray(to))
        break
      }
      case 'word': {
        const at = m.at % n
        for (let i = 0; i < m.width && at + i < n; i++) b[at + i] = Number((m.value >> BigInt(8 * i)) & 0xffn)
        break
      }
    }
  }
  return b
}

/** A corpus entry edited 1–6 times. */
export function arbMutated(corpus: Uint8Array[], maxEdits = 6): fc.Arbitrary<Uint8Array> {
  return fc.tuple(fc.nat({ max: corpus.length - 1 }), fc.array(arbMutation, { minLength: 1, maxLength: maxEdits }))
    .map(([i, muts]) => mutate(corpus[i], muts))
}
