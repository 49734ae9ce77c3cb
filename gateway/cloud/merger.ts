// The cloud gateways' merge of edge partials, over Kafka. All cloud gateways are one consumer group on the partials
// topic, so they split its partitions; all partials of a window are in one partition (keyed by window start), so
// each window is merged by one instance at a time, in order.
//
// A batch: wait until the view has read the global topic up to where it ended when this instance took the partition
// (the view is the dedup memory: a partial whose edge the window's result lists is a duplicate — also after a cloud
// SIGKILL, or when the partition comes from another instance); merge (partial-merger.ts); publish each window's new
// result to the global topic; put it in the view; then commit the partials' offsets. Publish before commit: a crash
// in between only merges again, and the view (rebuilt from the topic) makes that a duplicate.
//
// Two instances merging one window at once. A rebalance without a crash can leave the old owner finishing a batch
// while the new owner, having read the global topic up to its end at assignment, starts from the last commit. Both
// merge the same partials in the same order onto the same stored result, so both compute the same results (the
// same sums of the same grids, faaslets being deterministic): a duplicate record, harmless. Only one thing can go
// wrong: the old owner's publish lands after the new owner has merged further, so the topic's last record of the
// window — the one compaction keeps — lists fewer edges. The view never takes a result with fewer edges than it
// holds ('stale'), and the partition's owner, told so, publishes its fuller result again, last. The old owner
// checks that it still owns the partition right before publishing, which makes this rare; the repair makes it
// harmless.
import { setTimeout as sleep } from 'node:timers/promises'
import type { Consumer, EachBatchPayload, Kafka, Producer } from 'kafkajs'
import { isGraticuleError } from '../../errors/index.js'
import type { IngestLogger } from '../ingest/ingest-log.js'
import type { CloudMetrics } from './cloud-metrics.js'
import { encodeGlobal, resultVersion, type GlobalResult } from './global-result.js'
import type { GlobalView } from './global-view.js'
import type { PartialMerger } from './partial-merger.js'
import type { ViewFeed } from './view-feed.js'

export interface MergerTopics { partials: string; global: string }

/** How long to wait before trying a failed publish (or a busy dataplane) again. */
const RETRY_MS = 500

export class Merger {
  private readonly consumer: Consumer
  private owned = new Set<number>()
  /** resolves when the view holds what was published before the current assignment */
  private gate: Promise<void> = Promise.resolve()
  /** the partials partition each window this instance merged came from (to repair stale results) */
  private readonly windowPartition = new Map<number, number>()
  joined = false
  private stopping = false

  constructor(
    kafka: Kafka,
    private readonly producer: Producer,
    private readonly view: GlobalView,
    private readonly feed: ViewFeed,
    private readonly merger: PartialMerger,
    private readonly topics: MergerTopics,
    groupId: string,
    private readonly metrics: CloudMetrics,
    private readonly log: IngestLogger,
  ) {
    this.consumer = kafka.consumer({ groupId, sessionTimeout: 10_000, heartbeatInterval: 1_000, rebalanceTimeout: 20_000, maxWaitTimeInMs: 250 })
    this.consumer.on(this.consumer.events.GROUP_JOIN, ({ payload }) => {
      const mine = new Set(payload.memberAssignment[this.topics.partials] ?? [])
      const added = [...mine].some((p) => !this.owned.has(p))
      this.owned = mine
      this.joined = true
      // partitions new to this instance: first read what their last owner published
      if (added) this.gate = this.catchUp()
    })
    this.consumer.on(this.consumer.events.REBALANCING, () => { this.joined = false })
    this.view.on('stale', (held: GlobalResult) => void this.repair(held))
  }

  /** The view up to the global topic's ends as they are now; looking them up is tried again while the broker is away. */
  private async catchUp(): Promise<void> {
    for (;;) {
      try {
        return await this.feed.caughtUpNow()
      } catch (e) {
        if (this.stopping) return
        this.log.warn({ topic: this.topics.global }, `reading the end offsets of ${this.topics.global} failed, retrying: ${(e as Error).message}`)
        await sleep(RETRY_MS)
      }
    }
  }

  /** Partitions of the partials topic this instance merges now. */
  get partitions(): number[] {
    return [...this.owned].sort((a, b) => a - b)
  }

  async start(): Promise<void> {
    await this.consumer.connect()
    await this.consumer.subscribe({ topic: this.topics.partials, fromBeginning: true })
    await this.consumer.run({ autoCommit: false, eachBatchAutoResolve: false, partitionsConsumedConcurrently: 1, eachBatch: (b) => this.batch(b) })
  }

  private async batch({ batch, resolveOffset, heartbeat, isRunning, isStale }: EachBatchPayload): Promise<void> {
    const { partition } = batch
    const live = () => isRunning() && !isStale() && !this.stopping && this.owned.has(partition)
    // the view first: heartbeats keep the membership while it catches up
    for (let done = false; !done && live();) {
      done = await Promise.race([this.gate.then(() => true), sleep(1_000).then(() => false)])
      if (!done) await heartbeat()
    }
    if (!live() || !batch.messages.length) return
    const values = batch.messages.flatMap((m) => (m.value ? [m.value] : []))
    const results = await this.mergeAll(values, partition, live, heartbeat)
    if (!results || !live()) return
    for (const r of results) if (!(await this.accept(r, partition, live, heartbeat))) return
    while (this.windowPartition.size > this.view.keep * 2) this.windowPartition.delete(this.windowPartition.keys().next().value!)
    const last = batch.messages[batch.messages.length - 1].offset
    resolveOffset(last)
    try {
      await this.consumer.commitOffsets([{ topic: this.topics.partials, partition, offset: String(Number(last) + 1) }])
    } catch (e) {
      // published already: a crash before the next commit only merges again, as duplicates
      this.log.warn({ partition, offset: last }, `committing ${this.topics.partials}/${partition} failed (the next batch commits past it): ${(e as Error).message}`)
    }
    await heartbeat()
  }

  /**
   * The batch merged. A busy or failing dataplane (429, 503) is waited for; a record a faaslet refuses would refuse
   * every time, so the batch is merged again record by record and the one refused is skipped, counted invalid.
   */
  private async mergeAll(values: Uint8Array[], partition: number, live: () => boolean, heartbeat: () => Promise<void>): Promise<GlobalResult[] | null> {
    const where = `${this.topics.partials}/${partition}`
    for (;;) {
      try {
        return await this.timed(values, where)
      } catch (e) {
        if (!live()) return null
        if (transient(e)) {
          this.log.warn({ partition: where }, `merging ${where} waits: ${(e as Error).message}`)
          await sleep(RETRY_MS)
          await heartbeat()
          continue
        }
        if (values.length === 1) {
          this.metrics.partials.inc({ outcome: 'invalid' })
          this.log.warn({ partition: where, code: (e as { code?: string }).code }, `a partial on ${where} could not be merged, skipped: ${(e as Error).message}`)
          return []
        }
        // one by one: each record's result published before the next is merged, so the view sees it
        for (const v of values) {
          const rs = await this.mergeAll([v], partition, live, heartbeat)
          if (!rs) return null
          for (const r of rs) if (!(await this.accept(r, partition, live, heartbeat))) return null
        }
        return []
      }
    }
  }

  private async timed(values: Uint8Array[], where: string): Promise<GlobalResult[]> {
    const results = await this.merger.merge(values, where)
    for (const r of results) this.metrics.mergeDuration.observe(r.mergeMs / 1000)
    return results
  }

  /** A merged result published, then held by the view; false when the partition was lost before it was published. */
  private async accept(r: GlobalResult, partition: number, live: () => boolean, heartbeat: () => Promise<void>): Promise<boolean> {
    const bytes = await this.publish(r, 'merged', live, heartbeat)
    if (!bytes) return false
    this.windowPartition.set(r.windowStart, partition)
    this.view.put(r, bytes)
    return true
  }

  /** Publishes a window's result, trying again while this instance owns the partition: its bytes, or null when it no longer does. */
  private async publish(r: GlobalResult, kind: 'merged' | 'repaired', live: () => boolean, heartbeat: () => Promise<void>): Promise<Uint8Array | null> {
    const value = Buffer.from(encodeGlobal(r))
    for (;;) {
      if (!live() || !this.joined) return null
      try {
        await this.producer.send({ topic: this.topics.global, messages: [{ key: String(r.windowStart), value }] })
        this.metrics.published.inc({ kind })
        return value
      } catch (e) {
        this.log.warn({ window: r.windowStart }, `publishing the global result of window ${r.windowStart} failed, retrying: ${(e as Error).message}`)
        await sleep(RETRY_MS)
        await heartbeat().catch(() => undefined)
      }
    }
  }

  /** A stale result landed after this instance's fuller one: written again, if this instance still owns the window. */
  private async repair(held: GlobalResult): Promise<void> {
    const partition = this.windowPartition.get(held.windowStart)
    if (partition === undefined || this.stopping) return
    const version = resultVersion(held)
    const live = () => { const now = this.view.get(held.windowStart); return !this.stopping && this.owned.has(partition) && !!now && resultVersion(now) === version }
    this.log.info({ window: held.windowStart }, `a stale result of window ${held.windowStart} arrived after ours: publishing ours again`)
    await this.publish(held, 'repaired', live, async () => undefined)
  }

  async stop(): Promise<void> {
    this.stopping = true
    await this.consumer.disconnect().catch(() => undefined)
  }
}

/** Errors worth waiting out: the dataplane busy or briefly unable (429, 503). */
function transient(e: unknown): boolean {
  return isGraticuleError(e) && (e.statusCode === 429 || e.statusCode === 503)
}
