// H3 cell boundaries as the map can draw them. H3 gives every longitude in [-180, 180], so the ring of a
// cell across the antimeridian jumps by ~360° between neighbours and would be drawn as a band around the
// world: its negative longitudes are shifted by +360, and Leaflet draws it just east of 180°. A cell around
// a pole (resolutions 0–2) winds once around it, which no shift undoes: its boundary is unwrapped (each
// longitude within 180° of the one before), cut at ±180 and closed along the pole's latitude — the band
// a polar cap is on a Mercator map. The cells themselves stay as H3 and the faaslet give them; only
// drawing changes.

/** GeoJSON positions: [longitude, latitude] in degrees. */
export type Ring = number[][]

/** The ring to draw for an H3 cell's boundary ring (closed, as cellToBoundary(h, true) gives it). */
export function drawableRing(ring: Ring): Ring {
  let winding = 0
  let crosses = false
  for (let k = 1; k < ring.length; k++) {
    const d = ring[k][0] - ring[k - 1][0]
    if (Math.abs(d) > 180) crosses = true
    winding += d > 180 ? d - 360 : d < -180 ? d + 360 : d
  }
  if (!crosses) return ring
  if (Math.abs(winding) < 180) return ring.map(([lon, lat]) => [lon < 0 ? lon + 360 : lon, lat])
  return poleBand(ring)
}

/** A ring around a pole as the band [-180, 180] × [its boundary, the pole]. */
function poleBand(ring: Ring): Ring {
  const line: Ring = [[ring[0][0], ring[0][1]]]
  for (let k = 1; k < ring.length; k++) {
    const prev = line[k - 1][0]
    let lon = ring[k][0]
    while (lon - prev > 180) lon -= 360
    while (lon - prev < -180) lon += 360
    line.push([lon, ring[k][1]])
  }
  if (line[line.length - 1][0] < line[0][0]) line.reverse() // eastward: from a to a + 360
  const shift = 360 * Math.ceil((-180 - line[0][0]) / 360) - 360 // a - 360 + shift in [-540, -180)
  // the boundary twice over, from below -180 to past 180, cut at both ends
  const twice = [...line.slice(0, -1).map(([lon, lat]) => [lon + shift, lat]), ...line.map(([lon, lat]) => [lon + shift + 360, lat])]
  const band: Ring = []
  for (let k = 1; k < twice.length; k++) {
    const [[x0, y0], [x1, y1]] = [twice[k - 1], twice[k]]
    for (const edge of [-180, 180]) if (x0 < edge && x1 >= edge) band.push([edge, y0 + ((y1 - y0) * (edge - x0)) / (x1 - x0)])
    if (x1 > -180 && x1 < 180) band.push([x1, y1])
  }
  const pole = ring.reduce((sum, [, lat]) => sum + lat, 0) > 0 ? 90 : -90
  return [...band, [180, pole], [-180, pole], band[0]]
}
