// The options of `graticule exec`, declared once: the parser and `graticule exec --help` come from here.
import type { OptionTable } from '../options.js'
import { GEOMETRY_AS_POINTS } from '../../faaslets/codecs/points.js'
import { CSV_DELIMITERS } from '../../faaslets/codecs/csv.js'
import { IN, IN_FORMAT, OUT_FORMAT, PARAM } from './io-options.js'

export const EXEC_POSITIONALS = '<faaslet>'

export const EXEC_OPTIONS = {
  in: IN,
  out: { type: 'string', value: 'file|-', required: true, describe: 'output file, or - for stdout' },
  'in-format': IN_FORMAT,
  'out-format': OUT_FORMAT,
  param: { ...PARAM, describe: "a parameter of the faaslet (graticule faaslets lists them)" },
  output: { type: 'string', value: 'name', describe: 'which output of the faaslet to write (default: the first the output format can hold)' },
  crs: { type: 'string', value: 'EPSG:n', describe: 'CRS of an input that does not name one (default EPSG:4326); EPSG codes, URNs, proj4 strings' },
  geometry: { type: 'string', value: GEOMETRY_AS_POINTS.join('|'), describe: 'what lines and polygons become when the faaslet reads points (default refuse)' },
  delimiter: { type: 'string', value: 'char', describe: `CSV delimiter: ${CSV_DELIMITERS.map((d) => (d === '\t' ? 'tab' : d)).join(' ')} (default: sniffed from the header row)` },
  rfc7946: { type: 'boolean', describe: 'refuse to write GeoJSON in any CRS but WGS 84 instead of naming the CRS' },
  'world-file': { type: 'boolean', describe: 'write a world file (.pgw beside a .png) and the CRS (.aux.xml) beside the raster; not with --out -' },
  test: { type: 'boolean', describe: 'include the test faaslets' },
} satisfies OptionTable
