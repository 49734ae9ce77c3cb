// Isolation and limits: what one tenant's faaslet can and cannot touch, per-tenant quotas (memory, time,
// concurrent invocations), the gateway's request limits, paths that try to leave their folders, no eval of
// anything, mutations behind the token, and a server that listens on loopback unless told otherwise.
//
// What the ABI protects, and what it does not (the tests below show each):
//   - ACROSS tenants: everything. Each tenant is its own WebAssembly.Memory; a faaslet's pointers are
//     offsets into the memory it was instantiated on, so no address it can form names a byte of another
//     tenant. The same number is simply a different byte in each arena; past the end of its own arena an
//     access traps (E_FAASLET_TRAP) and the invocation fails alone.
//   - WITHIN a tenant: nothing between invocations. All of a tenant's faaslets share its arena — that is
//     what makes hand-offs free — so a malicious faaslet of a tenant can read and overwrite any region of
//     any other invocation of the same tenant (and the static data of the tenant's other modules). The
//     allocator's ownership table lives outside wasm memory, so it cannot corrupt the bookkeeping, and the
//     host re-checks every output region's header; but region *contents* are only as trustworthy as every
//     faaslet the tenant runs. A tenant that runs code it does not trust needs a second tenant.
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs'
import { networkInterfaces, tmpdir } from 'node:os'
import { join, relative } from 'node:path'
import { connect } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Dataplane, type InvokeResult } from '../../dataplane/dataplane.js'
import { startWithTestFaaslets } from '../../dataplane/testing.js'
import { linearPlan, type Plan } from '../../dataplane/plan.js'
import * as L from '../../faaslets/abi/layout.js'
import { pointArrays, readPoints, writePoints } from '../../faaslets/codecs/points.js'
import { ScratchMemory, type RegionMemory } from '../../faaslets/abi/region.js'
import type { InjectOptions } from 'fastify'
import { buildGateway, type Gateway } from '../../gateway/app.js'
import { ROOT } from '../../faaslets/catalog.js'
import { startGatewayProcess } from '../helpers/gateway-process.js'
import { invocationCode, TOKEN } from './helpers.js'

const N = 16
const pts = pointArrays(N)
for (let i = 0; i < N; i++) { pts.x[i] = i; pts.y[i] = -i; pts.weight[i] = 100 + i; pts.id[i] = i }
const write = (mem: RegionMemory) => [writePoints(mem, pts)]
const one = (faaslet: string, params: number[]): Plan => linearPlan(faaslet, [{ faaslet, params }])
const echo = (factor: number) => one('echo', [factor])
/** hostile reads the 8 bytes at `address` (returned as the weight of its one output point), writes 0x42… if asked */
const hostile = (address: number, write = false) => one('hostile', [address, write ? 1 : 0])
const BYTE_42 = 0x4242424242424242n

let dp: Dataplane

beforeAll(async () => {
  dp = await startWithTestFaaslets({ workers: 2, limits: { timeLimitMs: 5_000, quotaBytes: 64 << 20 } })
})

afterAll(async () => {
  await dp?.close()
})

/** What hostile read at `address` in `tenant`'s arena. */
async function peek(tenant: string, address: number, poke = false): Promise<bigint> {
  const res = await dp.invoke(tenant, hostile(address, poke), write)
  const bits = new DataView(new Float64Array([readPoints(res.bytes(), res.outputs[0]).weight[0]]).buffer).getBigUint64(0, true)
  res.release()
  return bits
}

const regionBytes = (res: InvokeResult) => res.bytes().slice(res.outputs[0].ptr, res.outputs[0].ptr + res.outputs[0].len)

describe('memory: across tenants everything is protected, within a tenant regions are not', () => {
  it('within a tenant: a hostile faaslet reads and overwrites another invocation\'s region (not protected, by design)', async () => {
    const victim = await dp.invoke('shared-tenant', echo(2), write) // held, not released: its region stays live
    const weightAt = victim.outputs[0].ptr + L.HEADER_SIZE + L.POINT_WEIGHT // the first point's weight
    expect(readPoints(victim.bytes(), victim.outputs[0]).weight[0]).toBe(200)
    // reading: the other invocation's data is visible
    expect(await peek('shared-tenant', weightAt)).toBe(new DataView(new Float64Array([200]).buffer).getBigUint64(0, true))
    // writing: the other invocation's result changes under it
    await peek('shared-tenant', weightAt, true)
    expect(new DataView(victim.bytes().buffer).getBigUint64(weightAt, true)).toBe(BYTE_42)
    expect(readPoints(victim.bytes(), victim.outputs[0]).weight[0]).not.toBe(200)
    victim.release()
    expect(dp.tenant('shared-tenant').arena.bytesInUse).toBe(0)
  })

  it('across tenants: the same address names a different byte; a faaslet of A cannot change B\'s result', async () => {
    const b = await dp.invoke('tenant-b', echo(3), write) // B's result, held
    const before = regionBytes(b)
    const { ptr, len } = b.outputs[0]
    // A's hostile faaslet overwrites every 8-byte word at B's result's addresses — in A's own arena
    for (let at = ptr; at < ptr + len; at += 8) await peek('tenant-a', at, true)
    expect(Buffer.from(regionBytes(b)).equals(Buffer.from(before))).toBe(true)
    expect(readPoints(b.bytes(), b.outputs[0]).weight).toEqual(Float64Array.from(pts.weight, (w) => w * 3))
    // what A reads there is its own arena: the 0x42 it wrote, not B's data
    expect(await peek('tenant-a', ptr + L.HEADER_SIZE + L.POINT_WEIGHT)).toBe(BYTE_42)
    expect(new DataView(dp.tenant('tenant-a').arena.memory.buffer).getBigUint64(ptr + L.HEADER_SIZE, true)).toBe(BYTE_42)
    b.release()
    // and B's next results are right
    const again = await dp.invoke('tenant-b', echo(5), write)
    expect(readPoints(again.bytes(), again.outputs[0]).weight[3]).toBe(pts.weight[3] * 5)
    again.release()
  })

  it('across tenants: static data of a module is per tenant too (A overwrites echo\'s slot in its arena; B\'s stays intact)', async () => {
    const slot = (JSON.parse(readFileSync(join(ROOT, 'tests/faaslets/echo.json'), 'utf8')) as { slot: number }).slot
    const base = slot * L.STATIC_SLOT_BYTES
    await invocationCode(dp.invoke('tenant-b', echo(1), write)) // echo instantiated on B: its data segments are in B's slot
    const bSlot = new Uint8Array(dp.tenant('tenant-b').arena.memory.buffer).slice(base, base + 4096)
    for (let at = base; at < base + 4096; at += 8) await peek('tenant-a', at, true)
    expect(Buffer.from(new Uint8Array(dp.tenant('tenant-b').arena.memory.buffer).slice(base, base + 4096)).equals(Buffer.from(bSlot))).toBe(true)
    const res = await dp.invoke('tenant-b', echo(7), write)
    expect(readPoints(res.bytes(), res.outputs[0]).weight[1]).toBe(pts.weight[1] * 7)
    res.release()
  })

  it('past the end of its own arena an access traps, and only that invocation fails', async () => {
    const end = dp.tenant('tenant-a').arena.memory.buffer.byteLength
    for (const address of [end, end + 8, 2 ** 32 - 8]) expect(await invocationCode(dp.invoke('tenant-a', hostile(address), write))).toBe('E_FAASLET_TRAP')
    expect(await invocationCode(dp.invoke('tenant-a', echo(2), write))).toBe('ok')
    for (const t of ['tenant-a', 'tenant-b']) expect(dp.tenant(t).arena.bytesInUse).toBe(0)
  })
})

describe('per-tenant quotas', () => {
  it('memory: a tenant\'s quota covers all its invocations together, and only that tenant is refused', async () => {
    dp.tenant('small', { quotaBytes: 16 << 20 })
    dp.tenant('neighbour', { quotaBytes: 16 << 20 })
    const held = await dp.invoke('small', one('hog', [10]), write) // 10 MiB, held
    expect(await invocationCode(dp.invoke('small', one('hog', [10]), write))).toBe('E_QUOTA_EXCEEDED') // 20 > 16
    expect(await invocationCode(dp.invoke('neighbour', one('hog', [10]), write))).toBe('ok') // its own 16 MiB
    expect(await invocationCode(dp.invoke('small', one('hog', [0]), write))).toBe('E_QUOTA_EXCEEDED') // no end
    held.release()
    expect(await invocationCode(dp.invoke('small', one('hog', [10]), write))).toBe('ok') // room again
    expect(dp.tenant('small').arena.bytesInUse).toBe(0)
    // the engine enforces it too: the arena memory cannot grow past the quota
    expect(dp.tenant('small').arena.memory.buffer.byteLength).toBeLessThanOrEqual(L.HEAP_BASE + (16 << 20))
  })

  it('time: each tenant\'s own limit stops its invocation; another tenant\'s longer limit is not cut short', async () => {
    dp.tenant('hasty', { timeLimitMs: 300 })
    dp.tenant('steady', { timeLimitMs: 1_500 })
    const t0 = performance.now()
    const hasty = invocationCode(dp.invoke('hasty', one('loop', [0]), write)).then((c) => [c, performance.now() - t0] as const)
    const steady = invocationCode(dp.invoke('steady', one('loop', [0]), write)).then((c) => [c, performance.now() - t0] as const)
    const [[hc, hms], [sc, sms]] = await Promise.all([hasty, steady])
    expect([hc, sc]).toEqual(['E_FAASLET_TIMEOUT', 'E_FAASLET_TIMEOUT'])
    expect(hms).toBeLessThan(1_200)
    expect(sms).toBeGreaterThanOrEqual(1_450)
    // both workers were terminated and replaced; the next invocation may land on a replacement still
    // booting (up to ~1 s from source), which is why it runs as a tenant with room to wait: with hasty's
    // 300 ms it could time out in the queue — the limit counts from submission
    const t1 = performance.now()
    expect(await invocationCode(dp.invoke('steady', echo(2), write))).toBe('ok')
    console.log(`first invocation after both workers were replaced: ${(performance.now() - t1).toFixed(0)} ms`)
  })

  it('concurrency: past maxConcurrent a tenant is refused at once with E_TOO_MANY_INVOCATIONS; others are not', async () => {
    dp.tenant('narrow', { maxConcurrent: 2, timeLimitMs: 1_000 })
    const blocked = [dp.invoke('narrow', one('forge', [10, 0, 0]), write), dp.invoke('narrow', one('forge', [10, 0, 0]), write)]
    const t0 = performance.now()
    expect(await invocationCode(dp.invoke('narrow', echo(2), write))).toBe('E_TOO_MANY_INVOCATIONS')
    expect(performance.now() - t0).toBeLessThan(100) // refused, not queued
    // another tenant is accepted: it waits for a worker (both are blocked until the time limit kills them
    // and their replacements boot — seconds, from source — so it gets a patient limit)
    dp.tenant('wide', { timeLimitMs: 30_000 })
    const other = dp.invoke('wide', echo(2), write)
    for (const b of blocked) expect(await invocationCode(b)).toBe('E_FAASLET_TIMEOUT')
    expect(await invocationCode(other)).toBe('ok')
    // both workers were replaced; once the replacements are up (~1 s from source: the time limit counts
    // from submission, so a 1 s tenant could time out waiting for one), the tenant is admitted again
    await Promise.all([invocationCode(dp.invoke('wide', echo(2), write)), invocationCode(dp.invoke('wide', echo(2), write))])
    expect(await invocationCode(dp.invoke('narrow', echo(2), write))).toBe('ok')
    expect(dp.tenant('narrow').running).toBe(0)
  })
})

describe('gateway limits, paths and tokens', () => {
  let gw: Gateway
  let chainsDir: string
  let parent: string

  beforeAll(async () => {
    parent = mkdtempSync(join(tmpdir(), 'graticule-isolation-'))
    chainsDir = join(parent, 'chains')
    gw = await buildGateway({
      dataplane: dp, token: TOKEN, access: { anonymous: ['invoke', 'ingest'] }, chainsDir,
      limits: { bodyLimit: 64 * 1024, maxPointsPerRequest: 100 },
      ingestion: { windows: { sizeMs: 60_000, allowedLatenessMs: 0, maxPoints: 50 }, idleFlushMs: 200, simulator: null },
    })
  })

  afterAll(async () => {
    await gw?.close()
    rmSync(parent, { recursive: true, force: true })
  })

  const inject = (opts: InjectOptions) => gw.app.inject(opts)
  const auth = { authorization: `Bearer ${TOKEN}` }
  const yaml = { 'content-type': 'application/yaml' }
  const chainText = (name: string) => `name: ${name}\ninput: { kind: points }\nsteps:\n  - id: m\n    uses: reproject\n    with: { to: "EPSG:3857" }\noutput: { step: m, as: geojson }\n`

  it('body limit: 413 E_BODY_TOO_LARGE on every route that takes a body', async () => {
    const big = Buffer.alloc(100 * 1024, 0x61)
    for (const [method, url, type] of [['POST', '/chains/points-heatmap/invoke?z=0&x=0&y=0', 'text/csv'], ['PUT', '/chains/big', 'application/yaml'], ['POST', '/ingest', 'application/json']] as const) {
      const r = await inject({ method, url, payload: big, headers: { 'content-type': type, ...auth } })
      expect([r.statusCode, r.json().code], url).toEqual([413, 'E_BODY_TOO_LARGE'])
    }
  })

  it('points per request: 413 E_TOO_MANY_POINTS for CSV, GeoJSON, a region and POST /ingest', async () => {
    const csv = 'lon,lat\n' + '1,1\n'.repeat(101)
    const geojson = JSON.stringify({ type: 'FeatureCollection', features: Array.from({ length: 101 }, () => ({ type: 'Feature', geometry: { type: 'Point', coordinates: [1, 1] }, properties: {} })) })
    const mem = new ScratchMemory()
    const d = writePoints(mem, pointArrays(101))
    const region = mem.bytes().slice(d.ptr, d.ptr + d.len)
    for (const [type, body] of [['text/csv', csv], ['application/geo+json', geojson], ['application/vnd.graticule.region', Buffer.from(region)]] as const) {
      const r = await inject({ method: 'POST', url: '/chains/points-clusters/invoke?zoom=1', payload: body, headers: { 'content-type': type } })
      expect([r.statusCode, r.json().code], type).toEqual([413, 'E_TOO_MANY_POINTS'])
    }
    const now = Date.now()
    const points = Array.from({ length: 101 }, (_, i) => ({ sensor: 's', ts: now + i, lon: 1, lat: 1, value: 1 }))
    const r = await inject({ method: 'POST', url: '/ingest', payload: points, headers: { 'content-type': 'application/json' } })
    expect([r.statusCode, r.json().code]).toEqual([413, 'E_TOO_MANY_POINTS'])
    expect(dp.tenant('default').arena.bytesInUse).toBe(0)
  })

  it('window size: a window keeps at most maxPoints distinct points; the rest are counted as overflow', async () => {
    const start = Math.floor(Date.now() / 60_000) * 60_000
    const batch = (from: number) => Array.from({ length: 40 }, (_, i) => ({ sensor: `w${from + i}`, ts: start + 1_000, lon: 1, lat: 1, value: 1 }))
    const a = (await inject({ method: 'POST', url: '/ingest', payload: batch(0), headers: { 'content-type': 'application/json' } })).json()
    const b = (await inject({ method: 'POST', url: '/ingest', payload: batch(40), headers: { 'content-type': 'application/json' } })).json()
    expect([a.accepted + b.accepted, a.overflow + b.overflow]).toEqual([50, 30])
    const metrics = (await inject({ url: '/metrics' })).body
    expect(metrics).toMatch(/graticule_sensor_points_total\{source="http",outcome="overflow"\} 30/)
  })

  it('chain names cannot leave the chains folder: traversal, encodings, slashes, long and odd names are all refused', async () => {
    const names = [
      '..', '../x', '..%2Fx', '..%2F..%2Fescaped', '%2e%2e', '%2e%2e%2Fx', '%2E%2E%2fescaped', 'a%2Fb', 'a/b', 'a%5Cb', '..%5Cx',
      '.hidden', 'x.yaml', 'UPPER', '%C3%A9t%C3%A9', '-dash', 'a_b', 'a%00b', 'a'.repeat(64), 'a'.repeat(100), 'a'.repeat(101), 'a'.repeat(5_000),
    ]
    for (const name of names) {
      const r = await inject({ method: 'PUT', url: `/chains/${name}`, payload: chainText('escaped'), headers: { ...yaml, ...auth } })
      expect(r.statusCode, name).toBeGreaterThanOrEqual(400)
      expect(r.statusCode, name).toBeLessThan(500)
    }
    // nothing was written anywhere: no chains folder at all (it is made on the first valid PUT), nothing beside it
    expect(existsSync(chainsDir)).toBe(false)
    expect(readdirSync(parent)).toEqual([])
    expect(existsSync(join(ROOT, 'escaped.yaml')) || existsSync(join(ROOT, 'chains', 'escaped.yaml'))).toBe(false)
    // a valid name lands inside it, as <name>.yaml, and nowhere else
    expect((await inject({ method: 'PUT', url: '/chains/fine-1', payload: chainText('fine-1'), headers: { ...yaml, ...auth } })).statusCode).toBe(201)
    expect(readdirSync(chainsDir)).toEqual(['fine-1.yaml'])
    expect(readdirSync(parent)).toEqual(['chains'])
  })

  it('static routes cannot leave their folders (/web/, /wasm/)', async () => {
    const pkg = readFileSync(join(ROOT, 'package.json'), 'utf8')
    const urls = [
      '/web/../package.json', '/web/..%2Fpackage.json', '/web/..%2F..%2Fpackage.json', '/web/%2e%2e/%2e%2e/package.json', '/web/%2e%2e%2f%2e%2e%2fpackage.json',
      '/web/....//....//package.json', '/web/..%5C..%5Cpackage.json', '/web/%00', '/web/a%00.js',
      '/wasm/..%2F..%2Fpackage.json', '/wasm/%2e%2e%2f%2e%2e%2fpackage.json', '/wasm/..%2Fmanifests%2Fcluster.json', '/wasm/..%2F..%2F..%2Fetc%2Fpasswd',
      '/wasm/%2e%2e', '/wasm/test', '/wasm/..%2F..%2Fpackage.json%00.wasm', '/wasm/..%2F..%2Fnode_modules%2Fassemblyscript%2Fstd%2Fassembly.json.wasm',
    ]
    for (const url of urls) {
      const r = await inject({ url })
      expect(r.body.includes('"name": "graticule"'), url).toBe(false)
      expect(r.body === pkg, url).toBe(false)
      if (r.statusCode !== 200) {
        expect(r.statusCode, url).toBeGreaterThanOrEqual(400)
        expect(r.statusCode, url).toBeLessThan(500)
      } else {
        expect(r.headers['content-type'], url).toMatch(/text\/html/) // only the router's own normalisation: / (the home page)
      }
    }
    expect((await inject({ url: '/wasm/cluster.wasm' })).statusCode).toBe(200) // the folder itself works
  })

  it('mutations need the token; reads and invocations do not', async () => {
    for (const headers of [{}, { authorization: 'Bearer' }, { authorization: `Bearer ${TOKEN}x` }, { authorization: `Bearer ${TOKEN} ${TOKEN}` }, { authorization: `Bearer ${TOKEN.slice(0, -1)}` }, { authorization: `Basic ${Buffer.from(`x:${TOKEN}`).toString('base64')}` }]) {
      const put = await inject({ method: 'PUT', url: '/chains/nope', payload: chainText('nope'), headers: { ...yaml, ...headers } })
      const del = await inject({ method: 'DELETE', url: '/chains/fine-1', headers })
      const dep = await inject({ method: 'PUT', url: '/faaslets/evil', payload: Buffer.from([0, 0x61, 0x73, 0x6d]), headers: { 'content-type': 'application/wasm', ...headers } })
      for (const r of [put, del, dep]) expect([r.statusCode, r.json().code], JSON.stringify(headers)).toEqual([401, 'E_UNAUTHORIZED'])
    }
    expect((await inject({ url: '/chains/fine-1' })).statusCode).toBe(200) // still there
    expect((await inject({ url: '/chains' })).statusCode).toBe(200)
    expect((await inject({ method: 'POST', url: '/chains/points-clusters/invoke?zoom=1', payload: 'lon,lat\n1,1\n', headers: { 'content-type': 'text/csv' } })).statusCode).toBe(200)
    // the scheme is case-insensitive (RFC 9110 §11.1), the token is not
    expect((await inject({ method: 'DELETE', url: '/chains/fine-1', headers: { authorization: `bearer ${TOKEN}` } })).statusCode).toBe(204)
  })
})

describe('the source', () => {
  it('evaluates no strings as code: no eval( or new Function( outside node_modules', () => {
    const skip = new Set(['node_modules', 'dist', '.git', '.kafka', 'build', 'tmp', 'coverage'])
    const hits: string[] = []
    const evalWorkers: string[] = []
    const walk = (dir: string) => {
      for (const name of readdirSync(dir)) {
        if (skip.has(name)) continue
        const p = join(dir, name)
        const st = statSync(p)
        if (st.isDirectory()) walk(p)
        else if (/\.(ts|js|mjs|cjs)$/.test(name) && !p.startsWith(join(ROOT, 'tests', 'reliability'))) {
          const text = readFileSync(p, 'utf8')
          if (/\beval\s*\(|new\s+Function\s*\(|\bFunction\s*\(\s*['"`]/.test(text)) hits.push(relative(ROOT, p))
          if (/eval:\s*true/.test(text) && !/^(experiments|tests)\//.test(relative(ROOT, p))) evalWorkers.push(relative(ROOT, p))
        }
      }
    }
    walk(ROOT)
    expect(hits).toEqual([])
    // in the code that serves requests one Worker is started with `eval: true`: its script is a fixed import
    // of a file of ours (tsx from source), built from file URLs — never from anything a request carries
    // (benchmarks under experiments/ do the same for their own workers; they never see a request)
    expect(evalWorkers).toEqual(['dataplane/worker-entry.ts'])
  })
})

describe('the server listens on loopback unless told otherwise', () => {
  it('`graticule serve` without --host binds 127.0.0.1 only', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'graticule-bind-'))
    const gw = await startGatewayProcess(['--no-simulator', '--workers', '1', '--chains-dir', dir])
    try {
      const port = Number(new URL(gw.url).port)
      // the kernel's socket table: every listener on our port, with its local address
      const listeners: string[] = []
      for (const [file, v6] of [['/proc/net/tcp', false], ['/proc/net/tcp6', true]] as const) {
        if (!existsSync(file)) continue
        for (const line of readFileSync(file, 'utf8').split('\n').slice(1)) {
          const f = line.trim().split(/\s+/)
          if (f.length < 4 || f[3] !== '0A') continue // 0A = LISTEN
          const [addr, hexPort] = f[1].split(':')
          if (parseInt(hexPort, 16) !== port) continue
          listeners.push(v6 ? `[${addr}]` : addr.match(/../g)!.reverse().map((h) => parseInt(h, 16)).join('.'))
        }
      }
      expect(listeners).toEqual(['127.0.0.1'])
      // and a connection to any other address of this machine is refused
      const others = Object.values(networkInterfaces()).flat().filter((i) => i && !i.internal && i.family === 'IPv4').map((i) => i!.address)
      for (const host of others) {
        const refused = await new Promise<boolean>((resolve) => {
          const s = connect({ host, port }, () => { s.destroy(); resolve(false) })
          s.on('error', () => resolve(true))
          s.setTimeout(2_000, () => { s.destroy(); resolve(true) })
        })
        expect(refused, host).toBe(true)
      }
      expect((await fetch(`${gw.url}/healthz`)).status).toBe(200)
    } finally {
      await gw.kill()
      rmSync(dir, { recursive: true, force: true })
    }
  })

})
