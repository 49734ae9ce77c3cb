// Host-side access to regions (the layout is drawn once, in layout.ts). Works on any memory that
// implements RegionMemory: a tenant arena, a private copy-mode memory, or a plain buffer in tests.
import * as L from './layout.js'
import type { RegionKindName } from './manifest.js'
import { fail } from '../../errors/index.js'

export interface RegionMemory {
  /** a view over the whole memory, re-created after it grows */
  bytes(): Uint8Array
  view(): DataView
  /** allocates `size` bytes aligned to `align` for the invocation being built; returns the address */
  alloc(size: number, align: number): number
}

/** Where a region lives: all a stage hands the next one. */
export interface Descriptor {
  ptr: number
  len: number
}

export interface RegionHeader {
  kind: number
  count: number
  stride: number
  crs: number
  byteLength: number
  width: number
  height: number
  tileZ: number
  tileX: number
  tileY: number
  aux: number
  minX: number
  minY: number
  maxX: number
  maxY: number
  sections: Array<{ offset: number; count: number }>
}

export const KIND_BY_NAME: Record<RegionKindName, number> = {
  mvt: L.KIND_MVT, points: L.KIND_POINTS, features: L.KIND_FEATURES,
  clusters: L.KIND_CLUSTERS, grid: L.KIND_GRID, image: L.KIND_IMAGE,
}
export const NAME_BY_KIND: Record<number, RegionKindName> = Object.fromEntries(
  Object.entries(KIND_BY_NAME).map(([k, v]) => [v, k as RegionKindName]),
)

/** Record size of each section of a kind; undefined entries are unused sections. A grid's main table: see gridRecordBytes. */
export const SECTION_RECORD_BYTES: Record<number, number[]> = {
  [L.KIND_MVT]: [1],
  [L.KIND_POINTS]: [L.POINT_STRIDE],
  [L.KIND_FEATURES]: [L.FEATURE_STRIDE, L.RING_STRIDE, L.COORD_STRIDE, L.PROP_STRIDE, 1],
  [L.KIND_CLUSTERS]: [L.CLUSTER_STRIDE],
  [L.KIND_GRID]: [L.GRID_STRIDE],
  [L.KIND_IMAGE]: [L.IMAGE_STRIDE],
}

/** A grid's cells are f32 or f64, as its stride says (layout.ts); any other stride is refused. */
function gridRecordBytes(h: RegionHeader): number[] {
  if (h.stride !== L.GRID_STRIDE && h.stride !== L.GRID_STRIDE_F64) throw fail('E_BAD_REGION', `grid stride ${h.stride}: a grid's cells are f32 (stride ${L.GRID_STRIDE}) or f64 (stride ${L.GRID_STRIDE_F64})`)
  return [h.stride]
}

export function readHeader(dv: DataView, ptr: number): RegionHeader {
  const sections = []
  for (let s = 0; s < L.SECTION_COUNT; s++) {
    const at = ptr + L.HDR_SECTIONS + s * L.SECTION_BYTES
    sections.push({ offset: dv.getUint32(at, true), count: dv.getUint32(at + 4, true) })
  }
  return {
    kind: dv.getUint16(ptr + L.HDR_KIND, true),
    count: dv.getUint32(ptr + L.HDR_COUNT, true),
    stride: dv.getUint32(ptr + L.HDR_STRIDE, true),
    crs: dv.getInt32(ptr + L.HDR_CRS, true),
    byteLength: dv.getUint32(ptr + L.HDR_BYTE_LENGTH, true),
    width: dv.getUint32(ptr + L.HDR_WIDTH, true),
    height: dv.getUint32(ptr + L.HDR_HEIGHT, true),
    tileZ: dv.getInt32(ptr + L.HDR_TILE_Z, true),
    tileX: dv.getUint32(ptr + L.HDR_TILE_X, true),
    tileY: dv.getUint32(ptr + L.HDR_TILE_Y, true),
    aux: dv.getUint32(ptr + L.HDR_AUX, true),
    minX: dv.getFloat64(ptr + L.HDR_MIN_X, true),
    minY: dv.getFloat64(ptr + L.HDR_MIN_Y, true),
    maxX: dv.getFloat64(ptr + L.HDR_MAX_X, true),
    maxY: dv.getFloat64(ptr + L.HDR_MAX_Y, true),
    sections,
  }
}

/**
 * Checks the region at ptr against its descriptor length: magic, version, a known kind, and every
 * section inside the region. Returns the header or throws E_BAD_REGION saying what is wrong.
 */
export function checkRegion(dv: DataView, ptr: number, len: number): RegionHeader {
  if (ptr < 0 || len < L.HEADER_SIZE || ptr + len > dv.byteLength) throw fail('E_BAD_REGION', `descriptor {ptr: ${ptr}, len: ${len}} is outside the arena or shorter than a header`)
  // ABI.md §5: regions are 8-byte aligned, so every f64 table can be viewed in place
  if (ptr % 8 !== 0) throw fail('E_BAD_REGION', `region at ${ptr} is not 8-byte aligned`)
  if (dv.getUint32(ptr + L.HDR_MAGIC, true) !== L.REGION_MAGIC) throw fail('E_BAD_REGION', `bad magic at ${ptr}`)
  const version = dv.getUint16(ptr + L.HDR_VERSION, true)
  if (version !== L.REGION_VERSION) throw fail('E_BAD_REGION', `unsupported region version ${version}`)
  const h = readHeader(dv, ptr)
  const records = h.kind === L.KIND_GRID ? gridRecordBytes(h) : SECTION_RECORD_BYTES[h.kind]
  if (!records) throw fail('E_BAD_REGION', `unknown region kind ${h.kind}`)
  if (h.byteLength > len || h.byteLength < L.HEADER_SIZE) throw fail('E_BAD_REGION', `byteLength ${h.byteLength} does not fit descriptor length ${len}`)
  // sections lie in order and never overlap: a faaslet that rewrites one in its copy (reproject, the
  // coordinates) must not be rewriting another
  let end = L.HEADER_SIZE
  for (let s = 0; s < records.length; s++) {
    const { offset, count } = h.sections[s]
    if (offset < end || offset % 8 !== 0 || offset + count * records[s] > h.byteLength) {
      throw fail('E_BAD_REGION', `section ${s} (offset ${offset}, ${count} records) lies outside the region or over section ${s - 1}`)
    }
    end = offset + count * records[s]
  }
  if (h.count !== h.sections[0].count) throw fail('E_BAD_REGION', `count ${h.count} disagrees with the main table's ${h.sections[0].count}`)
  return h
}

export interface NewRegion {
  kind: number
  count: number
  stride: number
  crs?: number
  width?: number
  height?: number
  tile?: { z: number; x: number; y: number }
  aux?: number
  extent?: [number, number, number, number]
  /** bytes and record count of each section; section 0 is the main table */
  sections: Array<{ bytes: number; count: number }>
}

const align8 = (n: number) => (n + 7) & ~7

/** Allocates and writes a region header; returns the descriptor. Callers fill the sections. */
export function createRegion(mem: RegionMemory, r: NewRegion): Descriptor & { sectionPtrs: number[] } {
  const total = L.HEADER_SIZE + r.sections.reduce((n, s) => n + align8(s.bytes), 0)
  const ptr = mem.alloc(total, 8)
  const dv = mem.view()
  new Uint8Array(dv.buffer, ptr, L.HEADER_SIZE).fill(0)
  dv.setUint32(ptr + L.HDR_MAGIC, L.REGION_MAGIC, true)
  dv.setUint16(ptr + L.HDR_VERSION, L.REGION_VERSION, true)
  dv.setUint16(ptr + L.HDR_KIND, r.kind, true)
  dv.setUint32(ptr + L.HDR_COUNT, r.count, true)
  dv.setUint32(ptr + L.HDR_STRIDE, r.stride, true)
  dv.setInt32(ptr + L.HDR_CRS, r.crs ?? 0, true)
  dv.setUint32(ptr + L.HDR_BYTE_LENGTH, total, true)
  dv.setUint32(ptr + L.HDR_WIDTH, r.width ?? 0, true)
  dv.setUint32(ptr + L.HDR_HEIGHT, r.height ?? 0, true)
  dv.setInt32(ptr + L.HDR_TILE_Z, r.tile ? r.tile.z : -1, true)
  dv.setUint32(ptr + L.HDR_TILE_X, r.tile ? r.tile.x : 0, true)
  dv.setUint32(ptr + L.HDR_TILE_Y, r.tile ? r.tile.y : 0, true)
  dv.setUint32(ptr + L.HDR_AUX, r.aux ?? 0, true)
  const [minX, minY, maxX, maxY] = r.extent ?? [NaN, NaN, NaN, NaN]
  dv.setFloat64(ptr + L.HDR_MIN_X, minX, true)
  dv.setFloat64(ptr + L.HDR_MIN_Y, minY, true)
  dv.setFloat64(ptr + L.HDR_MAX_X, maxX, true)
  dv.setFloat64(ptr + L.HDR_MAX_Y, maxY, true)
  const sectionPtrs: number[] = []
  let off = L.HEADER_SIZE
  r.sections.forEach((s, i) => {
    dv.setUint32(ptr + L.HDR_SECTIONS + i * L.SECTION_BYTES, off, true)
    dv.setUint32(ptr + L.HDR_SECTIONS + i * L.SECTION_BYTES + 4, s.count, true)
    sectionPtrs.push(ptr + off)
    off += align8(s.bytes)
  })
  return { ptr, len: total, sectionPtrs }
}

/** A RegionMemory over a plain growable buffer: for codecs run outside any arena (tests, browser). */
export class ScratchMemory implements RegionMemory {
  private buf: Uint8Array
  private used = 8

  constructor(initial = 1 << 16) {
    this.buf = new Uint8Array(initial)
  }

  bytes(): Uint8Array { return this.buf }
  view(): DataView { return new DataView(this.buf.buffer, this.buf.byteOffset, this.buf.byteLength) }

  alloc(size: number, align: number): number {
    const ptr = Math.ceil(this.used / align) * align
    if (ptr + size > this.buf.length) {
      const next = new Uint8Array(Math.max(this.buf.length * 2, ptr + size))
      next.set(this.buf)
      this.buf = next
    }
    this.used = ptr + size
    return ptr
  }
}
