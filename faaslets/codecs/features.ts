// FEATURES regions ↔ GeoJSON FeatureCollections.
//
//   main table  one record per feature: id f64 + idType (none | number | string index), geomType, layer
//               (string index, NO_LAYER = none), ringStart/ringCount into rings, propStart/propCount
//   rings       coordStart/coordCount into coordinates, part, member (GeometryCollections)
//   coordinates x, y f64
//   properties  key (string index), type (string | number | bool | null | json), value f64 (number, 0/1,
//               string index; json: the string index of an array's or object's JSON text)
//   strings     offsets u32[count + 1], relative to the first byte after them, then the UTF-8 bytes
//
// How geometries map to rings (a ring is any run of coordinates; `part` numbers the members of a Multi*):
//   null                           no rings
//   Point, MultiPoint, LineString  one ring holding all positions, part 0
//   MultiLineString                one ring per line, part = the line's index
//   Polygon                        one ring per linear ring (exterior first), part 0
//   MultiPolygon                   one ring per linear ring, part = the polygon's index
//   GeometryCollection             its members' rings in order, part = the member's index, member = its
//                                  type (+ MEMBER_POLYGON × polygon index; + MEMBER_EMPTY for a `[]` member)
// A feature's `layer` is carried as the foreign member "layer" (mvt-decode sets it to the tile layer's name).
// Everything a FeatureCollection holds comes back out, in order, or the write is refused with where and why
// (positions with altitude, nested GeometryCollections); a feature's `bbox` is derived, so not kept.
import * as L from '../abi/layout.js'
import { checkRegion, createRegion, type Descriptor, type RegionMemory } from '../abi/region.js'
import { fail } from '../../errors/index.js'

export const NO_LAYER = 0xffffffff

export type Position = [number, number]
export type Geometry =
  | { type: 'Point'; coordinates: Position }
  | { type: 'MultiPoint'; coordinates: Position[] }
  | { type: 'LineString'; coordinates: Position[] }
  | { type: 'MultiLineString'; coordinates: Position[][] }
  | { type: 'Polygon'; coordinates: Position[][] }
  | { type: 'MultiPolygon'; coordinates: Position[][][] }
export type SimpleGeometry = Geometry
export type AnyGeometry = Geometry | { type: 'GeometryCollection'; geometries: Geometry[] }
export type PropertyValue = string | number | boolean | null | PropertyValue[] | { [key: string]: PropertyValue }

export interface Feature {
  type: 'Feature'
  id?: number | string
  layer?: string
  geometry: AnyGeometry | null
  properties: Record<string, PropertyValue>
}

export interface FeatureCollection {
  type: 'FeatureCollection'
  features: Feature[]
}

export interface WriteFeaturesOptions {
  /** EPSG code of the coordinates (default 4326) */
  crs?: number
  tile?: { z: number; x: number; y: number }
}

const GEOM_NAMES = ['null', 'Point', 'MultiPoint', 'LineString', 'MultiLineString', 'Polygon', 'MultiPolygon', 'GeometryCollection'] as const
const GEOM_CODES: Record<string, number> = Object.fromEntries(GEOM_NAMES.map((n, i) => [n, i]))

// ─── region → GeoJSON ────────────────────────────────────────────────────────────────────────────────

/** Reads a FEATURES region into a GeoJSON FeatureCollection (the one copy out), checking every index. */
export function readFeatures(bytes: Uint8Array, d: Descriptor): FeatureCollection {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const h = checkRegion(dv, d.ptr, d.len)
  if (h.kind !== L.KIND_FEATURES) throw fail('E_BAD_REGION', `expected a features region, got kind ${h.kind}`)
  if (h.stride !== L.FEATURE_STRIDE) throw fail('E_BAD_REGION', `features stride is ${h.stride}, expected ${L.FEATURE_STRIDE}`)
  const base = bytes.byteOffset + d.ptr
  const sec = (s: number) => base + h.sections[s].offset
  const nRings = h.sections[L.SEC_RINGS].count
  const nCoords = h.sections[L.SEC_COORDS].count
  const nProps = h.sections[L.SEC_PROPS].count
  const strings = readStrings(bytes, sec(L.SEC_STRINGS), h.sections[L.SEC_STRINGS].count, d.ptr + h.byteLength)
  const f64 = new Float64Array(bytes.buffer)
  const u32 = new Uint32Array(bytes.buffer)
  const fAt = sec(L.SEC_MAIN), rAt = sec(L.SEC_RINGS) >> 2, cAt = sec(L.SEC_COORDS) >> 3, pAt = sec(L.SEC_PROPS)
  const string = (i: number, what: string) => {
    if (!(Number.isInteger(i) && i >= 0 && i < strings.length)) throw fail('E_BAD_REGION', `${what} refers to string ${i}, the region has ${strings.length}`)
    return strings[i]
  }
  const features: Feature[] = []
  for (let i = 0; i < h.count; i++) {
    const at = fAt + i * L.FEATURE_STRIDE
    const id = f64[(at + L.FEATURE_ID) >> 3]
    const type = u32[(at + L.FEATURE_GEOM_TYPE) >> 2]
    const layer = u32[(at + L.FEATURE_LAYER) >> 2]
    const ringStart = u32[(at + L.FEATURE_RING_START) >> 2], ringCount = u32[(at + L.FEATURE_RING_COUNT) >> 2]
    const propStart = u32[(at + L.FEATURE_PROP_START) >> 2], propCount = u32[(at + L.FEATURE_PROP_COUNT) >> 2]
    if (ringStart + ringCount > nRings) throw fail('E_BAD_REGION', `feature ${i}: rings ${ringStart}+${ringCount} pass the ${nRings} rings`)
    if (propStart + propCount > nProps) throw fail('E_BAD_REGION', `feature ${i}: properties ${propStart}+${propCount} pass the ${nProps} properties`)

    // arrays built by push stay packed (new Array(n) makes holey ones, slower for every later reader)
    const lines: Position[][] = []
    const parts: number[] = []
    const members: number[] = []
    for (let r = 0; r < ringCount; r++) {
      const ra = rAt + (ringStart + r) * (L.RING_STRIDE >> 2)
      const start = u32[ra], n = u32[ra + 1]
      if (start + n > nCoords) throw fail('E_BAD_REGION', `feature ${i}: ring coordinates ${start}+${n} pass the ${nCoords} coordinates`)
      const line: Position[] = []
      for (let k = cAt + start * 2, end = k + n * 2; k < end; k += 2) line.push([f64[k], f64[k + 1]])
      lines.push(line)
      parts.push(u32[ra + 2])
      members.push(u32[ra + 3])
    }
    // members in the usual GeoJSON order: type, id, layer, geometry, properties
    const feature = { type: 'Feature' } as Feature
    const idType = u32[(at + L.FEATURE_ID_TYPE) >> 2]
    if (idType === L.PROP_NUMBER) feature.id = id
    else if (idType === L.PROP_STRING) feature.id = string(id, `feature ${i} id`)
    else if (idType !== 0) throw fail('E_BAD_REGION', `feature ${i}: unknown id type ${idType}`)
    if (layer !== NO_LAYER) feature.layer = string(layer, `feature ${i} layer`)
    feature.geometry = type === L.GEOM_COLLECTION ? toCollection(lines, parts, members, i) : type === L.GEOM_NULL ? nullGeometry(lines, i) : toGeometry(type, lines, parts, i)
    feature.properties = {}
    for (let p = 0; p < propCount; p++) {
      const pa = pAt + (propStart + p) * L.PROP_STRIDE
      const key = string(u32[(pa + L.PROP_KEY) >> 2], `feature ${i} property key`)
      const ptype = u32[(pa + L.PROP_TYPE) >> 2]
      const v = f64[(pa + L.PROP_VALUE) >> 3]
      const value =
        ptype === L.PROP_NUMBER ? v :
        ptype === L.PROP_STRING ? string(v, `feature ${i} property "${key}"`) :
        ptype === L.PROP_BOOL ? v !== 0 :
        ptype === L.PROP_NULL ? null :
        ptype === L.PROP_JSON ? parseJsonProperty(string(v, `feature ${i} property "${key}"`), i, key) :
        badPropType(ptype, i)
      // a key "__proto__" must become a property, not the object's prototype
      if (key === '__proto__') Object.defineProperty(feature.properties, key, { value, enumerable: true, writable: true, configurable: true })
      else feature.properties[key] = value
    }
    features.push(feature)
  }
  return { type: 'FeatureCollection', features }
}

function parseJsonProperty(text: string, i: number, key: string): PropertyValue {
  try {
    return JSON.parse(text) as PropertyValue
  } catch {
    throw fail('E_BAD_REGION', `feature ${i}: property "${key}" holds JSON that does not parse`)
  }
}

function nullGeometry(lines: Position[][], i: number): null {
  if (lines.length) throw fail('E_BAD_REGION', `feature ${i}: a null geometry has no rings, found ${lines.length}`)
  return null
}

/** A GeometryCollection's rings back into its members: a member is a run of rings with one `part`. */
function toCollection(lines: Position[][], parts: number[], members: number[], i: number): AnyGeometry {
  const geometries: Geometry[] = []
  for (let r = 0; r < lines.length;) {
    const type = members[r] % L.MEMBER_EMPTY
    const empty = (members[r] & L.MEMBER_EMPTY) !== 0
    let end = r + 1
    while (end < lines.length && parts[end] === parts[r]) end++
    if (type < L.GEOM_POINT || type > L.GEOM_MULTIPOLYGON) throw fail('E_BAD_REGION', `feature ${i}: collection member type ${type}`)
    const polygonOf = members.slice(r, end).map((m) => Math.floor(m / L.MEMBER_POLYGON))
    geometries.push(empty ? emptyGeometry(type) : toGeometry(type, lines.slice(r, end), polygonOf, i))
    r = end
  }
  return { type: 'GeometryCollection', geometries }
}

function emptyGeometry(type: number): Geometry {
  return { type: GEOM_NAMES[type], coordinates: [] } as unknown as Geometry
}

function badPropType(t: number, i: number): never {
  throw fail('E_BAD_REGION', `feature ${i}: unknown property type ${t}`)
}

function toGeometry(type: number, lines: Position[][], parts: number[], i: number): Geometry {
  const one = () => {
    if (lines.length !== 1) throw fail('E_BAD_REGION', `feature ${i}: a ${GEOM_NAMES[type]} has one ring, found ${lines.length}`)
    return lines[0]
  }
  switch (type) {
    case L.GEOM_POINT: {
      const line = one()
      if (line.length !== 1) throw fail('E_BAD_REGION', `feature ${i}: a Point has one position, found ${line.length}`)
      return { type: 'Point', coordinates: line[0] }
    }
    case L.GEOM_MULTIPOINT: return { type: 'MultiPoint', coordinates: lines.flat() }
    case L.GEOM_LINESTRING: return { type: 'LineString', coordinates: one() }
    case L.GEOM_MULTILINESTRING: return { type: 'MultiLineString', coordinates: lines }
    case L.GEOM_POLYGON: return { type: 'Polygon', coordinates: lines }
    case L.GEOM_MULTIPOLYGON: {
      const polygons: Position[][][] = []
      for (let r = 0; r < lines.length; r++) {
        if (r === 0 || parts[r] !== parts[r - 1]) polygons.push([])
        polygons[polygons.length - 1].push(lines[r])
      }
      return { type: 'MultiPolygon', coordinates: polygons }
    }
    default: throw fail('E_BAD_REGION', `feature ${i}: unknown geometry type ${type}`)
  }
}

function readStrings(bytes: Uint8Array, at: number, count: number, regionEnd: number): string[] {
  const dataAt = at + (count + 1) * 4
  if (dataAt > bytes.byteOffset + regionEnd) throw fail('E_BAD_REGION', `${count} string offsets pass the end of the region`)
  const offsets = new Uint32Array(bytes.buffer, at, count + 1)
  const total = offsets[count]
  if (offsets[0] !== 0 || dataAt + total > bytes.byteOffset + regionEnd) throw fail('E_BAD_REGION', `string bytes (${total}) pass the end of the region`)
  // TextDecoder refuses views of shared memory: copy the bytes out once, then decode each string
  const text = bytes.slice(dataAt - bytes.byteOffset, dataAt - bytes.byteOffset + total)
  const decoder = new TextDecoder('utf-8', { fatal: true })
  const out: string[] = []
  for (let i = 0; i < count; i++) {
    const a = offsets[i], b = offsets[i + 1]
    if (b < a || b > total) throw fail('E_BAD_REGION', `string ${i} has offsets ${a}..${b}`)
    try {
      out.push(decoder.decode(text.subarray(a, b)))
    } catch {
      throw fail('E_BAD_REGION', `string ${i} is not valid UTF-8`)
    }
  }
  return out
}

// ─── GeoJSON → region ────────────────────────────────────────────────────────────────────────────────

/**
 * Writes a GeoJSON FeatureCollection into a new FEATURES region (the one copy in). Every geometry type,
 * GeometryCollection (not nested) and null included; ids numbers or strings; properties of every JSON type
 * (arrays and objects as their JSON text); a string foreign member `layer` is kept. Anything else, or
 * malformed GeoJSON, is E_BAD_GEOJSON with where — nothing is dropped silently. (`properties: null` reads
 * back as `{}`: the region has no null property set.)
 */
export function writeFeatures(mem: RegionMemory, json: unknown, opts: WriteFeaturesOptions = {}): Descriptor {
  const features = checkCollection(json)
  const strings = new StringTable()
  let nRings = 0, nCoords = 0, nProps = 0
  const layers = new Uint32Array(features.length)
  const jsonText = new Map<object, string>()
  for (let i = 0; i < features.length; i++) {
    const f = features[i]
    const g = f.geometry
    nRings += ringCount(g)
    nCoords += coordCount(g)
    layers[i] = f.layer === undefined ? NO_LAYER : strings.add(f.layer)
    if (typeof f.id === 'string') strings.add(f.id)
    for (const key in f.properties) {
      strings.add(key)
      const v = f.properties[key]
      if (typeof v === 'string') strings.add(v)
      else if (v !== null && typeof v === 'object') {
        const text = JSON.stringify(v)
        jsonText.set(v, text)
        strings.add(text)
      }
      nProps++
    }
  }
  const n = features.length
  const encoded = strings.encode()
  const r = createRegion(mem, {
    kind: L.KIND_FEATURES, count: n, stride: L.FEATURE_STRIDE, crs: opts.crs ?? 4326, tile: opts.tile,
    sections: [
      { bytes: n * L.FEATURE_STRIDE, count: n },
      { bytes: nRings * L.RING_STRIDE, count: nRings },
      { bytes: nCoords * L.COORD_STRIDE, count: nCoords },
      { bytes: nProps * L.PROP_STRIDE, count: nProps },
      { bytes: encoded.byteLength, count: strings.size },
    ],
  })
  const buf = mem.bytes().buffer
  const f64 = new Float64Array(buf)
  const u32 = new Uint32Array(buf)
  const [fAt, rAt, cAt, pAt, sAt] = r.sectionPtrs
  new Uint8Array(buf, sAt, encoded.byteLength).set(encoded)

  let ring = 0, coord = 0, prop = 0
  let minX = Infinity, minY = Infinity, maxX = -Infinity, maxY = -Infinity
  const addRing = (line: Position[], part: number, member: number) => {
    const ra = (rAt >> 2) + ring * 4
    u32[ra] = coord
    u32[ra + 1] = line.length
    u32[ra + 2] = part
    u32[ra + 3] = member
    for (const [x, y] of line) {
      const k = (cAt >> 3) + coord * 2
      f64[k] = x
      f64[k + 1] = y
      if (x < minX) minX = x
      if (x > maxX) maxX = x
      if (y < minY) minY = y
      if (y > maxY) maxY = y
      coord++
    }
    ring++
  }
  // `member` is 0 outside a collection; inside, the member's type (+ MEMBER_POLYGON × polygon index)
  const addGeometry = (g: Geometry, part: number, member: number) => {
    const inCollection = member !== 0
    switch (g.type) {
      case 'Point': addRing([g.coordinates], part, member); break
      case 'MultiPoint': case 'LineString': addRing(g.coordinates, part, member); break
      case 'MultiLineString': g.coordinates.forEach((line, k) => addRing(line, inCollection ? part : k, member)); break
      case 'Polygon': g.coordinates.forEach((line) => addRing(line, part, member)); break
      case 'MultiPolygon': g.coordinates.forEach((poly, k) => poly.forEach((line) => addRing(line, inCollection ? part : k, member + (inCollection ? k * L.MEMBER_POLYGON : 0)))); break
    }
  }
  for (let i = 0; i < n; i++) {
    const f = features[i]
    const g = f.geometry
    const at = fAt + i * L.FEATURE_STRIDE
    f64[(at + L.FEATURE_ID) >> 3] = typeof f.id === 'number' ? f.id : typeof f.id === 'string' ? strings.index(f.id) : NaN
    u32[(at + L.FEATURE_ID_TYPE) >> 2] = typeof f.id === 'number' ? L.PROP_NUMBER : typeof f.id === 'string' ? L.PROP_STRING : 0
    u32[(at + L.FEATURE_ID_TYPE + 4) >> 2] = 0
    u32[(at + L.FEATURE_GEOM_TYPE) >> 2] = GEOM_CODES[g === null ? 'null' : g.type]
    u32[(at + L.FEATURE_LAYER) >> 2] = layers[i]
    u32[(at + L.FEATURE_RING_START) >> 2] = ring
    u32[(at + L.FEATURE_PROP_START) >> 2] = prop
    if (g?.type === 'GeometryCollection') {
      g.geometries.forEach((m, k) => {
        const type = GEOM_CODES[m.type]
        if (ringCount(m) === 0) addRing([], k, type + L.MEMBER_EMPTY)
        else addGeometry(m, k, type)
      })
    } else if (g) addGeometry(g, 0, 0)
    u32[(at + L.FEATURE_RING_COUNT) >> 2] = ring - u32[(at + L.FEATURE_RING_START) >> 2]
    for (const key in f.properties) {
      const v = f.properties[key]
      const pa = pAt + prop * L.PROP_STRIDE
      u32[(pa + L.PROP_KEY) >> 2] = strings.index(key)
      u32[(pa + L.PROP_TYPE) >> 2] =
        typeof v === 'string' ? L.PROP_STRING : typeof v === 'number' ? L.PROP_NUMBER : typeof v === 'boolean' ? L.PROP_BOOL : v === null ? L.PROP_NULL : L.PROP_JSON
      f64[(pa + L.PROP_VALUE) >> 3] =
        typeof v === 'string' ? strings.index(v) : typeof v === 'number' ? v : v === true ? 1 : v === false || v === null ? 0 : strings.index(jsonText.get(v)!)
      prop++
    }
    u32[(at + L.FEATURE_PROP_COUNT) >> 2] = prop - u32[(at + L.FEATURE_PROP_START) >> 2]
  }
  const dv = mem.view()
  if (nCoords > 0) {
    dv.setFloat64(r.ptr + L.HDR_MIN_X, minX, true)
    dv.setFloat64(r.ptr + L.HDR_MIN_Y, minY, true)
    dv.setFloat64(r.ptr + L.HDR_MAX_X, maxX, true)
    dv.setFloat64(r.ptr + L.HDR_MAX_Y, maxY, true)
  }
  return { ptr: r.ptr, len: r.len }
}

/** Rings a geometry takes (a collection's `[]` members keep one empty ring each). */
function ringCount(g: AnyGeometry | null): number {
  if (g === null) return 0
  switch (g.type) {
    case 'Point': case 'MultiPoint': case 'LineString': return 1
    case 'MultiLineString': case 'Polygon': return g.coordinates.length
    case 'MultiPolygon': return g.coordinates.reduce((n, p) => n + p.length, 0)
    case 'GeometryCollection': return g.geometries.reduce((n, m) => n + Math.max(1, ringCount(m)), 0)
  }
}

function coordCount(g: AnyGeometry | null): number {
  if (g === null) return 0
  switch (g.type) {
    case 'Point': return 1
    case 'MultiPoint': case 'LineString': return g.coordinates.length
    case 'MultiLineString': case 'Polygon': return g.coordinates.reduce((n, l) => n + l.length, 0)
    case 'MultiPolygon': return g.coordinates.reduce((n, p) => n + p.reduce((m, l) => m + l.length, 0), 0)
    case 'GeometryCollection': return g.geometries.reduce((n, m) => n + coordCount(m), 0)
  }
}

/** Strings deduplicated in first-seen order, encoded as the strings section. */
class StringTable {
  private readonly ids = new Map<string, number>()
  get size(): number { return this.ids.size }
  add(s: string): number {
    let i = this.ids.get(s)
    if (i === undefined) this.ids.set(s, (i = this.ids.size))
    return i
  }
  index(s: string): number { return this.ids.get(s)! }
  encode(): Uint8Array {
    const encoder = new TextEncoder()
    const parts = [...this.ids.keys()].map((s) => encoder.encode(s))
    const total = parts.reduce((n, p) => n + p.length, 0)
    const head = (parts.length + 1) * 4
    const out = new Uint8Array(head + total)
    const offsets = new DataView(out.buffer)
    let at = 0
    offsets.setUint32(0, 0, true)
    parts.forEach((p, i) => {
      out.set(p, head + at)
      at += p.length
      offsets.setUint32((i + 1) * 4, at, true)
    })
    return out
  }
}

// ─── GeoJSON validation: everything the region cannot hold is refused here, with where it is ─────────

function bad(where: string, why: string): never {
  throw fail('E_BAD_GEOJSON', `${where}: ${why}`)
}

function checkCollection(json: unknown): Feature[] {
  const j = json as { type?: unknown; features?: unknown }
  if (!j || typeof j !== 'object' || Array.isArray(j)) bad('input', 'expected a GeoJSON FeatureCollection object')
  if (j.type !== 'FeatureCollection') bad('input', `expected type "FeatureCollection", got ${JSON.stringify(j.type)}`)
  if (!Array.isArray(j.features)) bad('input', 'a FeatureCollection needs a features array')
  j.features.forEach((f, i) => checkFeature(f, `features[${i}]`))
  return j.features as Feature[]
}

function checkFeature(f: unknown, where: string): void {
  const o = f as Record<string, unknown>
  if (!o || typeof o !== 'object' || Array.isArray(o)) bad(where, 'expected a Feature object')
  if (o.type !== 'Feature') bad(where, `expected type "Feature", got ${JSON.stringify(o.type)}`)
  if (o.id !== undefined && typeof o.id !== 'string' && (typeof o.id !== 'number' || !Number.isFinite(o.id))) bad(`${where}.id`, `an id is a string or a finite number, got ${JSON.stringify(o.id)}`)
  if (o.layer !== undefined && typeof o.layer !== 'string') bad(`${where}.layer`, `expected a string, got ${JSON.stringify(o.layer)}`)
  if (!('properties' in o)) bad(where, 'a Feature needs a properties member (an object or null)')
  const props = (o.properties ?? {}) as Record<string, unknown>
  if (typeof props !== 'object' || Array.isArray(props)) bad(`${where}.properties`, 'expected an object or null')
  for (const key in props) checkValue(props[key], `${where}.properties.${key}`)
  if (!('geometry' in o)) bad(where, 'a Feature needs a geometry member (a geometry or null)')
  if (o.geometry === null) return
  const g = o.geometry as { type?: unknown; geometries?: unknown }
  if (g && typeof g === 'object' && g.type === 'GeometryCollection') {
    checkList(g.geometries, `${where}.geometry.geometries`, (m, w) => {
      if ((m as { type?: unknown })?.type === 'GeometryCollection') bad(w, 'a GeometryCollection inside a GeometryCollection cannot be carried (flatten it)')
      checkGeometry(m, w)
    })
  } else checkGeometry(g, `${where}.geometry`)
}

/** A property value JSON can hold (numbers finite), so that its JSON text is the value. */
function checkValue(v: unknown, where: string): void {
  if (v === null || typeof v === 'string' || typeof v === 'boolean') return
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) bad(where, `numbers must be finite, got ${v}`)
    return
  }
  if (Array.isArray(v)) return v.forEach((x, i) => checkValue(x, `${where}[${i}]`))
  if (typeof v === 'object') {
    for (const k in v) checkValue((v as Record<string, unknown>)[k], `${where}.${k}`)
    return
  }
  bad(where, `values must be what JSON holds, got ${typeof v}`)
}

function checkGeometry(g: unknown, where: string): void {
  const o = g as { type?: unknown; coordinates?: unknown }
  if (!o || typeof o !== 'object' || Array.isArray(o)) bad(where, 'expected a geometry object')
  const c = o.coordinates
  switch (o.type) {
    case 'Point': return checkPosition(c, `${where}.coordinates`)
    case 'MultiPoint': return checkList(c, `${where}.coordinates`, checkPosition)
    case 'LineString': return checkLine(c, `${where}.coordinates`)
    case 'MultiLineString': return checkList(c, `${where}.coordinates`, checkLine)
    case 'Polygon': return checkList(c, `${where}.coordinates`, checkRing)
    case 'MultiPolygon': return checkList(c, `${where}.coordinates`, (p, w) => {
      checkList(p, w, checkRing)
      if ((p as unknown[]).length === 0) bad(w, 'a polygon of a MultiPolygon needs at least one ring')
    })
    default: bad(`${where}.type`, `unknown geometry type ${JSON.stringify(o.type)}`)
  }
}

function checkList(c: unknown, where: string, item: (x: unknown, where: string) => void): void {
  if (!Array.isArray(c)) bad(where, 'expected an array')
  c.forEach((x, i) => item(x, `${where}[${i}]`))
}

/** A GeoJSON position as graticule carries it: two finite numbers (refused with where and why otherwise). */
export function checkPosition(p: unknown, where: string): void {
  if (!Array.isArray(p) || p.length < 2) bad(where, `a position is [x, y], got ${JSON.stringify(p)}`)
  if (p.length > 2) bad(where, `positions with more than two values (altitude) cannot be carried, got ${JSON.stringify(p)}`)
  if (typeof p[0] !== 'number' || typeof p[1] !== 'number' || !Number.isFinite(p[0]) || !Number.isFinite(p[1])) bad(where, `a position holds two finite numbers, got ${JSON.stringify(p)}`)
}

function checkLine(c: unknown, where: string): void {
  checkList(c, where, checkPosition)
  if ((c as unknown[]).length === 1) bad(where, 'a LineString needs two or more positions (or none)')
}

function checkRing(c: unknown, where: string): void {
  checkList(c, where, checkPosition)
  const ring = c as Position[]
  if (ring.length < 4) bad(where, `a linear ring needs four or more positions, got ${ring.length}`)
  const a = ring[0], b = ring[ring.length - 1]
  if (a[0] !== b[0] || a[1] !== b[1]) bad(where, 'a linear ring must end where it starts')
}
