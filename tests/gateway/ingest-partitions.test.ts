// Window processing per partition (issue 14): partitions are processed at once — a partition whose publish waits
// holds up no other, and their windows' chains run side by side — while each partition publishes its windows in
// order and commits only what it has published. Decoded batches (the Kafka path) seal the windows they close on
// the spot, and requests to process a partition coalesce.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { Dataplane } from '../../dataplane/dataplane.js'
import { ChainRegistry } from '../../chains/registry.js'
import { ChainRunner } from '../../chains/run.js'
import { GatewayMetrics } from '../../gateway/metrics.js'
import { Ingestion, type PartitionProgress } from '../../gateway/ingest/ingestion.js'
import { SensorIndex } from '../../gateway/ingest/windows.js'
import type { DecodedRecords } from '../../gateway/ingest/sensor-decode.js'
import type { WindowResult } from '../../gateway/ingest/window-result.js'

/** A runner that says how many chains run at once, and can hold a window's chain back (by its first point's time). */
class WatchedRunner extends ChainRunner {
  running = 0
  most = 0
  holdMs = new Map<number, number>()
  override async run(...a: Parameters<ChainRunner['run']>): ReturnType<ChainRunner['run']> {
    this.running++
    this.most = Math.max(this.most, this.running)
    try {
      const input = a[2] as { points: { weight: Float64Array } }
      const ms = this.holdMs.get(input.points.weight[0]) ?? 20
      await new Promise((r) => setTimeout(r, ms))
      return await super.run(...a)
    } finally {
      this.running--
    }
  }
}

describe('partitions processed at once, each in order', () => {
  let dp: Dataplane
  beforeAll(async () => { dp = await Dataplane.start({ workers: 2 }) })
  afterAll(async () => { await dp.close() })

  function setup() {
    const runner = new WatchedRunner(dp)
    const ing = new Ingestion(runner, new ChainRegistry(dp.catalog), new GatewayMetrics(dp), { windows: { sizeMs: 1_000, allowedLatenessMs: 0 }, idleFlushMs: 60_000 })
    const log: string[] = []
    const gates = new Map<string, Promise<void>>()
    const open = (key: string) => ing.openPartition(key, 'kafka', -Infinity, async (r: WindowResult) => {
      await gates.get(key)
      log.push(`${key} ${r.windowStart}`)
    }, (p: PartitionProgress) => { log.push(`${key} commit ${p.committable} ${p.closedUpTo}`) })
    // windows [0,1000) [1000,2000) [2000,3000) and a point that closes them; each window's value tells it apart
    const feed = (key: string, offset: number, tag: number) => {
      const ts = [0, 500, 1_000, 1_500, 2_000, 2_500, 3_500]
      const value = ts.map((t) => tag + Math.floor(t / 1000))
      ing.feedColumns(key, offset, ts.map((_, i) => `s${i}`), Float64Array.from(ts), new Float64Array(ts.length).fill(13.4), new Float64Array(ts.length).fill(52.5), Float64Array.from(value))
    }
    return { ing, runner, log, gates, open, feed }
  }

  it('a partition whose publish waits holds up no other; each publishes in window order, then commits', async () => {
    const { ing, log, gates, open, feed } = setup()
    let release = () => {}
    gates.set('a/0', new Promise<void>((r) => { release = r }))
    open('a/0')
    open('b/0')
    feed('a/0', 7, 10)
    feed('b/0', 9, 20)
    const run = ing.processAll(false)
    await vi.waitFor(() => expect(log.filter((l) => l.startsWith('b/0'))).toEqual(['b/0 0', 'b/0 1000', 'b/0 2000', 'b/0 commit 9 3000']), { timeout: 10_000 })
    expect(log.filter((l) => l.startsWith('a/0'))).toEqual([]) // still waiting on its first publish
    release()
    await run
    expect(log.filter((l) => l.startsWith('a/0'))).toEqual(['a/0 0', 'a/0 1000', 'a/0 2000', 'a/0 commit 7 3000'])
    await ing.stop()
  })

  it("windows of different partitions compute side by side; a partition's later window done first still leaves after the earlier", async () => {
    const { ing, runner, log, open, feed } = setup()
    open('a/0')
    open('b/0')
    feed('a/0', 1, 10)
    feed('b/0', 1, 20)
    // a's first window takes longest: its second (computed meanwhile) waits for it
    runner.holdMs.set(10, 300)
    await ing.processAll(false)
    expect(runner.most).toBeGreaterThanOrEqual(2)
    expect(log.filter((l) => l.startsWith('a/0'))).toEqual(['a/0 0', 'a/0 1000', 'a/0 2000', 'a/0 commit 1 3000'])
    expect(log.filter((l) => l.startsWith('b/0'))).toEqual(['b/0 0', 'b/0 1000', 'b/0 2000', 'b/0 commit 1 3000'])
    expect(log.indexOf('b/0 2000')).toBeLessThan(log.indexOf('a/0 0')) // b did not wait for a's slow window
    await ing.stop()
  })

  it('decoded records seal the windows they close when fed; requests to process coalesce', async () => {
    const { ing, log, open } = setup()
    open('a/0')
    const ids = new SensorIndex(1_000, ing.sensors.counter)
    const ts = [0, 500, 1_000, 1_500, 2_500]
    const d: DecodedRecords = {
      count: ts.length, ends: Uint32Array.of(2, 5), sensor: Int32Array.from(ts, (_, i) => ids.id(`s${i}`)), ts: Float64Array.from(ts),
      lon: new Float64Array(ts.length).fill(13.4), lat: new Float64Array(ts.length).fill(52.5), value: new Float64Array(ts.length).fill(1), rejected: 0,
    }
    const before = Date.now()
    expect(ing.feedRecords('a/0', [40, 41], d)).toEqual({ accepted: 5, duplicates: 0, late: 0, overflow: 0 })
    // sealed now, not when processed: close → result counts from here
    const processPartition = vi.spyOn(ing as unknown as { processPartition: () => Promise<unknown> }, 'processPartition')
    const runs = Array.from({ length: 5 }, () => ing.requestProcessing('a/0'))
    await Promise.all(runs)
    expect(processPartition).toHaveBeenCalledTimes(1)
    expect(log).toEqual(['a/0 0', 'a/0 1000', 'a/0 commit 41 2000']) // record 40 holds only emitted points; 41 one of the open window
    const latency = (await ing.metrics.windowLatency.get()).values.find((v) => v.metricName?.endsWith('_sum'))!.value
    expect(latency * 1000).toBeLessThanOrEqual(2 * (Date.now() - before))
    // the shared counter bounds the workers' indexes and the main thread's together
    expect(Atomics.load(ing.sensors.counter, 0)).toBe(5)
    await ing.stop()
  })
})
