// Property-based fuzzing of the HTTP routes with fastify's inject against a real gateway (workers, token,
// chains folder, sensor ingestion with a published window): names (traversal, encodings, lengths) × YAML
// bodies × tokens for PUT/DELETE/GET /chains/:name; JSON, msgpack and junk for POST /ingest; path segments
// and query strings for /live/* and the static routes (POST /chains/:name/invoke: fuzz-invoke.test.ts). Every response must be 2xx, or a 4xx JSON error whose
// code is in the registry with that status — a 5xx fails the case. Afterwards no arena bytes are in use,
// nothing was written outside the chains folder, and the gateway still answers.
import { readdirSync, rmSync } from 'node:fs'
import { dirname } from 'node:path'
import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Gateway } from '../../gateway/app.js'
import { arbIngestCase, arbLiveCase, arbPutCase, checkHttpCase, startFuzzGateway, strayChainFiles, Tally } from './helpers.js'

const CASES = Number(process.env.GRATICULE_FUZZ_CASES || 5_000)
const SEED = Number(process.env.GRATICULE_FUZZ_SEED || 20_240_614)

let gw: Gateway
let chainsDir: string
let siblingsBefore: string[]

beforeAll(async () => {
  ;({ gw, chainsDir } = await startFuzzGateway())
  siblingsBefore = readdirSync(dirname(chainsDir))
})

afterAll(async () => {
  await gw?.close()
  if (chainsDir) rmSync(chainsDir, { recursive: true, force: true })
})

function arenasInUse(): number {
  return [...gw.ctx.dataplane.tenants.values()].reduce((n, t) => n + t.arena.bytesInUse, 0)
}

describe('fuzz: HTTP routes', () => {
  it(`PUT, DELETE and GET /chains/:name: ${CASES} requests; nothing is written outside the chains folder`, async () => {
    const tally = new Tally()
    await fc.assert(fc.asyncProperty(arbPutCase(), async (c) => { tally.add(await checkHttpCase(gw, c)) }), { numRuns: CASES, seed: SEED })
    console.log(`chains: ${tally.cases} cases: ${tally}`)
    expect(tally.get('201') + tally.get('200')).toBeGreaterThan(0)
    expect(tally.get('401 E_UNAUTHORIZED')).toBeGreaterThan(0)
    expect(strayChainFiles(chainsDir)).toEqual([])
    expect(readdirSync(dirname(chainsDir)).filter((f) => !siblingsBefore.includes(f) && !f.startsWith('graticule-'))).toEqual([])
  })

  it(`POST /ingest: ${CASES} requests`, async () => {
    const tally = new Tally()
    await fc.assert(fc.asyncProperty(arbIngestCase(), async (c) => { tally.add(await checkHttpCase(gw, c)) }), { numRuns: CASES, seed: SEED })
    console.log(`ingest: ${tally.cases} cases: ${tally}`)
    expect(tally.get('200')).toBeGreaterThan(CASES * 0.1)
  })

  it(`GET /live/* and the static routes: ${CASES} requests`, async () => {
    const tally = new Tally()
    await fc.assert(fc.asyncProperty(arbLiveCase(), async (c) => { tally.add(await checkHttpCase(gw, c)) }), { numRuns: CASES, seed: SEED })
    console.log(`live: ${tally.cases} cases: ${tally}`)
    expect(tally.get('200')).toBeGreaterThan(CASES * 0.1)
    // the ingest test's windows are computed in the background, on ticks: wait for the one under way (its
    // invocation holds arena bytes while it runs), then nothing may be left in use
    await gw.ctx.ingestion!.enqueue(async () => undefined)
    expect(arenasInUse()).toBe(0)
  })

  it('the gateway still answers', async () => {
    expect((await gw.app.inject({ url: '/healthz' })).json()).toEqual({ status: 'ok' })
    expect((await gw.app.inject({ url: '/readyz' })).statusCode).toBe(200)
  })
})
