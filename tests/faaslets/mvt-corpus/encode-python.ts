// Encoder 3: the Python mapbox-vector-tile package (shapely clipping and validity, its own winding
// enforcement and quantisation), run by encode_mvt.py beside this file. The test installs it itself: a
// virtual environment with requirements.txt's pinned versions, made once under node_modules/.cache (named by
// a hash of the requirements and the Python version, so a change of either makes a new one) and reused.
import { execFileSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { regionFeatures, regionTiles, type Region } from './regions.js'
import type { CorpusTile } from './corpus.js'

const here = dirname(fileURLToPath(import.meta.url))
const CACHE = resolve(here, '../../../node_modules/.cache/graticule-mvt-corpus')
const PYTHON = process.env.PYTHON ?? 'python3'

/** The cached virtual environment's python, installing it first if it is not there yet. */
export function pythonWithMapboxVectorTile(): string {
  const requirements = readFileSync(join(here, 'requirements.txt'), 'utf8')
  const version = execFileSync(PYTHON, ['--version'], { encoding: 'utf8' }).trim()
  const hash = createHash('sha256').update(`${version}\n${requirements}`).digest('hex').slice(0, 12)
  const venv = join(CACHE, `venv-${hash}`)
  const python = join(venv, 'bin', 'python')
  if (existsSync(python)) return python
  mkdirSync(CACHE, { recursive: true })
  // built beside its final place and renamed when complete: an interrupted install is never taken for one
  const building = mkdtempSync(join(CACHE, `venv-${hash}.building-`))
  try {
    execFileSync(PYTHON, ['-m', 'venv', building], { stdio: 'pipe' })
    execFileSync(join(building, 'bin', 'python'), [
      '-m', 'pip', 'install', '--quiet', '--disable-pip-version-check', '--no-input', '--only-binary=:all:',
      '-r', join(here, 'requirements.txt'),
    ], { stdio: 'pipe', timeout: 300_000 })
    renameSync(building, venv)
  } catch (e) {
    rmSync(building, { recursive: true, force: true })
    const err = e as { stderr?: Buffer; message: string }
    throw new Error(`installing mapbox-vector-tile failed: ${err.stderr?.toString() || err.message}`)
  }
  return python
}

export function encodePython(regions: Region[]): CorpusTile[] {
  const python = pythonWithMapboxVectorTile()
  const dir = mkdtempSync(join(tmpdir(), 'graticule-mvt-python-'))
  try {
    const out = join(dir, 'tiles')
    mkdirSync(out)
    const job = {
      out,
      regions: regions.map((r) => {
        const geojson = join(dir, `${r.name}.geojson`)
        writeFileSync(geojson, JSON.stringify({ type: 'FeatureCollection', features: regionFeatures(r) }))
        return { name: r.name, geojson, tiles: regionTiles(r) }
      }),
    }
    writeFileSync(join(dir, 'job.json'), JSON.stringify(job))
    execFileSync(python, [join(here, 'encode_mvt.py'), join(dir, 'job.json')], { stdio: 'pipe', timeout: 120_000 })
    const tiles: CorpusTile[] = []
    for (const file of readdirSync(out).sort()) {
      const m = /^(.+)-(\d+)-(\d+)-(\d+)\.mvt$/.exec(file)
      if (m) tiles.push({ encoder: 'mapbox-vector-tile', region: m[1], z: +m[2], x: +m[3], y: +m[4], bytes: new Uint8Array(readFileSync(join(out, file))) })
    }
    return tiles
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}
