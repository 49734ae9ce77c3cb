// /chains: list, read (YAML), create or replace (validated), delete, and invoke.
import type { FastifyInstance } from 'fastify'
import { inputFormatFromMedia, INPUT_MEDIA_TYPES, MEDIA_TYPES, parseInputOptions, type InputFormat } from '../../faaslets/codecs/boundary.js'
import type { Mode } from '../../dataplane/dataplane.js'
import { fail } from '../../errors/index.js'
import type { GatewayContext } from '../context.js'
import { SharedBodyPool, sharedBodies } from '../shared-body.js'
import { answer, BINARY, documented, empty, json, problems, requestBody, TEXT } from '../openapi.js'

const nameParams = {
  type: 'object',
  required: ['name'],
  properties: { name: { type: 'string', pattern: '^[a-z0-9][a-z0-9-]{0,62}$', description: 'chain name' } },
} as const

/** How /docs offers each body an invocation reads: bytes to upload, text to type, or JSON to edit. */
const INVOKE_BODY_SCHEMAS: Record<InputFormat, Record<string, unknown>> = {
  mvt: BINARY, png: BINARY, region: BINARY, grid: BINARY,
  geojson: { type: 'object', description: 'a GeoJSON FeatureCollection, Feature or geometry (a crs member is read)' },
  csv: { ...TEXT, description: 'a header row naming the coordinate columns (lon/lng/longitude/x/easting, lat/latitude/y/northing)' },
  ndjson: { ...TEXT, description: 'one JSON object per line: {"lon": …, "lat": …, "value": …}' },
}
const INVOKE_BODIES = requestBody(Object.fromEntries(INPUT_MEDIA_TYPES.map((t) => [t, { schema: INVOKE_BODY_SCHEMAS[inputFormatFromMedia(t)!] }])))
const CHAIN_EXAMPLE = 'name: to-mercator\ninput: { kind: points }\nsteps:\n  - id: m\n    uses: reproject\n    with: { to: "EPSG:3857" }\noutput: { step: m, as: geojson }\n'
const CHAIN_SUMMARY = { type: 'object', properties: { name: { type: 'string' }, created: { type: 'boolean' }, steps: { type: 'integer' } } } as const

export async function chainRoutes(app: FastifyInstance, ctx: GatewayContext): Promise<void> {
  app.get('/chains', {
    schema: { summary: 'List the chains with their inputs and outputs', tags: ['chains'] },
    config: documented({ responses: { 200: json('name, description, input kind and parameters, steps, outputs of each', { type: 'array', items: { type: 'object' } }) } }),
  }, async () => ctx.chains.list().map(({ chain, shipped }) => ({
    name: chain.name, description: chain.description, shipped,
    input: { kind: chain.input.kind, params: chain.input.params },
    steps: chain.steps.map((s) => ({ id: s.id, uses: s.faaslet })),
    outputs: chain.outputs.map((o) => ({ name: o.name, step: o.step, as: o.as })),
  })))

  app.get<{ Params: { name: string } }>('/chains/:name', {
    schema: { summary: 'The chain as YAML', tags: ['chains'], params: nameParams },
    config: documented({ responses: { 200: answer('the chain\'s source', ['application/yaml'], TEXT), ...problems(400, 404) } }),
  }, async (req, reply) => {
    const chain = ctx.chains.get(req.params.name)
    return reply.type('application/yaml; charset=utf-8').send(chain.source)
  })

  app.put<{ Params: { name: string }; Body: Buffer }>('/chains/:name', {
    schema: {
      summary: 'Create or replace a chain (YAML body); errors name line and column', tags: ['chains'], params: nameParams,
    },
    config: documented({
      body: requestBody({ 'application/yaml': { schema: { ...TEXT, description: 'the chain; its name is the one in the path (the example: PUT /chains/to-mercator)' }, example: CHAIN_EXAMPLE } }),
      responses: { 200: json('replaced', CHAIN_SUMMARY), 201: json('created', CHAIN_SUMMARY), ...problems(400, 401, 403, 409, 413, 503) },
    }),
  }, async (req, reply) => {
    const text = Buffer.isBuffer(req.body) ? req.body.toString('utf8') : ''
    if (!text.trim()) throw fail('E_BAD_REQUEST', 'send the chain as a YAML body')
    // with a registry the chain is written to its Kafka topic (every gateway applies it), else to the folder
    const { chain, created } = ctx.registry ? await ctx.registry.putChain(req.params.name, text) : ctx.chains.put(req.params.name, text)
    return reply.code(created ? 201 : 200).send({ name: chain.name, created, steps: chain.steps.length })
  })

  app.delete<{ Params: { name: string } }>('/chains/:name', {
    schema: { summary: 'Delete a chain a user created', tags: ['chains'], params: nameParams },
    config: documented({ responses: { 204: empty('deleted'), ...problems(400, 401, 403, 404, 409, 503) } }),
  }, async (req, reply) => {
    if (ctx.registry) await ctx.registry.deleteChain(req.params.name)
    else ctx.chains.delete(req.params.name)
    return reply.code(204).send()
  })

  // invocation bodies go straight onto pooled shared memory, which the worker running the chain reads
  const bodies = new SharedBodyPool()
  await app.register(async (scope) => {
    sharedBodies(scope, bodies, ctx.limits.bodyLimit)
    scope.post<{ Params: { name: string }; Querystring: Record<string, string>; Body: Uint8Array }>('/chains/:name/invoke', {
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
      },
      config: documented({
        body: INVOKE_BODIES,
        responses: {
          200: answer('the output, encoded as the chain declares it (x-graticule-* headers: mode, copied bytes, compute and chain ms)', Object.values(MEDIA_TYPES)),
          ...problems(400, 401, 403, 404, 413, 415, 422, 429, 500, 503, 504),
        },
      }),
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
      const body = req.body ?? new Uint8Array(0)
      let res: Awaited<ReturnType<typeof ctx.runner.run>>
      try {
        res = await ctx.runner.run(chain, params, { body, format }, { mode: mode as Mode, tenant, maxPoints: ctx.limits.maxPointsPerRequest, only: [wanted], input, rfc7946: rfc7946 === 'true' })
      } catch (e) {
        // a worker stopped mid-task (time limit, crash) may not have let go of the body: it is not reused
        const code = (e as { code?: string }).code
        if (code !== 'E_FAASLET_TIMEOUT' && code !== 'E_WORKER_DIED') bodies.give(body)
        throw e
      }
      bodies.give(body)
      const out = res.outputs[0]
      return reply
        .header('x-graticule-mode', res.invocation.mode)
        .header('x-graticule-copied-bytes', String(res.invocation.copied.betweenStages))
        .header('x-graticule-compute-ms', res.invocation.computeMs.toFixed(3))
        .header('x-graticule-chain-ms', res.invocation.totalMs.toFixed(3))
        .type(out.contentType)
        .send(Buffer.from(out.body.buffer, out.body.byteOffset, out.body.byteLength))
    })
  })
}
