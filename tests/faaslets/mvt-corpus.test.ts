// mvt-decode on tiles of three independent encoders — geojson-vt + vt-pbf (JavaScript), GDAL's MVT driver
// (gdal3.js) and the Python mapbox-vector-tile package — made here from real boundaries at zooms 0 to 8
// (tests/faaslets/mvt-corpus/regions.ts: the antimeridian, tiny islands, polygons with holes). The default
// (lenient) mode must give exactly what @mapbox/vector-tile 3's toGeoJSON gives, features in order, ids,
// properties, geometry types and lon/lat within 1e-9, and count exactly the rings classifyRings drops and
// the polygons it judges by an interior-wound first ring. Strict mode's refusals are tallied by rule: each
// must be a violation lenient mode counts, and a tile strict mode accepts must have none.
//
// The first run installs mapbox-vector-tile into node_modules/.cache (pinned, ~15 s); later runs reuse it.
import { beforeAll, describe, expect, it } from 'vitest'
import { LocalRunner } from '../../dataplane/local-runner.js'
import { readHeader } from '../../faaslets/abi/region.js'
import { readFeatures, type Feature } from '../../faaslets/codecs/features.js'
import { writeMvt } from '../../faaslets/codecs/mvt.js'
import type { GraticuleError } from '../../errors/index.js'
import { differences, oracleRepairs, readOracle, rulesOf, STRICT_RULES } from '../helpers/mvt-compare.js'
import type { CorpusTile, Encoder } from './mvt-corpus/corpus.js'
import { encodeGdal } from './mvt-corpus/encode-gdal.js'
import { encodeGeojsonVt } from './mvt-corpus/encode-geojson-vt.js'
import { encodePython } from './mvt-corpus/encode-python.js'
import { REGIONS } from './mvt-corpus/regions.js'

const ENCODERS: Encoder[] = ['geojson-vt', 'gdal', 'mapbox-vector-tile']
const VIOLATIONS = STRICT_RULES.map(([rule]) => rule)

const rt = LocalRunner.create({ tenant: 'mvt-corpus-test' })
let corpus: CorpusTile[] = []

beforeAll(async () => {
  corpus = [...encodeGeojsonVt(REGIONS), ...(await encodeGdal(REGIONS)), ...encodePython(REGIONS)]
}, 240_000)

interface Decoded { features: Feature[]; repairs: Record<string, number | boolean>; box: number[] }

/** mvt-decode on one tile: its features and repairs, or the error it refuses the tile with. */
function decode(t: CorpusTile, strict: boolean): Decoded | GraticuleError {
  const inv = rt.begin()
  try {
    const [out, report] = rt.run(inv, 'mvt-decode', [writeMvt(inv.mem, t.bytes)], { z: t.z, x: t.x, y: t.y, strict })
    const h = readHeader(rt.arena.view(), out.ptr)
    return {
      features: readFeatures(rt.arena.bytes(), out).features,
      repairs: readFeatures(rt.arena.bytes(), report).features[0].properties as Record<string, number | boolean>,
      box: [h.minX, h.minY, h.maxX, h.maxY],
    }
  } catch (e) {
    return e as GraticuleError
  } finally {
    rt.release(inv)
  }
}

const name = (t: CorpusTile) => `${t.encoder} ${t.region} ${t.z}/${t.x}/${t.y}`

/** Rings and positions of a feature's geometry, as mvt-decode wrote them. */
function size(f: Feature): [number, number] {
  const g = f.geometry
  if (!g || g.type === 'GeometryCollection') return [0, 0]
  if (g.type === 'Point') return [1, 1]
  if (g.type === 'MultiPoint' || g.type === 'LineString') return [1, g.coordinates.length]
  const rings = g.type === 'MultiPolygon' ? g.coordinates.flat() : g.coordinates
  return [rings.length, rings.reduce((n, r) => n + r.length, 0)]
}

describe('mvt-decode on a corpus of three encoders', () => {
  it('has tiles of every encoder for every region, at zooms 0 to 8, on both sides of the antimeridian', () => {
    for (const encoder of ENCODERS) {
      const tiles = corpus.filter((t) => t.encoder === encoder)
      expect(new Set(tiles.map((t) => t.region)), encoder).toEqual(new Set(REGIONS.map((r) => r.name)))
      expect(new Set(tiles.map((t) => t.z)), encoder).toEqual(new Set([0, 1, 2, 3, 4, 5, 6, 7, 8]))
      for (const region of ['fiji', 'bering', 'aleutians']) {
        const here = tiles.filter((t) => t.region === region && t.z >= 3)
        expect(here.some((t) => t.x === 0) && here.some((t) => t.x === 2 ** t.z - 1), `${encoder} ${region}`).toBe(true)
      }
    }
  })

  it('decodes every tile exactly as @mapbox/vector-tile does, and counts what it drops and reorients', () => {
    const stats = new Map<Encoder, { tiles: number; features: number; rings: number; positions: number; bytes: number; repairs: Record<string, number> }>()
    const problems: string[] = []
    for (const t of corpus) {
      const expected = readOracle(t.bytes, t.z, t.x, t.y)
      const got = decode(t, false)
      if (got instanceof Error) {
        problems.push(`${name(t)}: refused: ${got.message}`)
        continue
      }
      problems.push(...differences(got.features, expected.layers, name(t)))
      const want = oracleRepairs(t.bytes)
      for (const [rule, n] of Object.entries(want)) {
        if (rule !== 'unknown_type_skipped' && got.repairs[rule] !== n) problems.push(`${name(t)}: ${rule} ${got.repairs[rule]}, @mapbox/vector-tile ${n}`)
      }
      const skipped = [...expected.skipped.values()].reduce((a, b) => a + b, 0)
      if (skipped !== 0) problems.push(`${name(t)}: @mapbox/vector-tile cannot make GeoJSON of ${skipped} features`)
      const s = stats.get(t.encoder) ?? { tiles: 0, features: 0, rings: 0, positions: 0, bytes: 0, repairs: {} }
      s.tiles++
      s.bytes += t.bytes.length
      s.features += got.features.length
      for (const f of got.features) {
        const [rings, positions] = size(f)
        s.rings += rings
        s.positions += positions
      }
      for (const [rule, n] of Object.entries(got.repairs)) if (typeof n === 'number' && n > 0) s.repairs[rule] = (s.repairs[rule] ?? 0) + n
      stats.set(t.encoder, s)
      if (problems.length > 20) break
    }
    expect(problems).toEqual([])
    for (const [encoder, s] of stats) {
      console.log(`mvt corpus, ${encoder}: ${s.tiles} tiles (${(s.bytes / 1024).toFixed(0)} KiB), ${s.features} features, ${s.rings} rings, ${s.positions} positions; repairs ${JSON.stringify(s.repairs)}`)
      expect(s.tiles, encoder).toBeGreaterThan(100)
      expect(s.features, encoder).toBeGreaterThan(500)
    }
  })

  it('strict mode refuses a tile for a rule lenient mode counts in it, and accepts the tiles lenient mode finds no violation in', () => {
    const refusals = new Map<Encoder, Record<string, number>>()
    const problems: string[] = []
    for (const t of corpus) {
      const strict = decode(t, true), lenient = decode(t, false) as Decoded
      const violations = VIOLATIONS.filter((rule) => (lenient.repairs[rule] as number) > 0)
      if (strict instanceof Error) {
        expect(strict.code, name(t)).toBe('E_FAASLET_MALFORMED_INPUT')
        const rules = rulesOf(strict.message)
        if (!rules.some((r) => violations.includes(r))) problems.push(`${name(t)}: strict says "${strict.message}", lenient counts ${violations}`)
        const tally = refusals.get(t.encoder) ?? {}
        tally[rules[0]] = (tally[rules[0]] ?? 0) + 1
        refusals.set(t.encoder, tally)
      } else {
        if (violations.length) problems.push(`${name(t)}: strict accepts it, lenient counts ${violations}`)
        expect(differences(strict.features, readOracle(t.bytes, t.z, t.x, t.y).layers, name(t))).toEqual([])
        expect(strict.repairs.strict).toBe(true)
      }
    }
    expect(problems).toEqual([])
    for (const encoder of ENCODERS) {
      const tally = refusals.get(encoder) ?? {}
      const total = corpus.filter((t) => t.encoder === encoder).length
      console.log(`mvt corpus, ${encoder}: strict mode refuses ${Object.values(tally).reduce((a, b) => a + b, 0)} of ${total} tiles: ${JSON.stringify(tally)}`)
    }
  })
})
