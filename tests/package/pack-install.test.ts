// The package as a user gets it: `npm pack` the built tree, `npm install --omit=dev` the tarball into an
// empty folder (production dependencies only, from the registry through the npm cache), then the CLI, the
// gateway with its simulator and the README's TypeScript example, all from that folder. Catches a runtime
// import left in devDependencies, a file missing from `files`, and declarations that do not type-check.
//
// Cost: the install fetches ~100 production packages (a few seconds from a warm npm cache, up to a minute or
// two from a cold one); it packs the existing build (`npm pack --ignore-scripts`) instead of rebuilding,
// since `npm ci` has just built it through `prepare` and a rebuild would rewrite dist/ under other tests.
import { spawn, spawnSync, type ChildProcess, type SpawnSyncReturns } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ROOT } from '../../faaslets/catalog.js'
import { waitFor } from '../helpers/gateway-process.js'

const INSTALL_TIMEOUT_MS = 240_000
const TSC = join(ROOT, 'node_modules/typescript/bin/tsc')

// What the nested npm and graticule see: the user's npm configuration, but not vitest's loader options nor
// the variables an outer `npm test` exports (its prefix would point the install at this repository).
const KEEP_NPM = new Set(['npm_config_cache', 'npm_config_userconfig', 'npm_config_registry'])
const cleanEnv = Object.fromEntries(Object.entries(process.env).filter(([k]) => k !== 'NODE_OPTIONS' && (!k.toLowerCase().startsWith('npm_') || KEEP_NPM.has(k.toLowerCase()))))

let dir: string // everything the test writes, removed at the end
let app: string // the user's project
let env: NodeJS.ProcessEnv
let server: ChildProcess | undefined

function run(cmd: string, args: string[], cwd: string, timeout = 60_000): SpawnSyncReturns<string> {
  const r = spawnSync(cmd, args, { cwd, env, encoding: 'utf8', timeout, killSignal: 'SIGKILL' })
  if (r.error) throw r.error
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited with ${r.status ?? r.signal}:\n${r.stdout}\n${r.stderr}`)
  return r
}

const graticule = (...args: string[]) => run(join(app, 'node_modules/.bin/graticule'), args, app)

beforeAll(() => {
  for (const built of ['dist/index.js', 'dist/index.d.ts', 'dist/bin/cli.js', 'dist/web/index.html', 'faaslets/build/reproject.wasm', 'faaslets/build/h3-bin.wasm']) {
    if (!existsSync(join(ROOT, built))) throw new Error(`${built} is missing: run \`npm run build\` first`)
  }
  dir = mkdtempSync(join(tmpdir(), 'graticule-pack-'))
  app = join(dir, 'app')
  env = { ...cleanEnv, NO_COLOR: '1', GRATICULE_CHAINS_DIR: join(dir, 'chains'), GRATICULE_FAASLETS_DIR: join(dir, 'faaslets') }
  run('npm', ['pack', '--ignore-scripts', '--pack-destination', dir], ROOT)
  const tarball = readdirSync(dir).find((f) => f.endsWith('.tgz'))!
  mkdirSync(app)
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'graticule-user', private: true, type: 'module' }))
  run('npm', ['install', '--omit=dev', '--prefer-offline', '--no-audit', '--no-fund', join(dir, tarball)], app, INSTALL_TIMEOUT_MS)
}, INSTALL_TIMEOUT_MS + 60_000)

afterAll(async () => {
  if (server && server.exitCode === null && server.signalCode === null) {
    server.kill('SIGKILL')
    await new Promise((r) => server!.once('exit', r))
  }
  if (dir) rmSync(dir, { recursive: true, force: true })
})

describe('the packed package, installed with production dependencies only', () => {
  it('holds the licenses and none of the development tree', () => {
    for (const absent of ['tests', 'experiments', 'samples', 'dist/experiments', 'dist/tests', 'faaslets/build/test', 'faaslets/assembly']) {
      expect(existsSync(join(app, 'node_modules/graticule', absent)), absent).toBe(false)
    }
    for (const present of ['LICENSE', 'faaslets/c/vendor/h3/LICENSE', 'faaslets/c/vendor/musl/COPYRIGHT']) {
      expect(existsSync(join(app, 'node_modules/graticule', present)), present).toBe(true)
    }
  })

  it('npx graticule faaslets lists both toolchains’ faaslets', () => {
    // TODO(lead): also `npx graticule --version` once the CLI has it
    const out = run('npx', ['--no-install', 'graticule', 'faaslets'], app).stdout
    expect(out).toMatch(/^reproject@/m) // AssemblyScript
    expect(out).toMatch(/^h3-bin@/m) // C
  })

  it('graticule exec reprojects a CSV and bins it into H3 hexagons', () => {
    writeFileSync(join(app, 'places.csv'), 'name,lon,lat\nberlin,13.4,52.5\nparis,2.35,48.86\n')
    graticule('exec', 'reproject', '--in', 'places.csv', '--out', 'places-3857.csv', '--param', 'to=EPSG:3857')
    const [header, berlin] = readFileSync(join(app, 'places-3857.csv'), 'utf8').split('\n')
    expect(header).toBe('x,y,name')
    expect(Number(berlin.split(',')[0])).toBeCloseTo(1491681.18, 1)
    graticule('exec', 'h3-bin', '--in', 'places.csv', '--out', 'hexagons.geojson', '--param', 'res=3')
    expect(JSON.parse(readFileSync(join(app, 'hexagons.geojson'), 'utf8')).features).toHaveLength(2)
  })

  it("the README's TypeScript example type-checks against the declarations and runs", () => {
    const example = /```ts\n([\s\S]*?)```/.exec(readFileSync(join(ROOT, 'README.md'), 'utf8'))![1]
    writeFileSync(join(app, 'example.ts'), example)
    // a strict consumer: the package's .d.ts are checked too (skipLibCheck off); @types/node is the user's
    writeFileSync(join(app, 'tsconfig.json'), JSON.stringify({
      compilerOptions: {
        target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, skipLibCheck: false,
        types: ['node'], typeRoots: [join(ROOT, 'node_modules/@types')], outDir: 'out',
      },
      files: ['example.ts'],
    }))
    run(process.execPath, [TSC, '-p', 'tsconfig.json'], app)
    const out = run(process.execPath, ['out/example.js'], app).stdout.trim().split(' ')
    expect(Number(out[0])).toBeCloseTo(1491681.18, 1)
    expect(out[1]).toBe('0')
  })

  it('graticule serve runs the simulator and draws live tiles, and stops on SIGTERM', async () => {
    const port = await freePort()
    const url = `http://127.0.0.1:${port}`
    let output = ''
    server = spawn(join(app, 'node_modules/.bin/graticule'), ['serve', '--host', '127.0.0.1', '--port', String(port), '--window-ms', '1000', '--lateness-ms', '200'], {
      cwd: app, env, stdio: ['ignore', 'pipe', 'pipe'],
    })
    server.stdout!.on('data', (d: Buffer) => { output += d.toString() })
    server.stderr!.on('data', (d: Buffer) => { output += d.toString() })
    const exited = new Promise<number | null>((r) => server!.once('exit', (code) => r(code)))
    try {
      await waitFor('/healthz', async () => (await fetch(`${url}/healthz`)).status === 200 || undefined, 60_000)
      await waitFor('a live window', async () => ((await (await fetch(`${url}/live/status`)).json()) as { windows: number }).windows > 0 || undefined, 60_000)
      const tile = await fetch(`${url}/live/heatmap/0/0/0.png`)
      expect(tile.status).toBe(200)
      expect(tile.headers.get('content-type')).toBe('image/png')
      expect(tile.headers.get('x-graticule-window')).not.toBe('none')
      expect([...new Uint8Array(await tile.arrayBuffer()).subarray(0, 4)]).toEqual([0x89, 0x50, 0x4e, 0x47])
      expect((await fetch(`${url}/`)).headers.get('content-type')).toMatch(/^text\/html/)
    } catch (e) {
      throw new Error(`${(e as Error).message}\nserver output:\n${output}`)
    }
    server.kill('SIGTERM')
    expect(await exited).toBe(0)
  })
})

/** A port nothing listens on right now (the kernel's pick, released for the server). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer().once('error', reject)
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number }
      s.close(() => resolve(port))
    })
  })
}
