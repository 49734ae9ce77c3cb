// IPC between the bench driver (bench.ts) and its server process (bench/server.ts).
import type { ThreadProfile } from './profile.js'

export type ServerRequest =
  | { id: number; cmd: 'reset' | 'stats' | 'drain' | 'profile-start' | 'ingest' | 'close' }
  | { id: number; cmd: 'profile-stop'; dir?: string; name?: string }

export interface ServerStats {
  /** since the last reset */
  wallMs: number
  userMs: number
  systemMs: number
  /** CPU of the server's child processes (the http mode's function processes) */
  childCpuMs: number
  /** now, server + children */
  rssBytes: number
  /** the server's highest sampled RSS (every 200 ms) since the last reset, plus its children's (at the ends) */
  rssMaxBytes: number
  childRssBytes: number
}

export interface IngestCounters {
  in: number
  out: number
  rejected: number
  late: number
  duplicates: number
  windows: number
  /** graticule_window_result_latency_seconds, cumulative */
  latencyBuckets: Array<{ le: number; count: number }>
}

export interface ServerReply {
  id: number
  ok: boolean
  error?: string
  port?: number
  workers?: number
  stats?: ServerStats
  profile?: ThreadProfile[]
  ingest?: IngestCounters
}
