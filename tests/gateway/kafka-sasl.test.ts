// The gateway against a broker that wants SASL and TLS, as managed Kafka does. This file starts its own broker
// (stopped by its handle at the end) with a SASL_PLAINTEXT and a SASL_SSL listener, PLAIN and SCRAM users, and a
// CA made for the run: points produced with one user's credentials are counted once in the results another
// user reads; wrong credentials fail the start in seconds, saying so; a client without SASL or the CA is refused.
import { randomUUID } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { createServer, type Server } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Kafka, type Consumer } from 'kafkajs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startBroker, type BrokerHandle } from '../../gateway/kafka/broker.js'
import { makeDevCertificates, type DevCertificates } from '../../gateway/kafka/dev-certificates.js'
import { buildGateway, type Gateway } from '../../gateway/app.js'
import { Dataplane } from '../../dataplane/dataplane.js'
import { ChainRegistry } from '../../chains/registry.js'
import { ChainRunner } from '../../chains/run.js'
import { GatewayMetrics } from '../../gateway/metrics.js'
import { Ingestion, type IngestionOptions } from '../../gateway/ingest/ingestion.js'
import { kafkaConfig, kafkaConnectError, type KafkaClientSettings } from '../../gateway/ingest/kafka-client.js'
import type { IngestLogger } from '../../gateway/ingest/ingest-log.js'
import { SensorProducer } from '../../gateway/ingest/sensor-producer.js'
import { SensorSimulator } from '../../gateway/ingest/simulator.js'
import type { SensorPoint } from '../../gateway/ingest/sensor-record.js'
import { waitFor } from '../helpers/gateway-process.js'

const PLAIN_USER = { username: 'sensors', password: 'sensors-secret' }
const SCRAM_USER = { username: 'gateway', password: 'gateway-secret' }
/** how long a refused start may take, even on a loaded machine: a refusal needs one round trip, not retries */
const REFUSED_WITHIN_MS = 10_000

let dir: string
let certs: DevCertificates
let broker: BrokerHandle
let dp: Dataplane
const consumers: Consumer[] = []

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'graticule-kafka-sasl-'))
  certs = makeDevCertificates(join(dir, 'certs'))
  const [port, controllerPort, saslPort, tlsPort] = await freePorts(4)
  broker = await startBroker({
    port, controllerPort, dataDir: join(dir, 'broker'), detached: false, ownerPid: process.pid,
    sasl: { port: saslPort, tlsPort, tls: { certificate: certs.certificate, key: certs.key }, plain: [PLAIN_USER], scram: [SCRAM_USER] },
  })
  dp = await Dataplane.start({ workers: 1 })
})

afterAll(async () => {
  await Promise.all(consumers.map((c) => c.disconnect().catch(() => undefined)))
  await dp?.close()
  await broker?.stop() // by its own pid
  if (dir) rmSync(dir, { recursive: true, force: true })
})

/** Ports the OS calls free, all held at once so they differ. */
async function freePorts(n: number): Promise<number[]> {
  const servers = await Promise.all(Array.from({ length: n }, () => new Promise<Server>((resolve, reject) => {
    const s = createServer()
    s.once('error', reject)
    s.listen(0, '127.0.0.1', () => resolve(s))
  })))
  const ports = servers.map((s) => (s.address() as { port: number }).port)
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))))
  return ports
}

interface Entry { level: string; fields: Record<string, unknown>; msg: string }

/** An IngestLogger that keeps what it is told (a pino logger at `level` as far as kafkajs can tell). */
function recordingLogger(level = 'info'): { log: IngestLogger; entries: Entry[] } {
  const entries: Entry[] = []
  const at = (lv: string) => (a: object | string, msg?: string) => {
    entries.push(typeof a === 'string' ? { level: lv, fields: {}, msg: a } : { level: lv, fields: a as Record<string, unknown>, msg: msg ?? '' })
  }
  return { entries, log: { level, error: at('error'), warn: at('warn'), info: at('info'), debug: at('debug') } }
}

const plain: KafkaClientSettings = { sasl: { mechanism: 'plain', ...PLAIN_USER } }
const scram256: KafkaClientSettings = { sasl: { mechanism: 'scram-sha-256', ...SCRAM_USER } }
// as a managed cluster is reached: TLS with the CA that signed the brokers' certificates, SCRAM
const tlsScram512 = (): KafkaClientSettings => ({ ssl: { ca: certs.ca }, sasl: { mechanism: 'SCRAM-SHA-512', ...SCRAM_USER } })

function names() {
  const id = randomUUID().slice(0, 8)
  return { topic: `sensors.${id}`, resultsTopic: `results.${id}`, groupId: `gw.${id}` }
}

function ingestion(kafka: NonNullable<IngestionOptions['kafka']>, log: IngestLogger): IngestionOptions {
  return { windows: { sizeMs: 1_000, allowedLatenessMs: 800 }, idleFlushMs: 2_000, simulator: null, kafka, log }
}

/** Reads the results topic from the start, keeping the latest count per window key (results are upserts). */
async function resultReader(brokers: string, topic: string, client: KafkaClientSettings): Promise<{ total: () => number }> {
  const consumer = new Kafka(kafkaConfig([brokers], client, { clientId: 'results-reader', log: null })).consumer({ groupId: `reader.${randomUUID()}`, maxWaitTimeInMs: 200 })
  consumers.push(consumer)
  await consumer.connect()
  await consumer.subscribe({ topic, fromBeginning: true })
  const counts = new Map<string, number>()
  await consumer.run({ eachMessage: async ({ message }) => {
    const r = JSON.parse(message.value!.toString()) as { key: string; count: number }
    counts.set(r.key, r.count)
  } })
  return { total: () => [...counts.values()].reduce((a, b) => a + b, 0) }
}

async function metric(m: GatewayMetrics, re: RegExp): Promise<number> {
  return Number(re.exec(await m.registry.metrics())?.[1] ?? 0)
}

describe('gateway ⇄ Kafka with SASL and TLS', () => {
  it('counts every point once: sensors produce with PLAIN, the gateway consumes and publishes over TLS with SCRAM-SHA-512, a reader uses SCRAM-SHA-256', async () => {
    const n = names()
    const producer = new SensorProducer({ brokers: [broker.saslBrokers!], client: plain, topic: n.topic, batch: 50 })
    await producer.connect(4)
    const { log, entries } = recordingLogger()
    let gw: Gateway | undefined
    try {
      gw = await buildGateway({ dataplane: dp, chainsDir: null, faasletsDir: null, logLevel: false, ingestion: ingestion({ brokers: [broker.saslTlsBrokers!], client: tlsScram512(), ...n }, log) })
      const reader = await resultReader(broker.saslBrokers!, n.resultsTopic, scram256)
      // 5 % of the points are sent twice: counted in, deduplicated, out once
      const sim = new SensorSimulator({ sensors: 200, seed: 11, startTs: 1_700_000_000_000, intervalMs: 1_000, lateFraction: 0, lateMs: 0, duplicateFraction: 0.05 })
      const sent: SensorPoint[] = []
      for (let i = 0; i < 8; i++) {
        const batch = sim.next(1_000)
        sent.push(...batch)
        await producer.send(batch)
      }
      const distinct = new Set(sent.map((p) => `${p.sensor}|${p.ts}`)).size
      expect(sent.length).toBeGreaterThan(distinct)
      const m = gw.ctx.metrics
      const points = (outcome: string) => metric(m, new RegExp(`graticule_sensor_points_total\\{source="kafka",outcome="${outcome}"\\} (\\d+)`))
      // the reader may see the last result before the gateway has counted it out (both wait on the broker)
      const settled = async () => reader.total() === distinct && (await points('in')) === sent.length && (await points('out')) === distinct
      await waitFor(`${distinct} points in the results, ${sent.length} in and ${distinct} out on the metrics`, async () => ((await settled()) ? true : undefined), 60_000)
        .catch(async (e: Error) => { throw new Error(`${e.message}: results ${reader.total()}, in ${await points('in')}, out ${await points('out')}`) })
      expect(await points('deduplicated')).toBe(sent.length - distinct)
      expect(await points('late')).toBe(0)
      await waitFor('the link to say connected', () => gw!.ctx.ingestion!.kafka!.link.state === 'connected' || undefined, 10_000)
      // the link's changes went to the logger given, as structured entries
      expect(entries).toContainEqual(expect.objectContaining({ level: 'info', fields: expect.objectContaining({ kafkaLink: 'connected' }), msg: 'kafka link connected: consuming and publishing' }))
    } finally {
      await producer.disconnect()
      await gw?.close()
    }
  })

  it('wrong credentials fail the start in seconds with a clear error; the link says lost, on the metric too', async () => {
    const n = names()
    const metrics = new GatewayMetrics(dp)
    const { log, entries } = recordingLogger()
    const wrong: KafkaClientSettings = { sasl: { mechanism: 'scram-sha-256', username: SCRAM_USER.username, password: 'not-the-password' } }
    const ing = new Ingestion(new ChainRunner(dp), new ChainRegistry(dp.catalog), metrics, ingestion({ brokers: [broker.saslBrokers!], client: wrong, ...n }, log))
    const t0 = Date.now()
    await expect(ing.start()).rejects.toThrow(`Kafka ${broker.saslBrokers} refused SCRAM-SHA-256 authentication as "gateway"`)
    expect(Date.now() - t0).toBeLessThan(REFUSED_WITHIN_MS)
    expect(ing.kafka!.link.state).toBe('lost')
    expect(ing.kafka!.link.reason).toMatch(/refused SCRAM-SHA-256 authentication.*check the user name, password and mechanism/)
    expect(await metric(metrics, /graticule_kafka_link_state\{state="lost"\} (\d+)/)).toBe(1)
    expect(entries).toContainEqual(expect.objectContaining({ level: 'warn', fields: expect.objectContaining({ kafkaLink: 'lost' }) }))
    // kafkajs's own entries came through the same logger (its errors as warnings)
    expect(entries.some((e) => e.level === 'warn' && typeof e.fields.kafkajs === 'string')).toBe(true)

    // the whole gateway: the same, and so does a sensor producer with a wrong PLAIN password
    const t1 = Date.now()
    await expect(buildGateway({ dataplane: dp, chainsDir: null, faasletsDir: null, logLevel: false, ingestion: ingestion({ brokers: [broker.saslTlsBrokers!], client: { ...tlsScram512(), sasl: { ...wrong.sasl!, mechanism: 'scram-sha-512' } }, ...n }, log) }))
      .rejects.toThrow(/refused SCRAM-SHA-512 authentication as "gateway"/)
    const producer = new SensorProducer({ brokers: [broker.saslBrokers!], client: { sasl: { mechanism: 'plain', username: PLAIN_USER.username, password: 'wrong' } }, topic: n.topic, log })
    await expect(producer.connect()).rejects.toThrow(`Kafka ${broker.saslBrokers} refused PLAIN authentication as "sensors"`)
    expect(Date.now() - t1).toBeLessThan(2 * REFUSED_WITHIN_MS)
  })

  it('refuses a client without SASL, and a TLS client that does not trust the CA, and says what to set', async () => {
    /** What the gateway and `graticule sensors` would say (kafkaConnectError), after one try instead of their retries. */
    const attempt = async (brokers: string, client: KafkaClientSettings) => {
      const admin = new Kafka(kafkaConfig([brokers], client, { clientId: 'unwelcome', retry: { retries: 0 }, log: null })).admin()
      try {
        await admin.connect()
        await admin.listTopics()
        return 'connected'
      } catch (e) {
        return kafkaConnectError(e, [brokers], client).message
      } finally {
        await admin.disconnect().catch(() => undefined)
      }
    }
    const t0 = Date.now()
    expect(await attempt(broker.saslBrokers!, {})).toBe(`Kafka ${broker.saslBrokers}: Closed connection (does the listener want TLS (kafka-tls) or SASL (kafka-sasl)?)`)
    expect(await attempt(broker.saslTlsBrokers!, { ssl: { ca: certs.ca } })).toBe(`Kafka ${broker.saslTlsBrokers}: Closed connection (does the listener want SASL (kafka-sasl)?)`)
    expect(await attempt(broker.saslTlsBrokers!, { ssl: true, sasl: scram256.sasl }))
      .toBe(`Kafka ${broker.saslTlsBrokers}: the brokers' TLS certificate is not trusted: Connection error: unable to verify the first certificate (kafka-ca: the CA that signed it)`)
    expect(Date.now() - t0).toBeLessThan(REFUSED_WITHIN_MS)
  })
})

describe('Kafka client settings that cannot work are refused before connecting', () => {
  const make = (client: KafkaClientSettings) => () => kafkaConfig(['127.0.0.1:9'], client, { clientId: 'x', log: null })
  it('names the setting and what is wrong with it', () => {
    expect(make({ sasl: { mechanism: 'scram-sha-1', username: 'u', password: 'p' } })).toThrow('configuration kafka-sasl: "scram-sha-1" is not one of plain, scram-sha-256, scram-sha-512')
    expect(make({ sasl: { mechanism: 'plain', username: '', password: 'p' } })).toThrow('configuration kafka-username: SASL PLAIN needs a user name')
    expect(make({ sasl: { mechanism: 'SCRAM-SHA-512', username: 'u', password: '' } })).toThrow('configuration kafka-password: SASL SCRAM-SHA-512 needs a password (user "u")')
    expect(make({ ssl: { ca: '/nonexistent/ca.pem' } })).toThrow('configuration kafka-ca: cannot read /nonexistent/ca.pem (ENOENT)')
    expect(make({ ssl: { ca: certs.key } })).toThrow(`configuration kafka-ca: ${certs.key} holds no PEM CERTIFICATE`)
    expect(make({ ssl: { cert: certs.certificate } })).toThrow('configuration kafka-key: a client certificate needs its key')
    expect(() => kafkaConfig(['localhost'], {}, { clientId: 'x' })).toThrow('configuration kafka: expected host:port[,host:port], got "localhost"')
    expect(make({ ssl: { ca: certs.ca }, sasl: { mechanism: 'Scram-Sha-256', username: 'u', password: 'p' } })().sasl).toEqual({ mechanism: 'scram-sha-256', username: 'u', password: 'p' })
  })
})
