// Faaslets that users deploy: refused before they can run when they break the ABI (or, built with clang, the
// C build's stack rule), usable in chains at once when they follow it, and held to the same limits as shipped
// ones. The checks run in a worker under a time limit, so the gateway keeps answering meanwhile.
import { spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import wabtInit from 'wabt'
import { buildGateway, type Gateway } from '../../gateway/app.js'
import { withCustomSection } from '../../faaslets/abi/inspect.js'
import type { Manifest } from '../../faaslets/abi/manifest.js'
import { C_DIR, CFLAGS, compileSources, findClang, linkFlags, markMemoryShared } from '../../faaslets/c/build.js'
import { checkDeployment, DeployedStore, MANIFEST_SECTION } from '../../faaslets/deploy.js'
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
  gw = await buildGateway({ dataplane: dp, token: TOKEN, access: { anonymous: ['invoke', 'ingest'] }, chainsDir: null, faasletsDir: null })
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

describe('a C module is held to the stack rule the C build enforces', () => {
  const tool = findClang()
  const dir = mkdtempSync(join(tmpdir(), 'graticule-deploy-c-'))
  afterAll(() => rmSync(dir, { recursive: true, force: true }))
  // a frame the optimiser cannot keep in locals: an array whose address escapes lives on the linear-memory stack
  const body = `#include "graticule.h"
    __attribute__((noinline)) static void fill(volatile uint32_t *a, uint32_t n) { for (uint32_t i = 0; i < n; i++) a[i] = i; }
    static int32_t run(uint8_t *ctx) {
      volatile uint32_t frame[32];
      fill(frame, 32);
      return frame[31] == 31 && ctx ? GR_STATUS_OK : GR_STATUS_INTERNAL; /* no static data: only the stack can be misplaced */
    }\n`
  const switched = `${body}GR_FAASLET(run)\n`
  const unswitched = `${body}
    __attribute__((export_name("gr_abi_version"))) int32_t gr_abi_version(void) { return GR_ABI_VERSION; }
    __attribute__((export_name("gr_run"))) int32_t gr_run(uint32_t ctx) { return run((uint8_t *)(uintptr_t)ctx); }\n`
  /** clang and wasm-ld the way faaslets/c/build.ts does, with `ldFlags` added to its link flags */
  const build = (m: Manifest, source: string, ldFlags: string[] = []): Uint8Array => {
    const file = join(dir, `${m.name}.c`)
    writeFileSync(file, source)
    if (ldFlags.length === 0) return compileSources([file], m, tool)
    const obj = join(dir, `${m.name}.o`), out = join(dir, `${m.name}.wasm`)
    const cc = spawnSync(tool!.clang, [...CFLAGS, '-c', '-o', obj, file], { cwd: C_DIR, encoding: 'utf8' })
    expect(cc.status, cc.stderr).toBe(0)
    const ld = spawnSync(tool!.wasmLd, [...linkFlags(m), ...ldFlags, '-o', out, obj], { encoding: 'utf8' })
    expect(ld.status, ld.stderr).toBe(0)
    return withManifest(markMemoryShared(new Uint8Array(readFileSync(out))), m)
  }

  it('built the shipped way it is accepted; with its stack outside its slot or shared by every invocation, refused with how to fix it', async () => {
    if (!tool) throw new Error('clang and wasm-ld are needed for this test: apt-get install clang lld')
    const m = (name: string) => manifest(name, 56) as Manifest
    const ok = await put('c-stack-ok', build(m('c-stack-ok'), switched))
    expect(ok.statusCode, ok.body).toBe(201)
    expect((await gw.app.inject({ method: 'DELETE', url: '/faaslets/c-stack-ok', headers: { authorization: `Bearer ${TOKEN}` } })).statusCode).toBe(204)

    const cases: Array<[string, Uint8Array, RegExp]> = [
      // another layout: wasm-ld's --stack-first puts the stack at address 0, below every slot
      ['c-stack-first', build(m('c-stack-first'), switched, ['--stack-first']), /__stack_pointer starts at 1024, outside the static slot \[7340032, 7471104\)/],
      // a bigger stack: it runs past the slot into the next faaslet's
      ['c-stack-big', build(m('c-stack-big'), switched, ['-z', 'stack-size=262144', `--initial-memory=${59 * 131072}`]), /env.memory starts with 118 pages, past the end of slot 56; __stack_pointer starts at 7602176, outside/],
      // the stack in the slot, shared by every instance of the module: invocations would write each other's frames
      ['c-stack-shared', build(m('c-stack-shared'), unswitched), /gr_run .*__stack_pointer/],
    ]
    for (const [name, bytes, reason] of cases) {
      const r = await put(name, bytes)
      expect(r.statusCode, `${name}: ${r.body}`).toBe(422)
      expect(r.json().code).toBe('E_MODULE_REFUSED')
      expect(r.json().message, name).toMatch(reason)
      expect(r.json().message, name).toMatch(/GR_FAASLET\(run\).*wasm-ld --no-entry --import-memory --initial-memory=7471104 .*--global-base=7340032 -z stack-size=1024/)
    }
    const names = ((await gw.app.inject({ url: '/faaslets' })).json() as Array<{ name: string }>).map((f) => f.name)
    expect(names.filter((n) => n.startsWith('c-stack'))).toEqual([])
  })
})

/** Signed and unsigned LEB128, names, sections: enough of the binary format to write a large module quickly. */
const uleb = (n: number): number[] => { const o: number[] = []; do { o.push((n & 0x7f) | (n > 0x7f ? 0x80 : 0)); n = Math.floor(n / 128) } while (n); return o }
const sleb = (n: number): number[] => { const o: number[] = []; for (;;) { const b = n & 0x7f; n >>= 7; if ((n === 0 && !(b & 0x40)) || (n === -1 && b & 0x40)) return [...o, b]; o.push(b | 0x80) } }
const str = (s: string) => [...uleb(s.length), ...Buffer.from(s)]
const section = (id: number, body: number[]) => [id, ...uleb(body.length), ...body]
const fnBody = (ops: number[]) => { const b = [0, ...ops, 0x0b]; return [...uleb(b.length), ...b] }

/**
 * A valid module shaped like wasm-ld's (a named __stack_pointer inside the slot, never touched), ~3.8 MB of
 * arithmetic in 9000 functions: the C rules decode every body, so its checks take a few hundred ms.
 */
function largeModule(slot: number): Uint8Array {
  const functions = 9000
  const filler = Buffer.from(fnBody([...Array(60).fill([0x20, 0, 0x41, 1, 0x6a, 0x21, 0]).flat(), 0x20, 0])) // (x += 1) × 60; x
  const codeHead = [...uleb(functions), ...fnBody([0x41, 1])]
  return new Uint8Array(Buffer.concat([
    Buffer.from([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0,
      ...section(1, [3, 0x60, 0, 1, 0x7f, 0x60, 1, 0x7f, 1, 0x7f, 0x60, 2, 0x7f, 0x7f, 1, 0x7f]),
      ...section(2, [2, ...str('env'), ...str('memory'), 2, 3, ...uleb((slot + 1) * 2), ...uleb(65536), ...str('graticule'), ...str('alloc'), 0, 2]),
      ...section(3, [...uleb(functions), 0, ...Array(functions - 1).fill(1)]),
      ...section(6, [1, 0x7f, 1, 0x41, ...sleb(slot * 131072 + 1024), 0x0b]),
      ...section(7, [2, ...str('gr_abi_version'), 0, 1, ...str('gr_run'), 0, 2]),
      10, ...uleb(codeHead.length + (functions - 1) * filler.length), ...codeHead]),
    ...Array(functions - 1).fill(filler),
    Buffer.from(section(0, [...str('name'), ...section(7, [1, 0, ...str('__stack_pointer')])])),
  ]))
}

describe('deploy checks run in a worker, under a time limit', () => {
  const big = () => withManifest(largeModule(57), manifest('big-module', 57))

  it('while a large module is checked and compiled, the gateway goes on answering at once', async () => {
    // what the same checks cost on this thread: the time every other request would wait without the worker
    const started = performance.now()
    checkDeployment('big-module', big(), undefined, {})
    const onThisThread = performance.now() - started
    expect(onThisThread).toBeGreaterThan(100)

    let settled = false
    const deploy = put('big-module', big()).finally(() => { settled = true })
    const waits: number[] = [] // each: a /healthz answer, then a turn of the event loop (where the worker's answer arrives)
    while (!settled) {
      const t = performance.now()
      expect((await gw.app.inject({ url: '/healthz' })).statusCode).toBe(200)
      await new Promise((resolve) => setImmediate(resolve))
      waits.push(performance.now() - t)
    }
    const r = await deploy
    expect(r.statusCode, r.body).toBe(201)
    // on this thread the checks would hold it for onThisThread ms in one piece: only the few requests that
    // came before them would be answered while the deploy is in flight (5 or so), not hundreds
    expect(waits.length).toBeGreaterThan(100)
    expect([...waits].sort((a, b) => a - b)[waits.length >> 1]).toBeLessThan(5)
    expect((await gw.app.inject({ method: 'DELETE', url: '/faaslets/big-module', headers: { authorization: `Bearer ${TOKEN}` } })).statusCode).toBe(204)
  })

  it('checks that outlast the time limit refuse the module with the limit, and their worker is stopped', async () => {
    const store = gw.ctx.faaslets
    gw.ctx.faaslets = new DeployedStore(null, { timeLimitMs: 20 })
    const threads = () => process.getActiveResourcesInfo().filter((r) => r === 'MessagePort').length // a worker holds one
    const before = threads()
    try {
      const r = await put('slow-module', withManifest(largeModule(57), manifest('slow-module', 57)))
      expect(r.statusCode, r.body).toBe(422)
      expect(r.json().code).toBe('E_MODULE_REFUSED')
      expect(r.json().message).toMatch(/module "slow-module" refused: checking and compiling it took longer than the deploy time limit of 20 ms/)
      expect(threads()).toBe(before)
    } finally {
      gw.ctx.faaslets = store
    }
    const names = ((await gw.app.inject({ url: '/faaslets' })).json() as Array<{ name: string }>).map((f) => f.name)
    expect(names).not.toContain('slow-module')
    expect(gw.ctx.faaslets.timeLimitMs).toBe(10_000) // the default
  })
})
