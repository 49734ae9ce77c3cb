// GET /edge: an edge gateway's link to the cloud — its id, whether the uplink reaches the upstream Kafka, what its
// spool holds and when it last sent. An edge whose uplink is down is still ready (it serves its own sensors): this
// is where that state shows, not in /readyz's checks.
import type { FastifyInstance } from 'fastify'
import { fail } from '../../errors/index.js'
import type { GatewayContext } from '../context.js'
import { documented, json, problems } from '../openapi.js'

const WINDOW = { type: ['integer', 'null'], description: 'window start, ms since the epoch' } as const
const EDGE_STATUS = {
  type: 'object',
  properties: {
    edge: { type: 'string' },
    uplink: {
      type: 'object', properties: {
        kind: { type: 'string', enum: ['partials', 'raw'] }, connected: { type: 'boolean' }, since: { type: 'integer' }, lastError: { type: 'string' },
        lastSent: { type: ['object', 'null'], properties: { at: { type: 'integer' }, windowStart: { type: 'integer' } } }, sentRecords: { type: 'integer' },
        topics: { type: 'object', properties: { partials: { type: 'string' }, edges: { type: 'string' } } },
      },
    },
    spool: {
      type: 'object', properties: {
        dir: { type: 'string' }, records: { type: 'integer' }, bytes: { type: 'integer' }, maxBytes: { type: 'integer' }, full: { type: 'string', enum: ['block', 'drop-oldest'] },
        oldestWindow: WINDOW, newestWindow: WINDOW, dropped: { type: 'object', properties: { records: { type: 'integer' }, points: { type: 'integer' } } },
      },
    },
    tileSet: { type: 'object', description: 'the grid every partial carries (partials/partial.ts TileSet)' },
  },
} as const

export async function edgeRoutes(app: FastifyInstance, ctx: GatewayContext): Promise<void> {
  app.get('/edge', {
    schema: { summary: "An edge gateway's uplink and spool (serve --role edge)", tags: ['ops'] },
    config: documented({ responses: { 200: json('the edge, its uplink and its spool', EDGE_STATUS), ...problems(404) } }),
  }, async () => {
    if (!ctx.edge) throw fail('E_NOT_AN_EDGE')
    return ctx.edge.status()
  })
}
