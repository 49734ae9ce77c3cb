// Property-based fuzzing of mvt-decode with fast-check: mutated real tiles (byte flips, truncations,
// insertions, deletions, duplicated ranges, edge-value words) of every mvt-fixtures fixture, the small
// real-world tiles and city tiles; tiles assembled field by field; random bytes. Each case runs through
// the dataplane (a worker, the tenant's time limit), so a hang is a timeout, not a stuck test. Every case
// must decode (agreeing with @mapbox/vector-tile on layers and feature counts) or be refused with a clear
// input code — a trap, timeout, worker death or leaked chunk fails the run with fast-check's minimal case.
import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Dataplane } from '../../dataplane/dataplane.js'
import { arbTileCase, checkTileCase, Tally } from './helpers.js'

// ~0.5 ms a case through a worker: 10,000 fit in a few seconds
const CASES = Number(process.env.GRATICULE_FUZZ_CASES || 10_000)
const SEED = Number(process.env.GRATICULE_FUZZ_SEED || 20_240_611)

let dp: Dataplane

beforeAll(async () => {
  dp = await Dataplane.start({ workers: 2, limits: { timeLimitMs: 5_000, quotaBytes: 256 << 20 } })
})

afterAll(async () => {
  await dp?.close()
})

describe('fuzz: mvt-decode', () => {
  it(`${CASES} tiles: each decodes or is refused with a clear code, and nothing leaks`, async () => {
    const tally = new Tally()
    await fc.assert(fc.asyncProperty(arbTileCase(), async (c) => { tally.add(await checkTileCase(dp, 'fuzz-mvt', c)) }), { numRuns: CASES, seed: SEED })
    console.log(`mvt-decode: ${tally.cases} cases: ${tally}`)
    expect(tally.cases).toBeGreaterThanOrEqual(CASES)
    // the generators reach both sides: tiles that decode and tiles that are refused
    expect(tally.get('ok')).toBeGreaterThan(CASES * 0.05)
    expect(tally.get('E_FAASLET_MALFORMED_INPUT')).toBeGreaterThan(CASES * 0.2)
    expect(dp.tenant('fuzz-mvt').arena.bytesInUse).toBe(0)
  })
})
