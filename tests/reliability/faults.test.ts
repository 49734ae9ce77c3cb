// Faults inside the dataplane: a faaslet that traps, spins, allocates without end, blocks its thread on an
// atomic wait, exhausts the wasm stack, or breaks the ABI in one of a dozen ways (the `forge` test
// faaslet); a worker that dies mid-chain. Each time the affected invocation fails with its own code while
// the invocations running beside it finish correctly, the executor keeps working, and every chunk of the
// arena comes back. (executors.test.ts has the single trap/loop/hog case per mode; this file adds the
// concurrency, the repetitions and the other ways to fail.)
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Dataplane, type InvokeResult, type Mode } from '../../dataplane/dataplane.js'
import { invokeCrashingWorker, startWithTestFaaslets } from '../../dataplane/testing.js'
import { linearPlan, type Plan } from '../../dataplane/plan.js'
import * as L from '../../faaslets/abi/layout.js'
import { pointArrays, readPoints, writePoints } from '../../faaslets/codecs/points.js'
import type { RegionMemory } from '../../faaslets/abi/region.js'
import { invocationCode } from './helpers.js'

const N = 5_000
const pts = pointArrays(N)
for (let i = 0; i < N; i++) {
  pts.x[i] = -170 + (340 * i) / N
  pts.y[i] = -60 + ((i * 7919) % 120)
  pts.weight[i] = 1 + (i % 7)
  pts.id[i] = i
}
const write = (mem: RegionMemory) => [writePoints(mem, pts)]
const good: Plan = linearPlan('good', [{ faaslet: 'echo', params: [2] }, { faaslet: 'echo', params: [3] }])
const one = (faaslet: string, params: number[]): Plan => linearPlan(faaslet, [{ faaslet, params }])
const forge = (mode: number, a = 0, b = 0) => one('forge', [mode, a, b])

// long enough for good work queued behind a fault on a loaded 2-core machine, short enough to wait for
const TIME_LIMIT = 3_000
let dp: Dataplane

beforeAll(async () => {
  dp = await startWithTestFaaslets({ workers: 2, limits: { timeLimitMs: TIME_LIMIT, quotaBytes: 128 << 20 } })
  // the copy and http executors start a worker or a process per faaslet on first use; a cold start is not
  // what these tests are about, so every faaslet they use runs once, harmlessly, in each of them first
  dp.tenant('warm', { timeLimitMs: 60_000 })
  dp.tenant('brief', { timeLimitMs: 800 })
  const harmless: Plan[] = [good, one('trap', []), one('loop', [1]), one('hog', [1]), forge(7, 0)]
  for (const mode of ['copy', 'http'] as const) for (const plan of harmless) await invocationCode(dp.invoke('warm', plan, write, { mode }))
}, 120_000)

afterAll(async () => {
  await dp?.close()
})

/** The good chain's result is exactly the input weights × 6. */
function expectGood(res: InvokeResult): void {
  try {
    const w = readPoints(res.bytes(), res.outputs[0]).weight
    expect(w.length).toBe(N)
    for (let i = 0; i < N; i += 499) expect(w[i]).toBe(pts.weight[i] * 6)
  } finally {
    res.release()
  }
}

/** Waits for every invocation, checks each is the good result; a failure cannot leave results unreleased. */
async function expectAllGood(runs: Array<Promise<InvokeResult>>): Promise<void> {
  const settled = await Promise.allSettled(runs)
  const problems: string[] = []
  for (const r of settled) {
    if (r.status === 'rejected') problems.push((r.reason as Error).message)
    else {
      try { expectGood(r.value) } catch (e) { problems.push((e as Error).message) }
    }
  }
  expect(problems).toEqual([])
}

const arenaInUse = (tenant = 'faults') => dp.tenant(tenant).arena.bytesInUse

describe('a bad faaslet fails alone while good work runs beside it', () => {
  const cases: Array<[string, Plan, string]> = [
    ['traps', one('trap', []), 'E_FAASLET_TRAP'],
    ['spins forever', one('loop', [0]), 'E_FAASLET_TIMEOUT'],
    ['allocates without end', one('hog', [0]), 'E_QUOTA_EXCEEDED'],
    ['blocks its thread on an atomic wait', forge(10), 'E_FAASLET_TIMEOUT'],
    ['exhausts the wasm stack', forge(9, 0), 'E_FAASLET_TRAP'],
    ['writes an output, then traps', forge(11), 'E_FAASLET_TRAP'],
  ]
  for (const [what, plan, code] of cases) {
    it(`shared: a faaslet that ${what} → ${code}; 6 concurrent good chains finish`, async () => {
      // faults that end at the time limit run as tenant 'brief' (800 ms) so the test need not wait 3 s;
      // they share the worker pool with the good chains, which is what matters here
      const bad = invocationCode(dp.invoke(code === 'E_FAASLET_TIMEOUT' ? 'brief' : 'faults', plan, write))
      const goods = Array.from({ length: 6 }, () => dp.invoke('faults', good, write))
      expect(await bad).toBe(code)
      await expectAllGood(goods)
      expectGood(await dp.invoke('faults', good, write)) // and the executor still works afterwards
      expect(arenaInUse()).toBe(0)
    })
  }

  for (const mode of ['copy', 'http'] as const) {
    it(`${mode}: blocking and stack-exhausting faaslets fail with their codes; good work goes on`, async () => {
      for (const [plan, code] of [[forge(10), 'E_FAASLET_TIMEOUT'], [forge(9, 0), 'E_FAASLET_TRAP'], [forge(11), 'E_FAASLET_TRAP']] as const) {
        // (a timed-out stage worker is replaced, and the replacement's start-up counts against the next
        // invocation's limit: that next one runs as 'faults', 3 s, not 'brief')
        const bad = invocationCode(dp.invoke(code === 'E_FAASLET_TIMEOUT' ? 'brief' : 'faults', plan, write, { mode }))
        const ok = dp.invoke('faults', good, write, { mode })
        expect(await bad, `${mode} ${plan.steps[0].params}`).toBe(code)
        expectGood(await ok)
      }
    })
  }

  it('the time limit is the tenant\'s: a spinning faaslet is stopped within it, not before', async () => {
    dp.tenant('quick', { timeLimitMs: 300 })
    const t0 = performance.now()
    expect(await invocationCode(dp.invoke('quick', one('loop', [0]), write))).toBe('E_FAASLET_TIMEOUT')
    const ms = performance.now() - t0
    expect(ms).toBeGreaterThanOrEqual(290)
    expect(ms).toBeLessThan(300 + 1_000) // stopped promptly (worker terminate + replace), on a loaded machine
    expect(dp.tenant('quick').arena.bytesInUse).toBe(0)
  })
})

describe('a worker that dies', () => {
  it('fails the invocation it was running with E_WORKER_DIED; 5 others in flight finish; 5 times over', async () => {
    // the others run as tenant 'patient' (20 s): some land on the dead worker's replacement and wait for it
    // to boot, attach the tenant and instantiate the modules — seconds under tsx on a loaded machine
    dp.tenant('patient', { timeLimitMs: 20_000 })
    for (let round = 0; round < 5; round++) {
      const others = Array.from({ length: 5 }, () => dp.invoke('patient', good, write))
      const crashed = invocationCode(invokeCrashingWorker(dp, 'faults', good, write))
      expect(await crashed).toBe('E_WORKER_DIED')
      await expectAllGood(others)
    }
    // piscina replaced every dead worker: the pool is back to full strength and warm work runs on it
    expect(dp.shared.pool.threads.length).toBe(2)
    expectGood(await dp.invoke('patient', good, write))
    expect(arenaInUse()).toBe(0)
    expect(arenaInUse('patient')).toBe(0)
  })

  it('spread placement: a step that blocks fails its chain with E_FAASLET_TIMEOUT; its sibling steps\' chunks come back too', async () => {
    // a fan-out whose branches run as separate tasks on both workers: one branch blocks for good, the
    // other finishes; the chain fails at the time limit and every chunk any of its tasks claimed is freed
    const fan: Plan = {
      name: 'fan', inputCount: 1,
      steps: [
        { id: 'a', faaslet: 'echo', params: [2], inputs: [{ input: 0 }] },
        { id: 'b', faaslet: 'echo', params: [3], inputs: [{ step: 0, output: 0 }] },
        { id: 'c', faaslet: 'forge', params: [10, 0, 0], inputs: [{ step: 0, output: 0 }] },
      ],
      outputs: [{ step: 1, output: 0 }, { step: 2, output: 0 }],
    }
    const others = Array.from({ length: 4 }, () => dp.invoke('faults', good, write))
    expect(await invocationCode(dp.invoke('brief', fan, write, { placement: 'spread' }))).toBe('E_FAASLET_TIMEOUT')
    await expectAllGood(others)
    expectGood(await dp.invoke('faults', good, write, { placement: 'spread' }))
    expect(arenaInUse()).toBe(0)
    expect(arenaInUse('brief')).toBe(0)
  })
})

describe('what the host checks of a faaslet\'s answer (the forge faaslet breaks the ABI on purpose)', () => {
  const arenaEnd = () => dp.tenant('faults').arena.committedBytes
  const cases: Array<[string, () => Plan, string]> = [
    ['an output descriptor outside the arena', () => forge(0, arenaEnd() + 4096, 256), 'E_FAASLET_BAD_OUTPUT'],
    ['an output descriptor at address 0 (the null guard)', () => forge(0, 0, 256), 'E_FAASLET_BAD_OUTPUT'],
    ['an output descriptor into its input, 4 bytes in (no region header there)', () => forge(5, 4, 256), 'E_FAASLET_BAD_OUTPUT'],
    ['an output descriptor shorter than the region it names', () => forge(5, 0, L.HEADER_SIZE + 8), 'E_FAASLET_BAD_OUTPUT'],
    ['status 0 without its output', () => forge(2), 'E_FAASLET_BAD_OUTPUT'],
    ['five outputs where the manifest declares one', () => forge(6), 'E_FAASLET_BAD_OUTPUT'],
    ['an unknown status (77)', () => forge(3), 'E_FAASLET_INTERNAL'],
    ['a 2 GiB alloc', () => forge(8, 2 ** 31 - 1, 8), 'E_QUOTA_EXCEEDED'],
    ['an alloc of "-1" bytes (0xffffffff as u32)', () => forge(8, 2 ** 32 - 1, 8), 'E_QUOTA_EXCEEDED'],
    ['an alloc aligned to 1 GiB', () => forge(8, 64, 2 ** 30), 'E_QUOTA_EXCEEDED'],
  ]
  for (const [what, plan, code] of cases) {
    it(`${what} → ${code}`, async () => {
      expect(await invocationCode(dp.invoke('faults', plan(), write))).toBe(code)
      expect(arenaInUse()).toBe(0)
    })
  }

  it('a message length field of 1e6 is clamped to the 256 bytes of the context', async () => {
    const err = await dp.invoke('faults', forge(4), write).then(() => null, (e: Error & { code: string }) => e)
    expect(err?.code).toBe('E_FAASLET_MALFORMED_INPUT')
    expect(Buffer.byteLength(err!.message)).toBeLessThan(400)
  })

  it('memory.grow from inside a faaslet cannot pass the tenant\'s quota: the engine\'s maximum is the quota', async () => {
    const t = dp.tenant('grower', { quotaBytes: 32 << 20 })
    const grow = async (pages: number) => {
      const res = await dp.invoke('grower', forge(7, pages), write)
      const old = readPoints(res.bytes(), res.outputs[0]).weight[0]
      res.release()
      return old
    }
    const maxPages = (L.HEAP_BASE + (32 << 20)) / L.PAGE_SIZE
    expect(await grow(maxPages)).toBe(-1) // cannot grow by the whole maximum again
    expect(t.arena.memory.buffer.byteLength).toBeLessThanOrEqual(maxPages * L.PAGE_SIZE)
    // within the maximum it may grow (committed memory, not quota: the allocator still counts chunks)
    expect(await grow(1)).toBeGreaterThan(0)
    expect(t.arena.bytesInUse).toBe(0)
    expectGood(await dp.invoke('grower', good, write))
  })

  it('after all of that, the executor and the arena are as good as new', async () => {
    await expectAllGood(Array.from({ length: 8 }, () => dp.invoke('faults', good, write)))
    expect(arenaInUse()).toBe(0)
    expect(dp.shared.pool.threads.length).toBe(2)
  })
})

describe('every mode survives every fault kind, in turn, on one dataplane', () => {
  it('shared, copy and http: trap, loop, hog, block — then good work in each', async () => {
    const faults: Array<[Plan, string]> = [[one('trap', []), 'E_FAASLET_TRAP'], [one('loop', [0]), 'E_FAASLET_TIMEOUT'], [one('hog', [0]), 'E_QUOTA_EXCEEDED'], [forge(10), 'E_FAASLET_TIMEOUT']]
    for (const mode of ['shared', 'copy', 'http'] as Mode[]) {
      for (const [plan, code] of faults) expect(await invocationCode(dp.invoke(code === 'E_FAASLET_TIMEOUT' ? 'brief' : 'faults', plan, write, { mode })), `${mode} ${plan.name}`).toBe(code)
      expectGood(await dp.invoke('faults', good, write, { mode }))
    }
    expect(arenaInUse()).toBe(0)
    expect(arenaInUse('brief')).toBe(0)
  })
})
