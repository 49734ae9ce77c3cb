// The FEATURES codec: GeoJSON → region → GeoJSON is the identity for everything the region can hold
// (every geometry type, string/number/bool/null properties, numeric ids, the `layer` member), the region
// it writes follows faaslets/ABI.md field by field, malformed GeoJSON is E_BAD_GEOJSON and a corrupt region
// E_BAD_REGION. Last, a real tile through mvt-decode, out to GeoJSON, back in and out again.
import { afterEach, describe, expect, it } from 'vitest'
import { readFileSync } from 'node:fs'
import { LocalRunner } from '../../dataplane/local-runner.js'
import { ScratchMemory, readHeader, type Descriptor } from '../../faaslets/abi/region.js'
import * as L from '../../faaslets/abi/layout.js'
import { NO_LAYER, readFeatures, writeFeatures, type FeatureCollection } from '../../faaslets/codecs/features.js'
import { writePoints, pointArrays } from '../../faaslets/codecs/points.js'
import { writeMvt } from '../../faaslets/codecs/mvt.js'

const rt = LocalRunner.create({ tenant: 'features-codec-test' })

afterEach(() => {
  expect(rt.arena.bytesInUse).toBe(0)
})

const square = (x: number, y: number, s: number) => [[x, y], [x + s, y], [x + s, y + s], [x, y + s], [x, y]]

/** Every geometry type, every property type, ids of every kind, layers, empty geometries. Plain JSON. */
function sample(): FeatureCollection {
  const json = `{
    "type": "FeatureCollection",
    "features": [
      { "type": "Feature", "id": 0, "layer": "places", "geometry": { "type": "Point", "coordinates": [13.4, 52.5] },
        "properties": { "name": "Berlin", "population": 3644826, "capital": true, "motto": null, "ratio": -0.125 } },
      { "type": "Feature", "id": -7.5, "geometry": { "type": "MultiPoint", "coordinates": [[1, 2], [3, 4], [-180, -90]] },
        "properties": { "": "empty key", "ünï ✓ 𝄞": "ünï ✓ 𝄞", "__proto__": "not a prototype", "big": 9007199254740993 } },
      { "type": "Feature", "id": 9007199254740992, "layer": "roads", "geometry": { "type": "LineString", "coordinates": [[0, 0], [1, 1], [2, 0]] },
        "properties": { "false": false, "zero": 0, "tiny": 5e-324, "huge": 1.7976931348623157e308 } },
      { "type": "Feature", "layer": "roads", "geometry": { "type": "MultiLineString", "coordinates": [[[0, 0], [1, 1]], [], [[5, 5], [6, 6], [7, 5]]] },
        "properties": {} },
      { "type": "Feature", "id": 4, "layer": "water", "geometry": { "type": "Polygon", "coordinates": [${JSON.stringify(square(0, 0, 10))}, ${JSON.stringify(square(2, 2, 1).reverse())}] },
        "properties": { "name": "Berlin" } },
      { "type": "Feature", "id": 5, "layer": "water", "geometry": { "type": "MultiPolygon", "coordinates": [
          [${JSON.stringify(square(0, 0, 10))}, ${JSON.stringify(square(2, 2, 1).reverse())}, ${JSON.stringify(square(5, 5, 1).reverse())}],
          [${JSON.stringify(square(20, 20, 3))}] ] },
        "properties": { "name": "lakes" } },
      { "type": "Feature", "geometry": { "type": "MultiPoint", "coordinates": [] }, "properties": {} },
      { "type": "Feature", "geometry": { "type": "LineString", "coordinates": [] }, "properties": {} },
      { "type": "Feature", "geometry": { "type": "Polygon", "coordinates": [] }, "properties": {} },
      { "type": "Feature", "geometry": { "type": "MultiPolygon", "coordinates": [] }, "properties": {} },
      { "type": "Feature", "geometry": { "type": "MultiLineString", "coordinates": [] }, "properties": {} }
    ]
  }`
  return JSON.parse(json)
}

function roundTrip(fc: unknown, opts?: Parameters<typeof writeFeatures>[2]): { back: FeatureCollection; d: Descriptor; mem: ScratchMemory } {
  const mem = new ScratchMemory()
  const d = writeFeatures(mem, fc, opts)
  return { back: readFeatures(mem.bytes(), d), d, mem }
}

describe('features codec round trip', () => {
  it('GeoJSON → region → GeoJSON is the identity (scratch memory)', () => {
    const fc = sample()
    const { back } = roundTrip(fc)
    expect(back).toEqual(fc)
    expect(JSON.stringify(back)).toBe(JSON.stringify(fc))
    expect(Object.getPrototypeOf(back.features[1].properties)).toBe(Object.prototype)
    expect(Object.keys(back.features[1].properties)).toContain('__proto__')
  })

  it('is the identity in a tenant arena too, and after a second round', () => {
    const fc = sample()
    const inv = rt.begin()
    try {
      const d = writeFeatures(inv.mem, fc, { crs: 4326, tile: { z: 3, x: 1, y: 2 } })
      const once = readFeatures(rt.arena.bytes(), d)
      expect(once).toEqual(fc)
      expect(readFeatures(rt.arena.bytes(), writeFeatures(inv.mem, once))).toEqual(fc)
    } finally {
      rt.release(inv)
    }
  })

  it('reads `properties: null` back as {} (the only thing it does not keep)', () => {
    const fc = { type: 'FeatureCollection', features: [{ type: 'Feature', geometry: { type: 'Point', coordinates: [1, 2] }, properties: null }] }
    expect(roundTrip(fc).back.features[0].properties).toEqual({})
  })
})

describe('features region layout (faaslets/ABI.md §5)', () => {
  it('writes header, records, rings with parts, properties and deduplicated strings as documented', () => {
    const fc = sample()
    const { d, mem } = roundTrip(fc, { crs: 3857, tile: { z: 5, x: 6, y: 7 } })
    const dv = mem.view()
    const h = readHeader(dv, d.ptr)
    expect([h.kind, h.count, h.stride, h.crs, h.tileZ, h.tileX, h.tileY]).toEqual([L.KIND_FEATURES, 11, L.FEATURE_STRIDE, 3857, 5, 6, 7])
    expect([h.minX, h.minY, h.maxX, h.maxY]).toEqual([-180, -90, 23, 52.5])
    const at = (s: number) => d.ptr + h.sections[s].offset
    const rec = (i: number) => {
      const p = at(L.SEC_MAIN) + i * L.FEATURE_STRIDE
      const u = (o: number) => dv.getUint32(p + o, true)
      return { id: dv.getFloat64(p + L.FEATURE_ID, true), type: u(L.FEATURE_GEOM_TYPE), layer: u(L.FEATURE_LAYER), ringStart: u(L.FEATURE_RING_START), ringCount: u(L.FEATURE_RING_COUNT), propStart: u(L.FEATURE_PROP_START), propCount: u(L.FEATURE_PROP_COUNT) }
    }
    const ring = (i: number) => {
      const p = at(L.SEC_RINGS) + i * L.RING_STRIDE
      return [dv.getUint32(p + L.RING_COORD_START, true), dv.getUint32(p + L.RING_COORD_COUNT, true), dv.getUint32(p + L.RING_PART, true)]
    }
    const strings: string[] = []
    const n = h.sections[L.SEC_STRINGS].count
    const textAt = at(L.SEC_STRINGS) + (n + 1) * 4
    for (let i = 0; i < n; i++) {
      const a = dv.getUint32(at(L.SEC_STRINGS) + i * 4, true), b = dv.getUint32(at(L.SEC_STRINGS) + (i + 1) * 4, true)
      strings.push(new TextDecoder().decode(mem.bytes().slice(textAt + a, textAt + b)))
    }
    expect(new Set(strings).size).toBe(strings.length) // deduplicated
    expect(strings.filter((s) => s === 'Berlin' || s === 'name' || s === 'roads')).toHaveLength(3)

    expect(rec(0)).toMatchObject({ id: 0, type: L.GEOM_POINT, ringCount: 1, propCount: 5 })
    expect(strings[rec(0).layer]).toBe('places')
    expect(rec(1)).toMatchObject({ id: -7.5, type: L.GEOM_MULTIPOINT, layer: NO_LAYER, ringCount: 1 })
    expect(rec(3)).toMatchObject({ type: L.GEOM_MULTILINESTRING, ringCount: 3, propCount: 0 })
    expect(Number.isNaN(rec(3).id)).toBe(true)
    const r3 = rec(3).ringStart
    expect([ring(r3), ring(r3 + 1), ring(r3 + 2)].map((r) => [r[1], r[2]])).toEqual([[2, 0], [0, 1], [3, 2]])
    const r5 = rec(5)
    expect(r5).toMatchObject({ type: L.GEOM_MULTIPOLYGON, ringCount: 4 })
    expect([0, 1, 2, 3].map((k) => ring(r5.ringStart + k)[2])).toEqual([0, 0, 0, 1]) // parts: polygon of each ring
    expect(ring(r5.ringStart)[1]).toBe(5)
    // the first coordinate of the Point, and its properties' types
    expect([dv.getFloat64(at(L.SEC_COORDS) + ring(rec(0).ringStart)[0] * 16, true), dv.getFloat64(at(L.SEC_COORDS) + ring(rec(0).ringStart)[0] * 16 + 8, true)]).toEqual([13.4, 52.5])
    const propTypes = [0, 1, 2, 3, 4].map((k) => dv.getUint32(at(L.SEC_PROPS) + (rec(0).propStart + k) * L.PROP_STRIDE + L.PROP_TYPE, true))
    expect(propTypes).toEqual([L.PROP_STRING, L.PROP_NUMBER, L.PROP_BOOL, L.PROP_NULL, L.PROP_NUMBER])
    // empty geometries: MultiPoint and LineString keep one empty ring, Polygon and MultiPolygon none
    expect([6, 7, 8, 9, 10].map((i) => rec(i).ringCount)).toEqual([1, 1, 0, 0, 0])
  })

  it('leaves the extent NaN for a collection without coordinates', () => {
    const { d, mem } = roundTrip({ type: 'FeatureCollection', features: [] })
    const h = readHeader(mem.view(), d.ptr)
    expect([h.count, h.minX, h.maxY, h.crs, h.tileZ]).toEqual([0, NaN, NaN, 4326, -1])
  })
})

describe('features codec carries what files from other tools hold', () => {
  /** String ids, null geometries, GeometryCollections (every member type, empty members), JSON-valued properties. */
  const fc = JSON.parse(`{
    "type": "FeatureCollection",
    "features": [
      { "type": "Feature", "id": "way/4711", "geometry": null, "properties": { "tags": { "highway": "primary", "lanes": [2, 3] }, "list": [], "obj": {} } },
      { "type": "Feature", "id": "", "geometry": { "type": "GeometryCollection", "geometries": [
          { "type": "Point", "coordinates": [1, 2] },
          { "type": "MultiPolygon", "coordinates": [[${JSON.stringify(square(0, 0, 4))}, ${JSON.stringify(square(1, 1, 1).reverse())}], [${JSON.stringify(square(9, 9, 1))}]] },
          { "type": "MultiLineString", "coordinates": [] },
          { "type": "LineString", "coordinates": [[0, 0], [5, 5]] },
          { "type": "Polygon", "coordinates": [] },
          { "type": "MultiPoint", "coordinates": [] },
          { "type": "MultiLineString", "coordinates": [[[0, 0], [1, 0]], [[2, 2], [3, 3]]] },
          { "type": "Point", "coordinates": [1, 2] }
        ] }, "properties": { "nested": [[1, "a"], { "b": null }] } },
      { "type": "Feature", "id": 3, "geometry": { "type": "GeometryCollection", "geometries": [] }, "properties": { "deep": { "a": { "b": { "c": [true, false, 1.5e-300] } } } } },
      { "type": "Feature", "id": "3", "geometry": { "type": "Point", "coordinates": [-180, 90] }, "properties": null }
    ]
  }`)

  it('round-trips them exactly (properties: null as {})', () => {
    const { back } = roundTrip(fc)
    const want = structuredClone(fc)
    want.features[3].properties = {}
    expect(back).toEqual(want)
    expect(JSON.stringify(back)).toBe(JSON.stringify(want))
  })

  it('writes the id type, GEOM_NULL/GEOM_COLLECTION and ring members as layout.ts documents', () => {
    const { d, mem } = roundTrip(fc)
    const dv = mem.view()
    const h = readHeader(dv, d.ptr)
    const f = (i: number, off: number) => dv.getUint32(d.ptr + h.sections[L.SEC_MAIN].offset + i * L.FEATURE_STRIDE + off, true)
    expect([0, 1, 2, 3].map((i) => f(i, L.FEATURE_ID_TYPE))).toEqual([L.PROP_STRING, L.PROP_STRING, L.PROP_NUMBER, L.PROP_STRING])
    expect([0, 1, 2, 3].map((i) => f(i, L.FEATURE_GEOM_TYPE))).toEqual([L.GEOM_NULL, L.GEOM_COLLECTION, L.GEOM_COLLECTION, L.GEOM_POINT])
    expect([0, 2].map((i) => f(i, L.FEATURE_RING_COUNT))).toEqual([0, 0])
    const ring = (r: number, off: number) => dv.getUint32(d.ptr + h.sections[L.SEC_RINGS].offset + r * L.RING_STRIDE + off, true)
    const first = f(1, L.FEATURE_RING_START)
    const members = Array.from({ length: f(1, L.FEATURE_RING_COUNT) }, (_, r) => [ring(first + r, L.RING_PART), ring(first + r, L.RING_MEMBER), ring(first + r, L.RING_COORD_COUNT)])
    expect(members).toEqual([
      [0, L.GEOM_POINT, 1],
      [1, L.GEOM_MULTIPOLYGON, 5], [1, L.GEOM_MULTIPOLYGON, 5], [1, L.GEOM_MULTIPOLYGON + L.MEMBER_POLYGON, 5],
      [2, L.GEOM_MULTILINESTRING + L.MEMBER_EMPTY, 0],
      [3, L.GEOM_LINESTRING, 2],
      [4, L.GEOM_POLYGON + L.MEMBER_EMPTY, 0],
      [5, L.GEOM_MULTIPOINT, 0],
      [6, L.GEOM_MULTILINESTRING, 2], [6, L.GEOM_MULTILINESTRING, 2],
      [7, L.GEOM_POINT, 1],
    ])
    const p = (i: number, off: number) => dv.getUint32(d.ptr + h.sections[L.SEC_PROPS].offset + i * L.PROP_STRIDE + off, true)
    expect(p(0, L.PROP_TYPE)).toBe(L.PROP_JSON)
  })

  it('goes through a faaslet that copies features (reproject to the same CRS) unchanged', () => {
    const inv = rt.begin()
    try {
      const [out] = rt.run(inv, 'reproject', [writeFeatures(inv.mem, fc)], { to: 'EPSG:4326' })
      const back = readFeatures(rt.arena.bytes(), out)
      const want = structuredClone(fc)
      want.features[3].properties = {}
      expect(back).toEqual(want)
    } finally {
      rt.release(inv)
    }
  })
})

describe('features codec refuses what the region cannot hold', () => {
  const ok = { type: 'Point', coordinates: [1, 2] }
  const f = (over: Record<string, unknown>) => ({ type: 'FeatureCollection', features: [{ type: 'Feature', geometry: ok, properties: {}, ...over }] })
  const g = (geometry: unknown) => f({ geometry })
  const cases: Array<[string, unknown, RegExp]> = [
    ['not an object', 'hello', /expected a GeoJSON FeatureCollection object/],
    ['an array', [], /expected a GeoJSON FeatureCollection object/],
    ['null', null, /expected a GeoJSON FeatureCollection object/],
    ['a bare Feature', { type: 'Feature', geometry: ok, properties: {} }, /expected type "FeatureCollection", got "Feature"/],
    ['features not an array', { type: 'FeatureCollection', features: {} }, /needs a features array/],
    ['a feature that is not an object', { type: 'FeatureCollection', features: [7] }, /features\[0\]: expected a Feature object/],
    ['a feature of the wrong type', { type: 'FeatureCollection', features: [{ type: 'Point', coordinates: [1, 2] }] }, /features\[0\]: expected type "Feature", got "Point"/],
    ['no properties member', { type: 'FeatureCollection', features: [{ type: 'Feature', geometry: ok }] }, /needs a properties member/],
    ['properties an array', f({ properties: [1] }), /properties: expected an object or null/],
    ['a NaN property', f({ properties: { a: NaN } }), /properties\.a: numbers must be finite/],
    ['an Infinity property', f({ properties: { a: Infinity } }), /properties\.a: numbers must be finite/],
    ['an Infinity inside an array property', f({ properties: { a: [1, { b: -Infinity }] } }), /properties\.a\[1\]\.b: numbers must be finite/],
    ['a function property', f({ properties: { a: () => 1 } }), /properties\.a: values must be what JSON holds/],
    ['a nested GeometryCollection', g({ type: 'GeometryCollection', geometries: [{ type: 'GeometryCollection', geometries: [] }] }), /geometries\[0\]: a GeometryCollection inside a GeometryCollection cannot be carried/],
    ['a NaN id', f({ id: NaN }), /\.id: an id is a string or a finite number/],
    ['an object id', f({ id: { a: 1 } }), /\.id: an id is a string or a finite number/],
    ['a numeric layer', f({ layer: 3 }), /features\[0\]\.layer: expected a string, got 3/],
    ['no geometry', f({ geometry: undefined }), /geometry: expected a geometry object/],
    ['an unknown geometry type', g({ type: 'Circle', coordinates: [1, 2] }), /geometry\.type: unknown geometry type "Circle"/],
    ['a Point with one number', g({ type: 'Point', coordinates: [1] }), /a position is \[x, y\], got \[1\]/],
    ['a Point with altitude', g({ type: 'Point', coordinates: [1, 2, 3] }), /more than two values \(altitude\) cannot be carried/],
    ['a Point of strings', g({ type: 'Point', coordinates: ['1', '2'] }), /a position holds two finite numbers/],
    ['a Point without coordinates', g({ type: 'Point' }), /a position is \[x, y\], got undefined/],
    ['an empty Point', g({ type: 'Point', coordinates: [] }), /a position is \[x, y\], got \[\]/],
    ['a MultiPoint with a bad position', g({ type: 'MultiPoint', coordinates: [[1, 2], [3]] }), /coordinates\[1\]: a position is/],
    ['a LineString of one position', g({ type: 'LineString', coordinates: [[1, 2]] }), /a LineString needs two or more positions/],
    ['a MultiLineString that is not nested', g({ type: 'MultiLineString', coordinates: [[1, 2], [3, 4]] }), /coordinates\[0\]\[0\]: a position is/],
    ['a ring of three positions', g({ type: 'Polygon', coordinates: [[[0, 0], [1, 0], [0, 0]]] }), /a linear ring needs four or more positions, got 3/],
    ['an open ring', g({ type: 'Polygon', coordinates: [[[0, 0], [1, 0], [1, 1], [0, 1]]] }), /a linear ring must end where it starts/],
    ['a MultiPolygon with an empty polygon', g({ type: 'MultiPolygon', coordinates: [[]] }), /a polygon of a MultiPolygon needs at least one ring/],
    ['coordinates not an array', g({ type: 'LineString', coordinates: 5 }), /coordinates: expected an array/],
  ]
  for (const [what, json, message] of cases) {
    it(`refuses ${what} with E_BAD_GEOJSON`, () => {
      const mem = new ScratchMemory()
      expect(() => writeFeatures(mem, json)).toThrow(expect.objectContaining({ code: 'E_BAD_GEOJSON', message: expect.stringMatching(message) }))
    })
  }
})

describe('features codec refuses a corrupt region', () => {
  /** A valid one-feature region, the byte offsets of its parts, and a reader after a corruption. */
  function corrupt(change: (dv: DataView, at: (s: number) => number) => void): () => unknown {
    const mem = new ScratchMemory()
    const d = writeFeatures(mem, { type: 'FeatureCollection', features: [{ type: 'Feature', layer: 'l', geometry: { type: 'LineString', coordinates: [[0, 0], [1, 1]] }, properties: { a: 'b' } }] })
    const dv = mem.view()
    const h = readHeader(dv, d.ptr)
    change(dv, (s) => d.ptr + h.sections[s].offset)
    return () => readFeatures(mem.bytes(), d)
  }
  const u32 = (dv: DataView, p: number, v: number) => dv.setUint32(p, v, true)
  const cases: Array<[string, (dv: DataView, at: (s: number) => number) => void, RegExp]> = [
    ['ring range past the rings', (dv, at) => u32(dv, at(0) + L.FEATURE_RING_COUNT, 2), /rings 0\+2 pass the 1 rings/],
    ['coordinates past the coordinates', (dv, at) => u32(dv, at(1) + L.RING_COORD_COUNT, 3), /ring coordinates 0\+3 pass the 2 coordinates/],
    ['properties past the properties', (dv, at) => u32(dv, at(0) + L.FEATURE_PROP_START, 1), /properties 1\+1 pass the 1 properties/],
    ['a layer string out of range', (dv, at) => u32(dv, at(0) + L.FEATURE_LAYER, 40), /layer refers to string 40/],
    ['a property key out of range', (dv, at) => u32(dv, at(3) + L.PROP_KEY, 9), /property key refers to string 9/],
    ['a string value index that is not an integer', (dv, at) => dv.setFloat64(at(3) + L.PROP_VALUE, 1.5, true), /refers to string 1.5/],
    ['an unknown geometry type', (dv, at) => u32(dv, at(0) + L.FEATURE_GEOM_TYPE, 9), /unknown geometry type 9/],
    ['a LineString without its ring', (dv, at) => u32(dv, at(0) + L.FEATURE_RING_COUNT, 0), /a LineString has one ring, found 0/],
    ['an unknown property type', (dv, at) => u32(dv, at(3) + L.PROP_TYPE, 7), /unknown property type 7/],
    ['string offsets past the text', (dv, at) => u32(dv, at(4) + 4, 1000), /string 0 has offsets 0\.\.1000/],
    // three strings ("l", "a", "b"): four offsets, then the text
    ['a string that is not UTF-8', (dv, at) => dv.setUint8(at(4) + 4 * 4, 0xff), /string 0 is not valid UTF-8/],
  ]
  for (const [what, change, message] of cases) {
    it(`refuses ${what} with E_BAD_REGION`, () => {
      expect(corrupt(change)).toThrow(expect.objectContaining({ code: 'E_BAD_REGION', message: expect.stringMatching(message) }))
    })
  }

  it('refuses a region of another kind', () => {
    const mem = new ScratchMemory()
    const d = writePoints(mem, pointArrays(2))
    expect(() => readFeatures(mem.bytes(), d)).toThrow(expect.objectContaining({ code: 'E_BAD_REGION', message: expect.stringMatching(/expected a features region, got kind 2/) }))
  })
})

describe('features codec with mvt-decode', () => {
  it('a decoded real tile survives GeoJSON → region → GeoJSON, extent included', () => {
    const bytes = new Uint8Array(readFileSync('node_modules/@mapbox/mvt-fixtures/real-world/bangkok/12-3188-1888.mvt'))
    const inv = rt.begin()
    try {
      const [out] = rt.run(inv, 'mvt-decode', [writeMvt(inv.mem, bytes)], { z: 12, x: 3188, y: 1888 })
      const decoded = readFeatures(rt.arena.bytes(), out)
      expect(decoded.features.length).toBe(54)
      expect(new Set(decoded.features.map((f) => f.geometry.type)).size).toBeGreaterThanOrEqual(3)
      const again = writeFeatures(inv.mem, decoded, { tile: { z: 12, x: 3188, y: 1888 } })
      expect(readFeatures(rt.arena.bytes(), again)).toEqual(decoded)
      const a = readHeader(rt.arena.view(), out.ptr), b = readHeader(rt.arena.view(), again.ptr)
      expect([b.minX, b.minY, b.maxX, b.maxY]).toEqual([a.minX, a.minY, a.maxX, a.maxY])
      expect([b.count, b.sections[L.SEC_RINGS].count, b.sections[L.SEC_COORDS].count, b.sections[L.SEC_PROPS].count])
        .toEqual([a.count, a.sections[L.SEC_RINGS].count, a.sections[L.SEC_COORDS].count, a.sections[L.SEC_PROPS].count])
    } finally {
      rt.release(inv)
    }
  })
})
