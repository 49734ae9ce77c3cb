// Many gateways, one registry: user chains and deployed faaslets kept in two compacted Kafka topics that every
// gateway reads, so gateways behind one load balancer agree. A record's key is the name; its value the chain's
// YAML or the deployed module (registry-codec.ts); a delete is a tombstone. The topics are the truth: each
// gateway applies every record, in topic order, to its own ChainRegistry and Catalog.
//
// Writes. A PUT or DELETE is checked here first exactly as without a registry (chain validation; a module's
// checks and compilation on a deploy worker), so nothing refused ever reaches the topic; then the record is
// written with acks -1, and only then applied here at once (read-your-writes) and answered. Its offset is
// remembered per name: a record of that name at or below it (our own, coming back, or an older one still on its
// way) is not applied again, so the instance that took the PUT never goes back to an older version. A newer
// record of the name that was applied meanwhile wins over the local write: the last record in the topic wins.
// Deploys of one instance run one at a time (a module's slot is checked against what the others took), and a
// faaslet record read back while a local write of its name is under way waits for it (so it is not checked twice).
// A known edge: two instances deploying different names into one static slot at the same moment both succeed
// where they were taken; every other instance applies the first in topic order and refuses the second (logged),
// and the instance that took the second keeps it until it restarts.
//
// Reading. kafkajs cannot read partitions without a consumer group, so each gateway joins a group of its own
// (host, pid and a random suffix: instances never share or split the partitions) with fromBeginning and
// autoCommit off: nothing is committed, every start — and every replacement of a consumer kafkajs gave up on —
// reads both topics from their beginning, and the group is forgotten by the broker once it leaves. Records
// already applied are skipped by their offsets. A small fetch wait (maxWaitTimeInMs 100) makes another
// instance's PUT visible here within a fetch round trip plus the time its checks take.
//
// Start. The end offsets of both topics are taken before the consumer starts; start() resolves once every
// partition is read up to them and the consumer has completed a fetch (buildGateway awaits it), so after a
// restart every chain and faaslet is there before the gateway listens.
//
// Order across the topics. A chain may arrive before the faaslet it uses (two topics, two streams). A chain
// record that does not validate is kept pending — the version in force, if any, keeps serving meanwhile — and
// every pending chain is tried again each time a faaslet is applied or removed; a newer record or a tombstone of
// its name replaces it. A faaslet's tombstone, or a new version of it a chain no longer fits, withdraws the user
// chains concerned into pending (they could no longer run), and they come back once a faaslet they fit is
// applied — as a gateway started afresh would have them.
//
// A record that cannot be applied (not a faaslet record, a hash mismatch, a module the checks refuse, a shipped
// name — the topics cannot replace what ships with graticule) is logged with E_REGISTRY_RECORD and skipped.
import { randomUUID } from 'node:crypto'
import { hostname } from 'node:os'
import { setTimeout as sleep } from 'node:timers/promises'
import { Kafka, Partitioners, type Admin, type ConfigResourceTypes, type Consumer, type EachBatchPayload, type KafkaConfig, type KafkaMessage, type Producer, type RetryOptions } from 'kafkajs'
import { checkChainName, type ChainRegistry } from '../../chains/registry.js'
import type { Chain } from '../../chains/chain.js'
import type { Manifest } from '../../faaslets/abi/manifest.js'
import { Catalog, type CatalogEntry } from '../../faaslets/catalog.js'
import { DeployedStore } from '../../faaslets/deploy.js'
import { fail, isGraticuleError } from '../../errors/index.js'
import { kafkaConfig, kafkaConnectError, type KafkaClientSettings } from '../ingest/kafka-client.js'
import { stderrLogger, type IngestLogger } from '../ingest/ingest-log.js'
import { decodeFaasletRecord, encodeFaasletRecord } from './registry-codec.js'
import { DEFAULT_CHAINS_TOPIC, DEFAULT_FAASLETS_TOPIC, MAX_RECORD_BYTES, TOPIC_MAX_MESSAGE_BYTES } from './registry-topics.js'

export interface RegistryOptions {
  brokers: string[]
  /** TLS, SASL and timeouts the cluster wants (gateway/ingest/kafka-client.ts) */
  client?: KafkaClientSettings
  /** compacted topic of the user chains (default graticule.chains) */
  chainsTopic?: string
  /** compacted topic of the deployed faaslets (default graticule.faaslets) */
  faasletsTopic?: string
  clientId?: string
  /** how long start() may take to read both topics to their end offsets (default 120 s) */
  catchUpTimeoutMs?: number
  /** where the registry's lines go (default: the gateway's logger, else stderr) */
  log?: IngestLogger
}

export interface RegistryDeps {
  chains: ChainRegistry
  catalog: Catalog
  /** the gateway's store of deployed faaslets (no folder when a registry is used): its time limit, and removal */
  faaslets: DeployedStore
}

/** The consumer's client is patient (a broker still starting); writes fail fast, so a PUT answers 503 in seconds. */
const PATIENT: RetryOptions = { retries: 10, initialRetryTime: 200, maxRetryTime: 5_000 }
const FAST: RetryOptions = { retries: 3, initialRetryTime: 200, maxRetryTime: 1_000 }
const FETCH_WAIT_MS = 100
/** ConfigResourceTypes.TOPIC: kafkajs's ESM face (Node's view of its CommonJS exports) lacks the enum */
const TOPIC_RESOURCE = 2 as ConfigResourceTypes

interface Checked {
  entry: CatalogEntry
  module: WebAssembly.Module
  bytes: Uint8Array
}

type Kind = 'chains' | 'faaslets'

export class KafkaRegistry {
  readonly chainsTopic: string
  readonly faasletsTopic: string
  private readonly log: IngestLogger
  private readonly chains: ChainRegistry
  private readonly catalog: Catalog
  private readonly faaslets: DeployedStore
  /** runs DeployedStore's checks against a copy of the catalog (see check) */
  private readonly checker: DeployedStore
  private config: KafkaConfig | null = null
  private producer: Producer | null = null
  private consumer: Consumer | null = null
  /** bumped for each consumer (and at stop): batches of a replaced one are dropped */
  private generation = 0
  /** per name, the offset of the record this instance reflects */
  private readonly applied: Record<Kind, Map<string, bigint>> = { chains: new Map(), faaslets: new Map() }
  /** chain records that did not validate yet (their faaslet not here yet), by name: their YAML */
  private readonly pending = new Map<string, string>()
  /** per topic/partition, the last offset read */
  private readonly position = new Map<string, bigint>()
  /** the current consumer has completed a fetch: it reads (its offsets resolved), not only joined */
  private fetching = false
  private readonly waiters = new Set<() => void>()
  private deploys: Promise<unknown> = Promise.resolve()
  /** local faaslet writes in progress, by name: their own record, read back meanwhile, waits for them (not checked twice) */
  private readonly writing = new Map<string, Promise<void>>()
  private stopped = false
  private replaceTimer: NodeJS.Timeout | null = null
  private replaceAttempts = 0

  constructor(deps: RegistryDeps, private readonly opts: RegistryOptions) {
    this.chains = deps.chains
    this.catalog = deps.catalog
    this.faaslets = deps.faaslets
    this.checker = new DeployedStore(null, { timeLimitMs: deps.faaslets.timeLimitMs })
    this.chainsTopic = opts.chainsTopic ?? DEFAULT_CHAINS_TOPIC
    this.faasletsTopic = opts.faasletsTopic ?? DEFAULT_FAASLETS_TOPIC
    this.log = opts.log ?? stderrLogger
  }

  private get at(): string {
    return `Kafka ${this.opts.brokers.join(',')}`
  }

  /**
   * Creates the topics if missing, connects, and reads both topics up to the end offsets they had when it began.
   * Throws E_BAD_CONFIG for settings that cannot work, E_REGISTRY_UNAVAILABLE when the cluster cannot be used.
   */
  async start(): Promise<void> {
    const { brokers, client = {} } = this.opts
    this.config = kafkaConfig(brokers, client, { clientId: this.opts.clientId ?? `graticule-registry-${process.pid}`, log: this.log })
    const patient = new Kafka({ ...this.config, retry: PATIENT })
    this.producer = new Kafka({ ...this.config, retry: FAST }).producer({
      allowAutoTopicCreation: false, idempotent: false, maxInFlightRequests: 1, createPartitioner: Partitioners.DefaultPartitioner,
    })
    try {
      const admin = patient.admin()
      await admin.connect()
      let ends: Map<string, bigint>
      try {
        await this.setUpTopics(admin)
        ends = await this.endOffsets(admin)
      } finally {
        await admin.disconnect().catch(() => {})
      }
      await this.producer.connect()
      await this.runConsumer()
      await this.caughtUp(ends, this.opts.catchUpTimeoutMs ?? 120_000)
    } catch (e) {
      await this.stop()
      if (isGraticuleError(e)) throw e
      throw fail('E_REGISTRY_UNAVAILABLE', kafkaConnectError(e, brokers, client).message)
    }
    this.log.info({ chainsTopic: this.chainsTopic, faasletsTopic: this.faasletsTopic, chains: this.applied.chains.size, faaslets: this.applied.faaslets.size, pending: this.pendingChains() },
      `registry: read ${this.chainsTopic} and ${this.faasletsTopic} on ${this.at}`)
  }

  /** Compacted, one partition, records as large as a deployed module. Topics made by someone else are used as they are (a warning says what is off). */
  private async setUpTopics(admin: Admin): Promise<void> {
    const topics = [this.faasletsTopic, this.chainsTopic]
    const existing = new Set(await admin.listTopics())
    const create = topics.filter((t) => !existing.has(t))
    if (create.length) {
      await admin.createTopics({
        waitForLeaders: true,
        topics: create.map((topic) => ({
          topic, numPartitions: 1,
          configEntries: [{ name: 'cleanup.policy', value: 'compact' }, { name: 'max.message.bytes', value: String(TOPIC_MAX_MESSAGE_BYTES) }],
        })),
      }) // false (no throw) when another gateway created them first
    }
    const found = topics.filter((t) => existing.has(t))
    if (!found.length) return
    try {
      const { resources } = await admin.describeConfigs({
        includeSynonyms: false,
        resources: found.map((name) => ({ type: TOPIC_RESOURCE, name, configNames: ['cleanup.policy', 'max.message.bytes'] })),
      })
      for (const r of resources) {
        const value = (name: string) => r.configEntries.find((c) => c.configName === name)?.configValue ?? ''
        if (!value('cleanup.policy').split(',').includes('compact')) {
          this.log.warn({ topic: r.resourceName }, `registry: topic ${r.resourceName} is not compacted (cleanup.policy=${value('cleanup.policy')}): set cleanup.policy=compact, or old records expire and chains and faaslets are lost`)
        }
        if (Number(value('max.message.bytes')) < TOPIC_MAX_MESSAGE_BYTES) {
          this.log.warn({ topic: r.resourceName }, `registry: topic ${r.resourceName} takes records of at most ${value('max.message.bytes')} bytes: set max.message.bytes=${TOPIC_MAX_MESSAGE_BYTES}, or large faaslets cannot be deployed`)
        }
      }
    } catch (e) {
      this.log.debug({ error: (e as Error).message }, `registry: cannot describe the topics' configuration: ${(e as Error).message}`)
    }
  }

  /**
   * The last offset of every partition that holds records, as the catch-up target. A topic another gateway has
   * just created may have no leader yet (kafkajs's admin gives up on that at once): metadata again, and retry.
   */
  private async endOffsets(admin: Admin): Promise<Map<string, bigint>> {
    const topics = [this.faasletsTopic, this.chainsTopic]
    for (let attempt = 0; ; attempt++) {
      try {
        const ends = new Map<string, bigint>()
        for (const topic of topics) {
          for (const p of await admin.fetchTopicOffsets(topic)) {
            if (BigInt(p.high) > BigInt(p.low)) ends.set(`${topic}/${p.partition}`, BigInt(p.high) - 1n)
          }
        }
        return ends
      } catch (e) {
        if (!(e as { retriable?: boolean }).retriable || attempt >= 12) throw e
        await sleep(Math.min(2_000, 100 * 2 ** attempt))
        await admin.fetchTopicMetadata({ topics }).catch(() => {})
      }
    }
  }

  private async runConsumer(): Promise<void> {
    const generation = ++this.generation
    const consumer = new Kafka({ ...this.config!, retry: PATIENT }).consumer({
      // a group of this instance's own (see the header): never shared, nothing committed
      groupId: `graticule-registry.${hostname()}.${process.pid}.${randomUUID().slice(0, 8)}`,
      maxWaitTimeInMs: FETCH_WAIT_MS,
      // one fetch carries a whole record of the largest size
      maxBytesPerPartition: 2 * TOPIC_MAX_MESSAGE_BYTES,
      maxBytes: 4 * TOPIC_MAX_MESSAGE_BYTES,
      allowAutoTopicCreation: false,
    })
    this.consumer = consumer
    this.fetching = false
    consumer.on(consumer.events.FETCH, () => {
      if (generation !== this.generation || this.fetching) return
      this.fetching = true
      for (const w of this.waiters) w()
    })
    // a batch of control records only reaches no handler: its offsets count as read all the same
    consumer.on(consumer.events.END_BATCH_PROCESS, ({ payload }) => {
      if (payload.batchSize === 0 && generation === this.generation) this.advance(payload.topic, payload.partition, payload.lastOffset)
    })
    consumer.on(consumer.events.CRASH, ({ payload }) => {
      if (payload.restart || generation !== this.generation || this.stopped) return // kafkajs restarts it itself
      this.log.error({ error: payload.error.message }, `registry: the consumer of ${this.chainsTopic} and ${this.faasletsTopic} stopped: ${payload.error.message}; starting a new one`)
      this.replaceConsumer()
    })
    await consumer.connect()
    await consumer.subscribe({ topics: [this.faasletsTopic, this.chainsTopic], fromBeginning: true })
    await consumer.run({ autoCommit: false, eachBatch: (p) => this.onBatch(p, generation) })
    this.replaceAttempts = 0
  }

  /** A consumer kafkajs gave up: a new one (reading from the beginning, applied records skipped), backing off while that fails. */
  private replaceConsumer(): void {
    if (this.stopped || this.replaceTimer) return
    const delay = Math.min(30_000, 1_000 * 2 ** this.replaceAttempts++)
    const old = this.consumer
    this.replaceTimer = setTimeout(() => {
      this.replaceTimer = null
      if (this.stopped) return
      void (async () => {
        await old?.disconnect().catch(() => {})
        await this.runConsumer()
      })().catch((e: unknown) => {
        this.log.error({ error: (e as Error).message }, `registry: a new consumer could not start: ${(e as Error).message}`)
        this.replaceConsumer()
      })
    }, delay)
    this.replaceTimer.unref()
  }

  private async onBatch({ batch, heartbeat, isRunning, isStale }: EachBatchPayload, generation: number): Promise<void> {
    // only the newest record of a name in a batch counts (a topic not compacted yet holds older versions too)
    const newest = new Map<string, KafkaMessage>()
    for (const m of batch.messages) {
      const name = m.key?.toString('utf8') ?? ''
      newest.delete(name)
      newest.set(name, m)
    }
    for (const [name, m] of newest) {
      if (!isRunning() || isStale() || this.stopped || generation !== this.generation) return
      const offset = BigInt(m.offset)
      try {
        if (batch.topic === this.faasletsTopic) await this.faasletFromTopic(name, m.value, offset)
        else this.applyChain(name, m.value, offset)
      } catch (e) {
        this.skipped(batch.topic, name, offset, e)
      }
      await heartbeat() // a module's checks may take seconds
    }
    if (generation === this.generation) this.advance(batch.topic, batch.partition, batch.lastOffset())
  }

  private skipped(topic: string, name: string, offset: bigint, e: unknown): void {
    const reason = isGraticuleError(e) ? `${e.code}: ${e.message}` : (e as Error).message
    const err = fail('E_REGISTRY_RECORD', name, topic, offset, reason)
    this.log.warn({ code: err.code, topic, key: name, offset: String(offset), cause: isGraticuleError(e) ? e.code : undefined }, err.message)
  }

  private advance(topic: string, partition: number, lastOffset: string): void {
    const key = `${topic}/${partition}`
    const offset = BigInt(lastOffset)
    if (offset > (this.position.get(key) ?? -1n)) this.position.set(key, offset)
    for (const w of this.waiters) w()
  }

  private caughtUp(ends: Map<string, bigint>, timeoutMs: number): Promise<void> {
    // and the consumer fetches: a PUT elsewhere right after the start is read within one fetch wait
    const done = () => this.fetching && [...ends].every(([key, end]) => (this.position.get(key) ?? -1n) >= end)
    if (done()) return Promise.resolve()
    return new Promise((resolve, reject) => {
      const finish = (err?: Error) => {
        clearTimeout(timer)
        this.waiters.delete(waiter)
        if (err) reject(err)
        else resolve()
      }
      const waiter = () => {
        if (this.stopped) finish(fail('E_SHUTTING_DOWN'))
        else if (done()) finish()
      }
      const timer = setTimeout(() => {
        const behind = [...ends].filter(([key, end]) => (this.position.get(key) ?? -1n) < end).map(([key, end]) => `${key} at ${this.position.get(key) ?? 'none'} of ${end}`)
        finish(fail('E_REGISTRY_UNAVAILABLE', `${this.at}: the topics were not read to their end within ${timeoutMs} ms (${behind.join(', ') || 'no fetch completed'})`))
      }, timeoutMs)
      this.waiters.add(waiter)
    })
  }

  private newer(kind: Kind, name: string, offset: bigint): boolean {
    return offset > (this.applied[kind].get(name) ?? -1n)
  }

  // ------------------------------------------------------------------------------------------ applying records

  private applyChain(name: string, value: Buffer | null, offset: bigint): void {
    if (!this.newer('chains', name, offset)) return
    this.applied.chains.set(name, offset)
    this.pending.delete(name)
    if (this.chains.isShipped(name)) throw fail('E_CHAIN_READONLY', name, value === null ? 'deleted' : 'replaced')
    if (value === null) {
      if (this.chains.has(name)) this.chains.delete(name)
      return
    }
    const text = value.toString('utf8')
    try {
      this.chains.put(name, text)
    } catch (e) {
      if (!isGraticuleError(e) || e.code !== 'E_CHAIN_INVALID') throw e
      this.pending.set(name, text)
      this.log.warn({ chain: name, offset: String(offset) }, `registry: chain ${name} waits for its faaslets (tried again when they change): ${e.message}`)
    }
  }

  /** A faaslet record read from the topic: after a local write of its name in progress (its own record, most likely). */
  private async faasletFromTopic(name: string, value: Buffer | null, offset: bigint): Promise<void> {
    await this.writing.get(name)
    await this.applyFaaslet(name, value, offset)
  }

  private async applyFaaslet(name: string, value: Buffer | null, offset: bigint): Promise<void> {
    if (!this.newer('faaslets', name, offset)) return
    if (value === null) {
      this.applied.faaslets.set(name, offset)
      if (!this.catalog.has(name)) return
      if (!this.catalog.get(name).deployed) throw fail('E_FAASLET_READONLY', name, 'deleted')
      this.faaslets.remove(this.catalog, name)
      this.withdrawUsersOf(name)
      this.retryPending()
      return
    }
    const record = decodeFaasletRecord(value)
    this.install(name, offset, await this.check(name, record.wasm, record.manifest))
  }

  /**
   * DeployedStore's own checks and compilation (on its worker, under its time limit), exactly as an HTTP deploy
   * runs them, against a copy of the catalog: what passes is put in the real catalog by install, once the record
   * is known to be the newest of its name (DeployedStore has no check-only step; faaslets/ is left as it is).
   */
  private async check(name: string, wasm: Uint8Array, manifest: unknown): Promise<Checked> {
    const scratch = new Catalog()
    for (const e of this.catalog.list()) scratch.add(e)
    await this.checker.deploy(scratch, name, wasm, manifest)
    return { entry: scratch.get(name), module: scratch.module(name), bytes: scratch.wasmBytes(name) }
  }

  /** Puts a checked module in the catalog unless a newer record of its name was applied; returns whether it replaced one (null: superseded). */
  private install(name: string, offset: bigint, c: Checked): boolean | null {
    if (!this.newer('faaslets', name, offset)) return null
    // what DeployedStore checks again after its worker: the catalog may have changed meanwhile
    if (this.catalog.has(name) && !this.catalog.get(name).deployed) throw fail('E_FAASLET_READONLY', name, 'replaced')
    const slot = c.entry.manifest.slot
    const holder = this.catalog.list().find((e) => e.manifest.name !== name && e.manifest.slot === slot)
    if (holder) throw fail('E_MODULE_REFUSED', name, `static slot ${slot} is taken by faaslet "${holder.manifest.name}"`)
    const replaced = this.catalog.has(name)
    this.catalog.add(c.entry, c.module, c.bytes)
    this.applied.faaslets.set(name, offset)
    if (replaced) this.withdrawUsersOf(name)
    this.retryPending()
    return replaced
  }

  /**
   * User chains that use `faaslet` and no longer validate — it was removed, or replaced by a version whose
   * manifest they do not fit — are withdrawn into pending, as a gateway started afresh would have them.
   */
  private withdrawUsersOf(faaslet: string): void {
    for (const { chain, shipped } of this.chains.list()) {
      if (shipped || !chain.steps.some((s) => s.faaslet.split('@')[0] === faaslet)) continue
      try {
        this.chains.validate(chain.name, chain.source)
        continue
      } catch {
        // withdrawn below
      }
      this.pending.set(chain.name, chain.source)
      this.chains.delete(chain.name)
      this.log.warn({ chain: chain.name, faaslet }, `registry: chain ${chain.name} no longer validates with faaslet ${faaslet} as it is now; it waits for a faaslet it fits`)
    }
  }

  /** Every pending chain, validated again (the faaslets changed). */
  private retryPending(): void {
    for (const [name, text] of this.pending) {
      try {
        this.chains.put(name, text)
        this.pending.delete(name)
        this.log.info({ chain: name }, `registry: chain ${name} is valid now and applied`)
      } catch {
        // still waiting
      }
    }
  }

  // ------------------------------------------------------------------------------------ writes (the HTTP routes)

  /** PUT /chains/:name: validated, written (acks -1), applied here. */
  async putChain(name: string, text: string): Promise<{ chain: Chain; created: boolean }> {
    const size = Buffer.byteLength(text, 'utf8')
    if (size > MAX_RECORD_BYTES) throw fail('E_BODY_TOO_LARGE', size, MAX_RECORD_BYTES)
    const chain = this.chains.validate(name, text)
    const created = !this.chains.has(name)
    const offset = await this.produce(this.chainsTopic, name, Buffer.from(text, 'utf8'))
    this.applyChain(name, Buffer.from(text, 'utf8'), offset) // read-your-writes (a no-op if a newer record won meanwhile)
    return { chain: this.chains.has(name) ? this.chains.get(name) : chain, created }
  }

  /** DELETE /chains/:name: a tombstone, applied here. */
  async deleteChain(name: string): Promise<void> {
    checkChainName(name)
    if (this.chains.isShipped(name)) throw fail('E_CHAIN_READONLY', name, 'deleted')
    if (!this.chains.has(name) && !this.pending.has(name)) throw fail('E_UNKNOWN_CHAIN', name, this.chains.names().join(', '))
    this.applyChain(name, null, await this.produce(this.chainsTopic, name, null))
  }

  /** PUT /faaslets/:name: checked and compiled (refused before anything is written), written, installed here. */
  deployFaaslet(name: string, bytes: Uint8Array, manifest: unknown): Promise<{ manifest: Manifest; replaced: boolean }> {
    return this.oneAtATime(name, async () => {
      const kept = new Uint8Array(bytes) // the check hands `bytes` to its worker
      const checked = await this.check(name, bytes, manifest)
      const value = encodeFaasletRecord(name, kept, manifest)
      const offset = await this.produce(this.faasletsTopic, name, value)
      const replaced = this.install(name, offset, checked)
      return { manifest: checked.entry.manifest, replaced: replaced ?? true }
    })
  }

  /** DELETE /faaslets/:name (the route checked it is deployed and unused): a tombstone, applied here. */
  removeFaaslet(name: string): Promise<void> {
    return this.oneAtATime(name, async () => {
      await this.applyFaaslet(name, null, await this.produce(this.faasletsTopic, name, null))
    })
  }

  private oneAtATime<T>(name: string, job: () => Promise<T>): Promise<T> {
    const run = this.deploys.then(job, job)
    this.deploys = run.catch(() => {})
    const tracked: Promise<void> = run.then(() => {}, () => {}).finally(() => {
      if (this.writing.get(name) === tracked) this.writing.delete(name)
    })
    this.writing.set(name, tracked)
    return run
  }

  /** Writes one record and waits for every in-sync replica (acks -1); returns its offset. */
  private async produce(topic: string, name: string, value: Buffer | null): Promise<bigint> {
    if (this.stopped || !this.producer) throw fail('E_SHUTTING_DOWN')
    let offset: string | undefined
    try {
      const [meta] = await this.producer.send({ topic, acks: -1, messages: [{ key: name, value }] })
      offset = meta?.baseOffset ?? meta?.offset
    } catch (e) {
      throw fail('E_REGISTRY_UNAVAILABLE', `${this.at} did not take the record of "${name}" in ${topic}: ${(e as Error).message}`)
    }
    if (offset === undefined) throw fail('E_REGISTRY_UNAVAILABLE', `${this.at} did not say where it wrote the record of "${name}" in ${topic}`)
    return BigInt(offset)
  }

  /** Names of chain records that do not validate here yet. */
  pendingChains(): string[] {
    return [...this.pending.keys()].sort()
  }

  /** Stops reading and writing (the gateway's close). */
  async stop(): Promise<void> {
    if (this.stopped) return
    this.stopped = true
    this.generation++
    if (this.replaceTimer) clearTimeout(this.replaceTimer)
    for (const w of [...this.waiters]) w()
    await Promise.allSettled([this.consumer?.disconnect(), this.producer?.disconnect()])
  }
}
