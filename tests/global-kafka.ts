// vitest globalSetup: one real Kafka broker (KRaft, 127.0.0.1:19092, controller 19093) for the Kafka
// tests, in a fresh temp data dir. Fails the run loudly when Java or Maven is missing: never a skip.
// Tests read the address with `inject('kafkaBrokers')` (or process.env.GRATICULE_TEST_KAFKA, which forks
// spawned after this setup inherit).
import { mkdtempSync, rmSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { TestProject } from 'vitest/node'
import { assembleKafka, readBrokerRecord, startBroker } from '../gateway/kafka/broker.js'

declare module 'vitest' {
  export interface ProvidedContext {
    /** bootstrap address of the test broker, '127.0.0.1:19092' */
    kafkaBrokers: string
  }
}

/** 19092 (controller 19093) unless GRATICULE_TEST_KAFKA_PORT says otherwise (e.g. two checkouts at once). */
export const TEST_KAFKA_PORT = Number(process.env.GRATICULE_TEST_KAFKA_PORT || 19092)

function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createServer()
    s.once('error', () => resolve(false))
    s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)))
  })
}

/** The default pair if free, else another free pair (another run, or a user's broker, holds 19092). */
async function choosePorts(): Promise<number> {
  if (process.env.GRATICULE_TEST_KAFKA_PORT) return TEST_KAFKA_PORT
  if (readBrokerRecord(TEST_KAFKA_PORT)) return TEST_KAFKA_PORT // ours, left by a killed run: restarted below
  for (let port = TEST_KAFKA_PORT; port < TEST_KAFKA_PORT + 400; port += 2) {
    if ((await portFree(port)) && (await portFree(port + 1))) return port
  }
  return TEST_KAFKA_PORT
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const log = (line: string) => console.log(line)
  await assembleKafka({ log }) // ~30 s the first time on a fresh clone (Maven caches in ~/.m2), ms after
  const prefix = join(tmpdir(), 'graticule-kafka-test-')
  const port = await choosePorts()
  const previous = readBrokerRecord(port) // a run killed before its teardown leaves this behind
  const dataDir = mkdtempSync(prefix)
  const broker = await startBroker({
    port,
    controllerPort: port + 1,
    dataDir,
    detached: false, // same process group: a Ctrl-C of the test run reaches the broker too
    ownerPid: process.pid, // a broker left behind by a killed run is stopped by the next one
    log,
  }).catch((err: unknown) => {
    rmSync(dataDir, { recursive: true, force: true })
    throw err
  })
  // startBroker has stopped a stale broker of a dead run (or refused to start); its temp data can go.
  if (previous?.dataDir.startsWith(prefix)) rmSync(previous.dataDir, { recursive: true, force: true })
  process.env.GRATICULE_TEST_KAFKA = broker.brokers
  project.provide('kafkaBrokers', broker.brokers)

  return async () => {
    await broker.stop() // by its own pid only
    rmSync(dataDir, { recursive: true, force: true })
  }
}
