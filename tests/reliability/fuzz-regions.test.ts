// Property-based fuzzing of regions, the one format every stage reads: the host's header reader
// (checkRegion, and every host codec on what it accepts) and each faaslet's own checks. Regions of every
// kind are built by the codecs from random data, then edited — header fields set to edge values or nudged
// by a few, sections moved, bytes flipped, relabelled as another kind — or made of random bytes under a
// valid magic; the descriptor length may disagree with the bytes. Each faaslet gets them (and random
// in-range parameters) through the dataplane: it must answer with a result whose regions read back, or a
// clear input code; never a trap, a timeout, a dead worker or a leaked chunk. The faaslets are split over
// this file and fuzz-faaslets.test.ts (each file stays near a minute on a 2-core machine).
import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Dataplane } from '../../dataplane/dataplane.js'
import { Catalog } from '../../faaslets/catalog.js'
import { arbFaasletCase, arbHeaderCase, checkFaasletCase, checkHeaderCase, Tally } from './helpers.js'

const HEADER_CASES = Number(process.env.GRATICULE_FUZZ_CASES || 20_000)
const FAASLET_CASES = Number(process.env.GRATICULE_FUZZ_CASES || 5_000)
const SEED = Number(process.env.GRATICULE_FUZZ_SEED || 20_240_612)
const ALL = Catalog.load().names()
/** this file's half of the faaslets (fuzz-faaslets.test.ts takes the other) */
const FIRST_HALF = ALL.filter((_, i) => i % 2 === 0)

let dp: Dataplane

beforeAll(async () => {
  dp = await Dataplane.start({ workers: 2, limits: { timeLimitMs: 5_000, quotaBytes: 512 << 20 } })
})

afterAll(async () => {
  await dp?.close()
})

describe('fuzz: the region header reader', () => {
  it(`${HEADER_CASES} regions: checkRegion accepts only what fits, and every codec reads what it accepts or says E_BAD_REGION`, () => {
    const tally = new Tally()
    fc.assert(fc.property(arbHeaderCase, (c) => { tally.add(checkHeaderCase(c)) }), { numRuns: HEADER_CASES, seed: SEED })
    console.log(`checkRegion: ${tally.cases} cases: ${tally}`)
    expect(tally.get('accepted')).toBeGreaterThan(HEADER_CASES * 0.05)
    expect(tally.get('E_BAD_REGION')).toBeGreaterThan(HEADER_CASES * 0.2)
  })
})

describe('fuzz: faaslets on bad regions (first half)', () => {
  it('the two halves cover every shipped faaslet', () => {
    expect(ALL.length).toBeGreaterThanOrEqual(11)
  })

  for (const name of FIRST_HALF) {
    it(`${name}: ${FAASLET_CASES} cases end in a result or a clear input code`, async () => {
      const tally = new Tally()
      const m = dp.catalog.manifest(name)
      await fc.assert(fc.asyncProperty(arbFaasletCase(m), async (c) => { tally.add(await checkFaasletCase(dp, `fuzz-${name}`, name, c)) }), { numRuns: FAASLET_CASES, seed: SEED + ALL.indexOf(name) })
      console.log(`${name}: ${tally.cases} cases: ${tally}`)
      expect(tally.cases).toBeGreaterThanOrEqual(FAASLET_CASES)
      expect(tally.get('ok')).toBeGreaterThan(0)
      expect(tally.cases - tally.get('ok')).toBeGreaterThan(0)
      expect(dp.tenant(`fuzz-${name}`).arena.bytesInUse).toBe(0)
    })
  }
})
