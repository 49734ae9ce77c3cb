// Produces sensor points into Kafka the way a fleet of gateways would: one partition per sensor (so a
// sensor's points, and any re-sent duplicate, stay in order on one partition), several points per record.
import { Kafka, Partitioners, type Producer } from 'kafkajs'
import { encodeSensorColumns, encodeSensorMessage, type SensorPoint, type SensorWireFormat } from './sensor-record.js'
import { kafkaConfig, kafkaConnectError, type KafkaClientSettings } from './kafka-client.js'
import type { IngestLogger } from './ingest-log.js'

/** FNV-1a of the sensor name: a stable partition for each sensor. */
export function sensorPartition(sensor: string, partitions: number): number {
  let h = 0x811c9dc5
  for (let i = 0; i < sensor.length; i++) {
    h ^= sensor.charCodeAt(i)
    h = Math.imul(h, 0x01000193)
  }
  return (h >>> 0) % partitions
}

export interface SensorProducerOptions {
  brokers: string[]
  /** TLS, SASL and timeouts the cluster wants (kafka-client.ts) */
  client?: KafkaClientSettings
  topic: string
  /** points per record (1 = one point per record) */
  batch?: number
  format?: SensorWireFormat
  /** rows: one object per point; columns: one array per field (much cheaper to parse at high rates) */
  layout?: 'rows' | 'columns'
  clientId?: string
  /** where kafkajs's entries go (default: its errors on stderr; null: nowhere) */
  log?: IngestLogger | null
}

export class SensorProducer {
  private readonly producer: Producer
  private readonly kafka: Kafka
  private partitions = 0
  sentPoints = 0
  sentRecords = 0

  constructor(private readonly opts: SensorProducerOptions) {
    this.kafka = new Kafka(kafkaConfig(opts.brokers, opts.client ?? {}, { clientId: opts.clientId ?? 'graticule-sensors', log: opts.log }))
    // not idempotent: a record sent twice is harmless (windows count a (sensor, ts) once), while an
    // idempotent session does not survive its broker's death (see gateway/ingest/kafka-source.ts).
    // Records name their partition, so the partitioner is never asked (naming it silences kafkajs's notice).
    this.producer = this.kafka.producer({ idempotent: false, maxInFlightRequests: 1, allowAutoTopicCreation: true, createPartitioner: Partitioners.DefaultPartitioner })
  }

  /** Creates the topic if needed (with the cluster's default replication factor) and connects. */
  async connect(createPartitions = 4): Promise<void> {
    try {
      const admin = this.kafka.admin()
      await admin.connect()
      try {
        if (!(await admin.listTopics()).includes(this.opts.topic)) {
          await admin.createTopics({ topics: [{ topic: this.opts.topic, numPartitions: createPartitions }], waitForLeaders: true }).catch(() => undefined)
        }
        const meta = await admin.fetchTopicMetadata({ topics: [this.opts.topic] })
        this.partitions = meta.topics[0].partitions.length
      } finally {
        await admin.disconnect()
      }
      await this.producer.connect()
    } catch (e) {
      throw kafkaConnectError(e, this.opts.brokers, this.opts.client ?? {})
    }
  }

  /** Sends points: grouped by their sensor's partition, `batch` points per record. */
  async send(points: SensorPoint[]): Promise<void> {
    const batch = Math.max(1, this.opts.batch ?? 1)
    const byPartition = new Map<number, SensorPoint[]>()
    for (const p of points) {
      const k = sensorPartition(p.sensor, this.partitions)
      let list = byPartition.get(k)
      if (!list) byPartition.set(k, (list = []))
      list.push(p)
    }
    const messages: Array<{ partition: number; value: Buffer }> = []
    for (const [partition, list] of byPartition) {
      for (let i = 0; i < list.length; i += batch) {
        const slice = list.slice(i, i + batch)
        const format = this.opts.format ?? 'json'
        const bytes = this.opts.layout === 'columns' && batch > 1 ? encodeSensorColumns(slice, format) : encodeSensorMessage(batch === 1 ? slice[0] : slice, format)
        messages.push({ partition, value: Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength) })
      }
    }
    await this.producer.send({ topic: this.opts.topic, messages, acks: -1 })
    this.sentPoints += points.length
    this.sentRecords += messages.length
  }

  async disconnect(): Promise<void> {
    await this.producer.disconnect()
  }
}
