// On a cloud gateway (/live/status says role "cloud"), the side panel lists the edges from /live/edges once a second:
// each one connected or not (a heartbeat within the cloud's connection timeout), with its lag — windows it has closed
// and the cloud has not merged yet — and its spool. Elsewhere the section stays hidden and nothing is polled.
import type { EdgeReport } from '../../cloud/global-view.js'

const REFRESH_MS = 1_000

const fmtLag = (e: EdgeReport) => (e.lagWindows === null ? 'lag –' : `lag ${e.lagWindows} window${e.lagWindows === 1 ? '' : 's'} (${((e.lagMs ?? 0) / 1000).toFixed(0)} s)`)

export class EdgesPanel {
  private readonly section = document.getElementById('edges-section')!
  private readonly list = document.getElementById('edges')!

  /** Starts polling if this gateway is a cloud gateway. */
  async start(): Promise<void> {
    const status = await fetch('/live/status').then((r) => (r.ok ? r.json() : null), () => null) as { role?: string } | null
    if (status?.role !== 'cloud') return
    this.section.hidden = false
    const tick = async () => {
      const body = await fetch('/live/edges').then((r) => (r.ok ? r.json() : null), () => null) as { edges: EdgeReport[] } | null
      if (body) this.render(body.edges)
      setTimeout(() => void tick(), REFRESH_MS)
    }
    await tick()
  }

  private render(edges: EdgeReport[]): void {
    this.list.replaceChildren(...edges.map((e) => {
      const li = document.createElement('li')
      li.dataset.edge = e.edge
      li.dataset.state = e.connected ? 'connected' : 'disconnected'
      const badge = document.createElement('span')
      badge.className = `badge ${e.connected ? 'on' : 'off'}`
      badge.textContent = e.connected ? 'connected' : 'disconnected'
      const name = document.createElement('b')
      name.textContent = e.edge
      const detail = document.createElement('small')
      detail.textContent = ` ${fmtLag(e)}${e.spooledRecords ? ` · ${e.spooledRecords} spooled` : ''}`
      li.append(badge, ' ', name, detail)
      return li
    }))
    if (!edges.length) this.list.textContent = 'no edge heard of yet'
  }
}
