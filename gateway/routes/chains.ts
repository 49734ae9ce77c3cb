// /chains: list, read (YAML), create or replace (validated), delete, and invoke.
import type { FastifyInstance } from 'fastify'
import { inputFormatFromMedia, INPUT_MEDIA_TYPES, parseInputOptions } from '../../faaslets/codecs/boundary.js'
import { runChain } from '../../chains/run.js'
import type { Mode } from '../../dataplane/dataplane.js'
import { fail } from '../../errors/index.js'
import type { GatewayContext } from '../context.js'

const nameParams = {
  type: 'object',
  required: ['name'],
  properties: { name: { type: 'string', pattern: '^[a-z0-9][a-z0-9-]{0,62}$', description: 'chain name' } },
} as const

const errorSchema = {
  type: 'object',
  properties: { code: { type: 'string' }, message: { type: 'string' }, details: {} },
} as const

export async function chainRoutes(app: FastifyInstance, ctx: GatewayContext): Promise<void> {
  app.get('/chains', {
    schema: { summary: 'List the chains with their inputs and outputs', tags: ['chains'] },
  }, async () => ctx.chains.list().map(({ chain, shipped }) => ({
    name: chain.name, description: chain.description, shipped,
    input: { kind: chain.input.kind, params: chain.input.params },
    steps: chain.steps.map((s) => ({ id: s.id, uses: s.faaslet })),
    outputs: chain.outputs.map((o) => ({ name: o.name, step: o.step, as: o.as })),
  })))

  app.get<{ Params: { name: string } }>('/chains/:name', {
    schema: { summary: 'The chain as YAML', tags: ['chains'], params: nameParams, response: { 404: errorSchema } },
  }, async (req, reply) => {
    const chain = ctx.chains.get(req.params.name)
    return reply.type('application/yaml; charset=utf-8').send(chain.source)
  })

  app.put<{ Params: { name: string }; Body: Buffer }>('/chains/:name', {
    preHandler: ctx.auth,
    schema: {
      summary: 'Create or replace a chain (YAML body); errors name line and column', tags: ['chains'], params: nameParams,
      response: { 400: errorSchema, 401: errorSchema },
    },
  }, async (req, reply) => {
    const text = Buffer.isBuffer(req.body) ? req.body.toString('utf8') : ''
    if (!text.trim()) throw fail('E_BAD_REQUEST', 'send the chain as a YAML body')
    const { chain, created } = ctx.chains.put(req.params.name, text)
    return reply.code(created ? 201 : 200).send({ name: chain.name, created, steps: chain.steps.length })
  })

  app.delete<{ Params: { name: string } }>('/chains/:name', {
    preHandler: ctx.auth,
    schema: { summary: 'Delete a chain a user created', tags: ['chains'], params: nameParams },
  }, async (req, reply) => {
    ctx.chains.delete(req.params.name)
    return reply.code(204).send()
  })

  app.post<{ Params: { name: string }; Querystring: Record<string, string>; Body: Buffer }>('/chains/:name/invoke', {
    schema: {
      summary: 'Run a chain on the body (tile bytes, GeoJSON, CSV or NDJSON by content type); parameters in the query string',
      tags: ['chains'],
      params: nameParams,
      querystring: {
        type: 'object',
        properties: {
          mode: { type: 'string', enum: ['shared', 'copy', 'http'], description: 'executor (default shared)' },
          output: { type: 'string', description: 'which output to return when the chain has several (default: the first)' },
          tenant: { type: 'string', pattern: '^[a-z0-9][a-z0-9_-]{0,62}$' },
          crs: { type: 'string', description: 'CRS of a body that names none (CSV, GeoJSON without crs): EPSG:n, a URN or a proj4 string (default EPSG:4326)' },
          geometry: { type: 'string', description: 'what lines and polygons become where the chain reads points: refuse (default), vertices or centroid (a chain that declares its own geometry parameter takes it instead)' },
          delimiter: { type: 'string', description: 'CSV delimiter: , ; tab or | (default: sniffed from the header)' },
          rfc7946: { type: 'string', enum: ['true', 'false'], description: 'true: GeoJSON in a CRS other than EPSG:4326 is refused rather than written with a crs member' },
        },
        additionalProperties: { type: 'string' },
      },
      response: { 400: errorSchema, 404: errorSchema, 413: errorSchema, 415: errorSchema, 422: errorSchema },
    },
  }, async (req, reply) => {
    if (ctx.closing()) throw fail('E_SHUTTING_DOWN')
    const chain = ctx.chains.get(req.params.name)
    const format = inputFormatFromMedia(req.headers['content-type'])
    if (!format) throw fail('E_UNSUPPORTED_MEDIA', req.headers['content-type'] ?? 'none', INPUT_MEDIA_TYPES.join(', '))
    const { mode = 'shared', output, tenant, crs, delimiter, rfc7946, ...params } = req.query
    // `geometry` reads the body unless the chain takes it as its own parameter (tile-heatmap: its clusters)
    const declaresGeometry = chain.input.params.some((p) => p.name === 'geometry')
    const geometry = declaresGeometry ? undefined : params.geometry
    if (!declaresGeometry) delete params.geometry
    const input = parseInputOptions({ crs, geometry, delimiter })
    const wanted = output ?? chain.outputs[0].name
    if (!chain.outputs.some((o) => o.name === wanted)) throw fail('E_BAD_PARAM', 'output', `chain ${chain.name} has outputs ${chain.outputs.map((o) => o.name).join(', ')}`)
    // encode only the output this response carries (the others can cost as much as the chain itself)
    const res = await runChain(ctx.dataplane, chain, params, req.body ?? Buffer.alloc(0), format, { mode: mode as Mode, tenant, maxPoints: ctx.limits.maxPointsPerRequest, only: [wanted], input, rfc7946: rfc7946 === 'true' })
    ctx.metrics.observe(chain.name, { ...res.invocation, outputs: [], bytes: () => new Uint8Array(), release: () => {} }, chain.steps.map((s) => s.id), chain.steps.map((s) => s.faaslet))
    const out = res.outputs[0]
    return reply
      .header('x-graticule-mode', res.invocation.mode)
      .header('x-graticule-copied-bytes', String(res.invocation.copied.betweenStages))
      .header('x-graticule-compute-ms', res.invocation.computeMs.toFixed(3))
      .header('x-graticule-chain-ms', res.invocation.totalMs.toFixed(3))
      .type(out.contentType)
      .send(Buffer.from(out.body.buffer, out.body.byteOffset, out.body.byteLength))
  })
}
