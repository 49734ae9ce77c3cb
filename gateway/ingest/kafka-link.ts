// The state of the gateway's link to Kafka, as an operator sees it: one log line and one metric change for every
// transition, so a gateway waiting for its broker says so instead of looking alive while nothing moves.
//
//   connecting ──ok──▶ connected ──failure──▶ lost ──recovery attempt──▶ retrying ──ok──▶ connected ("recovered")
//                          ▲                   │                            │
//                          └───────ok──────────┘◀───────failure─────────────┘ (stays retrying)
//
// "ok" is judged by progress, never by connection state (kafkajs can be connected and stuck): the Kafka source
// calls ok() only when its consumer is consuming and no window is waiting on a failed or stalled publish.
import type { GatewayMetrics } from '../metrics.js'
import type { IngestLogger } from './ingest-log.js'

export const LINK_STATES = ['connecting', 'connected', 'lost', 'retrying'] as const
export type LinkState = (typeof LINK_STATES)[number]

export class KafkaLink {
  private current: LinkState = 'connecting'
  /** when the link was last lost (for "recovered after …") */
  private lostAt = 0
  private lastReason = ''

  constructor(private readonly metrics: GatewayMetrics, private readonly log: IngestLogger) {
    this.publishState()
  }

  get state(): LinkState {
    return this.current
  }

  /** Why the link is not connected (the last failure), or '' when it is. */
  get reason(): string {
    return this.current === 'connected' ? '' : this.lastReason
  }

  /** A failure was seen: a crash, a failed publish or commit, a consumer that stopped showing signs of life. */
  lost(reason: string): void {
    this.lastReason = reason
    if (this.current === 'lost' || this.current === 'retrying') return
    this.lostAt = Date.now()
    this.move('lost', `: ${reason}`, { reason })
  }

  /** Something is being done about it: a consumer restart, a publish retried. */
  retrying(what: string): void {
    if (this.current === 'retrying') return
    if (this.current === 'connected' || this.current === 'connecting') this.lostAt = Date.now()
    this.move('retrying', `: ${what}`, { action: what, reason: this.lastReason })
  }

  /** The consumer consumes and results publish. */
  ok(): void {
    if (this.current === 'connected') return
    if (this.current === 'connecting') return this.move('connected', ': consuming and publishing', {})
    const downMs = Date.now() - this.lostAt
    this.move('connected', ` after ${(downMs / 1000).toFixed(1)} s: consuming and publishing again`, { downMs })
  }

  /** One line (a warning when the link is lost) and one metric change per transition. */
  private move(to: LinkState, detail: string, fields: Record<string, unknown>): void {
    const from = this.current
    const word = to === 'connected' && from !== 'connecting' ? 'recovered' : to
    this.current = to
    this.metrics.kafkaLinkChanges.inc({ to })
    this.publishState()
    const entry = { kafkaLink: to, from, ...fields }
    if (to === 'lost') this.log.warn(entry, `kafka link ${word}${detail}`)
    else this.log.info(entry, `kafka link ${word}${detail}`)
  }

  private publishState(): void {
    for (const s of LINK_STATES) this.metrics.kafkaLinkState.set({ state: s }, s === this.current ? 1 : 0)
  }
}
