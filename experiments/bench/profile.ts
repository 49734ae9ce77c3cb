// A CPU profile of every thread of this process — the main thread through node:inspector, and each worker
// thread (the dataplane's piscina workers) through the inspector's NodeWorker domain — summarised as the
// functions with the most self time. The raw .cpuprofile files can be opened in Chrome DevTools.
import { Session } from 'node:inspector'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'

export interface ProfileLine {
  fn: string
  where: string
  selfMs: number
  pct: number
}

export interface ThreadProfile {
  thread: string
  /** sampled time that was not idle, ms */
  busyMs: number
  top: ProfileLine[]
  file?: string
}

interface CpuProfile {
  nodes: Array<{ id: number; callFrame: { functionName: string; url: string; lineNumber: number } }>
  samples: number[]
  timeDeltas: number[]
}

export function summarise(thread: string, p: CpuProfile, topN = 12): ThreadProfile {
  const byId = new Map(p.nodes.map((n) => [n.id, n]))
  const self = new Map<string, { fn: string; where: string; us: number }>()
  let busy = 0
  p.samples.forEach((id, i) => {
    const n = byId.get(id)!
    const dt = p.timeDeltas[i] ?? 0
    const fn = n.callFrame.functionName || '(anonymous)'
    // a piscina worker blocked in Atomics.wait for its next task is waiting, not working
    if (fn === '(idle)' || fn === 'atomicsWaitLoop') return
    busy += dt
    const file = n.callFrame.url.replace(/^file:\/\//, '').split('/').slice(-2).join('/')
    const where = file ? `${file}:${n.callFrame.lineNumber + 1}` : ''
    const key = `${fn}|${where}`
    const e = self.get(key) ?? { fn, where, us: 0 }
    e.us += dt
    self.set(key, e)
  })
  const top = [...self.values()].sort((a, b) => b.us - a.us).slice(0, topN)
    .map((e) => ({ fn: e.fn, where: e.where, selfMs: e.us / 1000, pct: busy ? (100 * e.us) / busy : 0 }))
  return { thread, busyMs: busy / 1000, top }
}

export class ProcessProfiler {
  private readonly session = new Session()
  private readonly workers: string[] = []
  private readonly pending = new Map<number, (m: { result?: { profile?: CpuProfile } }) => void>()
  private nextId = 1

  constructor() {
    this.session.connect()
    this.session.on('NodeWorker.attachedToWorker', (m: { params: { sessionId: string } }) => { this.workers.push(m.params.sessionId) })
    this.session.on('NodeWorker.receivedMessageFromWorker', (m: { params: { message: string } }) => {
      const msg = JSON.parse(m.params.message) as { id?: number; result?: { profile?: CpuProfile } }
      if (msg.id !== undefined && this.pending.has(msg.id)) {
        this.pending.get(msg.id)!(msg)
        this.pending.delete(msg.id)
      }
    })
  }

  private post<T>(method: string, params?: object): Promise<T> {
    return new Promise((resolve, reject) => this.session.post(method, params ?? {}, (e, r) => (e ? reject(e) : resolve(r as T))))
  }

  /**
   * A request to a worker's inspector. Its answer is no event-loop handle, so a timer keeps the loop
   * alive meanwhile; a worker that does not answer in time (it exited) is given up.
   */
  private toWorker(sessionId: string, method: string, params: object = {}, timeoutMs = 10_000): Promise<{ result?: { profile?: CpuProfile } }> {
    const id = this.nextId++
    return new Promise((resolve) => {
      const timer = setTimeout(() => { this.pending.delete(id); resolve({}) }, timeoutMs)
      this.pending.set(id, (m) => { clearTimeout(timer); resolve(m) })
      void this.post('NodeWorker.sendMessageToWorker', { sessionId, message: JSON.stringify({ id, method, params }) })
    })
  }

  async start(intervalUs = 200): Promise<void> {
    await this.post('NodeWorker.enable', { waitForDebuggerOnStart: false })
    await new Promise((r) => setTimeout(r, 100)) // attachedToWorker events for the running workers
    await this.post('Profiler.enable')
    await this.post('Profiler.setSamplingInterval', { interval: intervalUs })
    await this.post('Profiler.start')
    for (const w of this.workers) {
      await this.toWorker(w, 'Profiler.enable')
      await this.toWorker(w, 'Profiler.setSamplingInterval', { interval: intervalUs })
      await this.toWorker(w, 'Profiler.start')
    }
  }

  /** Stops every profile; writes them to `dir` (when given) and returns the busy threads' summaries. */
  async stop(dir?: string, name = 'profile'): Promise<ThreadProfile[]> {
    const out: ThreadProfile[] = []
    const keep = (thread: string, p: CpuProfile | undefined) => {
      if (!p) return
      const s = summarise(thread, p)
      if (dir) {
        s.file = join(dir, `${name}-${thread.replace(/\s+/g, '-')}.cpuprofile`)
        writeFileSync(s.file, JSON.stringify(p))
      }
      out.push(s)
    }
    const main = await this.post<{ profile: CpuProfile }>('Profiler.stop')
    keep('main', main.profile)
    for (const [k, w] of this.workers.entries()) keep(`worker ${k + 1}`, (await this.toWorker(w, 'Profiler.stop')).result?.profile)
    await this.post('NodeWorker.disable').catch(() => undefined)
    this.session.disconnect()
    const busiest = Math.max(...out.map((t) => t.busyMs))
    return out.filter((t) => t.thread === 'main' || t.busyMs > 0.05 * busiest)
  }
}
