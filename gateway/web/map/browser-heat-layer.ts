// A heatmap computed in this browser, tile by tile, onto canvases: the source runs the faaslet chain in a
// worker and hands back RGBA pixels (null: nothing to draw yet).
import * as L from 'leaflet'
import { WORLD } from './swap-layer.js'

export type PixelSource = (z: number, x: number, y: number) => Promise<{ width: number; height: number; rgba: Uint8Array } | null>

export class BrowserHeatLayer extends L.GridLayer {
  constructor(private readonly source: PixelSource, options: L.GridLayerOptions = {}) {
    super({ noWrap: true, bounds: WORLD, opacity: 0.8, className: 'heat-browser', ...options })
  }

  protected override createTile(coords: L.Coords, done: L.DoneCallback): HTMLElement {
    const size = this.getTileSize()
    const canvas = L.DomUtil.create('canvas') as HTMLCanvasElement
    canvas.width = size.x
    canvas.height = size.y
    this.source(coords.z, coords.x, coords.y).then((px) => {
      // the pixels were copied out of the shared arena (readImage), so their buffer is a plain ArrayBuffer
      if (px) canvas.getContext('2d')!.putImageData(new ImageData(new Uint8ClampedArray(px.rgba.buffer as ArrayBuffer, px.rgba.byteOffset, px.rgba.byteLength), px.width, px.height), 0, 0)
      done(undefined, canvas)
    }, (e: Error) => done(e, canvas))
    return canvas
  }
}
