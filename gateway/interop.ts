// How the gateway meets pages and tools on other origins.
//   - CORS, for the origins it is told to trust (none by default): maps read tiles and live data, tools
//     invoke chains with any body type and a token. ETag, Retry-After, the request id and the rate-limit
//     and x-graticule-* headers are readable by them.
//   - Resource policies per route: every response may be used by another origin (CORP cross-origin) except
//     the page, the one document that asks for cross-origin isolation (COOP + COEP: SharedArrayBuffer for
//     the faaslets' shared memory in the browser). The scripts it starts as workers need COEP as well.
import cors from '@fastify/cors'
import type { FastifyInstance } from 'fastify'
import { REQUEST_ID_HEADER } from './logging.js'

declare module 'fastify' {
  interface FastifyContextConfig {
    /** 'page': a document that needs crossOriginIsolated; 'page-assets': files it may start as workers */
    isolation?: keyof typeof POLICY_HEADERS
  }
}

export interface InteropOptions {
  /** origins allowed to read the API cross-origin (CORS); ['*'] for any; none or empty: no CORS headers */
  corsOrigins?: string[]
}

const POLICY_HEADERS = {
  public: { 'cross-origin-resource-policy': 'cross-origin' },
  page: { 'cross-origin-opener-policy': 'same-origin', 'cross-origin-embedder-policy': 'require-corp', 'cross-origin-resource-policy': 'same-origin' },
  // COEP only takes effect on a document or a worker script: here, on the worker the page starts
  'page-assets': { 'cross-origin-embedder-policy': 'require-corp', 'cross-origin-resource-policy': 'cross-origin' },
} as const

/** What a cross-origin caller may send: a token, any body type, a revalidation, its own request id. */
const CORS_REQUEST_HEADERS = ['Authorization', 'Content-Type', 'If-None-Match', REQUEST_ID_HEADER]
const CORS_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'DELETE']
/** Response headers a cross-origin caller may read besides the safelisted ones. */
const EXPOSED = new RegExp(`^(x-graticule-|x-ratelimit-|etag$|retry-after$|${REQUEST_ID_HEADER}$)`)

export async function registerInterop(app: FastifyInstance, opts: InteropOptions): Promise<void> {
  // on the request, not on send: the SSE route writes its own head (with reply.getHeaders())
  app.addHook('onRequest', async (req, reply) => {
    reply.headers(POLICY_HEADERS[req.routeOptions.config?.isolation ?? 'public'])
  })
  const origins = opts.corsOrigins ?? []
  if (origins.length === 0) return
  await app.register(cors, {
    origin: origins.includes('*') ? '*' : origins,
    methods: CORS_METHODS,
    allowedHeaders: CORS_REQUEST_HEADERS,
    maxAge: 600,
    // a preflight without Origin gets the same answer (no 400 in text/plain: errors are problem details)
    strictPreflight: false,
  })
  // exposed per response, so a header a route adds later is readable without a list to keep in step
  app.addHook('onSend', async (_req, reply) => {
    if (!reply.hasHeader('access-control-allow-origin')) return
    const names = Object.keys(reply.getHeaders()).filter((h) => EXPOSED.test(h))
    if (names.length) reply.header('access-control-expose-headers', names.join(', '))
  })
}
