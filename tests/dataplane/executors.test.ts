import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Dataplane, type InvokeResult, type Mode } from '../../dataplane/dataplane.js'
import { invokeCrashingWorker, startWithTestFaaslets } from '../../dataplane/testing.js'
import { linearPlan, type Plan } from '../../dataplane/plan.js'
import { pointArrays, readPoints, writePoints } from '../../faaslets/codecs/points.js'
import type { RegionMemory } from '../../faaslets/abi/region.js'

const N = 20_000
const pts = pointArrays(N)
for (let i = 0; i < N; i++) {
  pts.x[i] = -180 + (360 * i) / N
  pts.y[i] = -60 + ((i * 7919) % 120)
  pts.weight[i] = 1 + (i % 5)
  pts.id[i] = i
}
const write = (mem: RegionMemory) => [writePoints(mem, pts)]
const payload = N * 32 + 128

// three echo stages: weights × 2 × 3 × 5
const chain: Plan = linearPlan('echo3', [
  { faaslet: 'echo', params: [2] },
  { faaslet: 'echo', params: [3] },
  { faaslet: 'echo', params: [5] },
])

let dp: Dataplane

beforeAll(async () => {
  dp = await startWithTestFaaslets({ workers: 2, limits: { timeLimitMs: 2_000, quotaBytes: 64 << 20 } })
})

afterAll(async () => {
  await dp?.close()
})

function weightsOf(res: InvokeResult): Float64Array {
  return readPoints(res.bytes(), res.outputs[0]).weight
}

describe('shared mode', () => {
  it('hands descriptors between stages: no byte copied, each stage reads the region its producer wrote', async () => {
    const res = await dp.invoke('acme', chain, write)
    const w = weightsOf(res)
    for (let i = 0; i < N; i += 997) expect(w[i]).toBe(pts.weight[i] * 30)
    expect(res.copied.betweenStages).toBe(0)
    for (let k = 1; k < res.timings.length; k++) {
      expect(res.timings[k].inputs[0]).toEqual(res.timings[k - 1].outputs[0])
    }
    res.release()
    expect(dp.tenant('acme').arena.bytesInUse).toBe(0)
  })

  it('a warm invocation instantiates nothing', async () => {
    for (let i = 0; i < 4; i++) (await dp.invoke('acme', chain, write)).release()
    const res = await dp.invoke('acme', chain, write)
    expect(res.instantiations).toBe(0)
    res.release()
  })

  it('spread placement runs steps as separate tasks and still copies nothing', async () => {
    const res = await dp.invoke('acme', chain, write, { placement: 'spread' })
    expect(weightsOf(res)[10]).toBe(pts.weight[10] * 30)
    expect(res.copied.betweenStages).toBe(0)
    for (let k = 1; k < res.timings.length; k++) expect(res.timings[k].inputs[0]).toEqual(res.timings[k - 1].outputs[0])
    res.release()
    expect(dp.tenant('acme').arena.bytesInUse).toBe(0)
  })

  it('fan-out: two steps read one region without copies', async () => {
    const plan: Plan = {
      name: 'fan', inputCount: 1,
      steps: [
        { id: 'a', faaslet: 'echo', params: [2], inputs: [{ input: 0 }] },
        { id: 'b', faaslet: 'echo', params: [3], inputs: [{ step: 0, output: 0 }] },
        { id: 'c', faaslet: 'echo', params: [5], inputs: [{ step: 0, output: 0 }] },
      ],
      outputs: [{ step: 1, output: 0 }, { step: 2, output: 0 }],
    }
    for (const placement of ['colocated', 'spread'] as const) {
      const res = await dp.invoke('acme', plan, write, { placement })
      expect(readPoints(res.bytes(), res.outputs[0]).weight[3]).toBe(pts.weight[3] * 6)
      expect(readPoints(res.bytes(), res.outputs[1]).weight[3]).toBe(pts.weight[3] * 10)
      expect(res.timings[1].inputs[0]).toEqual(res.timings[0].outputs[0])
      expect(res.timings[2].inputs[0]).toEqual(res.timings[0].outputs[0])
      expect(res.copied.betweenStages).toBe(0)
      res.release()
    }
  })
})

describe('the three modes agree', () => {
  it('identical output bytes; copy and http modes move at least the payload per hop', async () => {
    const results = new Map<Mode, Uint8Array>()
    for (const mode of ['shared', 'copy', 'http'] as const) {
      const res = await dp.invoke('acme', chain, write, { mode })
      const d = res.outputs[0]
      results.set(mode, res.bytes().slice(d.ptr, d.ptr + d.len))
      if (mode === 'shared') expect(res.copied.betweenStages).toBe(0)
      else expect(res.copied.betweenStages).toBeGreaterThanOrEqual(2 * payload) // two hops between three stages
      res.release()
    }
    expect(Buffer.from(results.get('copy')!).equals(Buffer.from(results.get('shared')!))).toBe(true)
    expect(Buffer.from(results.get('http')!).equals(Buffer.from(results.get('shared')!))).toBe(true)
  })
})

describe('containment', () => {
  const one = (faaslet: string, params: number[]): Plan => linearPlan(faaslet, [{ faaslet, params }])

  for (const mode of ['shared', 'copy', 'http'] as const) {
    it(`${mode}: a trapping, a looping and a memory-hungry faaslet each fail alone while good work goes on`, async () => {
      const cases: Array<[string, number[], string]> = [
        ['trap', [], 'E_FAASLET_TRAP'],
        ['loop', [0], 'E_FAASLET_TIMEOUT'],
        ['hog', [0], mode === 'shared' ? 'E_QUOTA_EXCEEDED' : 'E_QUOTA_EXCEEDED'],
      ]
      for (const [faaslet, params, code] of cases) {
        const bad = dp.invoke('acme', one(faaslet, params), write, { mode })
        const good = dp.invoke('acme', chain, write, { mode })
        await expect(bad).rejects.toMatchObject({ code })
        const ok = await good
        expect(weightsOf(ok)[5]).toBe(pts.weight[5] * 30)
        ok.release()
        // and the executor still works afterwards
        const again = await dp.invoke('acme', chain, write, { mode })
        expect(weightsOf(again)[6]).toBe(pts.weight[6] * 30)
        again.release()
      }
      expect(dp.tenant('acme').arena.bytesInUse).toBe(0)
    })
  }

  it('a worker that dies mid-chain fails its invocation alone and leaks nothing', async () => {
    await expect(invokeCrashingWorker(dp, 'acme', chain, write)).rejects.toMatchObject({ code: 'E_WORKER_DIED' })
    const ok = await dp.invoke('acme', chain, write)
    expect(weightsOf(ok)[1]).toBe(pts.weight[1] * 30)
    ok.release()
    expect(dp.tenant('acme').arena.bytesInUse).toBe(0)
  })

  it('tenant A cannot read or write tenant B: an address names a byte of its own arena only', async () => {
    const b = dp.tenant('tenant-b')
    const a = dp.tenant('tenant-a')
    const address = 12 << 20 // inside both arenas' chunk heaps
    new DataView(b.arena.memory.buffer).setFloat64(address, 123.456, true)
    const before = new DataView(b.arena.memory.buffer).getFloat64(address, true)
    const res = await dp.invoke('tenant-a', one('hostile', [address, 1]), write)
    const seen = readPoints(res.bytes(), res.outputs[0]).weight[0]
    res.release()
    expect(seen).not.toBe(123.456)
    expect(new DataView(b.arena.memory.buffer).getFloat64(address, true)).toBe(before) // B untouched
    expect(new DataView(a.arena.memory.buffer).getBigUint64(address, true)).toBe(0x4242424242424242n) // A's own byte
    // past the end of its own arena there is nothing: the access traps
    const beyond = a.arena.memory.buffer.byteLength + 4096
    await expect(dp.invoke('tenant-a', one('hostile', [beyond, 0]), write)).rejects.toMatchObject({ code: 'E_FAASLET_TRAP' })
    expect(a.arena.bytesInUse).toBe(0)
  })

  it('refuses invocations past the tenant concurrency limit', async () => {
    const t = dp.tenant('tiny', { maxConcurrent: 1, timeLimitMs: 2_000, quotaBytes: 64 << 20 })
    const first = dp.invoke('tiny', chain, write)
    await expect(dp.invoke('tiny', chain, write)).rejects.toMatchObject({ code: 'E_TOO_MANY_INVOCATIONS' })
    ;(await first).release()
    expect(t.arena.bytesInUse).toBe(0)
  })
})
