// The edge's spool, without Kafka: records come back in order across segment rolls and reopens; a torn last record
// (a crash mid-append) is cut off; the cursor survives a reopen; the bound blocks or drops the oldest; and 1,000
// records drained by a sender that fails at random, with reopens between, arrive each once, in order.
import { appendFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { Spool, type RecordMeta, type SpoolOptions } from '../../gateway/edge/spool.js'
import { crc32, crc32Portable } from '../../gateway/edge/crc32.js'
import { lineLogger } from '../../gateway/ingest/ingest-log.js'
import { mulberry32 } from '../helpers/random.js'

const dirs: string[] = []
const open: Spool[] = []
afterEach(async () => {
  await Promise.all(open.splice(0).map((s) => s.close()))
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true })
})

function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'graticule-spool-'))
  dirs.push(d)
  return d
}

function spool(opts: Partial<SpoolOptions> & { dir: string }, lines: string[] = []): Spool {
  const s = new Spool({ maxBytes: 1 << 20, log: lineLogger((l) => lines.push(l)), ...opts })
  open.push(s)
  return s
}

/** Record i: its window start and points say which it is, its value holds i too (and some bulk). */
const meta = (i: number): RecordMeta => ({ windowStart: 1_700_000_000_000 + i * 1000, points: i + 1, kind: i % 3 ? 'partial' : 'raw' })
const value = (i: number, size = 100): Uint8Array => {
  const v = new Uint8Array(size)
  new DataView(v.buffer).setUint32(0, i, true)
  for (let k = 4; k < size; k++) v[k] = (i * 31 + k) & 0xff
  return v
}
const idOf = (v: Uint8Array) => new DataView(v.buffer, v.byteOffset).getUint32(0, true)

/** Reads and acknowledges everything waiting; returns the record ids in the order they came. */
async function drainAll(s: Spool, batch = 7): Promise<number[]> {
  const got: number[] = []
  while (s.waiting.records) {
    const { records, upTo } = await s.read(batch, 1 << 20)
    for (const r of records) {
      const id = idOf(r.value)
      expect(r).toMatchObject(meta(id))
      expect(r.value).toEqual(value(id, r.value.length))
      got.push(id)
    }
    await s.ack(upTo)
  }
  return got
}

const range = (a: number, b: number) => Array.from({ length: b - a }, (_, i) => a + i)

describe('the edge spool', () => {
  it('CRC-32: node:zlib and the table agree', () => {
    const data = value(12345, 1000)
    expect(crc32(data)).toBe(crc32Portable(data))
    expect(crc32Portable(new TextEncoder().encode('123456789'))).toBe(0xcbf43926)
  })

  it('gives records back in order across segment rolls and a reopen, and deletes segments sent', async () => {
    const dir = tempDir()
    let s = spool({ dir, segmentBytes: 1000 })
    for (let i = 0; i < 30; i++) await s.append(meta(i), value(i))
    // group commit: appends made at once share a write and an fsync, and keep their order
    await Promise.all(range(30, 50).map((i) => s.append(meta(i), value(i))))
    expect(readdirSync(dir).filter((f) => f.endsWith('.seg')).length).toBe(4) // 9 records of 124 bytes fill one
    expect(s.waiting).toMatchObject({ records: 50, bytes: 50 * 124, oldestWindow: meta(0).windowStart })
    expect(s.newestWindow).toBe(meta(49).windowStart)
    const first = await s.read(20, 1 << 20)
    expect(first.records.map((r) => idOf(r.value))).toEqual(range(0, 20))
    await s.ack(first.upTo)
    await s.close()
    s = spool({ dir, segmentBytes: 1000 })
    expect(s.recovered).toEqual({ records: 30, torn: 0, tornBytes: 0 })
    for (let i = 50; i < 60; i++) await s.append(meta(i), value(i))
    expect(await drainAll(s)).toEqual(range(20, 60))
    // only the segment appends go to is left
    expect(readdirSync(dir).filter((f) => f.endsWith('.seg')).length).toBe(1)
    expect(s.waiting).toEqual({ records: 0, bytes: 0, oldestWindow: null })
  })

  it('cuts off a torn last record (a crash mid-append) and says so; what came before is kept', async () => {
    const dir = tempDir()
    let s = spool({ dir })
    for (let i = 0; i < 5; i++) await s.append(meta(i), value(i))
    await s.close()
    const seg = join(dir, readdirSync(dir).find((f) => f.endsWith('.seg'))!)
    const whole = statSync(seg).size
    // half of a sixth frame: its header and part of its value
    appendFileSync(seg, Buffer.from(readFileSync(seg).subarray(0, 60)))
    const lines: string[] = []
    s = spool({ dir }, lines)
    expect(s.recovered).toEqual({ records: 5, torn: 1, tornBytes: 60 })
    expect(statSync(seg).size).toBe(whole)
    expect(lines.join('\n')).toMatch(/torn or corrupt record at byte 620 .*60 bytes cut off, 5 records before it kept/)
    await s.append(meta(5), value(5))
    expect(await drainAll(s)).toEqual(range(0, 6))

    // a last record whose bytes are all there but wrong (a write cut mid-sector): the same
    await s.close()
    s = spool({ dir })
    for (let i = 6; i < 9; i++) await s.append(meta(i), value(i))
    await s.close()
    const bytes = readFileSync(seg)
    bytes[bytes.length - 3] ^= 0xff
    writeFileSync(seg, bytes)
    s = spool({ dir })
    expect(s.recovered).toMatchObject({ records: 2, torn: 1, tornBytes: 124 })
    expect(await drainAll(s)).toEqual([6, 7])
  })

  it('persists the cursor: a reopen resumes after the last acknowledged record, even without a close', async () => {
    const dir = tempDir()
    const s = spool({ dir, segmentBytes: 600 })
    for (let i = 0; i < 20; i++) await s.append(meta(i), value(i))
    const a = await s.read(8, 1 << 20)
    await s.ack(a.upTo)
    // read but not acknowledged: sent again after the reopen
    await s.read(5, 1 << 20)
    expect(JSON.parse(readFileSync(join(dir, 'cursor.json'), 'utf8'))).toEqual({ seq: 8 })
    // as after a SIGKILL: a second spool on the directory, the first never closed (its pid is ours: the lock does not hold)
    const again = spool({ dir, segmentBytes: 600 })
    expect(again.recovered.records).toBe(12)
    expect(await drainAll(again)).toEqual(range(8, 20))
    // a cursor file lost: everything still on disk is sent again (the cloud takes each window once)
    rmSync(join(dir, 'cursor.json'))
    await again.append(meta(20), value(20))
    const third = spool({ dir, segmentBytes: 600 })
    expect((await drainAll(third))[0]).toBeLessThanOrEqual(20)
  })

  it('refuses a second process on the same directory', async () => {
    const dir = tempDir()
    writeFileSync(join(dir, 'lock'), String(process.ppid)) // a live process that is not us
    expect(() => spool({ dir })).toThrow(expect.objectContaining({ code: 'E_SPOOL', message: expect.stringContaining(`process ${process.ppid} has it open`) }))
    writeFileSync(join(dir, 'lock'), '999999999') // a dead one: its lock does not hold
    expect(() => spool({ dir })).not.toThrow()
  })

  it('bounded, block: an append that does not fit is refused with E_SPOOL_FULL until the drain makes room', async () => {
    const dir = tempDir()
    const s = spool({ dir, maxBytes: 5 * 124, full: 'block' })
    for (let i = 0; i < 5; i++) await s.append(meta(i), value(i))
    await expect(s.append(meta(5), value(5))).rejects.toMatchObject({ code: 'E_SPOOL_FULL' })
    await expect(s.append(meta(5), value(5))).rejects.toThrow(/the edge spool is full: 620 bytes wait to be sent upstream \(limit 620\); window 1700000005000 waits/)
    const { upTo } = await s.read(2, 1 << 20)
    await s.ack(upTo)
    await s.append(meta(5), value(5))
    await s.append(meta(6), value(6))
    expect(await drainAll(s)).toEqual(range(2, 7))
    // a record alone always fits, however large
    await s.append(meta(7), value(7, 10_000))
    expect(await drainAll(s)).toEqual([7])
  })

  it('bounded, drop-oldest: the oldest waiting records make room, counted in records and points, with a warning', async () => {
    const dir = tempDir()
    const dropped: Array<[number, number]> = []
    const lines: string[] = []
    const s = spool({ dir, maxBytes: 5 * 124, full: 'drop-oldest', dropped: (r, p) => dropped.push([r, p]) }, lines)
    for (let i = 0; i < 5; i++) await s.append(meta(i), value(i))
    await s.append(meta(5), value(5))
    await s.append(meta(6), value(6, 224)) // needs two records' room
    expect(dropped).toEqual([[1, 1], [2, 2 + 3]])
    expect(s.dropped).toEqual({ records: 3, points: 6 })
    expect(lines.some((l) => /the 2 oldest records \(5 points\) dropped unsent/.test(l))).toBe(true)
    expect(await drainAll(s)).toEqual(range(3, 7))
    // a drain under way when the oldest are dropped sends only what is still waiting
    for (let i = 7; i < 12; i++) await s.append(meta(i), value(i))
    const reading = s.read(10, 1 << 20)
    await s.append(meta(12), value(12))
    const { records, upTo } = await reading
    expect(records.map((r) => idOf(r.value))).toEqual(range(8, 12))
    await s.ack(upTo)
    expect(await drainAll(s)).toEqual([12])
  })

  it('nothing lost or reordered: 1,000 records, a sender failing at random, reopens between', async () => {
    const dir = tempDir()
    const rnd = mulberry32(17)
    let s = spool({ dir, segmentBytes: 4096, maxBytes: 1 << 30 })
    const delivered: number[] = []
    let next = 0
    let failures = 0
    while (next < 1000 || s.waiting.records) {
      // appends arrive in bursts, some at once (one fsync for them)
      const burst = Math.min(1000 - next, Math.floor(rnd() * 12))
      await Promise.all(range(next, next + burst).map((i) => s.append(meta(i), value(i, 20 + Math.floor(rnd() * 200)))))
      next += burst
      const { records, upTo } = await s.read(1 + Math.floor(rnd() * 20), 1 << 20)
      if (rnd() < 0.3) {
        failures++ // the broker did not acknowledge: nothing moves, the same records are read again
      } else {
        // a send the broker took: the cloud sees them (a resend after a reopen may repeat some)
        delivered.push(...records.map((r) => idOf(r.value)))
        if (rnd() < 0.8) await s.ack(upTo) // else acknowledged but the cursor not yet saved: sent again
      }
      if (rnd() < 0.03) {
        if (rnd() < 0.5) await s.close()
        s = spool({ dir, segmentBytes: 4096, maxBytes: 1 << 30 })
      }
    }
    expect(failures).toBeGreaterThan(20)
    // every record arrived, in order: a resend only repeats a tail of what came before it
    const firsts = new Map<number, number>()
    delivered.forEach((id, k) => { if (!firsts.has(id)) firsts.set(id, k) })
    expect([...firsts.keys()]).toEqual(range(0, 1000))
    for (let k = 1; k < delivered.length; k++) {
      if (delivered[k] !== delivered[k - 1] + 1) expect(delivered[k], `position ${k}`).toBeLessThanOrEqual(delivered[k - 1])
    }
    expect(readdirSync(dir).filter((f) => f.endsWith('.seg')).length).toBe(1)
  })
})
