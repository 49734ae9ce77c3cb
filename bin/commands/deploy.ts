// graticule deploy <file.wasm> --name <name> [--manifest m.json] [--url http://127.0.0.1:8080]: sends a
// module to a running gateway (PUT /faaslets/:name), which checks it before it can ever run.
import { readFileSync } from 'node:fs'
import { withCustomSection } from '../../faaslets/abi/inspect.js'
import { MANIFEST_SECTION } from '../../faaslets/deploy.js'
import { parseOptions } from '../options.js'
import { DEPLOY_OPTIONS, DEPLOY_POSITIONALS } from './deploy-options.js'

export async function deployCommand(args: string[]): Promise<number> {
  const { values, positionals: [file] } = parseOptions(DEPLOY_OPTIONS, args, { positionals: DEPLOY_POSITIONALS })
  let bytes: Uint8Array = new Uint8Array(readFileSync(file))
  if (values.manifest) bytes = withCustomSection(bytes, MANIFEST_SECTION, new Uint8Array(readFileSync(values.manifest)))
  const headers: Record<string, string> = { 'content-type': 'application/wasm' }
  if (values.token) headers.authorization = `Bearer ${values.token}`
  const url = `${values.url.replace(/\/$/, '')}/faaslets/${encodeURIComponent(values.name)}`
  let res: Response
  try {
    res = await fetch(url, { method: 'PUT', headers, body: bytes as Uint8Array<ArrayBuffer> })
  } catch (e) {
    // fetch says only "fetch failed"; the reason (ECONNREFUSED, ENOTFOUND, …) is its cause
    const cause = (e as Error).cause as NodeJS.ErrnoException | undefined
    throw new Error(`cannot reach the gateway at ${values.url}: ${cause?.code ?? cause?.message ?? (e as Error).message}`)
  }
  const body = (await res.json().catch(() => ({ code: `HTTP ${res.status}`, message: res.statusText }))) as { code?: string; message?: string; slot?: number; replaced?: boolean }
  if (!res.ok) {
    console.error(`graticule: ${body.code}: ${body.message}`)
    return 1
  }
  console.log(`graticule: deployed ${values.name} (slot ${body.slot}${body.replaced ? ', replaced the previous version' : ''}) to ${values.url}`)
  return 0
}
