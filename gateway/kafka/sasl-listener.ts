// SASL listeners for the dev/test broker, beside its PLAINTEXT one (which the broker keeps for itself and the
// readiness probe): SASL_PLAINTEXT, and SASL_SSL when a certificate is given — what managed Kafka offers, to
// test clients against. PLAIN users live in the listener's JAAS config; SCRAM users (SHA-256 and SHA-512) are
// written into the cluster metadata when the storage is formatted: KRaft has no ZooKeeper to hold them, and
// `kafka-storage format --add-scram` (Kafka 3.5+) is how a new cluster gets its first ones.
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'

export interface SaslUser {
  username: string
  password: string
}

export interface SaslListenerOptions {
  /** SASL_PLAINTEXT on 127.0.0.1:<port> */
  port: number
  /** SASL_SSL on 127.0.0.1:<tlsPort>; needs `tls` */
  tlsPort?: number
  /** PEM files of the broker's certificate (chain) and its unencrypted private key */
  tls?: { certificate: string; key: string }
  /** users of the PLAIN mechanism */
  plain?: SaslUser[]
  /** users of SCRAM-SHA-256 and SCRAM-SHA-512 */
  scram?: SaslUser[]
}

const MECHANISMS = ['PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512']
const PLAIN_MODULE = 'org.apache.kafka.common.security.plain.PlainLoginModule'
const SCRAM_MODULE = 'org.apache.kafka.common.security.scram.ScramLoginModule'
// JAAS and --add-scram have their own quoting; test credentials need none of it
const PLAIN_WORD = /^[\w.@-]{1,64}$/

/** The ports the listeners take (to check they are free). */
export function saslPorts(o: SaslListenerOptions): number[] {
  return [o.port, ...(o.tlsPort !== undefined ? [o.tlsPort] : [])]
}

/** Entries for server.properties' listeners, advertised.listeners and listener.security.protocol.map. */
export function saslListenerEntries(o: SaslListenerOptions): { listeners: string[]; protocols: string[] } {
  check(o)
  const listeners = [`SASL_PLAINTEXT://127.0.0.1:${o.port}`]
  const protocols = ['SASL_PLAINTEXT:SASL_PLAINTEXT']
  if (o.tlsPort !== undefined) {
    listeners.push(`SASL_SSL://127.0.0.1:${o.tlsPort}`)
    protocols.push('SASL_SSL:SASL_SSL')
  }
  return { listeners, protocols }
}

/**
 * The properties that make the listeners work, appended to server.properties. With TLS, the broker's key and
 * certificate go into one PEM key store file in `dataDir` (Kafka reads PEM since 2.7: no keytool needed).
 */
export function saslProperties(o: SaslListenerOptions, dataDir: string): string {
  check(o)
  const names = ['sasl_plaintext', ...(o.tlsPort !== undefined ? ['sasl_ssl'] : [])]
  const plainUsers = (o.plain ?? []).map((u) => `user_${u.username}="${u.password}"`).join(' ')
  const lines = ['', '# SASL listeners (gateway/kafka/sasl-listener.ts)', `sasl.enabled.mechanisms=${MECHANISMS.join(',')}`]
  for (const name of names) {
    lines.push(`listener.name.${name}.plain.sasl.jaas.config=${PLAIN_MODULE} required ${plainUsers};`)
    lines.push(`listener.name.${name}.scram-sha-256.sasl.jaas.config=${SCRAM_MODULE} required;`)
    lines.push(`listener.name.${name}.scram-sha-512.sasl.jaas.config=${SCRAM_MODULE} required;`)
  }
  if (o.tls) {
    const keyStore = join(dataDir, 'broker-keystore.pem')
    writeFileSync(keyStore, readFileSync(o.tls.key, 'utf8').trimEnd() + '\n' + readFileSync(o.tls.certificate, 'utf8'), { mode: 0o600 })
    lines.push('ssl.keystore.type=PEM', `ssl.keystore.location=${keyStore.replaceAll('\\', '/')}`)
  }
  return lines.join('\n') + '\n'
}

/** `StorageTool format` arguments that create the SCRAM users. */
export function scramFormatArgs(o: SaslListenerOptions): string[] {
  check(o)
  return (o.scram ?? []).flatMap((u) => ['SCRAM-SHA-256', 'SCRAM-SHA-512'].flatMap((m) => ['--add-scram', `${m}=[name=${u.username},password=${u.password}]`]))
}

function check(o: SaslListenerOptions): void {
  if ((o.tlsPort === undefined) !== (o.tls === undefined)) throw new Error('kafka: a SASL_SSL listener needs both tlsPort and tls')
  for (const u of [...(o.plain ?? []), ...(o.scram ?? [])]) {
    if (!PLAIN_WORD.test(u.username) || !PLAIN_WORD.test(u.password)) {
      throw new Error(`kafka: SASL user "${u.username}": names and passwords of the dev broker are 1-64 letters, digits and . _ @ -`)
    }
  }
}
