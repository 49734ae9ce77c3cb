// The command line's contract around the commands, run from source as a user runs it: --version, the help
// generated from each command's option table (every option, every environment variable), the exit status
// (2 for usage errors only, 1 for a command that failed), `-` for stdin/stdout giving the bytes a file would
// get, `validate --json`, and the progress line that rewrites itself only on a terminal.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { commands } from '../../bin/commands.js'
import { Progress } from '../../bin/commands/progress.js'
import { lines, REPO_ROOT, runCli, type CliOptions, type CliResult } from '../helpers/cli.js'
import { sampleCities } from '../helpers/tiles.js'
import { closedPort } from '../helpers/ports.js'

const dir = mkdtempSync(join(tmpdir(), 'graticule-cli-options-'))
const at = (name: string) => join(dir, name)
afterAll(() => rmSync(dir, { recursive: true, force: true }))

const PKG = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string }
const CITIES = sampleCities(2000, 5)
const GEOJSON = JSON.stringify({
  type: 'FeatureCollection',
  features: CITIES.map((c, i) => ({ type: 'Feature', id: i, properties: { name: c.name, population: c.population }, geometry: { type: 'Point', coordinates: c.loc.coordinates } })),
})
const CSV = `lon,lat,weight\n${CITIES.map((c) => `${c.loc.coordinates[0]},${c.loc.coordinates[1]},${c.population / 1e6}`).join('\n')}\n`
const BROKEN = 'tests/chains/broken'
const tile = ['-p', 'z=4', '-p', 'x=8', '-p', 'y=5']

// ─── runs, two at a time (the machine has two cores) ────────────────────────────────────────────────

const RUNS: Record<string, [string[], CliOptions?]> = {
  version: [['--version']],
  versionShort: [['-V']],
  versionCommand: [['version']],
  help: [['--help']],
  helpExec: [['help', 'exec']],
  noCommand: [[]],
  // stdin and stdout against the same data through files
  heatFile: [['exec', 'heatmap', '--in', at('cities.geojson'), '--out', at('heat.png'), ...tile]],
  heatPipe: [['exec', 'heatmap', '--in', '-', '--in-format', 'geojson', '--out', '-', '--out-format', 'png', ...tile], { input: GEOJSON }],
  reprojectFile: [['exec', 'reproject', '--in', at('cities.geojson'), '--out', at('cities-3857.geojson'), '-p', 'to=EPSG:3857']],
  reprojectPipe: [['exec', 'reproject', '--in', '-', '--in-format', 'geojson', '--out', '-', '--out-format', 'geojson', '-p', 'to=EPSG:3857'], { input: GEOJSON }],
  runFile: [['run', 'points-heatmap', '--in', at('cities.csv'), '--out', at('run.png'), ...tile]],
  runPipe: [['run', 'points-heatmap', '--in', '-', '--in-format', 'csv', '--out', '-', '--out-format', 'png', ...tile], { input: CSV }],
  validateJson: [['validate', '--json', `${BROKEN}/many-problems.yaml`, `${BROKEN}/cycle.yaml`, 'chains/points-heatmap.yaml', at('nowhere.yaml')]],
  validateHuman: [['validate', `${BROKEN}/many-problems.yaml`, `${BROKEN}/cycle.yaml`, 'chains/points-heatmap.yaml', at('nowhere.yaml')]],
  validateJsonOk: [['validate', '--json', 'chains/points-heatmap.yaml']],
}
for (const name of Object.keys(commands)) {
  RUNS[`help:${name}`] = [[name, '--help']]
  RUNS[`unknownFlag:${name}`] = [[name, '--no-such-flag']]
}

// usage errors: exit 2, one line naming the problem and where the help is
const USAGE: Array<[string, string[], string]> = [
  ['unknown command', ['clusterr'], 'unknown command "clusterr"'],
  ['unknown command for help', ['help', 'clusterr'], 'unknown command "clusterr"'],
  ['misspelt flag', ['exec', 'cluster', '--in-fromat', 'csv'], 'did you mean --in-format?'],
  ['missing positional', ['exec', '--in', 'a.csv', '--out', 'b.geojson'], 'missing <faaslet>'],
  ['extra positional', ['exec', 'cluster', 'heatmap', '--in', 'a.csv', '--out', 'b.geojson'], 'unexpected argument "heatmap"'],
  ['missing required flag', ['exec', 'cluster', '--out', 'b.geojson'], 'missing --in'],
  ['flag without its value', ['exec', 'cluster', '--in'], '--in'],
  ['stdin without a format', ['exec', 'cluster', '--in', '-', '--out', 'b.geojson'], '--in-format'],
  ['stdout without a format', ['exec', 'cluster', '--in', 'a.csv', '--out', '-'], '--out-format'],
  ['unknown format', ['exec', 'cluster', '--in', '-', '--in-format', 'txt', '--out', 'b.geojson'], '--in-format txt'],
  ['--world-file with stdout', ['exec', 'heatmap', '--in', 'a.csv', '--out', '-', '--out-format', 'png', '--world-file'], '--world-file'],
  ['--param without =', ['exec', 'cluster', '--in', 'a.csv', '--out', 'b.geojson', '-p', 'zoom'], 'key=value'],
  ['bad --mode', ['run', 'points-heatmap', '--in', 'a.csv', '--out', 'b.png', '--mode', 'fast'], '--mode'],
  ['two stdouts', ['run', 'points-heatmap', '--in', 'a.csv', '--out', '-', '--out', '-'], 'once'],
  ['validate with no file', ['validate'], 'missing <chain.yaml>'],
  ['positional where none is taken', ['faaslets', 'cluster'], 'unexpected argument "cluster"'],
  ['sensors without --kafka', ['sensors'], 'missing --kafka'],
  ['sensors with a rate that is no number', ['sensors', '--kafka', '127.0.0.1:9', '--rate', 'fast'], '--rate'],
  ['deploy without --name', ['deploy', 'x.wasm'], 'missing --name'],
]
for (const [name, args] of USAGE) RUNS[`usage:${name}`] = [args]

// a command that fails: exit 1, one line with what went wrong
const RUNTIME: Array<[string, string[], string]> = [
  ['missing input file', ['exec', 'cluster', '--in', at('nowhere.csv'), '--out', at('x.geojson'), '-p', 'zoom=3'], 'E_BAD_FORMAT'],
  ['refused input', ['exec', 'h3-bin', '--in', at('square.geojson'), '--out', at('x.csv'), '-p', 'res=4'], 'E_CANNOT_CARRY'],
  ['empty stdin', ['exec', 'cluster', '--in', '-', '--in-format', 'geojson', '--out', at('x.geojson'), '-p', 'zoom=3'], 'E_BAD_GEOJSON'],
  ['unknown faaslet', ['exec', 'clustr', '--in', at('cities.csv'), '--out', at('x.geojson')], 'E_UNKNOWN_FAASLET'],
  ['bad parameter value', ['exec', 'cluster', '--in', at('cities.csv'), '--out', at('x.geojson'), '-p', 'zoom=three'], 'E_BAD_PARAM'],
  ['missing deploy module', ['deploy', at('nowhere.wasm'), '--name', 'x'], 'nowhere.wasm'],
]
for (const [name, args] of RUNTIME) RUNS[`runtime:${name}`] = [args]

const results: Record<string, Promise<CliResult>> = {}
let refused: Promise<CliResult>

beforeAll(() => {
  writeFileSync(at('cities.geojson'), GEOJSON)
  writeFileSync(at('cities.csv'), CSV)
  writeFileSync(at('square.geojson'), JSON.stringify({ type: 'FeatureCollection', features: [{ type: 'Feature', properties: {}, geometry: { type: 'Polygon', coordinates: [[[10, 50], [11, 50], [11, 51], [10, 50]]] } }] }))
  writeFileSync(at('module.wasm'), Buffer.from([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0]))
  refused = closedPort().then((port) => runCli(['deploy', at('module.wasm'), '--name', 'x', '--url', `http://127.0.0.1:${port}`]))
  const queue = Object.entries(RUNS)
  const settle = new Map<string, (r: Promise<CliResult>) => void>()
  for (const [name] of queue) results[name] = new Promise((resolve) => settle.set(name, resolve))
  const worker = async () => {
    for (let item = queue.shift(); item; item = queue.shift()) {
      const run = runCli(...item[1])
      settle.get(item[0])!(run)
      await run.catch(() => undefined)
    }
  }
  void worker()
  void worker()
})

function noStack(r: CliResult, what: string): void {
  expect(r.stderr, what).not.toContain('    at ')
  expect(r.signal, what).toBeNull()
}

// ─── version and help ────────────────────────────────────────────────────────────────────────────────

describe('graticule --version', () => {
  for (const name of ['version', 'versionShort', 'versionCommand']) {
    it(`${RUNS[name][0].join(' ')}: package.json's version and Node's`, async () => {
      const r = await results[name]
      expect(r.code, r.stderr).toBe(0)
      expect(r.stdout).toBe(`graticule ${PKG.version} (Node.js ${process.version})\n`)
      expect(r.stderr).toBe('')
    })
  }
})

describe('help, generated from the option tables', () => {
  const envVars = [...new Set(Object.values(commands).flatMap((c) => Object.values(c.options).flatMap((s) => (s.env ? [s.env] : []))))]

  it('the environment variables the CLI reads are all declared in tables', () => {
    for (const env of ['GRATICULE_TOKEN', 'GRATICULE_URL', 'GRATICULE_CHAINS_DIR', 'GRATICULE_FAASLETS_DIR']) expect(envVars).toContain(env)
  })

  it('graticule --help: every command, every environment variable, the exit status', async () => {
    const r = await results.help
    expect(r.code, r.stderr).toBe(0)
    const out = lines(r.stdout)
    for (const [name, c] of Object.entries(commands)) expect(out.some((l) => l.startsWith(`  ${name} `) && l.endsWith(c.summary)), name).toBe(true)
    const envSection = out.slice(out.findIndex((l) => l.startsWith('environment')))
    for (const env of envVars) expect(envSection.some((l) => l.trimStart().startsWith(`${env} `)), env).toBe(true)
    expect(r.stdout).toMatch(/exit status:\n {2}0 +ok\n {2}1 +.*\n {2}2 +usage error/)
  })

  it('graticule with no command: a usage error on stderr, exit 2', async () => {
    const r = await results.noCommand
    expect(r.code).toBe(2)
    expect(r.stdout).toBe('')
    expect(lines(r.stderr)).toEqual([expect.stringContaining('--help')])
  })

  for (const [name, c] of Object.entries(commands)) {
    it(`graticule ${name} --help: the usage, every option of its table with its environment variable`, async () => {
      const r = await results[`help:${name}`]
      expect(r.code, r.stderr).toBe(0)
      expect(r.stdout.startsWith(`usage: graticule ${name}${c.positionals ? ` ${c.positionals}` : ''} [options]\n`)).toBe(true)
      const text = r.stdout.replace(/\s+/g, ' ')
      for (const [flag, spec] of Object.entries(c.options)) {
        const shown = `${spec.short ? `-${spec.short}, ` : ''}--${flag}${spec.type === 'string' ? ` <${spec.value ?? spec.choices?.join('|') ?? 'value'}>` : ''}`
        expect(text, `--${flag}`).toContain(shown)
        if (spec.env) expect(text, `${flag}: ${spec.env}`).toContain(`env ${spec.env}`)
        // "[required…]" is the first bracket of the row's description
        if (spec.required) expect(text, `${flag}: required`).toMatch(new RegExp(`${shown.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} [^\\[]*\\[required`))
      }
      expect(r.stdout).toContain('exit status:')
    })
  }

  it('graticule help exec is graticule exec --help', async () => {
    const [a, b] = await Promise.all([results.helpExec, results['help:exec']])
    expect(a.code).toBe(0)
    expect(a.stdout).toBe(b.stdout)
  })
})

// ─── exit status ─────────────────────────────────────────────────────────────────────────────────────

describe('exit status 2: usage errors only, one line with the way to the help', () => {
  for (const name of Object.keys(commands)) {
    it(`${name} --no-such-flag`, async () => {
      const r = await results[`unknownFlag:${name}`]
      noStack(r, name)
      expect(r.code, r.stderr).toBe(2)
      expect(lines(r.stderr), r.stderr).toEqual([expect.stringContaining('unknown option --no-such-flag')])
      expect(r.stderr).toContain(`graticule ${name} --help`)
      expect(r.stdout).toBe('')
    })
  }
  for (const [name, args, mentions] of USAGE) {
    it(`${name}: graticule ${args.join(' ')}`, async () => {
      const r = await results[`usage:${name}`]
      noStack(r, name)
      expect(r.code, r.stderr).toBe(2)
      expect(lines(r.stderr), r.stderr).toHaveLength(1)
      expect(r.stderr).toContain(mentions)
      expect(r.stderr).toContain('--help')
      expect(r.stdout).toBe('')
    })
  }
})

describe('exit status 1: the command ran and failed', () => {
  for (const [name, args, mentions] of RUNTIME) {
    it(`${name}: graticule ${args.slice(0, 2).join(' ')} …`, async () => {
      const r = await results[`runtime:${name}`]
      noStack(r, name)
      expect(r.code, r.stderr).toBe(1)
      expect(lines(r.stderr), r.stderr).toHaveLength(1)
      expect(r.stderr).toContain(mentions)
      expect(r.stdout).toBe('')
    })
  }

  it('a failed connection: deploy to a port nobody listens on', async () => {
    const r = await refused
    noStack(r, 'deploy')
    expect(r.code, r.stderr).toBe(1)
    expect(lines(r.stderr)).toEqual([expect.stringMatching(/cannot reach the gateway at http:\/\/127\.0\.0\.1:\d+: ECONNREFUSED/)])
  })

  it('validate with problems', async () => {
    expect((await results.validateHuman).code).toBe(1)
  })
})

// ─── stdin and stdout ────────────────────────────────────────────────────────────────────────────────

describe('- for stdin and stdout: the same bytes as through files, and only those on stdout', () => {
  const pairs: Array<[string, string, string, RegExp]> = [
    ['exec heatmap: GeoJSON on stdin → PNG on stdout', 'heatFile', 'heat.png', /^graticule: heatmap stdin → stdout \(image, \d+ bytes\)/],
    ['exec reproject: GeoJSON on stdin → GeoJSON on stdout', 'reprojectFile', 'cities-3857.geojson', /^graticule: reproject stdin → stdout \(features, \d+ bytes\)/],
    ['run points-heatmap: CSV on stdin → PNG on stdout', 'runFile', 'run.png', /^graticule: points-heatmap \(shared\) → stdout \(heat/],
  ]
  for (const [title, fileRun, file, summary] of pairs) {
    it(title, async () => {
      const [viaFile, viaPipe] = await Promise.all([results[fileRun], results[fileRun.replace('File', 'Pipe')]])
      expect(viaFile.code, viaFile.stderr).toBe(0)
      expect(viaPipe.code, viaPipe.stderr).toBe(0)
      expect(viaFile.stdout).toBe('')
      const expected = readFileSync(at(file))
      expect(expected.length).toBeGreaterThan(100)
      expect(viaPipe.stdoutBytes.equals(expected), `${viaPipe.stdoutBytes.length} bytes on stdout, ${expected.length} in the file`).toBe(true)
      expect(lines(viaPipe.stderr)).toEqual([expect.stringMatching(summary)])
    })
  }

  it('the PNG on stdout is a PNG and the GeoJSON is every feature, in EPSG:3857', async () => {
    const png = (await results.heatPipe).stdoutBytes
    expect(png.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))
    const fc = JSON.parse((await results.reprojectPipe).stdout) as { features: unknown[]; crs: { properties: { name: string } } }
    expect(fc.features).toHaveLength(CITIES.length)
    expect(fc.crs.properties.name).toContain('3857')
  })
})

// ─── validate --json ─────────────────────────────────────────────────────────────────────────────────

describe('graticule validate --json', () => {
  interface Report { ok: boolean; valid: Array<{ file: string; chain: string }>; problems: Array<{ file: string; line: number; col: number; code: string; message: string; hint?: string }> }

  it('every problem with file, line, col, code and message, the positions the rendered diagnostics show; exit 1', async () => {
    const [json, human] = await Promise.all([results.validateJson, results.validateHuman])
    expect(json.code, json.stderr).toBe(1)
    expect(json.stderr).toBe('')
    const report = JSON.parse(json.stdout) as Report
    expect(report.ok).toBe(false)
    expect(report.valid).toEqual([{ file: 'chains/points-heatmap.yaml', chain: 'points-heatmap' }])
    const diagnostics = report.problems.filter((p) => p.code.startsWith('E_CHAIN_'))
    expect(diagnostics.length).toBeGreaterThanOrEqual(3)
    for (const p of diagnostics) {
      expect([`${BROKEN}/many-problems.yaml`, `${BROKEN}/cycle.yaml`]).toContain(p.file)
      expect(Number.isInteger(p.line) && p.line >= 1 && Number.isInteger(p.col) && p.col >= 1, JSON.stringify(p)).toBe(true)
      expect(p.message.length).toBeGreaterThan(0)
    }
    // the same problems at the same places as `graticule validate` renders them
    const rendered = lines(human.stderr).map((l) => /^(.+?:\d+:\d+: E_CHAIN_[A-Z_]+) /.exec(l)?.[1]).filter(Boolean)
    expect(diagnostics.map((p) => `${p.file}:${p.line}:${p.col}: ${p.code}`)).toEqual(rendered)
    // a file that cannot be read is a problem without a position
    expect(report.problems.find((p) => p.file === at('nowhere.yaml'))).toMatchObject({ line: 0, col: 0, code: 'E_BAD_FORMAT' })
  })

  it('a valid chain: ok, no problems, exit 0', async () => {
    const r = await results.validateJsonOk
    expect(r.code, r.stderr).toBe(0)
    expect(JSON.parse(r.stdout)).toEqual({ ok: true, valid: [{ file: 'chains/points-heatmap.yaml', chain: 'points-heatmap' }], problems: [] })
  })
})

// ─── progress ────────────────────────────────────────────────────────────────────────────────────────

describe('the progress line (graticule sensors)', () => {
  const stream = (isTTY: boolean) => {
    const written: string[] = []
    return { written, stream: { isTTY, write: (s: string) => written.push(s) } as unknown as NodeJS.WriteStream }
  }

  it('on a terminal: rewritten in place with \\r, at most once a second, ended by a newline', () => {
    const { written, stream: s } = stream(true)
    const p = new Progress(s)
    for (const t of [1_000, 1_500, 2_000]) p.update(() => `at ${t}`, t)
    p.done('done')
    expect(written).toEqual(['\rat 1000\x1b[K', '\rat 2000\x1b[K', '\rdone\x1b[K\n'])
  })

  it('in a log or a pipe: no \\r, a whole line every 10 s, and the last one', () => {
    const { written, stream: s } = stream(false)
    const p = new Progress(s)
    for (const t of [10_000, 11_000, 15_000, 20_000]) p.update(() => `at ${t}`, t)
    p.done('done')
    expect(written).toEqual(['at 10000\n', 'at 20000\n', 'done\n'])
    expect(written.join('')).not.toContain('\r')
  })
})
