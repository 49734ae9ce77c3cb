// Requests to the gateway's routes (chain invoke, chain PUT/DELETE, /ingest, /live and the rest) built to be nearly
// right and then spoiled, and the check that every answer is a 2xx or a registry error with its own status.
import fc from 'fast-check'
import { encode as packMsgpack } from 'msgpackr'
import { ERRORS } from '../../../errors/index.js'
import type { ParamSpec } from '../../../faaslets/abi/manifest.js'
import { REGION_MEDIA_TYPE } from '../../../faaslets/codecs/boundary.js'
import { encodePng } from '../../../faaslets/codecs/grid.js'
import type { Gateway } from '../../../gateway/app.js'
import { arbMutated, arbMutation, mutate } from './byte-mutations.js'
import { arbChainText, SHIPPED_CHAINS } from './chain-cases.js'
import { arbParam } from './faaslet-params.js'
import { TOKEN } from './gateway-setup.js'
import { arbStructuredTile, mvtCorpus } from './mvt-cases.js'
import { arbCoord, arbFeatureCollection, arbGridLike, arbRegionInput } from './region-inputs.js'

export interface HttpCase { method: 'GET' | 'POST' | 'PUT' | 'DELETE'; url: string; headers: Record<string, string>; body?: Uint8Array | string }

const enc = (s: string) => encodeURIComponent(s)
const contentType = (t: string): Record<string, string> => (t ? { 'content-type': t } : {})
const arbWeirdString = fc.oneof(
  fc.constantFrom('', ' ', '-1', '0', '1', '1.5', '1e309', 'NaN', 'Infinity', '-0', '0x10', '1,2', '999999999999', '2147483648', 'true', 'null', '[]', '{}', '../x', '%00', '\u0000', 'é', '%', '%zz'),
  fc.string({ maxLength: 12 }),
  fc.integer().map(String),
  fc.double().map(String),
)

/** Query strings: known names with odd values, unknown names, repeated keys, and raw percent junk. */
function arbQuery(names: string[]): fc.Arbitrary<string> {
  const pair = fc.oneof(
    { weight: 6, arbitrary: fc.tuple(fc.constantFrom(...names), arbWeirdString).map(([k, v]) => `${enc(k)}=${enc(v)}`) },
    { weight: 4, arbitrary: fc.tuple(fc.constantFrom(...names), fc.oneof(fc.integer({ min: -2, max: 40 }).map(String), fc.constantFrom('quartic', 'gaussian', 'shared', 'copy', 'EPSG:3857', '-10,-10,10,10'))).map(([k, v]) => `${k}=${enc(v)}`) },
    { weight: 1, arbitrary: fc.tuple(fc.constantFrom('__proto__', 'constructor', 'toString', 'hasOwnProperty', 'mode', 'tenant', 'output', 'x[]', 'a.b'), arbWeirdString).map(([k, v]) => `${enc(k)}=${enc(v)}`) },
    { weight: 1, arbitrary: fc.constantFrom('&', '=', '==', '%', '%2', '%%', 'z', 'z=', '=1', '&&&', '+', '%00=%00', 'z=1&z=2') },
  )
  return fc.array(pair, { maxLength: 8 }).map((ps) => (ps.length ? `?${ps.join('&')}` : ''))
}

const INVOKE_TYPES = ['application/vnd.mapbox-vector-tile', 'application/x-protobuf', 'application/octet-stream', 'application/geo+json', 'application/json', 'text/csv', 'application/x-ndjson', 'image/png', REGION_MEDIA_TYPE]
const arbContentType = (known: string[]) => fc.oneof(
  { weight: 8, arbitrary: fc.constantFrom(...known) },
  { weight: 2, arbitrary: fc.tuple(fc.constantFrom(...known), fc.constantFrom('; charset=utf-8', '; charset=utf-16', ';', '; boundary=x', ' ;q=1', '; charset="latin1"')).map(([t, p]) => t + p) },
  { weight: 1, arbitrary: fc.constantFrom('text/plain', 'application/xml', 'multipart/form-data; boundary=x', 'APPLICATION/JSON', 'application/', '/', '*/*', 'x', 'application/yaml') },
  { weight: 1, arbitrary: fc.constant('') },
)

const arbCsv = fc.oneof(
  fc.array(fc.tuple(arbWeirdString, arbWeirdString, arbWeirdString), { maxLength: 20 }).map((rows) => 'lon,lat,weight\n' + rows.map((r) => r.join(',')).join('\n')),
  fc.array(fc.tuple(fc.double({ min: -180, max: 180, noNaN: true }), fc.double({ min: -85, max: 85, noNaN: true })), { maxLength: 200 }).map((rows) => 'lon,lat\n' + rows.map((r) => r.join(',')).join('\n')),
  fc.string({ maxLength: 200 }),
  fc.constantFrom('', 'lon,lat\n', 'x,y,w,id\n1,2,3,4\n', 'lon,lat\n1\n', 'lat,lon,lat\n1,2,3\n', '\ufefflon,lat\n1,2\n', 'lon,lat\r\n1,2\r\n'),
)
const arbJsonBody = fc.oneof(
  { weight: 3, arbitrary: arbFeatureCollection.map((fcol) => JSON.stringify(fcol)) },
  { weight: 2, arbitrary: fc.jsonValue({ maxDepth: 4 }).map((v) => JSON.stringify(v)) },
  { weight: 1, arbitrary: fc.constantFrom('', '{', '{"type":', 'null', '[]', '{"type":"FeatureCollection","features":null}', '{"type":"Feature","geometry":{"type":"Point","coordinates":[1e999,0]}}', '{"__proto__":{"x":1}}', '"\\ud800"', '[' .repeat(5000) + ']'.repeat(5000)) },
)
const arbNdjson = fc.array(fc.oneof(
  fc.record({ lon: arbCoord, lat: arbCoord, value: fc.option(fc.double()) }).map((o) => JSON.stringify(o)),
  fc.jsonValue({ maxDepth: 2 }).map((v) => JSON.stringify(v)),
  fc.string({ maxLength: 10 }),
), { maxLength: 10 }).map((lines) => lines.join('\n'))

function arbInvokeBody(): fc.Arbitrary<Uint8Array | string> {
  return fc.oneof(
    { weight: 3, arbitrary: arbMutated(mvtCorpus()) },
    { weight: 1, arbitrary: fc.constantFrom(...mvtCorpus().filter((t) => t.length < 30_000)) },
    { weight: 2, arbitrary: arbStructuredTile },
    { weight: 2, arbitrary: fc.uint8Array({ maxLength: 1024 }) },
    { weight: 3, arbitrary: arbCsv },
    { weight: 3, arbitrary: arbJsonBody },
    { weight: 2, arbitrary: arbNdjson },
    { weight: 2, arbitrary: arbRegionInput(['points', 'features', 'mvt']).map((r) => r.bytes) },
    { weight: 1, arbitrary: arbGridLike.map((g) => encodePng({ width: g.width, height: g.height, rgba: new Uint8Array(4 * g.width * g.height).fill(200) })).chain((png) => fc.array(arbMutation, { maxLength: 3 }).map((m) => mutate(png, m))) },
  )
}

export const INVOKE_PARAM_NAMES = ['z', 'x', 'y', 'radius', 'kernel', 'scale', 'zoom', 'bbox', 'to', 'mode', 'output', 'tenant', 'minWeight', 'cell']

/** What a request needs to know about a chain to be mostly right: its input kind and parameters. */
export interface ChainShape { name: string; kind: string; params: ParamSpec[]; outputs: string[] }

export function chainShapes(gw: Gateway): ChainShape[] {
  return gw.ctx.chains.list().map(({ chain }) => ({ name: chain.name, kind: chain.input.kind, params: chain.input.params, outputs: chain.outputs.map((o) => o.name) }))
}

function queryValue(p: ParamSpec, v: unknown): string {
  if (p.type === 'bbox' && Array.isArray(v)) return v.join(',')
  if (p.type === 'crs') return `EPSG:${v}`
  return String(v)
}

/** A body of the kind the chain reads, with a content type that says so. */
function arbMatchingBody(kind: string): fc.Arbitrary<{ type: string; body: Uint8Array | string }> {
  if (kind === 'tile') {
    return fc.record({
      type: fc.constantFrom('application/vnd.mapbox-vector-tile', 'application/x-protobuf', 'application/octet-stream'),
      body: fc.oneof({ weight: 3, arbitrary: arbMutated(mvtCorpus()) }, { weight: 2, arbitrary: fc.constantFrom(...mvtCorpus().filter((t) => t.length < 30_000)) }, { weight: 2, arbitrary: arbStructuredTile }),
    })
  }
  if (kind === 'features') {
    return fc.oneof(
      arbFeatureCollection.map((j) => ({ type: 'application/geo+json', body: JSON.stringify(j) })),
      arbRegionInput(['features']).map((r) => ({ type: REGION_MEDIA_TYPE, body: r.bytes })),
    )
  }
  const points = fc.array(fc.tuple(fc.double({ min: -180, max: 180, noNaN: true }), fc.double({ min: -85, max: 85, noNaN: true }), fc.double({ min: 0, max: 10, noNaN: true })), { maxLength: 300 })
  return fc.oneof(
    { weight: 3, arbitrary: points.map((ps) => ({ type: 'text/csv', body: 'lon,lat,weight\n' + ps.map((p) => p.join(',')).join('\n') })) },
    { weight: 2, arbitrary: arbCsv.map((b) => ({ type: 'text/csv', body: b })) },
    { weight: 2, arbitrary: points.map((ps) => ({ type: 'application/geo+json', body: JSON.stringify({ type: 'FeatureCollection', features: ps.map(([x, y, w]) => ({ type: 'Feature', geometry: { type: 'Point', coordinates: [x, y] }, properties: { weight: w } })) }) })) },
    { weight: 1, arbitrary: arbFeatureCollection.map((j) => ({ type: 'application/geo+json', body: JSON.stringify(j) })) },
    { weight: 2, arbitrary: arbNdjson.map((b) => ({ type: 'application/x-ndjson', body: b })) },
    { weight: 2, arbitrary: arbRegionInput(['points']).map((r) => ({ type: REGION_MEDIA_TYPE, body: r.bytes })) },
  )
}

/**
 * Requests to run a chain: mostly well-formed (its parameters in range, a body of its input kind), then
 * spoiled — a parameter dropped or set to junk, unknown and repeated keys, another executor mode, a
 * content type or body of the wrong kind, a chain name that does not exist.
 */
export function arbInvokeCase(chains: ChainShape[]): fc.Arbitrary<HttpCase> {
  return fc.constantFrom(...chains).chain((ch) => {
    const good = fc.record(Object.fromEntries(ch.params.map((p) => [p.name, p.name === 'z' ? fc.integer({ min: 0, max: 12 }) : arbParam(p)])) as Record<string, fc.Arbitrary<unknown>>)
    const spoil = fc.oneof(
      { weight: 10, arbitrary: fc.constant([] as string[]) },
      { weight: 3, arbitrary: arbQuery(INVOKE_PARAM_NAMES).map((q) => (q ? q.slice(1).split('&') : [])) },
      { weight: 1, arbitrary: fc.constantFrom(['mode=copy'], ['mode=http'], ['mode=copy', 'output=clusters'], ['output=density'], ['output=nope'], ['tenant=fuzz-a'], ['tenant=Bad Name']) },
    )
    const body = fc.oneof({ weight: 8, arbitrary: arbMatchingBody(ch.kind) }, { weight: 2, arbitrary: fc.record({ type: arbContentType(INVOKE_TYPES), body: arbInvokeBody() }) })
    return fc.record({
      name: fc.oneof({ weight: 19, arbitrary: fc.constant(ch.name) }, { weight: 1, arbitrary: arbWeirdString.map(enc) }),
      params: good, drop: fc.oneof({ weight: 7, arbitrary: fc.constant(null) }, { weight: 1, arbitrary: fc.nat() }), spoil, body,
    }).map(({ name, params, drop, spoil, body }) => {
      const pairs = ch.params.map((p) => `${p.name}=${enc(queryValue(p, params[p.name]))}`)
      if (drop !== null && pairs.length) pairs.splice(drop % pairs.length, 1)
      const query = [...pairs, ...spoil].map((q) => q.replace(/^tenant=(?!default$|fuzz-a$|Bad).*/, 'tenant=fuzz-b'))
      return { method: 'POST' as const, url: `/chains/${name}/invoke${query.length ? `?${query.join('&')}` : ''}`, headers: contentType(body.type), body: body.body }
    })
  })
}

const arbChainName = fc.oneof(
  { weight: 5, arbitrary: fc.stringMatching(/^[a-z0-9][a-z0-9-]{0,20}$/) },
  { weight: 1, arbitrary: fc.constantFrom('..', '.', '..%2Fx', '%2e%2e', '%2e%2e%2fx', '..%2F..%2Fetc%2Fpasswd', 'a%2Fb', 'a%5Cb', '%00', 'A', 'tile-heatmap', 'a'.repeat(63), 'a'.repeat(64), 'a'.repeat(5000), '-a', 'a_b', '.hidden', 'x.yaml', '%C3%A9') },
  { weight: 1, arbitrary: arbWeirdString.map(enc) },
)

export function arbPutCase(): fc.Arbitrary<HttpCase> {
  // the body: edited chain text, or a shipped chain renamed to the URL's name (valid: it gets stored, replaced,
  // read back and deleted) or to another name (refused: the file and the URL must agree)
  const body = (name: string) => fc.oneof(
    { weight: 2, arbitrary: arbChainText },
    { weight: 2, arbitrary: fc.constantFrom(...SHIPPED_CHAINS).map((t) => t.replace(/^name: .*$/m, `name: ${decodeURIComponentSafe(name)}`)) },
    { weight: 1, arbitrary: fc.tuple(arbChainName, fc.constantFrom(...SHIPPED_CHAINS)).map(([n, t]) => t.replace(/^name: .*$/m, `name: ${decodeURIComponentSafe(n)}`)) },
  )
  return arbChainName.chain((name) => fc.record({
    name: fc.constant(name),
    body: body(name),
    auth: fc.constantFrom('right', 'right', 'right', 'none', 'wrong', 'lowercase'),
    type: arbContentType(['application/yaml', 'text/yaml', 'text/plain', 'application/x-yaml']),
    method: fc.constantFrom('PUT', 'PUT', 'PUT', 'DELETE', 'GET') as fc.Arbitrary<'PUT' | 'DELETE' | 'GET'>,
  })).map(({ name, body, auth, type, method }) => {
    const headers = contentType(type)
    if (auth === 'right') headers.authorization = `Bearer ${TOKEN}`
    if (auth === 'wrong') headers.authorization = `Bearer ${TOKEN}x`
    if (auth === 'lowercase') headers.authorization = `bearer ${TOKEN}`
    return { method, url: `/chains/${name}`, headers, body: method === 'PUT' ? body : undefined }
  })
}

function decodeURIComponentSafe(s: string): string {
  try { return decodeURIComponent(s) } catch { return s }
}

const arbSensorPoint = fc.record({
  sensor: fc.oneof({ weight: 8, arbitrary: fc.constantFrom('s1', 's2', 's3', 'fuzz') }, { weight: 1, arbitrary: fc.string({ maxLength: 300 }) }, { weight: 1, arbitrary: fc.anything({ maxDepth: 1 }) }),
  ts: fc.oneof({ weight: 8, arbitrary: fc.integer({ min: -3_000, max: 3_000 }).map((d) => FUZZ_EPOCH + d) }, { weight: 1, arbitrary: fc.constantFrom(-1, 0, 8.64e15, 8.64e15 + 1, 1.5, NaN) }, { weight: 1, arbitrary: fc.anything({ maxDepth: 1 }) }),
  lon: fc.oneof({ weight: 8, arbitrary: fc.double({ min: -180, max: 180, noNaN: true }) }, { weight: 1, arbitrary: arbCoord }, { weight: 1, arbitrary: fc.anything({ maxDepth: 1 }) }),
  lat: fc.oneof({ weight: 8, arbitrary: fc.double({ min: -90, max: 90, noNaN: true }) }, { weight: 1, arbitrary: arbCoord }, { weight: 1, arbitrary: fc.anything({ maxDepth: 1 }) }),
  value: fc.oneof({ weight: 8, arbitrary: fc.double({ noNaN: true, noDefaultInfinity: true }) }, { weight: 1, arbitrary: fc.anything({ maxDepth: 1 }) }),
}, { requiredKeys: [] })

/** Event times of the ingest fuzz cluster around this instant (set before the run; windows need real time). */
let FUZZ_EPOCH = Date.now()
export function setFuzzEpoch(t: number): void {
  FUZZ_EPOCH = t
}

export function arbIngestCase(): fc.Arbitrary<HttpCase> {
  const json = fc.oneof(
    { weight: 4, arbitrary: fc.array(arbSensorPoint, { maxLength: 40 }) },
    { weight: 2, arbitrary: arbSensorPoint },
    { weight: 1, arbitrary: fc.record({ points: fc.oneof(fc.array(arbSensorPoint, { maxLength: 10 }), fc.anything({ maxDepth: 1 })) }) },
    { weight: 1, arbitrary: fc.anything({ maxDepth: 3 }) },
  )
  return fc.record({
    type: arbContentType(['application/json', 'application/msgpack', 'application/x-msgpack', 'application/vnd.msgpack']),
    body: fc.oneof(
      { weight: 4, arbitrary: json.map((v) => ({ json: v })) },
      { weight: 1, arbitrary: fc.uint8Array({ maxLength: 256 }).map((b) => ({ raw: b })) },
      { weight: 1, arbitrary: fc.constantFrom('', '{', '[', 'null', '[[[[[[[[[[', '{"points":{}}', '\ufeff[]').map((s) => ({ raw: new TextEncoder().encode(s) })) },
    ),
  }).map(({ type, body }) => {
    let bytes: Uint8Array
    if ('raw' in body) bytes = body.raw
    else if (type.includes('msgpack')) {
      try { bytes = packMsgpack(body.json) } catch { bytes = new Uint8Array(0) }
    } else bytes = new TextEncoder().encode(JSON.stringify(body.json, (_k, v) => (typeof v === 'bigint' ? Number(v) : v)) ?? '')
    return { method: 'POST' as const, url: '/ingest', headers: contentType(type), body: bytes }
  })
}

export function arbLiveCase(): fc.Arbitrary<HttpCase> {
  const seg = fc.oneof({ weight: 4, arbitrary: fc.integer({ min: -1, max: 24 }).map(String) }, { weight: 1, arbitrary: arbWeirdString.map(enc) })
  return fc.oneof(
    { weight: 4, arbitrary: fc.tuple(seg, seg, seg, arbQuery(['radius', 'scale', 'zoom', 'x'])).map(([z, x, y, q]) => `/live/heatmap/${z}/${x}/${y}.png${q}`) },
    { weight: 3, arbitrary: arbQuery(['bbox', 'zoom', 'limit', 'x']).map((q) => `/live/clusters${q}`) },
    { weight: 3, arbitrary: arbQuery(['bbox', 'limit', 'zoom']).map((q) => `/live/points${q}`) },
    { weight: 2, arbitrary: arbQuery(['res', 'x']).map((q) => `/live/hexagons${q}`) },
    { weight: 1, arbitrary: fc.constantFrom('/live/status', '/live/status?x=1', '/live', '/live/', '/live/heatmap/0/0/0', '/live/heatmap/0/0/0.jpg', '/live/%2e%2e/healthz', '/live/points?bbox=-180,-90,180,90&bbox=0,0,1,1') },
    { weight: 1, arbitrary: fc.tuple(fc.constantFrom('/web/', '/wasm/', '/chains/', '/faaslets/', '/docs/', '/', '/metrics/'), arbWeirdString.map(enc)).map(([a, b]) => a + b) },
  ).map((url) => ({ method: 'GET' as const, url, headers: {} }))
}

/** Any response: 2xx, or a 4xx JSON error whose code is in the registry with that very status. 5xx fails the case. */
export async function checkHttpCase(gw: Gateway, c: HttpCase): Promise<string> {
  const res = await gw.app.inject({ method: c.method, url: c.url, headers: c.headers, payload: c.body === undefined ? undefined : typeof c.body === 'string' ? c.body : Buffer.from(c.body) })
  const what = () => `${c.method} ${c.url} [${c.headers['content-type'] ?? 'no content type'}] → ${res.statusCode} ${res.body.slice(0, 300)}`
  if (res.statusCode >= 500) throw new Error(`server error: ${what()}`)
  if (res.statusCode < 400) return String(res.statusCode)
  let body: { code?: string; message?: string }
  try {
    body = res.json()
  } catch {
    throw new Error(`error response is not JSON: ${what()}`)
  }
  if (typeof body.code !== 'string' || !(body.code in ERRORS)) throw new Error(`error code not in the registry: ${what()}`)
  if (ERRORS[body.code as keyof typeof ERRORS].status !== res.statusCode) throw new Error(`status disagrees with the registry's ${ERRORS[body.code as keyof typeof ERRORS].status}: ${what()}`)
  if (typeof body.message !== 'string' || !body.message) throw new Error(`error without a message: ${what()}`)
  return `${res.statusCode} ${body.code}`
}
