// The CRS of GeoJSON: RFC 7946 says WGS84 lon/lat and nothing else, but QGIS, GDAL and the 2008 GeoJSON
// format name other CRSs with a `crs` member. Read it when present (so a file GDAL wrote in UTM keeps its
// CRS), and write it when the coordinates are not EPSG:4326 (so QGIS and GDAL place them; a reader that
// follows RFC 7946 strictly can ask for `rfc7946` and have such output refused instead).
import { fail } from '../../errors/index.js'

/** The name QGIS and GDAL write and read: urn:ogc:def:crs:EPSG::3857. */
export const crsUrn = (epsg: number) => `urn:ogc:def:crs:EPSG::${epsg}`

/** The crs member for coordinates in `epsg`, or none for EPSG:4326 (RFC 7946's default). */
export function crsMember(epsg: number): { type: 'name'; properties: { name: string } } | undefined {
  return epsg === 4326 ? undefined : { type: 'name', properties: { name: crsUrn(epsg) } }
}

/**
 * The EPSG code a GeoJSON object's `crs` member names, or undefined when it has none. Accepts the named
 * form with urn:ogc:def:crs:EPSG::n, urn:ogc:def:crs:EPSG:version:n, EPSG:n and OGC CRS84 (= 4326, lon/lat),
 * and the 2008 `{"type": "EPSG", "properties": {"code": n}}`. Linked CRSs and other names are refused.
 */
export function crsOfGeoJSON(json: unknown): number | undefined {
  const crs = (json as { crs?: unknown } | null)?.crs
  if (crs === undefined || crs === null) return undefined
  const c = crs as { type?: unknown; properties?: { name?: unknown; code?: unknown } }
  if (c.type === 'EPSG' && Number.isInteger(c.properties?.code)) return c.properties!.code as number
  const name = c.type === 'name' && typeof c.properties?.name === 'string' ? c.properties.name.trim() : null
  if (name !== null) {
    if (/^urn:ogc:def:crs:OGC:[^:]*:CRS84$/i.test(name) || /^CRS84$/i.test(name)) return 4326
    const m = /^urn:ogc:def:crs:EPSG:[^:]*:(\d+)$/i.exec(name) ?? /^EPSG:(\d+)$/i.exec(name)
    if (m) return Number(m[1])
  }
  throw fail('E_BAD_GEOJSON', `crs: cannot read ${JSON.stringify(crs)} (use {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::<code>"}})`)
}
