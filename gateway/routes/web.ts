// The web page and its assets, served with the cross-origin isolation headers that SharedArrayBuffer
// (and so the faaslets' shared memory in the browser) requires.
import { existsSync, readFileSync } from 'node:fs'
import { extname, join, normalize } from 'node:path'
import type { FastifyInstance } from 'fastify'
import { ROOT } from '../../faaslets/catalog.js'
import type { GatewayContext } from '../context.js'

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8', '.wasm': 'application/wasm', '.json': 'application/json', '.png': 'image/png',
  '.svg': 'image/svg+xml', '.map': 'application/json',
}

export const ISOLATION_HEADERS = {
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-embedder-policy': 'require-corp',
  'cross-origin-resource-policy': 'same-origin',
}

export async function webRoutes(app: FastifyInstance, _ctx: GatewayContext): Promise<void> {
  const webDir = join(ROOT, 'dist', 'web')
  const wasmDir = join(ROOT, 'faaslets', 'build')
  const serve = (dir: string, rel: string) => {
    const path = normalize(join(dir, rel))
    if (!path.startsWith(dir + '/') || !existsSync(path)) return null
    return { body: readFileSync(path), type: TYPES[extname(path)] ?? 'application/octet-stream' }
  }
  app.get('/', { schema: { hide: true } }, async (_req, reply) => {
    const page = serve(webDir, 'index.html')
    if (!page) return reply.type('text/html').send('<!doctype html><title>graticule</title><p>graticule is running. The map is built by <code>npm run build</code>. API: <a href="/docs">/docs</a></p>')
    return reply.type(page.type).send(page.body)
  })
  app.get('/favicon.ico', { schema: { hide: true } }, async (_req, reply) => reply.code(204).send())
  app.get<{ Params: { '*': string } }>('/web/*', { schema: { hide: true } }, async (req, reply) => {
    const f = serve(webDir, req.params['*'])
    if (!f) return reply.callNotFound()
    return reply.type(f.type).send(f.body)
  })
  app.get<{ Params: { name: string } }>('/wasm/:name', { schema: { hide: true } }, async (req, reply) => {
    const f = serve(wasmDir, req.params.name)
    if (!f || !req.params.name.endsWith('.wasm')) return reply.callNotFound()
    return reply.type(f.type).send(f.body)
  })
}
