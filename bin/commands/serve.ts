// graticule serve: the gateway on 127.0.0.1:8080 by default, fed by the built-in simulator unless --kafka.
// Settings come from flags, then the environment, then the configuration file (--config), then defaults.
import { buildGateway } from '../../gateway/app.js'
import type { Scope } from '../../gateway/access.js'
import { DEFAULT_SIMULATOR } from '../../gateway/ingest/simulator-source.js'
import type { LogLevel } from '../../gateway/logging.js'
import { loadConfigFile } from '../config-file.js'
import { numberOption, parseOptions } from '../options.js'
import { SERVE_OPTIONS } from './serve-options.js'
import { kafkaClientSettings } from './kafka-options.js'
import { edgeOptionsOf } from './edge-options.js'
import { cloudOptionsOf } from './cloud-options.js'

/** A list option's items: repeated flags, comma lists, or a YAML list in the file. */
const items = (v: string[] | undefined): string[] | undefined => v?.flatMap((s) => s.split(',')).map((s) => s.trim()).filter(Boolean)

export async function serveCommand(args: string[]): Promise<number> {
  const first = parseOptions(SERVE_OPTIONS, args)
  const configPath = first.values.config
  const fileKeys = Object.entries(SERVE_OPTIONS).filter(([, s]) => !('noFile' in s && s.noFile)).map(([k]) => k)
  const file = configPath ? loadConfigFile(configPath, fileKeys) : { flags: {} }
  const { values } = configPath ? parseOptions(SERVE_OPTIONS, args, { file: file.flags }) : first
  const num = (name: keyof typeof SERVE_OPTIONS) => numberOption(values, name)

  // the cloud role reads the edges' partials from --kafka, not sensor points
  const cloud = cloudOptionsOf(values)
  const kafka = values.kafka && !cloud ? {
    brokers: values.kafka.split(','), topic: values.topic, resultsTopic: values['results-topic'], groupId: values.group,
    stallMs: num('kafka-stall-ms'), replaceAfterMs: num('kafka-replace-ms'), client: kafkaClientSettings(values),
  } : null
  // chains and faaslets in Kafka topics every gateway reads: on the --registry-kafka brokers, else the --kafka ones
  const registryBrokers = values['no-registry'] ? undefined : (values['registry-kafka'] ?? values.kafka)
  const registry = registryBrokers ? {
    brokers: registryBrokers.split(','), chainsTopic: values['registry-chains-topic'], faasletsTopic: values['registry-faaslets-topic'], client: kafkaClientSettings(values),
  } : null
  const edge = edgeOptionsOf(values)
  const useSimulator = values['no-simulator'] || cloud ? false : Boolean(values.simulator) || !kafka
  const host = values.host
  const access = {
    tenants: file.tenants, tokens: file.tokens, bindHost: host,
    anonymous: items(values.anonymous) as Scope[] | undefined, // its choices (the parser checked)
    allowedHosts: items(values['allowed-hosts']),
  }
  const gateway = await buildGateway({
    workers: num('workers'),
    token: values.token, access, insecure: Boolean(values.insecure),
    chainsDir: values['chains-dir'],
    faasletsDir: values['faaslets-dir'],
    deployTimeLimitMs: num('deploy-time-limit-ms'),
    registry,
    logLevel: values['log-level'] as LogLevel, // one of its choices (the parser checked)
    corsOrigins: items(values['cors-origins']),
    limits: { bodyLimit: num('body-limit'), maxPointsPerRequest: num('max-points') },
    edge,
    cloud,
    ingestion: cloud ? null : {
      windows: { sizeMs: num('window-ms'), allowedLatenessMs: num('lateness-ms') },
      idleFlushMs: num('idle-flush-ms'),
      maxSensors: num('max-sensors'),
      kafka,
      simulator: useSimulator ? { ...DEFAULT_SIMULATOR, sensors: num('sensors') ?? DEFAULT_SIMULATOR.sensors, rate: num('rate') ?? DEFAULT_SIMULATOR.rate } : null,
    },
  })
  const port = num('port')! // it has a default
  await gateway.app.listen({ host, port })
  const addr = gateway.app.server.address()
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${typeof addr === 'object' && addr ? addr.port : port}`
  console.log(`graticule: serving on ${url} (map ${url}/, API ${url}/docs, metrics ${url}/metrics)`)
  const sources = [kafka ? `Kafka ${kafka.brokers.join(',')} topic ${kafka.topic}` : '', useSimulator ? 'the built-in simulator' : ''].filter(Boolean)
  if (cloud) console.log(`graticule: cloud: merging edge partials from Kafka ${cloud.brokers.join(',')} topic ${gateway.cloud!.topics.partials} into ${gateway.cloud!.topics.global}`)
  else console.log(`graticule: sensor points from ${[...sources, 'POST /ingest'].join(', ')}`)
  if (edge) {
    const s = gateway.ctx.edge!.status()
    console.log(`graticule: edge ${s.edge}: window ${s.uplink.kind} to Kafka ${edge.upstream.join(',')} topic ${s.uplink.topics.partials}, spooled in ${s.spool.dir} (${s.spool.records} waiting)`)
  }
  if (registry) console.log(`graticule: chains and faaslets in Kafka ${registry.brokers.join(',')} topics ${registry.chainsTopic} and ${registry.faasletsTopic}`)
  await new Promise<void>((resolve) => {
    let stopping = false
    const stop = (signal: string) => {
      if (stopping) return
      stopping = true
      console.log(`graticule: ${signal}: publishing closed windows, committing and stopping`)
      gateway.close().then(resolve, (e) => { console.error(`graticule: shutdown: ${(e as Error).message}`); resolve() })
    }
    process.once('SIGTERM', () => stop('SIGTERM'))
    process.once('SIGINT', () => stop('SIGINT'))
  })
  return 0
}
