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

/** A field of the tile a branch of a mapped step runs for: `${{ tile.z }}`, … (see TILE_FIELDS). */
export type TileField = 'z' | 'x' | 'y' | 'bbox'

/** What each tile field is, as a parameter type: z/x/y the XYZ tile (rows from the top), bbox its w,s,e,n in degrees. */
export const TILE_FIELDS: Record<TileField, 'int' | 'bbox'> = { z: 'int', x: 'int', y: 'int', bbox: 'bbox' }

/**
 * A `with` value: a literal, `${{ input.NAME }}` resolved per invocation, or (in a mapped step only)
 * `${{ tile.FIELD }}` resolved per branch.
 */
export type WithValue = { literal: unknown } | { ref: string } | { tile: TileField }

/**
 * `map: { tiles: { bbox, zoom } }`: the step runs once per Web Mercator tile at `zoom` that the lon/lat
 * `bbox` touches (rows from the top, then columns; at most MAX_MAP_TILES). bindChain expands it into one
 * plan step per tile; a step that needs the mapped step gathers them all.
 */
export interface ChainMap {
  tiles: { bbox: { literal: unknown } | { ref: string }; zoom: { literal: unknown } | { ref: string } }
}

/** Where a step input comes from: the chain's input, or output `output` of an earlier step. */
export type ChainRef = { input: true } | { step: string; output: number }

export interface ChainStep {
  id: string
  faaslet: string
  with: Record<string, WithValue>
  inputs: ChainRef[]
  /** the list the step is mapped over: one branch per item, each with its own parameters */
  map?: ChainMap
  /** the step reads a mapped step's output (its one input): every branch's, as a tree past 8 when associative */
  gathers?: string
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
