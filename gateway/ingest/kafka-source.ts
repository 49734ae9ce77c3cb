// Sensor points from Kafka (kafkajs): a consumer group on the sensor topic; each partition has its own
// windows; offsets are committed only after the results of the windows they complete are published
// (at-least-once), with the partition's `closedUpTo` in the commit metadata so a new owner — after a
// crash or a rebalance — knows which windows were already emitted.
import { Kafka, logLevel, type Admin, type Consumer, type Producer, type EachBatchPayload } from 'kafkajs'
import { parseSensorColumns } from './sensor-record.js'
import type { Ingestion, PartitionProgress } from './ingestion.js'
import type { WindowResult } from './window-result.js'

export interface KafkaSourceOptions {
  brokers: string[]
  topic?: string
  resultsTopic?: string
  groupId?: string
  clientId?: string
  /** partitions to create the topics with when they do not exist */
  partitions?: number
}

interface CommitMeta {
  closedUpTo: number
}

export class KafkaSource {
  private readonly kafka: Kafka
  private readonly consumer: Consumer
  private readonly producer: Producer
  private readonly admin: Admin
  readonly topic: string
  readonly resultsTopic: string
  readonly groupId: string
  private connected = false
  private readonly committed = new Map<number, string>()
  private readonly opening = new Map<number, Promise<void>>()
  private owned = new Set<number>()
  /** last offset fed per partition, and the topic's end offsets (refreshed at most once a second) */
  private readonly fed = new Map<number, number>()
  private ends: { at: number; offsets: Map<number, number> } | null = null

  constructor(private readonly ingestion: Ingestion, private readonly opts: KafkaSourceOptions) {
    this.topic = opts.topic ?? 'graticule.sensors'
    this.resultsTopic = opts.resultsTopic ?? 'graticule.results'
    this.groupId = opts.groupId ?? 'graticule'
    this.kafka = new Kafka({
      clientId: opts.clientId ?? `graticule-${process.pid}`, brokers: opts.brokers, logLevel: logLevel.ERROR,
      // after its retries a client gives up on the broker; the consumer then restarts itself, always
      retry: { retries: 10, initialRetryTime: 200, maxRetryTime: 5_000, restartOnFailure: async () => true },
    })
    // a short fetch wait keeps shutdown and rebalances quick; batches still fill under load
    this.consumer = this.kafka.consumer({ groupId: this.groupId, sessionTimeout: 10_000, heartbeatInterval: 1_000, rebalanceTimeout: 20_000, maxWaitTimeInMs: 250 })
    // not idempotent: a window published twice is harmless (results are upserted by window key), while an
    // idempotent session does not survive its broker's death — after a failed send, its sequence numbers
    // can make the restarted broker drop another window as a "duplicate" (seen: one window lost across a
    // broker SIGKILL). One request in flight keeps results in order.
    this.producer = this.kafka.producer({ allowAutoTopicCreation: true, idempotent: false, maxInFlightRequests: 1 })
    this.admin = this.kafka.admin()
  }

  ready(): boolean {
    return this.connected
  }

  /** Partitions of the sensor topic this instance owns now. */
  get partitions(): number[] {
    return [...this.owned].sort((a, b) => a - b)
  }

  private key(partition: number): string {
    return `${this.topic}/${partition}`
  }

  async start(): Promise<void> {
    await Promise.all([this.admin.connect(), this.producer.connect(), this.consumer.connect()])
    const n = this.opts.partitions ?? 4
    const existing = new Set(await this.admin.listTopics())
    const create = [this.topic, this.resultsTopic].filter((t) => !existing.has(t)).map((topic) => ({ topic, numPartitions: n, replicationFactor: 1 }))
    if (create.length) await this.admin.createTopics({ topics: create, waitForLeaders: true }).catch(() => undefined)
    this.consumer.on(this.consumer.events.GROUP_JOIN, ({ payload }) => {
      const mine = new Set(payload.memberAssignment[this.topic] ?? [])
      for (const p of this.owned) if (!mine.has(p)) this.revoke(p)
      this.owned = mine
      this.connected = true
    })
    this.consumer.on(this.consumer.events.CRASH, ({ payload }) => {
      this.connected = false
      console.error(`graticule: Kafka consumer crashed (${payload.error.message}); ${payload.restart ? 'restarting' : 'not restarting'}`)
    })
    await this.consumer.subscribe({ topic: this.topic, fromBeginning: true })
    await this.consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: 1,
      eachBatch: (payload) => this.eachBatch(payload),
    })
    this.connected = true
  }

  /** A partition went to another instance: forget its open windows, the new owner replays them. */
  private revoke(partition: number): void {
    this.ingestion.dropPartition(this.key(partition))
    this.committed.delete(partition)
    this.fed.delete(partition)
    this.ingestion.metrics.consumerLag.remove({ topic: this.topic, partition: String(partition) })
  }

  /** Opens a partition's windows, restoring what its last owner committed. */
  private ensure(partition: number): Promise<void> {
    if (this.ingestion.hasPartition(this.key(partition))) return Promise.resolve()
    let p = this.opening.get(partition)
    if (!p) {
      p = (async () => {
        const [offsets] = await this.admin.fetchOffsets({ groupId: this.groupId, topics: [this.topic] })
        const entry = offsets?.partitions.find((x) => x.partition === partition)
        let closedUpTo = -Infinity
        if (entry?.metadata) {
          try {
            closedUpTo = (JSON.parse(entry.metadata) as CommitMeta).closedUpTo ?? -Infinity
          } catch { /* foreign metadata: start without */ }
        }
        this.ingestion.openPartition(this.key(partition), 'kafka', closedUpTo, (r) => this.publish(partition, r), (progress) => this.commit(partition, progress), () => this.caughtUp(partition))
      })().finally(() => this.opening.delete(partition))
      this.opening.set(partition, p)
    }
    return p
  }

  private async eachBatch({ batch, resolveOffset, heartbeat, isRunning, isStale }: EachBatchPayload): Promise<void> {
    const { partition } = batch
    // a batch fetched before a rebalance took the partition away: the new owner replays it
    if (!this.owned.has(partition) || isStale()) return
    await this.ensure(partition)
    const key = this.key(partition)
    for (const message of batch.messages) {
      if (!isRunning() || isStale()) return
      if (!message.value) continue
      const c = parseSensorColumns(message.value)
      if (c.rejected.length) this.ingestion.metrics.sensorPoints.inc({ source: 'kafka', outcome: 'rejected' }, c.rejected.length)
      if (c.ts.length && this.ingestion.hasPartition(key)) this.ingestion.feedColumns(key, Number(message.offset), c.sensor, c.ts, c.lon, c.lat, c.value)
      resolveOffset(message.offset)
      this.fed.set(partition, Number(message.offset))
    }
    await heartbeat()
    this.ingestion.metrics.consumerLag.set({ topic: this.topic, partition: String(partition) }, Number(batch.offsetLag()))
    await this.ingestion.enqueue(() => this.ingestion.processAll(false, [key]))
  }

  /** True when this instance has consumed the partition up to its end (nothing more is waiting). */
  private async caughtUp(partition: number): Promise<boolean> {
    if (!this.ends || Date.now() - this.ends.at > 1_000) {
      const offsets = await this.admin.fetchTopicOffsets(this.topic)
      this.ends = { at: Date.now(), offsets: new Map(offsets.map((o) => [o.partition, Number(o.high)])) }
    }
    const end = this.ends.offsets.get(partition) ?? 0
    return (this.fed.get(partition) ?? -1) + 1 >= end
  }

  private async publish(partition: number, r: WindowResult): Promise<void> {
    // never publish for a partition another instance owns now: its version of the window is the full one
    if (!this.owned.has(partition)) throw new Error(`partition ${partition} was reassigned`)
    await this.producer.send({
      topic: this.resultsTopic,
      messages: [{ key: r.key, value: JSON.stringify(r), headers: { 'content-type': 'application/json' } }],
    })
  }

  /** Commits the partition's progress if it moved and the partition is still ours. */
  private async commit(partition: number, progress: PartitionProgress): Promise<void> {
    if (!this.ingestion.hasPartition(this.key(partition)) || !this.owned.has(partition)) return
    const metadata = JSON.stringify({ closedUpTo: Number.isFinite(progress.closedUpTo) ? progress.closedUpTo : null })
    const offset = String(progress.committable)
    const sig = `${offset}|${metadata}`
    if (this.committed.get(partition) === sig) return
    await this.consumer.commitOffsets([{ topic: this.topic, partition, offset, metadata }])
    this.committed.set(partition, sig)
  }

  /**
   * Stops fetching, emits the windows the watermark has closed, commits below the open ones, disconnects.
   * Open windows are not cut short: the partition's next owner (another instance, or this one restarted)
   * replays them whole from the commit. Pausing (not stopping) first keeps the group membership commits
   * need; if the group is mid-rebalance the commit fails and the next owner replays a little more.
   */
  async stop(): Promise<void> {
    this.connected = false
    try {
      this.consumer.pause([{ topic: this.topic }])
      await this.ingestion.enqueue(() => this.ingestion.processAll(false, [...this.owned].map((p) => this.key(p))))
    } catch (e) {
      console.error(`graticule: final commit skipped (${(e as Error).message}); the next owner replays`)
    }
    await Promise.allSettled([this.consumer.disconnect(), this.producer.disconnect(), this.admin.disconnect()])
  }
}
