// The inputs of the chain benchmarks, the same for bench-hop and bench: real MVT world tiles of n cities
// (tests/helpers/tiles.ts) for tile-heatmap, and n real cities as a points region for points-prepare.
import type { Plan } from '../../dataplane/plan.js'
import type { InputWriter } from '../../dataplane/dataplane.js'
import { bindChain } from '../../chains/bind.js'
import { ChainRegistry } from '../../chains/registry.js'
import type { RawParams } from '../../faaslets/abi/manifest.js'
import { ScratchMemory } from '../../faaslets/abi/region.js'
import type { Catalog } from '../../faaslets/catalog.js'
import { prepareInput, writePrepared } from '../../faaslets/codecs/boundary.js'
import { pointArrays, writePoints, type PointArrays } from '../../faaslets/codecs/points.js'
import { sampleCities, worldTile } from '../../tests/helpers/tiles.js'

/** The z0 world tile: every sampled city is in it, so the chain's work grows with n. */
export const TILE = { z: 0, x: 0, y: 0 }
export const TILE_PARAMS: RawParams = { ...TILE }
/** points-prepare: world bbox, 0.05° cells; a 64×64 result keeps the answer small — the points are the load */
export const PREPARE_PARAMS: RawParams = { size: 64 }

const tiles = new Map<number, Uint8Array>()
/** MVT bytes of the world tile of n real cities (cached: geojson-vt + vt-pbf take ~1 s at 100k). */
export function tileBytes(n: number): Uint8Array {
  let t = tiles.get(n)
  if (!t) tiles.set(n, (t = worldTile(n)))
  return t
}

/** n real cities as points: lon/lat, weight = population (≥ 0, kept by points-prepare's filter). */
export function cityPoints(n: number, seed = 2): PointArrays {
  const list = sampleCities(n, seed)
  const p = pointArrays(list.length)
  list.forEach((c, i) => {
    p.x[i] = c.loc.coordinates[0]
    p.y[i] = c.loc.coordinates[1]
    p.weight[i] = c.population
    p.id[i] = i
  })
  return p
}

/** A points region as a request body (application/vnd.graticule.region): writePoints into scratch memory. */
export function regionBody(p: PointArrays): Uint8Array {
  const mem = new ScratchMemory()
  const d = writePoints(mem, p)
  return mem.bytes().slice(d.ptr, d.ptr + d.len)
}

export interface ChainCase {
  chain: 'tile-heatmap' | 'points-prepare'
  points: number
  plan: Plan
  write: InputWriter
  /** bytes of the request body the same input takes over HTTP */
  bodyBytes: number
}

export async function chainCase(catalog: Catalog, chain: ChainCase['chain'], points: number): Promise<ChainCase> {
  const c = new ChainRegistry(catalog, null).get(chain)
  if (chain === 'tile-heatmap') {
    const bytes = tileBytes(points)
    const prepared = await prepareInput(bytes, 'mvt', 'mvt', { tile: TILE })
    return { chain, points, plan: bindChain(c, TILE_PARAMS, catalog), write: (mem) => [writePrepared(mem, prepared)], bodyBytes: bytes.length }
  }
  const p = cityPoints(points)
  return { chain, points, plan: bindChain(c, PREPARE_PARAMS, catalog), write: (mem) => [writePoints(mem, p)], bodyBytes: regionBody(p).length }
}
