// The help texts, all derived from the command table (commands.ts) and each command's option table:
// nothing here lists a command, an option or an environment variable by hand.
import type { Command } from './commands.js'
import { helpText } from './options.js'

export const EXIT_STATUS = [
  'exit status:',
  '  0  ok',
  '  1  the command failed: bad or refused input, a problem found, a failed connection',
  '  2  usage error: unknown command or option, missing argument, bad option value',
].join('\n')

export function commandHelp(name: string, c: Command): string {
  return `${helpText(name, c.summary, c.positionals, c.options)}\n\n${EXIT_STATUS}`
}

export function topLevelHelp(commands: Record<string, Command>): string {
  const width = Math.max(...Object.keys(commands).map((n) => n.length)) + 2
  const lines = ['usage: graticule <command> [options]', '', 'commands:']
  for (const [name, c] of Object.entries(commands)) lines.push(`  ${name.padEnd(width)}${c.summary}`)
  const env = environment(commands)
  if (env.length) lines.push('', 'environment (a flag wins over it):', ...env)
  lines.push('', 'graticule <command> --help (or graticule help <command>) for the options of a command,', 'graticule --version for the version.', '', EXIT_STATUS)
  return lines.join('\n')
}

/** Each environment variable an option reads, with the flags it stands for (their help says the rest). */
function environment(commands: Record<string, Command>): string[] {
  const flags = new Map<string, string[]>()
  for (const [name, c] of Object.entries(commands)) {
    for (const [flag, spec] of Object.entries(c.options)) {
      if (spec.env) flags.set(spec.env, [...(flags.get(spec.env) ?? []), `${name} --${flag}`])
    }
  }
  const width = Math.max(0, ...[...flags.keys()].map((k) => k.length)) + 2
  return [...flags].map(([env, f]) => `  ${env.padEnd(width)}${f.join(', ')}`)
}
