// A C faaslet on the ABI (faaslets/ABI.md): the module the catalog loads and the shipped prebuilt pass
// every check on their bytes; the build is deterministic; the checks catch what they are for (a stack
// shared between instances, writable static data, the start function wasm-ld adds for shared memory);
// an invocation never writes its static slot; and pip-aggregate run concurrently in the two workers of
// the shared executor, on one tenant arena, gives turf's answer every time.
import { spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import wabtInit from 'wabt'
import { Dataplane } from '../../dataplane/dataplane.js'
import { LocalRunner } from '../../dataplane/local-runner.js'
import { Arena, createArenaHandles } from '../../dataplane/arena.js'
import { linearPlan } from '../../dataplane/plan.js'
import { inspectWasm } from '../../faaslets/abi/inspect.js'
import * as L from '../../faaslets/abi/layout.js'
import { parseParams, type Manifest } from '../../faaslets/abi/manifest.js'
import { checkModule } from '../../faaslets/abi/validate.js'
import { readFeatures, writeFeatures } from '../../faaslets/codecs/features.js'
import { readPoints, writePoints, pointArrays } from '../../faaslets/codecs/points.js'
import { abiHeader, HEADER_PATH } from '../../faaslets/c/abi-header.js'
import {
  builtPath, C_DIR, CFLAGS, cFaaslets, checkC, compileC, librariesOf, compileSources, findClang, linkFlags, manifestOf, markMemoryShared, prebuiltPath, producedBy,
} from '../../faaslets/c/build.js'
import { checkStackAndData } from '../../faaslets/abi/stack-check.js'
import { cityPoints, mixedCollection, pipOracle, usStates, zipcodes, type PointSet } from '../helpers/pip-oracle.js'

const tool = findClang()
// these need the C toolchain (CI installs it): a missing clang fails them, it does not skip them
const itWithClang = (name: string, fn: () => void) => it(name, () => {
  if (!tool) throw new Error('clang and wasm-ld are needed for this test: apt-get install clang lld')
  fn()
})
const manifest = manifestOf('pip-aggregate')
const base = manifest.slot * L.STATIC_SLOT_BYTES
const SLOT: [number, number] = [base, base + L.STATIC_SLOT_BYTES]
const dir = mkdtempSync(join(tmpdir(), 'graticule-c-abi-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

describe('the pip-aggregate module', () => {
  it('the one the catalog loads and the shipped prebuilt both pass every check', () => {
    for (const path of [builtPath('pip-aggregate'), prebuiltPath('pip-aggregate')]) {
      const bytes = new Uint8Array(readFileSync(path))
      expect(checkC('pip-aggregate', bytes), path).toEqual([])
      const info = inspectWasm(bytes)
      expect(info.imports.map((i) => `${i.module}.${i.name}`)).toEqual(['env.memory', 'graticule.alloc'])
      expect(info.imports[0].memory).toEqual({ initial: SLOT[1] / L.PAGE_SIZE, maximum: 65536, shared: true })
      expect(info.exports.map((e) => e.name).sort()).toEqual(['gr_abi_version', 'gr_run'])
      expect(info.startFunction).toBeNull()
      expect(info.dataSegments.every((s) => !s.passive && s.offset! >= SLOT[0] && s.offset! + s.size <= SLOT[1])).toBe(true)
      expect(checkStackAndData(bytes, SLOT).stack).toBe('switched')
    }
  })

  it('graticule-abi.h is what layout.ts generates', () => {
    expect(readFileSync(HEADER_PATH, 'utf8')).toBe(abiHeader())
    expect(abiHeader()).toContain(`#define GR_REGION_MAGIC 0x${L.REGION_MAGIC.toString(16)}u`)
  })

  itWithClang('builds deterministically: two builds, the same bytes (and the shipped ones, with the same clang)', () => {
    const a = compileC('pip-aggregate', tool)
    const b = compileC('pip-aggregate', tool)
    expect(Buffer.compare(Buffer.from(a), Buffer.from(b))).toBe(0)
    const shipped = new Uint8Array(readFileSync(prebuiltPath('pip-aggregate')))
    const version = /(\d+\.\d+\.\d+)/.exec(tool!.version)?.[1]
    if (producedBy(shipped) === `clang ${version}`) expect(Buffer.compare(Buffer.from(a), Buffer.from(shipped))).toBe(0)
  })
})

describe('every C faaslet (H3 compiled from its own source included)', () => {
  it('is listed, and the module the catalog loads and the shipped prebuilt both pass every check', () => {
    expect(cFaaslets()).toEqual(expect.arrayContaining(['h3-bin', 'h3-cells', 'pip-aggregate']))
    for (const name of cFaaslets()) {
      for (const path of [builtPath(name), prebuiltPath(name)]) {
        const bytes = new Uint8Array(readFileSync(path))
        expect(checkC(name, bytes), path).toEqual([])
        expect(inspectWasm(bytes).imports.map((i) => `${i.module}.${i.name}`), path).toEqual(['env.memory', 'graticule.alloc'])
      }
    }
  })

  itWithClang('builds deterministically, libraries and all, to the shipped bytes (with the same clang)', () => {
    const version = /(\d+\.\d+\.\d+)/.exec(tool!.version)?.[1]
    for (const name of ['h3-bin', 'h3-cells']) {
      expect(librariesOf(name)).toEqual(expect.arrayContaining(['libc', 'musl-libm', 'h3']))
      const a = compileC(name, tool)
      expect(Buffer.compare(Buffer.from(a), Buffer.from(compileC(name, tool))), name).toBe(0)
      const shipped = new Uint8Array(readFileSync(prebuiltPath(name)))
      if (producedBy(shipped) === `clang ${version}`) expect(Buffer.compare(Buffer.from(a), Buffer.from(shipped)), `${name}: rebuild with tsx faaslets/c/build.ts --ship`).toBe(0)
    }
  })
})

describe('what the checks are for', () => {
  let wat2wasm: (text: string) => Uint8Array
  beforeAll(async () => {
    const wabt = await wabtInit()
    wat2wasm = (text) => new Uint8Array(wabt.parseWat('m.wat', text, { threads: true, bulk_memory: true }).toBinary({ write_debug_names: true }).buffer)
  })
  const head = `(import "env" "memory" (memory 26 65536 shared)) (import "graticule" "alloc" (func $alloc (param i32 i32) (result i32)))
    (global $__stack_pointer (mut i32) (i32.const ${base + 4096}))
    (func (export "gr_abi_version") (result i32) i32.const 1)`
  const frame = `(func $body (param i32) (result i32) (local i32)
    global.get $__stack_pointer i32.const 64 i32.sub local.tee 1 global.set $__stack_pointer
    local.get 1 local.get 0 i32.store
    local.get 1 i32.const 64 i32.add global.set $__stack_pointer i32.const 0)`
  const mod = (run: string, extra = '') => wat2wasm(`(module ${head} ${frame} ${run} ${extra})`)

  it('a module that switches to an allocated stack before anything uses it passes', () => {
    const ok = mod(`(func (export "gr_run") (param i32) (result i32) (local i32 i32)
      i32.const 65536 i32.const 16 call $alloc i32.const 65536 i32.add local.set 1
      global.get $__stack_pointer local.set 2 local.get 1 global.set $__stack_pointer
      local.get 0 call $body local.set 1 local.get 2 global.set $__stack_pointer local.get 1)`)
    expect(checkStackAndData(ok, SLOT)).toEqual({ stack: 'switched', problems: [] })
  })

  it('a stack frame in the shared slot, a call before the switch, a pointer set once, writable data: refused', () => {
    const noSwitch = mod(`(func (export "gr_run") (param i32) (result i32) local.get 0 call $body)`)
    expect(checkStackAndData(noSwitch, SLOT).problems.join()).toMatch(/never sets __stack_pointer/)
    const callFirst = mod(`(func (export "gr_run") (param i32) (result i32) (local i32)
      local.get 0 call $body drop
      i32.const 65536 i32.const 16 call $alloc global.set $__stack_pointer local.get 0 call $body
      global.get $__stack_pointer drop local.get 1 global.set $__stack_pointer)`)
    expect(checkStackAndData(callFirst, SLOT).problems.join()).toMatch(/calls .*before switching/)
    const noRestore = mod(`(func (export "gr_run") (param i32) (result i32)
      i32.const 65536 i32.const 16 call $alloc global.set $__stack_pointer local.get 0 call $body)`)
    expect(checkStackAndData(noRestore, SLOT).problems.join()).toMatch(/sets __stack_pointer 1 times/)
    const writable = mod(`(func (export "gr_run") (param i32) (result i32) i32.const 0)`, `(data $.data (i32.const ${base}) "counter")`)
    expect(checkStackAndData(writable, SLOT).problems.join()).toMatch(/data segment 0 is \.data/)
    const outside = wat2wasm(`(module ${head.replace(`(i32.const ${base + 4096})`, '(i32.const 70000)')} (func (export "gr_run") (param i32) (result i32) i32.const 0))`)
    expect(checkStackAndData(outside, SLOT).problems.join()).toMatch(/__stack_pointer starts at 70000, outside/)
    const extraExport = mod(`(func (export "gr_run") (param i32) (result i32) i32.const 0) (export "body" (func $body))`)
    expect(checkStackAndData(extraExport, SLOT).problems.join()).toMatch(/exports function body/)
  })

  itWithClang('wasm-ld --shared-memory would add a start function and passive segments: the ABI refuses that module', () => {
    const sources = ['features/layer', ...['polygons', 'bands', 'output', 'main'].map((f) => `pip-aggregate/${f}`)].map((f) => `${f}.c`)
    const objects = sources.map((src, i) => {
      const obj = join(dir, `naive-${i}.o`)
      const r = spawnSync(tool!.clang, [...CFLAGS, '-Ifeatures', '-matomics', '-c', '-o', obj, src], { cwd: C_DIR, encoding: 'utf8' })
      expect(r.status, r.stderr).toBe(0)
      return obj
    })
    const out = join(dir, 'naive.wasm')
    const r = spawnSync(tool!.wasmLd, [...linkFlags(manifest), '--shared-memory', '-o', out, ...objects], { encoding: 'utf8' })
    expect(r.status, r.stderr).toBe(0)
    const naive = new Uint8Array(readFileSync(out))
    const info = inspectWasm(naive)
    expect(info.startFunction).not.toBeNull()
    expect(info.dataSegments.every((s) => s.passive)).toBe(true)
    expect(checkModule(naive, { staticRange: SLOT }).join()).toMatch(/start function/)
    // what the build does instead: link unshared, then mark the import shared (one byte)
    const unshared = new Uint8Array(readFileSync(builtPath('pip-aggregate')))
    expect(inspectWasm(markMemoryShared(unshared)).imports[0].memory!.shared).toBe(true)
  })
})

describe('an invocation never writes its static slot', () => {
  const slotBytes = (arena: Arena, lo: number, hi: number) => arena.bytes().slice(lo, hi)

  it('pip-aggregate: the slot holds its read-only data before and after many runs', () => {
    const rt = LocalRunner.create({ tenant: 'c-abi-slot' })
    const inv0 = rt.begin()
    const input = writeFeatures(inv0.mem, mixedCollection(usStates(), zipcodes()))
    rt.run(inv0, 'pip-aggregate', [input]) // instantiates: data segments applied
    const before = slotBytes(rt.arena, SLOT[0], SLOT[1])
    const data = inspectWasm(new Uint8Array(readFileSync(builtPath('pip-aggregate')))).dataSegments
    expect(data.length).toBeGreaterThan(0)
    for (let i = 0; i < 5; i++) {
      const inv = rt.begin()
      rt.run(inv, 'pip-aggregate', [input], { boundary: i % 2 ? 'outside' : 'inside' })
      rt.release(inv)
    }
    expect(Buffer.compare(Buffer.from(slotBytes(rt.arena, SLOT[0], SLOT[1])), Buffer.from(before))).toBe(0)
    rt.release(inv0)
    expect(rt.arena.bytesInUse).toBe(0)
  })

  itWithClang('a C faaslet with a stack frame: in the slot without GR_FAASLET\'s switch, in invocation memory with it', () => {
    // a frame the optimiser cannot keep in locals: an array whose address escapes
    const body = `#include "graticule.h"
      __attribute__((noinline)) static void fill(volatile uint32_t *a, uint32_t n) { for (uint32_t i = 0; i < n; i++) a[i] = 0xabcd0000u + i; }
      __attribute__((noinline)) static int32_t body(uint8_t *ctx) {
        volatile uint32_t a[64];
        fill(a, 64);
        uint32_t s = 0;
        for (int i = 0; i < 64; i++) s += a[i];
        const uint8_t *in = gr_input(ctx, 0);
        uint64_t bytes[1] = { GR_POINT_STRIDE };
        uint32_t counts[1] = { 1 };
        uint8_t *out = gr_create(GR_KIND_POINTS, 1, GR_POINT_STRIDE, gr_crs(in), bytes, counts, 1);
        __builtin_memcpy(gr_section(out, 0), gr_section(in, 0), GR_POINT_STRIDE);
        gr_put_f64(gr_section(out, 0) + GR_POINT_WEIGHT, (double)s);
        gr_output(ctx, out, gr_byte_length(out));
        return GR_STATUS_OK;
      }`
    const variants = {
      switched: `${body}\nGR_FAASLET(body)\n`,
      shared: `${body}
        __attribute__((export_name("gr_abi_version"))) int32_t gr_abi_version(void) { return GR_ABI_VERSION; }
        __attribute__((export_name("gr_run"))) int32_t gr_run(uint32_t ctx) { return body((uint8_t *)(uintptr_t)ctx); }\n`,
    }
    const slot = 60
    const lo = slot * L.STATIC_SLOT_BYTES, hi = lo + L.STATIC_SLOT_BYTES
    const test: Manifest = {
      name: 'stack-probe', version: '1.0.0', description: 'test', slot,
      inputs: [{ name: 'points', kinds: ['points'] }], outputs: [{ name: 'points', kind: 'points' }], params: [],
    }
    const want = Array.from({ length: 64 }, (_, i) => (0xabcd0000 + i) >>> 0).reduce((a, b) => (a + b) >>> 0, 0)
    const results: Record<string, { slotWritten: boolean; stack: string | null }> = {}
    for (const [name, source] of Object.entries(variants)) {
      const file = join(dir, `${name}.c`)
      writeFileSync(file, source)
      const bytes = compileSources([file], test, tool)
      const module = new WebAssembly.Module(bytes as Uint8Array<ArrayBuffer>)
      const rt = new LocalRunner({ module: () => module, manifest: () => test }, new Arena(createArenaHandles({ tenant: `probe-${name}` })))
      const inv = rt.begin()
      const p = pointArrays(1)
      const input = writePoints(inv.mem, p)
      rt.releaseInstance(rt.acquire('stack-probe')) // instantiate first: the slot then holds the module's data
      const before = slotBytes(rt.arena, lo, hi)
      const [out] = rt.run(inv, 'stack-probe', [input])
      expect(readPoints(rt.arena.bytes(), out).weight[0], name).toBe(want)
      results[name] = {
        slotWritten: Buffer.compare(Buffer.from(slotBytes(rt.arena, lo, hi)), Buffer.from(before)) !== 0,
        stack: checkStackAndData(bytes, [lo, hi]).stack,
      }
      rt.release(inv)
    }
    // without the switch every instance of the module would write its frames into the one shared slot
    expect(results).toEqual({ switched: { slotWritten: false, stack: 'switched' }, shared: { slotWritten: true, stack: null } })
  })
})

describe('two workers, one arena, at once', () => {
  let dp: Dataplane
  beforeAll(async () => {
    dp = await Dataplane.start({ workers: 2, limits: { timeLimitMs: 60_000 } })
  })
  afterAll(async () => {
    await dp?.close()
  })

  it('48 concurrent invocations of pip-aggregate on six different inputs: every result is turf\'s', async () => {
    const states = usStates()
    const zips = zipcodes(), cities = cityPoints('US')
    // six inputs with different points and weights, so results cannot be swapped unnoticed
    const inputs = Array.from({ length: 6 }, (_, k): PointSet => {
      const from = k * 7000, to = from + 7000 + k * 1000
      const x = Float64Array.from([...zips.x.slice(from, to), ...cities.x.slice(k * 2000, k * 2000 + 2000)])
      const y = Float64Array.from([...zips.y.slice(from, to), ...cities.y.slice(k * 2000, k * 2000 + 2000)])
      return { x, y, weight: Float64Array.from(x, (_, i) => ((i * (k + 3)) % 17) + k / 8) }
    })
    const want = inputs.map((p, k) => pipOracle(states, p, k % 2 === 1))
    const plans = [0, 1].map((b) => linearPlan('pip', [{ faaslet: 'pip-aggregate', params: Array.from(parseParams(manifest, { boundary: b ? 'outside' : 'inside' })) }]))
    const threads = new Set<number>()
    const runs = Array.from({ length: 48 }, async (_, i) => {
      const k = i % 6
      const res = await dp.invoke('c-abi', plans[k % 2], (mem) => [writeFeatures(mem, mixedCollection(states, inputs[k]))])
      try {
        res.threads.forEach((t) => threads.add(t))
        const out = readFeatures(res.bytes(), res.outputs[0])
        return out.features.every((f, j) => f.properties.count === want[k].count[j] && Object.is(f.properties.sum, want[k].sum[j])) ? 'ok' : `invocation ${i} (input ${k}) differs from turf`
      } finally {
        res.release()
      }
    })
    const outcomes = await Promise.all(runs)
    expect(outcomes.filter((o) => o !== 'ok')).toEqual([])
    expect(threads.size).toBe(2)
    expect(dp.tenant('c-abi').arena.bytesInUse).toBe(0)
  })
})
