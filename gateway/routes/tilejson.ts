// TileJSON 3.0.0 (github.com/mapbox/tilejson-spec) of a live XYZ layer. Tile URLs are absolute, on the
// address the client used, so a map on another origin can take the document's URL as its source.
import type { FastifyRequest } from 'fastify'

/** Web Mercator's extent: the tile pyramid of every live layer. */
export const WEB_MERCATOR_BOUNDS = [-180, -85.0511287798066, 180, 85.0511287798066]

export interface TileLayer {
  /** served at /live/<name>/{z}/{x}/{y}.png and described at /live/<name>.json */
  name: string
  description: string
  minzoom: number
  maxzoom: number
}

export interface TileJSON {
  tilejson: '3.0.0'
  name: string
  description: string
  attribution: string
  scheme: 'xyz'
  tiles: string[]
  minzoom: number
  maxzoom: number
  bounds: number[]
  center: number[]
}

export const TILEJSON_SCHEMA = {
  type: 'object',
  required: ['tilejson', 'tiles'],
  properties: {
    tilejson: { type: 'string', enum: ['3.0.0'] }, name: { type: 'string' }, description: { type: 'string' }, attribution: { type: 'string' },
    scheme: { type: 'string' }, tiles: { type: 'array', items: { type: 'string' } }, minzoom: { type: 'integer' }, maxzoom: { type: 'integer' },
    bounds: { type: 'array', items: { type: 'number' } }, center: { type: 'array', items: { type: 'number' } },
  },
} as const

/** The layer's document for `req`; `query` (the tiles' own parameters) is carried onto the tile URLs. */
export function tileJSON(req: FastifyRequest, layer: TileLayer, attribution: string, query: Record<string, unknown>): TileJSON {
  const search = new URLSearchParams(Object.entries(query).filter(([, v]) => v !== undefined).map(([k, v]) => [k, String(v)])).toString()
  return {
    tilejson: '3.0.0',
    name: `graticule ${layer.name}`,
    description: layer.description,
    attribution,
    scheme: 'xyz',
    tiles: [`${req.protocol}://${req.host}/live/${layer.name}/{z}/{x}/{y}.png${search ? `?${search}` : ''}`],
    minzoom: layer.minzoom,
    maxzoom: layer.maxzoom,
    bounds: WEB_MERCATOR_BOUNDS,
    center: [0, 0, layer.minzoom],
  }
}
