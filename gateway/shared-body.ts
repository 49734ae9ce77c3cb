// Invocation bodies land on shared memory: each chunk is copied once, as it arrives, into a pooled
// SharedArrayBuffer that the worker running the chain reads — instead of fastify concatenating the chunks
// (one copy) and the runner copying the result onto shared memory (a second, into fresh pages). The
// HTTP thread moves the bytes once; the pool keeps it from faulting in new pages for every body.
import type { FastifyInstance, FastifyRequest } from 'fastify'
import { errorCodes } from 'fastify'

const MIN_CLASS = 64 * 1024

/** SharedArrayBuffers by size class (powers of two), bounded in total. */
export class SharedBodyPool {
  private readonly free = new Map<number, SharedArrayBuffer[]>()
  private pooled = 0

  constructor(private readonly maxPooledBytes = 128 * 1024 * 1024) {}

  /** A view of `n` bytes on shared memory (its buffer may be larger). */
  take(n: number): Uint8Array {
    const size = Math.max(MIN_CLASS, 2 ** Math.ceil(Math.log2(Math.max(1, n))))
    const sab = this.free.get(size)?.pop()
    if (sab) this.pooled -= size
    return new Uint8Array(sab ?? new SharedArrayBuffer(size), 0, n)
  }

  /** Returns a body taken here once nothing reads it any more (not while a worker may still). */
  give(body: Uint8Array): void {
    const sab = body.buffer
    if (!(sab instanceof SharedArrayBuffer) || sab.byteLength < MIN_CLASS || (sab.byteLength & (sab.byteLength - 1)) !== 0) return
    if (this.pooled + sab.byteLength > this.maxPooledBytes) return
    let list = this.free.get(sab.byteLength)
    if (!list) this.free.set(sab.byteLength, (list = []))
    list.push(sab)
    this.pooled += sab.byteLength
  }
}

/**
 * Makes every body in `scope` (a plugin scope: the invoke route) a Uint8Array on pooled shared memory.
 * A body without a content length is gathered first, then placed; one over `bodyLimit` is refused.
 */
export function sharedBodies(scope: FastifyInstance, pool: SharedBodyPool, bodyLimit: number): void {
  scope.removeAllContentTypeParsers()
  scope.addContentTypeParser('*', (req: FastifyRequest, payload, done) => {
    const declared = req.headers['content-length'] === undefined ? -1 : Number(req.headers['content-length'])
    if (declared > bodyLimit) return done(new errorCodes.FST_ERR_CTP_BODY_TOO_LARGE(), undefined)
    const body = declared >= 0 ? pool.take(declared) : null
    const chunks: Buffer[] = []
    let received = 0
    payload.on('data', (chunk: Buffer) => {
      if (received + chunk.length > (declared >= 0 ? declared : bodyLimit)) {
        payload.removeAllListeners('data')
        payload.resume()
        if (body) pool.give(body)
        return done(declared >= 0 ? new errorCodes.FST_ERR_CTP_INVALID_CONTENT_LENGTH() : new errorCodes.FST_ERR_CTP_BODY_TOO_LARGE(), undefined)
      }
      if (body) body.set(chunk, received)
      else chunks.push(chunk)
      received += chunk.length
    })
    payload.on('end', () => {
      if (body) {
        if (received !== declared) { pool.give(body); return done(new errorCodes.FST_ERR_CTP_INVALID_CONTENT_LENGTH(), undefined) }
        return done(null, body)
      }
      const gathered = pool.take(received)
      let at = 0
      for (const c of chunks) { gathered.set(c, at); at += c.length }
      done(null, gathered)
    })
    payload.on('error', (e) => { if (body) pool.give(body); done(e, undefined) })
  })
}
