// A short soak in the suite (npm run soak is the long one): 15 s of chain invocations over real HTTP
// (autocannon, fixed rate) while the built-in simulator streams sensor points into 2 s windows. No request
// may fail, arena use must stay flat (its floor — the minimum of each 5 s bucket — must not climb) and must
// be exactly zero once the load is drained; the sensor windows keep being published throughout.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildGateway, type Gateway } from '../../gateway/app.js'
import { cannon, floorSlope, soakCsv, SoakMonitor } from './helpers.js'

const SECONDS = Number(process.env.GRATICULE_SOAK_SECONDS || 15)
let gw: Gateway
let url: string

beforeAll(async () => {
  gw = await buildGateway({
    workers: 2, chainsDir: null,
    ingestion: { windows: { sizeMs: 2_000, allowedLatenessMs: 500 }, simulator: { sensors: 2_000, rate: 10_000, seed: 5 } },
  })
  await gw.app.listen({ host: '127.0.0.1', port: 0 })
  url = `http://127.0.0.1:${(gw.app.server.address() as { port: number }).port}`
})

afterAll(async () => {
  await gw?.close()
})

describe('soak', () => {
  it(`${SECONDS} s of invocations and a sensor stream: no error, flat arena, nothing held after the drain`, async () => {
    const monitor = new SoakMonitor(gw, () => load.counts)
    const load = cannon(url, { connections: 2, seconds: SECONDS, rate: 6, body: soakCsv(500) })
    const timer = setInterval(() => monitor.sample(), 1_000)
    const result = await load.done
    clearInterval(timer)
    monitor.sample()
    await gw.ctx.ingestion!.stop() // drain: open windows are processed and published
    // requests autocannon abandoned at its deadline still finish on the server: give them a moment
    for (let i = 0; i < 50 && monitor.arenaBytes() !== 0; i++) await new Promise((r) => setTimeout(r, 100))
    const after = monitor.arenaBytes()
    monitor.stop()
    const s = monitor.samples
    const arenaSlope = floorSlope(s, 'arenaBytes', SECONDS / 2)
    console.log(`soak (${SECONDS} s): ${result.requests.total} requests, p99 ${result.latency.p99} ms; RSS ${s[0].rssMiB.toFixed(0)} → ${s[s.length - 1].rssMiB.toFixed(0)} MiB; arena high-water ${(monitor.highWaterBytes() / 2 ** 20).toFixed(1)} MiB, floor slope ${(arenaSlope / 1024).toFixed(1)} KiB/s; ${s[s.length - 1].windows} windows; worst loop p99 ${Math.max(...s.map((x) => x.loopP99)).toFixed(0)} ms`)
    expect(result.requests.total).toBeGreaterThan(SECONDS * 3) // the load really ran
    expect({ errors: load.counts.errors, non2xx: result.non2xx, socket: result.errors }).toEqual({ errors: 0, non2xx: 0, socket: 0 })
    expect(arenaSlope).toBeLessThan(64 * 1024) // < one chunk a second of floor growth
    expect(after).toBe(0)
    expect(s[s.length - 1].windows).toBeGreaterThanOrEqual(Math.floor(SECONDS / 2) - 2) // windows kept closing
    const metrics = (await gw.app.inject({ url: '/metrics' })).body
    expect(metrics).not.toMatch(/graticule_errors_total\{/)
  }, 120_000)
})
