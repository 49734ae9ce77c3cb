// Live results of the sensor stream: heatmap tiles, clusters and H3 hexagons of the newest closed window
// (computed on demand by shipped chains, in shared memory; tiles and hexagons cached per window), the
// window summaries as Server-Sent Events, and the raw points for close zooms. Each tile layer is described
// by a TileJSON document at /live/<layer>.json; window data carries an ETag of its window (window-etag.ts).
import type { OutgoingHttpHeaders } from 'node:http'
import type { FastifyInstance } from 'fastify'
import { PNG } from 'pngjs'
import { planFor } from '../../chains/run.js'
import type { RawParams } from '../../faaslets/abi/manifest.js'
import { MEDIA_TYPES } from '../../faaslets/codecs/boundary.js'
import { fail } from '../../errors/index.js'
import type { GatewayContext } from '../context.js'
import type { LiveSummary } from '../ingest/live-state.js'
import { windowPointArrays, type WindowPoints } from '../ingest/windows.js'
import { answer, BINARY, documented, empty, json, problems, TEXT } from '../openapi.js'
import { TILEJSON_SCHEMA, tileJSON, type TileLayer } from './tilejson.js'
import { clientHas, windowETag } from './window-etag.js'

const EMPTY_TILE = PNG.sync.write(new PNG({ width: 256, height: 256, fill: true }))
const EMPTY_COLLECTION = { type: 'FeatureCollection', features: [] }


const HEATMAP: TileLayer = {
  name: 'heatmap', minzoom: 0, maxzoom: 22,
  description: 'Kernel density (points-heatmap, viridis) of the sensor points in the newest closed window; 256 px tiles',
}
const heatmapQuery = { type: 'object', additionalProperties: false, properties: { radius: { type: 'number', minimum: 1, maximum: 128 }, scale: { type: 'number', minimum: 0 } } } as const
interface HeatmapQuery { radius?: number; scale?: number }

const GEOJSON = MEDIA_TYPES.geojson
const FEATURE_COLLECTION = { type: 'object', properties: { type: { type: 'string', enum: ['FeatureCollection'] }, features: { type: 'array', items: { type: 'object' } } } } as const
/** What a window-data route answers: its body, 304 on revalidation, and the refusals every one shares. */
const windowData = (description: string, mediaType: string, schema: Record<string, unknown>) => ({
  200: answer(description, [mediaType], schema), 304: empty('the window (and so the response) has not changed since the ETag sent in If-None-Match'),
  ...problems(400, 404, 429, 503),
})

export async function liveRoutes(app: FastifyInstance, ctx: GatewayContext): Promise<void> {
  const ingestion = () => {
    if (!ctx.ingestion) throw fail('E_NO_LIVE_DATA', 'this gateway ingests no sensor stream (start it with the simulator or --kafka)')
    return ctx.ingestion
  }

  /**
   * A shipped chain on the window's points: its first output, encoded as the chain declares — all of it in
   * a worker, which reads the window's columns where they are (shared memory). Parameters are refused with
   * the registry's codes.
   */
  const runOnWindow = async (name: string, params: RawParams, points: WindowPoints): Promise<Uint8Array> => {
    const chain = ctx.chains.get(name)
    const res = await ctx.runner.run(chain, params, { points: windowPointArrays(points) }, { only: [chain.outputs[0].name] })
    return res.outputs[0].body
  }

  app.get<{ Querystring: HeatmapQuery }>(`/live/${HEATMAP.name}.json`, {
    schema: {
      summary: 'TileJSON 3.0.0 of the live heatmap layer (every live tile layer has one at /live/<layer>.json): absolute tile URLs on the Host asked, zooms, bounds, attribution; radius and scale given here are carried onto the tile URLs',
      tags: ['live'], querystring: heatmapQuery,
    },
    config: documented({ responses: { 200: json('the TileJSON document', TILEJSON_SCHEMA), ...problems(400, 404) } }),
  }, async (req, reply) => {
    const ing = ingestion()
    const source = ing.kafka ? `sensors from Kafka topic ${ing.kafka.topic}` : ing.simulator ? 'simulated sensors' : 'sensors posted to /ingest'
    reply.header('cache-control', 'no-cache')
    return tileJSON(req, HEATMAP, `graticule live windows · ${source}`, { ...req.query })
  })

  app.get<{ Params: { z: number; x: number; y: number }; Querystring: HeatmapQuery }>(`/live/${HEATMAP.name}/:z/:x/:y.png`, {
    schema: {
      summary: 'XYZ heatmap tile of the newest closed window (TileJSON: /live/heatmap.json); ETag of the window, 304 on If-None-Match', tags: ['live'],
      params: { type: 'object', required: ['z', 'x', 'y'], properties: { z: { type: 'integer', minimum: HEATMAP.minzoom, maximum: HEATMAP.maxzoom }, x: { type: 'integer', minimum: 0 }, y: { type: 'integer', minimum: 0 } } },
      querystring: heatmapQuery,
    },
    config: documented({ responses: windowData('a 256×256 PNG tile (transparent while there is no window)', MEDIA_TYPES.png, BINARY) }),
  }, async (req, reply) => {
    const { z, x, y } = req.params
    if (x >= 2 ** z || y >= 2 ** z) throw fail('E_BAD_PARAM', 'x/y', `tile ${z}/${x}/${y} does not exist (x, y < 2^z)`)
    const live = ingestion().live
    const current = live.current()
    const radius = req.query.radius ?? 16
    const scale = req.query.scale ?? 0
    const key = `heatmap/${z}/${x}/${y}/${radius}/${scale}`
    if (clientHas(req, reply, windowETag(current, key))) return reply.code(304).send()
    if (!current || current.points.count === 0) return reply.type('image/png').header('x-graticule-window', 'none').send(EMPTY_TILE)
    let png = live.cached(current, key)
    if (!png) {
      png = await runOnWindow('points-heatmap', { z, x, y, radius, scale }, current.points)
      live.cache(current, key, png)
    }
    return reply.type('image/png').header('x-graticule-window', String(current.start)).send(Buffer.from(png))
  })

  app.get<{ Querystring: { bbox?: string; zoom?: number } }>('/live/clusters', {
    schema: {
      summary: 'Clusters of the newest closed window for a zoom and bbox (GeoJSON); ETag of the window, 304 on If-None-Match', tags: ['live'],
      querystring: { type: 'object', additionalProperties: false, properties: { bbox: { type: 'string', pattern: '^-?[0-9.]+,-?[0-9.]+,-?[0-9.]+,-?[0-9.]+$' }, zoom: { type: 'integer', minimum: 0, maximum: 24, default: 2 } } },
    },
    config: documented({ responses: windowData('clusters (point_count) and single points', GEOJSON, FEATURE_COLLECTION) }),
  }, async (req, reply) => {
    const current = ingestion().live.current()
    const params = { zoom: req.query.zoom ?? 2, ...(req.query.bbox ? { bbox: req.query.bbox } : {}) }
    if (clientHas(req, reply, windowETag(current, `clusters/${params.zoom}/${params.bbox ?? ''}`))) return reply.code(304).send()
    if (!current || current.points.count === 0) return reply.type(GEOJSON).send(EMPTY_COLLECTION)
    const geojson = await runOnWindow('points-clusters', params, current.points)
    return reply.type(GEOJSON).header('x-graticule-window', String(current.start)).header('x-graticule-count', String(current.points.count))
      .send(Buffer.from(geojson))
  })

  app.get<{ Querystring: { res?: string } }>('/live/hexagons', {
    schema: {
      summary: 'H3 cells of the newest closed window: hexagons with the count and value sum, mean, min and max of their points (GeoJSON, sensor-hexagons); ETag of the window, 304 on If-None-Match',
      tags: ['live'],
      // res is checked where every invocation's is: by the chain and h3-bin's manifest (E_BAD_PARAM)
      querystring: { type: 'object', additionalProperties: false, properties: { res: { type: 'string', maxLength: 16 } } },
    },
    config: documented({ responses: windowData('one polygon per H3 cell with points', GEOJSON, FEATURE_COLLECTION) }),
  }, async (req, reply) => {
    const hexagons = planFor(ctx.dataplane, ctx.chains.get('sensor-hexagons'), req.query) // a bad res is refused even while no window is there
    const live = ingestion().live
    const current = live.current()
    const key = `hexagons/${hexagons.steps[0].params.join(',')}` // packed: res=05 and res=5 are one entry
    if (clientHas(req, reply, windowETag(current, key))) return reply.code(304).send()
    reply.type(GEOJSON)
    if (!current || current.points.count === 0) return reply.header('x-graticule-window', 'none').header('x-graticule-count', '0').send(EMPTY_COLLECTION)
    let geojson = live.cached(current, key)
    if (!geojson) {
      geojson = await runOnWindow('sensor-hexagons', req.query, current.points)
      live.cache(current, key, geojson)
    }
    return reply.header('x-graticule-window', String(current.start)).header('x-graticule-count', String(current.points.count)).send(Buffer.from(geojson))
  })

  app.get<{ Querystring: { bbox: string; limit?: number } }>('/live/points', {
    schema: {
      summary: 'Sensor points of the newest closed window inside a bbox (GeoJSON), for close zooms; ETag of the window, 304 on If-None-Match', tags: ['live'],
      querystring: { type: 'object', required: ['bbox'], additionalProperties: false, properties: { bbox: { type: 'string', pattern: '^-?[0-9.]+,-?[0-9.]+,-?[0-9.]+,-?[0-9.]+$' }, limit: { type: 'integer', minimum: 1, maximum: 20_000, default: 5_000 } } },
    },
    config: documented({ responses: windowData('the points, with sensor, value and ts', GEOJSON, FEATURE_COLLECTION) }),
  }, async (req, reply) => {
    const [w, s, e, n] = req.query.bbox.split(',').map(Number)
    const current = ingestion().live.current()
    const limit = req.query.limit ?? 5_000
    if (clientHas(req, reply, windowETag(current, `points/${req.query.bbox}/${limit}`))) return reply.code(304).send()
    const features = []
    const names = ingestion().sensors.names
    if (current) {
      const p = current.points
      for (let i = 0; i < p.count && features.length < limit; i++) {
        if (p.lon[i] >= w && p.lon[i] <= e && p.lat[i] >= s && p.lat[i] <= n) {
          features.push({ type: 'Feature', geometry: { type: 'Point', coordinates: [p.lon[i], p.lat[i]] }, properties: { sensor: names[p.sensor[i]], value: p.value[i], ts: p.ts[i] } })
        }
      }
    }
    return reply.type(GEOJSON).send({ type: 'FeatureCollection', features })
  })

  app.get('/live/status', {
    schema: { summary: 'The newest window summary and ingestion counters', tags: ['live'] },
    config: documented({ responses: { 200: json('windows, the last summary, window size, chain, Kafka link', { type: 'object' }), ...problems(404) } }),
  }, async () => {
    const ing = ingestion()
    return {
      windows: ing.live.windows, last: ing.live.last, windowMs: ing.windowConfig.sizeMs, allowedLatenessMs: ing.windowConfig.allowedLatenessMs,
      chain: ing.chainName,
      kafka: ing.kafka ? { topic: ing.kafka.topic, partitions: ing.kafka.partitions, link: ing.kafka.link.state, problem: ing.kafka.link.reason } : null,
    }
  })

  app.get('/live/events', {
    schema: { summary: 'Server-Sent Events: one message per closed window with its counts', tags: ['live'] },
    config: documented({ responses: { 200: answer('`event: window` messages, data: the window summary as JSON', ['text/event-stream'], TEXT), ...problems(404) } }),
  }, (req, reply) => {
    const live = ingestion().live
    reply.hijack()
    const res = reply.raw
    // what the hooks put on the reply (resource policy, CORS) goes out with the head written here
    res.writeHead(200, {
      ...(reply.getHeaders() as OutgoingHttpHeaders),
      'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-store', connection: 'keep-alive', 'x-accel-buffering': 'no',
    })
    res.write(': graticule live window events\n\n')
    if (live.last) res.write(`event: window\ndata: ${JSON.stringify(live.last)}\n\n`)
    const send = (s: LiveSummary) => res.write(`event: window\ndata: ${JSON.stringify(s)}\n\n`)
    const ping = setInterval(() => res.write(': ping\n\n'), 15_000)
    live.on('window', send)
    const done = () => { clearInterval(ping); live.off('window', send) }
    req.raw.on('close', done)
    res.on('error', done)
  })
}
