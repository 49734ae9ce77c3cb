// graticule sensors --kafka <brokers>: streams the simulator's sensor points into Kafka.
import { SensorSimulator } from '../../gateway/ingest/simulator.js'
import { SensorProducer } from '../../gateway/ingest/sensor-producer.js'
import { kafkaClientSettings } from './kafka-options.js'
import { numberOption, parseOptions, UsageError } from '../options.js'
import { Progress } from './progress.js'
import { LATE_MS, SENSOR_FORMATS, SENSORS_OPTIONS } from './sensors-options.js'

export async function sensorsCommand(args: string[]): Promise<number> {
  const { values } = parseOptions(SENSORS_OPTIONS, args)
  const [rate, sensors, duration, batch, seed, late, duplicates] = (['rate', 'sensors', 'duration', 'batch', 'seed', 'late', 'duplicates'] as const).map((k) => numberOption(values, k)!)
  if (!(rate > 0) || !(sensors >= 1) || !(batch >= 1)) throw new UsageError('--rate, --sensors and --batch must be positive')
  if (late > 1 || duplicates > 1) throw new UsageError('--late and --duplicates are fractions between 0 and 1')
  const format = values.format as (typeof SENSOR_FORMATS)[number]
  const sim = new SensorSimulator({
    sensors, seed, startTs: Date.now(), intervalMs: (sensors / rate) * 1000,
    lateFraction: late, lateMs: LATE_MS, duplicateFraction: duplicates,
  })
  const producer = new SensorProducer({ brokers: values.kafka.split(','), topic: values.topic, batch, format, layout: values.columns ? 'columns' : 'rows', client: kafkaClientSettings(values) })
  await producer.connect()
  const started = Date.now()
  let stop = false
  process.once('SIGINT', () => { stop = true })
  process.once('SIGTERM', () => { stop = true })
  const progress = new Progress()
  const line = () => {
    const secs = (Date.now() - started) / 1000
    return `graticule sensors: ${producer.sentPoints.toLocaleString('en')} points in ${producer.sentRecords.toLocaleString('en')} records, ${(producer.sentPoints / Math.max(secs, 0.001)).toFixed(0)} points/s, ${secs.toFixed(0)} s`
  }
  while (!stop && (duration === 0 || Date.now() - started < duration * 1000)) {
    const points = sim.until(Date.now())
    if (points.length) await producer.send(points)
    progress.update(line)
    if (points.length === 0) await new Promise((r) => setTimeout(r, 20))
  }
  progress.done(line())
  await producer.disconnect()
  console.log(JSON.stringify({ points: producer.sentPoints, records: producer.sentRecords, seconds: (Date.now() - started) / 1000 }))
  return 0
}
