// The options of `graticule sensors`, declared once: its parser and help come from here.
import type { OptionTable } from '../options.js'
import { KAFKA_CLIENT_OPTIONS } from './kafka-options.js'

export const SENSOR_FORMATS = ['json', 'msgpack'] as const
/** how late a --late point arrives */
export const LATE_MS = 500

export const SENSORS_OPTIONS = {
  kafka: { type: 'string', value: 'host:port[,host:port]', required: true, describe: 'Kafka brokers to produce to' },
  ...KAFKA_CLIENT_OPTIONS,
  topic: { type: 'string', value: 'topic', default: 'graticule.sensors', describe: 'topic to produce to' },
  rate: { type: 'string', value: 'points/s', default: '10000', describe: 'points per second, over all sensors' },
  sensors: { type: 'string', value: 'n', default: '2000', describe: 'number of simulated sensors' },
  duration: { type: 'string', value: 's', default: '0', describe: 'stop after this many seconds (0: at Ctrl-C)' },
  batch: { type: 'string', value: 'n', default: '100', describe: 'points per Kafka record' },
  format: { type: 'string', choices: SENSOR_FORMATS, default: 'json', describe: 'encoding of a record' },
  columns: { type: 'boolean', default: false, describe: 'a record holds columns (lon[], lat[], …) instead of rows' },
  seed: { type: 'string', value: 'n', default: '7', describe: 'seed of the simulator: the same seed, the same sensors' },
  late: { type: 'string', value: 'fraction', default: '0', describe: `fraction of points sent ${LATE_MS} ms late` },
  duplicates: { type: 'string', value: 'fraction', default: '0', describe: 'fraction of points sent twice' },
} satisfies OptionTable
