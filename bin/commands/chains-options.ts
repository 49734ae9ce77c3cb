// The options of `graticule chains`, `validate` and `run`, declared once: their parsers and help come from here.
import type { OptionTable } from '../options.js'
import { MODES } from '../../dataplane/modes.js'
import { IN, IN_FORMAT, OUT_FORMAT, PARAM } from './io-options.js'

export const CHAINS_OPTIONS = {
  json: { type: 'boolean', describe: 'the chains as JSON: name, description, input, outputs' },
} satisfies OptionTable

export const VALIDATE_POSITIONALS = '<chain.yaml>...'

export const VALIDATE_OPTIONS = {
  json: { type: 'boolean', describe: 'the problems as JSON on stdout (file, line, col, code, message, hint) instead of rendered on stderr' },
} satisfies OptionTable

export const RUN_POSITIONALS = '<chain.yaml|name>'

export const RUN_OPTIONS = {
  in: IN,
  out: { type: 'string', value: 'file|-', required: true, multiple: true, describe: 'output file, or - for stdout; one picks an output by --output or its format, several take the outputs in order' },
  'in-format': IN_FORMAT,
  'out-format': OUT_FORMAT,
  param: { ...PARAM, describe: 'an input parameter of the chain (graticule chains lists them)' },
  output: { type: 'string', value: 'name', describe: 'which output of the chain to write with a single --out' },
  mode: { type: 'string', choices: MODES, default: 'shared', describe: 'how the steps hand regions to each other' },
} satisfies OptionTable
