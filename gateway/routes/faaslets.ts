// GET /faaslets: the faaslets with inputs, outputs and parameters.
import type { FastifyInstance } from 'fastify'
import type { GatewayContext } from '../context.js'

export async function faasletRoutes(app: FastifyInstance, ctx: GatewayContext): Promise<void> {
  app.get('/faaslets', { schema: { summary: 'The faaslets this gateway can run', tags: ['faaslets'] } }, async () =>
    ctx.dataplane.catalog.list().map((e) => ({ ...e.manifest, deployed: Boolean(e.deployed) })))
}
