// The flags exec and run share: where the data comes from and goes to, in which format, and the
// parameters. Declared once here so both commands (and their help) say the same thing.
import type { OptionSpec } from '../options.js'

export const IN = { type: 'string', value: 'file|-', required: true, describe: 'input file, or - for stdin' } satisfies OptionSpec

export const IN_FORMAT = {
  type: 'string', value: 'ext',
  describe: 'format of the input, named like a file extension (geojson, csv, mvt, grid.json, …); required with --in -, else the extension of --in decides',
} satisfies OptionSpec

export const OUT_FORMAT = {
  type: 'string', value: 'ext',
  describe: 'format of the output, named like a file extension (png, geojson, tif, …); required with --out -, else the extension of --out decides',
} satisfies OptionSpec

export const PARAM = { type: 'string', value: 'key=value', short: 'p', multiple: true, describe: 'a parameter' } satisfies OptionSpec
