// The live map: which layers show for the mode in use, and what a new window changes. Modes:
//   live-server   /live/heatmap tiles, /live/clusters and /live/hexagons, computed by the gateway
//   live-browser  the window's points in this page's arena; tiles, clusters and hexagons by the same .wasm in workers
//   file-tile     a dropped vector tile through tile-heatmap, in workers (no hexagons)
//   file-points   dropped points: points-heatmap tiles, points-clusters and sensor-hexagons, in workers
// The hexagons show when their toggle in the panel is on, from the same side as the mode's heatmap.
import * as L from 'leaflet'
import type { TileAddress } from '../../faaslets/codecs/mvt.js'
import { loadFile, tileBounds, type FileInput } from './files/run-file.js'
import type { LiveSummary } from './live/events.js'
import type { LiveWindow } from './live/live-window.js'
import { serverClusters } from './live/server-clusters.js'
import { serverHexagons } from './live/server-hexagons.js'
import { BrowserHeatLayer, type PixelSource } from './map/browser-heat-layer.js'
import { ClustersLayer } from './map/clusters-layer.js'
import { HexagonsLayer, type HexagonSource } from './map/hexagons-layer.js'
import { SensorPointsLayer } from './map/points-layer.js'
import { serverHeatTiles, SwapLayer } from './map/swap-layer.js'
import type { ChainPanel, Mode } from './panel/chain-panel.js'
import type { StatsPanel } from './panel/stats-panel.js'
import type { BrowserDataplane, HeldRegions } from './runtime/browser-dataplane.js'
import type { BrowserChains } from './runtime/chains.js'
import { browserClusters } from './runtime/clusters.js'
import { heatTile, type HeatOptions, type HeatTile } from './runtime/heat-tile.js'
import { browserHexagons, hexagonCells, type Hexagons } from './runtime/hexagons.js'

export interface Runtime { dataplane: BrowserDataplane; chains: BrowserChains; live: LiveWindow }

export class LiveMapApp {
  /** the heatmap, whichever side computes it */
  readonly heat = new SwapLayer()
  readonly clusters: ClustersLayer
  readonly sensors: SensorPointsLayer
  readonly hexagons: HexagonsLayer
  private fileOverlay: L.Layer | null = null
  private mode: Mode = 'live-server'
  /** newest window start announced on /live/events */
  window: number | null = null
  /** the newest dropped file, and the newest of each kind (the switch goes back and forth between them) */
  file: FileInput | null = null
  private tileFile: Extract<FileInput, { kind: 'tile' }> | null = null
  private pointsFile: Extract<FileInput, { kind: 'points' }> | null = null
  runtime: Runtime | null = null
  private readonly serverClusters = serverClusters()
  private readonly serverHexagons = serverHexagons()

  constructor(readonly map: L.Map, private readonly stats: StatsPanel, private readonly chainPanel: ChainPanel) {
    this.clusters = new ClustersLayer(map, null)
    this.sensors = new SensorPointsLayer(map)
    this.hexagons = new HexagonsLayer(map, null, (shown, error) => stats.hexagons(shown, error))
    this.heat.group.addTo(map)
    this.clusters.layer.addTo(map)
    this.sensors.layer.addTo(map)
  }

  get currentMode(): Mode { return this.mode }

  attach(runtime: Runtime): void {
    this.runtime = runtime
    this.chainPanel.enable('live-browser')
  }

  async setMode(mode: Mode): Promise<void> {
    this.mode = mode
    this.heat.clear()
    if (this.fileOverlay) this.map.removeLayer(this.fileOverlay)
    this.fileOverlay = null
    this.sensors.enabled = mode.startsWith('live')
    const rt = this.runtime
    if (mode === 'live-server') {
      if (this.window !== null) this.heat.replace(serverHeatTiles(this.window))
      this.clusters.setSource(this.serverClusters)
      this.hexagons.setSource(this.serverHexagons)
    } else if (mode === 'live-browser' && rt) {
      this.heat.replace(new BrowserHeatLayer(this.liveBrowserPixels()))
      this.clusters.setSource(async (bbox, zoom) => rt.live.use(this.window ?? -Infinity, async (w) =>
        ({ collection: await browserClusters(rt.chains, w.regions, zoom, bbox), pointCount: w.count })))
      this.hexagons.setSource(async (res) => { const h = await this.liveHexagons(res); return h && hexagonCells(h) })
    } else if (mode === 'file-tile' && this.tileFile) {
      const file = this.tileFile
      const canvas = document.createElement('canvas')
      canvas.width = file.image.width
      canvas.height = file.image.height
      canvas.getContext('2d')!.putImageData(new ImageData(new Uint8ClampedArray(file.image.rgba), file.image.width, file.image.height), 0, 0)
      this.fileOverlay = L.imageOverlay(canvas.toDataURL('image/png'), tileBounds(file.tile), { opacity: 0.85 }).addTo(this.map)
      this.clusters.setSource(async () => ({ collection: file.clusters, pointCount: file.pointCount }))
      this.hexagons.setSource(null) // the tile ran once: its points are not kept
    } else if (mode === 'file-points' && this.pointsFile && rt) {
      const file = this.pointsFile
      this.heat.replace(new BrowserHeatLayer(this.heldPixels(rt, file.points)))
      this.clusters.setSource(async (bbox, zoom) => ({ collection: await browserClusters(rt.chains, file.points, zoom, bbox), pointCount: file.count }))
      this.hexagons.setSource(this.heldHexagons(rt, file.points))
    }
    await this.sensors.refresh()
    await this.chainPanel.show(mode)
  }

  /** A window closed: counters, then the layers of the live modes. */
  async onWindow(s: LiveSummary): Promise<void> {
    this.stats.showWindow(s)
    if (this.runtime) this.stats.runtime({ isolated: true, arenaBytes: this.runtime.dataplane.arena.bytesInUse })
    const fresh = s.windowStart > (this.window ?? -Infinity)
    if (fresh) this.window = s.windowStart
    if (this.mode === 'live-server') {
      if (fresh) this.heat.replace(serverHeatTiles(s.windowStart))
    } else if (this.mode === 'live-browser' && this.runtime) {
      await this.runtime.live.points(s.windowStart) // fetch first, so the new tiles draw the new window
      if (fresh) this.heat.replace(new BrowserHeatLayer(this.liveBrowserPixels()))
    } else {
      return
    }
    await Promise.all([this.clusters.refresh(), this.sensors.refresh(), this.hexagons.refresh()])
  }

  /** A dropped file: run it, then show it in its mode. */
  async openFile(file: File, askTile: () => TileAddress | null = () => null): Promise<FileInput> {
    if (!this.runtime) throw new Error('the faaslets cannot run in this browser (not cross-origin isolated)')
    this.stats.fileStatus(`running ${file.name} …`)
    const loaded = await loadFile(this.runtime.chains, file, askTile)
    this.file = loaded
    const mode: Mode = loaded.kind === 'tile' ? 'file-tile' : 'file-points'
    this.chainPanel.enable(mode)
    if (loaded.kind === 'tile') {
      this.tileFile = loaded
      this.stats.fileStatus(`${file.name}: tile ${loaded.tile.z}/${loaded.tile.x}/${loaded.tile.y}, ${loaded.pointCount} points, tile-heatmap in ${loaded.computeMs.toFixed(1)} ms`)
      this.map.fitBounds(tileBounds(loaded.tile))
    } else {
      this.pointsFile?.points.retire() // its tiles still being drawn finish first
      this.pointsFile = loaded
      this.stats.fileStatus(`${file.name}: ${loaded.count} points in the arena`)
      if (loaded.bbox) this.map.fitBounds([[loaded.bbox[1], loaded.bbox[0]], [loaded.bbox[3], loaded.bbox[2]]], { maxZoom: 12 })
    }
    await this.setMode(mode)
    return loaded
  }

  /** Heatmap tile z/x/y of the newest window, computed here (the test hook's computeTile). */
  async liveTile(z: number, x: number, y: number, opts: HeatOptions = {}): Promise<(HeatTile & { window: number }) | null> {
    const rt = this.runtime
    if (!rt) throw new Error('no browser runtime')
    return rt.live.use(this.window ?? -Infinity, async (w) => ({ ...(await heatTile(rt.chains, w.regions, z, x, y, opts)), window: w.start }))
  }

  /** The newest window's hexagons at resolution `res`, computed here (the test hook's computeHexagons). */
  async liveHexagons(res: number): Promise<(Hexagons & { window: number }) | null> {
    const rt = this.runtime
    if (!rt) throw new Error('no browser runtime')
    return rt.live.use(this.window ?? -Infinity, async (w) => ({ ...(await browserHexagons(rt.chains, w.regions, res)), window: w.start }))
  }

  /** Heatmap tile z/x/y of the dropped points, computed here. */
  async fileTile(z: number, x: number, y: number, opts: HeatOptions = {}): Promise<HeatTile> {
    if (!this.runtime || !this.pointsFile) throw new Error('no dropped points')
    return heatTile(this.runtime.chains, this.pointsFile.points, z, x, y, opts)
  }

  private liveBrowserPixels(): PixelSource {
    return async (z, x, y) => {
      const t = await this.liveTile(z, x, y)
      if (t) this.stats.tile({ z, x, y, computeMs: t.computeMs, totalMs: t.totalMs })
      return t
    }
  }

  private heldHexagons(rt: Runtime, points: HeldRegions): HexagonSource {
    return async (res) => hexagonCells(await browserHexagons(rt.chains, points, res))
  }

  private heldPixels(rt: Runtime, points: HeldRegions): PixelSource {
    return async (z, x, y) => {
      const t = await heatTile(rt.chains, points, z, x, y)
      this.stats.tile({ z, x, y, computeMs: t.computeMs, totalMs: t.totalMs })
      return t
    }
  }
}
