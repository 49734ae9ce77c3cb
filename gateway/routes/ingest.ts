// POST /ingest: sensor points over HTTP (JSON or msgpack, one point or a batch), into the same windows.
import type { FastifyInstance } from 'fastify'
import { fail } from '../../errors/index.js'
import type { GatewayContext } from '../context.js'
import { parseSensorMessage } from '../ingest/sensor-record.js'
import { BINARY, documented, json, problems, requestBody } from '../openapi.js'

const JSON_TYPE = 'application/json'
/** JSON, or msgpack under any of the names it goes by */
const INGEST_MEDIA_TYPES = [JSON_TYPE, 'application/msgpack', 'application/x-msgpack', 'application/vnd.msgpack']
const SENSOR_POINT = {
  type: 'object', required: ['sensor', 'ts', 'lon', 'lat', 'value'],
  properties: { sensor: { type: 'string' }, ts: { type: 'number', description: 'ms since the epoch' }, lon: { type: 'number' }, lat: { type: 'number' }, value: { type: 'number' } },
} as const
const INGESTED = { type: 'object', properties: { accepted: { type: 'integer' }, duplicates: { type: 'integer' }, late: { type: 'integer' }, overflow: { type: 'integer' }, rejected: { type: 'array', items: { type: 'object' } } } } as const

export async function ingestRoutes(app: FastifyInstance, ctx: GatewayContext): Promise<void> {
  app.post<{ Body: Buffer }>('/ingest', {
    schema: {
      summary: 'Sensor points: {sensor, ts, lon, lat, value}, one, a batch, or columns {sensor: [], ts: [], …}, as JSON or msgpack', tags: ['live'],
    },
    config: documented({
      body: requestBody(Object.fromEntries(INGEST_MEDIA_TYPES.map((t) => [t, t === JSON_TYPE
        ? { schema: { oneOf: [SENSOR_POINT, { type: 'array', items: SENSOR_POINT }, { type: 'object', description: 'columns: {sensor: [], ts: [], lon: [], lat: [], value: []}' }] }, example: [{ sensor: 's1', ts: 1700000000000, lon: 13.4, lat: 52.5, value: 3 }] }
        : { schema: BINARY }]))),
      responses: { 200: json('what became of the points', INGESTED), ...problems(400, 401, 403, 404, 413, 415, 429, 503) },
    }),
  }, async (req) => {
    if (!ctx.ingestion) throw fail('E_NO_LIVE_DATA', 'this gateway ingests no sensor stream')
    if (ctx.closing()) throw fail('E_SHUTTING_DOWN')
    const type = (req.headers['content-type'] ?? '').split(';')[0].trim()
    if (!INGEST_MEDIA_TYPES.includes(type)) {
      throw fail('E_UNSUPPORTED_MEDIA', type || 'none', 'application/json, application/msgpack')
    }
    const body = req.body ?? Buffer.alloc(0)
    const { points, rejected } = parseSensorMessage(body, type === JSON_TYPE ? 'json' : 'msgpack')
    if (points.length > ctx.limits.maxPointsPerRequest) throw fail('E_TOO_MANY_POINTS', points.length, ctx.limits.maxPointsPerRequest)
    if (points.length === 0 && rejected.length > 0) throw fail('E_BAD_REQUEST', `no valid point: ${rejected.slice(0, 3).map((r) => `#${r.index}: ${r.reason}`).join('; ')}`)
    const r = ctx.ingestion.ingestHttp(points)
    if (rejected.length) ctx.metrics.sensorPoints.inc({ source: 'http', outcome: 'rejected' }, rejected.length)
    return { ...r, rejected: rejected.slice(0, 100) }
  })
}
