// The edge's Prometheus metrics, on the gateway's registry (gateway/metrics.ts's conventions): the spool's backlog and
// what it gave up, the uplink's state and what it sent. The backlog gauges are read from the spool at each scrape.
import { Counter, Gauge, type Registry } from 'prom-client'
import type { Spool } from './spool.js'

export class EdgeMetrics {
  readonly droppedRecords: Counter
  readonly droppedPoints: Counter
  readonly uplinkUp: Gauge
  readonly sentBytes: Counter<'kind'>
  readonly sentRecords: Counter<'kind'>

  constructor(registry: Registry, spool: () => Spool | null) {
    const registers = [registry]
    const gauge = (name: string, help: string, read: (s: Spool) => number) => new Gauge({
      name, help, registers,
      collect() { const s = spool(); if (s) this.set(read(s)) },
    })
    gauge('graticule_edge_spool_bytes', 'Bytes of records in the edge spool waiting to be sent upstream', (s) => s.waiting.bytes)
    gauge('graticule_edge_spool_records', 'Records (window partials) in the edge spool waiting to be sent upstream', (s) => s.waiting.records)
    gauge('graticule_edge_spool_oldest_window_seconds', 'Start (unix seconds) of the window of the oldest record waiting in the edge spool; 0 when none waits', (s) => (s.waiting.oldestWindow ?? 0) / 1000)
    this.droppedRecords = new Counter({ name: 'graticule_edge_spool_dropped_records_total', help: 'Spooled records given up unsent: the oldest, to make room (--spool-full drop-oldest), or corrupt on disk', registers })
    this.droppedPoints = new Counter({ name: 'graticule_edge_spool_dropped_points_total', help: 'Sensor points in the windows of the spooled records given up unsent', registers })
    this.uplinkUp = new Gauge({ name: 'graticule_edge_uplink_up', help: '1 while the edge reaches its upstream Kafka (its last send or connection succeeded), else 0', registers })
    this.sentBytes = new Counter({ name: 'graticule_edge_uplink_sent_bytes_total', help: 'Record value bytes the upstream Kafka acknowledged, by kind (partial, raw)', labelNames: ['kind'], registers })
    this.sentRecords = new Counter({ name: 'graticule_edge_uplink_sent_records_total', help: 'Records the upstream Kafka acknowledged, by kind (partial, raw)', labelNames: ['kind'], registers })
  }
}
