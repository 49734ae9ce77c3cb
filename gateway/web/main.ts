// Boots the live map: the Leaflet map over the world-atlas basemap, the side panel, the stream of windows,
// and the faaslet runtime (only where the page is cross-origin isolated: shared memory needs it).
// `window.graticule` is the hook the end-to-end tests drive.
import * as L from 'leaflet'
import { LiveMapApp } from './app.js'
import { dropZone } from './files/drop-zone.js'
import { listenWindows } from './live/events.js'
import { LiveWindow } from './live/live-window.js'
import { addBasemap } from './map/basemap.js'
import { ChainPanel } from './panel/chain-panel.js'
import { EdgesPanel } from './panel/edges-panel.js'
import { StatsPanel } from './panel/stats-panel.js'
import { BrowserDataplane } from './runtime/browser-dataplane.js'
import { BrowserChains } from './runtime/chains.js'
import type { HeatOptions } from './runtime/heat-tile.js'
import { parseTileAddress } from '../../faaslets/codecs/mvt.js'

const map = L.map('map', { minZoom: 1, maxZoom: 18, maxBounds: [[-85, -200], [85, 200]], maxBoundsViscosity: 0.8, worldCopyJump: false })
  .setView([30, 10], 2)
map.attributionControl.setPrefix('Leaflet').addAttribution('countries: Natural Earth (world-atlas)')

const stats = new StatsPanel()
const chainPanel = new ChainPanel((mode) => void app.setMode(mode))
const app = new LiveMapApp(map, stats, chainPanel)
stats.runtime({ isolated: crossOriginIsolated })

async function startRuntime(): Promise<void> {
  if (!crossOriginIsolated) {
    stats.runtime({ isolated: false, error: 'needs cross-origin isolation' })
    return
  }
  const dataplane = await BrowserDataplane.start()
  app.attach({ dataplane, chains: new BrowserChains(dataplane), live: new LiveWindow(dataplane) })
  stats.runtime({ isolated: true, workers: dataplane.workers, modules: dataplane.modules.names().length, arenaBytes: dataplane.arena.bytesInUse })
}

const runtime = startRuntime().catch((e: Error) => stats.runtime({ isolated: crossOriginIsolated, error: e.message }))
const ready = Promise.all([addBasemap(map), app.setMode('live-server'), runtime]).then(() => {
  listenWindows((s) => void app.onWindow(s), (up) => stats.streamState(up))
})

void new EdgesPanel().start()

const hexagonsToggle = document.getElementById('layer-hexagons') as HTMLInputElement
hexagonsToggle.addEventListener('change', () => void app.hexagons.show(hexagonsToggle.checked))

dropZone(map.getContainer(), (file) => {
  app.openFile(file, () => parseTileAddress(prompt('Which tile is this? z/x/y') ?? '')).catch((e: Error) => stats.fileStatus(`${file.name}: ${e.message}`))
})

declare global {
  interface Window { graticule: typeof hook }
}
const hook = {
  ready,
  app,
  map,
  /** heatmap tile z/x/y of the newest window, computed in this browser: RGBA pixels and f32 densities */
  computeTile: (z: number, x: number, y: number, opts: HeatOptions = {}) => app.liveTile(z, x, y, opts),
  /** the same for the dropped points file */
  fileTile: (z: number, x: number, y: number, opts: HeatOptions = {}) => app.fileTile(z, x, y, opts),
  /** the newest window's H3 hexagons at resolution `res`, computed in this browser: GeoJSON text as the gateway sends it */
  computeHexagons: async (res: number) => {
    const h = await app.liveHexagons(res)
    return h && { window: h.window, geojson: new TextDecoder().decode(h.geojson), computeMs: h.computeMs }
  },
  setMode: (mode: Parameters<LiveMapApp['setMode']>[0]) => app.setMode(mode),
  openFile: (file: File) => app.openFile(file),
  /** binary results leave page.evaluate as base64 */
  base64(data: Uint8Array | Float32Array): string {
    const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength)
    let s = ''
    for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000))
    return btoa(s)
  },
}
window.graticule = hook
