// Prometheus metrics (prom-client), one registry per gateway so tests can run several side by side.
// Names follow Prometheus conventions: graticule_ prefix, base units (seconds, bytes), _total counters.
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client'
import type { Dataplane, InvokeResult } from '../dataplane/dataplane.js'

const LATENCY_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]

export class GatewayMetrics {
  readonly registry = new Registry()

  readonly invocations = new Counter({
    name: 'graticule_chain_invocations_total', help: 'Chain invocations by chain, executor mode and outcome',
    labelNames: ['chain', 'mode', 'outcome'] as const, registers: [this.registry],
  })
  readonly chainDuration = new Histogram({
    name: 'graticule_chain_duration_seconds', help: 'Wall time of a chain invocation in the dataplane (input written to outputs ready)',
    labelNames: ['chain', 'mode'] as const, buckets: LATENCY_BUCKETS, registers: [this.registry],
  })
  readonly stageDuration = new Histogram({
    name: 'graticule_stage_duration_seconds', help: 'Compute time of one step of a chain',
    labelNames: ['chain', 'step', 'faaslet'] as const, buckets: LATENCY_BUCKETS, registers: [this.registry],
  })
  readonly errors = new Counter({
    name: 'graticule_errors_total', help: 'Errors reported to clients, by error code',
    labelNames: ['code'] as const, registers: [this.registry],
  })
  readonly copiedBytes = new Counter({
    name: 'graticule_copied_bytes_total', help: 'Payload bytes copied: between stages (0 in shared mode) and at the chain boundary',
    labelNames: ['mode', 'where'] as const, registers: [this.registry],
  })
  readonly sensorPoints = new Counter({
    name: 'graticule_sensor_points_total', help: 'Sensor points by source and outcome (in, deduplicated, late, rejected, overflow, out, refused: in a window the chain refused)',
    labelNames: ['source', 'outcome'] as const, registers: [this.registry],
  })
  readonly windowsClosed = new Counter({
    name: 'graticule_windows_closed_total', help: 'Event-time windows closed and published',
    labelNames: ['source'] as const, registers: [this.registry],
  })
  readonly publishFailures = new Counter({
    name: 'graticule_window_publish_failures_total', help: 'Attempts to publish a window result that failed (the window is retried)',
    labelNames: ['source'] as const, registers: [this.registry],
  })
  readonly windowLatency = new Histogram({
    name: 'graticule_window_result_latency_seconds', help: 'From a window closing to its result being published',
    labelNames: ['source'] as const, buckets: LATENCY_BUCKETS, registers: [this.registry],
  })
  readonly kafkaLinkState = new Gauge({
    name: 'graticule_kafka_link_state', help: 'The Kafka link: 1 for its current state (connecting, connected, lost, retrying), 0 for the others',
    labelNames: ['state'] as const, registers: [this.registry],
  })
  readonly kafkaLinkChanges = new Counter({
    name: 'graticule_kafka_link_changes_total', help: 'Changes of the Kafka link state, by the state entered (connected after lost or retrying is a recovery)',
    labelNames: ['to'] as const, registers: [this.registry],
  })
  readonly kafkaConsumerRestarts = new Counter({
    name: 'graticule_kafka_consumer_restarts_total', help: 'Kafka consumers replaced by the gateway after kafkajs gave one up (crashed for good, or no sign of life)',
    registers: [this.registry],
  })
  readonly commitFailures = new Counter({
    name: 'graticule_kafka_commit_failures_total', help: 'Offset commits that failed (retried with the next progress; results are already published)',
    registers: [this.registry],
  })
  readonly windowsWaiting = new Gauge({
    name: 'graticule_windows_waiting', help: 'Closed windows waiting to be published, by source (grows while publishing fails)',
    labelNames: ['source'] as const, registers: [this.registry],
  })
  readonly consumerLag = new Gauge({
    name: 'graticule_kafka_consumer_lag_messages', help: 'Messages between the committed offset and the end of each assigned partition',
    labelNames: ['topic', 'partition'] as const, registers: [this.registry],
  })

  constructor(dataplane: Dataplane | null) {
    collectDefaultMetrics({ register: this.registry, prefix: 'graticule_' })
    const tenants = () => (dataplane ? [...dataplane.tenants.values()] : [])
    new Gauge({
      name: 'graticule_arena_bytes_in_use', help: 'Chunk-heap bytes held by running invocations and unreleased results, per tenant',
      labelNames: ['tenant'] as const, registers: [this.registry],
      collect() { for (const t of tenants()) this.set({ tenant: t.name }, t.arena.bytesInUse) },
    })
    new Gauge({
      name: 'graticule_arena_high_water_bytes', help: 'Most chunk-heap bytes a tenant ever held at once',
      labelNames: ['tenant'] as const, registers: [this.registry],
      collect() { for (const t of tenants()) this.set({ tenant: t.name }, t.arena.highWaterBytes) },
    })
    new Gauge({
      name: 'graticule_arena_committed_bytes', help: 'Size of each tenant arena memory',
      labelNames: ['tenant'] as const, registers: [this.registry],
      collect() { for (const t of tenants()) this.set({ tenant: t.name }, t.arena.committedBytes) },
    })
  }

  /** Records one finished invocation. */
  observe(chain: string, res: InvokeResult, stepIds: string[], faaslets: string[]): void {
    this.invocations.inc({ chain, mode: res.mode, outcome: 'ok' })
    this.chainDuration.observe({ chain, mode: res.mode }, res.totalMs / 1000)
    for (const t of res.timings) this.stageDuration.observe({ chain, step: stepIds[t.step], faaslet: faaslets[t.step] }, t.ms / 1000)
    this.copiedBytes.inc({ mode: res.mode, where: 'between_stages' }, res.copied.betweenStages)
    this.copiedBytes.inc({ mode: res.mode, where: 'boundary' }, res.copied.boundary)
  }
}
