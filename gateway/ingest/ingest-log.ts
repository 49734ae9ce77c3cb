// Where the ingestion's and the Kafka client's lines go: the gateway's JSON logger (fastify's pino) when it has
// one, else `graticule: …` lines on stderr, so the CLI commands without a JSON logger still say what happens.
// Messages are whole sentences (a person reads them either way); the object carries the same facts as fields.

type LogFn = {
  (obj: object, msg?: string): void
  (msg: string): void
}

/** The part of a pino logger the ingestion uses (fastify's `app.log` is one). */
export interface IngestLogger {
  error: LogFn
  warn: LogFn
  info: LogFn
  debug: LogFn
  /** pino's level name: the Kafka client asks kafkajs for no more than this logger prints */
  level?: string
}

/** `graticule: <message>` lines through `write`; debug lines are dropped. */
export function lineLogger(write: (line: string) => void): IngestLogger {
  const line = (objOrMsg: object | string, msg?: string) => {
    write(`graticule: ${typeof objOrMsg === 'string' ? objOrMsg : (msg ?? JSON.stringify(objOrMsg))}`)
  }
  return { error: line, warn: line, info: line, debug: () => {} }
}

/** The default: lines on stderr (looked up at each call, so a test's spy on console.error sees them). */
export const stderrLogger: IngestLogger = lineLogger((line) => console.error(line))
