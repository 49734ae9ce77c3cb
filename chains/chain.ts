// A validated chain: the YAML's meaning, resolved against the faaslet manifests. Steps are in an order
// where every step comes after the steps it needs. bind.ts turns a chain plus invocation parameters into
// the plan the dataplane runs.
import type { ParamSpec, RegionKindName } from '../faaslets/abi/manifest.js'
import { GEOTIFF_MEDIA_TYPE } from '../faaslets/codecs/geotiff.js'

export type InputKind = 'tile' | 'points' | 'features'
export type OutputFormat = 'png' | 'geojson' | 'grid' | 'tiff' | 'mvt' | 'csv' | 'region'

/** The region kind a chain input of each kind is written as. */
export const INPUT_REGION: Record<InputKind, RegionKindName> = { tile: 'mvt', points: 'points', features: 'features' }

/** Region kinds each output format can be written from. */
export const FORMAT_KINDS: Record<OutputFormat, RegionKindName[]> = {
  png: ['image'],
  geojson: ['features', 'points', 'clusters'],
  grid: ['grid'],
  tiff: ['grid'],
  mvt: ['mvt'],
  csv: ['points', 'features'],
  region: ['mvt', 'points', 'features', 'clusters', 'grid', 'image'],
}

export const FORMAT_MEDIA: Record<OutputFormat, string> = {
  png: 'image/png',
  geojson: 'application/geo+json',
  grid: 'application/json',
  tiff: GEOTIFF_MEDIA_TYPE,
  mvt: 'application/vnd.mapbox-vector-tile',
  csv: 'text/csv',
  region: 'application/vnd.graticule.region',
}

/** A `with` value: a literal, or `${{ input.NAME }}` resolved per invocation. */
export type WithValue = { literal: unknown } | { ref: string }

/** Where a step input comes from: the chain's input, or output `output` of an earlier step. */
export type ChainRef = { input: true } | { step: string; output: number }

export interface ChainStep {
  id: string
  faaslet: string
  with: Record<string, WithValue>
  inputs: ChainRef[]
}

export interface ChainOutput {
  name: string
  step: string
  output: number
  as: OutputFormat
  kind: RegionKindName
}

export interface Chain {
  name: string
  description: string
  input: { kind: InputKind; params: ParamSpec[] }
  steps: ChainStep[]
  outputs: ChainOutput[]
  /** the YAML it was loaded from, as written */
  source: string
  file: string
}
