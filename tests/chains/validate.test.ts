// Chain validation: the shipped chains pass; every problem class of chains/README.md's table has a broken
// chain (tests/chains/broken/, read its README.md) that `graticule validate` refuses with a non-zero exit,
// `file:line:col` at the exact offending token, the code, the source line with a caret under the token,
// a hint where the class has one, and no stack trace. Expected positions come from marker comments in
// the files (never hard-coded numbers). The loader is then checked directly: each file reports exactly
// its markers, the README's example and limits hold, odd documents never crash it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import fc from 'fast-check'
import { Catalog } from '../../faaslets/catalog.js'
import { loadChain, MAX_CHAIN_BYTES, type LoadResult } from '../../chains/load.js'
import type { Diagnostic } from '../../chains/diagnostics.js'
import { lines, REPO_ROOT, runCli, type CliResult } from '../helpers/cli.js'

const BROKEN = 'tests/chains/broken'
const SHIPPED = readdirSync(join(REPO_ROOT, 'chains')).filter((f) => f.endsWith('.yaml')).sort().map((f) => `chains/${f}`)
const BROKEN_FILES = readdirSync(join(REPO_ROOT, BROKEN)).filter((f) => f.endsWith('.yaml')).sort().map((f) => `${BROKEN}/${f}`)
const read = (file: string) => readFileSync(file.startsWith('/') ? file : join(REPO_ROOT, file), 'utf8')
const catalog = Catalog.load()
const load = (file: string): LoadResult => loadChain(read(file), file, catalog)

/** The codes of chains/README.md's table: the problem classes validation promises. */
const README = readFileSync(join(REPO_ROOT, 'chains/README.md'), 'utf8')
const CLASSES = [...README.matchAll(/^\| `(E_CHAIN_[A-Z_]+)` \|/gm)].map((m) => m[1])

// ─── markers ─────────────────────────────────────────────────────────────────────────────────────────

interface Expected { code: string; line: number; col: number; token: string; hint?: string; message?: string }

/** `# ^ CODE TOKEN [| hint text] [~ message text]` on the offending line (see broken/README.md). */
function markers(text: string): Expected[] {
  const out: Expected[] = []
  text.split(/\r?\n/).forEach((src, k) => {
    const m = /#\s\^\s(E_CHAIN_[A-Z_]+)\s(.+?)(?:\s\|\s(.+?))?(?:\s~\s(.+?))?\s*$/.exec(src)
    if (!m) return
    const token = m[2] === '<TAB>' ? '\t' : m[2]
    const col = src.slice(0, m.index).indexOf(token) + 1
    if (col < 1) throw new Error(`marker on line ${k + 1}: "${token}" is not on the line before the marker`)
    out.push({ code: m[1], line: k + 1, col, token, hint: m[3], message: m[4] })
  })
  return out
}

// ─── the generated 64 KiB+ file ──────────────────────────────────────────────────────────────────────

const tmp = mkdtempSync(join(tmpdir(), 'graticule-validate-'))
afterAll(() => rmSync(tmp, { recursive: true, force: true }))

/** A valid chain (tile-heatmap's text) padded with comment lines to exactly `bytes` bytes. */
function padded(bytes: number, fill = 'x'): string {
  let text = read('chains/tile-heatmap.yaml')
  const line = `# ${fill.repeat(70)}\n`
  while (Buffer.byteLength(text) + Buffer.byteLength(line) <= bytes) text += line
  const rest = bytes - Buffer.byteLength(text)
  if (rest > 0) text += rest === 1 ? '\n' : `#${'x'.repeat(rest - 2)}\n`
  expect(Buffer.byteLength(text)).toBe(bytes)
  return text
}
const TOO_LARGE = join(tmp, 'too-large.yaml')
const EXPECTED = new Map<string, Expected[]>(BROKEN_FILES.map((f) => [f, markers(read(f))]))
EXPECTED.set(TOO_LARGE, [{ code: 'E_CHAIN_TOO_LARGE', line: 1, col: 1, token: '#', message: `limit is ${MAX_CHAIN_BYTES}` }])

// ─── what the CLI printed ────────────────────────────────────────────────────────────────────────────

interface Printed { file: string; line: number; col: number; code: string; message: string; source?: string; caret?: string; hint?: string }

/** Diagnostics as `graticule validate` renders them: header, source line, caret line, optional hint. */
function printed(stderr: string): Printed[] {
  const ls = lines(stderr)
  const out: Printed[] = []
  ls.forEach((l, i) => {
    const m = /^(.+?):(\d+):(\d+): (E_CHAIN_[A-Z_]+) (.*)$/.exec(l)
    if (!m) return
    const hint = /^ += (.*)$/.exec(ls[i + 3] ?? '')
    out.push({ file: m[1], line: Number(m[2]), col: Number(m[3]), code: m[4], message: m[5], source: ls[i + 1], caret: ls[i + 2], hint: hint?.[1] })
  })
  return out
}

let all: CliResult
let shipped: CliResult
let single: CliResult
let mixed: CliResult
let runBroken: CliResult

beforeAll(async () => {
  writeFileSync(TOO_LARGE, padded(MAX_CHAIN_BYTES + 1))
  const good = join(tmp, 'good.yaml')
  writeFileSync(good, read('chains/points-heatmap.yaml'))
  ;[all, shipped] = await Promise.all([runCli(['validate', ...BROKEN_FILES, TOO_LARGE]), runCli(['validate', ...SHIPPED])])
  ;[single, mixed] = await Promise.all([runCli(['validate', `${BROKEN}/unknown-faaslet.yaml`]), runCli(['validate', good, `${BROKEN}/cycle.yaml`])])
  runBroken = await runCli(['run', `${BROKEN}/bad-output.yaml`, '--in', join(tmp, 'none.csv'), '--param', 'z=0', '--out', join(tmp, 'out.png')])
})

describe('graticule validate', () => {
  it('the shipped chains validate: exit 0, one "ok" line per file, nothing on stderr', () => {
    expect(SHIPPED.length).toBeGreaterThanOrEqual(4)
    expect(shipped.stderr).toBe('')
    expect(shipped.code).toBe(0)
    for (const f of SHIPPED) expect(lines(shipped.stdout).some((l) => l.startsWith(`${f}: ok (`)), f).toBe(true)
  })

  it('the broken set has a file for every class of the README table, and more than 18 files', () => {
    expect(CLASSES.length).toBeGreaterThanOrEqual(19)
    expect(EXPECTED.size).toBeGreaterThanOrEqual(18)
    const covered = new Set([...EXPECTED.values()].flat().map((e) => e.code))
    expect(CLASSES.filter((c) => !covered.has(c))).toEqual([])
    for (const [file, list] of EXPECTED) expect(list.length, `${file} has no marker`).toBeGreaterThan(0)
  })

  it('all broken files in one run: non-zero exit, a count of the problems, no stack trace', () => {
    expect(all.code).not.toBe(0)
    expect(all.stderr).not.toContain('    at ')
    expect(all.stdout).not.toMatch(/: ok \(/)
    const n = printed(all.stderr).length
    expect(lines(all.stderr).at(-1)).toBe(`${n} problem${n === 1 ? '' : 's'} in ${EXPECTED.size} files`)
  })

  for (const file of [...BROKEN_FILES, TOO_LARGE]) {
    const name = file === TOO_LARGE ? 'too-large.yaml (generated, 64 KiB + 1 byte)' : file.slice(BROKEN.length + 1)
    it(`${name}: file:line:col at the token, code, caret under it, hint`, () => {
      const text = read(file)
      const srcLines = text.split(/\r?\n/)
      const got = printed(all.stderr).filter((d) => d.file === file)
      expect(got.length, `nothing printed for ${file}`).toBeGreaterThan(0)
      for (const e of EXPECTED.get(file)!) {
        const where = `${file}:${e.line}:${e.col} ${e.code}`
        const d = got.find((x) => x.code === e.code && x.line === e.line && x.col === e.col)
        expect(d, `${where} (token "${e.token}") not printed; printed: ${got.map((x) => `${x.line}:${x.col} ${x.code}`).join(', ')}`).toBeDefined()
        // the source line, and a caret starting exactly under the token's first character
        const n = String(e.line)
        expect(d!.source, where).toBe(` ${n} | ${srcLines[e.line - 1]}`)
        const caret = new RegExp(`^ {${n.length + 2}}\\| {${e.col}}(\\^+)$`).exec(d!.caret ?? '')
        expect(caret, `${where}: caret line "${d!.caret}"`).not.toBeNull()
        expect(e.col - 1 + caret![1].length, `${where}: caret past the end of the line`).toBeLessThanOrEqual(Math.max(srcLines[e.line - 1].length, 1))
        if (e.hint) expect(d!.hint, `${where}: hint`).toContain(e.hint)
        if (e.message) expect(d!.message, `${where}: message`).toContain(e.message)
      }
    })
  }

  it('one broken file: exit 1, the diagnostic rendered as chains/README.md shows it', () => {
    const file = `${BROKEN}/unknown-faaslet.yaml`
    const [e] = EXPECTED.get(file)!
    const src = read(file).split('\n')[e.line - 1]
    expect(single.code).toBe(1)
    expect(single.stdout).toBe('')
    expect(lines(single.stderr).slice(0, 4)).toEqual([
      `${file}:${e.line}:${e.col}: E_CHAIN_UNKNOWN_FAASLET unknown faaslet "clustr"`,
      ` ${e.line} | ${src}`,
      ` ${' '.repeat(String(e.line).length)} | ${' '.repeat(e.col - 1)}^^^^^^`,
      ` ${' '.repeat(String(e.line).length)} = did you mean "cluster"? known: ${catalog.names().join(', ')}`,
    ])
  })

  it('a good file and a broken one: the good one is ok, the exit is still 1', () => {
    expect(mixed.code).toBe(1)
    expect(lines(mixed.stdout)).toHaveLength(1)
    expect(mixed.stdout).toMatch(/good\.yaml: ok \(points-heatmap: heat\)/)
    expect(printed(mixed.stderr).map((d) => d.code)).toContain('E_CHAIN_CYCLE')
  })

  it('graticule run on a broken chain file prints its diagnostics and exits 1 before reading any input', () => {
    expect(runBroken.code).toBe(1)
    expect(runBroken.stderr).not.toContain('    at ')
    const [e] = EXPECTED.get(`${BROKEN}/bad-output.yaml`)!
    expect(printed(runBroken.stderr).map((d) => `${d.line}:${d.col} ${d.code}`)).toEqual([`${e.line}:${e.col} ${e.code}`])
  })
})

// ─── the loader, directly ────────────────────────────────────────────────────────────────────────────

const brief = (d: Diagnostic) => `${d.line}:${d.col} ${d.code}`

describe('loadChain', () => {
  for (const file of BROKEN_FILES) {
    it(`${file.slice(BROKEN.length + 1)}: exactly its marked problems, no follow-on noise`, () => {
      const { chain, diagnostics } = load(file)
      expect(chain).toBeUndefined()
      const want = EXPECTED.get(file)!.map((e) => `${e.line}:${e.col} ${e.code}`).sort()
      expect(diagnostics.map(brief).sort()).toEqual(want)
      for (const d of diagnostics) {
        expect(d.file).toBe(file)
        expect(d.message.length).toBeGreaterThan(0)
        expect(d.length).toBeGreaterThanOrEqual(1)
      }
    })
  }

  it('many-problems.yaml: every problem at once, of six or more classes', () => {
    const { diagnostics } = load(`${BROKEN}/many-problems.yaml`)
    expect(new Set(diagnostics.map((d) => d.code)).size).toBeGreaterThanOrEqual(6)
  })

  it('64 KiB is the limit in bytes: exactly 64 KiB loads, one byte more (or 64 Ki characters of 2 bytes) does not', () => {
    const limit = loadChain(padded(MAX_CHAIN_BYTES), 'limit.yaml', catalog)
    expect(limit.diagnostics).toEqual([])
    expect(limit.chain?.name).toBe('tile-heatmap')
    for (const text of [padded(MAX_CHAIN_BYTES + 1), padded(MAX_CHAIN_BYTES + 100, 'é')]) {
      const { chain, diagnostics } = loadChain(text, 'big.yaml', catalog)
      expect(chain).toBeUndefined()
      expect(diagnostics.map(brief)).toEqual(['1:1 E_CHAIN_TOO_LARGE'])
      expect(diagnostics[0].message).toContain(String(Buffer.byteLength(text)))
    }
    expect(padded(MAX_CHAIN_BYTES + 100, 'é').length).toBeLessThan(MAX_CHAIN_BYTES)
  })

  it('the annotated example of chains/README.md is a valid chain, as annotated', () => {
    const yaml = /```yaml\n([\s\S]*?)```/.exec(README)![1]
    const { chain, diagnostics } = loadChain(yaml, 'README.md', catalog)
    expect(diagnostics.map((d) => `${brief(d)} ${d.message}`)).toEqual([])
    expect(chain!.steps.map((s) => `${s.id}:${s.faaslet}`)).toEqual(['decode:mvt-decode', 'mercator:reproject', 'clusters:cluster', 'heat:heatmap'])
    expect(chain!.steps[0].inputs).toEqual([{ input: true }])
    expect(chain!.steps[1].inputs).toEqual([{ step: 'decode', output: 0 }]) // no needs: the previous step
    expect(chain!.steps[3].with.radius).toEqual({ ref: 'radius' })
    expect(chain!.outputs.map((o) => `${o.name}:${o.step}:${o.as}:${o.kind}`)).toEqual(['heatmap:heat:png:image', 'clusters:clusters:geojson:clusters'])
  })

  it('shipped chains resolve as written: fan-out reads one region twice, outputs pick the right kind', () => {
    for (const f of SHIPPED) expect(load(f).diagnostics.map(brief), f).toEqual([])
    const sensor = load('chains/sensor-window.yaml').chain!
    const reads = (id: string) => sensor.steps.find((s) => s.id === id)!.inputs
    expect(reads('clusters')).toEqual([{ step: 'mercator', output: 0 }])
    expect(reads('heat')).toEqual([{ step: 'mercator', output: 0 }])
    const tile = load('chains/tile-heatmap.yaml').chain!
    expect(tile.outputs.map((o) => `${o.name}:${o.output}:${o.kind}`)).toEqual(['heatmap:1:image', 'clusters:0:clusters', 'density:0:grid'])
  })

  it('a step may not be called "input": `needs: input` would silently mean the chain input', () => {
    const text = [
      'name: shadow', 'input: { kind: points }', 'steps:',
      '  - id: input', '    uses: reproject', '    with: { to: EPSG:3857 }',
      '  - id: back', '    uses: reproject', '    needs: input', '    with: { to: EPSG:4326 }',
      'output:', '  - { step: input, as: geojson }', '  - { step: back, as: geojson }', '',
    ].join('\n')
    const { chain, diagnostics } = loadChain(text, 'shadow.yaml', catalog)
    expect(chain, 'loaded: step "back" reads the chain input, not step "input"').toBeUndefined()
    expect(diagnostics.some((d) => d.line === 4 && d.col === 9), diagnostics.map(brief).join(', ')).toBe(true)
  })

  it('one misplaced line before a block scalar: a few YAML errors, each at the token it names', () => {
    // the first line indented by mistake; the parser then reads the rest as stray tokens
    const text = ['  kind: points', 'name: misplaced', 'description: >-', '  a folded', '  description', 'input:', '  kind: points', 'steps:',
      '  - id: mercator', '    uses: reproject', '    with: { to: EPSG:3857 }', 'output: { step: mercator, as: geojson }', ''].join('\n')
    const { diagnostics } = loadChain(text, 'misplaced.yaml', catalog)
    const ls = text.split('\n')
    expect(diagnostics.length).toBeGreaterThan(0)
    expect(diagnostics.every((d) => d.code === 'E_CHAIN_YAML')).toBe(true)
    const wrong: string[] = []
    for (const d of diagnostics) {
      // "Unexpected scalar token in YAML stream: "input"": the caret must be under `input`
      const quoted = /token in YAML stream: "([^"\\]+)/.exec(d.message)?.[1]
      if (quoted && !(ls[d.line - 1] ?? '').slice(d.col - 1).startsWith(quoted.split('\\n')[0])) wrong.push(`${brief(d)} "${quoted}" but the line is "${ls[d.line - 1]}"`)
    }
    expect(wrong).toEqual([])
    // one mistake, not a page of follow-on complaints
    expect(diagnostics.length, diagnostics.map((d) => `${brief(d)} ${d.message.slice(0, 50)}`).join('\n')).toBeLessThanOrEqual(5)
  })

  it('odd documents never throw, and every position lies in the file', () => {
    const base = read('chains/sensor-window.yaml')
    const odd = [
      '', 'null', 'hello', '- 1\n- 2', '# nothing', 'name: a\n---\nname: b\n', '{', ']', '"', 'a: *nope', '&a a: 1',
      'name: t\ninput: 5\nsteps: 5\noutput: 5', 'name: t\ninput: { kind: points }\nsteps: [5, "x", null, []]\noutput: [5]\n',
      'name: t\ninput: { kind: points, params: [1] }\nsteps: [{ id: a, uses: reproject, with: [1], needs: [5] }]\noutput: { step: a, as: png }',
      'name: t\ninput: { kind: points, params: { z: 5, constructor: { type: int } } }\nsteps: [{ id: a, uses: cluster, needs: __proto__, with: { __proto__: 1, zoom: "${{ input.toString }}" } }]\noutput: { step: a.b.c, as: geojson }',
      'name: t\ndescription: ' + '['.repeat(3000) + ']'.repeat(3000),
      base.replace(/\n/g, '\r\n'), '\uFEFF' + base, base.replace('reproject', 'reproject@'), base.replace('mercator\n', '\n'),
    ]
    const check = (text: string) => {
      const { chain, diagnostics } = loadChain(text, 'odd.yaml', catalog)
      const ls = text.split(/\r?\n/)
      if (!chain) expect(diagnostics.length).toBeGreaterThan(0)
      for (const d of diagnostics) {
        expect(CLASSES, d.message).toContain(d.code)
        expect(d.line).toBeGreaterThanOrEqual(1)
        expect(d.line).toBeLessThanOrEqual(Math.max(ls.length, 1))
        expect(d.col).toBeGreaterThanOrEqual(1)
        expect(d.col).toBeLessThanOrEqual((ls[d.line - 1] ?? '').length + 1)
        expect(d.source).toBe(ls[d.line - 1] ?? '')
      }
    }
    for (const text of odd) check(text)
    // and seeded edits of every shipped chain: lines deleted, duplicated, swapped, re-indented, cut short
    const edit = fc.tuple(fc.constantFrom(...SHIPPED), fc.array(fc.tuple(fc.nat(), fc.nat(), fc.integer({ min: 0, max: 5 })), { minLength: 1, maxLength: 4 }))
    fc.assert(fc.property(edit, ([file, ops]) => {
      let ls = read(file).split('\n')
      for (const [a, b, op] of ops) {
        const i = a % ls.length, j = b % ls.length
        if (op === 0) ls.splice(i, 1)
        else if (op === 1) ls.splice(i, 0, ls[j])
        else if (op === 2) [ls[i], ls[j]] = [ls[j], ls[i]]
        else if (op === 3) ls[i] = ' ' + ls[i]
        else if (op === 4) ls[i] = ls[i].slice(0, b % (ls[i].length + 1))
        else ls = ls.slice(0, i + 1)
        if (ls.length === 0) ls = ['']
      }
      check(ls.join('\n'))
    }), { numRuns: 300, seed: 20240601 })
  })
})
