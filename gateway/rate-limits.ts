// Per-tenant rate limits on invocations (@fastify/rate-limit): a tenant declared with `ratePerWindow` may
// start that many invocations per `rateWindowMs`; more are refused with 429, Retry-After and the
// RateLimit headers. Reads and undeclared routes are never counted; ingestion is limited by body size and
// points per request instead (a sensor gateway's batches arrive at their own pace).
import rateLimit from '@fastify/rate-limit'
import type { FastifyInstance } from 'fastify'
import { fail } from '../errors/index.js'
import { DEFAULT_RATE_WINDOW_MS, requiredScope, type Access } from './access.js'

export async function registerRateLimits(app: FastifyInstance, access: Access): Promise<void> {
  const limited = [...access.tenants.values()].some((t) => (t.ratePerWindow ?? 0) > 0)
  if (!limited) return
  // the access hook ran first: an invocation here names a declared tenant
  await app.register(rateLimit, {
    global: true,
    hook: 'onRequest',
    keyGenerator: (req) => `tenant:${access.tenantOf(req).name}`,
    allowList: (req) => requiredScope(req.method, req.routeOptions.url) !== 'invoke' || !(access.tenantOf(req).decl.ratePerWindow! > 0),
    max: (req) => access.tenantOf(req).decl.ratePerWindow!,
    timeWindow: (req) => access.tenantOf(req).decl.rateWindowMs ?? DEFAULT_RATE_WINDOW_MS,
    // thrown, so the error handler answers it as problem details like every other refusal
    errorResponseBuilder: (req, c) => {
      const t = access.tenantOf(req)
      return fail('E_RATE_LIMITED', t.name, c.max, (t.decl.rateWindowMs ?? DEFAULT_RATE_WINDOW_MS) / 1000, Math.max(1, Math.ceil(c.ttl / 1000)))
    },
  })
}
