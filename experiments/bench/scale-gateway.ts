// The gateway of `npm run bench:scale`, as a user runs it: `graticule serve` (bin/cli.ts through tsx) in a
// child process of its own, bound to 127.0.0.1 on a port it picks, no simulator, no token (every
// GRATICULE_* variable is left out of its environment, and --anonymous invoke besides, so invoking is
// allowed anonymously on loopback even if a token came from somewhere), its deploy directories in a
// temporary folder. Stopped by its own pid (SIGTERM, then SIGKILL), and any of its child processes still
// alive after it (the http mode's function processes) by theirs.
//
// CPU from Linux /proc: the main thread (/proc/<pid>/task/<pid>/stat), the whole process
// (/proc/<pid>/stat: every thread) and its descendants (their own stat, plus what reaped children left
// in cutime/cstime), in ms of user + system time; and the whole machine's (/proc/stat), to tell how much
// of it other processes took during a run.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ROOT } from '../../faaslets/catalog.js'

// ─── /proc ───────────────────────────────────────────────────────────────────────────────────────────

let ticks: number | undefined
/** Clock ticks per second (`getconf CLK_TCK`; 100 when it cannot be asked). */
export function clockTicks(): number {
  if (ticks === undefined) {
    try {
      ticks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100
    } catch {
      ticks = 100
    }
  }
  return ticks
}

/** utime, stime, cutime, cstime (ticks) of a stat file; null when it cannot be read. */
function statTicks(path: string): { own: number; reaped: number } | null {
  try {
    const s = readFileSync(path, 'utf8')
    const f = s.slice(s.lastIndexOf(')') + 2).split(' ') // from field 3 (state) on
    return { own: Number(f[11]) + Number(f[12]), reaped: Number(f[13]) + Number(f[14]) }
  } catch {
    return null
  }
}

/** Live descendants of pid (children of each of its threads, recursively). */
export function descendants(pid: number): number[] {
  const out: number[] = []
  const walk = (p: number) => {
    let tids: string[]
    try {
      tids = readdirSync(`/proc/${p}/task`)
    } catch {
      return
    }
    for (const tid of tids) {
      let list = ''
      try {
        list = readFileSync(`/proc/${p}/task/${tid}/children`, 'utf8').trim()
      } catch { /* gone */ }
      for (const c of list ? list.split(/\s+/).map(Number) : []) {
        out.push(c)
        walk(c)
      }
    }
  }
  walk(pid)
  return out
}

export interface CpuSample {
  /** the main thread (tid = pid), ms */
  mainMs: number
  /** the whole process, every thread, ms */
  processMs: number
  /** its descendant processes, live and reaped, ms */
  childrenMs: number
  threads: number
  at: number
}

/** CPU of pid so far; null off Linux or when the process is gone. */
export function cpuSample(pid: number): CpuSample | null {
  const hz = clockTicks()
  const main = statTicks(`/proc/${pid}/task/${pid}/stat`)
  const proc = statTicks(`/proc/${pid}/stat`)
  if (!main || !proc) return null
  let children = proc.reaped
  for (const c of descendants(pid)) {
    const t = statTicks(`/proc/${c}/stat`)
    if (t) children += t.own + t.reaped
  }
  let threads = 0
  try {
    threads = readdirSync(`/proc/${pid}/task`).length
  } catch { /* gone */ }
  return { mainMs: (main.own * 1000) / hz, processMs: (proc.own * 1000) / hz, childrenMs: (children * 1000) / hz, threads, at: performance.now() }
}

/** CPU the whole machine has spent so far (the first line of /proc/stat), ms summed over cores; null off Linux. */
export function machineBusyMs(): number | null {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0]
    const f = line.trim().split(/\s+/).slice(1).map(Number) // user nice system idle iowait irq softirq steal …
    return ((f[0] + f[1] + f[2] + f[5] + f[6] + (f[7] || 0)) * 1000) / clockTicks()
  } catch {
    return null
  }
}

/**
 * Waits until pid and its descendants are quiet — two polls in a row 200 ms apart that together used
 * less than 5 % of a core — so requests a warm-up abandoned do not run into the measured window.
 * Resolves with the ms waited (maxMs at most).
 */
export async function waitQuiet(pid: number, maxMs = 30_000): Promise<number> {
  const t0 = performance.now()
  const total = () => { const s = cpuSample(pid); return s ? s.processMs + s.childrenMs : NaN }
  let last = total()
  if (!Number.isFinite(last)) return 0
  let calm = 0
  while (performance.now() - t0 < maxMs) {
    await new Promise((r) => setTimeout(r, 200))
    const now = total()
    calm = now - last <= 10 ? calm + 1 : 0
    last = now
    if (calm >= 2) break
  }
  return performance.now() - t0
}

function cmdline(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8')
  } catch {
    return ''
  }
}

// ─── the child process ───────────────────────────────────────────────────────────────────────────────

export interface GatewayOptions {
  workers: number
  logLevel: string
  /** ms to wait for "serving on …" */
  startTimeoutMs?: number
  /** more flags after the usual ones (bench:edge: --role edge|cloud and theirs) */
  extraArgs?: string[]
  /** told the child's pid as soon as it is spawned (an interrupted start can still kill it) */
  onSpawn?: (pid: number) => void
}

export class GatewayProcess {
  private stderrTail = ''
  /** descendants seen, with their command lines (a pid is only signalled while it still runs that) */
  private readonly known = new Map<number, string>()

  private constructor(private readonly child: ChildProcess, readonly pid: number, readonly url: string, readonly args: string[], private readonly dir: string) {
    child.stderr!.on('data', (d: Buffer) => { this.stderrTail = (this.stderrTail + d.toString()).slice(-8000) })
  }

  get stderr(): string {
    return this.stderrTail
  }

  get exited(): boolean {
    return this.child.exitCode !== null || this.child.signalCode !== null
  }

  /** The command line, as a user would type it. */
  static argsFor(o: GatewayOptions): string[] {
    return ['serve', '--workers', String(o.workers), '--no-simulator', '--port', '0', '--host', '127.0.0.1', '--anonymous', 'invoke', '--log-level', o.logLevel]
  }

  static async start(o: GatewayOptions): Promise<GatewayProcess> {
    const dir = mkdtempSync(join(tmpdir(), 'graticule-scale-'))
    const args = [...GatewayProcess.argsFor(o), ...(o.extraArgs ?? [])]
    const env: NodeJS.ProcessEnv = {}
    for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('GRATICULE_')) env[k] = v
    const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'bin/cli.ts'), ...args, '--chains-dir', join(dir, 'chains'), '--faaslets-dir', join(dir, 'faaslets')], {
      cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'],
    })
    if (child.pid !== undefined) o.onSpawn?.(child.pid)
    let out = '', err = ''
    const onErr = (d: Buffer) => { err = (err + d.toString()).slice(-8000) }
    child.stderr!.on('data', onErr)
    try {
      const url = await new Promise<string>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`graticule serve did not say where it serves within ${(o.startTimeoutMs ?? 120_000) / 1000} s:\n${err}`)), o.startTimeoutMs ?? 120_000)
        child.stdout!.on('data', (d: Buffer) => {
          out += d.toString()
          const m = /serving on (http:\/\/127\.0\.0\.1:\d+)/.exec(out)
          if (m) {
            clearTimeout(timer)
            resolve(m[1])
          }
        })
        child.once('exit', (code, signal) => {
          clearTimeout(timer)
          reject(new Error(`graticule serve exited (${code ?? signal}) before it was ready:\n${err}`))
        })
        child.once('error', (e) => { clearTimeout(timer); reject(e) })
      })
      child.stdout!.resume() // later lines (shutdown) are not read
      const g = new GatewayProcess(child, child.pid!, url, args, dir)
      g.stderrTail = err
      child.stderr!.off('data', onErr)
      return g
    } catch (e) {
      if (child.pid && child.exitCode === null) child.kill('SIGKILL')
      rmSync(dir, { recursive: true, force: true })
      throw e
    }
  }

  /** Remembers the function processes it has started, so they can be stopped should it not. */
  note(): void {
    for (const c of descendants(this.pid)) {
      const cmd = cmdline(c)
      if (cmd) this.known.set(c, cmd)
    }
  }

  /** Remembered descendants that still run what they ran. */
  private leftovers(): number[] {
    return [...this.known].filter(([pid, cmd]) => cmdline(pid) === cmd).map(([pid]) => pid)
  }

  /** SIGTERM to its pid, SIGKILL after 10 s; then any remembered descendant still alive, by its pid. */
  async stop(): Promise<void> {
    this.note()
    if (!this.exited) {
      const gone = new Promise<void>((resolve) => this.child.once('exit', () => resolve()))
      try {
        process.kill(this.pid, 'SIGTERM')
      } catch { /* already gone */ }
      const timer = setTimeout(() => { try { process.kill(this.pid, 'SIGKILL') } catch { /* gone */ } }, 10_000)
      await gone
      clearTimeout(timer)
    }
    for (const c of this.leftovers()) {
      try {
        process.kill(c, 'SIGKILL')
      } catch { /* exited with it */ }
    }
    rmSync(this.dir, { recursive: true, force: true })
  }

  /** Synchronous last resort (the driver interrupted): SIGKILL by pid. */
  killNow(): void {
    for (const p of [...(this.exited ? [] : [this.pid]), ...this.leftovers()]) {
      try {
        process.kill(p, 'SIGKILL')
      } catch { /* gone */ }
    }
    rmSync(this.dir, { recursive: true, force: true })
  }
}
