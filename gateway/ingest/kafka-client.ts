// How graticule's Kafka clients reach a cluster. One function, kafkaConfig, turns the brokers and what the cluster
// demands of its clients (TLS, SASL, timeouts) into the config of a kafkajs client, for every client graticule
// makes: the gateway's consumer, producer and admin, and `graticule sensors`. Managed Kafka (MSK, Confluent Cloud,
// Aiven, Redpanda Cloud) wants TLS and SASL (PLAIN or SCRAM); a dev broker neither. kafkajs's own log entries go
// to the gateway's logger (kafkaConnectError makes the failures people hit first say what to fix).
import { readFileSync } from 'node:fs'
import type { ConnectionOptions } from 'node:tls'
import { logLevel, type KafkaConfig, type LogEntry, type RetryOptions, type SASLOptions } from 'kafkajs'
import { fail } from '../../errors/index.js'
import { stderrLogger, type IngestLogger } from './ingest-log.js'

export const SASL_MECHANISMS = ['plain', 'scram-sha-256', 'scram-sha-512'] as const
export type SaslMechanism = (typeof SASL_MECHANISMS)[number]

export interface KafkaTlsSettings {
  /** PEM file with the CA certificate(s) that signed the brokers' certificates (default: Node's public CAs,
      which is what most managed Kafka needs) */
  ca?: string
  /** PEM files of a client certificate and its private key, for brokers that authenticate clients by TLS */
  cert?: string
  key?: string
  /** false accepts any broker certificate: for a throwaway test broker, never for real */
  rejectUnauthorized?: boolean
  /** the name the brokers' certificates are checked against (and sent as SNI), when not the host dialled */
  servername?: string
}

export interface KafkaSaslSettings {
  /** one of SASL_MECHANISMS in any case ('SCRAM-SHA-256', as Kafka's documentation writes it, works too);
      a string, because it comes from flags and files: anything else is refused with E_BAD_CONFIG */
  mechanism: string
  username: string
  password: string
}

/** What a cluster demands of each of its clients: the same for all of graticule's clients of that cluster. */
export interface KafkaClientSettings {
  /** TLS: true to trust Node's public CAs, or the details */
  ssl?: boolean | KafkaTlsSettings
  sasl?: KafkaSaslSettings
  /** to open a connection, TLS handshake included (default 1 s; 5 s with TLS: a remote cluster's handshake takes
      several round trips) */
  connectionTimeoutMs?: number
  /** for the SASL exchange (default 10 s) */
  authenticationTimeoutMs?: number
}

/** What differs between graticule's clients of one cluster. */
export interface KafkaClientRole {
  clientId: string
  retry?: RetryOptions
  /** where kafkajs's own entries go (default: its errors, as lines on stderr); null: nowhere */
  log?: IngestLogger | null
}

const TLS_CONNECTION_TIMEOUT_MS = 5_000

/** Errors name the settings as `graticule serve` does (its flags and configuration file keys). */
const SETTING = {
  brokers: 'kafka', tls: 'kafka-tls', ca: 'kafka-ca', cert: 'kafka-cert', key: 'kafka-key',
  mechanism: 'kafka-sasl', username: 'kafka-username', password: 'kafka-password',
} as const

/** The kafkajs config for one client. Throws E_BAD_CONFIG for settings that cannot work (before any connection). */
export function kafkaConfig(brokers: string[], settings: KafkaClientSettings, role: KafkaClientRole): KafkaConfig {
  if (!brokers.length || brokers.some((b) => !/^[^\s:]+:\d+$/.test(b))) {
    throw fail('E_BAD_CONFIG', SETTING.brokers, `expected host:port[,host:port], got "${brokers.join(',')}"`)
  }
  const ssl = tlsOptions(settings.ssl)
  const connectionTimeout = settings.connectionTimeoutMs ?? (ssl ? TLS_CONNECTION_TIMEOUT_MS : undefined)
  return {
    brokers,
    clientId: role.clientId,
    ...(ssl ? { ssl } : {}),
    ...(settings.sasl ? { sasl: saslOptions(settings.sasl) } : {}),
    ...(connectionTimeout !== undefined ? { connectionTimeout } : {}),
    ...(settings.authenticationTimeoutMs !== undefined ? { authenticationTimeout: settings.authenticationTimeoutMs } : {}),
    ...(role.retry ? { retry: role.retry } : {}),
    ...kafkajsLogging(role.log === undefined ? stderrLogger : role.log),
  }
}

function saslOptions(sasl: KafkaSaslSettings): SASLOptions {
  const mechanism = String(sasl.mechanism ?? '').toLowerCase() as SaslMechanism
  if (!SASL_MECHANISMS.includes(mechanism)) {
    throw fail('E_BAD_CONFIG', SETTING.mechanism, `"${sasl.mechanism ?? ''}" is not one of ${SASL_MECHANISMS.join(', ')}`)
  }
  if (!sasl.username) throw fail('E_BAD_CONFIG', SETTING.username, `SASL ${mechanism.toUpperCase()} needs a user name`)
  if (!sasl.password) throw fail('E_BAD_CONFIG', SETTING.password, `SASL ${mechanism.toUpperCase()} needs a password (user "${sasl.username}")`)
  return { mechanism, username: sasl.username, password: sasl.password }
}

function tlsOptions(ssl: KafkaClientSettings['ssl']): ConnectionOptions | true | undefined {
  if (!ssl) return undefined
  if (ssl === true) return true
  if ((ssl.cert === undefined) !== (ssl.key === undefined)) throw fail('E_BAD_CONFIG', ssl.cert === undefined ? SETTING.cert : SETTING.key, `a client certificate needs its key, and a key its certificate`)
  return {
    ...(ssl.ca !== undefined ? { ca: [readPem(ssl.ca, SETTING.ca, 'CERTIFICATE')] } : {}),
    ...(ssl.cert !== undefined ? { cert: readPem(ssl.cert, SETTING.cert, 'CERTIFICATE') } : {}),
    ...(ssl.key !== undefined ? { key: readPem(ssl.key, SETTING.key, 'PRIVATE KEY') } : {}),
    ...(ssl.rejectUnauthorized !== undefined ? { rejectUnauthorized: ssl.rejectUnauthorized } : {}),
    ...(ssl.servername ? { servername: ssl.servername } : {}),
  }
}

/** A PEM file's text, refused early (with its path) when it cannot be read or holds no `what` block. */
function readPem(path: string, setting: string, what: string): string {
  let text: string
  try {
    text = readFileSync(path, 'utf8')
  } catch (e) {
    throw fail('E_BAD_CONFIG', setting, `cannot read ${path} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`)
  }
  if (!new RegExp(`-----BEGIN [A-Z ]*${what}-----`).test(text)) throw fail('E_BAD_CONFIG', setting, `${path} holds no PEM ${what}`)
  return text
}

// ------------------------------------------------------------------------------------------- kafkajs's logs

/**
 * kafkajs logs as errors what it then retries (a broker away, a group rebalancing): those come out as warnings,
 * the gateway's own lines (kafka link lost, publishing failed) say when it matters. Its INFO is chatter: debug.
 */
function kafkajsLogging(log: IngestLogger | null): Pick<KafkaConfig, 'logLevel' | 'logCreator'> {
  if (!log) return { logLevel: logLevel.NOTHING }
  return {
    logLevel: kafkajsLevel(log.level),
    logCreator: () => (entry: LogEntry) => {
      const { message, timestamp: _time, logger: _logger, ...fields } = entry.log
      const error = typeof fields.error === 'string' && !String(message).includes(fields.error) ? `: ${fields.error}` : ''
      const broker = typeof fields.broker === 'string' ? ` (broker ${fields.broker})` : ''
      const text = `kafkajs [${entry.namespace}] ${message}${error}${broker}`
      if (entry.level <= logLevel.WARN) log.warn({ kafkajs: entry.namespace, ...fields }, text)
      else log.debug({ kafkajs: entry.namespace, ...fields }, text)
    },
  }
}

/** The most kafkajs says that the logger at `level` prints (no level known: errors only, as before). */
function kafkajsLevel(level: string | undefined): logLevel {
  switch (level) {
    case 'trace':
    case 'debug':
      return logLevel.INFO
    case 'info':
    case 'warn':
      return logLevel.WARN
    case 'error':
    case 'fatal':
    case 'silent':
      return logLevel.NOTHING
    default:
      return logLevel.ERROR
  }
}

// ------------------------------------------------------------------------------------ failures to connect

/** Tells why a client could not reach the cluster so that the fix is plain; the kafkajs error is its cause. */
export function kafkaConnectError(err: unknown, brokers: string[], settings: KafkaClientSettings): Error {
  const at = `Kafka ${brokers.join(',')}`
  const chain = causes(err)
  const message = chain.map((e) => e.message).find(Boolean) ?? String(err)
  const sasl = settings.sasl
  let text: string
  if (chain.some((e) => e.name === 'KafkaJSSASLAuthenticationError')) {
    const mechanism = String(sasl?.mechanism ?? '').toUpperCase()
    text = `${at} refused ${mechanism} authentication as "${sasl?.username ?? ''}": ${message} (check the user name, password and mechanism)`
  } else if (chain.some((e) => TLS_UNTRUSTED.test(e.message) || TLS_UNTRUSTED.test(String((e as NodeJS.ErrnoException).code ?? '')))) {
    text = `${at}: the brokers' TLS certificate is not trusted: ${message} (${SETTING.ca}: the CA that signed it)`
  } else if ((!settings.ssl || !sasl) && chain.some((e) => CLOSED.test(e.message))) {
    const missing = [!settings.ssl && `TLS (${SETTING.tls})`, !sasl && `SASL (${SETTING.mechanism})`].filter(Boolean).join(' or ')
    text = `${at}: ${message} (does the listener want ${missing}?)`
  } else {
    text = `${at}: ${message}`
  }
  return new Error(text, { cause: err })
}

const TLS_UNTRUSTED = /self[- ]signed certificate|unable to (get local issuer|verify)|certificate has expired|does not match certificate|ERR_TLS_CERT_ALTNAME_INVALID|CERT_/i
const CLOSED = /closed connection|ECONNRESET|socket hang up|timeout/i

function causes(err: unknown): Error[] {
  const out: Error[] = []
  for (let e = err; e instanceof Error && out.length < 8 && !out.includes(e); e = (e as { cause?: unknown }).cause ?? (e as { originalError?: unknown }).originalError) out.push(e)
  return out
}
