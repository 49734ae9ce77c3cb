// The edge role's defaults, in a module of their own: `graticule serve --help` shows them without loading the edge.
import { homedir, hostname } from 'node:os'
import { join } from 'node:path'
import type { TileSet } from '../partials/partial.js'

/** Web Mercator's latitude limit, degrees. */
const MAX_LAT = (Math.atan(Math.sinh(Math.PI)) * 180) / Math.PI

/**
 * The tile set edges grid their windows on, unless told: the world — where the simulator's sensors are — at zoom 2
 * (16 tiles), 64 cells a tile side (256 × 256 cells, 156 km at the equator), kernel radius 4 cells. Coarse on
 * purpose: the grid is what every window costs on the uplink, whatever its points; a site narrows the bbox and
 * deepens the zoom. Edges and cloud must use the same one.
 */
export const DEFAULT_TILE_SET: TileSet = { bbox: [-180, -MAX_LAT, 180, MAX_LAT], zoom: 2, size: 64, radius: 4, kernel: 'quartic' }

/** What an edge sends for each window: its partial (grid and cluster summaries), or its raw points (for comparison). */
export const UPLINK_KINDS = ['partials', 'raw'] as const
export type UplinkKind = (typeof UPLINK_KINDS)[number]

/** Zoom the cluster summaries are made for (the window-partial chain's default). */
export const DEFAULT_CLUSTER_ZOOM = 3

export const DEFAULT_SPOOL_MAX_BYTES = 1 << 30

export const defaultEdgeId = (): string => hostname()

/** ~/.graticule/spool/<edge id>: beside the chains and faaslets kept, not under a temp dir that a reboot empties. */
export const defaultSpoolDir = (edgeId: string): string => join(homedir(), '.graticule', 'spool', edgeId.replace(/[^A-Za-z0-9._-]/g, '_'))
