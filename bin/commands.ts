// The commands of the CLI, one file each under commands/, loaded only when run (so `graticule --help`
// does not pay for fastify, kafkajs and the workers). Each command's options are declared once, in a
// small table module beside it: its parser, its help and the top-level ENVIRONMENT list come from there.
import type { OptionTable } from './options.js'
import { CHAINS_OPTIONS, RUN_OPTIONS, RUN_POSITIONALS, VALIDATE_OPTIONS, VALIDATE_POSITIONALS } from './commands/chains-options.js'
import { DEPLOY_OPTIONS, DEPLOY_POSITIONALS } from './commands/deploy-options.js'
import { EXEC_OPTIONS, EXEC_POSITIONALS } from './commands/exec-options.js'
import { FAASLETS_OPTIONS } from './commands/faaslets-options.js'
import { SENSORS_OPTIONS } from './commands/sensors-options.js'
import { SERVE_OPTIONS } from './commands/serve-options.js'

export interface Command {
  summary: string
  /** the positional arguments as help shows them ('' for none), e.g. "<faaslet>" or "<chain.yaml>..." */
  positionals: string
  /** every option the command takes */
  options: OptionTable
  run(args: string[]): Promise<number>
}

export const commands: Record<string, Command> = {
  faaslets: {
    summary: 'list the faaslets with their inputs, outputs and parameters',
    positionals: '',
    options: FAASLETS_OPTIONS,
    run: async (args) => (await import('./commands/faaslets.js')).faasletsCommand(args),
  },
  chains: {
    summary: 'list the shipped chains with their inputs and outputs',
    positionals: '',
    options: CHAINS_OPTIONS,
    run: async (args) => (await import('./commands/chains.js')).chainsCommand(args),
  },
  validate: {
    summary: 'check chain files; every problem with file:line:col',
    positionals: VALIDATE_POSITIONALS,
    options: VALIDATE_OPTIONS,
    run: async (args) => (await import('./commands/chains.js')).validateCommand(args),
  },
  run: {
    summary: 'run a chain on a file or stdin',
    positionals: RUN_POSITIONALS,
    options: RUN_OPTIONS,
    run: async (args) => (await import('./commands/chains.js')).runCommand(args),
  },
  exec: {
    summary: 'run one faaslet on a file or stdin',
    positionals: EXEC_POSITIONALS,
    options: EXEC_OPTIONS,
    run: async (args) => (await import('./commands/exec.js')).execCommand(args),
  },
  serve: {
    summary: 'serve the HTTP API, live sensor windows and the map',
    positionals: '',
    options: SERVE_OPTIONS,
    run: async (args) => (await import('./commands/serve.js')).serveCommand(args),
  },
  sensors: {
    summary: 'stream simulated sensor points into Kafka',
    positionals: '',
    options: SENSORS_OPTIONS,
    run: async (args) => (await import('./commands/sensors.js')).sensorsCommand(args),
  },
  deploy: {
    summary: 'deploy a faaslet module to a running gateway (checked before it ever runs)',
    positionals: DEPLOY_POSITIONALS,
    options: DEPLOY_OPTIONS,
    run: async (args) => (await import('./commands/deploy.js')).deployCommand(args),
  },
  version: {
    summary: "print graticule's version and Node.js's (also --version, -V)",
    positionals: '',
    options: {},
    run: async (args) => (await import('./commands/version.js')).versionCommand(args),
  },
}
