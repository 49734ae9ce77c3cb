// graticule's command line: parses argv, calls the layers below, prints. No logic of its own.
// Exit status: 0 ok, 1 the command failed, 2 the command line was wrong (a UsageError) — see help.ts.
import { GraticuleError } from '../errors/index.js'
import { commands } from './commands.js'
import { commandHelp, topLevelHelp } from './help.js'
import { UsageError } from './options.js'
import { versionLine } from './version.js'

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv
  if (name === '--help' || name === '-h') return print(topLevelHelp(commands))
  if (name === '--version' || name === '-V') return print(versionLine())
  if (name === 'help') {
    if (rest.length === 0) return print(topLevelHelp(commands))
    if (commands[rest[0]]) return print(commandHelp(rest[0], commands[rest[0]]))
    return usageError(`unknown command "${rest[0]}"`)
  }
  if (!name) return usageError('missing <command>')
  const command = commands[name]
  if (!command) return usageError(`unknown command "${name}"`)
  // --help anywhere before `--` (after it, "--help" could be a value)
  const flags = rest.includes('--') ? rest.slice(0, rest.indexOf('--')) : rest
  if (flags.includes('--help') || flags.includes('-h')) return print(commandHelp(name, command))
  try {
    return await command.run(rest)
  } catch (e) {
    if (e instanceof UsageError) return usageError(e.message, name)
    throw e
  }
}

function print(text: string): number {
  console.log(text)
  return 0
}

/** One line on stderr, and where the usage is; exit 2. */
function usageError(message: string, command?: string): number {
  const prefix = command ? `graticule ${command}` : 'graticule'
  console.error(`${prefix}: ${message} (${prefix} --help for the usage)`)
  return 2
}

main(process.argv.slice(2)).then(
  (code) => { process.exitCode = code },
  (e: unknown) => {
    // one line, never a stack trace, for anything a user can cause: a failed command exits 1
    if (e instanceof GraticuleError) console.error(`graticule: ${e.code}: ${e.message}`)
    else console.error(`graticule: ${(e as Error)?.message ?? String(e)}`)
    process.exitCode = 1
  },
)
