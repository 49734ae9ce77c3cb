// FEATURES regions of Point features → CSV: the table form of per-place results (h3-bin's cells with
// geometry=center, a CSV read and reprojected). Columns: lon,lat (x,y when the crs is projected), id when
// any feature has one, then every property key in the order first seen. RFC 4180 quoting; null and a missing
// property are empty fields; arrays and objects are their JSON. A feature that is not a Point cannot be a
// row: the call is refused with its index (E_CANNOT_CARRY) rather than written without it.
import { fail } from '../../errors/index.js'
import type { FeatureCollection } from './features.js'
import { csvField } from './points.js'

export function featuresToCsv(fc: FeatureCollection, crs = 4326): string {
  const keys: string[] = []
  const seen = new Set<string>()
  let ids = false
  fc.features.forEach((f, i) => {
    const type = f.geometry?.type ?? 'null geometry'
    if (type !== 'Point') throw fail('E_CANNOT_CARRY', `features[${i}] (a ${type})`, 'CSV: a row holds one point; write GeoJSON, or ask for points (h3-bin: geometry=center)')
    if (f.id !== undefined) ids = true
    for (const k of Object.keys(f.properties)) if (!seen.has(k)) { seen.add(k); keys.push(k) }
  })
  const head = [...(crs === 4326 ? ['lon', 'lat'] : ['x', 'y']), ...(ids ? ['id'] : [])]
  const clash = keys.find((k) => head.includes(k))
  if (clash) throw fail('E_CANNOT_CARRY', `property "${clash}"`, 'CSV: it is also a coordinate or id column')
  const rows = [[...head, ...keys].map(csvField).join(',')]
  for (const f of fc.features) {
    const [x, y] = (f.geometry as { coordinates: number[] }).coordinates
    rows.push([String(x), String(y), ...(ids ? [csvField(f.id)] : []), ...keys.map((k) => csvField(f.properties[k]))].join(','))
  }
  return rows.join('\n') + '\n'
}
