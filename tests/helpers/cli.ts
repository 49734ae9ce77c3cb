// Runs graticule's CLI from source as a user would (`node --import tsx bin/cli.ts <args>`, cwd = the
// repository root) and collects what it printed. Asynchronous, so a test can run several at once.
import { spawn } from 'node:child_process'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

export const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..')

export interface CliResult {
  /** exit code; null only if the process was killed (see `signal`) */
  code: number | null
  signal: NodeJS.Signals | null
  stdout: string
  /** stdout as it was written (binary output: PNG, GeoTIFF, tiles) */
  stdoutBytes: Buffer
  stderr: string
}

export interface CliOptions {
  /** kill the process after this long (default 120 s): a hung CLI fails the test instead of hanging it */
  timeoutMs?: number
  env?: Record<string, string>
  /** working directory (default the repository root) */
  cwd?: string
  /** written to the CLI's stdin, which is then closed (default: an empty stdin) */
  input?: string | Uint8Array
}

export function runCli(args: string[], opts: CliOptions = {}): Promise<CliResult> {
  // vitest's own loader options must not leak into the child: it gets exactly tsx, like a user's shell
  const { NODE_OPTIONS: _drop, ...env } = process.env
  return new Promise((resolve, reject) => {
    // tsx and the CLI by absolute location, so that any working directory behaves like the repository root
    const child = spawn(process.execPath, ['--import', import.meta.resolve('tsx'), join(REPO_ROOT, 'bin/cli.ts'), ...args], {
      cwd: opts.cwd ?? REPO_ROOT,
      env: { ...env, NO_COLOR: '1', ...opts.env },
      stdio: ['pipe', 'pipe', 'pipe'],
    })
    // a CLI that refuses its command line exits without reading stdin: that EPIPE is not the test's failure
    child.stdin.on('error', () => undefined).end(opts.input)
    const out: Buffer[] = []
    let stderr = ''
    child.stdout.on('data', (b: Buffer) => { out.push(b) })
    child.stderr.setEncoding('utf8').on('data', (s: string) => { stderr += s })
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 120_000)
    child.on('error', (e) => {
      clearTimeout(timer)
      reject(e)
    })
    child.on('close', (code, signal) => {
      clearTimeout(timer)
      const stdoutBytes = Buffer.concat(out)
      resolve({ code, signal, stdout: stdoutBytes.toString('utf8'), stdoutBytes, stderr })
    })
  })
}

/** The lines of a stream's text, without the empty line after the final newline. */
export function lines(text: string): string[] {
  const l = text.split('\n')
  if (l[l.length - 1] === '') l.pop()
  return l
}
