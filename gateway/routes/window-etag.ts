// Conditional GETs of live data. A response of the live routes is a function of the window's merged points
// and the request's parameters, so its ETag is made of those: a new window, or another partition's part of
// the same one (a new merge, LiveState.current()), gives every response a new tag. Clients revalidate
// (Cache-Control: no-cache) and get a 304 without a body while the window stands.
import { createHash, randomBytes } from 'node:crypto'
import type { FastifyReply, FastifyRequest } from 'fastify'
import type { LiveView } from '../ingest/live-state.js'

// a restarted gateway counts its merges from 1 again: its tags must not collide with the last run's
const RUN = randomBytes(6).toString('hex')
const merges = new WeakMap<LiveView, number>()
let lastMerge = 0

const digest = (s: string) => createHash('sha1').update(s).digest('base64url').slice(0, 16)

/** The tag of `request` (route and normalised parameters) answered from `view`; no view: nothing yet. */
export function windowETag(view: LiveView | null, request: string): string {
  if (!view) return `"none-${digest(request)}"`
  let merge = merges.get(view)
  if (merge === undefined) merges.set(view, (merge = ++lastMerge))
  return `"${view.start}-${digest(`${RUN}/${merge}/${request}`)}"`
}

/**
 * The tag of `request` answered from a result every gateway knows by the same `version` (a cloud gateway's global
 * results): no run or merge counter in it, so gateways behind one address give one tag. No window: nothing yet.
 */
export function versionETag(start: number | null, version: string, request: string): string {
  if (start === null) return `"none-${digest(request)}"`
  return `"${start}-${digest(`${version}/${request}`)}"`
}

/** Tags the reply; true when the client already holds this very response (If-None-Match), for a 304. */
export function clientHas(req: FastifyRequest, reply: FastifyReply, etag: string): boolean {
  reply.header('etag', etag).header('cache-control', 'no-cache')
  const held = req.headers['if-none-match']
  if (!held) return false
  // weak comparison, as RFC 9110 asks for If-None-Match
  return held.split(',').some((t) => { const tag = t.trim().replace(/^W\//, ''); return tag === '*' || tag === etag })
}
