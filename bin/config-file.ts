// The configuration file of `graticule serve` (YAML): every flag under its own name, plus what has no flag —
// declared tenants with their limits, and tokens bound to tenants and scopes. Flags and environment
// variables override it (bin/options.ts). Problems name the file, line and column.
import { readFileSync } from 'node:fs'
import { isMap, isSeq, LineCounter, parseDocument, type Node } from 'yaml'
import { fail } from '../errors/index.js'
import { SCOPES, type AccessOptions, type Scope, type TenantDeclaration, type TokenDeclaration } from '../gateway/access.js'

export interface ConfigFile {
  /** values for flags, by flag name (validated by the option parser like the flags themselves) */
  flags: Record<string, unknown>
  tenants?: AccessOptions['tenants']
  tokens?: TokenDeclaration[]
}

/** The sections that are not flags, and their keys. */
const TENANT_KEYS: Record<string, keyof TenantDeclaration> = {
  'quota-bytes': 'quotaBytes', 'time-limit-ms': 'timeLimitMs', 'max-concurrent': 'maxConcurrent',
  'rate-per-window': 'ratePerWindow', 'rate-window-ms': 'rateWindowMs',
}
const TOKEN_KEYS = ['token', 'env', 'tenants', 'scopes']
const TENANT_NAME = /^[a-z0-9][a-z0-9_-]{0,62}$/

export function loadConfigFile(path: string, flagNames: readonly string[]): ConfigFile {
  let text: string
  try {
    text = readFileSync(path, 'utf8')
  } catch (e) {
    throw fail('E_BAD_CONFIG', path, (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message)
  }
  const lines = new LineCounter()
  const doc = parseDocument(text, { lineCounter: lines, uniqueKeys: true, prettyErrors: false })
  const at = (node: Node | null | undefined) => {
    const p = lines.linePos(node?.range?.[0] ?? 0)
    return `${path}:${p.line}:${p.col}`
  }
  if (doc.errors.length) {
    const e = doc.errors[0]
    const p = lines.linePos(e.pos[0])
    throw fail('E_BAD_CONFIG', `${path}:${p.line}:${p.col}`, e.message.split('\n')[0])
  }
  const out: ConfigFile = { flags: {} }
  if (doc.contents === null) return out
  if (!isMap(doc.contents)) throw fail('E_BAD_CONFIG', at(doc.contents as Node), 'expected a mapping of settings')
  for (const pair of doc.contents.items) {
    const key = String((pair.key as { value?: unknown })?.value ?? pair.key)
    const value = pair.value as Node | null
    const where = at(pair.key as Node)
    if (key === 'tenants') out.tenants = readTenants(value, at)
    else if (key === 'tokens') out.tokens = readTokens(value, at)
    else if (flagNames.includes(key)) out.flags[key] = (value as { toJSON?: () => unknown })?.toJSON?.() ?? null
    else throw fail('E_BAD_CONFIG', where, `unknown setting "${key}" (settings: ${[...flagNames, 'tenants', 'tokens'].join(', ')})`)
  }
  return out
}

function readTenants(node: Node | null, at: (n: Node | null | undefined) => string): Record<string, TenantDeclaration> {
  if (!isMap(node)) throw fail('E_BAD_CONFIG', at(node), 'tenants: expected a mapping of tenant names to their limits')
  const tenants: Record<string, TenantDeclaration> = {}
  for (const pair of node.items) {
    const name = String((pair.key as { value?: unknown })?.value)
    if (!TENANT_NAME.test(name)) throw fail('E_BAD_CONFIG', at(pair.key as Node), `tenant name "${name}": 1-63 lowercase letters, digits, _ and -`)
    const decl: TenantDeclaration = {}
    const limits = pair.value as Node | null
    if (limits !== null && !(isMap(limits) || (limits as { value?: unknown }).value === null)) throw fail('E_BAD_CONFIG', at(limits), `tenant ${name}: expected its limits as a mapping (or nothing)`)
    if (isMap(limits)) {
      for (const lp of limits.items) {
        const k = String((lp.key as { value?: unknown })?.value)
        const field = TENANT_KEYS[k]
        if (!field) throw fail('E_BAD_CONFIG', at(lp.key as Node), `tenant ${name}: unknown limit "${k}" (limits: ${Object.keys(TENANT_KEYS).join(', ')})`)
        const v = (lp.value as { value?: unknown })?.value
        if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) throw fail('E_BAD_CONFIG', at(lp.value as Node), `tenant ${name}: ${k} must be a non-negative integer`)
        decl[field] = v
      }
    }
    tenants[name] = decl
  }
  return tenants
}

function readTokens(node: Node | null, at: (n: Node | null | undefined) => string): TokenDeclaration[] {
  if (!isSeq(node)) throw fail('E_BAD_CONFIG', at(node), 'tokens: expected a list of {token | env, tenants, scopes}')
  return node.items.map((item, i) => {
    const n = item as Node
    if (!isMap(n)) throw fail('E_BAD_CONFIG', at(n), `tokens[${i}]: expected a mapping`)
    const t = n.toJSON() as Record<string, unknown>
    for (const k of Object.keys(t)) if (!TOKEN_KEYS.includes(k)) throw fail('E_BAD_CONFIG', at(n), `tokens[${i}]: unknown key "${k}" (keys: ${TOKEN_KEYS.join(', ')})`)
    if ((t.token === undefined) === (t.env === undefined)) throw fail('E_BAD_CONFIG', at(n), `tokens[${i}]: give either token or env (the environment variable holding it)`)
    const tenants = t.tenants ?? '*'
    if (tenants !== '*' && !(Array.isArray(tenants) && tenants.every((x) => typeof x === 'string'))) throw fail('E_BAD_CONFIG', at(n), `tokens[${i}].tenants: a list of tenant names, or '*'`)
    const scopes = t.scopes
    if (!Array.isArray(scopes) || !scopes.length || !scopes.every((s) => SCOPES.includes(s as Scope))) throw fail('E_BAD_CONFIG', at(n), `tokens[${i}].scopes: a list of ${SCOPES.join(', ')}`)
    return { token: t.token === undefined ? undefined : String(t.token), env: t.env === undefined ? undefined : String(t.env), tenants: tenants as string[] | '*', scopes: scopes as Scope[] }
  })
}
