// Prometheus metrics (prom-client), one registry per gateway so tests can run several side by side.
// Names follow Prometheus conventions: graticule_ prefix, base units (seconds, bytes), _total counters;
// the process and Node.js metrics keep their stock names (process_*, nodejs_*) that stock dashboards read.
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client'
import type { Arena } from '../dataplane/arena.js'
import type { Dataplane } from '../dataplane/dataplane.js'
import type { Plan } from '../dataplane/plan.js'
import type { InvocationStats } from '../chains/run.js'

const LATENCY_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]
/** Window close → result: a chain on a window's points takes tens of ms, the goal is p99 ≤ 100 ms; fine steps from 10 to 250 ms. */
const WINDOW_LATENCY_BUCKETS = [0.005, 0.01, 0.015, 0.02, 0.025, 0.03, 0.04, 0.05, 0.06, 0.07, 0.08, 0.09, 0.1, 0.125, 0.15, 0.175, 0.2, 0.25, 0.3, 0.4, 0.5, 0.75, 1, 2.5, 5, 10]

/** Distinct values one user-named label (chain, faaslet, tenant) may take before new ones fold into OTHER_LABEL. */
export const MAX_LABEL_VALUES = 200
/** Where values past the cap go; chain, faaslet and tenant names cannot start with "_", so it names none of them. */
export const OTHER_LABEL = '_other'

/** Keeps a label's series bounded: the first `max` distinct values pass, later ones become OTHER_LABEL, counted. */
export class LabelCap {
  private readonly admitted = new Set<string>()
  private readonly overflowed: { inc(): void }

  constructor(label: string, overflow: Counter<'label'>, private readonly max = MAX_LABEL_VALUES) {
    this.overflowed = overflow.labels(label)
  }

  value(v: string): string {
    if (this.admitted.has(v)) return v
    if (this.admitted.size < this.max) {
      this.admitted.add(v)
      return v
    }
    this.overflowed.inc()
    return OTHER_LABEL
  }
}

export class GatewayMetrics {
  readonly registry = new Registry()

  readonly httpRequests = new Counter({
    name: 'graticule_http_requests_total', help: 'HTTP responses by method, route pattern (unmatched: no route) and status code',
    labelNames: ['method', 'route', 'status_code'] as const, registers: [this.registry],
  })
  readonly httpDuration = new Histogram({
    name: 'graticule_http_request_duration_seconds', help: 'From a request being routed to its response being sent, by method and route pattern',
    labelNames: ['method', 'route'] as const, buckets: LATENCY_BUCKETS, registers: [this.registry],
  })
  readonly labelOverflow = new Counter({
    name: 'graticule_metric_label_overflow_total', help: `Samples recorded under ${OTHER_LABEL} because their label already had ${MAX_LABEL_VALUES} values (arena gauges count once per scrape)`,
    labelNames: ['label'] as const, registers: [this.registry],
  })
  private readonly chains = new LabelCap('chain', this.labelOverflow)
  private readonly faaslets = new LabelCap('faaslet', this.labelOverflow)
  private readonly tenants = new LabelCap('tenant', this.labelOverflow)

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
    labelNames: ['source'] as const, buckets: WINDOW_LATENCY_BUCKETS, registers: [this.registry],
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
    collectDefaultMetrics({ register: this.registry })
    // tenants are declared in configuration, which may declare many: past the cap their figures are summed under OTHER_LABEL
    const tenantSums = (read: (arena: Arena) => number) => {
      const sums = new Map<string, number>()
      for (const t of dataplane ? dataplane.tenants.values() : []) {
        const tenant = this.tenants.value(t.name)
        sums.set(tenant, (sums.get(tenant) ?? 0) + read(t.arena))
      }
      return sums
    }
    const arenaGauge = (name: string, help: string, read: (arena: Arena) => number) => new Gauge({
      name, help, labelNames: ['tenant'] as const, registers: [this.registry],
      collect() { for (const [tenant, v] of tenantSums(read)) this.set({ tenant }, v) },
    })
    arenaGauge('graticule_arena_bytes_in_use', 'Chunk-heap bytes held by running invocations and unreleased results, per tenant', (a) => a.bytesInUse)
    arenaGauge('graticule_arena_high_water_bytes', 'Most chunk-heap bytes a tenant ever held at once', (a) => a.highWaterBytes)
    arenaGauge('graticule_arena_committed_bytes', 'Size of each tenant arena memory', (a) => a.committedBytes)
  }

  /** Records one finished invocation. */
  observe(chainName: string, res: InvocationStats, plan: Plan): void {
    const chain = this.chains.value(chainName)
    this.invocations.inc({ chain, mode: res.mode, outcome: 'ok' })
    this.chainDuration.observe({ chain, mode: res.mode }, res.totalMs / 1000)
    for (const t of res.timings) {
      // step ids are only bounded within one chain: the chains past the cap share one step value
      // a mapped step's branches (heat[0], heat[1], …) and partial gathers are one step of the chain
      const s = plan.steps[t.step]
      const step = chain === OTHER_LABEL ? OTHER_LABEL : s.of ?? s.id
      this.stageDuration.observe({ chain, step, faaslet: this.faaslets.value(s.faaslet) }, t.ms / 1000)
    }
    this.copiedBytes.inc({ mode: res.mode, where: 'between_stages' }, res.copied.betweenStages)
    this.copiedBytes.inc({ mode: res.mode, where: 'boundary' }, res.copied.boundary)
  }
}
