// The per-faaslet fuzz tests, declared once for the two files that split the shipped faaslets between
// them (fuzz-regions.test.ts and fuzz-faaslets.test.ts; each file stays near a minute on 2 cores).
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import type { Dataplane } from '../../../dataplane/dataplane.js'
import { Catalog } from '../../../faaslets/catalog.js'
import { arbFaasletCase, checkFaasletCase } from './faaslet-cases.js'
import { Tally } from './outcomes.js'

export const FAASLET_CASES = Number(process.env.GRATICULE_FUZZ_CASES || 5_000)
export const FUZZ_SEED = Number(process.env.GRATICULE_FUZZ_SEED || 20_240_612)
export const SHIPPED_FAASLETS = Catalog.load().names()

/** One test per faaslet of this half (0: even positions, 1: odd) on the dataplane `dp()` returns. */
export function faasletFuzzSuite(half: 0 | 1, dp: () => Dataplane): void {
  const names = SHIPPED_FAASLETS.filter((_, i) => i % 2 === half)
  describe(`fuzz: faaslets on bad regions (${half === 0 ? 'first' : 'second'} half)`, () => {
    for (const name of names) {
      it(`${name}: ${FAASLET_CASES} cases end in a result or a clear input code`, async () => {
        const tally = new Tally()
        const m = dp().catalog.manifest(name)
        await fc.assert(fc.asyncProperty(arbFaasletCase(m), async (c) => { tally.add(await checkFaasletCase(dp(), `fuzz-${name}`, name, c)) }), { numRuns: FAASLET_CASES, seed: FUZZ_SEED + SHIPPED_FAASLETS.indexOf(name) })
        console.log(`${name}: ${tally.cases} cases: ${tally}`)
        expect(tally.cases).toBeGreaterThanOrEqual(FAASLET_CASES)
        expect(tally.get('ok')).toBeGreaterThan(0)
        expect(tally.cases - tally.get('ok')).toBeGreaterThan(0)
        expect(dp().tenant(`fuzz-${name}`).arena.bytesInUse).toBe(0)
      })
    }
  })
}
