// The second half of the faaslets of fuzz-regions.test.ts (same generators and rules, see there): each gets
// random, edited and relabelled regions and in-range parameters through the dataplane and must answer with
// a result whose regions read back or a clear input code — no trap, timeout, dead worker or leaked chunk.
import { afterAll, beforeAll } from 'vitest'
import { Dataplane } from '../../dataplane/dataplane.js'
import { faasletFuzzSuite } from './support/faaslet-fuzz-suite.js'

let dp: Dataplane

beforeAll(async () => {
  dp = await Dataplane.start({ workers: 2, limits: { timeLimitMs: 5_000, quotaBytes: 512 << 20 } })
})

afterAll(async () => {
  await dp?.close()
})

faasletFuzzSuite(1, () => dp)
