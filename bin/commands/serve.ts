// graticule serve: the gateway on 127.0.0.1:8080 by default, fed by the built-in simulator unless --kafka.
// Settings come from flags, then the environment, then the configuration file (--config), then defaults.
import { buildGateway } from '../../gateway/app.js'
import { Access, checkBind, type Scope } from '../../gateway/access.js'
import { DEFAULT_SIMULATOR } from '../../gateway/ingest/simulator-source.js'
import { isLogLevel, LOG_LEVELS } from '../../gateway/logging.js'
import { loadConfigFile } from '../config-file.js'
import { numberOption, parseOptions, UsageError, type OptionValues } from '../options.js'
import { SERVE_OPTIONS } from './serve-options.js'
import { kafkaClientSettings } from './kafka-options.js'

/** A list option: repeated flags, comma lists, or a YAML list in the file. */
const list = (values: OptionValues, name: string): string[] | undefined => {
  const v = values[name] as string[] | undefined
  return v?.flatMap((s) => s.split(',')).map((s) => s.trim()).filter(Boolean)
}

export async function serveCommand(args: string[]): Promise<number> {
  const first = parseOptions(SERVE_OPTIONS, args)
  const configPath = first.values.config as string | undefined
  const file = configPath ? loadConfigFile(configPath, Object.keys(SERVE_OPTIONS).filter((k) => !SERVE_OPTIONS[k].noFile)) : { flags: {} }
  const { values } = configPath ? parseOptions(SERVE_OPTIONS, args, { file: file.flags }) : first
  const num = (name: string) => numberOption(values, name)
  const str = (name: string) => values[name] as string | undefined

  const logLevel = str('log-level')!
  if (!isLogLevel(logLevel)) throw new UsageError(`--log-level must be one of ${LOG_LEVELS.join(', ')}, got "${logLevel}"`)
  const kafkaClient = kafkaClientSettings(values)
  const kafka = str('kafka') ? {
    brokers: str('kafka')!.split(','), topic: str('topic')!, resultsTopic: str('results-topic')!, groupId: str('group')!,
    stallMs: num('kafka-stall-ms'), replaceAfterMs: num('kafka-replace-ms'), client: kafkaClient,
  } : null
  const useSimulator = values['no-simulator'] ? false : Boolean(values.simulator) || !kafka
  const host = str('host')!
  const access = {
    tenants: file.tenants, tokens: file.tokens, bindHost: host,
    anonymous: list(values, 'anonymous') as Scope[] | undefined, allowedHosts: list(values, 'allowed-hosts'),
  }
  const token = str('token')
  // refuse an open gateway beyond loopback before any worker starts
  checkBind(host, new Access({ ...access, tokens: [...(access.tokens ?? []), ...(token ? [{ token, tenants: '*' as const, scopes: ['admin' as const] }] : [])] }), Boolean(values.insecure), (l) => console.error(l))

  const gateway = await buildGateway({
    workers: num('workers'),
    token, access,
    chainsDir: str('chains-dir'),
    faasletsDir: str('faaslets-dir'),
    deployTimeLimitMs: num('deploy-time-limit-ms'),
    logLevel,
    corsOrigins: list(values, 'cors-origins'),
    limits: { bodyLimit: num('body-limit'), maxPointsPerRequest: num('max-points') },
    ingestion: {
      windows: { sizeMs: num('window-ms'), allowedLatenessMs: num('lateness-ms') },
      idleFlushMs: num('idle-flush-ms'),
      maxSensors: num('max-sensors'),
      kafka,
      simulator: useSimulator ? { ...DEFAULT_SIMULATOR, sensors: num('sensors') ?? DEFAULT_SIMULATOR.sensors, rate: num('rate') ?? DEFAULT_SIMULATOR.rate } : null,
    },
  })
  const port = num('port') ?? 8080
  await gateway.app.listen({ host, port })
  const addr = gateway.app.server.address()
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${typeof addr === 'object' && addr ? addr.port : port}`
  console.log(`graticule: serving on ${url} (map ${url}/, API ${url}/docs, metrics ${url}/metrics)`)
  const sources = [kafka ? `Kafka ${kafka.brokers.join(',')} topic ${kafka.topic}` : '', useSimulator ? 'the built-in simulator' : ''].filter(Boolean)
  console.log(`graticule: sensor points from ${[...sources, 'POST /ingest'].join(', ')}`)
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
