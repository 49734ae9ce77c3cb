// The server side of `npm run bench`, in a process of its own so the load generator (autocannon, in the
// driver) does not share its event loop: the gateway (buildGateway, 127.0.0.1:0, no ingestion unless
// --kafka) plus the plain-JS monolith on the same fastify app — inline on the main thread
// (/monolith/tile-heatmap) and on a piscina pool as large as the dataplane's (/monolith-pool/...).
// The driver talks to it over IPC: reset/stats (CPU of this process and of its child processes — the
// http mode's function processes — and peak RSS), CPU profiles, ingestion counters, close.
import { execFileSync } from 'node:child_process'
import { readdirSync, readFileSync } from 'node:fs'
import { availableParallelism } from 'node:os'
import { parseArgs } from 'node:util'
import { gunzipSync } from 'node:zlib'
import { Piscina } from 'piscina'
import { buildGateway } from '../../gateway/app.js'
import { sibling } from '../hop/threads.js'
import { tileHeatmapPng, type TileAddress } from './monolith.js'
import { ProcessProfiler } from './profile.js'
import type { ServerReply, ServerRequest, ServerStats, IngestCounters } from './protocol.js'

const { values } = parseArgs({
  options: {
    workers: { type: 'string' },
    kafka: { type: 'string' },
    topic: { type: 'string' },
    'results-topic': { type: 'string' },
    group: { type: 'string' },
    'window-ms': { type: 'string' },
    'lateness-ms': { type: 'string' },
  },
})
const workers = values.workers ? Number(values.workers) : Math.max(1, availableParallelism())

const gw = await buildGateway({
  workers, chainsDir: null, logLevel: false,
  ingestion: values.kafka
    ? {
      simulator: null,
      kafka: { brokers: [values.kafka], topic: values.topic, resultsTopic: values['results-topic'], groupId: values.group },
      windows: { sizeMs: Number(values['window-ms'] ?? 10_000), allowedLatenessMs: Number(values['lateness-ms'] ?? 2_000) },
      idleFlushMs: 60_000,
    }
    : null,
})

// ─── the monolith ────────────────────────────────────────────────────────────────────────────────────

const monolithEntry = sibling(import.meta.url, 'monolith-worker')
const pool = new Piscina({ filename: monolithEntry.filename, execArgv: monolithEntry.execArgv, minThreads: workers, maxThreads: workers, idleTimeout: Infinity })

function tileOf(q: Record<string, string>): { tile: TileAddress; radius: number } {
  return { tile: { z: Number(q.z ?? 0), x: Number(q.x ?? 0), y: Number(q.y ?? 0) }, radius: Number(q.radius ?? 16) }
}
const unzip = (b: Buffer) => (b[0] === 0x1f && b[1] === 0x8b ? gunzipSync(b) : b)

let monolithRunning = 0
gw.app.post<{ Querystring: Record<string, string>; Body: Buffer }>('/monolith/tile-heatmap', async (req, reply) => {
  const { tile, radius } = tileOf(req.query)
  return reply.type('image/png').send(tileHeatmapPng(unzip(req.body), tile, radius))
})
gw.app.post<{ Querystring: Record<string, string>; Body: Buffer }>('/monolith-pool/tile-heatmap', async (req, reply) => {
  const { tile, radius } = tileOf(req.query)
  monolithRunning++
  try {
    const png = (await pool.run({ body: unzip(req.body), tile, radius })) as Uint8Array
    return reply.type('image/png').send(Buffer.from(png.buffer, png.byteOffset, png.byteLength))
  } finally {
    monolithRunning--
  }
})

/**
 * Resolves once nothing is running: a load run that ends leaves its in-flight requests to finish on the
 * server, and they must not run into the next target's measurement. (The inline monolith is synchronous:
 * nothing of it can be in flight when this handler runs.)
 */
async function drain(timeoutMs = 180_000): Promise<void> {
  const busy = () => monolithRunning + [...gw.ctx.dataplane.tenants.values()].reduce((n, t) => n + t.running, 0)
  const until = performance.now() + timeoutMs
  while (busy() > 0 && performance.now() < until) await new Promise((r) => setTimeout(r, 20))
  await new Promise((r) => setImmediate(r)) // responses of the last ones written out
}
await gw.app.listen({ host: '127.0.0.1', port: 0 })

// ─── CPU and memory of this process and its children ─────────────────────────────────────────────────

const TICKS = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100
  } catch {
    return 100
  }
})()

/** Child processes of this one (Linux /proc); [] elsewhere. */
function children(): number[] {
  try {
    const pids: number[] = []
    for (const tid of readdirSync(`/proc/${process.pid}/task`)) {
      const list = readFileSync(`/proc/${process.pid}/task/${tid}/children`, 'utf8').trim()
      if (list) pids.push(...list.split(/\s+/).map(Number))
    }
    return pids
  } catch {
    return []
  }
}

/** CPU ms (user + system) and RSS bytes of the child processes. */
function childUsage(): { cpuMs: number; rss: number } {
  let cpuMs = 0, rss = 0
  for (const pid of children()) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ') // fields from 3 on
      cpuMs += ((Number(f[11]) + Number(f[12])) * 1000) / TICKS // utime, stime
      rss += Number(readFileSync(`/proc/${pid}/statm`, 'utf8').split(' ')[1]) * 4096
    } catch { /* exited meanwhile */ }
  }
  return { cpuMs, rss }
}

// Sampling must not load the server it measures: every 200 ms only this process's RSS (one call);
// the child processes (/proc reads) only when a window starts and ends.
let window = { cpu: process.cpuUsage(), child: childUsage(), at: performance.now(), rssMax: 0 }
const sampleRss = () => {
  const rss = process.memoryUsage.rss()
  if (rss > window.rssMax) window.rssMax = rss
  return rss
}
setInterval(sampleRss, 200).unref()

function stats(): ServerStats {
  const cpu = process.cpuUsage(window.cpu)
  const child = childUsage()
  const rss = sampleRss()
  return {
    wallMs: performance.now() - window.at,
    userMs: cpu.user / 1000, systemMs: cpu.system / 1000,
    childCpuMs: Math.max(0, child.cpuMs - window.child.cpuMs),
    rssBytes: rss + child.rss, rssMaxBytes: window.rssMax + Math.max(child.rss, window.child.rss), childRssBytes: child.rss,
  }
}

async function ingestCounters(): Promise<IngestCounters> {
  const m = gw.ctx.metrics
  const points = (await m.sensorPoints.get()).values
  const sum = (outcome: string) => points.filter((v) => v.labels.outcome === outcome).reduce((n, v) => n + v.value, 0)
  const windows = (await m.windowsClosed.get()).values.reduce((n, v) => n + v.value, 0)
  const lat = (await m.windowLatency.get()).values
  const buckets = lat.filter((v) => v.metricName?.endsWith('_bucket')).map((v) => ({ le: Number((v.labels as Record<string, string | number>).le), count: v.value }))
  return { in: sum('in'), out: sum('out'), rejected: sum('rejected'), late: sum('late'), duplicates: sum('deduplicated'), windows, latencyBuckets: buckets }
}

// ─── IPC ─────────────────────────────────────────────────────────────────────────────────────────────

let profiler: ProcessProfiler | null = null
process.on('message', async (req: ServerRequest) => {
  const reply = (r: Omit<ServerReply, 'id'>) => process.send!({ id: req.id, ...r })
  try {
    switch (req.cmd) {
      case 'drain':
        await drain()
        return reply({ ok: true })
      case 'reset':
        window = { cpu: process.cpuUsage(), child: childUsage(), at: performance.now(), rssMax: 0 }
        sampleRss()
        return reply({ ok: true })
      case 'stats':
        return reply({ ok: true, stats: stats() })
      case 'profile-start':
        profiler = new ProcessProfiler()
        await profiler.start()
        return reply({ ok: true })
      case 'profile-stop':
        return reply({ ok: true, profile: await profiler!.stop(req.dir, req.name) })
      case 'ingest':
        return reply({ ok: true, ingest: await ingestCounters() })
      case 'close':
        await gw.close()
        await pool.destroy()
        reply({ ok: true })
        process.exit(0)
    }
  } catch (e) {
    reply({ ok: false, error: (e as Error).stack ?? String(e) })
  }
})
process.on('disconnect', () => process.exit(0))
const addr = gw.app.server.address()
process.send!({ id: 0, ok: true, port: typeof addr === 'object' && addr ? addr.port : 0, workers })
