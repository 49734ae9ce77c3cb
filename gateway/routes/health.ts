// Liveness, readiness and metrics.
import type { FastifyInstance } from 'fastify'
import type { GatewayContext } from '../context.js'
import { answer, documented, json, TEXT } from '../openapi.js'

const READINESS = {
  type: 'object', properties: {
    status: { type: 'string', enum: ['ready', 'not ready'] }, checks: { type: 'object', additionalProperties: { type: 'boolean' } },
    edge: { type: 'object', description: 'an edge: its uplink, which never makes it unready (GET /edge has the detail)', properties: { uplink: { type: 'string', enum: ['connected', 'down'] }, spooled: { type: 'integer' } } },
  },
} as const
/** a probe that found the gateway not ready asks again after this long */
const NOT_READY_RETRY_SECONDS = 5

export async function healthRoutes(app: FastifyInstance, ctx: GatewayContext): Promise<void> {
  app.get('/healthz', {
    schema: { summary: 'Liveness: the process serves requests', tags: ['ops'] },
    config: documented({ responses: { 200: json('alive', { type: 'object', properties: { status: { type: 'string', enum: ['ok'] } } }) } }),
  }, async () => ({ status: 'ok' }))

  app.get('/readyz', {
    schema: { summary: 'Readiness: workers up and, if configured, Kafka connected', tags: ['ops'] },
    config: documented({ responses: { 200: json('ready', READINESS), 503: json('not ready: the checks say which part (Retry-After)', READINESS) } }),
  }, async (_req, reply) => {
    const checks = ctx.readiness()
    const ready = Object.values(checks).every(Boolean)
    if (!ready) reply.header('retry-after', String(NOT_READY_RETRY_SECONDS))
    // an edge offline is in a normal state (it serves its own sensors, and spools): said, not counted against it
    const edge = ctx.edge?.status()
    return reply.code(ready ? 200 : 503).send({ status: ready ? 'ready' : 'not ready', checks, ...(edge ? { edge: { uplink: edge.uplink.connected ? 'connected' : 'down', spooled: edge.spool.records } } : {}) })
  })

  app.get('/metrics', {
    schema: { summary: 'Prometheus metrics', tags: ['ops'] },
    config: documented({ responses: { 200: answer('the Prometheus text exposition format', [ctx.metrics.registry.contentType], TEXT) } }),
  }, async (_req, reply) => {
    return reply.type(ctx.metrics.registry.contentType).send(await ctx.metrics.registry.metrics())
  })
}
