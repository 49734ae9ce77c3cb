// The commands of the CLI, one file each under commands/.
import { faasletsCommand } from './commands/faaslets.js'
import { execCommand } from './commands/exec.js'

export interface Command {
  summary: string
  usage: string
  run(args: string[]): Promise<number>
}

export const commands: Record<string, Command> = {
  faaslets: {
    summary: 'list the faaslets with their inputs, outputs and parameters',
    usage: '[--json]',
    run: faasletsCommand,
  },
  exec: {
    summary: 'run one faaslet on a file',
    usage: '<faaslet> --in <file> --out <file> [--param key=value]... [--output <name>]',
    run: execCommand,
  },
}
