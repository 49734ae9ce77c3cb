// Files or `-` for stdin/stdout, and the format of each: a file's extension says it, or --in-format /
// --out-format (named like an extension, resolved by the same functions, so the two never disagree).
import { readFileSync, writeFileSync } from 'node:fs'
import { inputFormatFromPath, outputFormatFromPath, type InputFormat, type OutputFormat } from '../../faaslets/codecs/boundary.js'
import { fail, GraticuleError } from '../../errors/index.js'
import { UsageError } from '../options.js'

export const STDIO = '-'

/** Where a file name stands in messages. */
export const shown = (path: string, stream: 'stdin' | 'stdout'): string => (path === STDIO ? stream : path)

export async function readInput(path: string): Promise<Buffer> {
  if (path === STDIO) {
    const chunks: Buffer[] = []
    for await (const chunk of process.stdin) chunks.push(chunk as Buffer)
    return Buffer.concat(chunks)
  }
  try {
    return readFileSync(path)
  } catch (e) {
    throw fail('E_BAD_FORMAT', path, (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message)
  }
}

/** Writes the whole body; to stdout only the body, so that it can be piped (messages go to stderr). */
export function writeOutput(path: string, body: Uint8Array): Promise<void> {
  if (path !== STDIO) {
    writeFileSync(path, body)
    return Promise.resolve()
  }
  return new Promise((resolve, reject) => {
    // a reader that stopped early (`| head`) wanted no more: that is not a failure, as with any Unix filter
    const done = (e?: Error | null) => (e && (e as NodeJS.ErrnoException).code !== 'EPIPE' ? reject(e) : resolve())
    process.stdout.once('error', done)
    process.stdout.write(body, done)
  })
}

export function inputFormat(path: string, flag: string | undefined): InputFormat {
  return formatOf(path, flag, 'in', inputFormatFromPath)
}

export function outputFormat(path: string, flag: string | undefined): OutputFormat {
  return formatOf(path, flag, 'out', outputFormatFromPath)
}

function formatOf<F>(path: string, flag: string | undefined, side: 'in' | 'out', fromPath: (p: string) => F): F {
  if (flag === undefined) {
    if (path === STDIO) throw new UsageError(`--${side} - needs --${side}-format: ${side === 'in' ? 'stdin' : 'stdout'} has no extension to tell the format`)
    return fromPath(path)
  }
  try {
    return fromPath(`.${flag.replace(/^\./, '')}`)
  } catch (e) {
    if (e instanceof GraticuleError) throw new UsageError(`--${side}-format ${flag}: ${e.message}`)
    throw e
  }
}
