// The newest closed window's points, held in the page's arena as one points region (GET
// /live/window.region: the bytes the server's own tiles are computed from). Refetched only when the
// stream announces a newer window; the previous region is released once no tile reads it.
import { prepareInput, writePrepared } from '../../../faaslets/codecs/boundary.js'
import type { BrowserDataplane, HeldRegions } from '../runtime/browser-dataplane.js'

export interface WindowPointsRegion { start: number; count: number; regions: HeldRegions }

export class LiveWindow {
  private current: WindowPointsRegion | null = null
  private pending: Promise<WindowPointsRegion | null> | null = null

  constructor(private readonly dataplane: BrowserDataplane) {}

  get start(): number | null { return this.current?.start ?? null }

  /** The held window, fetched anew when `announced` (a window start from /live/events) is newer. */
  async points(announced = -Infinity): Promise<WindowPointsRegion | null> {
    if (this.current && announced <= this.current.start) return this.current
    return (this.pending ??= this.fetch().finally(() => { this.pending = null }))
  }

  /**
   * Runs `fn` on the held window while keeping it from being released. A newer window may replace it
   * between fetch and use; then the newer one is used.
   */
  async use<T>(announced: number, fn: (w: WindowPointsRegion) => Promise<T>): Promise<T | null> {
    let w = await this.points(announced)
    while (w?.regions.released) w = await this.points(announced)
    return w ? w.regions.use(() => fn(w!)) : null
  }

  private async fetch(): Promise<WindowPointsRegion | null> {
    const res = await fetch('/live/window.region', { cache: 'no-store' })
    if (!res.ok) throw new Error(`GET /live/window.region: ${res.status}`)
    const header = res.headers.get('x-graticule-window')
    const bytes = new Uint8Array(await res.arrayBuffer())
    if (!header || header === 'none' || bytes.length === 0) return this.current
    const start = Number(header)
    if (this.current?.start === start) return this.current
    const input = await prepareInput(bytes, 'region', 'points')
    const regions = this.dataplane.hold((mem) => [writePrepared(mem, input)])
    const previous = this.current
    this.current = { start, count: Number(res.headers.get('x-graticule-count') ?? 0), regions }
    previous?.regions.retire()
    return this.current
  }
}
