// What the reliability tests build their gateways with: the bearer token, and a fresh folder for the chains they PUT.
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

export const TOKEN = 'fuzz-token'

/** A temp folder for chains PUT during a test. */
export function tempChainsDir(): string {
  return mkdtempSync(join(tmpdir(), 'graticule-fuzz-chains-'))
}
