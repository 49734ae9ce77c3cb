// A progress bar on stderr: work is planned up front in weighted units (≈ seconds), each step advances it.
// On a terminal the bar redraws in place; otherwise (CI, a test's child process) one line per step.
export class Progress {
  private done = 0
  private label = ''
  private readonly started = performance.now()
  private readonly tty = Boolean(process.stderr.isTTY)

  constructor(private total: number, private readonly width = 28) {}

  /** More work discovered (e.g. a broker turned out to be reachable). */
  add(units: number): void {
    this.total += units
    if (this.tty) this.draw()
  }

  /** Starts a step; `units` of it are counted as done when the next step starts (or at finish). */
  step(label: string, units: number): void {
    this.done += this.pendingUnits
    this.pendingUnits = units
    this.label = label
    this.draw()
  }

  /** A line of its own, above the bar. */
  log(line: string): void {
    if (this.tty) {
      process.stderr.write(`\r\x1b[2K${line}\n`)
      this.draw()
    } else process.stderr.write(`${line}\n`)
  }

  finish(label = 'done'): void {
    this.done = this.total
    this.pendingUnits = 0
    this.label = label
    this.draw()
    if (this.tty) process.stderr.write('\n')
  }

  private pendingUnits = 0

  private draw(): void {
    const f = this.total > 0 ? Math.min(1, this.done / this.total) : 0
    const filled = Math.round(f * this.width)
    const s = Math.round((performance.now() - this.started) / 1000)
    const time = `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`
    const line = `[${'#'.repeat(filled)}${'.'.repeat(this.width - filled)}] ${(f * 100).toFixed(0).padStart(3)}%  ${time}  ${this.label}`
    if (this.tty) process.stderr.write(`\r\x1b[2K${line.slice(0, (process.stderr.columns || 120) - 1)}`)
    else process.stderr.write(`${line}\n`)
  }
}
