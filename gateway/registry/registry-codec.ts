// The records of the registry topics (kafka-registry.ts). Key: the name. Value: a chain's YAML text as UTF-8; a
// deployed faaslet as msgpack {v, manifest, wasm, sha256} — the module's bytes and the manifest exactly as the
// deploy got them (the manifest as JSON text when it was sent beside the module, null when it is embedded), so
// every gateway checks the record as an HTTP deploy is checked, and a SHA-256 of both that the record must match.
// A delete is a tombstone: the key with a null value.
import { createHash } from 'node:crypto'
import { Packr, Unpackr } from 'msgpackr'
import { fail } from '../../errors/index.js'
import { MAX_RECORD_BYTES } from './registry-topics.js'

export const FAASLET_RECORD_VERSION = 1

export interface FaasletRecord {
  /** the module's bytes, as deployed */
  wasm: Uint8Array
  /** the manifest sent beside the module (parsed), or undefined when it is embedded in the module */
  manifest: unknown
}

interface Wire {
  v: number
  manifest: string | null
  wasm: Uint8Array
  sha256: string
}

// plain msgpack maps (no msgpackr record extension): any msgpack reader can read a record
const packr = new Packr({ useRecords: false })
const unpackr = new Unpackr({ useRecords: false })

/** SHA-256 of the manifest text (length-prefixed) and the module's bytes. */
export function contentHash(manifest: string | null, wasm: Uint8Array): string {
  const text = Buffer.from(manifest ?? '', 'utf8')
  const length = Buffer.alloc(5)
  length.writeUInt8(manifest === null ? 0 : 1, 0)
  length.writeUInt32BE(text.length, 1)
  return createHash('sha256').update(length).update(text).update(wasm).digest('hex')
}

/** A deploy as a record value. Refused (E_MODULE_REFUSED) when it would not fit in a record of the topic. */
export function encodeFaasletRecord(name: string, wasm: Uint8Array, manifest: unknown): Buffer {
  const text = manifest === undefined ? null : JSON.stringify(manifest)
  const wire: Wire = { v: FAASLET_RECORD_VERSION, manifest: text, wasm, sha256: contentHash(text, wasm) }
  const value = packr.pack(wire)
  if (value.length > MAX_RECORD_BYTES) throw fail('E_MODULE_REFUSED', name, `module and manifest take ${value.length} bytes, more than the registry's ${MAX_RECORD_BYTES} a record`)
  return value
}

/** A record value back as a deploy; a value that is not one, or whose bytes do not match its hash, throws (a plain Error: the caller names the record). */
export function decodeFaasletRecord(value: Buffer): FaasletRecord {
  let wire: Partial<Wire>
  try {
    wire = unpackr.unpack(value) as Partial<Wire>
  } catch (e) {
    throw new Error(`not a msgpack faaslet record: ${(e as Error).message}`)
  }
  if (!wire || typeof wire !== 'object') throw new Error('not a faaslet record')
  if (wire.v !== FAASLET_RECORD_VERSION) throw new Error(`record version ${String(wire.v)}, this gateway reads version ${FAASLET_RECORD_VERSION}`)
  if (!(wire.wasm instanceof Uint8Array) || typeof wire.sha256 !== 'string' || (wire.manifest !== null && typeof wire.manifest !== 'string')) {
    throw new Error('a faaslet record needs wasm (bytes), manifest (text or null) and sha256')
  }
  const hash = contentHash(wire.manifest, wire.wasm)
  if (hash !== wire.sha256) throw new Error(`content hash mismatch: the record says ${wire.sha256}, its bytes hash to ${hash}`)
  let manifest: unknown
  if (wire.manifest !== null) {
    try {
      manifest = JSON.parse(wire.manifest)
    } catch (e) {
      throw new Error(`its manifest is not JSON: ${(e as Error).message}`)
    }
  }
  // a copy that owns its buffer: the deploy check hands it to its worker thread
  return { wasm: new Uint8Array(wire.wasm), manifest }
}
