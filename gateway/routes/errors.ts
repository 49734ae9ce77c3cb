// /errors: the error registry, so that a problem's `type` (/errors/<code>) leads somewhere — the code's
// status, its message template, the section of errors/ERRORS.md that lists it, and when to retry.
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import type { FastifyInstance } from 'fastify'
import { ERRORS, fail, type ErrorCode } from '../../errors/index.js'
import { ROOT } from '../../faaslets/catalog.js'
import { errorTitleOf, errorTypeOf, retryAfterOf } from '../http-errors.js'
import { documented, json, problems } from '../openapi.js'

const ENTRY_SCHEMA = {
  type: 'object',
  properties: {
    type: { type: 'string' }, code: { type: 'string' }, status: { type: 'integer' }, title: { type: 'string' },
    section: { type: 'string', description: 'the heading errors/ERRORS.md lists the code under' },
    retryAfterSeconds: { type: 'integer', description: 'the Retry-After a 429 or 503 with this code carries' },
  },
} as const

/** code → the heading of the ERRORS.md section that lists it (none when the page is not installed). */
function sectionsOf(page: string): Map<string, string> {
  const sections = new Map<string, string>()
  let heading = ''
  for (const line of page.split('\n')) {
    if (line.startsWith('## ')) heading = line.slice(3).trim()
    const row = /^\| `(E_[A-Z_]+)` \|/.exec(line)
    if (row) sections.set(row[1], heading)
  }
  return sections
}

export async function errorRoutes(app: FastifyInstance): Promise<void> {
  let page = ''
  try {
    page = readFileSync(join(ROOT, 'errors', 'ERRORS.md'), 'utf8')
  } catch { /* the registry alone still answers */ }
  const sections = sectionsOf(page)
  const entryOf = (code: ErrorCode) => ({
    type: errorTypeOf(code), code, status: ERRORS[code].status, title: errorTitleOf(code),
    ...(sections.has(code) ? { section: sections.get(code) } : {}),
    ...(retryAfterOf(code) !== undefined ? { retryAfterSeconds: retryAfterOf(code) } : {}),
  })

  app.get('/errors', {
    schema: { summary: 'Every error code: status, message template, section of errors/ERRORS.md', tags: ['errors'] },
    config: documented({ responses: { 200: json('the registry', { type: 'array', items: ENTRY_SCHEMA }) } }),
  }, async () => (Object.keys(ERRORS) as ErrorCode[]).map(entryOf))

  app.get<{ Params: { code: string } }>('/errors/:code', {
    schema: {
      summary: 'One error code: what a problem\'s `type` (/errors/<code>) points to', tags: ['errors'],
      params: { type: 'object', required: ['code'], properties: { code: { type: 'string', maxLength: 64 } } },
    },
    config: documented({ responses: { 200: json('the code\'s registry entry', ENTRY_SCHEMA), ...problems(404) } }),
  }, async (req) => {
    const code = req.params.code
    if (!Object.hasOwn(ERRORS, code)) throw fail('E_NOT_FOUND', req.method, req.url.split('?')[0])
    return entryOf(code as ErrorCode)
  })
}
