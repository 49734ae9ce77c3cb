// graticule serve: the gateway on 127.0.0.1:8080 by default, fed by the built-in simulator unless --kafka.
import { parseArgs } from 'node:util'
import { homedir } from 'node:os'
import { join } from 'node:path'
import { buildGateway } from '../../gateway/app.js'
import { DEFAULT_SIMULATOR } from '../../gateway/ingest/simulator-source.js'

export async function serveCommand(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      host: { type: 'string', default: '127.0.0.1' },
      port: { type: 'string', default: '8080' },
      kafka: { type: 'string' },
      topic: { type: 'string', default: 'graticule.sensors' },
      'results-topic': { type: 'string', default: 'graticule.results' },
      group: { type: 'string', default: 'graticule' },
      simulator: { type: 'boolean' },
      'no-simulator': { type: 'boolean' },
      sensors: { type: 'string' },
      rate: { type: 'string' },
      'window-ms': { type: 'string', default: '5000' },
      'lateness-ms': { type: 'string', default: '1000' },
      'idle-flush-ms': { type: 'string' },
      'kafka-stall-ms': { type: 'string' },
      'kafka-replace-ms': { type: 'string' },
      workers: { type: 'string' },
      'chains-dir': { type: 'string', default: process.env.GRATICULE_CHAINS_DIR ?? join(homedir(), '.graticule', 'chains') },
      'faaslets-dir': { type: 'string', default: process.env.GRATICULE_FAASLETS_DIR ?? join(homedir(), '.graticule', 'faaslets') },
      log: { type: 'boolean', default: false },
    },
    strict: true,
  })
  const num = (v: string | undefined, name: string) => {
    if (v === undefined) return undefined
    const n = Number(v)
    if (!Number.isFinite(n) || n < 0) throw new Error(`--${name} must be a non-negative number, got "${v}"`)
    return n
  }
  const kafka = values.kafka ? {
    brokers: values.kafka.split(','), topic: values.topic, resultsTopic: values['results-topic'], groupId: values.group,
    stallMs: num(values['kafka-stall-ms'], 'kafka-stall-ms'), replaceAfterMs: num(values['kafka-replace-ms'], 'kafka-replace-ms'),
  } : null
  const useSimulator = values['no-simulator'] ? false : values.simulator || !kafka
  const gateway = await buildGateway({
    workers: num(values.workers, 'workers'),
    token: process.env.GRATICULE_TOKEN || undefined,
    chainsDir: values['chains-dir'],
    faasletsDir: values['faaslets-dir'],
    logLevel: values.log ? 'info' : false,
    ingestion: {
      windows: { sizeMs: num(values['window-ms'], 'window-ms'), allowedLatenessMs: num(values['lateness-ms'], 'lateness-ms') },
      idleFlushMs: num(values['idle-flush-ms'], 'idle-flush-ms'),
      kafka,
      simulator: useSimulator ? { ...DEFAULT_SIMULATOR, sensors: num(values.sensors, 'sensors') ?? DEFAULT_SIMULATOR.sensors, rate: num(values.rate, 'rate') ?? DEFAULT_SIMULATOR.rate } : null,
    },
  })
  const port = num(values.port, 'port') ?? 8080
  await gateway.app.listen({ host: values.host, port })
  const addr = gateway.app.server.address()
  const url = `http://${values.host}:${typeof addr === 'object' && addr ? addr.port : port}`
  console.log(`graticule: serving on ${url} (map ${url}/, API ${url}/docs, metrics ${url}/metrics)`)
  console.log(`graticule: sensor stream from ${kafka ? `Kafka ${kafka.brokers.join(',')} topic ${kafka.topic}` : ''}${kafka && useSimulator ? ' and ' : ''}${useSimulator ? 'the built-in simulator' : ''}`)
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
