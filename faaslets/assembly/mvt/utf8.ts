// Strings as pbf 5's readString gives them to @mapbox/vector-tile, re-encoded as UTF-8: strings of 12 bytes
// or more go through TextDecoder (the WHATWG decoder: a leading BOM is dropped, each maximal invalid
// subpart becomes one U+FFFD), shorter ones through pbf's own readUtf8 (each invalid byte becomes one
// U+FFFD, and a sequence cut by the end of the string ends it, silently). Lenient mode uses `decode` for
// strings that are not valid UTF-8; both modes drop the BOM of a long valid one (`bomSkip`).
import { alloc } from "../lib/ctx";

// the pbf threshold (TEXT_DECODER_MIN_LENGTH)
const LONG: usize = 12;

/** decode's result: where the decoded bytes are and how many */
export let outAt: usize = 0;
export let outLen: usize = 0;

/** 3 when [p, e) is long enough for TextDecoder and starts with a UTF-8 BOM (which TextDecoder drops), else 0. */
// @ts-ignore: decorator
@inline export function bomSkip(p: usize, e: usize): usize {
  return e - p >= LONG && load<u8>(p) == 0xef && load<u8>(p + 1) == 0xbb && load<u8>(p + 2) == 0xbf ? 3 : 0;
}

/** Decodes [p, e), not valid UTF-8, into fresh invocation memory: outAt, outLen. */
export function decode(p: usize, e: usize): void {
  // every input byte yields at most one U+FFFD (3 bytes)
  outAt = alloc((e - p) * 3 + 8, 8);
  outLen = e - p >= LONG ? decodeWhatwg(p, e, outAt) : decodePbf(p, e, outAt);
}

function putReplacement(out: usize): usize {
  store<u8>(out, 0xef);
  store<u8>(out + 1, 0xbf);
  store<u8>(out + 2, 0xbd);
  return 3;
}

/** pbf's readUtf8, emitting the original bytes of every sequence it accepts. */
function decodePbf(p: usize, e: usize, out: usize): usize {
  let n: usize = 0;
  let i = p;
  while (i < e) {
    const b0 = <u32>load<u8>(i);
    let size: usize = b0 > 0xef ? 4 : b0 > 0xdf ? 3 : b0 > 0xbf ? 2 : 1;
    if (i + size > e) break;
    let ok = false;
    if (size == 1) {
      ok = b0 < 0x80;
    } else if (size == 2) {
      const b1 = <u32>load<u8>(i + 1);
      ok = (b1 & 0xc0) == 0x80 && (((b0 & 0x1f) << 6) | (b1 & 0x3f)) > 0x7f;
    } else if (size == 3) {
      const b1 = <u32>load<u8>(i + 1), b2 = <u32>load<u8>(i + 2);
      if ((b1 & 0xc0) == 0x80 && (b2 & 0xc0) == 0x80) {
        const c = ((b0 & 0xf) << 12) | ((b1 & 0x3f) << 6) | (b2 & 0x3f);
        ok = c > 0x7ff && (c < 0xd800 || c > 0xdfff);
      }
    } else {
      const b1 = <u32>load<u8>(i + 1), b2 = <u32>load<u8>(i + 2), b3 = <u32>load<u8>(i + 3);
      if ((b1 & 0xc0) == 0x80 && (b2 & 0xc0) == 0x80 && (b3 & 0xc0) == 0x80) {
        const c = ((b0 & 0xf) << 18) | ((b1 & 0x3f) << 12) | ((b2 & 0x3f) << 6) | (b3 & 0x3f);
        ok = c > 0xffff && c < 0x110000;
      }
    }
    if (ok) {
      for (let k: usize = 0; k < size; k++) store<u8>(out + n + k, load<u8>(i + k));
      n += size;
      i += size;
    } else {
      n += putReplacement(out + n);
      i += 1;
    }
  }
  return n;
}

/** The WHATWG UTF-8 decoder (replacement mode, BOM dropped), emitting the original bytes of valid sequences. */
function decodeWhatwg(p: usize, e: usize, out: usize): usize {
  let n: usize = 0;
  let i = p + bomSkip(p, e);
  while (i < e) {
    const b0 = <u32>load<u8>(i);
    let need: usize = 0;
    let lower: u32 = 0x80, upper: u32 = 0xbf;
    if (b0 < 0x80) need = 0;
    else if (b0 >= 0xc2 && b0 <= 0xdf) need = 1;
    else if (b0 >= 0xe0 && b0 <= 0xef) {
      need = 2;
      if (b0 == 0xe0) lower = 0xa0;
      if (b0 == 0xed) upper = 0x9f;
    } else if (b0 >= 0xf0 && b0 <= 0xf4) {
      need = 3;
      if (b0 == 0xf0) lower = 0x90;
      if (b0 == 0xf4) upper = 0x8f;
    } else {
      n += putReplacement(out + n);
      i++;
      continue;
    }
    // the continuation bytes: the first may have a narrower range; a byte outside it ends the subpart
    let seen: usize = 0;
    while (seen < need && i + 1 + seen < e) {
      const b = <u32>load<u8>(i + 1 + seen);
      if (b < lower || b > upper) break;
      lower = 0x80;
      upper = 0xbf;
      seen++;
    }
    if (seen == need) {
      for (let k: usize = 0; k <= need; k++) store<u8>(out + n + k, load<u8>(i + k));
      n += need + 1;
    } else {
      n += putReplacement(out + n); // the maximal subpart [i, i + 1 + seen) is one U+FFFD
    }
    i += 1 + seen;
  }
  return n;
}
