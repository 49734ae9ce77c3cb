// A real browser on a real gateway: the gateway in-process (simulator, short windows) on 127.0.0.1:0, and
// Debian's Chromium driven by playwright-core with a fresh profile. Every console error and uncaught page
// error is collected, so a test can require none. close() ends the browser, the gateway and the profile.
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import type { AddressInfo } from 'node:net'
import { chromium, type BrowserContext, type Page } from 'playwright-core'
import { buildGateway, type Gateway } from '../../gateway/app.js'
import { buildWeb, webBuildIsStale, WEB_OUT } from '../../gateway/web/build.js'

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'
const CHROMIUM_ARGS = [
  '--no-sandbox', '--headless', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
  '--disable-sync', '--no-first-run', '--enable-unsafe-swiftshader',
]

export interface MapSession {
  gw: Gateway
  url: string
  context: BrowserContext
  page: Page
  /** console errors and uncaught exceptions of the page and its workers, in order */
  errors: string[]
  close(): Promise<void>
}

export interface SessionOptions {
  windowMs?: number
  sensors?: number
  rate?: number
}

/** Rebuilds dist/web when a source is newer; a lock keeps parallel test files from building at once. */
export async function ensureWebBuilt(): Promise<void> {
  const lock = `${WEB_OUT}.lock`
  mkdirSync(dirname(lock), { recursive: true })
  for (let i = 0; ; i++) {
    try {
      mkdirSync(lock)
      break
    } catch {
      if (i > 600) rmSync(lock, { recursive: true, force: true }) // a build that died 60 s ago
      await sleep(100)
    }
  }
  try {
    if (webBuildIsStale()) await buildWeb()
  } finally {
    rmSync(lock, { recursive: true, force: true })
  }
}

export async function openMap(opts: SessionOptions = {}): Promise<MapSession> {
  await ensureWebBuilt()
  const gw = await buildGateway({
    workers: 2, chainsDir: null,
    ingestion: {
      windows: { sizeMs: opts.windowMs ?? 1_000, allowedLatenessMs: 100 }, idleFlushMs: 1_000,
      simulator: { sensors: opts.sensors ?? 2_000, rate: opts.rate ?? 5_000, seed: 11 },
    },
  })
  const profile = mkdtempSync(join(tmpdir(), 'graticule-chromium-'))
  let context: BrowserContext | null = null
  try {
    await gw.app.listen({ host: '127.0.0.1', port: 0 })
    const url = `http://127.0.0.1:${(gw.app.server.address() as AddressInfo).port}`
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS, viewport: { width: 1280, height: 800 },
    })
    const page = context.pages()[0] ?? (await context.newPage())
    const errors: string[] = []
    page.on('console', (m) => { if (m.type() === 'error') errors.push(`console: ${m.text()} (${m.location().url})`) })
    page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`))
    const ctx = context
    return {
      gw, url, context: ctx, page, errors,
      async close() {
        await ctx.close()
        await gw.close()
        rmSync(profile, { recursive: true, force: true })
      },
    }
  } catch (e) {
    await context?.close()
    await gw.close()
    rmSync(profile, { recursive: true, force: true })
    throw e
  }
}

/** Polls `probe` until it returns something truthy; fails with `what` after `timeoutMs`. */
export async function waitFor<T>(probe: () => Promise<T | null | undefined | false> | T | null | undefined | false, what: string, timeoutMs = 20_000): Promise<T> {
  const until = Date.now() + timeoutMs
  for (;;) {
    const v = await probe()
    if (v) return v
    if (Date.now() > until) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
    await sleep(100)
  }
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms))

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b)
  const m = s.length >> 1
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2
}

/** Base64 → bytes (page.evaluate returns binary as base64 strings; see toBase64 in the page). */
export function fromBase64(b64: string): Uint8Array {
  return new Uint8Array(Buffer.from(b64, 'base64'))
}

/** What the page exposes as window.graticule (gateway/web/main.ts), as far as the tests use it. */
export interface GraticuleHook {
  ready: Promise<void>
  app: {
    window: number | null; currentMode: string; file: unknown; clusters: { renderedZoom: number | null }; heat: { swaps: number }
    hexagons: { shown: { res: number; cells: number; maxCount: number } | null; layer: { getLayers(): Array<{ getBounds(): { getWest(): number; getEast(): number } }> } }
  }
  map: { getZoom(): number; setView(at: [number, number], zoom: number, opts?: object): unknown }
  computeTile(z: number, x: number, y: number, opts?: { radius?: number; scale?: number }): Promise<HeatTileResult | null>
  fileTile(z: number, x: number, y: number, opts?: { radius?: number; scale?: number }): Promise<HeatTileResult>
  computeHexagons(res: number): Promise<{ window: number; geojson: string; computeMs: number } | null>
  setMode(mode: string): Promise<void>
  base64(data: Uint8Array | Float32Array): string
}

export interface HeatTileResult { window?: number; width: number; height: number; rgba: Uint8Array; grid: Float32Array; computeMs: number; totalMs: number }

declare global {
  interface Window { graticule: GraticuleHook }
}
