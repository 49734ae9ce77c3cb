// Encoder 2: GDAL's MVT driver (gdal3.js 2.8.1, GDAL 3.8 compiled to WebAssembly): ogr2ogr -f MVT from a
// GeoJSON file per region, -makevalid first (GEOS refuses some of the clipped rings otherwise). The driver
// picks the tiles itself (every tile of MINZOOM..MAXZOOM with data) and writes them, uncompressed, into
// gdal3.js's in-memory file system, read back from there and removed.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { regionFeatures, type Region } from './regions.js'
import type { CorpusTile } from './corpus.js'

interface Dataset { pointer: number }
interface MemFs {
  readdir(path: string): string[]
  stat(path: string): { mode: number }
  isDir(mode: number): boolean
  readFile(path: string): Uint8Array
  unlink(path: string): void
  rmdir(path: string): void
}
interface Gdal {
  open(files: string | string[]): Promise<{ datasets: Dataset[] }>
  close(d: Dataset): Promise<void>
  ogr2ogr(d: Dataset, options: string[], outputName?: string): Promise<{ local: string }>
  Module: { FS: MemFs }
}

type InitGdal = (config: { logHandler(text: string): void; errorHandler(text: string): void }) => Promise<Gdal>
const initGdalJs = createRequire(import.meta.url)('gdal3.js/node.js') as InitGdal

export async function encodeGdal(regions: Region[]): Promise<CorpusTile[]> {
  const messages: string[] = []
  const gdal = await initGdalJs({ logHandler: () => {}, errorHandler: (text: string) => messages.push(text) })
  const dir = mkdtempSync(join(tmpdir(), 'graticule-mvt-gdal-'))
  const tiles: CorpusTile[] = []
  try {
    for (const r of regions) {
      const file = join(dir, `${r.name}.geojson`)
      writeFileSync(file, JSON.stringify({ type: 'FeatureCollection', features: regionFeatures(r) }))
      const { datasets: [ds] } = await gdal.open(file)
      try {
        const out = await gdal.ogr2ogr(ds, [
          '-f', 'MVT', '-makevalid',
          '-dsco', `MINZOOM=${r.minZoom}`, '-dsco', `MAXZOOM=${r.maxZoom}`, '-dsco', 'COMPRESS=NO',
        ], r.name)
        for (const path of files(gdal.Module.FS, out.local)) {
          const m = /\/(\d+)\/(\d+)\/(\d+)\.pbf$/.exec(path)
          if (m) tiles.push({ encoder: 'gdal', region: r.name, z: +m[1], x: +m[2], y: +m[3], bytes: new Uint8Array(gdal.Module.FS.readFile(path)) })
        }
        remove(gdal.Module.FS, out.local)
      } finally {
        await gdal.close(ds)
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
  // GDAL reports what it could not do as errors (warnings go to the log handler)
  if (messages.some((m) => /ERROR/.test(m))) throw new Error(`GDAL: ${messages.join('\n')}`)
  return tiles.sort((a, b) => a.region.localeCompare(b.region) || a.z - b.z || a.x - b.x || a.y - b.y)
}

function files(fs: MemFs, path: string): string[] {
  if (!fs.isDir(fs.stat(path).mode)) return [path]
  return fs.readdir(path).filter((n) => n !== '.' && n !== '..').flatMap((n) => files(fs, `${path}/${n}`))
}

function remove(fs: MemFs, path: string): void {
  if (!fs.isDir(fs.stat(path).mode)) return fs.unlink(path)
  for (const n of fs.readdir(path)) if (n !== '.' && n !== '..') remove(fs, `${path}/${n}`)
  fs.rmdir(path)
}
