// graticule deploy <file.wasm> --name <name> [--manifest m.json] [--url http://127.0.0.1:8080]: sends a
// module to a running gateway (PUT /faaslets/:name), which checks it before it can ever run.
import { readFileSync } from 'node:fs'
import { parseArgs } from 'node:util'
import { withCustomSection } from '../../faaslets/abi/inspect.js'
import { MANIFEST_SECTION } from '../../faaslets/deploy.js'

export async function deployCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args, allowPositionals: true,
    options: { name: { type: 'string' }, manifest: { type: 'string' }, url: { type: 'string', default: process.env.GRATICULE_URL ?? 'http://127.0.0.1:8080' } },
  })
  const file = positionals[0]
  if (!file || !values.name) throw new Error('usage: graticule deploy <file.wasm> --name <name> [--manifest manifest.json] [--url http://127.0.0.1:8080]')
  let bytes: Uint8Array = new Uint8Array(readFileSync(file))
  if (values.manifest) bytes = withCustomSection(bytes, MANIFEST_SECTION, new Uint8Array(readFileSync(values.manifest)))
  const headers: Record<string, string> = { 'content-type': 'application/wasm' }
  if (process.env.GRATICULE_TOKEN) headers.authorization = `Bearer ${process.env.GRATICULE_TOKEN}`
  const res = await fetch(`${values.url.replace(/\/$/, '')}/faaslets/${encodeURIComponent(values.name)}`, { method: 'PUT', headers, body: bytes as Uint8Array<ArrayBuffer> })
  const body = (await res.json()) as { code?: string; message?: string; details?: string[]; slot?: number; replaced?: boolean }
  if (!res.ok) {
    console.error(`graticule: ${body.code}: ${body.message}`)
    return 1
  }
  console.log(`graticule: deployed ${values.name} (slot ${body.slot}${body.replaced ? ', replaced the previous version' : ''}) to ${values.url}`)
  return 0
}
