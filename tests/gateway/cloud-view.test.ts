// The cloud's view of the global results, without Kafka or faaslets: results only grow (one with fewer edges than held
// is stale, and said so), two alike keep the earlier, old windows are held as bytes and evicted past `keep` (a
// partial of an evicted window is expired), and edges are connected by the time their heartbeat arrived.
import { describe, expect, it } from 'vitest'
import { encodeGlobal, type GlobalResult } from '../../gateway/cloud/global-result.js'
import { GlobalView } from '../../gateway/cloud/global-view.js'
import { DEFAULT_TILE_SET } from '../../gateway/edge/defaults.js'

function result(windowStart: number, edges: string[], updatedAt = 1): GlobalResult {
  const cells = Float64Array.from({ length: 16 }, (_, i) => i * windowStart)
  return {
    windowStart, windowEnd: windowStart + 5_000, count: edges.length * 10, duplicates: 0, late: 0, sensors: 0, value: { sum: 1, min: 0, max: 1 }, bbox: null,
    tileSet: DEFAULT_TILE_SET, grid: { x0: 0, y0: 0, x1: 0, y1: 0, width: 4, height: 4, cells },
    edges: edges.map((edge) => ({ edge, count: 10, duplicates: 0, late: 0, sensors: 0, sealedAt: 0, mergedAt: updatedAt, raw: false, clusters: null })),
    clusters: null, updatedAt, mergeMs: 1,
  }
}

describe('the global view', () => {
  it('takes results that add edges, refuses stale ones and says so, keeps the earlier of two alike', () => {
    const v = new GlobalView()
    const stale: Array<[GlobalResult, GlobalResult]> = []
    v.on('stale', (held, got) => stale.push([held, got]))
    expect(v.put(result(0, ['a']))).toBe('new')
    expect(v.put(result(0, ['a', 'b'], 2))).toBe('replaced')
    expect(v.merged({ edge: 'b' }, 0)).toBe(true)
    expect(v.put(result(0, ['a'], 3))).toBe('stale')
    expect(stale.map(([h, g]) => [h.edges.length, g.edges.length])).toEqual([[2, 1]])
    expect(v.get(0)!.edges.map((e) => e.edge)).toEqual(['a', 'b'])
    // the same edges merged by another instance a little later: every instance keeps the earlier one
    expect(v.put(result(0, ['a', 'b'], 5))).toBe('kept')
    expect(v.put(result(0, ['a', 'b'], 1))).toBe('replaced')
    expect(v.get(0)!.updatedAt).toBe(1)
    // shares of one edge's partitions are told apart
    expect(v.merged({ edge: 'a', part: 'p/1' }, 0)).toBe(false)
  })

  it('holds old windows as bytes, evicts past keep, and calls their partials expired', () => {
    const v = new GlobalView(3, 1)
    for (const w of [10, 20, 30]) v.put(result(w, ['a']), w === 10 ? encodeGlobal(result(w, ['a'])) : null)
    expect(v.get(10)!.grid.cells).toEqual(result(10, ['a']).grid.cells)
    expect(v.get(20)!.grid.cells[3]).toBe(60)
    expect(v.newest()!.windowStart).toBe(30)
    v.put(result(40, ['a']))
    expect(v.size).toBe(3)
    expect(v.get(10)).toBeUndefined()
    expect(v.expired(10)).toBe(true)
    expect(v.expired(5)).toBe(true)
    expect(v.expired(20)).toBe(false)
    expect(v.expired(50)).toBe(false)
  })

  it('reports edges: connected by when their heartbeat arrived, lag between closed and merged windows', () => {
    const v = new GlobalView()
    v.put(result(0, ['a', 'b']))
    v.put(result(5_000, ['a']))
    const hb = (edge: string, closed: number) => ({ edge, at: 1, newestClosedWindow: closed, spooledRecords: 2, spoolBytes: 300, oldestSpooledWindow: 0, sentRecords: 9 })
    v.heartbeat(hb('a', 5_000), 10_000)
    v.heartbeat(hb('b', 15_000), 6_000)
    v.heartbeat(hb('c', 0), 10_000)
    const r = v.edges(11_000, 3_000)
    expect(r.map((e) => [e.edge, e.connected, e.heartbeatAgeMs, e.newestMergedWindow, e.lagMs, e.lagWindows])).toEqual([
      ['a', true, 1_000, 5_000, 0, 0],
      ['b', false, 5_000, 0, 15_000, 3],
      ['c', true, 1_000, null, null, null],
    ])
    expect(r[0]).toMatchObject({ spooledRecords: 2, spoolBytes: 300, sentRecords: 9, newestClosedWindow: 5_000 })
  })
})
