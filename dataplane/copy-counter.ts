// Every byte the dataplane copies goes through copyBytes, which counts it. Between stages of a shared-
// memory chain the count must stay 0 (tests assert it); the copy-based baseline shows what it moves.

export interface CopyCounter {
  /** payload bytes copied between stages (encode, transfer, decode and copy-in all count) */
  betweenStages: number
  /** bytes copied at the chain's boundary: the input written in, the result read out */
  boundary: number
}

export function newCopyCounter(): CopyCounter {
  return { betweenStages: 0, boundary: 0 }
}

export type CopyKind = keyof CopyCounter

/** Copies n bytes from src[srcOff..] to dst[dstOff..] and counts them under `kind`. */
export function copyBytes(counter: CopyCounter, kind: CopyKind, dst: Uint8Array, dstOff: number, src: Uint8Array, srcOff: number, n: number): void {
  dst.set(src.subarray(srcOff, srcOff + n), dstOff)
  counter[kind] += n
}

/** Counts bytes copied by a library on our behalf (msgpackr encode/decode, structured clone, sockets). */
export function countCopied(counter: CopyCounter, kind: CopyKind, n: number): void {
  counter[kind] += n
}
