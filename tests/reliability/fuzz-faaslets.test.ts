// The second half of the faaslets of fuzz-regions.test.ts (same generators and rules, see there): each gets
// random, edited and relabelled regions and in-range parameters through the dataplane and must answer with
// a result whose regions read back or a clear input code — no trap, timeout, dead worker or leaked chunk.
import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Dataplane } from '../../dataplane/dataplane.js'
import { Catalog } from '../../faaslets/catalog.js'
import { arbFaasletCase, checkFaasletCase, Tally } from './helpers.js'

const FAASLET_CASES = Number(process.env.GRATICULE_FUZZ_CASES || 5_000)
const SEED = Number(process.env.GRATICULE_FUZZ_SEED || 20_240_612)
const ALL = Catalog.load().names()
const SECOND_HALF = ALL.filter((_, i) => i % 2 === 1)

let dp: Dataplane

beforeAll(async () => {
  dp = await Dataplane.start({ workers: 2, limits: { timeLimitMs: 5_000, quotaBytes: 512 << 20 } })
})

afterAll(async () => {
  await dp?.close()
})

describe('fuzz: faaslets on bad regions (second half)', () => {
  for (const name of SECOND_HALF) {
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
