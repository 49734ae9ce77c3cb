// Bounds-checked protobuf reading over a tile's bytes, with one sticky error.
//
// Every read takes the end of the message it is inside. A read that would cross that end records an error,
// moves the cursor to the end (so every `while (pos < end)` loop stops) and returns 0; callers check
// `failed` once per command or field rather than after every varint. The first error wins: later ones,
// often consequences of the first, are not recorded. Errors are codes (mvt/errors.ts), not strings, so
// these hot paths carry no string temporaries.
import * as E from "./errors";

/** read cursor: an absolute address in the arena */
export let pos: usize = 0;
export let failed: bool = false;
export let code: i32 = 0;
export let argA: u64 = 0;
export let argB: u64 = 0;
/** byte offset in the tile where the error was found */
export let failedAt: usize = 0;
/** lenient mode: a field key with field number 0 is read (and its field skipped), as pbf reads it */
export let fieldZeroAllowed: bool = false;
let tileStart: usize = 0;

export const WIRE_VARINT: u32 = 0;
export const WIRE_FIXED64: u32 = 1;
export const WIRE_BYTES: u32 = 2;
export const WIRE_FIXED32: u32 = 5;

export function reset(start: usize): void {
  pos = start;
  tileStart = start;
  failed = false;
  code = 0;
  argA = 0;
  argB = 0;
  failedAt = 0;
}

/** Forgets the error: lenient mode reads again, its own way, what the strict scan refused. */
export function clear(): void {
  failed = false;
  code = 0;
  argA = 0;
  argB = 0;
  failedAt = 0;
}

/** Records the first error and parks the cursor at `end` so the enclosing loop stops. */
export function fail(end: usize, errorCode: i32, a: u64 = 0, b: u64 = 0): void {
  if (!failed) {
    failed = true;
    code = errorCode;
    argA = a;
    argB = b;
    failedAt = pos - tileStart;
  }
  pos = end;
}

// @ts-ignore: decorator
@inline export function readVarint(end: usize): u64 {
  const p = pos;
  if (p < end) {
    const b = load<u8>(p);
    if (b < 0x80) {
      pos = p + 1;
      return <u64>b;
    }
  }
  return readVarintSlow(end);
}

function readVarintSlow(end: usize): u64 {
  let p = pos;
  if (end - p >= 10) {
    // at least 10 bytes left: no bounds checks per byte
    let b = <u64>load<u8>(p);
    let v = b & 0x7f;
    b = <u64>load<u8>(p + 1); v |= (b & 0x7f) << 7; if (b < 0x80) { pos = p + 2; return v; }
    b = <u64>load<u8>(p + 2); v |= (b & 0x7f) << 14; if (b < 0x80) { pos = p + 3; return v; }
    b = <u64>load<u8>(p + 3); v |= (b & 0x7f) << 21; if (b < 0x80) { pos = p + 4; return v; }
    b = <u64>load<u8>(p + 4); v |= (b & 0x7f) << 28; if (b < 0x80) { pos = p + 5; return v; }
    b = <u64>load<u8>(p + 5); v |= (b & 0x7f) << 35; if (b < 0x80) { pos = p + 6; return v; }
    b = <u64>load<u8>(p + 6); v |= (b & 0x7f) << 42; if (b < 0x80) { pos = p + 7; return v; }
    b = <u64>load<u8>(p + 7); v |= (b & 0x7f) << 49; if (b < 0x80) { pos = p + 8; return v; }
    b = <u64>load<u8>(p + 8); v |= (b & 0x7f) << 56; if (b < 0x80) { pos = p + 9; return v; }
    b = <u64>load<u8>(p + 9);
    if (b > 1) {
      pos = p + 10;
      fail(end, E.E_VARINT_TOO_LONG);
      return 0;
    }
    pos = p + 10;
    return v | (b << 63);
  }
  let v: u64 = 0;
  let shift: u64 = 0;
  while (true) {
    if (p >= end) {
      fail(end, E.E_VARINT_PAST_END);
      return 0;
    }
    const b = <u64>load<u8>(p++);
    if (shift == 63 && b > 1) {
      pos = p;
      fail(end, E.E_VARINT_TOO_LONG);
      return 0;
    }
    v |= (b & 0x7f) << shift;
    if (b < 0x80) {
      pos = p;
      return v;
    }
    shift += 7;
  }
}

/** A varint that must fit in 32 bits (uint32 fields, packed geometry and tags). */
// @ts-ignore: decorator
@inline export function readU32(end: usize): u32 {
  const p = pos;
  if (p + 1 < end) {
    const b0 = <u32>load<u8>(p);
    if (b0 < 0x80) {
      pos = p + 1;
      return b0;
    }
    const b1 = <u32>load<u8>(p + 1);
    if (b1 < 0x80) {
      pos = p + 2;
      return (b0 & 0x7f) | (b1 << 7);
    }
  }
  return readU32Slow(end);
}

function readU32Slow(end: usize): u32 {
  const v = readVarint(end);
  if (v > 0xffffffff) {
    fail(end, E.E_U32_OVERFLOW, v);
    return 0;
  }
  return <u32>v;
}

/**
 * readU32 for loops that keep their cursor in a local (a wasm global costs a load and a store per read):
 * decodes the varint at p and returns value | (its length << 32). After an error the length moves p to
 * `end`, as the other readers park the cursor there.
 */
// @ts-ignore: decorator
@inline export function u32At(p: usize, end: usize): u64 {
  if (p + 1 < end) {
    const b0 = <u64>load<u8>(p);
    if (b0 < 0x80) return b0 | (<u64>1 << 32);
    const b1 = <u64>load<u8>(p + 1);
    if (b1 < 0x80) return (b0 & 0x7f) | (b1 << 7) | (<u64>2 << 32);
  }
  return u32AtSlow(p, end);
}

function u32AtSlow(p: usize, end: usize): u64 {
  pos = p;
  const v = readU32Slow(end);
  return <u64>v | (<u64>(pos - p) << 32);
}

/**
 * readLengthEnd for a local cursor: decodes the length prefix at p and returns the length | (the prefix's
 * size << 32). After an error (the bytes would pass `end`) it returns 0 | ((end - p) << 32): p moves to end.
 */
// @ts-ignore: decorator
@inline export function lengthAt(p: usize, end: usize): u64 {
  if (p < end) {
    const n = <usize>load<u8>(p);
    if (n < 0x80 && n < end - p) return <u64>n | (<u64>1 << 32);
  }
  return lengthAtSlow(p, end);
}

function lengthAtSlow(p: usize, end: usize): u64 {
  pos = p;
  const e = readLengthEndSlow(end);
  if (failed) return <u64>(end - p) << 32;
  return <u64>(e - pos) | (<u64>(pos - p) << 32);
}

/** Reads a length prefix and returns the end of the bytes it announces; fails if they pass `end`. */
// @ts-ignore: decorator
@inline export function readLengthEnd(end: usize): usize {
  const p = pos;
  if (p < end) {
    const n = <usize>load<u8>(p);
    if (n < 0x80 && n < end - p) {
      pos = p + 1;
      return p + 1 + n;
    }
  }
  return readLengthEndSlow(end);
}

function readLengthEndSlow(end: usize): usize {
  const n = readVarint(end);
  const left = end - pos;
  if (n > <u64>left) {
    fail(end, E.E_LENGTH_PAST_END, n, left);
    return end;
  }
  return pos + <usize>n;
}

/** Reads a field key; returns (field << 3 | wire type), or 0 after an error (check `failed`: lenient mode reads key 0). */
// @ts-ignore: decorator
@inline export function readTag(end: usize): u32 {
  const p = pos;
  if (p < end) {
    const b = <u32>load<u8>(p);
    if (b >= 8 && b < 0x80) {
      pos = p + 1;
      return b;
    }
  }
  return readTagSlow(end);
}

function readTagSlow(end: usize): u32 {
  const t = readVarint(end);
  if (failed) return 0;
  if (t > 0xffffffff || ((t >> 3) == 0 && !fieldZeroAllowed)) {
    fail(end, E.E_BAD_FIELD_KEY, t);
    return 0;
  }
  return <u32>t;
}

/** Skips one value of the given wire type; unknown wire types (groups, 6, 7) are errors. */
export function skip(wire: u32, end: usize): void {
  if (wire == WIRE_VARINT) readVarint(end);
  else if (wire == WIRE_BYTES) pos = readLengthEnd(end);
  else if (wire == WIRE_FIXED32) skipBytes(4, end);
  else if (wire == WIRE_FIXED64) skipBytes(8, end);
  else fail(end, E.E_UNKNOWN_WIRE, wire);
}

export function skipBytes(n: usize, end: usize): void {
  if (end - pos < n) fail(end, E.E_FIXED_PAST_END);
  else pos += n;
}

/** Checks that a field has the wire type its schema gives it (field: E.FIELD_*). */
// @ts-ignore: decorator
@inline export function expectWire(field: u32, wire: u32, end: usize): bool {
  if (wire == E.fieldWire(field)) return true;
  fail(end, E.E_WIRE_MISMATCH, field, wire);
  return false;
}

/** Zigzag-decodes a 32-bit ParameterInteger. */
// @ts-ignore: decorator
@inline export function zigzag32(v: u32): i64 {
  return <i64>(<i32>((v >>> 1) ^ (0 - (v & 1))));
}

/**
 * True if [p, e) is well-formed UTF-8 (no overlongs, surrogates or code points past U+10FFFF). Tile strings
 * are short and mostly ASCII: 8 bytes at a time, and a short tail is checked with the 8 bytes that end at
 * `e` (they lie inside the tile when e - 8 >= tileStart), shifted to drop the bytes before p.
 */
export function validUtf8(p: usize, e: usize): bool {
  while (e - p >= 8) {
    if ((load<u64>(p) & 0x8080808080808080) != 0) return validUtf8Slow(p, e);
    p += 8;
  }
  if (p == e) return true;
  if (e - 8 >= tileStart && e >= 8) {
    const tail = load<u64>(e - 8) >> (<u64>(8 - (e - p)) << 3);
    return (tail & 0x8080808080808080) == 0 || validUtf8Slow(p, e);
  }
  return validUtf8Slow(p, e);
}

function validUtf8Slow(p: usize, e: usize): bool {
  while (p < e) {
    const b0 = <u32>load<u8>(p);
    if (b0 < 0x80) {
      p++;
      continue;
    }
    if (b0 < 0xc2) return false;
    if (b0 < 0xe0) {
      if (e - p < 2 || (<u32>load<u8>(p + 1) & 0xc0) != 0x80) return false;
      p += 2;
      continue;
    }
    if (b0 < 0xf0) {
      if (e - p < 3) return false;
      const b1 = <u32>load<u8>(p + 1);
      if ((b1 & 0xc0) != 0x80 || (<u32>load<u8>(p + 2) & 0xc0) != 0x80) return false;
      if (b0 == 0xe0 && b1 < 0xa0) return false;
      if (b0 == 0xed && b1 >= 0xa0) return false;
      p += 3;
      continue;
    }
    if (b0 < 0xf5) {
      if (e - p < 4) return false;
      const b1 = <u32>load<u8>(p + 1);
      if ((b1 & 0xc0) != 0x80 || (<u32>load<u8>(p + 2) & 0xc0) != 0x80 || (<u32>load<u8>(p + 3) & 0xc0) != 0x80) return false;
      if (b0 == 0xf0 && b1 < 0x90) return false;
      if (b0 == 0xf4 && b1 >= 0x90) return false;
      p += 4;
      continue;
    }
    return false;
  }
  return true;
}
