// build(opts) → a fastify app with every route; `graticule serve` listens with it, tests drive it with
// inject or a real port. Bodies are taken raw (tiles are bytes; JSON is parsed by the chain boundary).
import Fastify, { type FastifyInstance } from 'fastify'
import swagger from '@fastify/swagger'
import swaggerUi from '@fastify/swagger-ui'
import { Dataplane } from '../dataplane/dataplane.js'
import { ChainRegistry } from '../chains/registry.js'
import { ChainRunner } from '../chains/run.js'
import { DeployedStore } from '../faaslets/deploy.js'
import { Access, checkBind, SCOPES, type AccessOptions } from './access.js'
import { registerRateLimits } from './rate-limits.js'
import { DEFAULT_LIMITS, type GatewayContext, type GatewayLimits } from './context.js'
import { frameworkErrorHandler, installErrorHandlers } from './http-errors.js'
import { GatewayMetrics } from './metrics.js'
import { chainRoutes } from './routes/chains.js'
import { faasletRoutes } from './routes/faaslets.js'
import { healthRoutes } from './routes/health.js'
import { liveRoutes } from './routes/live.js'
import { ingestRoutes } from './routes/ingest.js'
import { webRoutes } from './routes/web.js'
import { errorRoutes } from './routes/errors.js'
import { registerInterop } from './interop.js'
import { echoRequestId, loggerOptions, requestIdOptions, type LogLevel } from './logging.js'
import { registerHttpMetrics } from './http-metrics.js'
import { Ingestion, type IngestionOptions } from './ingest/ingestion.js'
import { Edge, type EdgeOptions } from './edge/edge.js'
import { edgeRoutes } from './routes/edge.js'
import { Cloud, type CloudOptions } from './cloud/cloud.js'
import { globalLiveRoutes } from './routes/global-live.js'
import { KafkaRegistry, type RegistryOptions } from './registry/kafka-registry.js'

export interface GatewayOptions {
  dataplane?: Dataplane
  workers?: number
  /** GRATICULE_TOKEN: a token with every scope over every tenant */
  token?: string
  /** tokens, declared tenants, Host names (access.ts) */
  access?: AccessOptions
  /** listen beyond loopback (access.bindHost) with no token: refused unless this is set */
  insecure?: boolean
  limits?: Partial<GatewayLimits>
  /** where chains created over HTTP are stored; null keeps them in memory */
  chainsDir?: string | null
  /** where deployed faaslets are stored; null keeps them in memory */
  faasletsDir?: string | null
  /** how long checking and compiling a deployed module may take (off the main thread) */
  deployTimeLimitMs?: number
  /** user chains and deployed faaslets in compacted Kafka topics that every gateway reads (gateway/registry), so
      gateways behind one load balancer agree; chainsDir and faasletsDir are then not used. null: the folders */
  registry?: RegistryOptions | null
  ingestion?: IngestionOptions | null
  /** the edge role (`serve --role edge`, with ingestion): a partial of every closed window spooled and sent upstream (gateway/edge) */
  edge?: EdgeOptions
  /** log level of the JSON logs (fastify's logger); false or 'silent' for none */
  logLevel?: LogLevel | false
  /** origins allowed to call the API from other pages (CORS); '*' for any */
  corsOrigins?: string[]
  /** the cloud role (`serve --role cloud`): merges the edges' partials; the live routes serve the merged windows */
  cloud?: CloudOptions
}

export interface Gateway {
  app: FastifyInstance
  ctx: GatewayContext
  /** the cloud role's merger and view, when it has the role */
  cloud: Cloud | null
  close(): Promise<void>
}


export async function buildGateway(opts: GatewayOptions = {}): Promise<Gateway> {
  const limits = { ...DEFAULT_LIMITS, ...opts.limits }
  const access = new Access({
    ...opts.access,
    tokens: [...(opts.access?.tokens ?? []), ...(opts.token ? [{ token: opts.token, tenants: '*' as const, scopes: [...SCOPES] }] : [])],
  })
  // an open gateway beyond loopback is refused before any worker starts
  if (opts.access?.bindHost !== undefined) checkBind(opts.access.bindHost, access, opts.insecure ?? false, (line) => console.error(line))
  const ownsDataplane = !opts.dataplane
  const dataplane = opts.dataplane ?? (await Dataplane.start({ workers: opts.workers }))
  const faaslets = new DeployedStore(opts.registry ? null : (opts.faasletsDir ?? null), { timeLimitMs: opts.deployTimeLimitMs })
  faaslets.loadInto(dataplane.catalog)
  const chains = new ChainRegistry(dataplane.catalog, opts.registry ? null : (opts.chainsDir ?? null))
  const metrics = new GatewayMetrics(dataplane)
  let closing = false
  const app = Fastify({ logger: loggerOptions(opts.logLevel), ...requestIdOptions, bodyLimit: limits.bodyLimit, trustProxy: false, frameworkErrors: frameworkErrorHandler(metrics) })
  // ingestion and Kafka log through the request logger when there is one (else their lines go to stderr)
  const runner = new ChainRunner(dataplane, (chain, plan, stats) => metrics.observe(chain.name, stats, plan))
  // an edge's ingestion runs the window-partial chain and spools each closed window's partial
  const edge = opts.edge && opts.ingestion ? new Edge(opts.edge, metrics.registry, opts.logLevel ? app.log : undefined) : null
  const ingestion = opts.ingestion ? new Ingestion(runner, chains, metrics, { ...(opts.logLevel ? { log: app.log } : {}), ...opts.ingestion, ...edge?.ingestionOptions() }) : null
  if (edge && ingestion) edge.attach(ingestion.sensors)
  const registry = opts.registry ? new KafkaRegistry({ chains, catalog: dataplane.catalog, faaslets }, { ...(opts.logLevel ? { log: app.log } : {}), ...opts.registry }) : null
  const cloud = opts.cloud ? new Cloud({ dataplane, runner, chains, metrics, ...(opts.logLevel ? { log: app.log } : {}) }, opts.cloud) : null
  const ctx: GatewayContext = {
    dataplane, chains, runner, faaslets, metrics, limits, ingestion, access, registry, edge,
    closing: () => closing,
    readiness: () => ({ workers: dataplane.shared.pool.threads.length > 0, ...(ingestion ? ingestion.readiness() : {}), ...(cloud ? cloud.readiness() : {}) }),
  }

  registerHttpMetrics(app, metrics)
  echoRequestId(app)
  installErrorHandlers(app, metrics)
  await registerInterop(app, { corsOrigins: opts.corsOrigins })
  // who may do what, before any route runs; a declared tenant's arena is made with its limits on first use
  app.addHook('onRequest', async (req) => {
    const invoked = access.check(req)
    if (invoked && !dataplane.tenants.has(invoked.name)) {
      const { quotaBytes, timeLimitMs, maxConcurrent } = invoked.decl
      dataplane.tenant(invoked.name, Object.fromEntries(Object.entries({ quotaBytes, timeLimitMs, maxConcurrent }).filter(([, v]) => v !== undefined)))
    }
  })
  await registerRateLimits(app, access)
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
    await (cloud ? globalLiveRoutes(scope, cloud) : liveRoutes(scope, ctx))
    await ingestRoutes(scope, ctx)
    await edgeRoutes(scope, ctx)
    await webRoutes(scope, ctx)
    await errorRoutes(scope)
  })
  const close = async () => {
      closing = true
      // stop intake, finish open windows, commit, then close the server and the workers
      // each step runs even if one before it failed; the first failure is reported
      const steps = [() => ingestion?.stop(), () => edge?.close(), () => cloud?.stop(), () => app.close(), () => registry?.stop(), () => (ownsDataplane ? dataplane.close() : undefined)]
      let first: unknown = null
      for (const step of steps) {
        try {
          await step()
        } catch (e) {
          first ??= e
        }
      }
      if (first) throw first
  }
  // every chain and faaslet of the registry is here before the gateway resolves (and so before it listens)
  if (registry) await registry.start().catch(async (e: unknown) => { await close().catch(() => {}); throw e })
  // a gateway that cannot start (Kafka refuses the credentials) leaves no workers or servers behind
  if (edge) await Promise.resolve().then(() => edge.start()).catch(async (e: unknown) => { await close().catch(() => {}); throw e })
  if (ingestion) await ingestion.start().catch(async (e: unknown) => { await close().catch(() => {}); throw e })
  if (cloud) await cloud.start().catch(async (e: unknown) => { await close().catch(() => {}); throw e })
  return { app, ctx, cloud, close }
}
