// Every error leaves the gateway as JSON {code, message[, details]} with the status from the registry.
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { fail, GraticuleError, type ErrorCode } from '../errors/index.js'
import type { GatewayMetrics } from './metrics.js'

const FASTIFY_CODES: Record<string, (e: FastifyError) => GraticuleError> = {
  FST_ERR_CTP_BODY_TOO_LARGE: (e) => new GraticuleError('E_BODY_TOO_LARGE', e.message),
  FST_ERR_CTP_INVALID_MEDIA_TYPE: (e) => new GraticuleError('E_UNSUPPORTED_MEDIA', e.message),
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: (e) => new GraticuleError('E_BAD_REQUEST', e.message),
  FST_ERR_CTP_EMPTY_JSON_BODY: (e) => new GraticuleError('E_BAD_REQUEST', e.message),
  FST_ERR_CTP_INVALID_JSON_BODY: (e) => new GraticuleError('E_BAD_REQUEST', e.message),
}

export function toGraticuleError(e: unknown): GraticuleError {
  if (e instanceof GraticuleError) return e
  const fe = e as FastifyError
  if (fe?.validation) return new GraticuleError('E_BAD_REQUEST', fe.message, fe.validation)
  if (fe?.code && FASTIFY_CODES[fe.code]) return FASTIFY_CODES[fe.code](fe)
  if (fe?.statusCode && fe.statusCode >= 400 && fe.statusCode < 500) return new GraticuleError('E_BAD_REQUEST', fe.message)
  if (e && typeof e === 'object' && 'code' in e && typeof (e as { code: unknown }).code === 'string' && String((e as { code: string }).code).startsWith('E_')) {
    return new GraticuleError((e as { code: ErrorCode }).code, (e as unknown as Error).message)
  }
  return fail('E_INTERNAL', (e as Error)?.message ?? String(e))
}

/** For Fastify's `frameworkErrors`: bad URLs and over-long parameters, answered before any route runs. */
export function frameworkErrorHandler(metrics: GatewayMetrics) {
  return (e: FastifyError, _req: FastifyRequest, reply: FastifyReply): void => {
    const err = toGraticuleError(e)
    metrics.errors.inc({ code: err.code })
    void reply.code(err.statusCode).type('application/json').send(err.toJSON())
  }
}

export function installErrorHandlers(app: FastifyInstance, metrics: GatewayMetrics): void {
  app.setErrorHandler((e, req, reply) => {
    const err = toGraticuleError(e)
    metrics.errors.inc({ code: err.code })
    if (err.statusCode >= 500) req.log.error({ err: e }, err.message)
    void reply.code(err.statusCode).type('application/json').send(err.toJSON())
  })
  app.setNotFoundHandler((req, reply) => {
    const err = fail('E_NOT_FOUND', req.method, req.url.split('?')[0])
    metrics.errors.inc({ code: err.code })
    void reply.code(404).send(err.toJSON())
  })
}
