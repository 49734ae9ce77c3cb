// One ingestion path for every source (Kafka, the built-in simulator, POST /ingest): points go into the
// event-time windows of their partition; closed windows run the sensor-window chain in shared memory; each
// result is published (to graticule.results for Kafka) and served live. Window processing is serialised,
// so results of a partition leave in window order and a commit never overtakes its results.
import type { Dataplane } from '../../dataplane/dataplane.js'
import type { Plan } from '../../dataplane/plan.js'
import { bindChain } from '../../chains/bind.js'
import type { ChainRegistry } from '../../chains/registry.js'
import type { Chain } from '../../chains/chain.js'
import type { GatewayMetrics } from '../metrics.js'
import { LiveState } from './live-state.js'
import { DEFAULT_WINDOWS, PartitionWindows, SensorIndex, type AddResult, type ClosedWindow, type WindowConfig } from './windows.js'
import { windowResult, type WindowResult } from './window-result.js'
import type { SensorPoint } from './sensor-record.js'
import { SimulatorSource, type SimulatorSourceOptions } from './simulator-source.js'
import { KafkaSource, type KafkaSourceOptions } from './kafka-source.js'

export interface IngestionOptions {
  windows?: Partial<WindowConfig>
  /** a partition that receives nothing for this long (and has nothing queued) publishes its open windows provisionally */
  idleFlushMs?: number
  chain?: string
  chainParams?: Record<string, unknown>
  simulator?: SimulatorSourceOptions | null
  kafka?: KafkaSourceOptions | null
  tenant?: string
}

export interface PartitionProgress {
  committable: number
  closedUpTo: number
}

type Publisher = (result: WindowResult) => Promise<void>
type Committer = (progress: PartitionProgress) => Promise<void>
/** Whether a partition's source has nothing more to deliver right now (Kafka: consumed up to the end). */
type CaughtUp = () => Promise<boolean>

export class Ingestion {
  readonly live = new LiveState()
  readonly windowConfig: WindowConfig
  readonly sensors = new SensorIndex()
  private readonly partitions = new Map<string, { windows: PartitionWindows; source: string; lastFeed: number; publish: Publisher | null; commit: Committer | null; caughtUp: CaughtUp | null }>()
  private readonly chain: Chain
  get chainName(): string { return this.chain.name }
  private readonly plan: Plan
  private queue: Promise<unknown> = Promise.resolve()
  private tick: NodeJS.Timeout | null = null
  private readonly idleFlushMs: number
  private httpOffset = 0
  readonly simulator: SimulatorSource | null
  readonly kafka: KafkaSource | null
  stopped = false
  /** the last publish failure, until a publish succeeds again */
  private publishError: string | null = null

  constructor(readonly dataplane: Dataplane, chains: ChainRegistry, readonly metrics: GatewayMetrics, readonly opts: IngestionOptions) {
    this.windowConfig = { ...DEFAULT_WINDOWS, ...opts.windows }
    this.idleFlushMs = opts.idleFlushMs ?? Math.max(2_000, this.windowConfig.allowedLatenessMs)
    this.chain = chains.get(opts.chain ?? 'sensor-window')
    this.plan = bindChain(this.chain, opts.chainParams ?? {}, dataplane.catalog)
    this.simulator = opts.simulator ? new SimulatorSource(this, opts.simulator) : null
    this.kafka = opts.kafka ? new KafkaSource(this, opts.kafka) : null
  }

  async start(): Promise<void> {
    this.tick = setInterval(() => { void this.enqueue(() => this.processAll(false)) }, Math.min(250, this.idleFlushMs / 2))
    this.tick.unref()
    if (this.kafka) await this.kafka.start()
    if (this.simulator) this.simulator.start()
  }

  readiness(): Record<string, boolean> {
    return this.kafka ? { kafka: this.kafka.ready(), publishing: this.publishError === null } : {}
  }

  /** Registers a partition (a Kafka source restores `closedUpTo` from its last commit). */
  openPartition(key: string, source: string, closedUpTo: number, publish: Publisher | null, commit: Committer | null = null, caughtUp: CaughtUp | null = null): void {
    this.partitions.set(key, { windows: new PartitionWindows(key, this.windowConfig, this.sensors, closedUpTo), source, lastFeed: Date.now(), publish, commit, caughtUp })
  }

  /** Forgets a partition this instance no longer owns, without emitting its open windows. */
  dropPartition(key: string): void {
    this.partitions.delete(key)
  }

  hasPartition(key: string): boolean {
    return this.partitions.has(key)
  }

  /** Adds a record's points to its partition's windows. */
  feed(partition: string, offset: number, points: SensorPoint[]): AddResult {
    const p = this.partitions.get(partition)
    if (!p) throw new Error(`partition ${partition} is not open`)
    p.lastFeed = Date.now()
    const n = points.length
    const sensor = new Array<string>(n), ts = new Float64Array(n), lon = new Float64Array(n), lat = new Float64Array(n), value = new Float64Array(n)
    for (let i = 0; i < n; i++) {
      const q = points[i]
      sensor[i] = q.sensor; ts[i] = q.ts; lon[i] = q.lon; lat[i] = q.lat; value[i] = q.value
    }
    return this.count(p.source, p.windows.add(offset, sensor, ts, lon, lat, value), n)
  }

  /** Same, for points already in columns (the Kafka fast path). */
  feedColumns(partition: string, offset: number, sensor: string[], ts: Float64Array, lon: Float64Array, lat: Float64Array, value: Float64Array): AddResult {
    const p = this.partitions.get(partition)
    if (!p) throw new Error(`partition ${partition} is not open`)
    p.lastFeed = Date.now()
    return this.count(p.source, p.windows.add(offset, sensor, ts, lon, lat, value), ts.length)
  }

  private count(source: string, r: AddResult, n: number): AddResult {
    const m = this.metrics.sensorPoints
    m.inc({ source, outcome: 'in' }, n)
    if (r.duplicates) m.inc({ source, outcome: 'deduplicated' }, r.duplicates)
    if (r.late) m.inc({ source, outcome: 'late' }, r.late)
    if (r.overflow) m.inc({ source, outcome: 'overflow' }, r.overflow)
    return r
  }

  /** Points over HTTP (POST /ingest) go through their own partition. */
  ingestHttp(points: SensorPoint[]): AddResult {
    if (!this.partitions.has('http/0')) this.openPartition('http/0', 'http', -Infinity, null)
    return this.feed('http/0', this.httpOffset++, points)
  }

  /** Runs `fn` after every window processing already queued (results leave in order). */
  enqueue<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.queue.then(fn, fn)
    this.queue = next.catch(() => undefined)
    return next
  }

  /**
   * Emits what is due in the given partitions (all when omitted): windows the watermark passed, and all
   * open windows of partitions idle for idleFlushMs or when `flush`. Returns each partition's progress.
   */
  async processAll(flush: boolean, only?: string[]): Promise<Map<string, PartitionProgress>> {
    const progress = new Map<string, PartitionProgress>()
    const now = Date.now()
    for (const [key, p] of this.partitions) {
      if (only && !only.includes(key)) continue
      // a partition is idle when nothing came for idleFlushMs *and* its source has nothing queued: a
      // partition merely waiting its turn behind a busy consumer must not have its windows cut short
      const idle = now - p.lastFeed >= this.idleFlushMs && p.windows.openWindows > 0 && (p.caughtUp ? await p.caughtUp() : true)
      // a quiet partition's windows are published but stay open (provisional): only the watermark, or an
      // explicit flush, closes a window, so points held up somewhere upstream still count when they come
      p.windows.seal(flush)
      try {
        for (let w = p.windows.nextSealed(); w; w = p.windows.nextSealed()) {
          await this.emit(p.source, w, p.publish)
          p.windows.emitted()
        }
        if (idle && !flush) {
          for (const w of p.windows.provisional()) {
            await this.emit(p.source, w, p.publish)
            p.windows.publishedProvisionally(w.start, w.points.count)
          }
        }
        this.publishError = null
      } catch (e) {
        // the partition went to another instance while we emitted (it replays what we did not commit)
        if (this.partitions.get(key) !== p) continue
        // publishing failed (broker down, …): the sealed windows wait for the next tick, nothing is
        // committed past them, and readiness says so until a publish succeeds again
        if (!this.publishError) console.error(`graticule: publishing ${key} failed, retrying: ${(e as Error).message}`)
        this.publishError = (e as Error).message
        this.metrics.publishFailures.inc({ source: p.source })
        continue
      }
      const at = { committable: p.windows.committableOffset(), closedUpTo: p.windows.emittedUpTo }
      progress.set(key, at)
      // results first, then the commit that lets them go: a crash in between only re-emits
      if (p.commit && this.partitions.get(key) === p) await p.commit(at)
    }
    return progress
  }

  private async emit(source: string, w: ClosedWindow, publish: Publisher | null): Promise<void> {
    const result = await windowResult(this.dataplane, this.chain, this.plan, source, w, this.opts.tenant)
    result.publishedAt = Date.now()
    if (publish) await publish(result)
    result.publishedAt = Date.now()
    const latencyMs = result.publishedAt - w.closedAt
    if (!w.provisional) {
      this.metrics.windowsClosed.inc({ source })
      this.metrics.windowLatency.observe({ source }, latencyMs / 1000)
    }
    // a window published again (after a provisional result) counts only its new points out
    this.metrics.sensorPoints.inc({ source, outcome: 'out' }, result.count - w.countedBefore)
    this.live.publish(result, w.points, latencyMs)
  }

  /** Stop intake, finish open windows, commit, close. */
  async stop(): Promise<void> {
    if (this.stopped) return
    this.stopped = true
    if (this.tick) clearInterval(this.tick)
    this.simulator?.stop()
    if (this.kafka) await this.kafka.stop()
    else await this.enqueue(() => this.processAll(true))
  }
}
