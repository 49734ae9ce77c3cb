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
import { arbHeaderCase, checkHeaderCase, Tally } from './helpers.js'
import { FUZZ_SEED as SEED, faasletFuzzSuite, SHIPPED_FAASLETS } from './support/faaslet-fuzz-suite.js'

const HEADER_CASES = Number(process.env.GRATICULE_FUZZ_CASES || 20_000)

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

describe('fuzz: faaslets on bad regions', () => {
  it('the two halves cover every shipped faaslet', () => {
    expect(SHIPPED_FAASLETS.length).toBeGreaterThanOrEqual(11)
  })
})

faasletFuzzSuite(0, () => dp)
