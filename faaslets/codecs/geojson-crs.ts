// The CRS of GeoJSON: RFC 7946 says WGS84 lon/lat and nothing else, but QGIS, GDAL and the 2008 GeoJSON
// format name other CRSs with a `crs` member. Read it when present (so a file GDAL wrote in UTM keeps its
// CRS), and write it when the coordinates are not EPSG:4326 (so QGIS and GDAL place them; a reader that
// follows RFC 7946 strictly can ask for `rfc7946` and have such output refused instead).
import { fail } from '../../errors/index.js'
import { resolveCrs } from '../abi/crs-names.js'

/** The name QGIS and GDAL write and read: urn:ogc:def:crs:EPSG::3857. */
export const crsUrn = (epsg: number) => `urn:ogc:def:crs:EPSG::${epsg}`

/** The crs member for coordinates in `epsg`, or none for EPSG:4326 (RFC 7946's default). */
export function crsMember(epsg: number): { type: 'name'; properties: { name: string } } | undefined {
  return epsg === 4326 ? undefined : { type: 'name', properties: { name: crsUrn(epsg) } }
}

/**
 * The EPSG code a GeoJSON object's `crs` member names, or undefined when it has none. Accepts the named
 * form with any name a crs parameter takes (crs-names.ts: EPSG URNs and URLs, EPSG:n, OGC CRS84 = 4326)
 * and the 2008 `{"type": "EPSG", "properties": {"code": n}}`. Linked CRSs and other names are refused.
 */
export function crsOfGeoJSON(json: unknown): number | undefined {
  const crs = (json as { crs?: unknown } | null)?.crs
  if (crs === undefined || crs === null) return undefined
  const c = crs as { type?: unknown; properties?: { name?: unknown; code?: unknown } }
  if (c.type === 'EPSG' && Number.isInteger(c.properties?.code)) return c.properties!.code as number
  if (c.type === 'name' && typeof c.properties?.name === 'string') {
    const named = resolveCrs(c.properties.name)
    if (named.code !== undefined) return named.code
  }
  throw fail('E_BAD_GEOJSON', `crs: cannot read ${JSON.stringify(crs)} (use {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::<code>"}})`)
}
