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
import { webRoutes } from './routes/web.js'
import { registerInterop } from './interop.js'
import { loggerOptions, type LogLevel } from './logging.js'
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
  /** log level of the JSON logs (fastify's logger); false or 'silent' for none */
  logLevel?: LogLevel | false
  /** origins allowed to call the API from other pages (CORS); '*' for any */
  corsOrigins?: string[]
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

  const app = Fastify({ logger: loggerOptions(opts.logLevel), bodyLimit: limits.bodyLimit, trustProxy: false, frameworkErrors: frameworkErrorHandler(metrics) })
  installErrorHandlers(app, metrics)
  await registerInterop(app, { corsOrigins: opts.corsOrigins })
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
