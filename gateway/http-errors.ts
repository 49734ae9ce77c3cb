// Every error leaves the gateway as RFC 9457 problem details (application/problem+json) with the status
// from the registry: `type` is the code's registry entry (GET /errors/<code>), `title` its message
// template, `detail` this occurrence, `instance` the request path. The members clients read before
// problem details — `code`, `message` (= detail) and `details` — stay. 429s and 503s say when to retry.
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { ERRORS, fail, GraticuleError, type ErrorCode } from '../errors/index.js'
import type { GatewayMetrics } from './metrics.js'

export const PROBLEM_MEDIA_TYPE = 'application/problem+json'

export interface Problem {
  type: string
  title: string
  status: number
  detail: string
  instance: string
  code: ErrorCode
  message: string
  details?: unknown
}

/** Where a code is explained (routes/errors.ts serves it): a problem's `type`. */
export const errorTypeOf = (code: ErrorCode): string => `/errors/${code}`

/** The code's message template, placeholders shown as … (as errors/ERRORS.md lists it). */
export const errorTitleOf = (code: ErrorCode): string => ERRORS[code].message.replace(/%s/g, '…')

// seconds until a retry can succeed; any other 429 or 503 says 1
const RETRY_AFTER_SECONDS: Partial<Record<ErrorCode, number>> = {
  E_ARENA_EXHAUSTED: 5, // the arena frees as other invocations finish, but it was full to its maximum
  E_SHUTTING_DOWN: 10, // a restarted or another instance behind the same address
}

/** Retry-After for a code whose status is 429 or 503; undefined for every other code. */
export function retryAfterOf(code: ErrorCode): number | undefined {
  const status: number = ERRORS[code].status
  return status === 429 || status === 503 ? RETRY_AFTER_SECONDS[code] ?? 1 : undefined
}

export function problemOf(err: GraticuleError, instance: string): Problem {
  const problem: Problem = {
    type: errorTypeOf(err.code), title: errorTitleOf(err.code), status: err.statusCode, detail: err.message, instance,
    code: err.code, message: err.message,
  }
  if (err.details !== undefined) problem.details = err.details
  return problem
}

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

const pathOf = (req: FastifyRequest) => req.url.split('?')[0]

function sendProblem(req: FastifyRequest, reply: FastifyReply, err: GraticuleError): void {
  const retryAfter = retryAfterOf(err.code)
  // a Retry-After the refusal set itself (the rate limiter's) knows better
  if (retryAfter !== undefined && !reply.hasHeader('retry-after')) reply.header('retry-after', String(retryAfter))
  reply.removeHeader('etag') // set before the work that failed; it names a success
  // a string, so no route's response schema reshapes it
  void reply.code(err.statusCode).type(PROBLEM_MEDIA_TYPE).send(JSON.stringify(problemOf(err, pathOf(req))))
}

/** For Fastify's `frameworkErrors`: bad URLs and over-long parameters, answered before any route runs. */
export function frameworkErrorHandler(metrics: GatewayMetrics) {
  return (e: FastifyError, req: FastifyRequest, reply: FastifyReply): void => {
    const err = toGraticuleError(e)
    metrics.errors.inc({ code: err.code })
    sendProblem(req, reply, err)
  }
}

export function installErrorHandlers(app: FastifyInstance, metrics: GatewayMetrics): void {
  app.setErrorHandler((e, req, reply) => {
    const err = toGraticuleError(e)
    metrics.errors.inc({ code: err.code })
    if (err.statusCode >= 500) req.log.error({ err: e }, err.message)
    sendProblem(req, reply, err)
  })
  app.setNotFoundHandler((req, reply) => {
    const err = fail('E_NOT_FOUND', req.method, pathOf(req))
    metrics.errors.inc({ code: err.code })
    sendProblem(req, reply, err)
  })
}
