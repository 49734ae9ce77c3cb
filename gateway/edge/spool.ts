// The edge's spool: every record bound upstream is appended here, and fsync'd, before its window counts as published
// (so the local Kafka commit never overtakes it: an edge SIGKILLed right after loses nothing). A drainer reads what
// waits, in order, sends it, and only then moves a persisted cursor past it; segments wholly behind the cursor are
// deleted.
//
// On disk, in one directory:
//   <first seq, 16 digits>.seg   records, each framed: u32 value length | u32 CRC-32 of the rest | f64 window start |
//                                u32 points | u8 kind | 3 zero bytes | value. A segment is named by the sequence
//                                number of its first record; records follow on one by one.
//   cursor.json                  {"seq": n}: the next record to send (written to a temporary file, fsync'd, renamed)
//   lock                         the pid of the process that has the spool open
// Opening checks every frame: a torn or corrupt one (a crash mid-append) is cut off with what follows it in its
// segment, and logged. Appends are group-committed: the appends that arrive while one write is being fsync'd go
// out together in the next write and share its fsync.
//
// Bounded: the records waiting may take `maxBytes` (the disk holds at most that plus the sent part of the oldest
// segment). When an append would pass it, `block` refuses it (E_SPOOL_FULL: the caller keeps the window and tries
// again), `drop-oldest` gives up the oldest waiting records, counted. A record alone always fits.
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, ftruncateSync, unlinkSync, writeFileSync } from 'node:fs'
import { open, rename, unlink, type FileHandle } from 'node:fs/promises'
import { join } from 'node:path'
import { fail } from '../../errors/index.js'
import { stderrLogger, type IngestLogger } from '../ingest/ingest-log.js'
import { crc32 } from './crc32.js'

export const SPOOL_FULL_POLICIES = ['block', 'drop-oldest'] as const
export type SpoolFullPolicy = (typeof SPOOL_FULL_POLICIES)[number]

/** What a record holds: a window partial, or a window's raw points (the `raw` uplink). */
export const RECORD_KINDS = ['partial', 'raw'] as const
export type RecordKind = (typeof RECORD_KINDS)[number]

export interface RecordMeta {
  windowStart: number
  /** the window's points (what dropping the record loses) */
  points: number
  kind: RecordKind
}

export interface SpooledRecord extends RecordMeta {
  seq: number
  value: Uint8Array
}

export interface SpoolOptions {
  dir: string
  maxBytes: number
  full?: SpoolFullPolicy
  /** a segment takes appends until it holds this many bytes (default: maxBytes / 8, between 64 KiB and 64 MiB) */
  segmentBytes?: number
  log?: IngestLogger
  /** told of records given up: the oldest, to make room (drop-oldest), or found corrupt when read back */
  dropped?: (records: number, points: number) => void
}

const HEADER = 24
const CURSOR = 'cursor.json'
const LOCK = 'lock'
const SEGMENT = /^(\d{16})\.seg$/

interface Segment {
  first: number
  path: string
  /** bytes durable on disk (a failed write is cut back to this) */
  size: number
  /** seq of its last record (first - 1: none yet) */
  last: number
  read: FileHandle | null
}

interface Entry extends RecordMeta {
  seq: number
  seg: Segment
  offset: number
  /** frame bytes */
  size: number
}

interface Pending {
  frame: Uint8Array
  meta: RecordMeta
  resolve: () => void
  reject: (e: unknown) => void
}

const segmentName = (first: number) => `${String(first).padStart(16, '0')}.seg`

function frame(meta: RecordMeta, value: Uint8Array): Uint8Array {
  const buf = new Uint8Array(HEADER + value.length)
  const dv = new DataView(buf.buffer)
  dv.setUint32(0, value.length, true)
  dv.setFloat64(8, meta.windowStart, true)
  dv.setUint32(16, meta.points, true)
  buf[20] = RECORD_KINDS.indexOf(meta.kind)
  buf.set(value, HEADER)
  dv.setUint32(4, crc32(buf.subarray(8)), true)
  return buf
}

/** The frame at `at` in `buf`: its meta and size, or null when it is torn or corrupt. */
function parseFrame(buf: Uint8Array, at: number): (RecordMeta & { size: number }) | null {
  if (buf.length - at < HEADER) return null
  const dv = new DataView(buf.buffer, buf.byteOffset + at)
  const size = HEADER + dv.getUint32(0, true)
  if (size > buf.length - at) return null
  if (crc32(buf.subarray(at + 8, at + size)) !== dv.getUint32(4, true)) return null
  const kind = RECORD_KINDS[buf[at + 20]]
  if (!kind) return null
  return { windowStart: dv.getFloat64(8, true), points: dv.getUint32(16, true), kind, size }
}

/** True when process `pid` is alive (a spool's lock left by a process that died does not hold). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM'
  }
}

export class Spool {
  readonly dir: string
  readonly maxBytes: number
  readonly full: SpoolFullPolicy
  private readonly segmentBytes: number
  private readonly log: IngestLogger
  private readonly segments: Segment[] = []
  /** durable records, in order; those from `head` on wait to be sent */
  private entries: Entry[] = []
  private head = 0
  /** the next record to send: every record before it was acknowledged (or given up) */
  private cursor: number
  private nextSeq: number
  private waitingBytes = 0
  private pending: Pending[] = []
  private pendingBytes = 0
  private writer: FileHandle | null = null
  private flushing: Promise<void> | null = null
  private cursorSaving: Promise<void> | null = null
  private cursorDirty = false
  private waiters: Array<() => void> = []
  private closed = false
  /** records acknowledged since the spool was opened */
  sent = 0
  readonly dropped = { records: 0, points: 0 }
  /** start of the newest window in the spool, sent or not (null: none yet) */
  newestWindow: number | null = null
  /** what opening found: records waiting, torn or corrupt frames cut off and their bytes */
  readonly recovered = { records: 0, torn: 0, tornBytes: 0 }

  constructor(private readonly opts: SpoolOptions) {
    this.dir = opts.dir
    this.maxBytes = opts.maxBytes
    this.full = opts.full ?? 'block'
    this.segmentBytes = opts.segmentBytes ?? Math.min(64 << 20, Math.max(64 << 10, Math.floor(opts.maxBytes / 8)))
    this.log = opts.log ?? stderrLogger
    try {
      mkdirSync(this.dir, { recursive: true })
    } catch (e) {
      throw fail('E_SPOOL', this.dir, `cannot create it (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`)
    }
    this.lock()
    const stored = this.readCursor()
    let last = -1
    for (const name of readdirSync(this.dir).filter((f) => SEGMENT.test(f)).sort()) {
      const seg = this.recoverSegment(Number(SEGMENT.exec(name)![1]), join(this.dir, name))
      if (seg.last >= seg.first) last = seg.last
    }
    // no cursor (first start, or lost): everything on disk is sent again — the cloud takes each (edge, window) once
    this.cursor = Math.max(stored ?? 0, this.segments[0]?.first ?? 0)
    this.nextSeq = Math.max(this.cursor, last + 1)
    for (const e of this.entries) if (this.newestWindow === null || e.windowStart > this.newestWindow) this.newestWindow = e.windowStart
    this.entries = this.entries.filter((e) => e.seq >= this.cursor)
    for (const e of this.entries) this.waitingBytes += e.size
    this.recovered.records = this.entries.length
    void this.deleteSent()
  }

  private lock(): void {
    const path = join(this.dir, LOCK)
    if (existsSync(path)) {
      const pid = Number(readFileSync(path, 'utf8').trim())
      if (pid && pid !== process.pid && alive(pid)) throw fail('E_SPOOL', this.dir, `process ${pid} has it open (one edge per spool directory)`)
    }
    writeFileSync(path, String(process.pid))
  }

  private readCursor(): number | null {
    const path = join(this.dir, CURSOR)
    if (!existsSync(path)) return null
    try {
      const seq = (JSON.parse(readFileSync(path, 'utf8')) as { seq?: unknown }).seq
      if (typeof seq === 'number' && Number.isInteger(seq) && seq >= 0) return seq
    } catch { /* unreadable: as if absent */ }
    this.log.warn({ spool: this.dir }, `spool ${this.dir}: ${CURSOR} is unreadable; every record on disk will be sent again`)
    return null
  }

  /** Indexes a segment's records; a torn or corrupt frame is cut off with everything after it in the segment. */
  private recoverSegment(first: number, path: string): Segment {
    const buf = readFileSync(path)
    const seg: Segment = { first, path, size: 0, last: first - 1, read: null }
    let at = 0
    while (at < buf.length) {
      const f = parseFrame(buf, at)
      if (!f) break
      seg.last++
      this.entries.push({ seq: seg.last, seg, offset: at, size: f.size, windowStart: f.windowStart, points: f.points, kind: f.kind })
      at += f.size
    }
    if (at < buf.length) {
      const fd = openSync(path, 'r+')
      try {
        ftruncateSync(fd, at)
      } finally {
        closeSync(fd)
      }
      this.recovered.torn++
      this.recovered.tornBytes += buf.length - at
      this.log.warn({ spool: this.dir, segment: path, bytes: buf.length - at, records: seg.last - first + 1 },
        `spool ${this.dir}: a torn or corrupt record at byte ${at} of ${segmentName(first)} (a crash mid-append): ${buf.length - at} bytes cut off, ${seg.last - first + 1} records before it kept`)
    }
    seg.size = at
    this.segments.push(seg)
    return seg
  }

  /** Records waiting to be sent, their bytes, and the window start of the oldest (null: none). */
  get waiting(): { records: number; bytes: number; oldestWindow: number | null } {
    const n = this.entries.length - this.head
    return { records: n, bytes: this.waitingBytes, oldestWindow: n ? this.entries[this.head].windowStart : null }
  }

  /**
   * Appends a record; resolves once it is on disk (fsync'd). Rejects with E_SPOOL_FULL at once when the spool is full and
   * its policy is `block`; rejects when the disk refuses the write (nothing of it is left in the spool).
   */
  append(meta: RecordMeta, value: Uint8Array): Promise<void> {
    if (this.closed) return Promise.reject(fail('E_SPOOL', this.dir, 'it is closed'))
    const f = frame(meta, value)
    try {
      this.makeRoom(f.length, meta)
    } catch (e) {
      return Promise.reject(e)
    }
    this.pendingBytes += f.length
    return new Promise<void>((resolve, reject) => {
      this.pending.push({ frame: f, meta, resolve, reject })
      this.flushing ??= this.flush()
    })
  }

  private makeRoom(size: number, meta: RecordMeta): void {
    const used = () => this.waitingBytes + this.pendingBytes
    if (used() === 0 || used() + size <= this.maxBytes) return
    if (this.full === 'block') throw fail('E_SPOOL_FULL', used(), this.maxBytes, meta.windowStart)
    let records = 0, points = 0
    while (this.head < this.entries.length && used() + size > this.maxBytes) {
      const e = this.entries[this.head++]
      this.waitingBytes -= e.size
      records++
      points += e.points
    }
    if (!records) return // only appends not yet on disk: this one goes over, alone
    this.moveCursor(this.head < this.entries.length ? this.entries[this.head].seq : this.nextSeq)
    this.dropped.records += records
    this.dropped.points += points
    this.opts.dropped?.(records, points)
    this.log.warn({ spool: this.dir, records, points }, `spool ${this.dir} full (${this.maxBytes} bytes): the ${records} oldest records (${points} points) dropped unsent`)
  }

  /** Writes what is pending, in order, one write and one fsync for all of it; again while more comes. */
  private async flush(): Promise<void> {
    try {
      while (this.pending.length) {
        const batch = this.pending.splice(0)
        const bytes = batch.reduce((n, p) => n + p.frame.length, 0)
        let seg: Segment | null = null
        try {
          seg = await this.writable()
          await this.writer!.writev(batch.map((p) => p.frame))
          await this.writer!.datasync()
        } catch (e) {
          // a write cut short would leave a torn frame before the next: back to what was durable
          if (seg && this.writer) await this.writer.truncate(seg.size).catch(() => undefined)
          this.pendingBytes -= bytes
          for (const p of batch) p.reject(fail('E_SPOOL', this.dir, `cannot write it (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`))
          continue
        }
        for (const p of batch) {
          const seq = this.nextSeq++
          this.entries.push({ ...p.meta, seq, seg, offset: seg.size, size: p.frame.length })
          seg.size += p.frame.length
          seg.last = seq
          this.waitingBytes += p.frame.length
          this.pendingBytes -= p.frame.length
          if (this.newestWindow === null || p.meta.windowStart > this.newestWindow) this.newestWindow = p.meta.windowStart
          p.resolve()
        }
        for (const wake of this.waiters.splice(0)) wake()
      }
    } finally {
      this.flushing = null
    }
  }

  /**
   * The segment appends go to: a new one once it holds segmentBytes, or when its records would not number on from its
   * last (a cursor ahead of every record on disk) — opening numbers a segment's records from its name on. A new
   * segment's directory entry is fsync'd too.
   */
  private async writable(): Promise<Segment> {
    let seg = this.segments[this.segments.length - 1]
    if (seg && seg.size < this.segmentBytes && seg.last + 1 === this.nextSeq) {
      this.writer ??= await open(seg.path, 'a')
      return seg
    }
    await this.writer?.close()
    this.writer = null
    seg = { first: this.nextSeq, path: join(this.dir, segmentName(this.nextSeq)), size: 0, last: this.nextSeq - 1, read: null }
    this.writer = await open(seg.path, 'a')
    this.segments.push(seg)
    await this.syncDir()
    return seg
  }

  private async syncDir(): Promise<void> {
    try {
      const d = await open(this.dir, 'r')
      try {
        await d.sync()
      } finally {
        await d.close()
      }
    } catch { /* a platform that cannot fsync a directory */ }
  }

  /** Resolves once records wait to be sent (at once if some do), or the spool closes. */
  whenWaiting(): Promise<void> {
    if (this.head < this.entries.length || this.closed) return Promise.resolve()
    return new Promise((resolve) => this.waiters.push(resolve))
  }

  /**
   * The oldest waiting records, in order: at most `maxRecords`, and at most `maxBytes` of them unless the first alone
   * is larger. `upTo` is the sequence number after the last one looked at: ack(upTo) once they are sent (a record
   * found corrupt on disk is left out, counted as dropped, and acknowledged with the rest).
   */
  async read(maxRecords: number, maxBytes: number): Promise<{ records: SpooledRecord[]; upTo: number }> {
    const take: Entry[] = []
    if (this.closed) return { records: [], upTo: this.cursor }
    let bytes = 0
    for (let i = this.head; i < this.entries.length && take.length < maxRecords; i++) {
      const e = this.entries[i]
      if (take.length && bytes + e.size > maxBytes) break
      take.push(e)
      bytes += e.size
    }
    if (!take.length) return { records: [], upTo: this.cursor }
    const records: SpooledRecord[] = []
    let corrupt = 0, corruptPoints = 0
    // each segment's share in one read: its records lie one after the other
    for (let i = 0; i < take.length;) {
      const seg = take[i].seg
      let j = i
      while (j < take.length && take[j].seg === seg) j++
      const from = take[i].offset, to = take[j - 1].offset + take[j - 1].size
      const buf = new Uint8Array(to - from)
      try {
        seg.read ??= await open(seg.path, 'r')
        await seg.read.read(buf, 0, buf.length, from)
      } catch (e) {
        // dropped to make room meanwhile (and its segment deleted): nothing to send of it
        if (take[j - 1].seq < this.cursor) { i = j; continue }
        throw fail('E_SPOOL', this.dir, `cannot read ${segmentName(seg.first)} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`)
      }
      for (let k = i; k < j; k++) {
        const e = take[k]
        const at = e.offset - from
        if (!parseFrame(buf, at)) {
          corrupt++
          corruptPoints += e.points
          this.log.error({ spool: this.dir, seq: e.seq, window: e.windowStart }, `spool ${this.dir}: record ${e.seq} (window ${e.windowStart}) is corrupt on disk: dropped`)
          continue
        }
        records.push({ seq: e.seq, windowStart: e.windowStart, points: e.points, kind: e.kind, value: buf.slice(at + HEADER, at + e.size) })
      }
      i = j
    }
    if (corrupt) {
      this.dropped.records += corrupt
      this.dropped.points += corruptPoints
      this.opts.dropped?.(corrupt, corruptPoints)
    }
    // records dropped to make room while this read was under way are not sent
    return { records: records.filter((r) => r.seq >= this.cursor), upTo: take[take.length - 1].seq + 1 }
  }

  /** Every record before `upTo` was acknowledged: the cursor moves past them (persisted) and sent segments go. */
  async ack(upTo: number): Promise<void> {
    // closed meanwhile: those records are sent again after the next open
    if (this.closed) return
    let n = 0
    while (this.head < this.entries.length && this.entries[this.head].seq < upTo) {
      this.waitingBytes -= this.entries[this.head++].size
      n++
    }
    this.sent += n
    await this.moveCursor(upTo)
  }

  private moveCursor(to: number): Promise<void> {
    if (to <= this.cursor) return this.cursorSaving ?? Promise.resolve()
    this.cursor = to
    if (this.head > 1024 && this.head * 2 > this.entries.length) {
      this.entries = this.entries.slice(this.head)
      this.head = 0
    }
    this.cursorDirty = true
    this.cursorSaving ??= this.saveCursor()
    return this.cursorSaving
  }

  /** Writes the cursor until it is on disk as it stands (moves meanwhile are written by the next round). */
  private async saveCursor(): Promise<void> {
    const path = join(this.dir, CURSOR), tmp = `${path}.tmp`
    try {
      while (this.cursorDirty) {
        this.cursorDirty = false
        const seq = this.cursor
        const f = await open(tmp, 'w')
        try {
          await f.writeFile(JSON.stringify({ seq }))
          await f.sync()
        } finally {
          await f.close()
        }
        await rename(tmp, path)
      }
      await this.deleteSent()
    } catch (e) {
      // the records stay on disk and are sent again after a restart: the cloud takes each once
      this.log.warn({ spool: this.dir, err: e }, `spool ${this.dir}: saving the cursor failed: ${(e as Error).message}`)
    } finally {
      this.cursorSaving = null
    }
  }

  /** Deletes the segments wholly behind the cursor, but the one appends go to. */
  private async deleteSent(): Promise<void> {
    const gone: Array<Promise<void>> = []
    while (this.segments.length > 1 && this.segments[0].last < this.cursor) {
      const seg = this.segments.shift()!
      const handle = seg.read
      seg.read = null
      // a read under way on it was for records given up: it fails, and read() leaves them out
      gone.push(unlink(seg.path).catch(() => undefined).then(() => handle?.close()).catch(() => undefined))
    }
    await Promise.all(gone)
  }

  /** Finishes the appends under way and closes; what waits stays on disk for the next open. */
  async close(): Promise<void> {
    if (this.closed) return
    this.closed = true
    while (this.flushing) await this.flushing
    while (this.cursorSaving) await this.cursorSaving
    for (const wake of this.waiters.splice(0)) wake()
    await this.writer?.close().catch(() => undefined)
    this.writer = null
    for (const seg of this.segments) {
      await seg.read?.close().catch(() => undefined)
      seg.read = null
    }
    try {
      unlinkSync(join(this.dir, LOCK))
    } catch { /* gone already */ }
  }
}
