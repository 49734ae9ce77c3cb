// graticule's command line: parses argv, calls the layers below, prints. No logic of its own.
import { GraticuleError } from '../errors/index.js'
import { commands } from './commands.js'

function usage(): string {
  const lines = ['usage: graticule <command> [options]', '', 'commands:']
  for (const [name, c] of Object.entries(commands)) lines.push(`  ${name.padEnd(10)} ${c.summary}`)
  lines.push('', 'graticule <command> --help for the options of a command')
  return lines.join('\n')
}

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    console.log(usage())
    return name ? 0 : 2
  }
  const command = commands[name]
  if (!command) {
    console.error(`graticule: unknown command "${name}"\n\n${usage()}`)
    return 2
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    console.log(`usage: graticule ${name} ${command.usage}\n\n${command.summary}`)
    return 0
  }
  return command.run(rest)
}

main(process.argv.slice(2)).then(
  (code) => { process.exitCode = code },
  (e: unknown) => {
    // one line, never a stack trace, for anything a user can cause
    if (e instanceof GraticuleError) console.error(`graticule: ${e.code}: ${e.message}`)
    else if (e instanceof TypeError && 'code' in e && String((e as { code: string }).code).startsWith('ERR_PARSE_ARGS')) console.error(`graticule: ${e.message}`)
    else console.error(`graticule: ${(e as Error)?.message ?? String(e)}`)
    process.exitCode = e instanceof GraticuleError ? 1 : 2
  },
)
