// One table per command declares its options: the parser, the help text, the environment variables and the
// configuration file are all derived from it. Precedence: flag > environment > configuration file > default.
import { parseArgs } from 'node:util'
import { suggest } from '../chains/diagnostics.js'

export interface OptionSpec {
  type: 'string' | 'boolean'
  /** what the help shows as the value, e.g. "host:port" (default: the choices, a|b|c) */
  value?: string
  /** the only values it takes, wherever it comes from (a usage error otherwise) */
  choices?: readonly string[]
  default?: string | boolean
  /** environment variable that sets it when the flag is absent */
  env?: string
  multiple?: boolean
  short?: string
  describe: string
  /** not read from a configuration file (e.g. --config itself) */
  noFile?: boolean
  /** a usage error when no flag, environment variable, file entry or default gives it */
  required?: boolean
}

export type OptionTable = Record<string, OptionSpec>

/** A usage problem (bad flag, missing argument): the CLI exits 2 for these only. */
export class UsageError extends Error {}

export type OptionValues = Record<string, string | boolean | string[] | undefined>

type ValueOf<S extends OptionSpec> = S extends { type: 'boolean' } ? boolean : S extends { multiple: true } ? string[] : string

/** What a table parses to, typed when the table is declared `satisfies OptionTable`: a value is always
 *  there when the option is required or has a default, else it may be undefined. */
export type ValuesOf<T extends OptionTable> = string extends keyof T
  ? OptionValues
  : { [K in keyof T]: ValueOf<T[K]> | (T[K] extends { required: true } | { default: string | boolean } ? never : undefined) }

export interface Parsed<V = OptionValues> {
  values: V
  positionals: string[]
  /** where each value came from */
  source: Record<string, 'flag' | 'env' | 'file' | 'default'>
}

function fromText(spec: OptionSpec, name: string, text: unknown, where: string): string | boolean | string[] {
  if (spec.type === 'boolean') {
    if (typeof text === 'boolean') return text
    if (text === 'true' || text === '1') return true
    if (text === 'false' || text === '0' || text === '') return false
    throw new UsageError(`${where} ${name}: expected true or false, got "${String(text)}"`)
  }
  if (spec.multiple) {
    if (Array.isArray(text)) return text.map(String)
    return String(text).split(',').filter(Boolean)
  }
  if (typeof text === 'object' && text !== null) throw new UsageError(`${where} ${name}: expected a value, got ${JSON.stringify(text)}`)
  return String(text)
}

/**
 * `--grid-bbox -5,42,10,52` as `--grid-bbox=-5,42,10,52`: parseArgs takes a value that starts with a dash for an
 * option of its own, and coordinates west of Greenwich or south of the equator do. A negative number (or a list
 * starting with one) after a string option is its value.
 */
function joinNegativeValues(table: OptionTable, args: string[]): string[] {
  const out: string[] = []
  for (let i = 0; i < args.length; i++) {
    const name = args[i].startsWith('--') && !args[i].includes('=') ? args[i].slice(2) : ''
    const next = args[i + 1]
    if (name && table[name]?.type === 'string' && next !== undefined && /^-(\d|\.\d)/.test(next)) out.push(`${args[i]}=${args[++i]}`)
    else out.push(args[i])
  }
  return out
}

/**
 * `positionals`: false (none allowed), true (any), or the positionals as help shows them — "<faaslet>",
 * "<chain.yaml>...", "[command]" — which then also decides how many there must and may be.
 */
export function parseOptions<T extends OptionTable>(table: T, args: string[], opts: { env?: NodeJS.ProcessEnv; file?: Record<string, unknown>; positionals?: boolean | string } = {}): Parsed<ValuesOf<T>> {
  const env = opts.env ?? process.env
  let parsed: ReturnType<typeof parseArgs>
  try {
    parsed = parseArgs({
      args: joinNegativeValues(table, args), allowPositionals: Boolean(opts.positionals), strict: true,
      options: Object.fromEntries(Object.entries(table).map(([k, s]) => [k, { type: s.type, ...(s.multiple ? { multiple: true } : {}), ...(s.short ? { short: s.short } : {}) }])),
    })
  } catch (e) {
    throw new UsageError(parseArgsMessage(e as Error & { code?: string }, Object.keys(table)))
  }
  if (typeof opts.positionals === 'string') checkPositionals(parsed.positionals, opts.positionals)
  const values: OptionValues = {}
  const source: Parsed['source'] = {}
  for (const [name, spec] of Object.entries(table)) {
    const flag = (parsed.values as OptionValues)[name]
    if (flag !== undefined) {
      values[name] = flag
      source[name] = 'flag'
    } else if (spec.env && env[spec.env] !== undefined && env[spec.env] !== '') {
      values[name] = fromText(spec, name, env[spec.env], `environment ${spec.env}:`)
      source[name] = 'env'
    } else if (!spec.noFile && opts.file && opts.file[name] !== undefined) {
      values[name] = fromText(spec, name, opts.file[name], 'configuration file:')
      source[name] = 'file'
    } else if (spec.default !== undefined) {
      values[name] = spec.default
      source[name] = 'default'
    } else if (spec.required) {
      throw new UsageError(`missing --${name}${spec.env ? ` (or ${spec.env})` : ''}`)
    }
    if (spec.choices && values[name] !== undefined) checkChoices(name, spec.choices, values[name])
  }
  return { values: values as ValuesOf<T>, positionals: parsed.positionals, source }
}

/** Each value (a list's items, comma lists split) one of `choices`. */
function checkChoices(name: string, choices: readonly string[], value: string | boolean | string[]): void {
  for (const v of [value].flat().flatMap((x) => String(x).split(',')).map((x) => x.trim()).filter(Boolean)) {
    if (!choices.includes(v)) throw new UsageError(`--${name} must be one of ${choices.join(', ')}, got "${v}"`)
  }
}

/** node:util's message, without its advice on `--` (rarely what was meant) but with the likely flag. */
function parseArgsMessage(e: Error & { code?: string }, names: string[]): string {
  const quoted = /'([^']*)'/.exec(e.message)?.[1] ?? ''
  if (e.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') {
    const likely = quoted.startsWith('--') ? suggest(quoted.slice(2).split('=')[0], names) : undefined
    return `unknown option ${quoted}${likely ? ` (did you mean --${likely}?)` : ''}`
  }
  if (e.code === 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL') return `unexpected argument "${quoted}"`
  return e.message
}

/** As many positionals as the usage shows: each <name> required, each [name] optional, "..." any more. */
function checkPositionals(got: string[], usage: string): void {
  const words = usage.split(/\s+/).filter(Boolean)
  const required = words.filter((w) => w.startsWith('<'))
  if (got.length < required.length) throw new UsageError(`missing ${required[got.length].replace(/\.\.\.$/, '')}`)
  if (!words.some((w) => w.endsWith('...')) && got.length > words.length) throw new UsageError(`unexpected argument "${got[words.length]}"`)
}

/** Columns the help is wrapped to: readable in an 80–120 column terminal and in a pager. */
const HELP_COLUMNS = 100

/** The help of one command, generated from its table. */
export function helpText(command: string, summary: string, positionals: string, table: OptionTable): string {
  const rows = Object.entries(table).map(([name, s]) => {
    const flag = `${s.short ? `-${s.short}, ` : '    '}--${name}${s.type === 'string' ? ` <${s.value ?? s.choices?.join('|') ?? 'value'}>` : ''}`
    const extra = [s.required ? 'required' : '', s.default !== undefined && s.default !== false ? `default ${String(s.default)}` : '', s.env ? `env ${s.env}` : '', s.multiple ? 'repeatable' : ''].filter(Boolean).join('; ')
    return [flag, `${s.describe}${extra ? ` [${extra}]` : ''}`]
  })
  rows.push(['-h, --help', 'this help'])
  const width = Math.min(38, Math.max(...rows.map(([f]) => f.length)) + 2)
  const indent = ' '.repeat(2 + width)
  const lines = [`usage: graticule ${command}${positionals ? ` ${positionals}` : ''} [options]`, '', summary, '', 'options:']
  for (const [f, d] of rows) {
    const [first, ...more] = wrap(d, HELP_COLUMNS - indent.length)
    lines.push(f.length >= width ? `  ${f}\n${indent}${first}` : `  ${f.padEnd(width)}${first}`, ...more.map((l) => indent + l))
  }
  return lines.join('\n')
}

/** Words into lines of at most `columns` characters (a longer word gets a line of its own). */
export function wrap(text: string, columns: number): string[] {
  const lines: string[] = []
  let line = ''
  for (const word of text.split(/\s+/).filter(Boolean)) {
    if (line && line.length + 1 + word.length > columns) {
      lines.push(line)
      line = word
    } else line = line ? `${line} ${word}` : word
  }
  return [...lines, line]
}

/** A non-negative number from an option, or a usage error naming it. */
export function numberOption(values: OptionValues, name: string): number | undefined {
  const v = values[name]
  if (v === undefined) return undefined
  const n = Number(v)
  if (typeof v !== 'string' || v.trim() === '' || !Number.isFinite(n) || n < 0) throw new UsageError(`--${name} must be a non-negative number, got "${String(v)}"`)
  return n
}
