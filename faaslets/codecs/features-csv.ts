// FEATURES regions of Point features → CSV: the table form of per-place results (h3-bin's cells with geometry=center, say).
// Columns: lon, lat, id when any feature has one, then every property key in the order first seen. RFC 4180
// quoting; null and a missing property are empty fields. A feature that is not a Point cannot be a row, and
// the whole call is refused with its index rather than written without it.
import { fail } from '../../errors/index.js'
import type { FeatureCollection, PropertyValue } from './features.js'

const quote = (v: string) => (/[",\r\n]/.test(v) || v !== v.trim() ? `"${v.replace(/"/g, '""')}"` : v)

function field(v: PropertyValue | undefined): string {
  if (v === null || v === undefined) return ''
  return typeof v === 'string' ? quote(v) : String(v)
}

export function featuresToCsv(fc: FeatureCollection): string {
  const keys: string[] = []
  const seen = new Set<string>()
  let ids = false
  fc.features.forEach((f, i) => {
    if (f.geometry.type !== 'Point') throw fail('E_BAD_FORMAT', 'csv', `feature ${i} is a ${f.geometry.type}: a CSV row holds one point (lon,lat); write GeoJSON, or ask for points (h3-bin: geometry=center)`)
    if (f.id !== undefined) ids = true
    for (const k of Object.keys(f.properties)) if (!seen.has(k)) { seen.add(k); keys.push(k) }
  })
  const reserved = new Set(['lon', 'lat', ...(ids ? ['id'] : [])])
  const clash = keys.find((k) => reserved.has(k))
  if (clash) throw fail('E_BAD_FORMAT', 'csv', `a property is named "${clash}", which is also a coordinate or id column`)
  const rows = [['lon', 'lat', ...(ids ? ['id'] : []), ...keys].map(quote).join(',')]
  for (const f of fc.features) {
    const [lon, lat] = (f.geometry as { coordinates: number[] }).coordinates
    rows.push([String(lon), String(lat), ...(ids ? [field(f.id as number | undefined)] : []), ...keys.map((k) => field(f.properties[k]))].join(','))
  }
  return rows.join('\n') + '\n'
}
