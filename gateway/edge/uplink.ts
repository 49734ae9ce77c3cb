// The edge's link to the cloud: one kafkajs producer to the upstream brokers. It fails fast — short timeouts, few
// retries — because nothing waits on it but the drainer, which retries with its own backoff, and heartbeats, which
// are skipped when they cannot go. Records keep their order: one request in flight, acks from every in-sync replica.
// Not idempotent, as the gateway's results producer (kafka-source.ts): a partial sent twice is merged once by the
// cloud, keyed by (edge, part, window), while an idempotent session does not survive its broker's death.
import { Kafka, Partitioners, type Producer, type RetryOptions } from 'kafkajs'
import { kafkaConfig, kafkaConnectError, type KafkaClientSettings } from '../ingest/kafka-client.js'
import type { IngestLogger } from '../ingest/ingest-log.js'
import { EDGE_TOPICS, partialRecordKey } from '../partials/partial.js'
import { encodeHeartbeat, type EdgeHeartbeat } from '../partials/heartbeat.js'
import type { SpooledRecord } from './spool.js'

export interface UplinkTopics {
  partials: string
  edges: string
}

export interface UplinkOptions {
  brokers: string[]
  /** TLS and SASL of the upstream cluster (kafka-client.ts) */
  client?: KafkaClientSettings
  edge: string
  topics?: Partial<UplinkTopics>
  /** partitions of the partials topic when the edge creates it (default 8) */
  partitions?: number
  log?: IngestLogger
}

/** A few quick retries inside kafkajs; the drainer retries beyond them. */
const RETRY: RetryOptions = { retries: 2, initialRetryTime: 100, maxRetryTime: 500 }
const REQUEST_TIMEOUT_MS = 5_000
/** Records of up to this much fit any broker's default limit; the partials topic takes larger ones (TOPIC_MAX_MESSAGE_BYTES). */
const TOPIC_MAX_MESSAGE_BYTES = 16 << 20

/** A record the broker will never take (larger than it accepts): sending it again cannot help. */
export class RecordTooLarge extends Error {}

export class Uplink {
  readonly topics: UplinkTopics
  private readonly kafka: Kafka
  private readonly producer: Producer
  private topicsReady = false
  connected = false

  constructor(private readonly opts: UplinkOptions) {
    this.topics = { partials: opts.topics?.partials ?? EDGE_TOPICS.partials, edges: opts.topics?.edges ?? EDGE_TOPICS.edges }
    // an upstream away for hours is a normal state: kafkajs's retry chatter goes to debug, the edge says when the link changes
    const log = opts.log ? quieter(opts.log) : null
    const config = kafkaConfig(opts.brokers, opts.client ?? {}, { clientId: `graticule-edge-${opts.edge}`, retry: RETRY, log })
    this.kafka = new Kafka({ ...config, requestTimeout: REQUEST_TIMEOUT_MS, enforceRequestTimeout: true })
    this.producer = this.kafka.producer({ allowAutoTopicCreation: false, idempotent: false, maxInFlightRequests: 1, createPartitioner: Partitioners.DefaultPartitioner, retry: RETRY })
    this.producer.on(this.producer.events.DISCONNECT, () => { this.connected = false })
  }

  /** Creates the topics if missing (once), then connects the producer. Throws what kafkajs says, made plain. */
  async connect(): Promise<void> {
    try {
      if (!this.topicsReady) await this.createTopics()
      await this.producer.connect()
      this.connected = true
    } catch (e) {
      this.connected = false
      throw kafkaConnectError(e, this.opts.brokers, this.opts.client ?? {})
    }
  }

  private async createTopics(): Promise<void> {
    const admin = this.kafka.admin({ retry: RETRY })
    await admin.connect()
    try {
      const existing = new Set(await admin.listTopics())
      const want = [
        // every edge's partial of a window in one partition (keyed by window start); kept for the broker's retention
        { topic: this.topics.partials, numPartitions: this.opts.partitions ?? 8, configEntries: [{ name: 'cleanup.policy', value: 'delete' }, { name: 'max.message.bytes', value: String(TOPIC_MAX_MESSAGE_BYTES) }] },
        // each edge's newest heartbeat
        { topic: this.topics.edges, numPartitions: 1, configEntries: [{ name: 'cleanup.policy', value: 'compact' }] },
      ].filter((t) => !existing.has(t.topic))
      // another edge creating them at the same moment is no failure
      if (want.length) await admin.createTopics({ topics: want, waitForLeaders: true }).catch(() => undefined)
      this.topicsReady = true
    } finally {
      await admin.disconnect().catch(() => undefined)
    }
  }

  /** Sends spooled records, in order, to the partials topic; resolves once the broker acknowledged all of them. */
  async send(records: SpooledRecord[]): Promise<void> {
    try {
      await this.producer.send({
        topic: this.topics.partials, acks: -1, timeout: REQUEST_TIMEOUT_MS,
        messages: records.map((r) => ({
          key: partialRecordKey(r.windowStart),
          value: Buffer.from(r.value.buffer, r.value.byteOffset, r.value.byteLength),
          headers: { edge: this.opts.edge, kind: r.kind },
        })),
      })
      this.connected = true
    } catch (e) {
      if (tooLarge(e)) throw new RecordTooLarge((e as Error).message, { cause: e })
      this.connected = false
      throw e
    }
  }

  /** Sends a heartbeat to the edges topic (keyed by edge id, compacted). */
  async heartbeat(h: EdgeHeartbeat): Promise<void> {
    const value = encodeHeartbeat(h)
    await this.producer.send({
      topic: this.topics.edges, acks: -1, timeout: REQUEST_TIMEOUT_MS,
      messages: [{ key: this.opts.edge, value: Buffer.from(value.buffer, value.byteOffset, value.byteLength) }],
    })
  }

  /** After failures that may have left the producer's connections in a bad way: a fresh connection next time. */
  async reset(): Promise<void> {
    this.connected = false
    await this.producer.disconnect().catch(() => undefined)
  }

  async close(): Promise<void> {
    this.connected = false
    await this.producer.disconnect().catch(() => undefined)
  }
}

function tooLarge(e: unknown): boolean {
  for (let c = e as { type?: string; cause?: unknown; originalError?: unknown } | undefined, i = 0; c && i < 8; c = (c.cause ?? c.originalError) as typeof c, i++) {
    if (c.type === 'MESSAGE_TOO_LARGE' || c.type === 'RECORD_LIST_TOO_LARGE') return true
  }
  return false
}

/** The same logger with warnings and errors said at debug. */
function quieter(l: IngestLogger): IngestLogger {
  const debug = ((o: object | string, m?: string) => (typeof o === 'string' ? l.debug(o) : l.debug(o, m))) as IngestLogger['debug']
  return { error: debug, warn: debug, info: debug, debug, level: l.level }
}
