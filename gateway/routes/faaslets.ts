// /faaslets: list; deploy (PUT, token) a module checked before it can ever run; delete (token).
import type { FastifyInstance } from 'fastify'
import { checkDeployment, freeSlots } from '../../faaslets/deploy.js'
import { fail } from '../../errors/index.js'
import type { GatewayContext } from '../context.js'

const nameParams = {
  type: 'object', required: ['name'],
  properties: { name: { type: 'string', minLength: 1, maxLength: 100, description: 'faaslet name' } },
} as const

export async function faasletRoutes(app: FastifyInstance, ctx: GatewayContext): Promise<void> {
  const catalog = ctx.dataplane.catalog

  app.get('/faaslets', { schema: { summary: 'The faaslets this gateway can run', tags: ['faaslets'] } }, async () =>
    catalog.list().map((e) => ({ ...e.manifest, deployed: Boolean(e.deployed) })))

  app.get('/faaslets/slots', { schema: { summary: 'Static slots free for a new module', tags: ['faaslets'] } }, async () =>
    ({ free: freeSlots(catalog), slotBytes: 131072 }))

  app.put<{ Params: { name: string }; Body: Buffer }>('/faaslets/:name', {
    preHandler: ctx.auth,
    schema: {
      summary: 'Deploy a module: application/wasm with its manifest in a "graticule.manifest" custom section, or JSON {manifest, wasm (base64)}',
      tags: ['faaslets'], params: nameParams,
    },
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
    const checked = checkDeployment(catalog, req.params.name, bytes, manifest)
    const replaced = ctx.faaslets.save(catalog, checked.manifest, checked.bytes)
    return reply.code(replaced ? 200 : 201).send({ name: checked.manifest.name, version: checked.manifest.version, slot: checked.manifest.slot, replaced })
  })

  app.delete<{ Params: { name: string } }>('/faaslets/:name', {
    preHandler: ctx.auth,
    schema: { summary: 'Remove a deployed faaslet', tags: ['faaslets'], params: nameParams },
  }, async (req, reply) => {
    const entry = catalog.get(req.params.name)
    if (!entry.deployed) throw fail('E_FAASLET_READONLY', req.params.name, 'deleted')
    const users = ctx.chains.list().filter(({ chain }) => chain.steps.some((s) => s.faaslet === req.params.name)).map(({ chain }) => chain.name)
    if (users.length) throw fail('E_FAASLET_IN_USE', req.params.name, users.length === 1 ? '' : 's', users.join(', '))
    ctx.faaslets.remove(catalog, req.params.name)
    return reply.code(204).send()
  })
}
