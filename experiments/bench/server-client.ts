// Starts bench/server.ts as a child process and talks to it over IPC.
import { fork, type ChildProcess } from 'node:child_process'
import { sibling } from '../hop/threads.js'
import type { IngestCounters, ServerReply, ServerStats } from './protocol.js'
import type { ThreadProfile } from './profile.js'

export class BenchServer {
  private nextId = 1
  private readonly pending = new Map<number, (r: ServerReply) => void>()
  private stderr = ''

  private constructor(private readonly child: ChildProcess, readonly port: number, readonly workers: number) {
    child.on('message', (r: ServerReply) => {
      const resolve = this.pending.get(r.id)
      if (resolve) {
        this.pending.delete(r.id)
        resolve(r)
      }
    })
  }

  get pid(): number {
    return this.child.pid ?? 0
  }

  static async start(args: string[] = []): Promise<BenchServer> {
    const entry = sibling(import.meta.url, 'server')
    const child = fork(entry.filename, args, { execArgv: entry.execArgv, stdio: ['ignore', 'ignore', 'pipe', 'ipc'] })
    let stderr = ''
    child.stderr!.on('data', (d: Buffer) => { stderr = (stderr + d.toString()).slice(-8000) })
    const first = await new Promise<ServerReply>((resolve, reject) => {
      child.once('message', (r: ServerReply) => resolve(r))
      child.once('exit', (code) => reject(new Error(`bench server exited with ${code} before it was ready:\n${stderr}`)))
    })
    const s = new BenchServer(child, first.port!, first.workers!)
    child.stderr!.on('data', (d: Buffer) => { s.stderr = (s.stderr + d.toString()).slice(-8000) })
    return s
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`
  }

  private request(msg: Record<string, unknown>): Promise<ServerReply> {
    const id = this.nextId++
    return new Promise((resolve, reject) => {
      const onExit = (code: number | null) => reject(new Error(`bench server exited with ${code}:\n${this.stderr}`))
      this.child.once('exit', onExit)
      this.pending.set(id, (r) => {
        this.child.off('exit', onExit)
        if (r.ok) resolve(r)
        else reject(new Error(r.error))
      })
      this.child.send({ id, ...msg })
    })
  }

  async reset(): Promise<void> {
    await this.request({ cmd: 'reset' })
  }

  /** Waits until the server has finished every request still running. */
  async drain(): Promise<void> {
    await this.request({ cmd: 'drain' })
  }

  async stats(): Promise<ServerStats> {
    return (await this.request({ cmd: 'stats' })).stats!
  }

  async profileStart(): Promise<void> {
    await this.request({ cmd: 'profile-start' })
  }

  async profileStop(dir?: string, name?: string): Promise<ThreadProfile[]> {
    return (await this.request({ cmd: 'profile-stop', dir, name })).profile!
  }

  async ingest(): Promise<IngestCounters> {
    return (await this.request({ cmd: 'ingest' })).ingest!
  }

  async close(): Promise<void> {
    if (this.child.exitCode !== null) return
    const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()))
    await Promise.race([this.request({ cmd: 'close' }).catch(() => undefined), exited])
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 10_000)
    await exited
    clearTimeout(timer)
  }
}
