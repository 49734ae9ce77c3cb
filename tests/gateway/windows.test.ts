import { describe, expect, it } from 'vitest'
import { PartitionWindows, SensorIndex, type ClosedWindow } from '../../gateway/ingest/windows.js'

const cfg = { sizeMs: 1000, allowedLatenessMs: 300, maxPoints: 1_000_000 }

function feed(w: PartitionWindows, offset: number, pts: Array<[string, number]>) {
  return w.add(offset, pts.map((p) => p[0]), pts.map((p) => p[1]), pts.map(() => 1), pts.map(() => 2), pts.map((_, i) => i))
}

describe('event-time tumbling windows', () => {
  it('assigns by event time, closes on the watermark, counts duplicates once', () => {
    const w = new PartitionWindows('p0', cfg, new SensorIndex())
    expect(feed(w, 0, [['a', 100], ['b', 200], ['a', 100]])).toMatchObject({ accepted: 2, duplicates: 1 })
    expect(w.advance()).toEqual([])
    feed(w, 1, [['a', 1250]]) // watermark 950: window [0,1000) still open
    expect(w.advance()).toEqual([])
    feed(w, 2, [['c', 900]]) // out of order but in time
    feed(w, 3, [['a', 1400]]) // watermark 1100 → closes [0,1000)
    const closed = w.advance()
    expect(closed.map((c) => [c.start, c.points.count, c.duplicates])).toEqual([[0, 3, 1]])
    expect(Array.from(closed[0].points.ts).sort()).toEqual([100, 200, 900])
    // a point for the emitted window is late, not added
    expect(feed(w, 4, [['d', 10]])).toMatchObject({ late: 1, accepted: 0 })
  })

  it('commits only below the first record of an open window', () => {
    const w = new PartitionWindows('p0', cfg, new SensorIndex())
    feed(w, 10, [['a', 100]])
    feed(w, 11, [['a', 1100]])
    expect(w.committableOffset()).toBe(10)
    feed(w, 12, [['a', 1500]])
    w.advance() // closes [0,1000)
    expect(w.committableOffset()).toBe(11)
    w.advance(true)
    expect(w.committableOffset()).toBe(13)
  })

  it('after a restart, replay re-forms open windows whole and skips emitted ones', () => {
    const sensors = new SensorIndex()
    const a = new PartitionWindows('p0', cfg, sensors)
    const records: Array<Array<[string, number]>> = []
    for (let r = 0; r < 40; r++) records.push([[`s${r % 3}`, r * 100], [`s${(r + 1) % 3}`, r * 100 + 1], [`s${r % 3}`, r * 100]])
    const emitted: ClosedWindow[] = []
    let committed = 0
    let closedUpTo = -Infinity
    for (let r = 0; r < 25; r++) {
      feed(a, r, records[r])
      emitted.push(...a.advance())
      if (r === 20) { committed = a.committableOffset(); closedUpTo = a.closedUpTo }
    }
    // crash: the new owner starts from the committed offset with the committed closedUpTo
    const b = new PartitionWindows('p0', cfg, new SensorIndex(), closedUpTo)
    for (let r = committed; r < 40; r++) {
      feed(b, r, records[r])
      emitted.push(...b.advance())
    }
    emitted.push(...b.advance(true))
    // upsert by window start: the count of distinct points equals what was produced
    const byStart = new Map<number, number>()
    for (const c of emitted) {
      if (byStart.has(c.start)) expect(byStart.get(c.start)).toBe(c.points.count) // re-emitted identical
      byStart.set(c.start, c.points.count)
    }
    const total = [...byStart.values()].reduce((x, y) => x + y, 0)
    expect(total).toBe(40 * 2)
  })
})

describe('a quiet partition: provisional results', () => {
  it('publishes open windows without closing them; points held up upstream still count, and update the result', () => {
    const w = new PartitionWindows('p0', cfg, new SensorIndex())
    feed(w, 0, [['a', 100], ['b', 200]])
    const first = w.provisional()
    expect(first.map((c) => [c.start, c.points.count, c.provisional, c.countedBefore])).toEqual([[0, 2, true, 0]])
    w.publishedProvisionally(0, 2)
    expect(w.provisional()).toEqual([]) // unchanged: nothing to send again
    expect(w.committableOffset()).toBe(0) // still open: its records stay uncommitted
    // a batch held up by a broker restart arrives after the idle period: not late, the window takes it
    expect(feed(w, 1, [['c', 300]])).toMatchObject({ accepted: 1, late: 0 })
    expect(w.provisional().map((c) => [c.points.count, c.countedBefore])).toEqual([[3, 2]])
    w.publishedProvisionally(0, 3)
    // the watermark closes it at last; its result stands, so it is not sent a third time
    feed(w, 2, [['a', 1400]])
    w.seal()
    expect(w.nextSealed()).toBeNull()
    expect(w.closedUpTo).toBe(1000)
    // a changed window is sent once more when sealed, counting only its new points out
    feed(w, 3, [['b', 1500]])
    w.publishedProvisionally(1000, 1) // pretend [1000,2000) was published with 1 point, then grew
    feed(w, 4, [['a', 2800]])
    w.seal()
    expect([w.nextSealed()!.points.count, w.nextSealed()!.countedBefore, w.nextSealed()!.provisional]).toEqual([2, 1, false])
  })
})
