// build(opts) → a fastify app with every route; `graticule serve` listens with it, tests drive it with
// inject or a real port. Bodies are taken raw (tiles are bytes; JSON is parsed by the chain boundary).
import Fastify, { type FastifyInstance } from 'fastify'
import swagger from '@fastify/swagger'
import swaggerUi from '@fastify/swagger-ui'
import { Dataplane } from '../dataplane/dataplane.js'
import { ChainRegistry } from '../chains/registry.js'
import { DeployedStore } from '../faaslets/deploy.js'
import { requireToken } from './auth.js'
import type { GatewayContext, GatewayLimits } from './context.js'
import { frameworkErrorHandler, installErrorHandlers } from './http-errors.js'
import { GatewayMetrics } from './metrics.js'
import { chainRoutes } from './routes/chains.js'
import { faasletRoutes } from './routes/faaslets.js'
import { healthRoutes } from './routes/health.js'
import { liveRoutes } from './routes/live.js'
import { ingestRoutes } from './routes/ingest.js'
import { ISOLATION_HEADERS, webRoutes } from './routes/web.js'
import { Ingestion, type IngestionOptions } from './ingest/ingestion.js'

export interface GatewayOptions {
  dataplane?: Dataplane
  workers?: number
  /** GRATICULE_TOKEN: required on mutations when set */
  token?: string
  limits?: Partial<GatewayLimits>
  /** where chains created over HTTP are stored; null keeps them in memory */
  chainsDir?: string | null
  /** where deployed faaslets are stored; null keeps them in memory */
  faasletsDir?: string | null
  ingestion?: IngestionOptions | null
  logger?: boolean
}

export interface Gateway {
  app: FastifyInstance
  ctx: GatewayContext
  close(): Promise<void>
}

export const DEFAULT_LIMITS: GatewayLimits = { bodyLimit: 32 * 1024 * 1024, maxPointsPerRequest: 2_000_000 }

export async function buildGateway(opts: GatewayOptions = {}): Promise<Gateway> {
  const limits = { ...DEFAULT_LIMITS, ...opts.limits }
  const ownsDataplane = !opts.dataplane
  const dataplane = opts.dataplane ?? (await Dataplane.start({ workers: opts.workers }))
  const faaslets = new DeployedStore(opts.faasletsDir ?? null)
  faaslets.loadInto(dataplane.catalog)
  const chains = new ChainRegistry(dataplane.catalog, opts.chainsDir ?? null)
  const metrics = new GatewayMetrics(dataplane)
  let closing = false
  const ingestion = opts.ingestion ? new Ingestion(dataplane, chains, metrics, opts.ingestion) : null
  const ctx: GatewayContext = {
    dataplane, chains, faaslets, metrics, limits, ingestion,
    auth: requireToken(opts.token),
    closing: () => closing,
    readiness: () => ({ workers: dataplane.shared.pool.threads.length > 0, ...(ingestion ? ingestion.readiness() : {}) }),
  }

  const app = Fastify({ logger: opts.logger ?? false, bodyLimit: limits.bodyLimit, trustProxy: false, frameworkErrors: frameworkErrorHandler(metrics) })
  installErrorHandlers(app, metrics)
  // every response is cross-origin isolated: the page's workers, wasm and tiles need it (SharedArrayBuffer)
  app.addHook('onSend', async (_req, reply) => {
    for (const [k, v] of Object.entries(ISOLATION_HEADERS)) if (!reply.hasHeader(k)) reply.header(k, v)
  })
  app.removeAllContentTypeParsers()
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_req, body, done) => done(null, body))
  await app.register(swagger, {
    openapi: {
      info: { title: 'graticule', version: '0.1.0', description: 'GIS faaslets chained over shared memory: chains, live sensor windows, metrics' },
    },
  })
  await app.register(swaggerUi, { routePrefix: '/docs' })
  await app.register(async (scope) => {
    await healthRoutes(scope, ctx)
    await faasletRoutes(scope, ctx)
    await chainRoutes(scope, ctx)
    await liveRoutes(scope, ctx)
    await ingestRoutes(scope, ctx)
    await webRoutes(scope, ctx)
  })
  if (ingestion) await ingestion.start()

  return {
    app, ctx,
    async close() {
      closing = true
      // stop intake, finish open windows, commit, then close the server and the workers
      // each step runs even if one before it failed; the first failure is reported
      const steps = [() => ingestion?.stop(), () => app.close(), () => (ownsDataplane ? dataplane.close() : undefined)]
      let first: unknown = null
      for (const step of steps) {
        try {
          await step()
        } catch (e) {
          first ??= e
        }
      }
      if (first) throw first
    },
  }
}
