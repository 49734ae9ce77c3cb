// The pieces that keep ingestion alive through a broker outage, without a broker: the Kafka link's state machine
// (a log line and a metric per change) and the ingestion's handling of a publisher that fails, hangs or defers —
// windows wait sealed, processing never throws, readiness names the problem, ticks do not pile up.
// (tests/reliability/kafka-broker-kill.test.ts drives the same with a real broker that goes away.)
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { Dataplane } from '../../dataplane/dataplane.js'
import { ChainRegistry } from '../../chains/registry.js'
import { ChainRunner } from '../../chains/run.js'
import { GatewayMetrics } from '../../gateway/metrics.js'
import { KafkaLink } from '../../gateway/ingest/kafka-link.js'
import { lineLogger } from '../../gateway/ingest/ingest-log.js'
import { Ingestion, PublishDeferred, type PartitionProgress } from '../../gateway/ingest/ingestion.js'
import type { WindowResult } from '../../gateway/ingest/window-result.js'

/** A series' value; a counter never incremented has no series yet: 0. */
async function metric(m: GatewayMetrics, re: RegExp): Promise<number> {
  return Number(re.exec(await m.registry.metrics())?.[1] ?? 0)
}

describe('the Kafka link', () => {
  it('logs and counts every change: connecting → connected → lost → retrying → recovered', async () => {
    const metrics = new GatewayMetrics(null)
    const lines: string[] = []
    const link = new KafkaLink(metrics, lineLogger((l) => lines.push(l)))
    expect(link.state).toBe('connecting')
    link.ok()
    link.ok() // no change, no line
    link.lost('publishing p/0 has taken 5.1 s')
    link.lost('the consumer crashed') // already lost: the reason is kept, no new line
    expect(link.reason).toBe('the consumer crashed')
    link.retrying('publishing the waiting windows again')
    link.retrying('a new consumer in 1 s') // already retrying
    link.ok()
    expect(lines.map((l) => l.replace(/after [\d.]+ s/, 'after … s'))).toEqual([
      'graticule: kafka link connected: consuming and publishing',
      'graticule: kafka link lost: publishing p/0 has taken 5.1 s',
      'graticule: kafka link retrying: publishing the waiting windows again',
      'graticule: kafka link recovered after … s: consuming and publishing again',
    ])
    expect(link.state).toBe('connected')
    expect(link.reason).toBe('')
    for (const [to, n] of [['connected', 2], ['lost', 1], ['retrying', 1]] as const) {
      expect(await metric(metrics, new RegExp(`graticule_kafka_link_changes_total\\{to="${to}"\\} (\\d+)`))).toBe(n)
    }
    expect(await metric(metrics, /graticule_kafka_link_state\{state="connected"\} (\d+)/)).toBe(1)
    expect(await metric(metrics, /graticule_kafka_link_state\{state="lost"\} (\d+)/)).toBe(0)
  })
})

describe('ingestion with a publisher that fails, hangs or defers', () => {
  let dp: Dataplane
  beforeAll(async () => { dp = await Dataplane.start({ workers: 1 }) })
  afterAll(async () => { await dp.close() })

  /** An ingestion with one 'kafka' partition whose publisher does what `mode` says. */
  function setup() {
    const metrics = new GatewayMetrics(dp)
    const ing = new Ingestion(new ChainRunner(dp), new ChainRegistry(dp.catalog), metrics, { windows: { sizeMs: 1_000, allowedLatenessMs: 0 }, idleFlushMs: 60_000 })
    const state = { mode: 'fail' as 'fail' | 'ok' | 'defer' | 'hang', published: [] as WindowResult[], commits: [] as PartitionProgress[], release: () => {} }
    ing.openPartition('t/0', 'kafka', -Infinity, async (r) => {
      if (state.mode === 'fail') throw new Error('Connection error: connect ECONNREFUSED 127.0.0.1:9')
      if (state.mode === 'defer') throw new PublishDeferred('rejoining')
      if (state.mode === 'hang') await new Promise<void>((resolve) => { state.release = resolve })
      state.published.push(r)
    }, (p) => { state.commits.push(p) })
    // two windows' worth of points, and a third point that moves the watermark past both
    const ts = [0, 500, 1_000, 1_500, 2_500]
    ing.feedColumns('t/0', 0, ts.map((_, i) => `s${i}`), Float64Array.from(ts), new Float64Array(ts.length).fill(13.4), new Float64Array(ts.length).fill(52.5), new Float64Array(ts.length).fill(1))
    return { ing, metrics, state }
  }

  it('a failing publish: windows wait sealed, nothing is committed past them, readiness says why; then they go, in order', async () => {
    const { ing, metrics, state } = setup()
    await expect(ing.processAll(false)).resolves.toBeInstanceOf(Map) // never throws
    await ing.processAll(false)
    expect(state.published).toEqual([])
    expect(state.commits).toEqual([])
    expect(ing.publishing('kafka', 5_000)).toBe(false)
    expect(ing.publishProblem('kafka', 5_000)).toMatch(/^publishing t\/0 fails \(2 windows waiting\): Connection error/)
    expect(await metric(metrics, /graticule_windows_waiting\{source="kafka"\} (\d+)/)).toBe(2)
    expect(await metric(metrics, /graticule_window_publish_failures_total\{source="kafka"\} (\d+)/)).toBe(2)

    state.mode = 'ok'
    await ing.processAll(false)
    expect(state.published.map((r) => [r.windowStart, r.count])).toEqual([[0, 2], [1_000, 2]])
    expect(state.commits.at(-1)).toEqual({ committable: 0, closedUpTo: 2_000 }) // the open window [2000, 3000) holds record 0
    expect(ing.publishing('kafka', 5_000)).toBe(true)
    expect(await metric(metrics, /graticule_windows_waiting\{source="kafka"\} (\d+)/)).toBe(0)
  })

  it('a publisher that defers (its consumer rejoins): windows wait, and that is no failure', async () => {
    const { ing, metrics, state } = setup()
    state.mode = 'defer'
    await ing.processAll(false)
    expect(ing.publishing('kafka', 5_000)).toBe(true)
    expect(await metric(metrics, /graticule_window_publish_failures_total\{source="kafka"\} (\d+)/)).toBe(0)
    expect(await metric(metrics, /graticule_windows_waiting\{source="kafka"\} (\d+)/)).toBe(2)
    state.mode = 'ok'
    await ing.processAll(false)
    expect(state.published).toHaveLength(2)
  })

  it('a publish that hangs is seen once it has taken longer than the stall bound', async () => {
    const { ing, state } = setup()
    state.mode = 'hang'
    const run = ing.processAll(false)
    // the first window's chain has run and its publish hangs: past 100 ms it is a problem, within 60 s not yet
    await vi.waitFor(() => expect(ing.publishProblem('kafka', 100)).toMatch(/^publishing t\/0 has taken [\d.]+ s$/), { timeout: 10_000 })
    expect(ing.publishing('kafka', 60_000)).toBe(true)
    state.mode = 'ok'
    state.release()
    await run
    expect(ing.publishing('kafka', 100)).toBe(true)
    expect(state.published).toHaveLength(2)
  })

  it('ticks do not pile up behind a publish that waits for its broker', async () => {
    const { ing, state } = setup()
    state.mode = 'hang'
    let runs = 0
    const processAll = ing.processAll.bind(ing)
    ing.processAll = async (...a) => { runs++; return processAll(...a) }
    await ing.start()
    await vi.waitFor(() => expect(runs).toBe(1), { timeout: 10_000 })
    await new Promise((r) => setTimeout(r, 1_500)) // six more ticks of 250 ms while the first publish hangs
    expect(runs).toBe(1)
    state.mode = 'ok'
    state.release()
    // what is queued now runs before this marker: the hung run and one coalesced tick, not one per tick missed
    await ing.enqueue(async () => undefined)
    expect(runs).toBe(2)
    expect(state.published).toHaveLength(2)
    await ing.stop()
  })

  it('a window the chain refuses (a point at the pole has no Web Mercator y) is published once with the code, its points counted refused; the next window goes on', async () => {
    const { ing, metrics, state } = setup()
    state.mode = 'ok'
    // a window [3000, 4000) with a sensor at the north pole, and a point that closes it
    ing.feedColumns('t/0', 1, ['pole', 'ok', 'late'], Float64Array.of(3_100, 3_200, 4_500), Float64Array.of(0, 13.4, 13.4), Float64Array.of(90, 52.5, 52.5), Float64Array.of(1, 1, 1))
    const errors = vi.spyOn(console, 'error').mockImplementation(() => {})
    try {
      await ing.processAll(false)
      await ing.processAll(false) // not published, or tried, again
      // the chain's two branches (clusters, heatmap) refuse it alike; windows of a partition compute side by side, so
      // which of them says so first depends on how the dataplane's worker interleaves them
      expect(errors.mock.calls.map((c) => String(c[0]))).toEqual([expect.stringMatching(/^graticule: window t\/0\/3000 \(2 points\) refused by sensor-window: E_FAASLET_MALFORMED_INPUT: (cluster|heatmap): .*non-finite/)])
    } finally {
      errors.mockRestore()
    }
    expect(state.published.map((r) => [r.windowStart, r.count, r.error?.code ?? null])).toEqual([[0, 2, null], [1_000, 2, null], [2_000, 1, null], [3_000, 2, 'E_FAASLET_MALFORMED_INPUT']])
    expect(state.published[3].clusters).toBeNull()
    expect(state.commits.at(-1)?.closedUpTo).toBe(4_000)
    expect(await metric(metrics, /graticule_sensor_points_total\{source="kafka",outcome="refused"\} (\d+)/)).toBe(2)
    expect(await metric(metrics, /graticule_sensor_points_total\{source="kafka",outcome="out"\} (\d+)/)).toBe(5)
    expect(await metric(metrics, /graticule_window_publish_failures_total\{source="kafka"\} (\d+)/)).toBe(0)
    expect(ing.live.current()?.start).toBe(2_000) // the map keeps the last window it could draw
    expect(dp.tenant('default').arena.bytesInUse).toBe(0)
    await ing.stop()
  })
})
