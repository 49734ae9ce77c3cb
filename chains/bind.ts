// A chain plus one invocation's parameters → the plan the dataplane runs. Invocation parameters are
// checked against the chain's input declaration, then every step's `with` is resolved and packed by the
// faaslet's own manifest (faaslets/abi/manifest.ts): one parser for CLI, HTTP and YAML alike.
//
// Map and gather are expanded here, so the plan stays flat data: a mapped step becomes one plan step per
// tile (`heat[0]`, `heat[1]`, …, each with its own packed parameters, all reading the same regions), and
// the step that needs it reads every branch — in one call up to CTX_MAX_INPUTS (8) branches, past that as
// a tree when its faaslet is associative: blocks of ≤ 8 neighbouring tiles gathered by partial gathers
// (`mosaic[0]`, `mosaic[1]`, …), then blocks of those blocks, until one call (the step's own id) gathers
// ≤ 8. Blocks are rectangles of the tile grid, so each partial gather covers exactly its tiles (a mosaic of
// a block is a rectangle, and mosaics of neighbouring blocks never overlap); a block of one is passed on
// as it is, without a call.
import { parseParam, parseParams, type Manifest, type ParamSpec, type RawParams } from '../faaslets/abi/manifest.js'
import { CTX_MAX_INPUTS } from '../faaslets/abi/layout.js'
import type { Plan, PlanRef, PlanStep } from '../dataplane/plan.js'
import { fail } from '../errors/index.js'
import type { Chain, ChainMap, ChainRef, ChainStep, TileField, WithValue } from './chain.js'
import type { ManifestSource } from './load.js'

/** Most tiles one map fans out to. */
export const MAX_MAP_TILES = 256
/** Deepest zoom a map may list the tiles of (heatmap's limit). */
export const MAX_MAP_ZOOM = 30
/** Web Mercator's latitude limit: the top edge of tile row 0, atan(sinh(π)) in degrees. */
const MAX_LAT = (Math.atan(Math.sinh(Math.PI)) * 180) / Math.PI
/**
 * How close to a tile boundary a bbox edge is taken to lie on it, in tiles: degrees → tiles loses up to
 * ~1e-15 of the world near the poles (the log of Mercator's y); 2^-44 of the world is 2.3 µm.
 */
const edge = (tiles: number) => tiles * 2 ** -44

export interface Tile { z: number; x: number; y: number }

/** The columns x0..x1 and rows y0..y1 (from the top) of the zoom-`z` tiles a lon/lat bbox touches. */
export interface TileRange { z: number; x0: number; x1: number; y0: number; y1: number; count: number }

/**
 * The tiles of zoom z that bbox [w, s, e, n] (degrees) touches: longitudes clamped to ±180, latitudes to
 * Web Mercator's ±85.0511°; an edge on a tile boundary (to 2.3 µm) does not take in the tile beyond it.
 * Throws E_BAD_PARAM for a bbox whose west lies east of its east (a map does not cross the antimeridian).
 */
export function tileRange(bbox: number[], z: number, name = 'bbox'): TileRange {
  const [w, s, e, n] = bbox
  if (w > e) throw fail('E_BAD_PARAM', name, `west ${w} lies east of east ${e}: a map over tiles does not cross the antimeridian; split the bbox in two`)
  const tiles = 2 ** z
  const clamp = (v: number) => Math.min(tiles - 1, Math.max(0, v))
  const col = (lon: number) => ((Math.min(180, Math.max(-180, lon)) + 180) / 360) * tiles
  const row = (lat: number) => {
    const phi = (Math.min(MAX_LAT, Math.max(-MAX_LAT, lat)) * Math.PI) / 180
    return ((1 - Math.log(Math.tan(phi) + 1 / Math.cos(phi)) / Math.PI) / 2) * tiles
  }
  // an edge this near a tile boundary is on it: degrees → tiles rounds, and a tile's own bbox
  // (tileBbox, ${{ tile.bbox }}) must list that tile and no neighbour
  const near = edge(tiles)
  const x0 = clamp(Math.floor(col(w) + near)), x1 = Math.max(x0, clamp(Math.ceil(col(e) - near) - 1))
  const y0 = clamp(Math.floor(row(n) + near)), y1 = Math.max(y0, clamp(Math.ceil(row(s) - near) - 1))
  return { z, x0, x1, y0, y1, count: (x1 - x0 + 1) * (y1 - y0 + 1) }
}

/** The tiles of a range, rows from the top, each row west to east: the order of a map's branches. */
export function tilesOf(r: TileRange): Tile[] {
  const out: Tile[] = []
  for (let y = r.y0; y <= r.y1; y++) for (let x = r.x0; x <= r.x1; x++) out.push({ z: r.z, x, y })
  return out
}

/** A tile's bounds in degrees, w,s,e,n. */
export function tileBbox(t: Tile): [number, number, number, number] {
  const tiles = 2 ** t.z
  const lon = (x: number) => (x / tiles) * 360 - 180
  const lat = (y: number) => (Math.atan(Math.sinh(Math.PI * (1 - (2 * y) / tiles))) * 180) / Math.PI
  return [lon(t.x), lat(t.y + 1), lon(t.x + 1), lat(t.y)]
}

const BBOX_SPEC: ParamSpec = { name: 'bbox', type: 'bbox', doc: 'w,s,e,n in degrees' }
const ZOOM_SPEC: ParamSpec = { name: 'zoom', type: 'int', min: 0, max: MAX_MAP_ZOOM, doc: 'tile zoom' }

/**
 * The tiles a step's map lists for these (already checked) invocation parameters; E_BAD_PARAM for a bbox or
 * zoom that cannot be, E_TOO_MANY_TILES past MAX_MAP_TILES.
 */
export function mapTiles(stepId: string, map: ChainMap, params: RawParams): { tiles: Tile[]; cols: number; rows: number } {
  const value = (v: { literal: unknown } | { ref: string }) => ('ref' in v ? params[v.ref] : v.literal)
  const where = (v: { literal: unknown } | { ref: string }, field: string) => ('ref' in v ? v.ref : `${stepId}.map.tiles.${field}`)
  const asMap = { name: `the map of step ${stepId}` } as Manifest
  const bbox = parseParam(asMap, { ...BBOX_SPEC, name: where(map.tiles.bbox, 'bbox') }, value(map.tiles.bbox))
  const [zoom] = parseParam(asMap, { ...ZOOM_SPEC, name: where(map.tiles.zoom, 'zoom') }, value(map.tiles.zoom))
  const range = tileRange(bbox, zoom, where(map.tiles.bbox, 'bbox'))
  if (range.count > MAX_MAP_TILES) {
    throw fail('E_TOO_MANY_TILES', stepId, bbox.join(','), zoom, range.count, range.x1 - range.x0 + 1, range.y1 - range.y0 + 1, MAX_MAP_TILES)
  }
  return { tiles: tilesOf(range), cols: range.x1 - range.x0 + 1, rows: range.y1 - range.y0 + 1 }
}

/** Checks invocation parameters against the chain's inputs; returns them with defaults applied. */
export function invocationParams(chain: Chain, raw: RawParams): RawParams {
  const known = chain.input.params.map((p) => p.name)
  for (const name of Object.keys(raw)) {
    if (!known.includes(name)) throw fail('E_UNKNOWN_PARAM', name, `chain ${chain.name}`, known.join(', ') || 'none')
  }
  const asManifest = { name: `chain ${chain.name}` } as Manifest
  const out: RawParams = {}
  for (const p of chain.input.params) {
    const v = raw[p.name] ?? p.default
    if (v === undefined) throw fail('E_MISSING_PARAM', p.name, `chain ${chain.name}`)
    parseParam(asManifest, p, v) // throws E_BAD_PARAM with the reason
    out[p.name] = v
  }
  return out
}

/** The fewest and most regions one call of a faaslet reads. */
export function inputBounds(m: Manifest): { min: number; max: number } {
  const variadic = m.inputs.some((x) => x.variadic)
  return { min: Math.max(1, m.inputs.filter((x) => !x.variadic).length), max: variadic ? CTX_MAX_INPUTS : m.inputs.length }
}

/**
 * Why `m` cannot gather the branches of a cols × rows map, or undefined if it can: at least its fixed
 * inputs; more than one call takes only as a tree, which needs an associative faaslet and enough inputs
 * in every call of the tree.
 */
export function gatherProblem(m: Manifest, cols: number, rows: number): string | undefined {
  const { min, max } = inputBounds(m)
  const n = cols * rows
  if (n < min) return `${m.name} takes at least ${min} regions`
  if (n <= max) return undefined
  if (!m.associative) return `${m.name} takes at most ${max} regions in one call and is not associative (its manifest does not declare "associative": true), so it cannot gather them as a tree of calls`
  const calls = gatherLevels(cols, rows, max).flat().filter((g) => g.length > 1).map((g) => g.length)
  return Math.min(...calls) < min ? `a tree of calls of ≤ ${max} regions would give one call ${Math.min(...calls)}; ${m.name} takes at least ${min}` : undefined
}

/**
 * How a tree gathers a cols × rows grid of items (row-major), level by level: each level lists its groups,
 * each group the indices of the items it gathers (into the level before, row-major) — a rectangle of ≤ max
 * neighbours, the fewest rectangles that cover the grid (the squarest on a tie). A level's groups form the
 * next level's grid, row-major; the last level is one group of ≤ max.
 */
export function gatherLevels(cols: number, rows: number, max: number): number[][][] {
  if (max < 2) throw new Error(`a tree of calls needs calls of at least 2 inputs, not ${max}`)
  const levels: number[][][] = []
  for (;;) {
    if (cols * rows <= max) {
      levels.push([Array.from({ length: cols * rows }, (_, k) => k)])
      return levels
    }
    let best = { bw: 1, bh: 1, groups: Infinity }
    for (let bw = 1; bw <= Math.min(cols, max); bw++) {
      const bh = Math.min(rows, Math.floor(max / bw))
      const groups = Math.ceil(cols / bw) * Math.ceil(rows / bh)
      if (groups < best.groups || (groups === best.groups && Math.abs(bw - bh) < Math.abs(best.bw - best.bh))) best = { bw, bh, groups }
    }
    const { bw, bh } = best
    const gc = Math.ceil(cols / bw), gr = Math.ceil(rows / bh)
    const level: number[][] = []
    for (let by = 0; by < gr; by++) {
      for (let bx = 0; bx < gc; bx++) {
        const group: number[] = []
        for (let y = by * bh; y < Math.min(rows, (by + 1) * bh); y++) for (let x = bx * bw; x < Math.min(cols, (bx + 1) * bw); x++) group.push(y * cols + x)
        level.push(group)
      }
    }
    levels.push(level)
    cols = gc
    rows = gr
  }
}

export function bindChain(chain: Chain, raw: RawParams, faaslets: ManifestSource): Plan {
  const params = invocationParams(chain, raw)
  const steps: PlanStep[] = []
  const result = new Map<string, number>() // chain step id → the plan step holding its result
  const branches = new Map<string, { steps: number[]; cols: number; rows: number }>() // mapped chain step id → its branches, in tile order
  const ref = (r: ChainRef): PlanRef => ('input' in r ? { input: 0 } : { step: result.get(r.step)!, output: r.output })
  const pack = (s: ChainStep, m: Manifest, tile?: Tile): number[] => {
    const values: RawParams = {}
    for (const [k, v] of Object.entries(s.with)) values[k] = resolve(v, params, tile)
    return Array.from(parseParams(m, values))
  }

  for (const s of chain.steps) {
    const m = faaslets.manifest(s.faaslet)
    if (s.map) {
      const { tiles, cols, rows } = mapTiles(s.id, s.map, params)
      const list = tiles.map((t, k) => steps.push({ id: `${s.id}[${k}]`, faaslet: s.faaslet, params: pack(s, m, t), inputs: s.inputs.map(ref), of: s.id }) - 1)
      branches.set(s.id, { steps: list, cols, rows })
      continue
    }
    const gathered = s.gathers !== undefined ? branches.get(s.gathers) : undefined
    if (gathered) {
      const output = (s.inputs[0] as { output: number }).output
      const why = gatherProblem(m, gathered.cols, gathered.rows)
      if (why) throw fail('E_GATHER_COUNT', s.id, m.name, gathered.steps.length, s.gathers, why)
      const packed = pack(s, m)
      // level by level: each block of the level becomes one call, read by the next level (its output 0,
      // which an associative faaslet reads back: manifest-schema.ts); a block of one is passed on as it is
      let level: PlanRef[] = gathered.steps.map((step) => ({ step, output }))
      let partial = 0
      const levels = gatherLevels(gathered.cols, gathered.rows, inputBounds(m).max)
      for (const groups of levels.slice(0, -1)) {
        level = groups.map((g) => (g.length === 1 ? level[g[0]] : {
          step: steps.push({ id: `${s.id}[${partial++}]`, faaslet: s.faaslet, params: [...packed], inputs: g.map((k) => level[k]), of: s.id }) - 1,
          output: 0,
        }))
      }
      result.set(s.id, steps.push({ id: s.id, faaslet: s.faaslet, params: packed, inputs: level }) - 1)
      continue
    }
    result.set(s.id, steps.push({ id: s.id, faaslet: s.faaslet, params: pack(s, m), inputs: s.inputs.map(ref) }) - 1)
  }
  return {
    name: chain.name,
    inputCount: 1,
    steps,
    outputs: chain.outputs.map((o) => ({ step: result.get(o.step)!, output: o.output })),
  }
}

function resolve(v: WithValue, params: RawParams, tile?: Tile): unknown {
  if ('literal' in v) return v.literal
  if ('ref' in v) return params[v.ref]
  return tileValue(tile!, v.tile)
}

function tileValue(t: Tile, field: TileField): unknown {
  return field === 'bbox' ? tileBbox(t) : t[field]
}
