// The basemap: Natural Earth countries from the world-atlas package (TopoJSON, served by the gateway and
// turned into GeoJSON by topojson-client), drawn as a vector layer in its own pane under every tile layer.
// No tile server: the map works offline.
import * as L from 'leaflet'
import { feature } from 'topojson-client'
import type { GeometryCollection, Topology } from 'topojson-specification'

export async function addBasemap(map: L.Map, url = '/web/countries.json'): Promise<L.GeoJSON> {
  const pane = 'basemap'
  map.createPane(pane).style.zIndex = '150' // below the tile pane (200): heatmap tiles draw over the land
  const topo = (await (await fetch(url)).json()) as Topology<{ countries: GeometryCollection<{ name: string }> }>
  const countries = feature(topo, topo.objects.countries)
  // GeoJSON hands its options to every polygon it makes, so path options (one canvas renderer) apply
  const options: L.GeoJSONOptions & L.PathOptions = {
    pane,
    renderer: L.canvas({ pane }),
    interactive: false,
    style: { color: '#9aa3b5', weight: 0.6, fillColor: '#eeeae2', fillOpacity: 1 },
  }
  return L.geoJSON(countries, options).addTo(map)
}
