// The commands of the CLI, one file each under commands/, loaded only when run (so `graticule --help`
// does not pay for fastify, kafkajs and the workers).

export interface Command {
  summary: string
  usage: string
  run(args: string[]): Promise<number>
}

export const commands: Record<string, Command> = {
  faaslets: {
    summary: 'list the faaslets with their inputs, outputs and parameters',
    usage: '[--json]',
    run: async (args) => (await import('./commands/faaslets.js')).faasletsCommand(args),
  },
  chains: {
    summary: 'list the shipped chains with their inputs and outputs',
    usage: '[--json]',
    run: async (args) => (await import('./commands/chains.js')).chainsCommand(args),
  },
  validate: {
    summary: 'check chain files; every problem with file:line:col',
    usage: '<chain.yaml>...',
    run: async (args) => (await import('./commands/chains.js')).validateCommand(args),
  },
  run: {
    summary: 'run a chain on a file',
    usage: '<chain.yaml|name> --in <file> --out <file> [--param key=value]... [--mode shared|copy|http]',
    run: async (args) => (await import('./commands/chains.js')).runCommand(args),
  },
  serve: {
    summary: 'serve the HTTP API, live sensor windows and the map (127.0.0.1:8080)',
    usage: '[--host 127.0.0.1] [--port 8080] [--kafka host:port] [--topic t] [--no-simulator] [--window-ms 5000] [--lateness-ms 1000] [--idle-flush-ms 2000] [--kafka-stall-ms 5000] [--kafka-replace-ms 30000]',
    run: async (args) => (await import('./commands/serve.js')).serveCommand(args),
  },
  sensors: {
    summary: 'stream simulated sensor points into Kafka, with a progress line',
    usage: '--kafka <host:port> [--topic graticule.sensors] [--rate N/s] [--sensors N] [--duration s] [--batch N] [--format json|msgpack] [--columns]',
    run: async (args) => (await import('./commands/sensors.js')).sensorsCommand(args),
  },
  deploy: {
    summary: 'deploy a faaslet module to a running gateway (checked before it ever runs)',
    usage: '<file.wasm> --name <name> [--manifest manifest.json] [--url http://127.0.0.1:8080]   (token from GRATICULE_TOKEN)',
    run: async (args) => (await import('./commands/deploy.js')).deployCommand(args),
  },
  exec: {
    summary: 'run one faaslet on a file',
    usage: '<faaslet> --in <file> --out <file> [--param key=value]... [--output <name>]',
    run: async (args) => (await import('./commands/exec.js')).execCommand(args),
  },
}
