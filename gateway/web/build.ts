// Builds the live map into dist/web: the page (main.js) and its faaslet worker (worker.js) bundled by
// esbuild from gateway/web and the host modules they reuse, plus the static files and the basemap data
// (world-atlas countries, served from the gateway: the map needs no tile server). `npm run build` runs it;
// tests call buildWeb() when the sources are newer than the bundle.
import { build, type Plugin } from 'esbuild'
import { copyFileSync, existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'

const HERE = dirname(fileURLToPath(import.meta.url))
const ROOT = resolve(HERE, '../..')
export const WEB_OUT = join(ROOT, 'dist', 'web')

/**
 * Host code the page shares imports pngjs for PNG files, which the page never reads or writes: a stand-in.
 * It reads CSV with csv-parse, whose browser build carries its own Buffer.
 */
const browserStandIns: Plugin = {
  name: 'browser-stand-ins',
  setup(b) {
    b.onResolve({ filter: /^pngjs$/ }, () => ({ path: join(HERE, 'runtime/stand-ins/pngjs.ts') }))
    b.onResolve({ filter: /^csv-parse\/sync$/ }, (a) => b.resolve('csv-parse/browser/esm/sync', { kind: a.kind, resolveDir: a.resolveDir }))
    b.onResolve({ filter: /^node:/ }, (a) => ({ errors: [{ text: `${a.path} (imported by ${a.importer}) cannot run in the browser` }] }))
  },
}

const STATIC: Array<[from: string, to: string]> = [
  [join(HERE, 'index.html'), 'index.html'],
  [join(HERE, 'style.css'), 'style.css'],
  [join(HERE, 'favicon.svg'), 'favicon.svg'],
  [join(ROOT, 'node_modules/leaflet/dist/leaflet.css'), 'leaflet.css'],
  [join(ROOT, 'node_modules/world-atlas/countries-50m.json'), 'countries.json'],
]

/** Bundles into a fresh folder and swaps it in, so a server never serves half a build. */
export async function buildWeb(outDir = WEB_OUT): Promise<void> {
  const tmp = `${outDir}.tmp-${process.pid}`
  rmSync(tmp, { recursive: true, force: true })
  await build({
    entryPoints: { main: join(HERE, 'main.ts'), worker: join(HERE, 'runtime/worker.ts') },
    outdir: tmp,
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'chrome120',
    minify: true,
    sourcemap: true,
    legalComments: 'linked',
    plugins: [browserStandIns],
    logLevel: 'warning',
  })
  for (const [from, to] of STATIC) copyFileSync(from, join(tmp, to))
  writeFileSync(join(tmp, 'BUILT'), `${new Date().toISOString()}\n`)
  rmSync(outDir, { recursive: true, force: true })
  mkdirSync(dirname(outDir), { recursive: true })
  renameSync(tmp, outDir)
}

/** True when a source file is newer than the last build (or there is none). */
export function webBuildIsStale(outDir = WEB_OUT): boolean {
  const stamp = join(outDir, 'BUILT')
  if (!existsSync(stamp)) return true
  const built = statSync(stamp).mtimeMs
  const sources = [HERE, join(ROOT, 'dataplane'), join(ROOT, 'faaslets/abi'), join(ROOT, 'faaslets/codecs'), join(ROOT, 'chains'), join(ROOT, 'errors')]
  const newer = (dir: string): boolean => readdirSync(dir, { withFileTypes: true }).some((e) => {
    const p = join(dir, e.name)
    if (e.isDirectory()) return newer(p)
    return statSync(p).mtimeMs > built
  })
  return sources.some(newer)
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  const t0 = performance.now()
  await buildWeb()
  console.log(`web: dist/web built in ${Math.round(performance.now() - t0)} ms`)
}
