// Tenants, tokens, Host names, binds and rate limits: every refusal the access model makes, and the memory an
// anonymous caller can no longer grow by naming tenants.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildGateway, type Gateway } from '../../gateway/app.js'
import { Access, checkBind } from '../../gateway/access.js'
import { SensorIndex } from '../../gateway/ingest/windows.js'
import { loadConfigFile } from '../../bin/config-file.js'
import { parseOptions } from '../../bin/options.js'
import { SERVE_OPTIONS } from '../../bin/commands/serve-options.js'
import { kafkaClientSettings } from '../../bin/commands/kafka-options.js'
import { runCli } from '../helpers/cli.js'
import { cityTile, sampleCities } from '../helpers/tiles.js'

const ADMIN = 'admin-token-0123456789'
const ACME = 'acme-token-0123456789'
const INGEST = 'ingest-token-0123456789'
const tile = Buffer.from(cityTile(sampleCities(2_000, 5), 2, 2, 1))
setFlagsFromString('--expose-gc')
const gc = runInNewContext('gc') as () => void
let gw: Gateway
const dir = mkdtempSync(join(tmpdir(), 'graticule-access-'))

beforeAll(async () => {
  gw = await buildGateway({
    workers: 1, chainsDir: null, faasletsDir: null,
    token: ADMIN,
    access: {
      bindHost: '127.0.0.1', allowedHosts: ['maps.internal'],
      tenants: { acme: { maxConcurrent: 4, ratePerWindow: 3, rateWindowMs: 60_000 }, beta: {} },
      tokens: [{ token: ACME, tenants: ['acme'], scopes: ['invoke'] }, { token: INGEST, tenants: '*', scopes: ['ingest'] }],
    },
    ingestion: { windows: { sizeMs: 500, allowedLatenessMs: 100 }, idleFlushMs: 500, simulator: null, maxSensors: 100 },
  })
  await gw.app.listen({ host: '127.0.0.1', port: 0 })
})

afterAll(async () => {
  await gw?.close()
  rmSync(dir, { recursive: true, force: true })
})

const invoke = (tenant: string | undefined, token?: string, host = '127.0.0.1:8080') => gw.app.inject({
  method: 'POST', url: `/chains/tile-heatmap/invoke?z=2&x=2&y=1${tenant ? `&tenant=${tenant}` : ''}`, payload: tile,
  headers: { 'content-type': 'application/vnd.mapbox-vector-tile', host, ...(token ? { authorization: `Bearer ${token}` } : {}) },
})

describe('tenants are declared, never created on the fly', () => {
  it('an undeclared tenant is 404 E_UNKNOWN_TENANT, with or without a token that covers every tenant', async () => {
    for (const token of [undefined, ADMIN]) {
      const r = await invoke('nobody', token)
      expect(r.statusCode).toBe(token ? 404 : 401)
    }
    const r = await invoke('nobody', ADMIN)
    expect(r.json().code).toBe('E_UNKNOWN_TENANT')
    expect(gw.ctx.dataplane.tenants.has('nobody')).toBe(false)
  })

  it('memory and metric series stay flat across 1,000 invocations naming random tenants', async () => {
    // over a real socket: fastify's inject keeps ~10 KB of heap per request itself (measured; real requests do not)
    const url = `http://127.0.0.1:${(gw.app.server.address() as { port: number }).port}`
    const post = async (tenant: string) => {
      const r = await fetch(`${url}/chains/tile-heatmap/invoke?z=2&x=2&y=1&tenant=${tenant}`, { method: 'POST', body: tile, headers: { 'content-type': 'application/vnd.mapbox-vector-tile', authorization: `Bearer ${ADMIN}` } })
      return ((await r.json()) as { code: string }).code
    }
    const series = async () => new Set((await (await fetch(`${url}/metrics`)).text()).split('\n')
      .filter((l) => l && !l.startsWith('#') && !/^(process_|nodejs_|graticule_http_|graticule_errors_total)/.test(l)).map((l) => l.replace(/ [^ ]+$/, '')))
    // a first thousand warms the paths and the allocator's pools (request bodies are malloc'd outside the heap)
    for (let i = 0; i < 1_000; i++) await post(`warm-${i}`)
    gc()
    const before = { mem: process.memoryUsage(), tenants: gw.ctx.dataplane.tenants.size, series: await series() }
    const codes = new Map<string, number>()
    for (let i = 0; i < 1_000; i++) {
      const code = await post(`t${Math.random().toString(36).slice(2, 10)}`)
      codes.set(code, (codes.get(code) ?? 0) + 1)
    }
    gc()
    const after = { mem: process.memoryUsage(), tenants: gw.ctx.dataplane.tenants.size, series: await series() }
    expect(Object.fromEntries(codes)).toEqual({ E_UNKNOWN_TENANT: 1_000 })
    expect(after.tenants).toBe(before.tenants)
    // no new series: no tenant label, no arena gauge (only error counters' values move)
    expect([...after.series].filter((s) => !before.series.has(s))).toEqual([])
    const mib = (k: 'rss' | 'heapUsed') => (after.mem[k] - before.mem[k]) / 2 ** 20
    expect(mib('heapUsed')).toBeLessThan(4)
    // a tenant arena is ≥ 16 MiB: sixty named tenants grew RSS by 77 MiB before tenants were declared
    expect(mib('rss')).toBeLessThan(32)
  })
})

describe('tokens bound to tenants and scopes', () => {
  it('missing or wrong token: 401 E_UNAUTHORIZED; a token for another tenant or scope: 403 E_FORBIDDEN', async () => {
    const none = await invoke('acme')
    expect([none.statusCode, none.json().code]).toEqual([401, 'E_UNAUTHORIZED'])
    const wrong = await invoke('acme', 'not-the-token-at-all')
    expect([wrong.statusCode, wrong.json().code]).toEqual([401, 'E_UNAUTHORIZED'])
    const other = await invoke('beta', ACME)
    expect([other.statusCode, other.json().code]).toEqual([403, 'E_FORBIDDEN'])
    expect(other.json().message).toContain('tenant "beta"')
    const scope = await gw.app.inject({ method: 'PUT', url: '/chains/mine', payload: 'x', headers: { authorization: `Bearer ${ACME}`, host: 'localhost' } })
    expect([scope.statusCode, scope.json().code]).toEqual([403, 'E_FORBIDDEN'])
    const ingestWithInvoke = await gw.app.inject({ method: 'POST', url: '/ingest', payload: '[]', headers: { 'content-type': 'application/json', authorization: `Bearer ${ACME}`, host: 'localhost' } })
    expect(ingestWithInvoke.statusCode).toBe(403)
    const ok = await invoke('beta', ADMIN)
    expect(ok.statusCode).toBe(200)
    expect(ok.headers['content-type']).toBe('image/png')
  })

  it('reads stay public so maps can load them', async () => {
    for (const url of ['/healthz', '/chains', '/faaslets', '/metrics']) expect((await gw.app.inject({ url, headers: { host: 'localhost' } })).statusCode).toBe(200)
  })

  it('an ingest token sends points; the sensor-id set is bounded, and what exceeds it is counted', async () => {
    const ts = Date.now()
    const points = Array.from({ length: 150 }, (_, i) => ({ sensor: `s-${i}`, ts, lon: 10 + i / 100, lat: 50, value: 1 }))
    const r = await gw.app.inject({ method: 'POST', url: '/ingest', payload: JSON.stringify(points), headers: { 'content-type': 'application/json', authorization: `Bearer ${INGEST}`, host: 'localhost' } })
    expect(r.statusCode).toBe(200)
    expect(r.json()).toMatchObject({ accepted: 100, overflow: 50 })
    expect(gw.ctx.ingestion!.sensors.names.length).toBe(100)
    const idx = new SensorIndex(2)
    expect([idx.id('a'), idx.id('b'), idx.id('c'), idx.id('a')]).toEqual([0, 1, -1, 0])
  })
})

describe('Host names and binds', () => {
  it('a loopback-bound gateway answers loopback names and the allowed ones, and refuses others (DNS rebinding)', async () => {
    for (const host of ['localhost', 'localhost:8080', '127.0.0.1:8080', '[::1]:8080', 'app.localhost', 'maps.internal:8080']) {
      expect((await gw.app.inject({ url: '/healthz', headers: { host } })).statusCode, host).toBe(200)
    }
    for (const host of ['evil.example', 'evil.example:8080', '127.0.0.1.evil.example']) {
      const r = await gw.app.inject({ url: '/healthz', headers: { host } })
      expect([r.statusCode, r.json().code], host).toEqual([403, 'E_HOST_NOT_ALLOWED'])
    }
  })

  it('a non-loopback bind without a token is refused unless --insecure, which warns', () => {
    const open = new Access({})
    expect(() => checkBind('0.0.0.0', open, false, () => {})).toThrow(/E_INSECURE_BIND|without a token/)
    const warnings: string[] = []
    checkBind('0.0.0.0', open, true, (l) => warnings.push(l))
    expect(warnings.join('')).toMatch(/WARNING.*0\.0\.0\.0.*no token/)
    expect(() => checkBind('0.0.0.0', new Access({ tokens: [{ token: ADMIN, tenants: '*', scopes: ['admin'] }] }), false, () => {})).not.toThrow()
    expect(() => checkBind('127.0.0.1', open, false, () => {})).not.toThrow()
  })

  it('graticule serve --host 0.0.0.0 with no token exits 1 before listening, saying why', async () => {
    const r = await runCli(['serve', '--host', '0.0.0.0', '--port', '0', '--no-simulator'], { env: { GRATICULE_TOKEN: '' } })
    expect(r.code).toBe(1)
    expect(r.stderr).toMatch(/E_INSECURE_BIND.*0\.0\.0\.0.*--insecure/)
  })
})

describe('rate limits per tenant', () => {
  it('the fourth invocation in the window is 429 E_RATE_LIMITED with Retry-After; other tenants are not counted', async () => {
    const codes: number[] = []
    let last
    for (let i = 0; i < 4; i++) {
      last = await invoke('acme', ACME)
      codes.push(last.statusCode)
    }
    expect(codes).toEqual([200, 200, 200, 429])
    expect(last!.json().code).toBe('E_RATE_LIMITED')
    expect(Number(last!.headers['retry-after'])).toBeGreaterThan(0)
    expect(Number(last!.headers['retry-after'])).toBeLessThanOrEqual(60)
    expect((await invoke('beta', ADMIN)).statusCode).toBe(200)
  })
})

describe('the configuration file', () => {
  it('declares tenants and tokens; flags beat the environment, which beats the file', () => {
    const path = join(dir, 'graticule.yaml')
    writeFileSync(path, [
      'port: 9000', 'workers: 3', 'log-level: warn', 'cors-origins: [https://maps.example.com, https://other.example]',
      'tenants:', '  acme: { quota-bytes: 268435456, max-concurrent: 8, rate-per-window: 600 }', '  beta:',
      'tokens:', '  - { env: ACME_TOKEN, tenants: [acme], scopes: [invoke] }',
    ].join('\n'))
    const file = loadConfigFile(path, Object.keys(SERVE_OPTIONS))
    expect(file.tenants).toEqual({ acme: { quotaBytes: 268435456, maxConcurrent: 8, ratePerWindow: 600 }, beta: {} })
    expect(file.tokens).toEqual([{ token: undefined, env: 'ACME_TOKEN', tenants: ['acme'], scopes: ['invoke'] }])
    const p = parseOptions(SERVE_OPTIONS, ['--port', '9100'], { file: file.flags, env: { GRATICULE_LOG_LEVEL: 'debug' } })
    expect([p.values.port, p.source.port]).toEqual(['9100', 'flag'])
    expect([p.values['log-level'], p.source['log-level']]).toEqual(['debug', 'env'])
    expect([p.values.workers, p.source.workers]).toEqual(['3', 'file'])
    expect(p.values['cors-origins']).toEqual(['https://maps.example.com', 'https://other.example'])
    expect([p.values.host, p.source.host]).toEqual(['127.0.0.1', 'default'])
    // a setting with choices is checked wherever it comes from
    expect(() => parseOptions(SERVE_OPTIONS, [], { env: { GRATICULE_LOG_LEVEL: 'loud' } })).toThrow(/--log-level must be one of fatal, error/)
    expect(() => parseOptions(SERVE_OPTIONS, [], { file: { anonymous: ['invoke', 'deploy'] } })).toThrow(/--anonymous must be one of invoke, ingest, admin, got "deploy"/)
  })

  it('takes a value west of Greenwich or south of the equator after its flag, as with =; a flag stays a flag', () => {
    for (const args of [['--grid-bbox', '-5,-42.5,10,52'], ['--grid-bbox=-5,-42.5,10,52']]) expect(parseOptions(SERVE_OPTIONS, args).values['grid-bbox']).toBe('-5,-42.5,10,52')
    expect(parseOptions(SERVE_OPTIONS, ['--grid-bbox', '-.5,0,1,1']).values['grid-bbox']).toBe('-.5,0,1,1')
    expect(() => parseOptions(SERVE_OPTIONS, ['--grid-bbox', '--insecure'])).toThrow(/--grid-bbox/)
    expect(() => parseOptions(SERVE_OPTIONS, ['--insecure', '-5'])).toThrow()
  })

  it('carries the Kafka client settings (SASL, TLS) the way serve and sensors build them; the password from the environment', () => {
    const path = join(dir, 'kafka.yaml')
    writeFileSync(path, ['kafka: b-1.example:9096,b-2.example:9096', 'kafka-ca: /etc/ssl/kafka-ca.pem', 'kafka-sasl: scram-sha-512', 'kafka-username: graticule', 'kafka-password: from-the-file'].join('\n'))
    const file = loadConfigFile(path, Object.keys(SERVE_OPTIONS))
    const p = parseOptions(SERVE_OPTIONS, [], { file: file.flags, env: { GRATICULE_KAFKA_PASSWORD: 'from-the-env' } })
    expect(p.values.kafka).toBe('b-1.example:9096,b-2.example:9096')
    expect(kafkaClientSettings(p.values)).toEqual({ ssl: { ca: '/etc/ssl/kafka-ca.pem' }, sasl: { mechanism: 'scram-sha-512', username: 'graticule', password: 'from-the-env' } })
    expect(kafkaClientSettings(parseOptions(SERVE_OPTIONS, ['--kafka-tls']).values)).toEqual({ ssl: true })
  })

  it('a wrong setting names file, line and column', () => {
    const cases: Array<[string, RegExp]> = [
      ['port: 1\nprot: 2\n', /:2:1: unknown setting "prot"/],
      ['tenants:\n  acme: { quota: 1 }\n', /:2:11: tenant acme: unknown limit "quota"/],
      ['tenants:\n  Bad Name: {}\n', /:2:3: tenant name "Bad Name"/],
      ['tokens:\n  - { token: abcdefghij, scopes: [deploy] }\n', /:2:5: tokens\[0\]\.scopes/],
      ['port: [1\n', /:\d+:\d+:/],
    ]
    for (const [text, want] of cases) {
      const path = join(dir, 'bad.yaml')
      writeFileSync(path, text)
      expect(() => loadConfigFile(path, Object.keys(SERVE_OPTIONS))).toThrow(want)
    }
  })
})
