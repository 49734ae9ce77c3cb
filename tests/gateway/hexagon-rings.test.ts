// The live map's hexagons across the antimeridian and around the poles (gateway/web/map/hexagon-rings.ts),
// on every H3 cell of resolutions 0–2 as h3-js gives it (the boundaries h3-bin writes): the ring drawn has
// no jump of 180° or more between neighbours and lies over [-180, 180] or just east of it, or — exactly for
// the cells holding a pole — is the band from its boundary to the pole over [-180, 180]; it holds the
// cell's centre, and a cell that needs no help is drawn as it is.
import { booleanPointInPolygon } from '@turf/turf'
import { cellToBoundary, cellToChildren, cellToLatLng, getRes0Cells, latLngToCell } from 'h3-js'
import { describe, expect, it } from 'vitest'
import { drawableRing, type Ring } from '../../gateway/web/map/hexagon-rings.js'

const jumps = (ring: Ring) => ring.some(([lon], k) => k > 0 && Math.abs(lon - ring[k - 1][0]) >= 180)
const RESOLUTIONS = [0, 1, 2]
const cells = getRes0Cells().flatMap((c) => RESOLUTIONS.flatMap((res) => cellToChildren(c, res)))
const poleCells = RESOLUTIONS.flatMap((res) => [latLngToCell(90, 0, res), latLngToCell(-90, 0, res)])

describe('hexagon rings on the map', () => {
  it('every cell of res 0–2 is drawn as one piece around its centre', () => {
    const bad: string[] = []
    const capped: string[] = []
    let shifted = 0
    for (const h of cells) {
      const ring = cellToBoundary(h, true)
      const drawn = drawableRing(ring)
      if (!jumps(ring)) {
        if (drawn !== ring) bad.push(`${h}: changed though it crosses nothing`)
        continue
      }
      const lons = drawn.map(([x]) => x)
      const [west, east] = [Math.min(...lons), Math.max(...lons)]
      if (east - west === 360) {
        capped.push(h)
        if (west !== -180 || jumps(drawn.slice(0, -3))) bad.push(`${h}: not a band over [-180, 180] ${JSON.stringify(drawn)}`)
      } else {
        shifted++
        if (west < -180 || west >= 180 || east - west >= 180) bad.push(`${h}: drawn off the map ${JSON.stringify(drawn)}`)
        if (jumps(drawn)) bad.push(`${h}: still jumps ${JSON.stringify(drawn)}`)
      }
      const [lat, lon] = cellToLatLng(h)
      const centre = [lon < Math.min(...lons) ? lon + 360 : lon, lat]
      if (!booleanPointInPolygon(centre, { type: 'Polygon', coordinates: [drawn] })) bad.push(`${h}: centre ${centre} outside ${JSON.stringify(drawn)}`)
    }
    expect(bad.slice(0, 5)).toEqual([])
    expect(shifted).toBeGreaterThan(10) // the antimeridian runs through cells at every resolution
    expect(capped.sort()).toEqual([...poleCells].sort())
  })
})
