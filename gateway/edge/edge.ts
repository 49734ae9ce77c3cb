// The edge role (`graticule serve --role edge`): the gateway ingests and serves its own sensors exactly as ever, and
// for every window it closes (by the watermark, or flushed at shutdown; never a provisional one) it sends one
// WindowPartial upstream. The ingestion runs the window-partial chain on each closed window and hands it to `sink`,
// which appends the partial to the spool on disk — all the ingestion path ever waits for, so an uplink that is down
// never slows the windows or the live map. A drainer sends what the spool holds, in order, backing off up to 2 s
// while the upstream is away; a heartbeat says once a second how far the edge is.
import type { Registry } from 'prom-client'
import { fail } from '../../errors/index.js'
import type { KafkaClientSettings } from '../ingest/kafka-client.js'
import { stderrLogger, type IngestLogger } from '../ingest/ingest-log.js'
import { PublishDeferred, type IngestionOptions, type WindowSink } from '../ingest/ingestion.js'
import type { SensorIndex } from '../ingest/windows.js'
import { encodePartialAsync, type TileSet } from '../partials/partial.js'
import { EdgeMetrics } from './edge-metrics.js'
import { chainParams, EDGE_CHAIN, partialOf } from './partial-of.js'
import { DEFAULT_SPOOL_MAX_BYTES, DEFAULT_TILE_SET, defaultEdgeId, defaultSpoolDir, type UplinkKind } from './defaults.js'
import { Spool, type SpoolFullPolicy, type SpoolOptions } from './spool.js'
import { RecordTooLarge, Uplink, type UplinkTopics } from './uplink.js'

export interface EdgeOptions {
  /** the cloud's Kafka brokers, host:port */
  upstream: string[]
  /** TLS and SASL of the upstream cluster */
  client?: KafkaClientSettings
  /** default: the host name */
  edgeId?: string
  /** partials (grid and clusters, default) or raw (the window's points) */
  uplink?: UplinkKind
  /** default: ~/.graticule/spool/<edge id> */
  spoolDir?: string
  spoolMaxBytes?: number
  spoolFull?: SpoolFullPolicy
  spoolSegmentBytes?: number
  tileSet?: Partial<TileSet>
  clusterZoom?: number
  topics?: Partial<UplinkTopics>
  /** partitions of the partials topic when the edge creates it (default 8) */
  partitions?: number
  heartbeatMs?: number
  /** how long closing goes on sending what the spool holds, while the upstream takes it (default 3 s) */
  closeDrainMs?: number
}

const MAX_BATCH_RECORDS = 256
/** Under the brokers' default record-batch limit (1 MiB) with room to spare */
const MAX_BATCH_BYTES = 768 << 10
const MAX_BACKOFF_MS = 2_000

/** Resolves after `ms`, or when `stop` does; its timer keeps no process alive. */
const sleep = (ms: number, stop: Promise<void>) => Promise.race([new Promise<void>((r) => setTimeout(r, ms).unref()), stop])

/** Waits for `p` at most `ms` (the process kept alive meanwhile, and not after). */
async function within(ms: number, p: Promise<unknown> | null): Promise<void> {
  let timer: NodeJS.Timeout | undefined
  await Promise.race([...(p ? [p] : []), new Promise<void>((r) => { timer = setTimeout(r, ms) })])
  clearTimeout(timer)
}

export class Edge {
  readonly id: string
  readonly kind: UplinkKind
  readonly tileSet: TileSet
  readonly uplink: Uplink
  readonly metrics: EdgeMetrics
  private readonly clusterZoom: number | undefined
  private readonly spoolOptions: SpoolOptions
  private opened: Spool | null = null
  private readonly closeDrainMs: number
  private readonly heartbeatMs: number
  /** null until the first connection attempt says */
  private up: boolean | null = null
  private upSince = Date.now()
  private lastError = ''
  private lastSent: { at: number; windowStart: number } | null = null
  private tooLarge = 0
  private sentRecords = 0
  private drainer: Promise<void> | null = null
  private heartbeat: NodeJS.Timeout | null = null
  private heartbeatInFlight = false
  private stopping = false
  private stopped!: () => void
  private readonly stop = new Promise<void>((resolve) => { this.stopped = resolve })
  /** the spool refuses appends (block): told once, and once when it takes them again */
  private full = false
  /** the size of the partial it refused last */
  private refused = 0
  /** per partition, the window last spooled: a window whose local publish failed after it was spooled is not spooled twice */
  private readonly lastSpooled = new Map<string, string>()
  /** late points of a window not spooled twice, for the partition's next partial */
  private readonly carryLate = new Map<string, number>()
  private sensors: SensorIndex | null = null
  private readonly names = new Map<number, string>()
  private named = 0

  constructor(opts: EdgeOptions, registry: Registry, private readonly log: IngestLogger = stderrLogger) {
    if (!opts.upstream.length || opts.upstream.some((b) => !/^[^\s:]+:\d+$/.test(b))) throw fail('E_BAD_CONFIG', 'upstream', `expected host:port[,host:port], got "${opts.upstream.join(',')}"`)
    this.id = opts.edgeId || defaultEdgeId()
    this.kind = opts.uplink ?? 'partials'
    this.tileSet = { ...DEFAULT_TILE_SET, ...opts.tileSet }
    this.clusterZoom = opts.clusterZoom
    this.closeDrainMs = opts.closeDrainMs ?? 3_000
    this.heartbeatMs = opts.heartbeatMs ?? 1_000
    this.metrics = new EdgeMetrics(registry, () => this.opened)
    this.metrics.uplinkUp.set(0)
    this.spoolOptions = {
      dir: opts.spoolDir ?? defaultSpoolDir(this.id), maxBytes: opts.spoolMaxBytes ?? DEFAULT_SPOOL_MAX_BYTES, full: opts.spoolFull,
      segmentBytes: opts.spoolSegmentBytes, log,
      dropped: (records, points) => { this.metrics.droppedRecords.inc(records); this.metrics.droppedPoints.inc(points) },
    }
    this.uplink = new Uplink({ brokers: opts.upstream, client: opts.client, edge: this.id, topics: opts.topics, partitions: opts.partitions, log })
  }

  /** What the ingestion of an edge runs: the window-partial chain on the tile set, every closed window told to the sink. */
  ingestionOptions(): Pick<IngestionOptions, 'chain' | 'chainParams' | 'sink' | 'sinkFull'> {
    return { chain: EDGE_CHAIN, chainParams: chainParams(this.tileSet, this.clusterZoom), sink: this.sink, sinkFull: () => this.blocked() }
  }

  /** The spool refused a partial and has not drained enough for it since: windows wait without computing theirs. */
  private blocked(): boolean {
    if (!this.full || !this.opened) return false
    const w = this.opened.waiting
    return w.bytes > 0 && w.bytes + this.refused > this.opened.maxBytes
  }

  /** The ingestion's sensor index: raw partials name their sensors from it. */
  attach(sensors: SensorIndex): void {
    this.sensors = sensors
  }

  /** The spool, once start() opened it. */
  get spool(): Spool {
    if (!this.opened) throw fail('E_SPOOL', this.spoolOptions.dir, 'it is not open yet')
    return this.opened
  }

  /**
   * Opens the spool (recovering what a crash left: E_SPOOL when it cannot, or another process has it), then starts
   * sending what it holds, and the heartbeat; never waits for the upstream.
   */
  start(): void {
    if (this.opened) return
    this.opened = new Spool(this.spoolOptions)
    const r = this.opened.recovered
    if (r.records || r.torn) this.log.info({ spool: this.opened.dir, ...r }, `edge ${this.id}: spool ${this.opened.dir} holds ${r.records} records to send${r.torn ? ` (${r.torn} torn records cut off)` : ''}`)
    this.drainer = this.drain()
    this.heartbeat = setInterval(() => this.beat(), this.heartbeatMs)
    this.heartbeat.unref()
  }

  /** A closed window's partial, into the spool (fsync'd). A full spool (block) defers the window: it waits, sealed. */
  readonly sink: WindowSink = async ({ result, window: w, late }) => {
    const memo = `${w.start}/${w.points.count}`
    if (this.lastSpooled.get(w.partition) === memo) {
      this.carryLate.set(w.partition, (this.carryLate.get(w.partition) ?? 0) + late)
      return
    }
    const carried = this.carryLate.get(w.partition) ?? 0
    const partial = partialOf({ edge: this.id, tileSet: this.tileSet, kind: this.kind, sensorName: (id) => this.sensorName(id) }, result, w, late + carried)
    const value = await encodePartialAsync(partial)
    try {
      await this.spool.append({ windowStart: w.start, points: w.points.count, kind: this.kind === 'raw' ? 'raw' : 'partial' }, value)
    } catch (e) {
      if ((e as { code?: string }).code !== 'E_SPOOL_FULL') throw e
      this.refused = value.length
      if (!this.full) this.log.warn({ edge: this.id, window: w.start, partition: w.partition }, `edge ${this.id}: ${(e as Error).message}`)
      this.full = true
      throw new PublishDeferred((e as Error).message)
    }
    this.carryLate.delete(w.partition)
    this.lastSpooled.set(w.partition, memo)
    if (this.full) this.log.info({ edge: this.id }, `edge ${this.id}: the spool takes partials again`)
    this.full = false
  }

  private sensorName(id: number): string {
    let name = this.names.get(id)
    if (name === undefined && this.sensors) {
      // names the index gave since the last look (ids of the Kafka decoders' own indexes are not among them)
      for (const all = this.sensors.names; this.named < all.length; this.named++) this.names.set(this.sensors.id(all[this.named]), all[this.named])
      name = this.names.get(id)
    }
    return name ?? `#${id}`
  }

  private setUp(up: boolean, err?: unknown): void {
    if (err) this.lastError = (err as Error).message
    if (up === this.up) return
    this.up = up
    this.upSince = Date.now()
    this.metrics.uplinkUp.set(up ? 1 : 0)
    const waiting = this.spool.waiting
    if (up) this.log.info({ edge: this.id, spooled: waiting.records }, `edge ${this.id}: uplink connected (${waiting.records} partials waiting)`)
    else this.log.warn({ edge: this.id, spooled: waiting.records, err }, `edge ${this.id}: uplink down, spooling: ${this.lastError}`)
  }

  /** Sends what the spool holds, in order, for as long as the edge runs; backs off 100 ms → 2 s while it cannot. */
  private async drain(): Promise<void> {
    let backoff = 100
    let failures = 0
    while (!this.stopping) {
      try {
        if (!this.uplink.connected) await this.uplink.connect()
        this.setUp(true)
        if (this.spool.waiting.records) await this.sendBatch()
        else await Promise.race([this.spool.whenWaiting(), sleep(1_000, this.stop)])
        backoff = 100
        failures = 0
      } catch (e) {
        if (this.stopping) break
        this.setUp(false, e)
        // a producer failing again and again gets fresh connections
        if (++failures % 5 === 0) await this.uplink.reset()
        await sleep(backoff, this.stop)
        backoff = Math.min(MAX_BACKOFF_MS, backoff * 2)
      }
    }
  }

  private async sendBatch(): Promise<void> {
    const { records, upTo } = await this.spool.read(MAX_BATCH_RECORDS, MAX_BATCH_BYTES)
    try {
      if (records.length) await this.uplink.send(records)
    } catch (e) {
      if (!(e instanceof RecordTooLarge)) throw e
      // one by one, to find the records the broker will never take: those are given up, counted
      for (const r of records) {
        try {
          await this.uplink.send([r])
          this.sent([r])
        } catch (e1) {
          if (!(e1 instanceof RecordTooLarge)) throw e1
          this.tooLarge++
          this.metrics.droppedRecords.inc()
          this.metrics.droppedPoints.inc(r.points)
          this.log.error({ edge: this.id, window: r.windowStart, bytes: r.value.length }, `edge ${this.id}: the upstream refuses the ${r.kind} of window ${r.windowStart} (${r.value.length} bytes) as too large: dropped`)
        }
        await this.spool.ack(r.seq + 1)
      }
      await this.spool.ack(upTo)
      return
    }
    this.sent(records)
    await this.spool.ack(upTo)
  }

  private sent(records: Array<{ kind: 'partial' | 'raw'; value: Uint8Array; windowStart: number }>): void {
    for (const r of records) {
      this.metrics.sentRecords.inc({ kind: r.kind })
      this.metrics.sentBytes.inc({ kind: r.kind }, r.value.length)
    }
    this.sentRecords += records.length
    if (records.length) this.lastSent = { at: Date.now(), windowStart: records[records.length - 1].windowStart }
  }

  /** A heartbeat, unless the last one is still on its way or the uplink is down (heartbeats are not spooled). */
  private beat(): void {
    if (this.heartbeatInFlight || !this.uplink.connected || this.stopping) return
    this.heartbeatInFlight = true
    const w = this.spool.waiting
    this.uplink.heartbeat({
      edge: this.id, at: Date.now(), newestClosedWindow: this.spool.newestWindow, spooledRecords: w.records, spoolBytes: w.bytes,
      oldestSpooledWindow: w.oldestWindow, sentRecords: this.sentRecords,
    }).then(() => this.setUp(true), (e) => {
      // the drainer reconnects (and backs off) before it sends again
      this.uplink.connected = false
      this.setUp(false, e)
    }).finally(() => { this.heartbeatInFlight = false })
  }

  /** GET /edge: who this edge is, whether it reaches the upstream, and what its spool holds. */
  status(): EdgeStatus {
    const w = this.spool.waiting
    return {
      edge: this.id,
      uplink: { kind: this.kind, topics: this.uplink.topics, connected: this.up === true, since: this.upSince, lastError: this.lastError, lastSent: this.lastSent, sentRecords: this.sentRecords },
      spool: {
        dir: this.spool.dir, records: w.records, bytes: w.bytes, maxBytes: this.spool.maxBytes, full: this.spool.full, oldestWindow: w.oldestWindow,
        newestWindow: this.spool.newestWindow, dropped: { records: this.spool.dropped.records + this.tooLarge, points: this.spool.dropped.points },
      },
      tileSet: this.tileSet,
    }
  }

  /**
   * After the ingestion stopped (its last windows spooled): sends what the spool holds while the upstream takes it, for
   * at most closeDrainMs, then stops. What is not sent stays in the spool for the next start.
   */
  async close(): Promise<void> {
    if (this.heartbeat) clearInterval(this.heartbeat)
    if (!this.opened) return void (await this.uplink.close())
    const deadline = Date.now() + this.closeDrainMs
    while (this.drainer && this.up && this.spool.waiting.records > 0 && Date.now() < deadline) await within(20, null)
    this.stopping = true
    this.stopped()
    // a send under way is cut short by the disconnect; its records are sent again next time
    await within(1_000, this.drainer)
    await this.uplink.close()
    await within(10_000, this.drainer)
    await this.spool.close()
    this.metrics.uplinkUp.set(0)
  }
}

export interface EdgeStatus {
  edge: string
  uplink: {
    kind: UplinkKind
    topics: UplinkTopics
    /** the last connection, send or heartbeat succeeded */
    connected: boolean
    /** since when (ms) it is so */
    since: number
    lastError: string
    /** when a record was last acknowledged, and its window */
    lastSent: { at: number; windowStart: number } | null
    sentRecords: number
  }
  spool: {
    dir: string
    records: number
    bytes: number
    maxBytes: number
    full: SpoolFullPolicy
    oldestWindow: number | null
    newestWindow: number | null
    dropped: { records: number; points: number }
  }
  tileSet: TileSet
}
