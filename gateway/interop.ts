// How the gateway meets other origins and tools: CORS, resource and isolation policies per route.
// (Being rewritten: today every response carries the page's cross-origin isolation headers.)
import type { FastifyInstance } from 'fastify'
import { ISOLATION_HEADERS } from './routes/web.js'

export interface InteropOptions {
  /** origins allowed to read the API cross-origin (CORS); '*' for any */
  corsOrigins?: string[]
}

export async function registerInterop(app: FastifyInstance, _opts: InteropOptions): Promise<void> {
  app.addHook('onSend', async (_req, reply) => {
    for (const [k, v] of Object.entries(ISOLATION_HEADERS)) if (!reply.hasHeader(k)) reply.header(k, v)
  })
}
