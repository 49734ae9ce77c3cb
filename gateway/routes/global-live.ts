// The live endpoints of a cloud gateway (`serve --role cloud`), answered from the global view — the merged results
// of the edges' partials — instead of a window's points: one route file per kind of work, as live.ts computes from
// points and this one reads merged grids and clusters. The paths are live.ts's, so the map and any client work
// against either role; /live/edges is the cloud's own.
//
//   /live/heatmap/{z}/{x}/{y}.png  the newest window's merged grid: at the tile set's zoom, the tile's cells cut out of
//                                  the mosaic and coloured by the colorize faaslet (PNG encoded in the worker, as the
//                                  live routes do). Deterministic: every cloud gateway sends the same bytes for a
//                                  result. Other zooms, and tiles outside the tile set, have no merged density: a
//                                  transparent tile (x-graticule-merged: no), so maps keep working; the TileJSON gives
//                                  minzoom = maxzoom = the tile set's zoom and its bounds, so clients that read it
//                                  (MapLibre) ask for nothing else and scale those tiles.
//   /live/clusters                 the merged clusters (their zoom: the edges' cluster zoom); a lower zoom clusters
//                                  them once more (cluster faaslet, counts exact); a higher one gets them as they are
//   /live/points, /live/hexagons   the cloud holds no points: empty collections
//   /live/events                   one message per global result update
//   /live/edges                    each edge: connected, heartbeat age, newest windows closed and merged, lag, spool
// ETags are made from the result's version (window, merge time, edges), so every cloud gateway gives the same tag.
import type { OutgoingHttpHeaders } from 'node:http'
import type { FastifyInstance } from 'fastify'
import { PNG } from 'pngjs'
import { tileBbox } from '../../chains/bind.js'
import { clustersToGeoJSON, mercatorToLonLat } from '../../faaslets/codecs/clusters.js'
import { MEDIA_TYPES } from '../../faaslets/codecs/boundary.js'
import { fail } from '../../errors/index.js'
import type { Cloud } from '../cloud/cloud.js'
import { resultVersion, type GlobalResult } from '../cloud/global-result.js'
import type { GlobalSummary } from '../cloud/global-view.js'
import { cropTile } from '../cloud/grid-region.js'
import { describeTileSet } from '../cloud/merge.js'
import { tileSetGrid } from '../partials/partial.js'
import type { ClusterSummaries } from '../partials/partial.js'
import { answer, BINARY, documented, empty, json, problems, TEXT } from '../openapi.js'
import { TILEJSON_SCHEMA, tileJSON } from './tilejson.js'
import { clientHas, versionETag } from './window-etag.js'

const GEOJSON = MEDIA_TYPES.geojson
const EMPTY_COLLECTION = { type: 'FeatureCollection', features: [] }
const FEATURE_COLLECTION = { type: 'object', properties: { type: { type: 'string', enum: ['FeatureCollection'] }, features: { type: 'array', items: { type: 'object' } } } } as const
const heatmapQuery = { type: 'object', additionalProperties: false, properties: { radius: { type: 'number', minimum: 1, maximum: 128 }, scale: { type: 'number', minimum: 0 } } } as const
const windowData = (description: string, mediaType: string, schema: Record<string, unknown>) => ({
  200: answer(description, [mediaType], schema), 304: empty('the result (and so the response) has not changed since the ETag sent in If-None-Match'),
  ...problems(400, 404, 429, 503),
})

/** Encoded answers of the newest result (tiles, re-clustered clusters), dropped when a newer result replaces it. */
class ResultCache {
  private version = ''
  private readonly entries = new Map<string, Promise<unknown>>()

  get<T>(r: GlobalResult, key: string, make: () => Promise<T>): Promise<T> {
    const version = resultVersion(r)
    if (version !== this.version) {
      this.version = version
      this.entries.clear()
    }
    let hit = this.entries.get(key)
    if (!hit) {
      if (this.entries.size >= 512) this.entries.clear()
      hit = make()
      this.entries.set(key, hit)
      hit.catch(() => this.entries.delete(key))
    }
    return hit as Promise<T>
  }
}

export async function globalLiveRoutes(app: FastifyInstance, cloud: Cloud): Promise<void> {
  const ts = cloud.tileSet
  const grid = tileSetGrid(ts)
  const emptyTile = PNG.sync.write(new PNG({ width: ts.size, height: ts.size, fill: true }))
  const cache = new ResultCache()
  const west = tileBbox({ z: ts.zoom, x: grid.x0, y: grid.y0 }), east = tileBbox({ z: ts.zoom, x: grid.x1, y: grid.y1 })
  const bounds = [west[0], east[1], east[2], west[3]]
  const layer = {
    name: 'heatmap', minzoom: ts.zoom, maxzoom: ts.zoom,
    description: `Kernel density of the newest window merged over every edge (the sum of the edges' grids on ${describeTileSet(ts)}, viridis); ${ts.size} px tiles at zoom ${ts.zoom} only`,
  }
  const tag = (r: GlobalResult | undefined, request: string) => versionETag(r ? r.windowStart : null, r ? resultVersion(r) : '', request)

  app.get<{ Querystring: { radius?: number; scale?: number } }>('/live/heatmap.json', {
    schema: { summary: 'TileJSON 3.0.0 of the merged heatmap: its one zoom (the tile set\'s) and its bounds; scale is carried onto the tile URLs', tags: ['live'], querystring: heatmapQuery },
    config: documented({ responses: { 200: json('the TileJSON document', TILEJSON_SCHEMA), ...problems(400) } }),
  }, async (req, reply) => {
    reply.header('cache-control', 'no-cache')
    return { ...tileJSON(req, layer, `graticule global windows · partials of edges on Kafka topic ${cloud.topics.partials}`, { ...req.query }), bounds, center: [(bounds[0] + bounds[2]) / 2, (bounds[1] + bounds[3]) / 2, ts.zoom] }
  })

  app.get<{ Params: { z: number; x: number; y: number }; Querystring: { radius?: number; scale?: number } }>('/live/heatmap/:z/:x/:y.png', {
    schema: {
      summary: 'XYZ heatmap tile of the newest merged window: at the tile set\'s zoom, its cells of the merged grid; elsewhere transparent (x-graticule-merged: no). ETag of the result, 304 on If-None-Match', tags: ['live'],
      params: { type: 'object', required: ['z', 'x', 'y'], properties: { z: { type: 'integer', minimum: 0, maximum: 22 }, x: { type: 'integer', minimum: 0 }, y: { type: 'integer', minimum: 0 } } },
      querystring: heatmapQuery,
    },
    config: documented({ responses: windowData(`a ${ts.size}×${ts.size} PNG tile (transparent while there is no window, and off the tile set)`, MEDIA_TYPES.png, BINARY) }),
  }, async (req, reply) => {
    const { z, x, y } = req.params
    if (x >= 2 ** z || y >= 2 ** z) throw fail('E_BAD_PARAM', 'x/y', `tile ${z}/${x}/${y} does not exist (x, y < 2^z)`)
    const r = cloud.view.newest()
    const scale = req.query.scale ?? 0
    const key = `heatmap/${z}/${x}/${y}/${scale}`
    if (clientHas(req, reply, tag(r, key))) return reply.code(304).send()
    const onGrid = z === ts.zoom && x >= grid.x0 && x <= grid.x1 && y >= grid.y0 && y <= grid.y1
    reply.type('image/png').header('x-graticule-window', r ? String(r.windowStart) : 'none').header('x-graticule-merged', onGrid ? 'yes' : 'no')
    if (!r || !onGrid) return reply.send(emptyTile)
    const png = await cache.get(r, key, () => cloud.faaslets.tilePng(cropTile(r.grid, ts.size, x, y), ts.size, { z, x, y }, scale))
    return reply.send(Buffer.from(png))
  })

  app.get<{ Querystring: { bbox?: string; zoom?: number } }>('/live/clusters', {
    schema: {
      summary: 'The newest window\'s clusters merged over every edge, within a bbox (GeoJSON); below the edges\' cluster zoom clustered once more. ETag of the result, 304 on If-None-Match', tags: ['live'],
      querystring: { type: 'object', additionalProperties: false, properties: { bbox: { type: 'string', pattern: '^-?[0-9.]+,-?[0-9.]+,-?[0-9.]+,-?[0-9.]+$' }, zoom: { type: 'integer', minimum: 0, maximum: 24, default: 2 } } },
    },
    config: documented({ responses: windowData('clusters (point_count, weight = value sum) and lone points', GEOJSON, FEATURE_COLLECTION) }),
  }, async (req, reply) => {
    const r = cloud.view.newest()
    const zoom = req.query.zoom ?? 2
    const bbox = req.query.bbox ? req.query.bbox.split(',').map(Number) : null
    if (clientHas(req, reply, tag(r, `clusters/${zoom}/${req.query.bbox ?? ''}`))) return reply.code(304).send()
    reply.type(GEOJSON)
    if (!r || !r.clusters) return reply.header('x-graticule-window', r ? String(r.windowStart) : 'none').header('x-graticule-count', '0').send(EMPTY_COLLECTION)
    const merged = r.clusters
    let c = merged
    if (zoom < merged.zoom) c = await cache.get(r, `clusters/${zoom}`, () => cloud.faaslets.mergeClusters([merged], { zoom, radius: cloud.clusterRadius }))
    return reply.header('x-graticule-window', String(r.windowStart)).header('x-graticule-count', String(r.count)).header('x-graticule-cluster-zoom', String(c.zoom))
      .send(clustersGeoJSON(c, bbox))
  })

  for (const [path, what] of [['/live/points', 'sensor points'], ['/live/hexagons', 'H3 hexagons']] as const) {
    app.get(path, {
      schema: { summary: `On a cloud gateway: no ${what} (the cloud merges the edges' grids and clusters, never their points): an empty collection`, tags: ['live'] },
      config: documented({ responses: windowData('an empty FeatureCollection', GEOJSON, FEATURE_COLLECTION) }),
    }, async (_req, reply) => {
      const r = cloud.view.newest()
      return reply.type(GEOJSON).header('x-graticule-window', r ? String(r.windowStart) : 'none').header('x-graticule-count', '0').send(EMPTY_COLLECTION)
    })
  }

  app.get('/live/status', {
    schema: { summary: 'The role (cloud), the newest global result\'s summary, the tile set, the topics and the partitions merged here', tags: ['live'] },
    config: documented({ responses: { 200: json('role, windows, last summary, tile set, topics, partitions', { type: 'object' }) } }),
  }, async () => ({
    role: 'cloud', windows: cloud.view.updates, held: cloud.view.size, last: cloud.view.last, windowMs: cloud.view.windowMs(), tileSet: ts,
    topics: cloud.topics, partitions: cloud.partitions,
  }))

  app.get('/live/edges', {
    schema: {
      summary: 'Every edge heard of: connected (a heartbeat within the connection timeout, by this gateway\'s clock), heartbeat age, the newest window it closed and the newest merged from it, the lag between them, its spool',
      tags: ['live'],
    },
    config: documented({ responses: { 200: json('the edges, by id', { type: 'object' }) } }),
  }, async (_req, reply) => {
    const now = Date.now()
    reply.header('cache-control', 'no-store')
    return { now, connectedMs: cloud.connectedMs, windowMs: cloud.view.windowMs(), edges: cloud.view.edges(now, cloud.connectedMs) }
  })

  app.get('/live/events', {
    schema: { summary: 'Server-Sent Events: one message per global window update, with its counts and the edges merged', tags: ['live'] },
    config: documented({ responses: { 200: answer('`event: window` messages, data: the window summary as JSON', ['text/event-stream'], TEXT) } }),
  }, (req, reply) => {
    const view = cloud.view
    reply.hijack()
    const res = reply.raw
    res.writeHead(200, {
      ...(reply.getHeaders() as OutgoingHttpHeaders),
      'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-store', connection: 'keep-alive', 'x-accel-buffering': 'no',
    })
    res.write(': graticule global window events\n\n')
    if (view.last) res.write(`event: window\ndata: ${JSON.stringify(view.last)}\n\n`)
    const send = (s: GlobalSummary) => res.write(`event: window\ndata: ${JSON.stringify(s)}\n\n`)
    const ping = setInterval(() => res.write(': ping\n\n'), 15_000)
    view.on('update', send)
    const done = () => { clearInterval(ping); view.off('update', send) }
    req.raw.on('close', done)
    res.on('error', done)
  })
}

/** Merged clusters as supercluster-style GeoJSON (lon/lat), those inside `bbox` (w,s,e,n) when given. */
function clustersGeoJSON(c: ClusterSummaries, bbox: number[] | null) {
  const keep: number[] = []
  for (let i = 0; i < c.x.length; i++) {
    if (!bbox) { keep.push(i); continue }
    const [lon, lat] = mercatorToLonLat(c.x[i], c.y[i])
    const inLon = bbox[0] <= bbox[2] ? lon >= bbox[0] && lon <= bbox[2] : lon >= bbox[0] || lon <= bbox[2]
    if (inLon && lat >= bbox[1] && lat <= bbox[3]) keep.push(i)
  }
  const pick = (a: Float64Array) => Float64Array.from(keep, (i) => a[i])
  return clustersToGeoJSON({
    x: pick(c.x), y: pick(c.y), count: pick(c.count), weight: pick(c.weight), id: Float64Array.from(keep), crs: 3857, zoom: c.zoom, extent: [NaN, NaN, NaN, NaN],
  })
}
