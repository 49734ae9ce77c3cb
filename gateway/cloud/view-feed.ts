// Every cloud gateway reads the global results and the edges' heartbeats from the beginning, on its own: a consumer
// group of its own (a fresh id per start, never committed, so no two instances share a partition and a restart
// reads everything again). It feeds the view and says how far it has read, so the merger can wait until the view
// holds everything published before it took over a partition.
//
// Heartbeats read while catching up (offsets before the ends taken at start) arrived before this gateway ran: they
// count as received at their record's timestamp, so an edge that went silent before the start is not shown as
// connected for the first seconds. Later ones are received now (this gateway's clock).
import { randomUUID } from 'node:crypto'
import type { Admin, Consumer, Kafka } from 'kafkajs'
import type { IngestLogger } from '../ingest/ingest-log.js'
import { decodeHeartbeat } from '../partials/heartbeat.js'
import { decodeGlobal } from './global-result.js'
import type { GlobalView } from './global-view.js'

export interface ViewFeedTopics { global: string; edges: string }

export class ViewFeed {
  private readonly consumer: Consumer
  /** next offset to read, per topic and partition */
  private readonly read = new Map<string, number>()
  private readonly waiting = new Set<() => void>()
  private edgesHistory = new Map<number, number>()
  /** the global topic read up to its ends as they were at start */
  ready: Promise<void> = Promise.resolve()
  private caughtUp = false

  constructor(kafka: Kafka, private readonly admin: Admin, private readonly view: GlobalView, private readonly topics: ViewFeedTopics, private readonly log: IngestLogger) {
    this.consumer = kafka.consumer({ groupId: `graticule-cloud-view-${randomUUID()}`, sessionTimeout: 10_000, heartbeatInterval: 1_000, maxWaitTimeInMs: 100 })
  }

  get isCaughtUp(): boolean {
    return this.caughtUp
  }

  async start(): Promise<void> {
    const [globalEnds, edgeEnds] = await Promise.all([this.ends(this.topics.global), this.ends(this.topics.edges)])
    this.edgesHistory = edgeEnds
    await this.consumer.connect()
    await this.consumer.subscribe({ topics: [this.topics.global, this.topics.edges], fromBeginning: true })
    await this.consumer.run({
      autoCommit: false,
      eachBatch: async ({ batch, heartbeat }) => {
        const now = Date.now()
        for (const m of batch.messages) {
          if (!m.value) continue
          try {
            if (batch.topic === this.topics.global) this.view.put(decodeGlobal(m.value), m.value)
            else {
              const history = Number(m.offset) < (this.edgesHistory.get(batch.partition) ?? 0)
              this.view.heartbeat(decodeHeartbeat(m.value), history ? Math.min(now, Number(m.timestamp)) : now)
            }
          } catch (e) {
            this.log.warn({ topic: batch.topic, partition: batch.partition, offset: m.offset }, `skipped a record of ${batch.topic}: ${(e as Error).message}`)
          }
        }
        if (batch.messages.length) this.read.set(`${batch.topic}/${batch.partition}`, Number(batch.messages[batch.messages.length - 1].offset) + 1)
        for (const w of [...this.waiting]) w()
        await heartbeat()
      },
    })
    this.ready = this.reach(globalEnds).then(() => { this.caughtUp = true })
  }

  /** Resolves once the global topic is read up to its end offsets as they are now (what was published before). */
  async caughtUpNow(): Promise<void> {
    await this.reach(await this.ends(this.topics.global))
  }

  private async ends(topic: string): Promise<Map<number, number>> {
    const offsets = await this.admin.fetchTopicOffsets(topic)
    // a partition with nothing left to read (empty, or everything deleted) needs no wait
    return new Map(offsets.filter((o) => Number(o.high) > Number(o.low)).map((o) => [o.partition, Number(o.high)]))
  }

  private reach(ends: Map<number, number>): Promise<void> {
    const done = () => [...ends].every(([p, end]) => (this.read.get(`${this.topics.global}/${p}`) ?? 0) >= end)
    if (done()) return Promise.resolve()
    return new Promise((resolve) => {
      const check = () => { if (done()) { this.waiting.delete(check); resolve() } }
      this.waiting.add(check)
    })
  }

  async stop(): Promise<void> {
    for (const w of this.waiting) this.waiting.delete(w)
    await this.consumer.disconnect().catch(() => undefined)
  }
}
