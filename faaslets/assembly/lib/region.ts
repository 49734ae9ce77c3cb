// Reading and writing regions (layout: faaslets/abi/layout.ts).
import {
  HDR_AUX, HDR_BYTE_LENGTH, HDR_COUNT, HDR_CRS, HDR_HEIGHT, HDR_KIND, HDR_MAGIC, HDR_MAX_X, HDR_MAX_Y,
  HDR_MIN_X, HDR_MIN_Y, HDR_SECTIONS, HDR_STRIDE, HDR_TILE_X, HDR_TILE_Y, HDR_TILE_Z, HDR_VERSION,
  HDR_WIDTH, HEADER_SIZE, REGION_MAGIC, REGION_VERSION, SECTION_BYTES, SECTION_COUNT,
} from "../../abi/layout";
import { alloc } from "./ctx";

export function kind(r: usize): u32 { return <u32>load<u16>(r + HDR_KIND); }
export function count(r: usize): u32 { return load<u32>(r + HDR_COUNT); }
export function stride(r: usize): u32 { return load<u32>(r + HDR_STRIDE); }
export function crs(r: usize): i32 { return load<i32>(r + HDR_CRS); }
export function byteLength(r: usize): u32 { return load<u32>(r + HDR_BYTE_LENGTH); }
export function width(r: usize): u32 { return load<u32>(r + HDR_WIDTH); }
export function height(r: usize): u32 { return load<u32>(r + HDR_HEIGHT); }
export function tileZ(r: usize): i32 { return load<i32>(r + HDR_TILE_Z); }
export function tileX(r: usize): u32 { return load<u32>(r + HDR_TILE_X); }
export function tileY(r: usize): u32 { return load<u32>(r + HDR_TILE_Y); }
export function aux(r: usize): u32 { return load<u32>(r + HDR_AUX); }
export function sectionOffset(r: usize, s: u32): u32 { return load<u32>(r + HDR_SECTIONS + <usize>s * SECTION_BYTES); }
export function sectionCount(r: usize, s: u32): u32 { return load<u32>(r + HDR_SECTIONS + <usize>s * SECTION_BYTES + 4); }
/** Address of section s's first record. */
export function section(r: usize, s: u32): usize { return r + <usize>sectionOffset(r, s); }
/** Address of the main table's first record. */
export function data(r: usize): usize { return r + <usize>sectionOffset(r, 0); }

/**
 * Empty string if the region at r (len bytes given by the host) is well formed and of the wanted kind,
 * else what is wrong. Every section must lie inside the region and hold `count × stride` bytes.
 */
export function check(r: usize, len: usize, wantKind: u32, recordBytes: u32[]): string {
  if (len < <usize>HEADER_SIZE) return "region shorter than its header";
  if (load<u32>(r + HDR_MAGIC) != REGION_MAGIC) return "not a region (bad magic)";
  if (<u32>load<u16>(r + HDR_VERSION) != REGION_VERSION) return "unsupported region version";
  if (kind(r) != wantKind) return "expected region kind " + wantKind.toString() + ", got " + kind(r).toString();
  if ((r & 7) != 0) return "region not 8-byte aligned";
  // loops run to count(r): it must be the main table's count, which is bounds-checked below
  if (count(r) != sectionCount(r, 0)) return "count " + count(r).toString() + " disagrees with the main table's " + sectionCount(r, 0).toString();
  const total = <u64>byteLength(r);
  if (total > <u64>len) return "region byteLength exceeds its descriptor";
  // in order and never overlapping: a faaslet rewriting one section in its copy must not rewrite another
  let end = <u64>HEADER_SIZE;
  for (let s = 0; s < recordBytes.length; s++) {
    const off = <u64>sectionOffset(r, <u32>s);
    const bytes = <u64>sectionCount(r, <u32>s) * <u64>recordBytes[s];
    if (off < end || off + bytes > total || (off & 7) != 0) return "section " + s.toString() + " out of bounds or overlapping";
    end = off + bytes;
  }
  return "";
}

/** Allocates a region with the given section sizes (bytes each) and writes its header. */
export function create(kindOf: u32, count: u32, stride: u32, crsOf: i32, sectionBytes: u64[], sectionCounts: u32[]): usize {
  let total: u64 = <u64>HEADER_SIZE;
  for (let s = 0; s < sectionBytes.length; s++) total += (sectionBytes[s] + 7) & ~7;
  if (total > 0x7fff0000) unreachable();
  const r = alloc(<usize>total, 8);
  memory.fill(r, 0, HEADER_SIZE);
  store<u32>(r + HDR_MAGIC, REGION_MAGIC);
  store<u16>(r + HDR_VERSION, <u16>REGION_VERSION);
  store<u16>(r + HDR_KIND, <u16>kindOf);
  store<u32>(r + HDR_COUNT, count);
  store<u32>(r + HDR_STRIDE, stride);
  store<i32>(r + HDR_CRS, crsOf);
  store<u32>(r + HDR_BYTE_LENGTH, <u32>total);
  store<i32>(r + HDR_TILE_Z, -1);
  store<f64>(r + HDR_MIN_X, NaN);
  store<f64>(r + HDR_MIN_Y, NaN);
  store<f64>(r + HDR_MAX_X, NaN);
  store<f64>(r + HDR_MAX_Y, NaN);
  let off: u64 = <u64>HEADER_SIZE;
  for (let s = 0; s < sectionBytes.length && s < SECTION_COUNT; s++) {
    store<u32>(r + HDR_SECTIONS + <usize>s * SECTION_BYTES, <u32>off);
    store<u32>(r + HDR_SECTIONS + <usize>s * SECTION_BYTES + 4, sectionCounts[s]);
    off += (sectionBytes[s] + 7) & ~7;
  }
  return r;
}

export function setTile(r: usize, z: i32, x: u32, y: u32): void {
  store<i32>(r + HDR_TILE_Z, z);
  store<u32>(r + HDR_TILE_X, x);
  store<u32>(r + HDR_TILE_Y, y);
}
export function setSize(r: usize, w: u32, h: u32): void {
  store<u32>(r + HDR_WIDTH, w);
  store<u32>(r + HDR_HEIGHT, h);
}
export function setAux(r: usize, v: u32): void { store<u32>(r + HDR_AUX, v); }
export function setExtent(r: usize, minX: f64, minY: f64, maxX: f64, maxY: f64): void {
  store<f64>(r + HDR_MIN_X, minX);
  store<f64>(r + HDR_MIN_Y, minY);
  store<f64>(r + HDR_MAX_X, maxX);
  store<f64>(r + HDR_MAX_Y, maxY);
}
