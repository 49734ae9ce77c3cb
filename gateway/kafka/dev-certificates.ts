// A throwaway certificate authority and a broker certificate for 127.0.0.1 and localhost, made with the openssl
// command, for the TLS listener of a test broker (sasl-listener.ts). EC P-256 keys: generated in milliseconds.
import { spawnSync } from 'node:child_process'
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'

export interface DevCertificates {
  /** PEM file of the CA certificate: what clients trust */
  ca: string
  /** PEM files of the broker's certificate (signed by the CA) and its unencrypted PKCS#8 key */
  certificate: string
  key: string
}

export function makeDevCertificates(dir: string, days = 2): DevCertificates {
  mkdirSync(dir, { recursive: true })
  const f = (name: string) => join(dir, name)
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes']
  openssl(['req', '-x509', ...ec, '-keyout', f('ca.key'), '-out', f('ca.pem'), '-days', String(days), '-subj', '/CN=graticule test CA',
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign'])
  openssl(['req', ...ec, '-keyout', f('broker.key'), '-out', f('broker.csr'), '-subj', '/CN=localhost'])
  // clients check the address they dial against the certificate's names
  writeFileSync(f('broker.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n')
  openssl(['x509', '-req', '-in', f('broker.csr'), '-CA', f('ca.pem'), '-CAkey', f('ca.key'), '-CAcreateserial',
    '-out', f('broker.pem'), '-days', String(days), '-extfile', f('broker.ext')])
  return { ca: f('ca.pem'), certificate: f('broker.pem'), key: f('broker.key') }
}

function openssl(args: string[]): void {
  const r = spawnSync('openssl', args, { encoding: 'utf8' })
  if (r.error) throw new Error(`kafka: the openssl command is needed for test certificates: ${r.error.message}`)
  if (r.status !== 0) throw new Error(`kafka: openssl ${args[0]} failed (exit ${r.status}): ${r.stderr.trim()}`)
}
