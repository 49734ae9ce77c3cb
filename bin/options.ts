// One table per command declares its options: the parser, the help text, the environment variables and the
// configuration file are all derived from it. Precedence: flag > environment > configuration file > default.
import { parseArgs } from 'node:util'

export interface OptionSpec {
  type: 'string' | 'boolean'
  /** what the help shows as the value, e.g. "host:port" */
  value?: string
  default?: string | boolean
  /** environment variable that sets it when the flag is absent */
  env?: string
  multiple?: boolean
  short?: string
  describe: string
  /** not read from a configuration file (e.g. --config itself) */
  noFile?: boolean
}

export type OptionTable = Record<string, OptionSpec>

/** A usage problem (bad flag, missing argument): the CLI exits 2 for these only. */
export class UsageError extends Error {}

export type OptionValues = Record<string, string | boolean | string[] | undefined>

export interface Parsed {
  values: OptionValues
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

export function parseOptions(table: OptionTable, args: string[], opts: { env?: NodeJS.ProcessEnv; file?: Record<string, unknown>; positionals?: boolean } = {}): Parsed {
  const env = opts.env ?? process.env
  let parsed: ReturnType<typeof parseArgs>
  try {
    parsed = parseArgs({
      args, allowPositionals: opts.positionals ?? false, strict: true,
      options: Object.fromEntries(Object.entries(table).map(([k, s]) => [k, { type: s.type, multiple: s.multiple, short: s.short }])),
    })
  } catch (e) {
    throw new UsageError((e as Error).message)
  }
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
    }
  }
  return { values, positionals: parsed.positionals, source }
}

/** The help of one command, generated from its table. */
export function helpText(command: string, summary: string, positionals: string, table: OptionTable): string {
  const rows = Object.entries(table).map(([name, s]) => {
    const flag = `${s.short ? `-${s.short}, ` : '    '}--${name}${s.type === 'string' ? ` <${s.value ?? 'value'}>` : ''}`
    const extra = [s.default !== undefined && s.default !== false ? `default ${String(s.default)}` : '', s.env ? `env ${s.env}` : '', s.multiple ? 'repeatable' : ''].filter(Boolean).join('; ')
    return [flag, `${s.describe}${extra ? ` (${extra})` : ''}`]
  })
  const width = Math.min(38, Math.max(...rows.map(([f]) => f.length)) + 2)
  const lines = [`usage: graticule ${command}${positionals ? ` ${positionals}` : ''} [options]`, '', summary, '', 'options:']
  for (const [f, d] of rows) lines.push(f.length >= width ? `  ${f}\n  ${' '.repeat(width)}${d}` : `  ${f.padEnd(width)}${d}`)
  lines.push(`  ${'-h, --help'.padEnd(width)}this help`)
  return lines.join('\n')
}

/** A non-negative number from an option, or a usage error naming it. */
export function numberOption(values: OptionValues, name: string): number | undefined {
  const v = values[name]
  if (v === undefined) return undefined
  const n = Number(v)
  if (typeof v !== 'string' || v.trim() === '' || !Number.isFinite(n) || n < 0) throw new UsageError(`--${name} must be a non-negative number, got "${String(v)}"`)
  return n
}
