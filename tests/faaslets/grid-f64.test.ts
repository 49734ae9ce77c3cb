// GRID regions with f64 cells (stride 8) end to end, against oracles written here. Host: checkRegion takes
// stride 4 and 8 with a main table that holds them and refuses any other stride; readGrid/writeGrid and
// the region format carry f64 cells bit for bit (−0, subnormals, values past f32's range, NaN), .grid.json
// ("cells": "f64") every one JSON writes (not NaN, nor −0's sign). Faaslets: grid-combine on f64 and on mixed inputs equals each op computed here
// in doubles, bit for bit, with f64 cells out (f32 cells out only when every input has them); grid-mosaic
// places f64 cells (and f32 cells into an f64 mosaic) bit for bit; colorize of an f64 grid is colorize of
// the same values in an f32 grid when they are f32 numbers, and of their f32 rounding when they are not
// (as heatmap colours); every grid faaslet refuses a stride other than 4 or 8, and an f64 grid whose main
// table is sized for f32 cells, as malformed input — f64 bytes are never read as f32.
import { afterEach, describe, expect, it } from 'vitest'
import { LocalRunner, type Invocation } from '../../dataplane/local-runner.js'
import { checkRegion, createRegion, ScratchMemory, type Descriptor } from '../../faaslets/abi/region.js'
import * as L from '../../faaslets/abi/layout.js'
import { gridFromJson, gridToJson, readGrid, readImage, writeGrid, writeGridJson, type Grid } from '../../faaslets/codecs/grid.js'
import { encodeOutput, prepareInput, writePrepared } from '../../faaslets/codecs/boundary.js'
import { mulberry32 as rng } from '../helpers/random.js'

const rt = LocalRunner.create({ tenant: 'grid-f64-test' })
afterEach(() => {
  expect(rt.arena.bytesInUse).toBe(0)
})

function withInvocation<T>(fn: (inv: Invocation) => T): T {
  const inv = rt.begin()
  try {
    return fn(inv)
  } finally {
    rt.release(inv)
  }
}

/** Doubles no f32 holds: fractions with 53 significant bits, −0, subnormals, past f32's range, NaN. */
function awkward(n: number, seed: number): Float64Array {
  const r = rng(seed)
  const specials = [-0, 5e-324, 2.2250738585072014e-308, 1e300, -3.4e39, NaN, 1 + 2 ** -52]
  return Float64Array.from({ length: n }, (_, i) => (i < specials.length ? specials[i] : (r() - 0.5) * 10 ** Math.floor(12 * r() - 6)))
}

const sameBits = (a: ArrayLike<number>, b: ArrayLike<number>) => a.length === b.length && Array.from(a).every((v, i) => Object.is(v, b[i]))
const code = (fn: () => unknown) => { try { fn(); return 'no error' } catch (e) { return (e as { code?: string }).code ?? String(e) } }

// ─── host codecs ─────────────────────────────────────────────────────────────────────────────────────

describe('f64 grids on the host', () => {
  const g: Grid = { width: 7, height: 3, values: awkward(21, 1), crs: 3857, tile: { z: 5, x: 16, y: 10 }, extent: [1, 2, 3, 4] }

  it('checkRegion takes stride 8 with a main table of 8 bytes a cell; refuses it sized for f32 cells, and other strides', () => {
    const mem = new ScratchMemory()
    const d = writeGrid(mem, g)
    const h = checkRegion(mem.view(), d.ptr, d.len)
    expect([h.kind, h.stride, h.count, h.byteLength]).toEqual([L.KIND_GRID, L.GRID_STRIDE_F64, 21, L.HEADER_SIZE + 21 * 8])
    for (const stride of [0, 1, 2, 5, 16]) {
      const r = createRegion(mem, { kind: L.KIND_GRID, count: 4, stride, width: 2, height: 2, sections: [{ bytes: 64, count: 4 }] })
      expect(code(() => checkRegion(mem.view(), r.ptr, r.len)), `stride ${stride}`).toBe('E_BAD_REGION')
    }
    // stride 8 over a table of 4 bytes a cell: the cells would run past the region
    const short = createRegion(mem, { kind: L.KIND_GRID, count: 4, stride: 8, width: 2, height: 2, sections: [{ bytes: 16, count: 4 }] })
    expect(code(() => checkRegion(mem.view(), short.ptr, short.len))).toBe('E_BAD_REGION')
    const f32 = createRegion(mem, { kind: L.KIND_GRID, count: 4, stride: 4, width: 2, height: 2, sections: [{ bytes: 16, count: 4 }] })
    expect(checkRegion(mem.view(), f32.ptr, f32.len).stride).toBe(4)
  })

  it('readGrid and writeGrid carry f64 cells bit for bit; a Float32Array stays f32', () => {
    const mem = new ScratchMemory()
    const back = readGrid(mem.bytes(), writeGrid(mem, g))
    expect(back.values).toBeInstanceOf(Float64Array)
    expect(sameBits(back.values, g.values)).toBe(true)
    expect({ ...back, values: null }).toEqual({ ...g, values: null })
    const f32 = readGrid(mem.bytes(), writeGrid(mem, { width: 2, height: 1, values: Float32Array.of(1.5, -2) }))
    expect(f32.values).toBeInstanceOf(Float32Array)
  })

  it('.grid.json: "cells": "f64" on f64 grids only, and the values read back to the bit (but NaN and −0, which JSON does not write)', () => {
    const finite: Grid = { ...g, values: awkward(21, 2).map((v) => (Number.isNaN(v) || Object.is(v, -0) ? 0.1 : v)) }
    const mem = new ScratchMemory()
    const json = JSON.parse(JSON.stringify(gridToJson(mem.bytes(), writeGrid(mem, finite))))
    expect(json.cells).toBe('f64')
    const back = readGrid(mem.bytes(), writeGridJson(mem, json))
    expect(back.values).toBeInstanceOf(Float64Array)
    expect(sameBits(back.values, finite.values)).toBe(true)
    expect(gridToJson(mem.bytes(), writeGrid(mem, { width: 1, height: 1, values: Float32Array.of(0.5) }))).not.toHaveProperty('cells')
    expect(gridFromJson({ width: 1, height: 1, values: [0.1] }).values).toEqual(Float32Array.of(0.1))
    expect(gridFromJson({ width: 1, height: 1, values: [0.1], cells: 'f32' }).values).toBeInstanceOf(Float32Array)
    expect(code(() => gridFromJson({ width: 1, height: 1, values: [0.1], cells: 'f16' }))).toBe('E_BAD_FORMAT')
  })

  it('the region format carries an f64 grid out and back in unchanged', async () => {
    const mem = new ScratchMemory()
    const d = writeGrid(mem, g)
    const bytes = encodeOutput(mem.bytes(), d, 'region')
    expect(Buffer.from(bytes).equals(Buffer.from(mem.bytes().subarray(d.ptr, d.ptr + d.len)))).toBe(true)
    const other = new ScratchMemory()
    other.alloc(8, 8) // a different address
    const back = writePrepared(other, await prepareInput(bytes, 'region', 'grid'))
    const read = readGrid(other.bytes(), back)
    expect(sameBits(read.values, g.values)).toBe(true)
    expect({ ...read, values: null }).toEqual({ ...g, values: null })
  })
})

// ─── faaslets ────────────────────────────────────────────────────────────────────────────────────────

type Op = 'sum' | 'difference' | 'max' | 'min' | 'mean' | 'blend'

/** Each op from its definition in doubles (no rounding after: f64 cells). */
function combineOracle(op: Op, gs: ArrayLike<number>[], a = 0.5, b = 0.5): Float64Array {
  return Float64Array.from({ length: gs[0].length }, (_, i) => {
    const v = gs.map((g) => g[i])
    switch (op) {
      case 'sum': return v.reduce((s, x) => s + x)
      case 'difference': return v[0] - v.slice(1).reduce((s, x) => s + x)
      case 'max': return Math.max(...v)
      case 'min': return Math.min(...v)
      case 'mean': return v.reduce((s, x) => s + x) / v.length
      case 'blend': return a * v[0] + b * v[1]
    }
  })
}

/** A grid of width × height cells, f64 (finite values no f32 holds) or f32. */
function cells(width: number, height: number, seed: number, f64: boolean): Float32Array | Float64Array {
  const r = rng(seed)
  const v = Float64Array.from({ length: width * height }, () => (r() - 0.5) * 2000 * 10 ** Math.floor(r() * 6 - 3))
  return f64 ? v : Float32Array.from(v)
}

describe('grid-combine with f64 cells', () => {
  const W = 33, H = 21 // an odd cell count: the last cell is done alone
  const run = (values: Array<Float32Array | Float64Array>, params: Record<string, unknown>) => withInvocation((inv) => {
    const ds = values.map((v, i) => writeGrid(inv.mem, { width: W, height: H, values: v, crs: 3857, tile: { z: 7, x: 3 + i, y: 9 }, extent: [i, 2, 3, 4] }))
    return readGrid(rt.arena.bytes(), rt.run(inv, 'grid-combine', ds, params)[0])
  })

  for (const op of ['sum', 'difference', 'max', 'min', 'mean'] as Op[]) {
    it(`${op}: all f64, and f64 with f32 (in every position), bit for bit in doubles, f64 cells out`, () => {
      for (const kinds of [[true, true], [true, true, true, true, true, true, true, true], [false, true], [true, false, false], [false, false, true, false, true]]) {
        const vs = kinds.map((f64, i) => cells(W, H, 10 * kinds.length + i, f64))
        const got = run(vs, { op })
        expect(got.values, JSON.stringify(kinds)).toBeInstanceOf(Float64Array)
        expect(sameBits(got.values, combineOracle(op, vs)), `${op} ${JSON.stringify(kinds)}`).toBe(true)
        expect([got.width, got.height, got.crs, got.tile, got.extent]).toEqual([W, H, 3857, { z: 7, x: 3, y: 9 }, [0, 2, 3, 4]])
      }
    })
  }

  it('blend, and all-f32 inputs still give f32 cells', () => {
    const vs = [cells(W, H, 1, true), cells(W, H, 2, false)]
    expect(sameBits(run(vs, { op: 'blend', a: 0.3, b: -1.7 }).values, combineOracle('blend', vs, 0.3, -1.7))).toBe(true)
    const f32 = run([cells(W, H, 3, false), cells(W, H, 4, false)], { op: 'sum' })
    expect(f32.values).toBeInstanceOf(Float32Array)
  })

  it('1 + 2^-40 in f64 cells: the sum keeps what an f32 cell would round away', () => {
    const got = withInvocation((inv) => {
      const ds = [1, 2 ** -40].map((v) => writeGrid(inv.mem, { width: 1, height: 1, values: Float64Array.of(v) }))
      return readGrid(rt.arena.bytes(), rt.run(inv, 'grid-combine', ds, { op: 'sum' })[0]).values
    })
    expect(Array.from(got)).toEqual([1 + 2 ** -40])
  })
})

describe('grid-mosaic with f64 cells', () => {
  const tile = (inv: Invocation, x0: number, y0: number, values: Float32Array | Float64Array): Descriptor =>
    writeGrid(inv.mem, { width: 4, height: 3, values, crs: 3857, extent: [x0, y0, x0 + 4, y0 + 3] })

  /** a 2×2 block of 4×3 tiles (column, row from the top) placed in plain TS, widened to doubles */
  function placed(values: Array<Float32Array | Float64Array>): Float64Array {
    const out = new Float64Array(8 * 6)
    values.forEach((v, k) => {
      const ox = (k % 2) * 4, oy = Math.floor(k / 2) * 3
      for (let j = 0; j < 3; j++) for (let i = 0; i < 4; i++) out[(oy + j) * 8 + ox + i] = v[j * 4 + i]
    })
    return out
  }

  it('f64 tiles and f32 tiles with f64 ones: an f64 mosaic, cells placed bit for bit; f32 tiles alone stay f32', () => {
    withInvocation((inv) => {
      for (const kinds of [[true, true, true, true], [false, true, false, false], [false, false, false, false]]) {
        const vs = kinds.map((f64, k) => (f64 ? awkward(12, 30 + k) : cells(4, 3, 30 + k, false)))
        // tiles 0 1 / 2 3, given in another order
        const ds = [tile(inv, 4, 0, vs[3]), tile(inv, 0, 3, vs[0]), tile(inv, 0, 0, vs[2]), tile(inv, 4, 3, vs[1])]
        const got = readGrid(rt.arena.bytes(), rt.run(inv, 'grid-mosaic', ds, {})[0])
        expect([got.width, got.height, got.extent]).toEqual([8, 6, [0, 0, 8, 6]])
        const wide = kinds.some((f) => f)
        expect(got.values).toBeInstanceOf(wide ? Float64Array : Float32Array)
        expect(sameBits(got.values, wide ? placed(vs) : Float32Array.from(placed(vs))), JSON.stringify(kinds)).toBe(true)
      }
      // one f64 grid passes through, f64
      const one = readGrid(rt.arena.bytes(), rt.run(inv, 'grid-mosaic', [tile(inv, 0, 0, awkward(12, 40))], {})[0])
      expect(one.values).toBeInstanceOf(Float64Array)
      expect(sameBits(one.values, awkward(12, 40))).toBe(true)
    })
  })
})

describe('colorize reads f64 grids', () => {
  const image = (values: Float32Array | Float64Array, scale = 0) => withInvocation((inv) => {
    const d = writeGrid(inv.mem, { width: 16, height: 8, values, crs: 3857, extent: [0, 0, 16, 8] })
    const img = readImage(rt.arena.bytes(), rt.run(inv, 'colorize', [d], { scale })[0])
    return img.rgba
  })

  it('an f64 grid of f32 numbers is coloured as the same values in an f32 grid (zeros transparent, negatives, a fixed scale)', () => {
    const f32 = cells(16, 8, 50, false)
    f32[3] = 0
    f32[7] = -0
    for (const scale of [0, 100]) {
      const a = image(f32, scale), b = image(Float64Array.from(f32), scale)
      expect(Buffer.from(a).equals(Buffer.from(b)), `scale ${scale}`).toBe(true)
      expect(a[3 * 4 + 3]).toBe(0) // transparent
      expect(new Set(Array.from({ length: 128 }, (_, i) => a[4 * i + 1])).size).toBeGreaterThan(3) // several colours
    }
  })

  it('an f64 grid of values no f32 holds is coloured as their f32 rounding, as heatmap colours its densities', () => {
    const f64 = cells(16, 8, 51, true) as Float64Array
    expect(Array.from(f64).some((v) => Math.fround(v) !== v)).toBe(true)
    expect(Buffer.from(image(f64)).equals(Buffer.from(image(Float32Array.from(f64))))).toBe(true)
  })
})

describe('grid faaslets refuse a stride that is not f32\'s or f64\'s', () => {
  /** a 2×2 grid with this stride, its main table `tableBytes` long, cells 1 2 3 4 as f32 */
  function forged(inv: Invocation, stride: number, tableBytes: number): Descriptor {
    const r = createRegion(inv.mem, { kind: L.KIND_GRID, count: 4, stride, crs: 3857, width: 2, height: 2, extent: [0, 0, 2, 2], sections: [{ bytes: tableBytes, count: 4 }] })
    new Float32Array(rt.arena.bytes().buffer, r.sectionPtrs[0], 4).set([1, 2, 3, 4])
    return { ptr: r.ptr, len: r.len }
  }
  const failure = (fn: () => unknown) => { try { fn() } catch (e) { return { code: (e as { code?: string }).code, message: (e as Error).message } } return { code: 'no error', message: '' } }

  it('colorize, grid-combine and grid-mosaic: stride 5 or 16, and stride 8 over a table of f32 size: malformed input', () => {
    withInvocation((inv) => {
      const good = writeGrid(inv.mem, { width: 2, height: 2, values: Float64Array.of(1, 2, 3, 4), crs: 3857, extent: [2, 0, 4, 2] })
      for (const [stride, bytes, why] of [[5, 32, /grid stride 5: a grid's cells are f32 \(stride 4\) or f64 \(stride 8\)/], [16, 64, /grid stride 16/], [8, 16, /out of bounds/]] as Array<[number, number, RegExp]>) {
        const bad = forged(inv, stride, bytes)
        for (const [name, inputs] of [['colorize', [bad]], ['grid-combine', [good, bad]], ['grid-mosaic', [good, bad]]] as Array<[string, Descriptor[]]>) {
          const f = failure(() => rt.run(inv, name, inputs, {}))
          expect(f.code, `${name}, stride ${stride}: ${f.message}`).toBe('E_FAASLET_MALFORMED_INPUT')
          expect(f.message, name).toMatch(why)
        }
      }
    })
  })
})
