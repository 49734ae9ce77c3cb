// vitest globalSetup: one real Kafka broker (KRaft, 127.0.0.1:19092, controller 19093) for the Kafka
// tests, in a fresh temp data dir. Fails the run loudly when Java or Maven is missing: never a skip.
// Tests read the address with `inject('kafkaBrokers')` (or process.env.GRATICULE_TEST_KAFKA, which forks
// spawned after this setup inherit).
import { mkdtempSync, rmSync } from 'node:fs'
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
export const TEST_KAFKA_CONTROLLER_PORT = TEST_KAFKA_PORT + 1

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const log = (line: string) => console.log(line)
  await assembleKafka({ log }) // ~30 s the first time on a fresh clone (Maven caches in ~/.m2), ms after
  const prefix = join(tmpdir(), 'graticule-kafka-test-')
  const previous = readBrokerRecord(TEST_KAFKA_PORT) // a run killed before its teardown leaves this behind
  const dataDir = mkdtempSync(prefix)
  const broker = await startBroker({
    port: TEST_KAFKA_PORT,
    controllerPort: TEST_KAFKA_CONTROLLER_PORT,
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
