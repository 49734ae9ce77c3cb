// The gateway's JSON logs: levels, redacted credentials, request ids, and what a request's lines say.
import { describe, expect, it } from 'vitest'
import Fastify from 'fastify'
import { echoRequestId, isLogLevel, LOG_LEVELS, loggerOptions, requestIdOptions, type LogLevel } from '../../gateway/logging.js'

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/

async function appLogging(level: LogLevel) {
  const lines: string[] = []
  const app = Fastify({ logger: loggerOptions(level, { write: (l) => void lines.push(l) }), ...requestIdOptions })
  echoRequestId(app)
  app.get('/chains/:name', async (req) => {
    req.log.info({ headers: req.headers }, 'a handler logging the headers it got')
    return { ok: true }
  })
  await app.ready()
  return { app, lines, records: () => lines.map((l) => JSON.parse(l) as Record<string, any>) }
}

describe('JSON logs', () => {
  it('are one JSON object a line, with ISO time and the level by name', async () => {
    const { app, lines, records } = await appLogging('info')
    await app.inject({ url: '/chains/a' })
    expect(lines.length).toBeGreaterThanOrEqual(3)
    for (const l of lines) expect(l.endsWith('\n') && !l.slice(0, -1).includes('\n')).toBe(true)
    for (const r of records()) {
      expect(r.level).toBe('info')
      expect(new Date(r.time).toISOString()).toBe(r.time)
    }
    await app.close()
  })

  it('never carry authorization or cookie values', async () => {
    const { app, lines, records } = await appLogging('info')
    const headers = { authorization: 'Bearer s3cret-token', cookie: 'session=s3cret-cookie', 'proxy-authorization': 'Basic s3cret-proxy', 'user-agent': 'probe/1' }
    await app.inject({ url: '/chains/a', headers })
    expect(lines.join('')).not.toMatch(/s3cret/)
    const incoming = records().find((r) => r.msg === 'incoming request')!
    expect(incoming.req.headers).toMatchObject({ authorization: '[Redacted]', cookie: '[Redacted]', 'proxy-authorization': '[Redacted]', 'user-agent': 'probe/1' })
    const byHandler = records().find((r) => r.msg.startsWith('a handler'))!
    expect(byHandler.headers).toMatchObject({ authorization: '[Redacted]', cookie: '[Redacted]' })
    await app.close()
  })

  it('a request: its lines share an id, the completed line says method, url, route, status and time', async () => {
    const { app, records } = await appLogging('info')
    const r = await app.inject({ url: '/chains/a?x=1' })
    const ids = new Set(records().map((l) => l.reqId))
    expect(ids.size).toBe(1)
    const [id] = ids
    expect(id).toMatch(UUID)
    expect(r.headers['x-request-id']).toBe(id)
    const done = records().find((l) => l.msg === 'request completed')!
    expect(done.res).toEqual({ statusCode: 200, method: 'GET', url: '/chains/a?x=1', route: '/chains/:name' })
    expect(typeof done.responseTime).toBe('number')
    await app.close()
  })

  it('keeps a plain incoming x-request-id and replaces one that is not', async () => {
    const { app, records } = await appLogging('info')
    const kept = await app.inject({ url: '/chains/a', headers: { 'x-request-id': 'lb-7f3a.42' } })
    expect(kept.headers['x-request-id']).toBe('lb-7f3a.42')
    for (const bad of ['has spaces', 'x'.repeat(129), '{"level":"fatal"}']) {
      const r = await app.inject({ url: '/chains/a', headers: { 'x-request-id': bad } })
      expect(r.headers['x-request-id']).toMatch(UUID)
    }
    expect(records().filter((l) => l.reqId === 'lb-7f3a.42').length).toBeGreaterThanOrEqual(2)
    await app.close()
  })

  it('respects the level; silent or false means no logger', async () => {
    const { app, lines } = await appLogging('warn')
    await app.inject({ url: '/chains/a' })
    expect(lines).toEqual([])
    await app.close()
    expect(loggerOptions('silent')).toBe(false)
    expect(loggerOptions(false)).toBe(false)
    expect(loggerOptions(undefined)).toBe(false)
  })

  it('lists the levels a --log-level may name', () => {
    expect(LOG_LEVELS).toEqual(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
    expect(isLogLevel('debug')).toBe(true)
    expect(isLogLevel('verbose')).toBe(false)
  })
})
