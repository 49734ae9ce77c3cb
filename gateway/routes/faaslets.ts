// /faaslets: list; deploy (PUT, token) a module checked before it can ever run; delete (token).
import type { FastifyInstance } from 'fastify'
import { freeSlots } from '../../faaslets/deploy.js'
import { fail } from '../../errors/index.js'
import type { GatewayContext } from '../context.js'
import { BINARY, documented, empty, json, problems, requestBody } from '../openapi.js'

const DEPLOYED = { type: 'object', properties: { name: { type: 'string' }, version: { type: 'string' }, slot: { type: 'integer' }, replaced: { type: 'boolean' } } } as const

const nameParams = {
  type: 'object', required: ['name'],
  properties: { name: { type: 'string', minLength: 1, maxLength: 100, description: 'faaslet name' } },
} as const

export async function faasletRoutes(app: FastifyInstance, ctx: GatewayContext): Promise<void> {
  const catalog = ctx.dataplane.catalog

  app.get('/faaslets', {
    schema: { summary: 'The faaslets this gateway can run', tags: ['faaslets'] },
    config: documented({ responses: { 200: json('their manifests: inputs, outputs, parameters; deployed: added over HTTP', { type: 'array', items: { type: 'object' } }) } }),
  }, async () => catalog.list().map((e) => ({ ...e.manifest, deployed: Boolean(e.deployed) })))

  app.get('/faaslets/slots', {
    schema: { summary: 'Static slots free for a new module', tags: ['faaslets'] },
    config: documented({ responses: { 200: json('free slot numbers and their size', { type: 'object', properties: { free: { type: 'array', items: { type: 'integer' } }, slotBytes: { type: 'integer' } } }) } }),
  }, async () => ({ free: freeSlots(catalog), slotBytes: 131072 }))

  app.put<{ Params: { name: string }; Body: Buffer }>('/faaslets/:name', {
    schema: {
      summary: 'Deploy a module: application/wasm with its manifest in a "graticule.manifest" custom section, or JSON {manifest, wasm (base64)}',
      tags: ['faaslets'], params: nameParams,
    },
    config: documented({
      body: requestBody({
        'application/wasm': { schema: BINARY },
        'application/json': { schema: { type: 'object', required: ['manifest', 'wasm'], properties: { manifest: { type: 'object' }, wasm: { type: 'string', format: 'byte', description: 'the module, base64' } } } },
      }),
      responses: { 200: json('replaced', DEPLOYED), 201: json('deployed', DEPLOYED), ...problems(400, 401, 403, 409, 413, 415, 422, 503) },
    }),
  }, async (req, reply) => {
    const type = (req.headers['content-type'] ?? '').split(';')[0].trim()
    let bytes: Uint8Array
    let manifest: unknown
    if (type === 'application/wasm') {
      bytes = new Uint8Array(req.body ?? Buffer.alloc(0))
    } else if (type === 'application/json') {
      let json: { manifest?: unknown; wasm?: unknown }
      try {
        json = JSON.parse((req.body ?? Buffer.alloc(0)).toString('utf8'))
      } catch {
        throw fail('E_BAD_REQUEST', 'body is not JSON')
      }
      if (typeof json.wasm !== 'string') throw fail('E_BAD_REQUEST', 'JSON body needs "wasm" (base64) and "manifest"')
      bytes = new Uint8Array(Buffer.from(json.wasm, 'base64'))
      manifest = json.manifest
    } else {
      throw fail('E_UNSUPPORTED_MEDIA', type || 'none', 'application/wasm, application/json')
    }
    // checked off this thread; with a registry then written to its Kafka topic (every gateway applies it)
    const { manifest: m, replaced } = await (ctx.registry ? ctx.registry.deployFaaslet(req.params.name, bytes, manifest) : ctx.faaslets.deploy(catalog, req.params.name, bytes, manifest))
    return reply.code(replaced ? 200 : 201).send({ name: m.name, version: m.version, slot: m.slot, replaced })
  })

  app.delete<{ Params: { name: string } }>('/faaslets/:name', {
    schema: { summary: 'Remove a deployed faaslet', tags: ['faaslets'], params: nameParams },
    config: documented({ responses: { 204: empty('removed'), ...problems(401, 403, 404, 409, 503) } }),
  }, async (req, reply) => {
    const entry = catalog.get(req.params.name)
    if (!entry.deployed) throw fail('E_FAASLET_READONLY', req.params.name, 'deleted')
    const users = ctx.chains.list().filter(({ chain }) => chain.steps.some((s) => s.faaslet === req.params.name)).map(({ chain }) => chain.name)
    if (users.length) throw fail('E_FAASLET_IN_USE', req.params.name, users.length === 1 ? '' : 's', users.join(', '))
    if (ctx.registry) await ctx.registry.removeFaaslet(req.params.name)
    else ctx.faaslets.remove(catalog, req.params.name)
    return reply.code(204).send()
  })
}
