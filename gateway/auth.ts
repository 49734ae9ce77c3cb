// Mutations need `Authorization: Bearer $GRATICULE_TOKEN` when a token is configured. Compared in
// constant time so the token cannot be guessed byte by byte from response times.
import { timingSafeEqual } from 'node:crypto'
import type { FastifyRequest } from 'fastify'
import { fail } from '../errors/index.js'

export function requireToken(token: string | undefined): (req: FastifyRequest) => Promise<void> {
  const want = token ? Buffer.from(`Bearer ${token}`) : null
  return async (req) => {
    if (!want) return
    const got = Buffer.from(req.headers.authorization ?? '')
    if (got.length !== want.length || !timingSafeEqual(got, want)) throw fail('E_UNAUTHORIZED')
  }
}
