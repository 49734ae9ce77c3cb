// `graticule serve --role cloud`: merges the edges' window partials into global results (merger.ts), keeps every
// global result and edge heartbeat in a view (view-feed.ts, global-view.ts), and serves the live endpoints from that
// view (routes/global-live.ts). Any number of cloud gateways share the work and show the same windows.
import { setTimeout as sleep } from 'node:timers/promises'
import { Kafka, Partitioners, type Admin, type Producer } from 'kafkajs'
import type { ChainRegistry } from '../../chains/registry.js'
import type { ChainRunner } from '../../chains/run.js'
import type { Dataplane } from '../../dataplane/dataplane.js'
import { kafkaConfig, kafkaConnectError, type KafkaClientSettings } from '../ingest/kafka-client.js'
import { stderrLogger, type IngestLogger } from '../ingest/ingest-log.js'
import type { GatewayMetrics } from '../metrics.js'
import { EDGE_TOPICS, type TileSet } from '../partials/partial.js'
import { CloudFaaslets } from './cloud-faaslets.js'
import { CLOUD_GROUP, DEFAULT_CONNECTED_MS, DEFAULT_KEEP_WINDOWS } from './defaults.js'
import { CloudMetrics } from './cloud-metrics.js'
import { GlobalView } from './global-view.js'
import { Merger } from './merger.js'
import { PartialMerger } from './partial-merger.js'
import { ViewFeed } from './view-feed.js'

export interface CloudOptions {
  brokers: string[]
  /** TLS, SASL and timeouts the cluster wants (kafka-client.ts) */
  client?: KafkaClientSettings
  /** the grid every edge computes (the same --grid-* settings as the edges'); partials on another are refused */
  tileSet: TileSet
  topics?: Partial<Record<keyof typeof EDGE_TOPICS, string>>
  /** the consumer group of the cloud gateways on the partials topic */
  groupId?: string
  /** windows whose global result is kept (and so checked for duplicates) */
  keepWindows?: number
  /** an edge is connected while its last heartbeat is younger than this (ms, this gateway's clock) */
  connectedMs?: number
  /** partitions of the partials topic when it is created here */
  partitions?: number
  /** the tenant whose arena the merges run in */
  tenant?: string
}

export { CLOUD_GROUP }

export interface CloudDeps {
  dataplane: Dataplane
  runner: ChainRunner
  chains: ChainRegistry
  metrics: GatewayMetrics
  log?: IngestLogger
}

export class Cloud {
  readonly view: GlobalView
  readonly topics: Record<keyof typeof EDGE_TOPICS, string>
  readonly tileSet: TileSet
  readonly faaslets: CloudFaaslets
  readonly connectedMs: number
  /** the edges' cluster radius (their chain leaves the cluster faaslet's default) */
  readonly clusterRadius: number
  readonly metrics: CloudMetrics
  private readonly kafka: Kafka
  private readonly admin: Admin
  private readonly producer: Producer
  private readonly feed: ViewFeed
  private readonly merger: Merger
  private readonly log: IngestLogger

  constructor(deps: CloudDeps, private readonly opts: CloudOptions) {
    this.log = deps.log ?? stderrLogger
    this.topics = { ...EDGE_TOPICS, ...opts.topics }
    this.tileSet = opts.tileSet
    this.connectedMs = opts.connectedMs ?? DEFAULT_CONNECTED_MS
    this.view = new GlobalView(opts.keepWindows ?? DEFAULT_KEEP_WINDOWS)
    this.metrics = new CloudMetrics(deps.metrics, this.view, this.connectedMs)
    this.kafka = new Kafka({ ...kafkaConfig(opts.brokers, opts.client ?? {}, { clientId: `graticule-cloud-${process.pid}`, log: this.log }), retry: { retries: 10, initialRetryTime: 200, maxRetryTime: 5_000 } })
    this.admin = this.kafka.admin()
    // not idempotent, as the sensor results: a result published twice is harmless (the view keeps one)
    this.producer = this.kafka.producer({ allowAutoTopicCreation: false, idempotent: false, maxInFlightRequests: 1, createPartitioner: Partitioners.DefaultPartitioner })
    this.faaslets = new CloudFaaslets(deps.dataplane, opts.tenant ?? 'default', (name, plan, res) => deps.metrics.observe(name, res, plan))
    this.clusterRadius = Number(deps.dataplane.catalog.manifest('cluster').params.find((p) => p.name === 'radius')?.default ?? 40)
    const partials = new PartialMerger(this.view, this.faaslets, { runner: deps.runner, registry: deps.chains }, {
      tileSet: opts.tileSet, clusterRadius: this.clusterRadius, log: this.log, count: (outcome) => this.metrics.partials.inc({ outcome }),
    })
    this.feed = new ViewFeed(this.kafka, this.admin, this.view, this.topics, this.log)
    this.merger = new Merger(this.kafka, this.producer, this.view, this.feed, partials, this.topics, opts.groupId ?? CLOUD_GROUP, this.metrics, this.log)
  }

  /** Creates the topics it needs, reads the view up to now, then joins the merge group. */
  async start(): Promise<void> {
    try {
      await this.admin.connect()
      await this.setUpTopics()
      await this.producer.connect()
      await this.feed.start()
      await this.merger.start()
    } catch (e) {
      await this.stop()
      throw kafkaConnectError(e, this.opts.brokers, this.opts.client ?? {})
    }
  }

  private async setUpTopics(): Promise<void> {
    const existing = new Set(await this.admin.listTopics())
    const compacted = [{ name: 'cleanup.policy', value: 'compact' }]
    const want = [
      { topic: this.topics.partials, numPartitions: this.opts.partitions ?? 4 },
      { topic: this.topics.global, numPartitions: this.opts.partitions ?? 4, configEntries: compacted },
      { topic: this.topics.edges, numPartitions: 1, configEntries: compacted },
    ].filter((t) => !existing.has(t.topic))
    // another gateway (an edge, another cloud) may create them at the same time: then theirs may still be electing
    // leaders, and offset look-ups fail until they have
    if (want.length) await this.admin.createTopics({ topics: want, waitForLeaders: true }).catch(() => undefined)
    for (let attempt = 0; ; attempt++) {
      try {
        for (const t of Object.values(this.topics)) await this.admin.fetchTopicOffsets(t)
        return
      } catch (e) {
        if (attempt >= 50 || !(e as { retriable?: boolean }).retriable) throw e
        await sleep(200)
      }
    }
  }

  /** What /readyz reports: the view has caught up with the global topic (it can serve; merging needs no readiness). */
  readiness(): { cloud: boolean } {
    return { cloud: this.feed.isCaughtUp }
  }

  /** The partials partitions this instance merges now. */
  get partitions(): number[] {
    return this.merger.partitions
  }

  async stop(): Promise<void> {
    await Promise.allSettled([this.merger.stop(), this.feed.stop()])
    await Promise.allSettled([this.producer.disconnect(), this.admin.disconnect()])
  }
}
