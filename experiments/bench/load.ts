// One load run with autocannon's programmatic API: a fixed number of connections POSTing one body for a
// fixed time. Latencies are kept per response at full resolution (autocannon's own histogram rounds to
// whole ms), and so are the gateway's x-graticule-* headers, paired with each response's latency.
import { createRequire } from 'node:module'
import { stats, type Stats } from '../lib/measure.js'

const require = createRequire(import.meta.url)

interface AutocannonResult {
  requests: { average: number; total: number }
  errors: number
  timeouts: number
  non2xx: number
  duration: number
  throughput: { average: number }
}
type Tracker = { on(event: 'response', fn: (client: unknown, status: number, bytes: number, ms: number) => void): void; stop(): void }
type Autocannon = (opts: Record<string, unknown>, cb: (err: Error | null, res: AutocannonResult) => void) => Tracker
const autocannon = require('autocannon') as Autocannon

export interface LoadSpec {
  url: string
  body: Uint8Array
  contentType: string
  connections: number
  durationS: number
  /** a request slower than this counts as a timeout (s) */
  timeoutS: number
}

/** Per response, from the gateway's headers (NaN when absent, e.g. the monolith). */
export interface ResponseHeaders {
  computeMs: number
  chainMs: number
  copiedBytes: number
}

export interface LoadResult {
  /** 2xx responses */
  ok: number
  /** 2xx responses per second of the run */
  rps: number
  /** latency of 2xx responses, ms */
  latency: Stats
  errors: number
  timeouts: number
  non2xx: number
  durationS: number
  /** means over 2xx responses that carried the headers (NaN otherwise) */
  mean: { latencyMs: number; computeMs: number; chainMs: number; copiedBytes: number }
  /** chain-ms − compute-ms and latency − chain-ms per response, ms */
  overheadMs: Stats | null
  boundaryMs: Stats | null
  /** per 2xx response, for pooling rounds (not written to the report) */
  samples: { latencyMs: number[]; withHeaders: { latencyMs: number[]; computeMs: number[]; chainMs: number[]; copiedBytes: number[] } }
}

const num = (v: string | string[] | undefined) => (typeof v === 'string' ? Number(v) : NaN)

export function drive(spec: LoadSpec): Promise<LoadResult> {
  const lat: number[] = []
  const heads: ResponseHeaders[] = []
  const statuses: number[] = []
  return new Promise((resolve, reject) => {
    const tracker = autocannon({
      url: spec.url,
      connections: spec.connections,
      duration: spec.durationS,
      timeout: spec.timeoutS,
      requests: [{
        method: 'POST',
        headers: { 'content-type': spec.contentType },
        body: Buffer.from(spec.body.buffer, spec.body.byteOffset, spec.body.byteLength),
        // called just before the 'response' event of the same response: the two lists stay in step
        onResponse: (_status: number, _body: string, _ctx: unknown, headers: Record<string, string | string[]>) => {
          heads.push({ computeMs: num(headers['x-graticule-compute-ms']), chainMs: num(headers['x-graticule-chain-ms']), copiedBytes: num(headers['x-graticule-copied-bytes']) })
        },
      }],
    }, (err, res) => {
      if (err) return reject(err)
      const durationS = res.duration || spec.durationS
      const okLat: number[] = [], over: number[] = [], bound: number[] = []
      const withHeaders = { latencyMs: [] as number[], computeMs: [] as number[], chainMs: [] as number[], copiedBytes: [] as number[] }
      let sc = 0, sh = 0, sb = 0, nh = 0
      // headers and latencies are recorded by two callbacks of the same response, in order; should a
      // response ever reach one and not the other, the pairing is void and no split is reported
      const paired = heads.length === statuses.length
      statuses.forEach((s, i) => {
        if (s < 200 || s > 299) return
        okLat.push(lat[i])
        const h = paired ? heads[i] : undefined
        if (h && Number.isFinite(h.chainMs)) {
          nh++
          sc += h.computeMs; sh += h.chainMs; sb += h.copiedBytes
          over.push(h.chainMs - h.computeMs)
          bound.push(lat[i] - h.chainMs)
          withHeaders.latencyMs.push(lat[i])
          withHeaders.computeMs.push(h.computeMs)
          withHeaders.chainMs.push(h.chainMs)
          withHeaders.copiedBytes.push(h.copiedBytes)
        }
      })
      const meanLat = okLat.reduce((a, b) => a + b, 0) / (okLat.length || 1)
      resolve({
        ok: okLat.length, rps: okLat.length / durationS, latency: stats(okLat.length ? okLat : [NaN]),
        errors: res.errors, timeouts: res.timeouts, non2xx: res.non2xx, durationS,
        mean: { latencyMs: meanLat, computeMs: nh ? sc / nh : NaN, chainMs: nh ? sh / nh : NaN, copiedBytes: nh ? sb / nh : NaN },
        overheadMs: over.length ? stats(over) : null, boundaryMs: bound.length ? stats(bound) : null,
        samples: { latencyMs: okLat, withHeaders },
      })
    })
    tracker.on('response', (_client, status, _bytes, ms) => {
      statuses.push(status)
      lat.push(ms)
    })
  })
}
