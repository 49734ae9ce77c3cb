// The options of `graticule serve --role edge`, declared once (spread into SERVE_OPTIONS), and the one mapping from
// them to the gateway's EdgeOptions. The tile set and topic options are the cloud's too: edges and cloud must agree
// on them (tileSetOption). The upstream cluster has TLS and SASL options of its own, --upstream-* beside --kafka-*:
// the local Kafka and the cloud's are rarely secured alike. Only light modules are imported (help loads no kafkajs).
import type { OptionTable, OptionValues } from '../options.js'
import { numberOption, UsageError } from '../options.js'
import { KAFKA_CLIENT_OPTIONS, kafkaClientSettings } from './kafka-options.js'
import { DEFAULT_SPOOL_MAX_BYTES, DEFAULT_TILE_SET, UPLINK_KINDS, type UplinkKind } from '../../gateway/edge/defaults.js'
import { SPOOL_FULL_POLICIES, type SpoolFullPolicy } from '../../gateway/edge/spool.js'
import { EDGE_TOPICS, type TileSet } from '../../gateway/partials/partial.js'
import type { EdgeOptions } from '../../gateway/edge/edge.js'

export const EDGE_OPTIONS = {
  upstream: { type: 'string', value: 'host:port[,host:port]', env: 'GRATICULE_UPSTREAM', describe: "--role edge: the cloud's Kafka brokers, where a partial of every closed window goes" },
  'edge-id': { type: 'string', value: 'id', env: 'GRATICULE_EDGE_ID', describe: "--role edge: this edge's name upstream (default: the host name); instances of one site sharing its local Kafka group share it" },
  uplink: { type: 'string', choices: UPLINK_KINDS, default: 'partials', describe: "--role edge: send each window's partial (density grid and cluster summaries), or its raw points" },
  'spool-dir': { type: 'string', value: 'dir', env: 'GRATICULE_SPOOL_DIR', describe: '--role edge: where partials wait until the upstream has them (default ~/.graticule/spool/<edge id>)' },
  'spool-max-bytes': { type: 'string', value: 'bytes', default: String(DEFAULT_SPOOL_MAX_BYTES), describe: '--role edge: most bytes of partials the spool keeps waiting' },
  'spool-full': { type: 'string', choices: SPOOL_FULL_POLICIES, default: 'block', describe: '--role edge, a full spool: block (windows wait, uncommitted, for the uplink) or drop-oldest (the oldest partials are dropped, counted)' },
  'grid-bbox': { type: 'string', value: 'w,s,e,n', describe: "edge and cloud: the area of the partials' density grid, in degrees (default: the world, -180,-85.0511,180,85.0511)" },
  'grid-zoom': { type: 'string', value: 'z', default: String(DEFAULT_TILE_SET.zoom), describe: "edge and cloud: the grid's tile zoom (at most 256 tiles of the bbox)" },
  'grid-size': { type: 'string', value: 'cells', default: String(DEFAULT_TILE_SET.size), describe: 'edge and cloud: grid cells along a tile side' },
  'grid-radius': { type: 'string', value: 'cells', default: String(DEFAULT_TILE_SET.radius), describe: "edge and cloud: the density kernel's radius in grid cells" },
  'grid-kernel': { type: 'string', choices: ['quartic', 'gaussian'], default: DEFAULT_TILE_SET.kernel, describe: "edge and cloud: the density kernel's shape" },
  'partials-topic': { type: 'string', value: 'topic', default: EDGE_TOPICS.partials, describe: "edge and cloud: the upstream topic of the edges' window partials" },
  'edges-topic': { type: 'string', value: 'topic', default: EDGE_TOPICS.edges, describe: "edge and cloud: the upstream topic of the edges' heartbeats (compacted)" },
  'upstream-tls': { type: 'boolean', describe: 'connect to the upstream Kafka over TLS' },
  'upstream-ca': { type: 'string', value: 'file.pem', describe: 'CA certificate(s) to trust for the upstream TLS; implies --upstream-tls' },
  'upstream-cert': { type: 'string', value: 'file.pem', describe: 'client certificate for the upstream TLS; implies --upstream-tls' },
  'upstream-key': { type: 'string', value: 'file.pem', describe: 'private key of --upstream-cert' },
  'upstream-sasl': { type: 'string', value: 'mechanism', describe: 'upstream SASL mechanism: plain, scram-sha-256 or scram-sha-512' },
  'upstream-username': { type: 'string', value: 'name', env: 'GRATICULE_UPSTREAM_USERNAME', describe: 'upstream SASL user name' },
  'upstream-password': { type: 'string', value: 'secret', env: 'GRATICULE_UPSTREAM_PASSWORD', describe: 'upstream SASL password (prefer the environment)' },
} satisfies OptionTable

/** A whole number option (the parser checked the rest). */
function intOption(values: OptionValues, name: string): number | undefined {
  const n = numberOption(values, name)
  if (n !== undefined && !Number.isInteger(n)) throw new UsageError(`--${name} must be a whole number, got "${String(values[name])}"`)
  return n
}

/** The tile set of --grid-*: what an edge grids its windows on and the cloud merges. */
export function tileSetOption(values: OptionValues): TileSet {
  let bbox = DEFAULT_TILE_SET.bbox
  const text = values['grid-bbox']
  if (typeof text === 'string') {
    const v = text.split(',').map((s) => Number(s.trim()))
    if (v.length !== 4 || v.some((x) => !Number.isFinite(x)) || v[0] >= v[2] || v[1] >= v[3]) throw new UsageError(`--grid-bbox must be w,s,e,n in degrees with w < e and s < n, got "${text}"`)
    bbox = [v[0], v[1], v[2], v[3]]
  }
  return {
    bbox, zoom: intOption(values, 'grid-zoom') ?? DEFAULT_TILE_SET.zoom, size: intOption(values, 'grid-size') ?? DEFAULT_TILE_SET.size,
    radius: numberOption(values, 'grid-radius') ?? DEFAULT_TILE_SET.radius, kernel: (values['grid-kernel'] as TileSet['kernel'] | undefined) ?? DEFAULT_TILE_SET.kernel,
  }
}

/** The edge role's options; undefined for the other roles (refusing --upstream there: it would do nothing). */
export function edgeOptionsOf(values: OptionValues): EdgeOptions | undefined {
  if (values.role !== 'edge') {
    if (values.upstream) throw new UsageError('--upstream is for --role edge')
    return undefined
  }
  const upstream = typeof values.upstream === 'string' ? values.upstream.split(',').map((s) => s.trim()).filter(Boolean) : []
  if (!upstream.length) throw new UsageError("--role edge needs --upstream host:port (the cloud's Kafka)")
  // the upstream's own TLS and SASL: the --upstream-* values read as kafka-options reads --kafka-*
  const client = kafkaClientSettings(Object.fromEntries(Object.keys(KAFKA_CLIENT_OPTIONS).map((k) => [k, values[k.replace(/^kafka-/, 'upstream-')]])))
  return {
    upstream, client,
    ...(typeof values['edge-id'] === 'string' ? { edgeId: values['edge-id'] } : {}),
    uplink: values.uplink as UplinkKind, // one of its choices (the parser checked)
    ...(typeof values['spool-dir'] === 'string' ? { spoolDir: values['spool-dir'] } : {}),
    spoolMaxBytes: numberOption(values, 'spool-max-bytes'),
    spoolFull: values['spool-full'] as SpoolFullPolicy,
    tileSet: tileSetOption(values),
    topics: { partials: values['partials-topic'] as string, edges: values['edges-topic'] as string },
  }
}
