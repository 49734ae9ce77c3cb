import { describe, expect, it } from 'vitest'
import { encodeSensorColumns, parseSensorColumns, parseSensorMessage, type SensorPoint } from '../../gateway/ingest/sensor-record.js'
import { SensorSimulator } from '../../gateway/ingest/simulator.js'
import { Packr } from 'msgpackr'

const points: SensorPoint[] = new SensorSimulator({ sensors: 50, seed: 4, startTs: 1_700_000_000_000, intervalMs: 1000 }).next(500)

describe('columnar sensor batches', () => {
  for (const format of ['json', 'msgpack'] as const) {
    it(`${format}: columns decode to the same points as rows, in order`, () => {
      const c = parseSensorColumns(encodeSensorColumns(points, format))
      expect(c.rejected).toEqual([])
      expect(c.ts.length).toBe(points.length)
      points.forEach((p, i) => expect([c.sensor[i], c.ts[i], c.lon[i], c.lat[i], c.value[i]]).toEqual([p.sensor, p.ts, p.lon, p.lat, p.value]))
      // the row API reads columns too
      expect(parseSensorMessage(encodeSensorColumns(points, format)).points).toEqual(points.map((p) => ({ ...p })))
    })
  }

  it('a bad row is rejected with its index and reason; the rest go through', () => {
    const c = parseSensorColumns(JSON.stringify({ sensor: ['a', '', 'c', 'd'], ts: [1, 2, 3.5, 4], lon: [1, 1, 1, 200], lat: [2, 2, 2, 2], value: [0, 0, 0, 0] }))
    expect(c.ts.length).toBe(1)
    expect(c.sensor).toEqual(['a'])
    expect(c.rejected.map((r) => r.index)).toEqual([1, 2, 3])
    expect(c.rejected[2].reason).toMatch(/lon 200/)
  })

  it('columns of different lengths or of the wrong type are one rejection of the message', () => {
    expect(parseSensorColumns(JSON.stringify({ sensor: ['a'], ts: [1, 2], lon: [1], lat: [2], value: [3] })).rejected[0]).toMatchObject({ index: -1 })
    expect(parseSensorColumns(new Packr({ useRecords: false }).pack({ sensor: ['a'], ts: 5, lon: [1], lat: [2], value: [3] })).rejected[0]).toMatchObject({ index: -1 })
    expect(parseSensorColumns('not json').rejected[0].reason).toMatch(/not valid JSON/)
  })
})
