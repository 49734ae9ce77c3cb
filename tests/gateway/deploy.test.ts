// Faaslets that users deploy: refused before they can run when they break the ABI, usable in chains at
// once when they follow it, and held to the same limits as shipped ones.
import { readFileSync } from 'node:fs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import wabtInit from 'wabt'
import { buildGateway, type Gateway } from '../../gateway/app.js'
import { withCustomSection } from '../../faaslets/abi/inspect.js'
import { MANIFEST_SECTION } from '../../faaslets/deploy.js'
import { Dataplane } from '../../dataplane/dataplane.js'
import { Catalog } from '../../faaslets/catalog.js'

const TOKEN = 'deploy-token'
let gw: Gateway
let dp: Dataplane
let wat2wasm: (text: string) => Uint8Array

const manifest = (name: string, slot: number, extra: object = {}) => ({
  name, version: '1.0.0', description: 'test module', slot,
  inputs: [{ name: 'points', kinds: ['points'] }], outputs: [{ name: 'points', kind: 'points' }],
  params: [{ name: 'factor', type: 'number', default: 1, doc: 'weight multiplier' }], ...extra,
})
const withManifest = (bytes: Uint8Array, m: object) => withCustomSection(bytes, MANIFEST_SECTION, new TextEncoder().encode(JSON.stringify(m)))
const echoBytes = new Uint8Array(readFileSync('faaslets/build/test/echo.wasm')) // built for slot 50
const loopBytes = new Uint8Array(readFileSync('faaslets/build/test/loop.wasm')) // built for slot 52

beforeAll(async () => {
  const wabt = await wabtInit()
  wat2wasm = (text) => new Uint8Array(wabt.parseWat('m.wat', text, { threads: true, bulk_memory: true }).toBinary({}).buffer)
  dp = await Dataplane.start({ workers: 2, limits: { timeLimitMs: 1_500 } })
  gw = await buildGateway({ dataplane: dp, token: TOKEN, chainsDir: null, faasletsDir: null })
})

afterAll(async () => {
  await gw?.close()
  await dp?.close()
})

const put = (name: string, body: Uint8Array | Buffer, auth = true) => gw.app.inject({
  method: 'PUT', url: `/faaslets/${name}`, payload: Buffer.from(body),
  headers: { 'content-type': 'application/wasm', ...(auth ? { authorization: `Bearer ${TOKEN}` } : {}) },
})

const IMPORTS = `
  (import "env" "memory" (memory 2 65536 shared))
  (import "graticule" "alloc" (func $alloc (param i32 i32) (result i32)))`
const ABI_OK = `${IMPORTS}
  (func (export "gr_abi_version") (result i32) i32.const 1)`

describe('deploying a faaslet', () => {
  it('refuses malicious or malformed modules with the reason, before anything runs', async () => {
    const base = 55 * 131072
    const cases: Array<[string, Uint8Array, number, RegExp]> = [
      ['exports-memory', wat2wasm(`(module (memory (export "memory") 1) (func (export "gr_abi_version") (result i32) i32.const 1) (func (export "gr_run") (param i32) (result i32) i32.const 0))`), 422, /exports a memory/],
      ['imports-wasi', wat2wasm(`(module ${IMPORTS} (import "wasi_snapshot_preview1" "fd_write" (func (param i32 i32 i32 i32) (result i32))) (func (export "gr_abi_version") (result i32) i32.const 1) (func (export "gr_run") (param i32) (result i32) i32.const 0))`), 422, /wasi_snapshot_preview1\.fd_write/],
      ['unshared-memory', wat2wasm(`(module (import "env" "memory" (memory 2 65536)) (func (export "gr_abi_version") (result i32) i32.const 1) (func (export "gr_run") (param i32) (result i32) i32.const 0))`), 422, /unshared/],
      ['no-maximum', wat2wasm(`(module (import "env" "memory" (memory 2)) (func (export "gr_abi_version") (result i32) i32.const 1) (func (export "gr_run") (param i32) (result i32) i32.const 0))`), 422, /without a maximum/],
      ['start-loops', wat2wasm(`(module ${ABI_OK} (func $spin (loop $l (br $l))) (start $spin) (func (export "gr_run") (param i32) (result i32) i32.const 0))`), 422, /start function/],
      ['no-entry', wat2wasm(`(module ${ABI_OK})`), 422, /gr_run/],
      ['bad-signature', wat2wasm(`(module ${ABI_OK} (func (export "gr_run") (param f64) (result f64) local.get 0))`), 422, /gr_run is function \(f64\) -> f64/],
      ['data-outside-slot', wat2wasm(`(module ${ABI_OK} (func (export "gr_run") (param i32) (result i32) i32.const 0) (data (i32.const 1024) "x"))`), 422, /outside its static slot/],
      ['too-large', withCustomSection(wat2wasm(`(module ${ABI_OK} (func (export "gr_run") (param i32) (result i32) i32.const 0))`), 'padding', new Uint8Array(5 * 1024 * 1024)), 422, /limit is/],
      ['huge-initial', wat2wasm(`(module (import "env" "memory" (memory 4000 65536 shared)) (func (export "gr_abi_version") (result i32) i32.const 1) (func (export "gr_run") (param i32) (result i32) i32.const 0))`), 422, /initial pages/],
      ['not-wasm', new TextEncoder().encode('#!/bin/sh\nrm -rf /\n'), 422, /not a valid WebAssembly module/],
    ]
    for (const [name, bytes, status, reason] of cases) {
      const r = await put(name, withManifest(bytes, manifest(name, 55)))
      expect(r.statusCode, `${name}: ${r.body}`).toBe(status)
      expect(r.json().code).toBe('E_MODULE_REFUSED')
      expect(r.json().message, name).toMatch(reason)
    }
    // the manifest itself
    const bare = wat2wasm(`(module ${ABI_OK} (func (export "gr_run") (param i32) (result i32) i32.const 0) (data (i32.const ${base}) "x"))`)
    const noManifest = await put('no-manifest', bare)
    expect(noManifest.statusCode).toBe(422)
    expect(noManifest.json().message).toMatch(/no manifest/)
    const badManifest = await put('bad-manifest', withManifest(bare, { name: 'bad-manifest', slot: 55 }))
    expect(badManifest.statusCode).toBe(400)
    expect(badManifest.json().code).toBe('E_BAD_MANIFEST')
    const taken = await put('slot-taken', withManifest(bare, manifest('slot-taken', 1)))
    expect(taken.statusCode).toBe(422)
    expect(taken.json().message).toMatch(/slot 1 is taken by faaslet "mvt-decode"/)
    const shipped = await put('heatmap', withManifest(bare, manifest('heatmap', 55)))
    expect(shipped.statusCode).toBe(409)
    expect(shipped.json().code).toBe('E_FAASLET_READONLY')
    expect((await put('unauth', withManifest(bare, manifest('unauth', 55)), false)).statusCode).toBe(401)
    // nothing was added
    const names = ((await gw.app.inject({ url: '/faaslets' })).json() as Array<{ name: string }>).map((f) => f.name)
    expect([...names].sort()).toEqual([...Catalog.load().names()].sort())
  })

  it('a deployed faaslet is usable in a chain over HTTP at once, in every mode, and can be removed', async () => {
    const deployed = await put('user-echo', withManifest(echoBytes, manifest('user-echo', 50)))
    expect(deployed.statusCode, deployed.body).toBe(201)
    const chain = 'name: user-chain\ninput: { kind: points }\nsteps:\n  - id: triple\n    uses: user-echo\n    with: { factor: 3 }\n  - id: clusters\n    uses: cluster\n    with: { zoom: 0 }\noutput: { step: clusters, as: geojson }\n'
    const put2 = await gw.app.inject({ method: 'PUT', url: '/chains/user-chain', payload: chain, headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/yaml' } })
    expect(put2.statusCode, put2.body).toBe(201)
    const csv = 'lon,lat,weight\n2.35,48.85,2\n2.36,48.86,1\n13.4,52.5,5\n'
    for (const mode of ['shared', 'copy', 'http']) {
      const r = await gw.app.inject({ method: 'POST', url: `/chains/user-chain/invoke?mode=${mode}`, payload: csv, headers: { 'content-type': 'text/csv' } })
      expect(r.statusCode, `${mode}: ${r.body}`).toBe(200)
      const total = (r.json().features as Array<{ properties: { weight: number } }>).reduce((n, f) => n + f.properties.weight, 0)
      expect(total).toBe(3 * (2 + 1 + 5))
    }
    const inUse = await gw.app.inject({ method: 'DELETE', url: '/faaslets/user-echo', headers: { authorization: `Bearer ${TOKEN}` } })
    expect(inUse.statusCode).toBe(409)
    expect(inUse.json().code).toBe('E_FAASLET_IN_USE')
    await gw.app.inject({ method: 'DELETE', url: '/chains/user-chain', headers: { authorization: `Bearer ${TOKEN}` } })
    expect((await gw.app.inject({ method: 'DELETE', url: '/faaslets/user-echo', headers: { authorization: `Bearer ${TOKEN}` } })).statusCode).toBe(204)
    expect((await gw.app.inject({ method: 'DELETE', url: '/faaslets/heatmap', headers: { authorization: `Bearer ${TOKEN}` } })).statusCode).toBe(409)
  })

  it('a deployed module that loops at run time is stopped at its limit; other invocations go on', async () => {
    const loopManifest = { ...manifest('user-loop', 52), params: [{ name: 'iterations', type: 'number', default: 0, min: 0, doc: '0 = forever' }] }
    expect((await put('user-loop', withManifest(loopBytes, loopManifest))).statusCode).toBe(201)
    const auth = { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/yaml' }
    await gw.app.inject({ method: 'PUT', url: '/chains/spin', payload: 'name: spin\ninput: { kind: points }\nsteps:\n  - { id: s, uses: user-loop }\noutput: { step: s, as: geojson }\n', headers: auth })
    const csv = 'lon,lat\n1,2\n'
    const started = Date.now()
    const bad = gw.app.inject({ method: 'POST', url: '/chains/spin/invoke', payload: csv, headers: { 'content-type': 'text/csv' } })
    const good = gw.app.inject({ method: 'POST', url: '/chains/points-clusters/invoke?zoom=1', payload: csv, headers: { 'content-type': 'text/csv' } })
    const [b, g] = await Promise.all([bad, good])
    expect(b.statusCode).toBe(504)
    expect(b.json().code).toBe('E_FAASLET_TIMEOUT')
    expect(Date.now() - started).toBeLessThan(10_000)
    expect(g.statusCode).toBe(200)
    const after = await gw.app.inject({ method: 'POST', url: '/chains/points-clusters/invoke?zoom=1', payload: csv, headers: { 'content-type': 'text/csv' } })
    expect(after.statusCode).toBe(200)
    expect(dp.tenant('default').arena.bytesInUse).toBe(0)
  })
})
