// The gateway's logs: fastify's logger (pino), one JSON object a line on stderr, so stdout keeps the
// CLI's human lines. Every line of a request carries its id; credentials in headers never reach a line.
import { randomUUID } from 'node:crypto'
import type { IncomingMessage } from 'node:http'
import type { FastifyInstance, FastifyReply, FastifyRequest, FastifyServerOptions } from 'fastify'

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const
export type LogLevel = (typeof LOG_LEVELS)[number]
export const DEFAULT_LOG_LEVEL: LogLevel = 'info'

export function isLogLevel(s: string): s is LogLevel {
  return (LOG_LEVELS as readonly string[]).includes(s)
}

/** Headers whose values are replaced by "[Redacted]" in any logged object that carries headers. */
const SECRET_HEADERS = ['authorization', 'proxy-authorization', 'cookie', 'set-cookie', 'x-api-key']
// `req.headers.x` and any other top-level object's (pino's wildcard covers one level)
const REDACT_PATHS = SECRET_HEADERS.flatMap((h) => [`headers["${h}"]`, `*.headers["${h}"]`])

export const REQUEST_ID_HEADER = 'x-request-id'
// an incoming id is kept only if it is short and plain: it goes into every line of the request
const ACCEPTABLE_REQUEST_ID = /^[\w.:@/+=-]{1,128}$/

/** Where the lines go: stderr, or a test's sink. */
export interface LogDestination {
  write(line: string): void
}

export function loggerOptions(level: LogLevel | false | undefined, destination: LogDestination = process.stderr): FastifyServerOptions['logger'] {
  if (!level || level === 'silent') return false
  return {
    level,
    stream: destination,
    // ISO time and level names: what log shippers and people read without a lookup table
    timestamp: () => `,"time":"${new Date().toISOString()}"`,
    formatters: { level: (label: string) => ({ level: label }) },
    redact: { paths: REDACT_PATHS },
    serializers: {
      req: (req: FastifyRequest) => ({ method: req.method, url: req.url, remoteAddress: req.ip, headers: req.headers }),
      // "request completed" says what was answered, not only how, so one line is enough to read
      res: (res: FastifyReply | { statusCode: number }) => {
        if (!('request' in res)) return { statusCode: res.statusCode }
        return { statusCode: res.statusCode, method: res.request.method, url: res.request.url, route: res.request.routeOptions.url }
      },
    },
  }
}

/** For Fastify's options: the request id is the caller's x-request-id when it is acceptable, else a new UUID. */
export const requestIdOptions = {
  genReqId(req: IncomingMessage): string {
    const incoming = req.headers[REQUEST_ID_HEADER]
    return typeof incoming === 'string' && ACCEPTABLE_REQUEST_ID.test(incoming) ? incoming : randomUUID()
  },
} satisfies Partial<FastifyServerOptions>

/** Sends the request id back, so a caller can quote the id of the lines that tell what happened. */
export function echoRequestId(app: FastifyInstance): void {
  app.addHook('onSend', async (req, reply) => {
    reply.header(REQUEST_ID_HEADER, req.id)
  })
}
