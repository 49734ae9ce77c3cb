// POST /ingest: sensor points over HTTP (JSON or msgpack, one point or a batch), into the same windows.
import type { FastifyInstance } from 'fastify'
import { fail } from '../../errors/index.js'
import type { GatewayContext } from '../context.js'
import { parseSensorMessage } from '../ingest/sensor-record.js'

export async function ingestRoutes(app: FastifyInstance, ctx: GatewayContext): Promise<void> {
  app.post<{ Body: Buffer }>('/ingest', {
    schema: {
      summary: 'Sensor points: {sensor, ts, lon, lat, value}, one, a batch, or columns {sensor: [], ts: [], …}, as JSON or msgpack', tags: ['live'],
      response: { 200: { type: 'object', properties: { accepted: { type: 'integer' }, duplicates: { type: 'integer' }, late: { type: 'integer' }, overflow: { type: 'integer' }, rejected: { type: 'array' } } } },
    },
  }, async (req) => {
    if (!ctx.ingestion) throw fail('E_NO_LIVE_DATA', 'this gateway ingests no sensor stream')
    if (ctx.closing()) throw fail('E_SHUTTING_DOWN')
    const type = (req.headers['content-type'] ?? '').split(';')[0].trim()
    if (!['application/json', 'application/msgpack', 'application/x-msgpack', 'application/vnd.msgpack'].includes(type)) {
      throw fail('E_UNSUPPORTED_MEDIA', type || 'none', 'application/json, application/msgpack')
    }
    const body = req.body ?? Buffer.alloc(0)
    const { points, rejected } = parseSensorMessage(body, type === 'application/json' ? 'json' : 'msgpack')
    if (points.length > ctx.limits.maxPointsPerRequest) throw fail('E_TOO_MANY_POINTS', points.length, ctx.limits.maxPointsPerRequest)
    if (points.length === 0 && rejected.length > 0) throw fail('E_BAD_REQUEST', `no valid point: ${rejected.slice(0, 3).map((r) => `#${r.index}: ${r.reason}`).join('; ')}`)
    const r = ctx.ingestion.ingestHttp(points)
    if (rejected.length) ctx.metrics.sensorPoints.inc({ source: 'http', outcome: 'rejected' }, rejected.length)
    return { ...r, rejected: rejected.slice(0, 100) }
  })
}
