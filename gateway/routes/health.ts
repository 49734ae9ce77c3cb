// Liveness, readiness and metrics.
import type { FastifyInstance } from 'fastify'
import type { GatewayContext } from '../context.js'

export async function healthRoutes(app: FastifyInstance, ctx: GatewayContext): Promise<void> {
  app.get('/healthz', { schema: { summary: 'Liveness: the process serves requests', tags: ['ops'] } }, async () => ({ status: 'ok' }))

  app.get('/readyz', { schema: { summary: 'Readiness: workers up and, if configured, Kafka connected', tags: ['ops'] } }, async (_req, reply) => {
    const checks = ctx.readiness()
    const ready = Object.values(checks).every(Boolean)
    return reply.code(ready ? 200 : 503).send({ status: ready ? 'ready' : 'not ready', checks })
  })

  app.get('/metrics', { schema: { summary: 'Prometheus metrics', tags: ['ops'] } }, async (_req, reply) => {
    return reply.type(ctx.metrics.registry.contentType).send(await ctx.metrics.registry.metrics())
  })
}
