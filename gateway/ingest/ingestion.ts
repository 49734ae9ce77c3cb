// One ingestion path for every source (Kafka, the built-in simulator, POST /ingest): points go into the
// event-time windows of their partition; closed windows run the sensor-window chain in shared memory (an edge's:
// window-partial, and its sink spools each closed window's partial first); each result is published (to
// graticule.results for Kafka) and served live. Window processing is serialised per
// partition — results of a partition leave in window order and its commit never overtakes its results — while
// partitions are processed at once: their windows' chains run side by side on the dataplane's workers. Processing
// never throws: a window that cannot be published waits, sealed, and is tried again every tick (and readiness says so).
import { INPUT_REFUSALS } from '../../dataplane/invoke.js'
import { planFor, type ChainRunner } from '../../chains/run.js'
import type { ChainRegistry } from '../../chains/registry.js'
import type { Chain } from '../../chains/chain.js'
import type { GatewayMetrics } from '../metrics.js'
import { LiveState } from './live-state.js'
import { DEFAULT_WINDOWS, PartitionWindows, SensorIndex, type AddResult, type ClosedWindow, type WindowConfig } from './windows.js'
import { windowResult, windowStats, type WindowResult } from './window-result.js'
import type { SensorPoint } from './sensor-record.js'
import type { DecodedRecords } from './sensor-decode.js'
import { SimulatorSource, type SimulatorSourceOptions } from './simulator-source.js'
import { KafkaSource, type KafkaSourceOptions } from './kafka-source.js'
import { stderrLogger, type IngestLogger } from './ingest-log.js'

export interface IngestionOptions {
  windows?: Partial<WindowConfig>
  /** a partition that receives nothing for this long (and has nothing queued) publishes its open windows provisionally */
  idleFlushMs?: number
  chain?: string
  chainParams?: Record<string, unknown>
  simulator?: SimulatorSourceOptions | null
  kafka?: KafkaSourceOptions | null
  tenant?: string
  /** where failures and the Kafka link's changes are told (the gateway's logger; default: lines on stderr) */
  log?: IngestLogger
  /** distinct sensor ids kept (windows.ts SensorIndex) */
  maxSensors?: number
  /** told of every closed window before its result is published (an edge spools its partial: gateway/edge) */
  sink?: WindowSink
  /** true while the sink cannot take a window (an edge's full spool): sealed windows wait without running their chains */
  sinkFull?: () => boolean
}

/**
 * A window closed by the watermark or a flush — never a provisional one — with its result and the late points its
 * partition refused since the last window told. Told before the result is published, so nothing is committed past
 * a window the sink has not taken; a sink that throws PublishDeferred makes the window wait, sealed, like a publisher.
 */
export type WindowSink = (closed: { result: WindowResult; window: ClosedWindow; late: number }) => Promise<void>

export interface PartitionProgress {
  committable: number
  closedUpTo: number
}

/** Sealed windows of a partition whose chains run at once (their results are published in order). */
const COMPUTE_AHEAD = 2

/** Thrown by a publisher that cannot publish *yet* (its consumer is rejoining its group): the window waits, no failure. */
export class PublishDeferred extends Error {}

type Publisher = (result: WindowResult) => Promise<void>
/** Notes that everything up to `progress` is published; the source commits it when it can (never awaited). */
type Committer = (progress: PartitionProgress) => void
/** Whether a partition's source has nothing more to deliver right now (Kafka: consumed up to the end). */
type CaughtUp = () => Promise<boolean>

interface Partition {
  windows: PartitionWindows
  source: string
  lastFeed: number
  publish: Publisher | null
  commit: Committer | null
  caughtUp: CaughtUp | null
  /** why the last attempt to publish this partition's windows failed; null once one succeeds */
  publishFailure: string | null
  /** late points not yet told to the sink */
  late: number
  /** when the publish under way began (0: none), to see one that hangs */
  publishingSince: number
  /** the partition's window processing, one run after the other */
  queue: Promise<unknown>
  /** a run requested and not begun yet: later requests join it */
  queued: Promise<PartitionProgress | null> | null
}

export class Ingestion {
  readonly live = new LiveState()
  readonly windowConfig: WindowConfig
  readonly sensors: SensorIndex
  private readonly partitions = new Map<string, Partition>()
  private readonly chain: Chain
  get chainName(): string { return this.chain.name }
  /** ticks, and what is enqueued behind everything (enqueue) */
  private queue: Promise<unknown> = Promise.resolve()
  private tick: NodeJS.Timeout | null = null
  /** a tick's processing is queued and has not begun: the next tick does not queue another */
  private tickQueued = false
  private readonly idleFlushMs: number
  private httpOffset = 0
  /** window chains running, at most maxComputing: as many as the dataplane has workers (at least 2) */
  private computing = 0
  private readonly maxComputing: number
  private readonly computeTurns: Array<() => void> = []
  readonly simulator: SimulatorSource | null
  readonly kafka: KafkaSource | null
  readonly log: IngestLogger
  stopped = false

  constructor(readonly runner: ChainRunner, chains: ChainRegistry, readonly metrics: GatewayMetrics, readonly opts: IngestionOptions) {
    // one counter for every sensor index of the gateway (the Kafka decoders' workers keep theirs): maxSensors bounds them all
    this.sensors = new SensorIndex(opts.maxSensors, new Int32Array(new SharedArrayBuffer(4)))
    this.log = opts.log ?? stderrLogger
    this.windowConfig = { ...DEFAULT_WINDOWS, ...opts.windows }
    this.idleFlushMs = opts.idleFlushMs ?? Math.max(2_000, this.windowConfig.allowedLatenessMs)
    this.maxComputing = Math.max(2, runner.dataplane.workers)
    this.chain = chains.get(opts.chain ?? 'sensor-window')
    // bound now, so a bad parameter stops the start rather than the first window
    planFor(runner.dataplane, this.chain, opts.chainParams ?? {})
    this.simulator = opts.simulator ? new SimulatorSource(this, opts.simulator) : null
    this.kafka = opts.kafka ? new KafkaSource(this, opts.kafka) : null
  }

  async start(): Promise<void> {
    this.tick = setInterval(() => this.scheduleTick(), Math.min(250, this.idleFlushMs / 2))
    this.tick.unref()
    try {
      if (this.kafka) await this.kafka.start()
    } catch (e) {
      // nothing runs on behind a source that could not start (the gateway does not start either)
      clearInterval(this.tick)
      this.stopped = true
      throw e
    }
    if (this.simulator) this.simulator.start()
  }

  /** Ticks coalesce: while publishing waits for a broker, ticks do not pile up behind it. */
  private scheduleTick(): void {
    if (this.tickQueued) return
    this.tickQueued = true
    const next = this.queue.then(() => {
      this.tickQueued = false
      return this.processAll(false)
    })
    this.queue = next.catch(() => undefined)
  }

  readiness(): Record<string, boolean> {
    return this.kafka ? this.kafka.health() : {}
  }

  /** No window of `source` waits on a failed publish, or on one under way for longer than `stallMs`. */
  publishing(source: string, stallMs: number): boolean {
    return this.publishProblem(source, stallMs) === ''
  }

  /** What holds up the results of `source` ('' when nothing does). */
  publishProblem(source: string, stallMs: number): string {
    const now = Date.now()
    for (const [key, p] of this.partitions) {
      if (p.source !== source) continue
      if (p.publishFailure !== null) return `publishing ${key} fails (${p.windows.sealedWindows} windows waiting): ${p.publishFailure}`
      if (p.publishingSince && now - p.publishingSince > stallMs) return `publishing ${key} has taken ${((now - p.publishingSince) / 1000).toFixed(1)} s`
    }
    return ''
  }

  /** Registers a partition (a Kafka source restores `closedUpTo` from its last commit). */
  openPartition(key: string, source: string, closedUpTo: number, publish: Publisher | null, commit: Committer | null = null, caughtUp: CaughtUp | null = null): void {
    const windows = new PartitionWindows(key, this.windowConfig, this.sensors, closedUpTo)
    // a sink hears of every closed window, also one whose provisional result stands
    windows.keepStanding = Boolean(this.opts.sink)
    this.partitions.set(key, {
      windows, source, lastFeed: Date.now(), publish, commit, caughtUp,
      publishFailure: null, late: 0, publishingSince: 0, queue: Promise.resolve(), queued: null,
    })
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
    return this.count(p, p.windows.add(offset, sensor, ts, lon, lat, value), n)
  }

  /** Same, for points already in columns (the Kafka fast path). */
  feedColumns(partition: string, offset: number, sensor: string[], ts: Float64Array, lon: Float64Array, lat: Float64Array, value: Float64Array): AddResult {
    const p = this.partitions.get(partition)
    if (!p) throw new Error(`partition ${partition} is not open`)
    p.lastFeed = Date.now()
    return this.count(p, p.windows.add(offset, sensor, ts, lon, lat, value), ts.length)
  }

  /**
   * Adds a decoded batch (a Kafka source's decoders: sensor ids from a SensorIndex sharing this one's counter) and
   * seals the windows its points closed — a window's close → result latency counts from here, not from whenever
   * its partition's processing comes round to it. The caller then asks for the partition to be processed.
   */
  feedRecords(partition: string, offsets: ArrayLike<number>, d: DecodedRecords): AddResult {
    const p = this.partitions.get(partition)
    if (!p) throw new Error(`partition ${partition} is not open`)
    p.lastFeed = Date.now()
    const r = p.windows.addRecords(offsets, d.ends, d.sensor, d.ts, d.lon, d.lat, d.value)
    p.windows.seal()
    return this.count(p, r, d.count)
  }

  private count(p: Partition, r: AddResult, n: number): AddResult {
    const { source } = p
    p.late += r.late
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

  /** Runs `fn` after every window processing already queued, of every partition (and before what is queued after it). */
  enqueue<T>(fn: () => Promise<T>): Promise<T> {
    const before = Promise.all([this.queue, ...[...this.partitions.values()].map((p) => p.queue)])
    const next = before.then(fn, fn)
    this.queue = next.catch(() => undefined)
    return next
  }

  /**
   * Processes `partition` soon (its windows the watermark passed, its commit): after the run under way, if any.
   * Requests coalesce: while one waits to begin, more join it. Never rejects.
   */
  requestProcessing(partition: string): Promise<PartitionProgress | null> {
    const p = this.partitions.get(partition)
    return p ? this.runPartition(partition, p, false) : Promise.resolve(null)
  }

  /**
   * Resolves at once when the partitions of `source` have fewer than `maxSealed` windows sealed and not yet published
   * (waiting for their chain, or in it), else once one of them is through its processing: a source feeding faster
   * than the chains keep up waits here, and the windows closed meanwhile wait that much less. (Windows waiting on a
   * failed publish do not count: they wait for the broker, retried on ticks, and the source is not held for them.)
   */
  async backlog(source: string, maxSealed: number): Promise<void> {
    let sealed = 0
    const busy: Array<Promise<unknown>> = []
    for (const p of this.partitions.values()) {
      if (p.source !== source || p.publishFailure !== null || p.windows.sealedWindows === 0) continue
      sealed += p.windows.sealedWindows
      busy.push(p.queue)
    }
    if (sealed >= maxSealed) await Promise.race(busy)
  }

  private runPartition(key: string, p: Partition, flush: boolean): Promise<PartitionProgress | null> {
    if (!flush && p.queued) return p.queued
    const next: Promise<PartitionProgress | null> = p.queue.then(() => {
      if (p.queued === next) p.queued = null
      return this.processPartition(key, p, flush)
    })
    p.queue = next.catch(() => undefined)
    if (!flush) p.queued = next
    return next
  }

  /**
   * Emits what is due in the given partitions (all when omitted), each partition after the processing it has under
   * way, the partitions at once: windows the watermark passed, and all open windows of partitions idle for
   * idleFlushMs or when `flush`. Returns each partition's progress. Never throws: a partition whose results cannot
   * be published keeps them sealed for the next tick.
   */
  async processAll(flush: boolean, only?: string[]): Promise<Map<string, PartitionProgress>> {
    const runs: Array<Promise<[string, PartitionProgress | null]>> = []
    for (const [key, p] of this.partitions) {
      if (only && !only.includes(key)) continue
      runs.push(this.runPartition(key, p, flush).then((at) => [key, at]))
    }
    const progress = new Map<string, PartitionProgress>()
    for (const [key, at] of await Promise.all(runs)) if (at) progress.set(key, at)
    return progress
  }

  /** One run of a partition's processing (never two at once for a partition: runPartition queues them). */
  private async processPartition(key: string, p: Partition, flush: boolean): Promise<PartitionProgress | null> {
    if (this.partitions.get(key) !== p) return null // dropped meanwhile
    // a partition is idle when nothing came for idleFlushMs *and* its source has nothing queued: a
    // partition merely waiting its turn behind a busy consumer must not have its windows cut short
    const idle = Date.now() - p.lastFeed >= this.idleFlushMs && p.windows.openWindows > 0 && (p.caughtUp ? await p.caughtUp().catch(() => false) : true)
    // a quiet partition's windows are published but stay open (provisional): only the watermark, or an
    // explicit flush, closes a window, so points held up somewhere upstream still count when they come
    p.windows.seal(flush)
    try {
      // the sealed windows' chains run side by side (a few ahead), their results leave in order
      for (let due = p.windows.sealedList(); due.length; due = p.windows.sealedList()) {
        if (this.opts.sinkFull?.()) throw new PublishDeferred('the window sink is full')
        const results: Array<Promise<WindowResult>> = []
        const start = (i: number) => {
          if (i >= due.length) return
          results[i] = this.compute(p, due[i])
          results[i].catch(() => undefined) // one that fails after an earlier publish failed is not waited for
        }
        for (let i = 0; i < COMPUTE_AHEAD; i++) start(i)
        for (let i = 0; i < due.length; i++) {
          const result = await results[i]
          start(i + COMPUTE_AHEAD)
          await this.publishResult(p, due[i], result)
          p.windows.emitted()
        }
      }
      if (idle && !flush) {
        for (const w of p.windows.provisional()) {
          await this.emit(p, w)
          p.windows.publishedProvisionally(w.start, w.points.count)
        }
      }
      p.publishFailure = null
    } catch (e) {
      // the partition went to another instance while we emitted (it replays what we did not commit), or
      // its source cannot publish yet: the sealed windows wait, nothing is committed past them
      if (this.partitions.get(key) !== p || e instanceof PublishDeferred) return null
      // publishing failed (broker away, …): the same, and readiness says so until a publish succeeds again
      if (p.publishFailure === null) this.log.warn({ partition: key, windows: p.windows.sealedWindows, err: e }, `publishing ${key} failed, retrying: ${(e as Error).message}`)
      p.publishFailure = (e as Error).message
      this.metrics.publishFailures.inc({ source: p.source })
      return null
    } finally {
      this.countWaiting(p.source)
    }
    const at = { committable: p.windows.committableOffset(), closedUpTo: p.windows.emittedUpTo }
    // results first, then the commit that lets them go: a crash in between only re-emits
    p.commit?.(at)
    return at
  }

  private countWaiting(source: string): void {
    let n = 0
    for (const p of this.partitions.values()) if (p.source === source) n += p.windows.sealedWindows
    this.metrics.windowsWaiting.set({ source }, n)
  }

  private async emit(p: Partition, w: ClosedWindow): Promise<void> {
    await this.publishResult(p, w, await this.compute(p, w))
  }

  private async publishResult(p: Partition, w: ClosedWindow, result: WindowResult): Promise<void> {
    const { source } = p
    if (this.opts.sink && !w.provisional) {
      const late = p.late
      await this.opts.sink({ result, window: w, late })
      p.late -= late
    }
    // closed unchanged since its provisional result: that result stands (only the sink had to hear of it)
    if (w.stands) return
    result.publishedAt = Date.now()
    if (p.publish) {
      p.publishingSince = Date.now()
      try {
        await p.publish(result)
      } finally {
        p.publishingSince = 0
      }
    }
    result.publishedAt = Date.now()
    const latencyMs = result.publishedAt - w.closedAt
    if (!w.provisional) {
      this.metrics.windowsClosed.inc({ source })
      this.metrics.windowLatency.observe({ source }, latencyMs / 1000)
    }
    // a window published again (after a provisional result) counts only its new points out
    this.metrics.sensorPoints.inc({ source, outcome: result.error ? 'refused' : 'out' }, result.count - w.countedBefore)
    // the live map draws what the chain computed; a refused window leaves the previous one on it
    if (!result.error) this.live.publish(result, w.points, latencyMs)
  }

  /**
   * The window's result. A chain that refuses the window's points with a faaslet's input code (a point its
   * reprojection cannot carry, say) refuses them on every try: retrying would hold the partition behind that
   * window for ever, so the result is published with the error and the points are counted out as refused.
   * Anything else (time limit, quota, a worker lost) may pass, and is thrown to be retried on the next tick.
   */
  private async compute(p: Partition, w: ClosedWindow): Promise<WindowResult> {
    // windows wait their turn here, oldest first: more chains at once than the dataplane has workers only share the
    // cores — every window later, none sooner (on 2 cores at 100k points/s, p50 close → result about halved with one
    // chain at a time against four) — and would take the tenant's invocations and arena from its HTTP callers
    while (this.computing >= this.maxComputing) await new Promise<void>((resolve) => this.computeTurns.push(resolve))
    this.computing++
    try {
      return await this.computeNow(p, w)
    } finally {
      this.computing--
      this.computeTurns.shift()?.()
    }
  }

  private async computeNow(p: Partition, w: ClosedWindow): Promise<WindowResult> {
    try {
      return await windowResult(this.runner, this.chain, this.opts.chainParams ?? {}, p.source, w, this.opts.tenant)
    } catch (e) {
      const code = (e as { code?: string }).code
      if (!code || !INPUT_REFUSALS.has(code)) throw e
      this.log.warn({ partition: w.partition, window: w.start, points: w.points.count, chain: this.chain.name, code, err: e }, `window ${w.partition}/${w.start} (${w.points.count} points) refused by ${this.chain.name}: ${code}: ${(e as Error).message}`)
      const empty: ClosedWindow = { ...w, points: { ...w.points, count: 0 } }
      const result = await windowResult(this.runner, this.chain, this.opts.chainParams ?? {}, p.source, empty, this.opts.tenant)
      return { ...result, count: w.points.count, ...windowStats(w.points), error: { code, message: (e as Error).message } }
    }
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
