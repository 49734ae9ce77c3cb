// The real broker started by tests/global-kafka.ts: topics, a keyed produce of 1000 messages, a consumer
// group reading all of them back, and the broker-side offsets agreeing with what the clients saw.
import { randomUUID } from 'node:crypto'
import { Kafka, logLevel, Partitioners, type Admin, type KafkaMessage } from 'kafkajs'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { brokerStatus, startBroker, stopBroker } from '../../gateway/kafka/broker.js'
import type {} from '../global-kafka.js' // declares inject('kafkaBrokers')

const brokers = inject('kafkaBrokers')
if (!brokers) throw new Error('no test broker: this file needs tests/global-kafka.ts as its vitest globalSetup')
const port = Number(brokers.split(':')[1])
const N = 1000
const PARTITIONS = 4

const kafka = new Kafka({ clientId: 'graticule-kafka-broker-test', brokers: [brokers], logLevel: logLevel.NOTHING })
let admin: Admin

beforeAll(async () => {
  admin = kafka.admin()
  await admin.connect()
})
afterAll(async () => {
  await admin?.disconnect()
})

describe('test broker from globalSetup', () => {
  it('is published to the test forks both by provide/inject and by env', () => {
    expect(brokers).toMatch(/^127\.0\.0\.1:\d+$/)
    expect(process.env.GRATICULE_TEST_KAFKA).toBe(brokers)
  })

  it('is a live kafka.Kafka JVM recorded in its pid file, listening on loopback', async () => {
    const st = await brokerStatus(port)
    expect(st.running).toBe(true)
    expect(st.listening).toBe(true)
    expect(st.record?.brokers).toBe(brokers)
    expect(st.record?.controllerPort).toBe(port + 1)
    const cluster = await admin.describeCluster()
    expect(cluster.brokers).toEqual([expect.objectContaining({ nodeId: 1, host: '127.0.0.1', port })])
  })

  it('refuses to start a second broker on the same port, and to signal a process that is not a broker', async () => {
    await expect(startBroker({ port, timeoutMs: 5_000 })).rejects.toThrow(`already running on ${brokers}`)
    await expect(stopBroker(process.pid)).rejects.toThrow(/not our Kafka broker/)
    expect((await brokerStatus(port)).running).toBe(true)
  })
})

describe('produce and consume through a consumer group', () => {
  const topic = `graticule-test-${randomUUID()}`
  const groupId = `graticule-test-group-${randomUUID()}`

  it(`creates a ${PARTITIONS}-partition topic, produces ${N} keyed messages and consumes every one exactly once`, async () => {
    expect(await admin.createTopics({ topics: [{ topic, numPartitions: PARTITIONS }], waitForLeaders: true })).toBe(true)
    const meta = await admin.fetchTopicMetadata({ topics: [topic] })
    expect(meta.topics[0].partitions.map((p) => p.partitionId).sort()).toEqual([0, 1, 2, 3])

    // 1000 messages in 10 sends of 100, keyed by 37 sensors so every partition gets some. Idempotent: a
    // fresh topic's partitions can briefly answer NOT_LEADER, and kafkajs then resends the whole request,
    // duplicating the partitions that had succeeded (seen under load); sequence numbers let the broker drop those.
    const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner, idempotent: true, maxInFlightRequests: 1 })
    await producer.connect()
    const sent = new Map<number, { key: string; value: string }>()
    for (let b = 0; b < 10; b++) {
      const messages = []
      for (let i = b * 100; i < (b + 1) * 100; i++) {
        const m = { key: `sensor-${i % 37}`, value: JSON.stringify({ seq: i, v: Math.sin(i) }) }
        sent.set(i, m)
        messages.push(m)
      }
      const acks = await producer.send({ topic, messages, acks: -1 })
      expect(acks.every((a) => a.errorCode === 0)).toBe(true)
    }
    await producer.disconnect()

    // Broker-side count, independent of the consumer.
    const offsets = await admin.fetchTopicOffsets(topic)
    expect(offsets).toHaveLength(PARTITIONS)
    expect(offsets.reduce((n, o) => n + Number(o.high) - Number(o.low), 0), JSON.stringify(offsets)).toBe(N)
    expect(offsets.every((o) => Number(o.high) > 0)).toBe(true)

    // A short fetch wait: disconnect() waits for the fetch in flight (5 s by default).
    const consumer = kafka.consumer({ groupId, heartbeatInterval: 500, sessionTimeout: 10_000, maxWaitTimeInMs: 200 })
    await consumer.connect()
    await consumer.subscribe({ topic, fromBeginning: true })
    const got: { partition: number; offset: number; message: KafkaMessage }[] = []
    let resolveAll!: () => void
    const all = new Promise<void>((r) => (resolveAll = r))
    await consumer.run({
      eachMessage: async ({ partition, message }) => {
        got.push({ partition, offset: Number(message.offset), message })
        if (got.length === N) resolveAll()
      },
    })
    const timeout = new Promise<never>((_, no) => setTimeout(() => no(new Error(`only ${got.length}/${N} consumed`)), 30_000))
    await Promise.race([all, timeout])
    await new Promise((r) => setTimeout(r, 500)) // anything beyond N would be a duplicate: let it show up
    await consumer.disconnect() // commits the consumed offsets

    expect(got).toHaveLength(N)
    const seqs = got.map((g) => JSON.parse(g.message.value!.toString()).seq as number)
    expect(new Set(seqs).size).toBe(N)
    expect(Math.min(...seqs)).toBe(0)
    expect(Math.max(...seqs)).toBe(N - 1)
    for (const g of got) {
      const seq = JSON.parse(g.message.value!.toString()).seq as number
      expect(g.message.key!.toString()).toBe(sent.get(seq)!.key)
      expect(g.message.value!.toString()).toBe(sent.get(seq)!.value)
    }

    // Same key -> same partition; within a partition, offsets are dense and follow the send order.
    const partitionOfKey = new Map<string, number>()
    for (const g of got) {
      const key = g.message.key!.toString()
      expect(partitionOfKey.get(key) ?? g.partition).toBe(g.partition)
      partitionOfKey.set(key, g.partition)
    }
    for (let p = 0; p < PARTITIONS; p++) {
      const inP = got.filter((g) => g.partition === p)
      expect(inP.length).toBeGreaterThan(0)
      expect(inP.length).toBe(Number(offsets.find((o) => o.partition === p)!.high))
      expect(inP.map((g) => g.offset)).toEqual(inP.map((_, i) => i))
      const pSeqs = inP.map((g) => JSON.parse(g.message.value!.toString()).seq as number)
      expect(pSeqs).toEqual([...pSeqs].sort((a, b) => a - b))
    }

    // The group's committed offsets cover the whole topic.
    const committed = await admin.fetchOffsets({ groupId, topics: [topic] })
    const byPartition = committed[0].partitions
    expect(byPartition.reduce((n, p) => n + Number(p.offset), 0)).toBe(N)

    await admin.deleteTopics({ topics: [topic] })
  })
})
