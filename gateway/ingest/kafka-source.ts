// Sensor points from Kafka (kafkajs): a consumer group on the sensor topic; each partition has its own
// windows; offsets are committed only after the results of the windows they complete are published
// (at-least-once), with the partition's `closedUpTo` in the commit metadata so a new owner — after a
// crash or a rebalance — knows which windows were already emitted.
//
// Surviving the broker (issue 13). kafkajs gives a consumer up for good when its batch handler throws an error it
// calls non-retriable: after a slow broker restart the group coordinator has expired our member, the first
// commit answers "the coordinator is not aware of this member", and that error, thrown from the handler, used to
// kill the consumer while the process stayed up and /readyz said ready. So here:
//   - the batch handler never throws our own failures: publishing and committing are the ingestion's business
//     and are retried by it; only kafkajs's own heartbeat errors (rebalance, unknown member) reach kafkajs,
//     which rejoins on them;
//   - commits run in the background, one at a time per partition, never holding up publishing;
//   - a consumer kafkajs gave up, or one that shows no sign of life, is replaced by a new one (backing off);
//   - readiness and the link state are judged by progress — a consumer that fetches, results that publish —
//     never by connection state. Every change of the link is logged and counted (kafka-link.ts).
//
// The main thread only moves bytes (issue 14). A fetched batch is handled whole: its new records' values are copied
// into one buffer and handed to a decoder worker (decode-pool.ts) — one per partition, so a partition's batches stay
// in order — and kafkajs goes on fetching. The columns that come back go into the partition's windows, in order;
// windows the watermark passed are sealed there and then, and processed on the partition's own queue, so windows of
// different partitions compute at once while each partition publishes, then commits, in order. The consumer is held
// only when it runs too far ahead: a partition with too many batches in its decoder, or windows sealed faster than
// the chains compute them (a window that waits for a core the next batches are decoded on waits that much longer).
import { availableParallelism } from 'node:os'
import { setTimeout as sleep } from 'node:timers/promises'
import { Kafka, Partitioners, type Admin, type Consumer, type Producer, type EachBatchPayload, type RetryOptions } from 'kafkajs'
import { SensorDecoders } from './decode-pool.js'
import { kafkaConfig, kafkaConnectError, type KafkaClientSettings } from './kafka-client.js'
import { PublishDeferred, type Ingestion, type PartitionProgress } from './ingestion.js'
import type { WindowResult } from './window-result.js'
import { KafkaLink } from './kafka-link.js'

export interface KafkaSourceOptions {
  brokers: string[]
  /** TLS, SASL and timeouts the cluster wants (kafka-client.ts) */
  client?: KafkaClientSettings
  topic?: string
  resultsTopic?: string
  groupId?: string
  clientId?: string
  /** partitions to create the topics with when they do not exist */
  partitions?: number
  /** a consumer with no sign of life (a fetch, a batch, a heartbeat) for this long is not consuming: readiness 503 (default 5 s) */
  stallMs?: number
  /** ... and after this long the gateway replaces it with a new one (default 30 s) */
  replaceAfterMs?: number
  /** worker threads that decode sensor records (default: the cores but one, at least 1, at most 4) */
  decodeWorkers?: number
}

interface CommitMeta {
  closedUpTo: number
}

/** Publishing and offset look-ups fail fast while the broker is away: the ingestion retries them every tick. */
const FAST_RETRY: RetryOptions = { retries: 3, initialRetryTime: 200, maxRetryTime: 1_000 }

/** Fetches large enough that a partition's batch carries thousands of records (kafkajs: 1 MB a partition, 10 MB in all). */
const FETCH = { maxBytesPerPartition: 4 << 20, maxBytes: 16 << 20 }
/** Batches of a partition handed to its decoder and not yet in its windows, before its consumer waits. */
const MAX_BATCHES_DECODING = 2
/** Windows sealed and waiting for their chain and publish, of all partitions, before the consumer waits. */
const MAX_WINDOWS_WAITING = 2

/** A partition's decoder: its worker, and the batches on their way through it. */
interface Pin {
  slot: number
  /** the generation of the slot's worker when the partition was pinned: the sensor ids in its windows are that worker's */
  generation: number
  /** batches handed to the decoder and not yet in the windows, oldest first (each resolves once it is in, never rejects) */
  pending: Array<Promise<void>>
  /** the newest of them: a batch goes into the windows after the one before */
  tail: Promise<void>
}

export class KafkaSource {
  private readonly kafka: Kafka
  private consumer: Consumer
  /** bumped for each new consumer: events of a replaced one are ignored */
  private generation = 0
  private readonly producer: Producer
  private readonly admin: Admin
  readonly topic: string
  readonly resultsTopic: string
  readonly groupId: string
  readonly link: KafkaLink
  private readonly stallMs: number
  private readonly replaceAfterMs: number
  /** the current consumer is a member of the group with a known assignment */
  private joined = false
  private lastSignOfLife = Date.now()
  private inBatch = 0
  private batchStartedAt = 0
  private replacing = false
  private replaceAttempts = 0
  private stopping = false
  private watchdog: NodeJS.Timeout | null = null
  private readonly committed = new Map<number, string>()
  private readonly wantCommit = new Map<number, PartitionProgress>()
  private readonly committing = new Map<number, Promise<void>>()
  private commitFailing = false
  private readonly opening = new Map<number, Promise<void>>()
  private owned = new Set<number>()
  /** last offset fed per partition (handed to its decoder), and the topic's end offsets (refreshed at most once a second) */
  private readonly fed = new Map<number, number>()
  private ends: { at: number; offsets: Map<number, number> } | null = null
  private decoders: SensorDecoders | null = null
  private readonly pins = new Map<number, Pin>()
  /** partitions being read again from their last commit (replay), with the consumer generation that began it: not fed meanwhile */
  private readonly replaying = new Map<number, number>()

  constructor(private readonly ingestion: Ingestion, private readonly opts: KafkaSourceOptions) {
    this.topic = opts.topic ?? 'graticule.sensors'
    this.resultsTopic = opts.resultsTopic ?? 'graticule.results'
    this.groupId = opts.groupId ?? 'graticule'
    this.stallMs = opts.stallMs ?? 5_000
    this.replaceAfterMs = opts.replaceAfterMs ?? 30_000
    this.link = new KafkaLink(ingestion.metrics, ingestion.log)
    // one configuration (settings checked and certificate files read once), two retry policies
    const config = kafkaConfig(opts.brokers, opts.client ?? {}, { clientId: opts.clientId ?? `graticule-${process.pid}`, log: ingestion.log })
    const client = (retry: RetryOptions) => ({ ...config, retry })
    // the consumer's client is patient: its group membership is worth keeping through a broker's hiccup
    this.kafka = new Kafka(client({ retries: 10, initialRetryTime: 200, maxRetryTime: 5_000 }))
    // publishing and offset look-ups fail fast, down to the broker connection and metadata refresh: a send that
    // waited ~30 s for its broker held up its batch, and with it the consumer (seen)
    const fast = new Kafka(client(FAST_RETRY))
    this.consumer = this.newConsumer()
    // not idempotent: a window published twice is harmless (results are upserted by window key), while an
    // idempotent session does not survive its broker's death — after a failed send, its sequence numbers
    // can make the restarted broker drop another window as a "duplicate" (seen: one window lost across a
    // broker SIGKILL). One request in flight keeps results in order.
    this.producer = fast.producer({ allowAutoTopicCreation: true, idempotent: false, maxInFlightRequests: 1, createPartitioner: Partitioners.DefaultPartitioner })
    this.admin = fast.admin()
  }

  /** What /readyz reports: the consumer consumes, and no window waits on a failed or stalled publish. */
  health(): { kafka: boolean; publishing: boolean } {
    return { kafka: this.consuming(), publishing: this.ingestion.publishing('kafka', this.stallMs) }
  }

  /** Partitions of the sensor topic this instance owns now. */
  get partitions(): number[] {
    return [...this.owned].sort((a, b) => a - b)
  }

  private key(partition: number): string {
    return `${this.topic}/${partition}`
  }

  /**
   * Creates the topics if needed, connects, joins the group. A cluster that cannot be reached or refuses us (bad
   * credentials, an untrusted certificate) fails the start with an error that says so, and the link says 'lost'.
   */
  async start(): Promise<void> {
    try {
      await this.setUpTopics()
      await Promise.all([this.admin.connect(), this.producer.connect()])
      const workers = this.opts.decodeWorkers ?? Math.max(1, Math.min(4, availableParallelism() - 1))
      const { counter, max } = this.ingestion.sensors
      this.decoders = new SensorDecoders(workers, { counter, maxSensors: max }, (slot, err) => {
        // the worker's sensor ids died with it: its partitions are read again from their last commit
        for (const [partition, pin] of this.pins) if (pin.slot === slot) void this.replay(partition, `its decoder worker died (${err.message})`)
      })
      await this.decoders.ready()
      await this.runConsumer(this.consumer)
    } catch (e) {
      const err = kafkaConnectError(e, this.opts.brokers, this.opts.client ?? {})
      this.link.lost(err.message)
      this.stopping = true
      await Promise.allSettled([this.consumer.disconnect(), this.producer.disconnect(), this.admin.disconnect(), this.decoders?.close()])
      throw err
    }
    this.watchdog = setInterval(() => this.watch(), 250)
    this.watchdog.unref()
  }

  /** Setting up the topics may wait for a broker that is still starting: the client's patient retries. */
  private async setUpTopics(): Promise<void> {
    const setup = this.kafka.admin()
    await setup.connect()
    try {
      const existing = new Set(await setup.listTopics())
      // the cluster's default replication factor: 1 on a dev broker, 3 where managed Kafka insists on it
      const create = [this.topic, this.resultsTopic].filter((t) => !existing.has(t)).map((topic) => ({ topic, numPartitions: this.opts.partitions ?? 4 }))
      if (create.length) await setup.createTopics({ topics: create, waitForLeaders: true }).catch(() => undefined)
    } finally {
      await setup.disconnect()
    }
  }

  private newConsumer(): Consumer {
    const generation = ++this.generation
    const current = () => generation === this.generation && !this.stopping
    const c = this.kafka.consumer({
      groupId: this.groupId, sessionTimeout: 10_000, heartbeatInterval: 1_000, rebalanceTimeout: 20_000,
      // a short fetch wait keeps shutdown and rebalances quick; batches still fill under load
      maxWaitTimeInMs: 250,
      ...FETCH,
      // after its retries kafkajs restarts a consumer that failed on a retriable error — never one we replaced:
      // a consumer that crashes while being disconnected schedules its own restart after our disconnect, and
      // came back as a second member of the group, holding partitions no window of ours was fed from (seen)
      retry: { retries: 10, initialRetryTime: 200, maxRetryTime: 5_000, restartOnFailure: async () => current() },
    })
    c.on(c.events.START_BATCH_PROCESS, () => { if (current()) this.batchStartedAt = Date.now() })
    const alive = () => { if (current()) this.lastSignOfLife = Date.now() }
    for (const ev of [c.events.FETCH, c.events.START_BATCH_PROCESS, c.events.END_BATCH_PROCESS, c.events.HEARTBEAT]) c.on(ev, alive)
    // kafkajs announces every fetch attempt, also those it retries while the broker is away
    c.on(c.events.FETCH_START, () => { if (current() && this.link.state === 'lost') this.link.retrying('the consumer fetches again') })
    c.on(c.events.GROUP_JOIN, ({ payload }) => {
      if (!current()) return
      const mine = new Set(payload.memberAssignment[this.topic] ?? [])
      for (const p of this.owned) if (!mine.has(p)) this.revoke(p)
      this.owned = mine
      this.joined = true
      // a replay that fell back on a new consumer: this one starts from the commits
      for (const [p, g] of this.replaying) if (g < generation) this.replaying.delete(p)
      alive()
    })
    // mid-rebalance the assignment is unknown: results wait (they are not failures) until the group settles
    c.on(c.events.REBALANCING, () => { if (current()) this.joined = false })
    c.on(c.events.CRASH, ({ payload }) => {
      if (!current()) return
      this.joined = false
      this.link.lost(`consumer crashed: ${payload.error.message}`)
      if (payload.restart) this.link.retrying('kafkajs restarts the consumer')
      else this.replaceConsumer(`kafkajs gave the consumer up (${payload.error.name}: ${payload.error.message})`)
    })
    return c
  }

  private async runConsumer(c: Consumer): Promise<void> {
    const generation = this.generation
    await c.connect()
    await c.subscribe({ topic: this.topic, fromBeginning: true })
    await c.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: 1,
      eachBatch: async (payload) => {
        // a replaced consumer that came back anyway: it must not take batches, and it goes again
        if (generation !== this.generation) return void c.disconnect().catch(() => undefined)
        await this.eachBatch(payload)
      },
    })
  }

  /**
   * Puts a new consumer in place of one kafkajs gave up or that stopped showing signs of life, after a backoff
   * (1 s, doubling to 30 s; reset once a new consumer has joined and fetched). The partitions it keeps keep their
   * windows; kafkajs resumes them from the last commit and the records already fed are skipped.
   */
  private replaceConsumer(reason: string): void {
    if (this.stopping || this.replacing) return
    this.replacing = true
    this.joined = false
    const attempt = ++this.replaceAttempts
    const delay = Math.min(30_000, 1_000 * 2 ** (attempt - 1))
    this.ingestion.log.warn({ attempt, delayMs: delay, reason }, `a new Kafka consumer in ${delay / 1000} s (attempt ${attempt}): ${reason}`)
    this.link.retrying(`a new consumer in ${delay / 1000} s (attempt ${attempt})`)
    setTimeout(() => void (async () => {
      if (this.stopping) return
      const old = this.consumer
      this.consumer = this.newConsumer() // from here the old one's events are ignored
      this.ingestion.metrics.kafkaConsumerRestarts.inc()
      await old.disconnect().catch(() => undefined)
      try {
        await this.runConsumer(this.consumer)
        this.lastSignOfLife = Date.now()
        this.replacing = false
      } catch (e) {
        this.replacing = false
        this.link.lost(`the new consumer could not start: ${(e as Error).message}`)
        this.replaceConsumer(`the last one could not start (${(e as Error).message})`)
      }
    })(), delay).unref()
  }

  /** Signs of life lately, or a batch being processed — but not one stuck for as long as a consumer is let be silent. */
  private consuming(): boolean {
    const now = Date.now()
    return this.joined && (now - this.lastSignOfLife < this.stallMs || (this.inBatch > 0 && now - this.batchStartedAt < this.replaceAfterMs))
  }

  /** Every 250 ms: the link's state from progress, and a new consumer for one that went silent. */
  private watch(): void {
    if (this.stopping) return
    const { kafka: consuming, publishing } = this.health()
    if (consuming && publishing) {
      this.link.ok()
      if (!this.replacing) this.replaceAttempts = 0
      return
    }
    const silentMs = Date.now() - this.lastSignOfLife
    if (!consuming) this.link.lost(this.joined ? `no fetch, batch or heartbeat from the consumer for ${(silentMs / 1000).toFixed(1)} s` : 'the consumer is not a group member')
    else this.link.lost(`results wait: ${this.ingestion.publishProblem('kafka', this.stallMs)}`)
    // silent though no batch is running: waiting on a dead broker, or wedged; a new consumer costs little
    if (!this.inBatch && silentMs > this.replaceAfterMs) this.replaceConsumer(`no sign of life for ${(silentMs / 1000).toFixed(0)} s`)
  }

  /** A partition went to another instance: forget its open windows (and batches on their way to them), the new owner replays them. */
  private revoke(partition: number): void {
    this.ingestion.dropPartition(this.key(partition))
    this.committed.delete(partition)
    this.wantCommit.delete(partition)
    this.fed.delete(partition)
    this.pins.delete(partition)
    this.ingestion.metrics.consumerLag.remove({ topic: this.topic, partition: String(partition) })
  }

  /** Opens a partition's windows, restoring what its last owner committed. */
  private ensure(partition: number): Promise<void> {
    if (this.ingestion.hasPartition(this.key(partition))) return Promise.resolve()
    let p = this.opening.get(partition)
    if (!p) {
      p = this.open(partition).then(() => undefined).finally(() => this.opening.delete(partition))
      this.opening.set(partition, p)
    }
    return p
  }

  /** Opens a partition's windows as its last commit left them; returns that commit's offset ('-2', the earliest: none yet). */
  private async open(partition: number): Promise<string> {
    const [offsets] = await this.admin.fetchOffsets({ groupId: this.groupId, topics: [this.topic] })
    const entry = offsets?.partitions.find((x) => x.partition === partition)
    let closedUpTo = -Infinity
    if (entry?.metadata) {
      try {
        closedUpTo = (JSON.parse(entry.metadata) as CommitMeta).closedUpTo ?? -Infinity
      } catch { /* foreign metadata: start without */ }
    }
    this.ingestion.openPartition(this.key(partition), 'kafka', closedUpTo, (r) => this.publish(partition, r), (progress) => this.commit(partition, progress), () => this.caughtUp(partition))
    return entry && Number(entry.offset) >= 0 ? entry.offset : '-2'
  }

  /**
   * Reads a partition again from its last commit, forgetting what this instance built from it: its decoder worker
   * died, and the sensor ids of its open windows with it. As after a crash, nothing is lost and the windows are
   * emitted again whole. The commit's offset and its closedUpTo are read together, the windows opened with them,
   * then the consumer seeks there; meanwhile no batch of the partition is fed. A seek that cannot be made (the
   * broker is away) falls back on a new consumer, which starts from the commits.
   */
  private async replay(partition: number, reason: string): Promise<void> {
    if (this.replaying.has(partition) || this.stopping || !this.owned.has(partition)) return
    const generation = this.generation
    this.replaying.set(partition, generation)
    this.ingestion.log.warn({ partition: this.key(partition), reason }, `reading ${this.key(partition)} again from its last commit: ${reason}`)
    try {
      await this.opening.get(partition)?.catch(() => undefined)
      this.revoke(partition)
      await this.committing.get(partition)
      // revoked meanwhile, or a new consumer (which starts from the commits anyway)
      if (!this.owned.has(partition) || generation !== this.generation) return void this.replaying.delete(partition)
      const offset = await this.open(partition)
      this.consumer.seek({ topic: this.topic, partition, offset })
      this.replaying.delete(partition)
    } catch (e) {
      this.revoke(partition) // the partition stays unfed until the new consumer joins
      this.replaceConsumer(`reading ${this.key(partition)} again failed: ${(e as Error).message}`)
    }
  }

  /** The partition's decoder: the worker with the fewest partitions, chosen when the partition is first fed. */
  private pinned(partition: number): Pin {
    let pin = this.pins.get(partition)
    if (!pin) {
      const load = new Array<number>(this.decoders!.size).fill(0)
      for (const q of this.pins.values()) load[q.slot]++
      const slot = load.indexOf(Math.min(...load))
      pin = { slot, generation: this.decoders!.generation(slot), pending: [], tail: Promise.resolve() }
      this.pins.set(partition, pin)
    }
    return pin
  }

  /** Hands a batch to the partition's decoder; its points go into the windows after the batches before it. */
  private feed(partition: number, offsets: Float64Array, bytes: Uint8Array, ends: Uint32Array, empty: number): void {
    const key = this.key(partition)
    const pin = this.pinned(partition)
    const decoded = this.decoders!.decode(pin.slot, bytes, ends)
    const applied = pin.tail.then(() => decoded).then((d) => {
      if (this.pins.get(partition) !== pin) return // revoked, or read again, meanwhile
      if (d.generation !== pin.generation) return void this.replay(partition, 'its decoder worker was replaced')
      // an empty value is no message: rejected as a whole, as a record decoded alone would be
      if (d.rejected + empty) this.ingestion.metrics.sensorPoints.inc({ source: 'kafka', outcome: 'rejected' }, d.rejected + empty)
      if (!this.ingestion.hasPartition(key)) return
      this.ingestion.feedRecords(key, offsets, d)
      void this.ingestion.requestProcessing(key)
    }).catch((e: Error) => {
      if (this.pins.get(partition) === pin) void this.replay(partition, `a batch could not be fed: ${e.message}`)
    })
    pin.tail = applied
    pin.pending.push(applied)
    void applied.then(() => { pin.pending.shift() })
  }

  private async eachBatch(payload: EachBatchPayload): Promise<void> {
    this.inBatch++
    try {
      await this.takeBatch(payload)
    } finally {
      this.inBatch--
    }
  }

  /**
   * Hands a batch to its partition's decoder, then lets kafkajs fetch on. Throws nothing of ours: a failure here would
   * reach kafkajs, which gives a consumer up for good on errors it calls non-retriable. Only heartbeat()'s own
   * errors pass: kafkajs rejoins the group on them.
   */
  private async takeBatch({ batch, resolveOffset, heartbeat, isRunning, isStale }: EachBatchPayload): Promise<void> {
    const { partition } = batch
    // a batch fetched before a rebalance took the partition away: the new owner replays it
    if (!this.owned.has(partition) || isStale() || this.replaying.has(partition)) return
    try {
      await this.ensure(partition)
    } catch (e) {
      // the commit metadata cannot be read now (broker away): nothing was resolved, kafkajs fetches the batch again
      this.link.lost(`reading the committed offsets of partition ${partition}: ${(e as Error).message}`)
      await sleep(500)
      return
    }
    const key = this.key(partition)
    // the consumer waits here while the partition's decoder, or the windows' chains, are too far behind it
    for (let pin = this.pins.get(partition); pin && pin.pending.length >= MAX_BATCHES_DECODING && this.pins.get(partition) === pin;) await pin.pending[0]
    await this.ingestion.backlog('kafka', MAX_WINDOWS_WAITING)
    // revoked, sought back or stopped meanwhile
    if (!isRunning() || isStale() || this.replaying.has(partition) || !this.ingestion.hasPartition(key)) return
    const messages = batch.messages
    if (messages.length) {
      // a new consumer (or a rejoin) resumes from the last commit: records this instance fed already are skipped
      const fed = this.fed.get(partition) ?? -1
      let first = 0
      while (first < messages.length && Number(messages[first].offset) <= fed) first++
      const n = messages.length - first
      if (n > 0) {
        // the new records' values one after the other in one buffer: the only copy the main thread makes
        const offsets = new Float64Array(n), ends = new Uint32Array(n)
        let size = 0, empty = 0
        for (let i = 0; i < n; i++) {
          const m = messages[first + i]
          offsets[i] = Number(m.offset)
          if (m.value) {
            size += m.value.length
            if (m.value.length === 0) empty++
          }
          ends[i] = size
        }
        const bytes = new Uint8Array(size)
        for (let i = 0; i < n; i++) {
          const v = messages[first + i].value
          if (v && v.length) bytes.set(v, i ? ends[i - 1] : 0)
        }
        this.fed.set(partition, offsets[n - 1])
        this.feed(partition, offsets, bytes, ends, empty)
      }
      resolveOffset(messages[messages.length - 1].offset)
    }
    await heartbeat()
    this.ingestion.metrics.consumerLag.set({ topic: this.topic, partition: String(partition) }, Number(batch.offsetLag()))
  }

  /** True when this instance has consumed the partition up to its end (nothing more is waiting). */
  private async caughtUp(partition: number): Promise<boolean> {
    if (!this.ends || Date.now() - this.ends.at > 1_000) {
      const offsets = await this.admin.fetchTopicOffsets(this.topic)
      this.ends = { at: Date.now(), offsets: new Map(offsets.map((o) => [o.partition, Number(o.high)])) }
    }
    const end = this.ends.offsets.get(partition) ?? 0
    // fed is what went to the decoder: caught up once that is in the windows too
    return (this.fed.get(partition) ?? -1) + 1 >= end && !this.pins.get(partition)?.pending.length
  }

  private async publish(partition: number, r: WindowResult): Promise<void> {
    // never publish for a partition whose ownership is in doubt: its next owner's version of the window is the full one
    if (!this.joined) throw new PublishDeferred('the consumer is (re)joining its group')
    if (!this.owned.has(partition)) throw new Error(`partition ${partition} was reassigned`)
    if (this.link.state === 'lost') this.link.retrying('publishing the waiting windows again')
    await this.producer.send({
      topic: this.resultsTopic,
      messages: [{ key: r.key, value: JSON.stringify(r), headers: { 'content-type': 'application/json' } }],
    })
  }

  /**
   * Notes the partition's progress (its results are published) and commits it in the background, one commit
   * at a time per partition: a commit that waits for the broker holds up nothing. A failed commit is counted
   * and tried again with the next progress note (every tick); until then a crash would only re-publish.
   */
  private commit(partition: number, progress: PartitionProgress): void {
    this.wantCommit.set(partition, progress)
    if (!this.committing.has(partition)) {
      const run = this.commitLoop(partition).finally(() => this.committing.delete(partition))
      this.committing.set(partition, run)
    }
  }

  private async commitLoop(partition: number): Promise<void> {
    for (;;) {
      const progress = this.wantCommit.get(partition)
      if (!progress || !this.joined || !this.ingestion.hasPartition(this.key(partition)) || !this.owned.has(partition)) return
      const metadata = JSON.stringify({ closedUpTo: Number.isFinite(progress.closedUpTo) ? progress.closedUpTo : null })
      const offset = String(progress.committable)
      const sig = `${offset}|${metadata}`
      if (this.committed.get(partition) === sig) return
      try {
        await this.consumer.commitOffsets([{ topic: this.topic, partition, offset, metadata }])
      } catch (e) {
        this.ingestion.metrics.commitFailures.inc()
        if (!this.commitFailing) this.ingestion.log.warn({ partition: this.key(partition), offset, err: e }, `committing ${this.key(partition)} failed, retrying with the next progress: ${(e as Error).message}`)
        this.commitFailing = true
        return
      }
      this.committed.set(partition, sig)
      this.commitFailing = false
    }
  }

  /**
   * Stops fetching, emits the windows the watermark has closed, commits below the open ones, disconnects.
   * Open windows are not cut short: the partition's next owner (another instance, or this one restarted)
   * replays them whole from the commit. Pausing (not stopping) first keeps the group membership commits
   * need; if the group is mid-rebalance the commit fails and the next owner replays a little more.
   */
  async stop(): Promise<void> {
    if (this.watchdog) clearInterval(this.watchdog)
    try {
      this.consumer.pause([{ topic: this.topic }])
      // every batch taken goes into its windows first
      await Promise.all([...this.pins.values()].map((p) => p.tail))
      await this.ingestion.enqueue(() => this.ingestion.processAll(false, [...this.owned].map((p) => this.key(p))))
      await Promise.all(this.committing.values())
    } catch (e) {
      this.ingestion.log.warn({ err: e }, `final commit skipped (${(e as Error).message}); the next owner replays`)
    }
    this.stopping = true
    await Promise.allSettled([this.consumer.disconnect(), this.producer.disconnect(), this.admin.disconnect(), this.decoders?.close()])
  }
}
