// The options of `graticule serve --role cloud` (spread into SERVE_OPTIONS) and the one mapping from them to the
// gateway's CloudOptions. The tile set (--grid-*) and the partials and edges topics are the edges' options: edges
// and cloud must agree on them (edge-options.ts). Only light modules are imported (help loads no kafkajs).
import type { OptionTable, OptionValues } from '../options.js'
import { numberOption, UsageError } from '../options.js'
import { kafkaClientSettings } from './kafka-options.js'
import { tileSetOption } from './edge-options.js'
import { CLOUD_GROUP, DEFAULT_KEEP_WINDOWS } from '../../gateway/cloud/defaults.js'
import type { CloudOptions } from '../../gateway/cloud/cloud.js'
import { EDGE_TOPICS } from '../../gateway/partials/partial.js'

/** --group's default (serve-options.ts): the group of the gateways that read sensor points */
const SENSOR_GROUP = 'graticule'

export const CLOUD_OPTIONS = {
  'global-topic': { type: 'string', value: 'topic', default: EDGE_TOPICS.global, describe: '--role cloud: the compacted topic of the merged window results, which every cloud gateway reads' },
  'keep-windows': { type: 'string', value: 'n', default: String(DEFAULT_KEEP_WINDOWS), describe: '--role cloud: windows whose merged result is kept (served, and checked for duplicates)' },
} satisfies OptionTable

/** The cloud role's options; undefined for the other roles. */
export function cloudOptionsOf(values: OptionValues): CloudOptions | undefined {
  if (values.role !== 'cloud') return undefined
  const brokers = typeof values.kafka === 'string' ? values.kafka.split(',').map((s) => s.trim()).filter(Boolean) : []
  if (!brokers.length) throw new UsageError('--role cloud needs --kafka host:port (the Kafka the edges send their partials to)')
  const keep = numberOption(values, 'keep-windows')
  if (keep !== undefined && !(Number.isInteger(keep) && keep > 0)) throw new UsageError(`--keep-windows must be a whole number above 0, got "${String(values['keep-windows'])}"`)
  return {
    brokers, client: kafkaClientSettings(values), tileSet: tileSetOption(values),
    topics: { partials: values['partials-topic'] as string, edges: values['edges-topic'] as string, global: values['global-topic'] as string },
    // --group names the sensor consumers' group; left at its default, the cloud gateways' group is their own
    groupId: values.group && values.group !== SENSOR_GROUP ? (values.group as string) : CLOUD_GROUP, ...(keep !== undefined ? { keepWindows: keep } : {}),
  }
}
