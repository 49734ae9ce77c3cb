// Who may do what, decided once per request before any route runs.
//   - Tenants exist because someone declared them (configuration file, or `default`); a request naming any
//     other tenant is 404 and creates nothing: no arena, no metric series.
//   - Tokens: each is bound to tenants and to scopes (invoke, ingest, admin). When no token is configured the
//     gateway is open (it refuses to listen beyond loopback that way; see checkBind). When one is, every
//     invocation, ingestion and mutation needs a token whose scopes and tenants cover it; reads stay public
//     (tiles, live data, the page, /metrics) so maps can load them.
//   - A gateway bound to loopback answers only Host names that mean loopback (and those configured): a
//     page on another site cannot reach it by pointing its own DNS name at 127.0.0.1 (DNS rebinding).
import { createHash, timingSafeEqual } from 'node:crypto'
import { isIP } from 'node:net'
import type { FastifyRequest } from 'fastify'
import { fail } from '../errors/index.js'
import type { TenantLimits } from '../dataplane/tenant.js'

export const SCOPES = ['invoke', 'ingest', 'admin'] as const
export type Scope = (typeof SCOPES)[number]

export interface TenantDeclaration extends Partial<TenantLimits> {
  /** invocations a tenant may start per rate window (0: no rate limit) */
  ratePerWindow?: number
  /** the rate window, ms */
  rateWindowMs?: number
}

export interface TokenDeclaration {
  /** the secret itself, or `env` naming the environment variable that holds it */
  token?: string
  env?: string
  /** tenants it may invoke as; '*' for all */
  tenants: string[] | '*'
  scopes: Scope[]
}

export interface AccessOptions {
  tokens?: TokenDeclaration[]
  /** scopes that need no token even when tokens are configured (e.g. ['invoke'] for a public tile service) */
  anonymous?: Scope[]
  /** declared tenants with their limits; `default` always exists */
  tenants?: Record<string, TenantDeclaration>
  /** Host names a loopback-bound gateway also answers (besides localhost, 127.0.0.1, ::1) */
  allowedHosts?: string[]
  /** the address the gateway listens on: Host names are checked when it is loopback */
  bindHost?: string
}

export const DEFAULT_TENANT = 'default'
export const DEFAULT_RATE_WINDOW_MS = 60_000

interface Grant { digest: Buffer; tenants: Set<string> | '*'; scopes: Set<Scope> }

const digest = (s: string) => createHash('sha256').update(s).digest()

export function isLoopback(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase()
  if (h === 'localhost' || h.endsWith('.localhost')) return true
  if (isIP(h) === 4) return h.startsWith('127.')
  if (isIP(h) === 6) return h === '::1' || h.startsWith('::ffff:127.')
  return false
}

/** What a request needs, from its method and route pattern (undefined: nothing, it is a read). */
export function requiredScope(method: string, route: string | undefined): Scope | undefined {
  if (method === 'GET' || method === 'HEAD' || method === 'OPTIONS') return undefined
  if (route === '/chains/:name/invoke') return 'invoke'
  if (route === '/ingest') return 'ingest'
  return 'admin'
}

export class Access {
  private readonly grants: Grant[]
  readonly tenants: ReadonlyMap<string, TenantDeclaration>
  private readonly allowedHosts: Set<string> | null
  private readonly anonymous: Set<Scope>

  constructor(opts: AccessOptions) {
    this.grants = (opts.tokens ?? []).map((t, i) => {
      const secret = t.token ?? (t.env ? process.env[t.env] : undefined)
      if (!secret) throw fail('E_BAD_CONFIG', `tokens[${i}]`, t.env ? `environment variable ${t.env} is empty` : 'needs token or env')
      if (secret.length < 8) throw fail('E_BAD_CONFIG', `tokens[${i}]`, 'a token needs at least 8 characters')
      for (const s of t.scopes) if (!SCOPES.includes(s)) throw fail('E_BAD_CONFIG', `tokens[${i}].scopes`, `"${s}" is not one of ${SCOPES.join(', ')}`)
      return { digest: digest(secret), tenants: t.tenants === '*' ? '*' : new Set(t.tenants), scopes: new Set(t.scopes) }
    })
    this.anonymous = new Set(opts.anonymous ?? [])
    for (const s of this.anonymous) if (!SCOPES.includes(s)) throw fail('E_BAD_CONFIG', 'anonymous', `"${s}" is not one of ${SCOPES.join(', ')}`)
    const tenants = new Map(Object.entries(opts.tenants ?? {}))
    if (!tenants.has(DEFAULT_TENANT)) tenants.set(DEFAULT_TENANT, {})
    this.tenants = tenants
    for (const [i, g] of this.grants.entries()) {
      if (g.tenants === '*') continue
      for (const t of g.tenants) if (!tenants.has(t)) throw fail('E_BAD_CONFIG', `tokens[${i}].tenants`, `tenant "${t}" is not declared`)
    }
    this.allowedHosts = opts.bindHost !== undefined && isLoopback(opts.bindHost)
      ? new Set((opts.allowedHosts ?? []).map((h) => h.toLowerCase()))
      : null
  }

  get open(): boolean {
    return this.grants.length === 0
  }

  /** The declared tenant, or E_UNKNOWN_TENANT (nothing is created for an unknown name). */
  tenant(name: string | undefined): { name: string; decl: TenantDeclaration } {
    const n = name ?? DEFAULT_TENANT
    const decl = this.tenants.get(n)
    if (!decl) throw fail('E_UNKNOWN_TENANT', n)
    return { name: n, decl }
  }

  /** The tenant an invocation names (`?tenant=`, else default). */
  tenantOf(req: FastifyRequest): { name: string; decl: TenantDeclaration } {
    return this.tenant((req.query as Record<string, string> | undefined)?.tenant)
  }

  /**
   * The onRequest check: Host, then token and scope, then the tenant (anonymous callers learn no tenant
   * names). Returns the tenant an invocation runs as; undefined for every other request.
   */
  check(req: FastifyRequest): { name: string; decl: TenantDeclaration } | undefined {
    this.checkHost(req.headers.host)
    const scope = requiredScope(req.method, req.routeOptions.url)
    if (!scope) return undefined
    const grant = this.open || this.anonymous.has(scope) ? null : this.authenticate(req.headers.authorization ?? '')
    if (grant && !grant.scopes.has(scope)) throw fail('E_FORBIDDEN', `the token's scopes (${[...grant.scopes].join(', ')}) do not include ${scope}`)
    if (scope !== 'invoke') return undefined
    const tenant = this.tenantOf(req)
    if (grant && grant.tenants !== '*' && !grant.tenants.has(tenant.name)) throw fail('E_FORBIDDEN', `the token is not bound to tenant "${tenant.name}"`)
    return tenant
  }

  private authenticate(header: string): Grant {
    const m = /^Bearer\s+(\S+)\s*$/i.exec(header)
    if (!m) throw fail('E_UNAUTHORIZED')
    const d = digest(m[1])
    // compare against every grant in constant time, so timing tells nothing about which tokens exist
    let grant: Grant | undefined
    for (const g of this.grants) if (timingSafeEqual(g.digest, d)) grant ??= g
    if (!grant) throw fail('E_UNAUTHORIZED')
    return grant
  }

  private checkHost(host: string | undefined): void {
    if (!this.allowedHosts) return
    const name = (host ?? '').toLowerCase().replace(/:\d+$/, '')
    if (name && (isLoopback(name) || this.allowedHosts.has(name))) return
    throw fail('E_HOST_NOT_ALLOWED', host ?? '(none)')
  }
}

/**
 * Listening beyond loopback without a token would open every mutation (deploying wasm included) to the
 * network: refused unless the operator says --insecure, and then said loudly.
 */
export function checkBind(host: string, access: Access, insecure: boolean, warn: (line: string) => void): void {
  if (isLoopback(host) || !access.open) return
  if (!insecure) throw fail('E_INSECURE_BIND', host)
  warn(`graticule: WARNING: listening on ${host} with no token: anyone who can reach this address can deploy code, change chains and send data (--insecure)`)
}
