// How the CLI reaches Kafka securely: the same flags for `serve` and `sensors`, declared once, and the one
// mapping from them to the client settings (gateway/ingest/kafka-client.ts validates them).
import type { OptionTable, OptionValues } from '../options.js'
import type { KafkaClientSettings } from '../../gateway/ingest/kafka-client.js'

export const KAFKA_CLIENT_OPTIONS = {
  'kafka-tls': { type: 'boolean', describe: 'connect to Kafka over TLS' },
  'kafka-ca': { type: 'string', value: 'file.pem', describe: "CA certificate(s) to trust for Kafka TLS (default: the system's); implies --kafka-tls" },
  'kafka-cert': { type: 'string', value: 'file.pem', describe: 'client certificate for Kafka TLS (mutual TLS); implies --kafka-tls' },
  'kafka-key': { type: 'string', value: 'file.pem', describe: 'private key of --kafka-cert' },
  'kafka-sasl': { type: 'string', value: 'mechanism', describe: 'SASL mechanism: plain, scram-sha-256 or scram-sha-512' },
  'kafka-username': { type: 'string', value: 'name', env: 'GRATICULE_KAFKA_USERNAME', describe: 'SASL user name' },
  'kafka-password': { type: 'string', value: 'secret', env: 'GRATICULE_KAFKA_PASSWORD', describe: 'SASL password (prefer the environment: a flag shows in ps)' },
} satisfies OptionTable

export function kafkaClientSettings(values: OptionValues): KafkaClientSettings {
  const str = (k: keyof typeof KAFKA_CLIENT_OPTIONS) => values[k] as string | undefined
  const files = { ca: str('kafka-ca'), cert: str('kafka-cert'), key: str('kafka-key') }
  const given = Object.fromEntries(Object.entries(files).filter(([, v]) => v !== undefined))
  const sasl = str('kafka-sasl')
  return {
    ...(values['kafka-tls'] || Object.keys(given).length ? { ssl: Object.keys(given).length ? given : true } : {}),
    ...(sasl ? { sasl: { mechanism: sasl, username: str('kafka-username') ?? '', password: str('kafka-password') ?? '' } } : {}),
  }
}
