// Property-based fuzzing of POST /chains/:name/invoke with fastify's inject against a real gateway: for
// every chain, requests that are mostly right (its parameters in range, a body of its input kind with the
// content type that says so) and then spoiled — a parameter dropped or junk, unknown or repeated keys,
// another executor mode or tenant, a body or content type of the wrong kind (mutated tiles, random bytes,
// CSV, GeoJSON, NDJSON, regions, PNG), a chain that does not exist. Every response must be 2xx or a 4xx JSON
// error whose code is in the registry with that status; a 5xx fails the case. No arena bytes stay in use.
import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { rmSync } from 'node:fs'
import type { Gateway } from '../../gateway/app.js'
import { arbInvokeCase, chainShapes, checkHttpCase, startFuzzGateway, Tally } from './helpers.js'

// ~10 ms a case on this 2-core machine (a successful chain renders a PNG: 20–70 ms; a refusal: ~2 ms)
const CASES = Number(process.env.GRATICULE_FUZZ_CASES || 5_000)
const SEED = Number(process.env.GRATICULE_FUZZ_SEED || 20_240_615)

let gw: Gateway
let chainsDir: string

beforeAll(async () => {
  ;({ gw, chainsDir } = await startFuzzGateway())
})

afterAll(async () => {
  await gw?.close()
  if (chainsDir) rmSync(chainsDir, { recursive: true, force: true })
})

describe('fuzz: POST /chains/:name/invoke', () => {
  it(`POST /chains/:name/invoke: ${CASES} requests, 2xx or a registry 4xx`, async () => {
    const tally = new Tally()
    await fc.assert(fc.asyncProperty(arbInvokeCase(chainShapes(gw)), async (c) => { tally.add(await checkHttpCase(gw, c)) }), { numRuns: CASES, seed: SEED })
    console.log(`invoke: ${tally.cases} cases: ${tally}`)
    expect(tally.get('200')).toBeGreaterThan(CASES * 0.02)
  })


  it('the gateway still answers and every arena is empty', async () => {
    expect((await gw.app.inject({ url: '/healthz' })).json()).toEqual({ status: 'ok' })
    for (const t of gw.ctx.dataplane.tenants.values()) expect(t.arena.bytesInUse, t.name).toBe(0)
  })
})
