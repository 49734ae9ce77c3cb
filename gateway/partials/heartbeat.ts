// What an edge says about itself once a second, on the compacted topic EDGE_TOPICS.edges (record key = the edge
// id, so the topic keeps each edge's newest): when it said it, the newest window it has closed, and the backlog
// its spool holds while the cloud is out of reach. The cloud judges "connected" by its own clock on receipt,
// never by `at` (the edge's clock).
//
// msgpack with fixed-size maps, like partial.ts: any msgpack library reads it.
import { Packr, Unpackr } from 'msgpackr'

export const HEARTBEAT_VERSION = 1

export interface EdgeHeartbeat {
  edge: string
  /** the edge's wall clock when it sent this (ms) */
  at: number
  /** start of the newest window the edge has closed, or null before its first */
  newestClosedWindow: number | null
  /** partials waiting in the edge's spool, and their bytes */
  spooledRecords: number
  spoolBytes: number
  /** start of the oldest window in the spool, or null when it is empty */
  oldestSpooledWindow: number | null
  /** partials the edge has had acknowledged by Kafka since it started */
  sentRecords: number
}

const packr = new Packr({ useRecords: false, mapsAsObjects: true, variableMapSize: false })
const unpackr = new Unpackr({ useRecords: false, mapsAsObjects: true })

export function encodeHeartbeat(h: EdgeHeartbeat): Uint8Array {
  return packr.pack({
    v: HEARTBEAT_VERSION, edge: h.edge, at: h.at, newestClosedWindow: h.newestClosedWindow, spooledRecords: h.spooledRecords,
    spoolBytes: h.spoolBytes, oldestSpooledWindow: h.oldestSpooledWindow, sentRecords: h.sentRecords,
  })
}

/** Bytes → a heartbeat; throws on anything that is not one of ours. */
export function decodeHeartbeat(bytes: Uint8Array): EdgeHeartbeat {
  const o = unpackr.unpack(bytes) as Record<string, any>
  if (!o || o.v !== HEARTBEAT_VERSION || typeof o.edge !== 'string') throw new Error(`not a version ${HEARTBEAT_VERSION} edge heartbeat`)
  const num = (v: unknown) => (typeof v === 'number' ? v : 0)
  const maybe = (v: unknown) => (typeof v === 'number' ? v : null)
  return {
    edge: o.edge, at: num(o.at), newestClosedWindow: maybe(o.newestClosedWindow), spooledRecords: num(o.spooledRecords),
    spoolBytes: num(o.spoolBytes), oldestSpooledWindow: maybe(o.oldestSpooledWindow), sentRecords: num(o.sentRecords),
  }
}
