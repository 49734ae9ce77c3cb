// The cloud role's metrics, on the gateway's registry: partials by outcome, merges, global results published, and
// the edges as /live/edges sees them (read at scrape time from the view).
import { Counter, Gauge, Histogram } from 'prom-client'
import type { GatewayMetrics } from '../metrics.js'
import type { GlobalView } from './global-view.js'

const MERGE_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5]

export class CloudMetrics {
  readonly partials: Counter<'outcome'>
  readonly mergeDuration: Histogram
  readonly published: Counter<'kind'>

  constructor(m: GatewayMetrics, view: GlobalView, connectedMs: number) {
    const registers = [m.registry]
    this.partials = new Counter({
      name: 'graticule_cloud_partials_total', help: 'Window partials from edges by outcome (merged, deduplicated, refused: another tile set, invalid, expired: older than every window kept)',
      labelNames: ['outcome'] as const, registers,
    })
    this.mergeDuration = new Histogram({
      name: 'graticule_cloud_merge_duration_seconds', help: "One window's merge: the grids summed and the clusters merged by faaslets (one or more partials)",
      buckets: MERGE_BUCKETS, registers,
    })
    this.published = new Counter({
      name: 'graticule_cloud_global_published_total', help: 'Global window results published (merged: after a merge; repaired: written again over a stale one)',
      labelNames: ['kind'] as const, registers,
    })
    new Gauge({
      name: 'graticule_cloud_edges', help: 'Edges heard of, by state (connected: a heartbeat within the connection timeout)', labelNames: ['state'] as const, registers,
      collect() {
        const edges = view.edges(Date.now(), connectedMs)
        const up = edges.filter((e) => e.connected).length
        this.set({ state: 'connected' }, up)
        this.set({ state: 'disconnected' }, edges.length - up)
      },
    })
    new Gauge({
      name: 'graticule_cloud_global_windows', help: 'Windows whose global result this gateway holds', registers,
      collect() { this.set(view.size) },
    })
  }
}
