// `npm run kafka -- <command>`: a local single-node Kafka broker for development (see broker.ts).
//   start [--port 9092] [--data-dir DIR] [--foreground]   fetch the jars if needed, format, start, wait ready
//   stop [--port 9092]                                    stop the broker this tool started on that port
//   status [--port 9092]                                  exit 0 if running, 3 if not
//   assemble [--force]                                    only fetch the jars (Maven Central -> .kafka/lib)
import { closeSync, openSync, readSync, statSync } from 'node:fs'
import { parseArgs } from 'node:util'
import { assembleKafka, brokerStatus, readBrokerRecord, startBroker, stopBroker, type BrokerHandle } from './broker.js'

const USAGE = `usage: npm run kafka -- <start|stop|status|assemble> [--port 9092] [--data-dir DIR] [--foreground] [--force]`

async function main(argv: string[]): Promise<number> {
  const { positionals, values } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      port: { type: 'string', default: '9092' },
      'data-dir': { type: 'string' },
      foreground: { type: 'boolean', default: false },
      force: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  })
  const command = positionals[0]
  const port = Number(values.port)
  if (values.help || !command) {
    console.log(USAGE)
    return command || values.help ? 0 : 2
  }
  if (!Number.isInteger(port) || port < 1 || port > 65534) throw new Error(`bad --port ${values.port}`)

  switch (command) {
    case 'assemble': {
      const a = await assembleKafka({ force: values.force, log: console.log })
      console.log(`${a.jars} jars in ${a.libDir}${a.cached ? ' (cached)' : ''}`)
      return 0
    }
    case 'start': {
      const broker = await startBroker({ port, dataDir: values['data-dir'], log: console.log })
      console.log(`brokers=${broker.brokers} pid=${broker.pid}`)
      if (!values.foreground) return 0
      return foreground(broker)
    }
    case 'stop': {
      const record = readBrokerRecord(port)
      if (!record) {
        console.log(`no broker recorded on port ${port}`)
        return 0
      }
      const stopped = await stopBroker(record)
      console.log(stopped ? `stopped pid ${record.pid}` : `pid ${record.pid} had already exited; removed its pid file`)
      return 0
    }
    case 'status': {
      const st = await brokerStatus(port)
      if (st.running) {
        const r = st.record!
        console.log(`running: ${st.brokers} pid=${r.pid} since ${r.startedAt}`)
        console.log(`  data ${r.dataDir}\n  log  ${r.logFile}`)
      } else if (st.stale) {
        console.log(`not running (stale pid file for pid ${st.record!.pid})`)
      } else {
        console.log(`not running on port ${port}${st.listening ? ' (but something else listens there)' : ''}`)
      }
      return st.running ? 0 : 3
    }
    default:
      console.error(USAGE)
      return 2
  }
}

/** Streams the broker log until Ctrl-C / SIGTERM (then stops the broker) or until the broker exits. */
async function foreground(broker: BrokerHandle): Promise<number> {
  let stopping = false
  const stop = () => {
    if (stopping) return
    stopping = true
    console.log(`\nstopping pid ${broker.pid} ...`)
    broker.stop().then(
      () => process.exit(0),
      (err: Error) => {
        console.error(err.message)
        process.exit(1)
      },
    )
  }
  process.on('SIGINT', stop)
  process.on('SIGTERM', stop)
  let offset = statSync(broker.logFile).size
  for (;;) {
    offset = copyNewBytes(broker.logFile, offset)
    if (!stopping && !(await brokerStatus(broker.port)).running) {
      console.error(`broker pid ${broker.pid} exited`)
      return 1
    }
    await new Promise((r) => setTimeout(r, 500))
  }
}

function copyNewBytes(file: string, from: number): number {
  const size = statSync(file).size
  if (size <= from) return size
  const buf = Buffer.alloc(size - from)
  const fd = openSync(file, 'r')
  try {
    readSync(fd, buf, 0, buf.length, from)
  } finally {
    closeSync(fd)
  }
  process.stdout.write(buf)
  return size
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: Error) => {
    console.error(err.message)
    process.exit(1)
  },
)
