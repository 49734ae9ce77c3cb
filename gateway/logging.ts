// The gateway's logger: fastify's (pino), JSON lines on stderr. (Being written.)
import type { FastifyServerOptions } from 'fastify'

export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent'

export function loggerOptions(level: LogLevel | false | undefined): FastifyServerOptions['logger'] {
  if (!level || level === 'silent') return false
  return { level }
}
