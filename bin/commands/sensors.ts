// graticule sensors --kafka <brokers>: streams the simulator's sensor points into Kafka.
import { parseArgs } from 'node:util'
import { SensorSimulator } from '../../gateway/ingest/simulator.js'
import { SensorProducer } from '../../gateway/ingest/sensor-producer.js'

export async function sensorsCommand(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      kafka: { type: 'string' }, topic: { type: 'string', default: 'graticule.sensors' },
      rate: { type: 'string', default: '10000' }, sensors: { type: 'string', default: '2000' },
      duration: { type: 'string', default: '0' }, batch: { type: 'string', default: '100' },
      format: { type: 'string', default: 'json' }, seed: { type: 'string', default: '7' },
      late: { type: 'string', default: '0' }, duplicates: { type: 'string', default: '0' },
      columns: { type: 'boolean', default: false },
    },
  })
  if (!values.kafka) throw new Error('usage: graticule sensors --kafka <host:port> [--topic] [--rate N/s] [--sensors N] [--duration s] [--batch N]')
  const rate = Number(values.rate), sensors = Number(values.sensors), duration = Number(values.duration), batch = Number(values.batch)
  if (!(rate > 0) || !(sensors >= 1) || !(duration >= 0) || !(batch >= 1)) throw new Error('--rate, --sensors and --batch must be positive, --duration >= 0')
  if (values.format !== 'json' && values.format !== 'msgpack') throw new Error('--format is json or msgpack')
  const sim = new SensorSimulator({
    sensors, seed: Number(values.seed), startTs: Date.now(), intervalMs: (sensors / rate) * 1000,
    lateFraction: Number(values.late), lateMs: 500, duplicateFraction: Number(values.duplicates),
  })
  const producer = new SensorProducer({ brokers: values.kafka.split(','), topic: values.topic, batch, format: values.format, layout: values.columns ? 'columns' : 'rows' })
  await producer.connect()
  const started = Date.now()
  let stop = false
  process.once('SIGINT', () => { stop = true })
  process.once('SIGTERM', () => { stop = true })
  let lastLine = 0
  while (!stop && (duration === 0 || Date.now() - started < duration * 1000)) {
    const points = sim.until(Date.now())
    if (points.length) await producer.send(points)
    const now = Date.now()
    if (now - lastLine >= 1000 || stop) {
      lastLine = now
      const secs = (now - started) / 1000
      process.stderr.write(`\rgraticule sensors: ${producer.sentPoints.toLocaleString('en')} points in ${producer.sentRecords.toLocaleString('en')} records, ${(producer.sentPoints / Math.max(secs, 0.001)).toFixed(0)} points/s, ${secs.toFixed(0)} s   `)
    }
    if (points.length === 0) await new Promise((r) => setTimeout(r, 20))
  }
  process.stderr.write('\n')
  await producer.disconnect()
  console.log(JSON.stringify({ points: producer.sentPoints, records: producer.sentRecords, seconds: (Date.now() - started) / 1000 }))
  return 0
}
