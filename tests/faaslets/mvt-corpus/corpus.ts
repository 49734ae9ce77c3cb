// The corpus: every region's tiles from three independent encoders, made when the test runs (nothing
// binary is checked in). Each encoder lives in its own file; this one names what they produce.
export type Encoder = 'geojson-vt' | 'gdal' | 'mapbox-vector-tile'

export interface CorpusTile {
  encoder: Encoder
  region: string
  z: number
  x: number
  y: number
  bytes: Uint8Array
}
