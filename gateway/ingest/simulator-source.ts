// The embedded default source: the built-in sensor simulator streams points in real time through the
// same windows as Kafka, so a fresh `npm start` shows live data with nothing else running.
import { SensorSimulator } from './simulator.js'
import type { Ingestion } from './ingestion.js'

export interface SimulatorSourceOptions {
  sensors: number
  /** points per second */
  rate: number
  seed?: number
  lateFraction?: number
  lateMs?: number
  duplicateFraction?: number
}

export const DEFAULT_SIMULATOR: SimulatorSourceOptions = { sensors: 2_000, rate: 10_000, seed: 7 }

const PARTITION = 'simulator/0'
const TICK_MS = 100

export class SimulatorSource {
  private readonly sim: SensorSimulator
  private timer: NodeJS.Timeout | null = null
  private offset = 0

  constructor(private readonly ingestion: Ingestion, private readonly opts: SimulatorSourceOptions) {
    // each sensor reports once per (sensors / rate) seconds, so event time keeps pace with the wall clock
    this.sim = new SensorSimulator({
      sensors: opts.sensors, seed: opts.seed ?? 7, startTs: Date.now(), intervalMs: (opts.sensors / opts.rate) * 1000,
      lateFraction: opts.lateFraction, lateMs: opts.lateMs, duplicateFraction: opts.duplicateFraction,
    })
  }

  start(): void {
    this.ingestion.openPartition(PARTITION, 'simulator', -Infinity, null)
    this.timer = setInterval(() => this.pump(), TICK_MS)
    this.timer.unref()
  }

  /** Everything the sensors reported up to now (event time follows the wall clock, gaps included). */
  private pump(): void {
    const points = this.sim.until(Date.now())
    if (points.length) this.ingestion.feed(PARTITION, this.offset++, points)
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer)
    this.timer = null
  }
}
