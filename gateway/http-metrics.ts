// Per-route HTTP metrics: every response is counted under its route pattern (/chains/:name/invoke), never
// its raw URL, so the label set is as small as the route table whatever URLs clients send.
import type { FastifyInstance } from 'fastify'
import type { GatewayMetrics } from './metrics.js'

/** The route of requests that matched none (404s from the not-found handler): one value for any URL. */
export const UNMATCHED_ROUTE = 'unmatched'

/** Register on the root instance before the routes, so the hook reaches every scope. */
export function registerHttpMetrics(app: FastifyInstance, metrics: GatewayMetrics): void {
  // one hook: reply.elapsedTime already runs from the request's arrival at the router
  app.addHook('onResponse', async (req, reply) => {
    const route = req.routeOptions.url ?? UNMATCHED_ROUTE
    metrics.httpRequests.inc({ method: req.method, route, status_code: String(reply.statusCode) })
    metrics.httpDuration.observe({ method: req.method, route }, reply.elapsedTime / 1000)
  })
}
