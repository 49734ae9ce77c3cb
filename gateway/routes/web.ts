// The web page and what only it needs: its built assets (dist/web), the faaslets' .wasm (the very files
// the server runs), each chain validated as JSON (so the page binds plans with the host's chains/bind.ts)
// and the newest window's points as one region (so the page can run the heatmap chain itself). The page
// asks for cross-origin isolation, which SharedArrayBuffer — and so the faaslets' shared memory in the
// browser — requires; its assets, among them the worker it starts, carry COEP too (interop.ts).
import { readFileSync, statSync } from 'node:fs'
import { extname, join, normalize } from 'node:path'
import type { FastifyInstance } from 'fastify'
import { ScratchMemory } from '../../faaslets/abi/region.js'
import { ROOT } from '../../faaslets/catalog.js'
import { REGION_MEDIA_TYPE } from '../../faaslets/codecs/boundary.js'
import { fail } from '../../errors/index.js'
import type { GatewayContext } from '../context.js'
import type { LiveView } from '../ingest/live-state.js'
import { writePoints } from '../../faaslets/codecs/points.js'
import { windowPointArrays } from '../ingest/windows.js'
import { answer, documented, empty, json, problems } from '../openapi.js'
import { clientHas, windowETag } from './window-etag.js'

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8', '.wasm': 'application/wasm', '.json': 'application/json', '.png': 'image/png',
  '.svg': 'image/svg+xml', '.map': 'application/json',
}

export async function webRoutes(app: FastifyInstance, ctx: GatewayContext): Promise<void> {
  const webDir = join(ROOT, 'dist', 'web')
  const wasmDir = join(ROOT, 'faaslets', 'build')
  // a file inside `dir`, or null: folders, escapes (..) and names no file system accepts are all 404s
  const serve = (dir: string, rel: string) => {
    if (rel.includes('\0')) return null
    const path = normalize(join(dir, rel))
    if (!path.startsWith(dir + '/') || !statSync(path, { throwIfNoEntry: false })?.isFile()) return null
    return { body: readFileSync(path), type: TYPES[extname(path)] ?? 'application/octet-stream' }
  }
  app.get('/', { schema: { hide: true }, config: { isolation: 'page' } }, async (_req, reply) => {
    const page = serve(webDir, 'index.html')
    if (!page) return reply.type('text/html').send('<!doctype html><title>graticule</title><p>graticule is running. The map is built by <code>npm run build</code>. API: <a href="/docs">/docs</a></p>')
    return reply.type(page.type).send(page.body)
  })
  app.get('/favicon.ico', { schema: { hide: true } }, async (_req, reply) => {
    const icon = serve(webDir, 'favicon.svg')
    return icon ? reply.type(icon.type).send(icon.body) : reply.code(204).send()
  })
  app.get<{ Params: { '*': string } }>('/web/*', { schema: { hide: true }, config: { isolation: 'page-assets' } }, async (req, reply) => {
    const f = serve(webDir, req.params['*'])
    if (!f) return reply.callNotFound()
    return reply.type(f.type).send(f.body)
  })
  app.get<{ Params: { name: string } }>('/wasm/:name', { schema: { hide: true } }, async (req, reply) => {
    const f = serve(wasmDir, req.params.name)
    if (!f || !req.params.name.endsWith('.wasm')) return reply.callNotFound()
    return reply.type(f.type).send(f.body)
  })

  app.get<{ Params: { name: string } }>('/web/chains/:name.json', {
    schema: { summary: 'A chain as validated JSON (steps resolved against the manifests), for the page to bind', tags: ['web'] },
    config: documented({ responses: { 200: json('the chain: input, steps with their faaslets and parameters, outputs', { type: 'object' }), ...problems(404) } }),
  }, async (req) => {
    const { source: _yaml, file: _file, ...chain } = ctx.chains.get(req.params.name)
    return chain
  })

  // one region per window, built once however many pages ask
  // (per merge, not per start: another partition's part of the same window makes new points)
  let memo: { view: LiveView; bytes: Uint8Array } | null = null
  app.get('/live/window.region', {
    schema: {
      summary: 'The newest closed window\'s points as one points region (the region the live heatmap tiles are computed from); ETag of the window, 304 on If-None-Match',
      tags: ['live'],
    },
    config: documented({
      responses: {
        200: answer('a points region (empty while there is no window)', [REGION_MEDIA_TYPE]),
        304: empty('the window has not changed since the ETag sent in If-None-Match'), ...problems(404),
      },
    }),
  }, async (req, reply) => {
    if (!ctx.ingestion) throw fail('E_NO_LIVE_DATA', 'this gateway ingests no sensor stream (start it with the simulator or --kafka)')
    const current = ctx.ingestion.live.current()
    if (clientHas(req, reply, windowETag(current, 'window.region'))) return reply.code(304).send()
    reply.type(REGION_MEDIA_TYPE)
    if (!current) return reply.header('x-graticule-window', 'none').header('x-graticule-count', '0').send(Buffer.alloc(0))
    if (memo?.view !== current) {
      const mem = new ScratchMemory(128 + current.points.count * 32 + 64)
      const d = writePoints(mem, windowPointArrays(current.points))
      memo = { view: current, bytes: mem.bytes().slice(d.ptr, d.ptr + d.len) }
    }
    return reply
      .header('x-graticule-window', String(current.start))
      .header('x-graticule-count', String(current.points.count))
      .send(Buffer.from(memo.bytes.buffer, memo.bytes.byteOffset, memo.bytes.byteLength))
  })
}
