// The options of `graticule serve`, declared once: serve.ts parses with this table, `graticule serve --help`,
// the top-level ENVIRONMENT section and the configuration file's keys come from it. Only light modules are
// imported (defaults from where they are declared), so help does not load fastify or kafkajs.
import { homedir } from 'node:os'
import { join } from 'node:path'
import type { OptionTable } from '../options.js'
import { KAFKA_CLIENT_OPTIONS } from './kafka-options.js'
import { EDGE_OPTIONS } from './edge-options.js'
import { CLOUD_OPTIONS } from './cloud-options.js'
import { DEPLOY_TIME_LIMIT_MS } from '../../faaslets/deploy-limits.js'
import { DEFAULT_LIMITS } from '../../gateway/context.js'
import { SCOPES } from '../../gateway/access.js'
import { DEFAULT_MAX_SENSORS } from '../../gateway/ingest/windows.js'
import { DEFAULT_LOG_LEVEL, LOG_LEVELS } from '../../gateway/logging.js'
import { DEFAULT_CHAINS_TOPIC, DEFAULT_FAASLETS_TOPIC } from '../../gateway/registry/registry-topics.js'

export const SERVE_OPTIONS = {
  config: { type: 'string', value: 'file.yaml', env: 'GRATICULE_CONFIG', noFile: true, describe: 'configuration file: any option below by its name, plus tenants and tokens (flags and environment override it)' },
  host: { type: 'string', value: 'address', default: '127.0.0.1', describe: 'address to listen on (beyond loopback only with a token, or --insecure)' },
  port: { type: 'string', value: 'port', default: '8080', describe: 'port to listen on (0 picks a free one)' },
  role: { type: 'string', choices: ['serve', 'edge', 'cloud'], default: 'serve', env: 'GRATICULE_ROLE', describe: "serve: ingest sensors and serve their live map; edge: the same, and a partial of every closed window sent upstream (--upstream); cloud: serve the edges' windows merged" },
  token: { type: 'string', value: 'token', env: 'GRATICULE_TOKEN', describe: 'a bearer token with every scope over every tenant (prefer the environment: a flag shows in ps)' },
  insecure: { type: 'boolean', describe: 'listen beyond loopback with no token (anyone who reaches it can deploy code)' },
  anonymous: { type: 'string', choices: SCOPES, multiple: true, env: 'GRATICULE_ANONYMOUS', describe: 'scopes that need no token even when tokens are set' },
  'allowed-hosts': { type: 'string', value: 'name,...', multiple: true, env: 'GRATICULE_ALLOWED_HOSTS', describe: 'Host names a loopback-bound gateway also answers (besides localhost, 127.0.0.1, ::1)' },
  'cors-origins': { type: 'string', value: 'origin,...', multiple: true, env: 'GRATICULE_CORS_ORIGINS', describe: 'origins whose pages may call the API (CORS), or * for any' },
  'body-limit': { type: 'string', value: 'bytes', default: String(DEFAULT_LIMITS.bodyLimit), describe: 'largest request body' },
  'max-points': { type: 'string', value: 'n', default: String(DEFAULT_LIMITS.maxPointsPerRequest), describe: 'most points or features in one request' },
  'deploy-time-limit-ms': { type: 'string', value: 'ms', default: String(DEPLOY_TIME_LIMIT_MS), describe: 'how long checking and compiling a deployed faaslet may take (in a worker thread)' },
  'max-sensors': { type: 'string', value: 'n', default: String(DEFAULT_MAX_SENSORS), describe: 'most distinct sensor ids the live windows keep; points of further sensors are refused and counted' },
  kafka: { type: 'string', value: 'host:port[,host:port]', env: 'GRATICULE_KAFKA', describe: 'read sensor points from these Kafka brokers instead of the built-in simulator' },
  ...KAFKA_CLIENT_OPTIONS,
  topic: { type: 'string', value: 'topic', default: 'graticule.sensors', describe: 'Kafka topic the sensor points arrive on' },
  'results-topic': { type: 'string', value: 'topic', default: 'graticule.results', describe: 'Kafka topic closed windows are published to' },
  group: { type: 'string', value: 'id', default: 'graticule', describe: 'Kafka consumer group' },
  ...EDGE_OPTIONS,
  ...CLOUD_OPTIONS,
  simulator: { type: 'boolean', describe: 'also run the built-in simulator when reading from Kafka' },
  'no-simulator': { type: 'boolean', describe: 'no simulator, even without --kafka' },
  sensors: { type: 'string', value: 'n', describe: "number of simulated sensors (default: the simulator's)" },
  rate: { type: 'string', value: 'points/s', describe: "simulated points per second (default: the simulator's)" },
  'window-ms': { type: 'string', value: 'ms', default: '5000', describe: 'length of a sensor window' },
  'lateness-ms': { type: 'string', value: 'ms', default: '1000', describe: 'how late a point may arrive and still count in its window' },
  'idle-flush-ms': { type: 'string', value: 'ms', describe: 'close windows after this long without input (default: 2000, or the lateness if longer)' },
  'kafka-stall-ms': { type: 'string', value: 'ms', describe: 'report Kafka as stalled after this long without progress (default 5000)' },
  'kafka-replace-ms': { type: 'string', value: 'ms', describe: 'replace a stalled Kafka consumer after this long (default 30000)' },
  workers: { type: 'string', value: 'n', describe: 'worker threads running faaslets (default: one per core)' },
  'registry-kafka': { type: 'string', value: 'host:port[,host:port]', env: 'GRATICULE_REGISTRY_KAFKA', describe: 'keep user chains and deployed faaslets in compacted topics on these Kafka brokers, which every gateway reads, instead of --chains-dir and --faaslets-dir (default: the --kafka brokers; the --kafka-tls and --kafka-sasl settings apply)' },
  'registry-chains-topic': { type: 'string', value: 'topic', default: DEFAULT_CHAINS_TOPIC, describe: 'compacted Kafka topic of the user chains' },
  'registry-faaslets-topic': { type: 'string', value: 'topic', default: DEFAULT_FAASLETS_TOPIC, describe: 'compacted Kafka topic of the deployed faaslets' },
  'no-registry': { type: 'boolean', describe: 'keep chains and faaslets in --chains-dir and --faaslets-dir even with --kafka' },
  'chains-dir': { type: 'string', value: 'dir', default: join(homedir(), '.graticule', 'chains'), env: 'GRATICULE_CHAINS_DIR', describe: 'where chains deployed over HTTP are kept' },
  'faaslets-dir': { type: 'string', value: 'dir', default: join(homedir(), '.graticule', 'faaslets'), env: 'GRATICULE_FAASLETS_DIR', describe: 'where faaslets deployed over HTTP are kept' },
  'log-level': { type: 'string', default: DEFAULT_LOG_LEVEL, env: 'GRATICULE_LOG_LEVEL', choices: LOG_LEVELS, describe: 'level of the JSON logs on stderr' },
} satisfies OptionTable
