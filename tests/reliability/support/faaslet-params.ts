// Parameter values a faaslet or chain accepts: edges and ordinary values inside each declared range, since the host
// refuses out-of-range values before any faaslet runs.
import fc from 'fast-check'
import type { Manifest, ParamSpec, RawParams } from '../../../faaslets/abi/manifest.js'
import { arbTileAddress } from './mvt-cases.js'
import { arbCoord } from './region-inputs.js'

const SIZE_PARAMS = new Set(['size', 'width', 'height'])

/** Values for one parameter, inside what the host accepts (the host refuses the rest before any faaslet runs). */
export function arbParam(p: ParamSpec): fc.Arbitrary<unknown> {
  switch (p.type) {
    case 'int': {
      const lo = p.min ?? -(2 ** 31), hi = p.max ?? 2 ** 31 - 1
      // sizes (grid width/height, heatmap size) cost their square in time and memory: mostly small, the
      // largest now and then, so a run covers many cases and still reaches the limits
      if (SIZE_PARAMS.has(p.name)) return fc.oneof({ weight: 30, arbitrary: fc.integer({ min: lo, max: Math.min(hi, 64) }) }, { weight: 1, arbitrary: fc.constantFrom(lo, hi, 256, 1024) })
      const edges = [lo, hi, lo + 1, hi - 1, ...(typeof p.default === 'number' ? [p.default] : [])].filter((v) => v >= lo && v <= hi)
      return fc.oneof(
        { weight: 3, arbitrary: fc.constantFrom(...edges) },
        { weight: 4, arbitrary: fc.integer({ min: lo, max: Math.min(hi, lo + 32) }) },
        { weight: 2, arbitrary: fc.integer({ min: lo, max: hi }) },
      )
    }
    case 'number': {
      const lo = p.min ?? -1e308, hi = p.max ?? 1e308
      const edges = [lo, hi, 0, 1, 0.5, 1e-9, -1, 1e9, -1e9, ...(typeof p.default === 'number' ? [p.default] : [])].filter((v) => v >= lo && v <= hi)
      return fc.oneof(
        { weight: 3, arbitrary: fc.constantFrom(...edges) },
        { weight: 3, arbitrary: fc.double({ min: Math.max(lo, -1000), max: Math.min(hi, 1000), noNaN: true }) },
        { weight: 1, arbitrary: fc.double({ min: lo, max: hi, noNaN: true, noDefaultInfinity: true }) },
      )
    }
    case 'bool': return fc.boolean()
    case 'enum': return fc.constantFrom(...(p.values ?? []))
    case 'crs': return fc.constantFrom(...(p.crsRanges ?? []).flatMap(([a, b]) => [a, b, Math.floor((a + b) / 2)]))
    case 'bbox': return fc.tuple(arbCoord, arbCoord, arbCoord, arbCoord)
      .filter((b) => b.every(Number.isFinite))
      .map(([w, s, e, n]) => [w, Math.min(s, n), e, Math.max(s, n)])
  }
}

/** Raw parameters for a faaslet: every one given, in range; z/x/y name a tile that mostly exists. */
export function arbParams(m: Manifest): fc.Arbitrary<RawParams> {
  const entries: Record<string, fc.Arbitrary<unknown>> = {}
  for (const p of m.params) entries[p.name] = arbParam(p)
  const hasTile = ['z', 'x', 'y'].every((n) => m.params.some((p) => p.name === n))
  if (!hasTile) return fc.record(entries)
  return fc.tuple(fc.record(entries), arbTileAddress).map(([r, t]) => {
    const zMax = m.params.find((p) => p.name === 'z')?.max ?? 30
    return { ...r, z: Math.min(t.z, zMax), x: t.x, y: t.y }
  })
}
