// What /docs says a route takes and answers, beyond the parameters fastify checks. Bodies reach the routes
// raw (a Buffer, whatever the content type) and are read by the routes themselves, so their schemas must
// never reach fastify's validator or serializer: they ride on the route's `swaggerTransform` and exist in the
// OpenAPI document only.
import type { FastifyContextConfig } from 'fastify'
import { PROBLEM_MEDIA_TYPE } from './http-errors.js'

type JsonSchema = Record<string, unknown>
type Media = Record<string, { schema: JsonSchema; example?: unknown }>
type Responses = Record<number, { description: string; content?: Media; type?: 'null' }>

export const BINARY = { type: 'string', format: 'binary' } as const
export const TEXT = { type: 'string' } as const
const ANY_JSON = {} as const

/** RFC 9457 problem details as every error leaves the gateway (http-errors.ts), with graticule's members. */
export const PROBLEM_SCHEMA = {
  type: 'object',
  required: ['type', 'title', 'status', 'detail', 'instance', 'code', 'message'],
  properties: {
    type: { type: 'string', description: 'the registry entry of the code: GET it for its status, template and section', example: '/errors/E_BAD_PARAM' },
    title: { type: 'string', description: 'the code\'s message template, the same for every occurrence' },
    status: { type: 'integer' },
    detail: { type: 'string', description: 'this occurrence' },
    instance: { type: 'string', description: 'the request path' },
    code: { type: 'string', description: 'the registry code (errors/ERRORS.md)', example: 'E_BAD_PARAM' },
    message: { type: 'string', description: 'the same text as detail' },
    details: { description: 'structured details, e.g. the line and column of each chain validation problem' },
  },
} as const

const STATUS_TEXT: Record<number, string> = {
  400: 'bad request or parameters', 401: 'no token, or one the gateway does not know', 403: 'not allowed with this token or Host',
  404: 'not found', 409: 'conflicts with what exists', 413: 'body or points over the limit', 415: 'content type not accepted',
  422: 'the body cannot be read', 429: 'too many invocations or over quota (Retry-After)', 500: 'internal error',
  503: 'shutting down, a worker died or the arena is full (Retry-After)', 504: 'a faaslet exceeded its time limit',
}

const PROBLEM_REF = { $ref: '#/components/schemas/Problem' }

/** Error responses, problem+json each. */
export function problems(...statuses: number[]): Responses {
  return Object.fromEntries(statuses.map((s) => [s, { description: STATUS_TEXT[s] ?? 'error', content: { [PROBLEM_MEDIA_TYPE]: { schema: PROBLEM_REF } } }]))
}

/** One response: the same schema under each media type (parameters such as charset dropped). */
export function answer(description: string, mediaTypes: readonly string[], schema: JsonSchema = BINARY): Responses[number] {
  return { description, content: Object.fromEntries([...new Set(mediaTypes.map((t) => t.split(';')[0].trim()))].map((t) => [t, { schema }])) }
}

/** A 200 that is JSON. */
export const json = (description: string, schema: JsonSchema = ANY_JSON): Responses[number] => answer(description, ['application/json'], schema)

/** A response without a body (204, 304). */
export const empty = (description: string): Responses[number] => ({ description, type: 'null' })

/** A request body: one schema per media type. */
export function requestBody(media: Media): { content: Media } {
  return { content: media }
}

/** `config` of a route whose body and responses are documented for /docs only. */
export function documented(docs: { body?: { content: Media }; responses: Responses }): Pick<FastifyContextConfig, 'swaggerTransform'> {
  return {
    swaggerTransform: ({ schema, url, ...document }) => {
      // the document's one copy of the problem schema, which every error response refers to
      if ('openapiObject' in document) ((document.openapiObject.components ??= {}).schemas ??= {}).Problem = PROBLEM_SCHEMA as object
      return { url, schema: { ...schema, ...(docs.body ? { body: docs.body } : {}), response: docs.responses } }
    },
  }
}
