// The names a 'crs' parameter accepts, turned into the EPSG code its f64 slot carries: a number, 'EPSG:n',
// 'n', an OGC URN or URL ('urn:ogc:def:crs:EPSG::n', 'http://www.opengis.net/def/crs/EPSG/0/n'), OGC's
// CRS84 (= 4326, longitude first), or a proj4 string. A proj4 string resolves to the known CRS whose
// definition it equals: both are parsed the way proj4 2.22's projString.js and Proj.js read them
// (parameter names, degrees × D2R, the ellipsoid from +R, +a with +b or +rf, +datum or +ellps), brought to
// one form (+proj=utm becomes the transverse Mercator it stands for) and compared within tolerances tight
// enough that the definition and the string, each through proj4, put a point within 1e-7 m of each other.
// Anything that would change the coordinates (other units, axis order, a prime meridian, a datum shift,
// another ellipsoid, a parameter this file does not know) makes the string match nothing, and the error
// says what differs.
//
// DEFINITIONS holds the proj4 definitions of every CRS the reproject faaslet implements (proj/crs.ts has
// the same parameters in AssemblyScript), as epsg.io and PROJ export them. Keep the two in step: the
// tests check every definition here against the faaslet, and the faaslet's refusal list against this.

/** A known CRS: its EPSG code, EPSG name and proj4 definition. */
export interface CrsDefinition {
  code: number
  name: string
  proj4: string
}

const utmWgs84 = (zone: number, south: boolean): CrsDefinition => ({
  code: (south ? 32700 : 32600) + zone,
  name: `WGS 84 / UTM zone ${zone}${south ? 'S' : 'N'}`,
  proj4: `+proj=utm +zone=${zone}${south ? ' +south' : ''} +datum=WGS84 +units=m +no_defs`,
})

const utmEtrs89 = (zone: number): CrsDefinition => ({
  code: 25800 + zone,
  name: `ETRS89 / UTM zone ${zone}N`,
  proj4: `+proj=utm +zone=${zone} +ellps=GRS80 +towgs84=0,0,0,0,0,0,0 +units=m +no_defs`,
})

const range = (lo: number, hi: number) => Array.from({ length: hi - lo + 1 }, (_, i) => lo + i)

export const DEFINITIONS: readonly CrsDefinition[] = [
  { code: 4326, name: 'WGS 84', proj4: '+proj=longlat +datum=WGS84 +no_defs' },
  { code: 3857, name: 'WGS 84 / Pseudo-Mercator', proj4: '+proj=merc +a=6378137 +b=6378137 +lat_ts=0 +lon_0=0 +x_0=0 +y_0=0 +k=1 +units=m +nadgrids=@null +wktext +no_defs' },
  { code: 3035, name: 'ETRS89-extended / LAEA Europe', proj4: '+proj=laea +lat_0=52 +lon_0=10 +x_0=4321000 +y_0=3210000 +ellps=GRS80 +units=m +no_defs' },
  { code: 3034, name: 'ETRS89-extended / LCC Europe', proj4: '+proj=lcc +lat_0=52 +lon_0=10 +lat_1=35 +lat_2=65 +x_0=4000000 +y_0=2800000 +ellps=GRS80 +units=m +no_defs' },
  { code: 2154, name: 'RGF93 v1 / Lambert-93', proj4: '+proj=lcc +lat_0=46.5 +lon_0=3 +lat_1=49 +lat_2=44 +x_0=700000 +y_0=6600000 +ellps=GRS80 +towgs84=0,0,0,0,0,0,0 +units=m +no_defs' },
  { code: 5070, name: 'NAD83 / Conus Albers', proj4: '+proj=aea +lat_0=23 +lon_0=-96 +lat_1=29.5 +lat_2=45.5 +x_0=0 +y_0=0 +datum=NAD83 +units=m +no_defs' },
  { code: 3338, name: 'NAD83 / Alaska Albers', proj4: '+proj=aea +lat_0=50 +lon_0=-154 +lat_1=55 +lat_2=65 +x_0=0 +y_0=0 +datum=NAD83 +units=m +no_defs' },
  { code: 3413, name: 'WGS 84 / NSIDC Sea Ice Polar Stereographic North', proj4: '+proj=stere +lat_0=90 +lat_ts=70 +lon_0=-45 +k=1 +x_0=0 +y_0=0 +datum=WGS84 +units=m +no_defs' },
  { code: 3995, name: 'WGS 84 / Arctic Polar Stereographic', proj4: '+proj=stere +lat_0=90 +lat_ts=71 +lon_0=0 +k=1 +x_0=0 +y_0=0 +datum=WGS84 +units=m +no_defs' },
  { code: 3031, name: 'WGS 84 / Antarctic Polar Stereographic', proj4: '+proj=stere +lat_0=-90 +lat_ts=-71 +lon_0=0 +k=1 +x_0=0 +y_0=0 +datum=WGS84 +units=m +no_defs' },
  { code: 3976, name: 'WGS 84 / NSIDC Sea Ice Polar Stereographic South', proj4: '+proj=stere +lat_0=-90 +lat_ts=-70 +lon_0=0 +k=1 +x_0=0 +y_0=0 +datum=WGS84 +units=m +no_defs' },
  { code: 3032, name: 'WGS 84 / Australian Antarctic Polar Stereographic', proj4: '+proj=stere +lat_0=-90 +lat_ts=-71 +lon_0=70 +k=1 +x_0=6000000 +y_0=6000000 +datum=WGS84 +units=m +no_defs' },
  { code: 5041, name: 'WGS 84 / UPS North (E,N)', proj4: '+proj=stere +lat_0=90 +lon_0=0 +k=0.994 +x_0=2000000 +y_0=2000000 +datum=WGS84 +units=m +no_defs' },
  { code: 5042, name: 'WGS 84 / UPS South (E,N)', proj4: '+proj=stere +lat_0=-90 +lon_0=0 +k=0.994 +x_0=2000000 +y_0=2000000 +datum=WGS84 +units=m +no_defs' },
  ...range(28, 38).map(utmEtrs89),
  ...range(1, 60).map((z) => utmWgs84(z, false)),
  ...range(1, 60).map((z) => utmWgs84(z, true)),
]

const BY_CODE = new Map(DEFINITIONS.map((d) => [d.code, d]))

/** The known definition of an EPSG code, if this file has one. */
export function crsDefinition(code: number): CrsDefinition | undefined {
  return BY_CODE.get(code)
}

/** 'EPSG:2154 (RGF93 v1 / Lambert-93)', or 'EPSG:n' for a code without a definition here. */
export function crsLabel(code: number): string {
  const d = BY_CODE.get(code)
  return d ? `EPSG:${code} (${d.name})` : `EPSG:${code}`
}

export type CrsResolution = { code: number; error?: undefined } | { code?: undefined; error: string }

/**
 * A 'crs' parameter's raw value → its EPSG code, or why it is none. The code is not checked against any
 * list here (the manifest's crsRanges do that); a proj4 string can only resolve to a code of DEFINITIONS.
 */
export function resolveCrs(raw: unknown): CrsResolution {
  if (typeof raw === 'number') {
    return Number.isInteger(raw) ? { code: raw } : { error: `expected an EPSG code, got ${raw}` }
  }
  if (typeof raw !== 'string') return { error: `expected an EPSG code or a proj4 string, got ${JSON.stringify(raw)}` }
  const s = raw.trim()
  const code = EPSG_FORMS.map((re) => re.exec(s)).find((m) => m)
  if (code) return { code: Number(code[1]) }
  if (CRS84.some((re) => re.test(s))) return { code: 4326 }
  if (/^\+|^proj=/i.test(s)) return resolveProj4(s)
  return { error: `expected EPSG:n, n, urn:ogc:def:crs:EPSG::n or a proj4 string (+proj=…), got ${JSON.stringify(raw)}` }
}

const EPSG_FORMS = [
  /^(?:EPSG:)?(\d{1,6})$/i,
  /^urn:(?:x-)?ogc:def:crs:EPSG:(?:[\d.]*:)?(\d{1,6})$/i, // urn:ogc:def:crs:EPSG::n, with or without a version
  /^https?:\/\/www\.opengis\.net\/def\/crs\/EPSG\/[\d.]+\/(\d{1,6})$/i,
  /^https?:\/\/www\.opengis\.net\/gml\/srs\/epsg\.xml#(\d{1,6})$/i,
]

// OGC's CRS84 is WGS 84 with longitude first: what reproject's 4326 is (x = longitude, always)
const CRS84 = [/^(?:OGC:)?CRS84$/i, /^urn:ogc:def:crs:OGC:[\d.]*:CRS84$/i, /^https?:\/\/www\.opengis\.net\/def\/crs\/OGC\/[\d.]+\/CRS84$/i]

// ─── proj4 strings ──────────────────────────────────────────────────────────────────────────────────────

/** proj4's D2R (lib/constants/values.js): angles are compared as proj4 stores them, degrees × D2R */
const D2R = 0.01745329251994329577
/** angles: 1e-12° (0.1 µm on the ground); lengths (false origin, axes): 1e-7 m; scale: 1e-14 (0.1 µm at 10 000 km) */
const ANGLE_TOL = 1e-12 * D2R
const LENGTH_TOL = 1e-7
const SCALE_TOL = 1e-14

/** The ellipsoids proj4 knows by name that the known CRSs use (lib/constants/Ellipsoid.js). */
const ELLIPSOIDS: Record<string, { a: number; rf: number; name: string }> = {
  wgs84: { a: 6378137, rf: 298.257223563, name: 'WGS 84' },
  grs80: { a: 6378137, rf: 298.257222101, name: 'GRS 1980' },
}

/** The datums proj4 knows by name with no shift from WGS84 (lib/constants/Datum.js: towgs84 0,0,0). */
const DATUMS: Record<string, { ellps: string; name: string }> = {
  wgs84: { ellps: 'wgs84', name: 'WGS84' },
  nad83: { ellps: 'grs80', name: 'NAD83' },
}

/** Parameters that change no coordinate (proj4 reads +title, +no_defs, +wktext, +type as nothing). */
const IGNORED = new Set(['no_defs', 'wktext', 'type', 'title'])
/** The ellipsoid, datum and unit parameters, accepted with every projection (and checked below). */
const COMMON = new Set(['ellps', 'datum', 'a', 'b', 'rf', 'r', 'towgs84', 'nadgrids', 'units', 'to_meter', 'axis', 'pm'])

/** The projections of the known CRSs and the parameters each reads (proj4's names; `k` is `k_0`). */
const PROJECTIONS: Record<string, { method: Method; params: string[] }> = {
  longlat: { method: 'longlat', params: [] },
  lonlat: { method: 'longlat', params: [] },
  latlon: { method: 'longlat', params: [] },
  latlong: { method: 'longlat', params: [] },
  merc: { method: 'merc', params: ['lat_ts', 'lon_0', 'x_0', 'y_0', 'k', 'k_0'] },
  utm: { method: 'tmerc', params: ['zone', 'south'] },
  tmerc: { method: 'tmerc', params: ['lat_0', 'lon_0', 'k', 'k_0', 'x_0', 'y_0'] },
  etmerc: { method: 'tmerc', params: ['lat_0', 'lon_0', 'k', 'k_0', 'x_0', 'y_0'] },
  laea: { method: 'laea', params: ['lat_0', 'lon_0', 'x_0', 'y_0'] },
  lcc: { method: 'lcc', params: ['lat_0', 'lon_0', 'lat_1', 'lat_2', 'k', 'k_0', 'x_0', 'y_0'] },
  aea: { method: 'aea', params: ['lat_0', 'lon_0', 'lat_1', 'lat_2', 'x_0', 'y_0'] },
  stere: { method: 'stere', params: ['lat_0', 'lon_0', 'lat_ts', 'k', 'k_0', 'x_0', 'y_0'] },
}

type Method = 'longlat' | 'merc' | 'tmerc' | 'laea' | 'lcc' | 'aea' | 'stere'

type Kind = 'angle' | 'length' | 'scale'

/** One definition in a comparable form: the method, its numbers (angles in radians) and the ellipsoid. */
interface Normal {
  method: Method
  values: Map<string, { v: number; kind: Kind }>
  a: number
  b: number
  /** 'NAD83' when the string names that datum (a NAD83 definition accepts GRS80 without a datum too) */
  datum?: string
  /** +proj=utm's zone, to say differences in its terms */
  zone?: number
}

/** proj4's `+key=value` tokens: split on '+' as projString.js does, or on spaces if the '+'s were lost. */
function tokens(s: string): Array<[string, string | true]> {
  const parts = s.includes('+') ? s.split('+') : s.split(/\s+/)
  return parts.map((p) => p.trim()).filter((p) => p).map((p) => {
    const i = p.indexOf('=')
    return i < 0 ? [p.toLowerCase(), true] : [p.slice(0, i).toLowerCase(), p.slice(i + 1).trim()]
  })
}

/** A proj4 string → its comparable form, or why it has none that a known CRS could equal. */
function normalize(s: string): Normal | string {
  const given = new Map<string, string | true>()
  for (const [k, v] of tokens(s)) {
    if (given.has(k)) return `+${k} is given twice`
    given.set(k, v)
  }
  const projName = given.get('proj')
  if (typeof projName !== 'string') return 'it has no +proj=…'
  const proj = PROJECTIONS[projName.toLowerCase()]
  if (!proj) return `+proj=${projName}: no supported CRS uses this projection`
  for (const k of given.keys()) {
    if (k !== 'proj' && !IGNORED.has(k) && !COMMON.has(k) && !proj.params.includes(k)) {
      return `+${k} ${projectionParam(k) ? `does not apply to +proj=${projName}` : 'is not a parameter reproject knows (it would change the coordinates, or may)'}`
    }
  }
  if (given.has('k') && given.has('k_0')) return '+k and +k_0 are both given'

  const num = (k: string): number | string | undefined => {
    const v = given.get(k)
    if (v === undefined) return undefined
    const x = typeof v === 'string' && v !== '' ? Number(v) : NaN
    return Number.isFinite(x) ? x : `+${k}=${v === true ? '' : v} is not a number`
  }

  // units, axes, prime meridian: only what the known CRSs have
  const units = given.get('units')
  if (units !== undefined && !(units === 'm' || (proj.method === 'longlat' && (units === 'degrees' || units === 'degree')))) {
    return `+units=${units === true ? '' : units}: reproject's projected CRSs are in metres (+units=m)`
  }
  const toMeter = num('to_meter')
  if (typeof toMeter === 'string') return toMeter
  if (toMeter !== undefined && toMeter !== 1) return `+to_meter=${toMeter}: reproject's projected CRSs are in metres`
  const axis = given.get('axis')
  if (axis !== undefined && axis !== 'enu') return `+axis=${axis === true ? '' : axis}: the known CRSs are east, north (enu)`
  const pm = given.get('pm')
  if (pm !== undefined && !(typeof pm === 'string' && (pm.toLowerCase() === 'greenwich' || Number(pm) === 0))) {
    return `+pm=${pm === true ? '' : pm}: the known CRSs are on the Greenwich meridian`
  }

  // the datum: none of the known CRSs shifts from WGS84
  const towgs84 = given.get('towgs84')
  if (towgs84 !== undefined) {
    const t = typeof towgs84 === 'string' ? towgs84.split(',').map((x) => Number(x)) : []
    if (!(t.length === 3 || t.length === 7) || t.some((x) => !Number.isFinite(x))) return `+towgs84=${towgs84 === true ? '' : towgs84} is not 3 or 7 numbers`
    if (t.some((x) => x !== 0)) return `+towgs84=${towgs84} is a datum shift; reproject applies none (the known CRSs are on WGS84 or on datums proj4 takes as equal to it)`
  }
  const nadgrids = given.get('nadgrids')
  if (nadgrids !== undefined && nadgrids !== '@null') return `+nadgrids=${nadgrids === true ? '' : nadgrids}: grid shifts are not supported`
  const datumName = given.get('datum')
  let datum: { ellps: string; name: string } | undefined
  if (datumName !== undefined) {
    datum = typeof datumName === 'string' ? DATUMS[datumName.toLowerCase()] : undefined
    if (!datum) return `+datum=${datumName === true ? '' : datumName}: reproject knows WGS84 and NAD83 only (datums with no shift from WGS84 in proj4)`
  }

  // the ellipsoid, with proj4's precedence: +R, then +a (with +b or +rf), then the datum's, then +ellps
  let a: number, b: number
  const R = num('r'), A = num('a'), B = num('b'), RF = num('rf')
  for (const x of [R, A, B, RF]) if (typeof x === 'string') return x
  if (R !== undefined) {
    a = b = R as number
  } else if (A !== undefined) {
    if (B === undefined && RF === undefined) return '+a needs +b or +rf'
    a = A as number
    b = B !== undefined ? (B as number) : (1.0 - 1.0 / (RF as number)) * a
  } else {
    const ellpsName = datum ? datum.ellps : given.get('ellps')
    if (ellpsName === undefined) {
      return 'it names no ellipsoid or datum (+datum=WGS84, +ellps=GRS80, …): proj4 and PROJ would fill in different ones'
    }
    const e = typeof ellpsName === 'string' ? ELLIPSOIDS[ellpsName.toLowerCase().replace(/[\s_\-/()]/g, '')] : undefined
    if (!e) return `+ellps=${ellpsName === true ? '' : ellpsName}: the known CRSs are on WGS84 or GRS80`
    a = e.a
    b = (1.0 - 1.0 / e.rf) * a
  }
  if (!(a > 0 && b > 0)) return 'its ellipsoid is not a real one'

  // the projection's parameters, as proj4 reads and defaults them
  const values = new Map<string, { v: number; kind: Kind }>()
  const put = (key: string, v: number, kind: Kind) => values.set(key, { v: kind === 'angle' ? v * D2R : v, kind })
  const read = (key: string, kind: Kind, dflt?: number): string | undefined => {
    const v = num(key)
    if (typeof v === 'string') return v
    if (v === undefined && dflt === undefined) return `+proj=${projName} needs +${key}`
    put(key, v ?? (dflt as number), kind)
    return undefined
  }
  const k = given.has('k_0') ? 'k_0' : 'k'
  let why: string | undefined
  switch (projName.toLowerCase()) {
    case 'utm': {
      const zone = given.get('zone')
      if (typeof zone !== 'string' || !/^\d{1,2}$/.test(zone) || Number(zone) < 1 || Number(zone) > 60) return `+proj=utm needs +zone=1…60${zone === undefined ? '' : `, got ${zone === true ? '' : zone}`}`
      put('lat_0', 0, 'angle')
      put('lon_0', 6 * Number(zone) - 183, 'angle')
      put('k_0', 0.9996, 'scale')
      put('x_0', 500000, 'length')
      put('y_0', given.get('south') === true ? 10000000 : 0, 'length')
      if (given.has('south') && given.get('south') !== true) return '+south takes no value'
      break
    }
    case 'lcc':
    case 'aea': {
      // proj4: lat_1 defaults to lat_0 (the 1SP form), lcc's lat_2 to lat_1; the parallels are a pair
      why = read('lat_0', 'angle', 0) ?? read('lon_0', 'angle', 0) ?? read('x_0', 'length', 0) ?? read('y_0', 'length', 0)
      if (why) return why
      if (proj.method === 'lcc') why = read(k, 'scale', 1)
      if (why) return why
      const lat1 = num('lat_1'), lat2 = num('lat_2')
      if (typeof lat1 === 'string') return lat1
      if (typeof lat2 === 'string') return lat2
      if (proj.method === 'aea' && (lat1 === undefined || lat2 === undefined)) return '+proj=aea needs +lat_1 and +lat_2'
      const p1 = lat1 ?? (values.get('lat_0')!.v / D2R)
      const p2 = lat2 ?? p1
      put('lat_lo', Math.min(p1, p2), 'angle')
      put('lat_hi', Math.max(p1, p2), 'angle')
      break
    }
    case 'stere': {
      why = read('lat_0', 'angle', 0) ?? read('lon_0', 'angle', 0) ?? read('x_0', 'length', 0) ?? read('y_0', 'length', 0)
      if (why) return why
      if (Math.abs(Math.cos(values.get('lat_0')!.v)) > 1e-10) return '+proj=stere: only the polar aspect is supported (+lat_0=90 or -90)'
      const ts = num('lat_ts')
      if (typeof ts === 'string') return ts
      if (ts !== undefined && Math.abs(Math.cos(ts * D2R)) > 1e-10) {
        put('lat_ts', ts, 'angle') // variant B: the standard parallel sets the scale, +k is not read
      } else {
        why = read(k, 'scale', 1) // variant A
        if (why) return why
      }
      break
    }
    case 'merc':
      why = read('lat_ts', 'angle', 0) ?? read('lon_0', 'angle', 0) ?? read('x_0', 'length', 0) ?? read('y_0', 'length', 0) ?? read(k, 'scale', 1)
      if (why) return why
      break
    case 'longlat':
    case 'lonlat':
    case 'latlon':
    case 'latlong':
      break
    default: // tmerc, etmerc, laea
      why = read('lat_0', 'angle', 0) ?? read('lon_0', 'angle', 0) ?? read('x_0', 'length', 0) ?? read('y_0', 'length', 0)
      if (why) return why
      if (proj.method === 'tmerc') why = read(k, 'scale', 1)
      if (why) return why
  }
  // k and k_0 are one parameter
  if (values.has('k')) {
    values.set('k_0', values.get('k')!)
    values.delete('k')
  }
  const zone = projName.toLowerCase() === 'utm' ? Number(given.get('zone')) : undefined
  return { method: proj.method, values, a, b, datum: datum?.name, zone }
}

function projectionParam(k: string): boolean {
  return Object.values(PROJECTIONS).some((p) => p.params.includes(k))
}

const TOL: Record<Kind, number> = { angle: ANGLE_TOL, length: LENGTH_TOL, scale: SCALE_TOL }

/** How the string's form differs from a definition's: [] when they are equal. */
function differences(got: Normal, def: Normal, defCode: number): string[] {
  const out: string[] = []
  const show = (key: string, x: { v: number; kind: Kind } | undefined) => {
    if (!x) return 'absent'
    return String(x.kind === 'angle' ? +(x.v / D2R).toPrecision(15) : x.v)
  }
  const keys = new Set([...got.values.keys(), ...def.values.keys()])
  for (const key of keys) {
    const g = got.values.get(key), d = def.values.get(key)
    if (g && d && Math.abs(g.v - d.v) <= TOL[d.kind]) continue
    if (key === 'lon_0' && got.zone !== undefined && def.zone !== undefined) {
      out.push(`+zone=${got.zone} where EPSG:${defCode} is zone ${def.zone}`)
      continue
    }
    const name = key === 'lat_lo' || key === 'lat_hi' ? 'a standard parallel' : `+${key}`
    out.push(`${name} is ${show(key, g)} where EPSG:${defCode} has ${show(key, d)}`)
  }
  if (Math.abs(got.a - def.a) > LENGTH_TOL || Math.abs(got.b - def.b) > LENGTH_TOL) {
    out.push(`the ellipsoid is ${ellipsoidName(got.a, got.b)} where EPSG:${defCode}'s is ${ellipsoidName(def.a, def.b)}`)
  }
  if (got.datum === 'NAD83' && def.datum !== 'NAD83') out.push(`+datum=NAD83, where EPSG:${defCode} is not on NAD83`)
  return out
}

/** 'GRS 1980', 'WGS 84', or the axes for another one. */
function ellipsoidName(a: number, b: number): string {
  for (const e of Object.values(ELLIPSOIDS)) {
    if (Math.abs(a - e.a) <= LENGTH_TOL && Math.abs(b - (1.0 - 1.0 / e.rf) * e.a) <= LENGTH_TOL) return e.name
  }
  return a === b ? `a sphere of radius ${a} m` : `a = ${a} m, b = ${b} m`
}

let NORMALS: Array<{ def: CrsDefinition; n: Normal }> | undefined

function knownNormals(): Array<{ def: CrsDefinition; n: Normal }> {
  if (!NORMALS) {
    NORMALS = DEFINITIONS.map((def) => {
      const n = normalize(def.proj4)
      if (typeof n === 'string') throw new Error(`crs-names: the definition of EPSG:${def.code} does not parse: ${n}`)
      return { def, n }
    })
  }
  return NORMALS
}

/** A proj4 string → the code of the known definition it equals, or why there is none. */
export function resolveProj4(s: string): CrsResolution {
  const shown = s.length > 120 ? `${s.slice(0, 117)}…` : s
  const n = normalize(s)
  if (typeof n === 'string') return { error: `the proj4 string "${shown}" matches no supported CRS: ${n}` }
  // the closest: fewest differing parameters, then the smallest differences (relative)
  let closest: { code: number; diff: string[]; score: number } | undefined
  for (const { def, n: d } of knownNormals()) {
    if (d.method !== n.method) continue
    const diff = differences(n, d, def.code)
    if (diff.length === 0) return { code: def.code }
    let score = diff.length
    for (const [key, x] of d.values) score += Math.min(0.5, Math.abs((n.values.get(key)?.v ?? Infinity) - x.v) / (Math.abs(x.v) + 1))
    if (!closest || score < closest.score) closest = { code: def.code, diff, score }
  }
  const why = closest ? `the closest, ${crsLabel(closest.code)}, differs: ${closest.diff.join('; ')}` : 'no supported CRS uses this projection'
  return { error: `the proj4 string "${shown}" matches no supported CRS: ${why}` }
}
