// `npm run bench -- --quick --out <tmpdir>` as a child process, the way a user runs it: the JSON, the
// Markdown report and the SVG charts must exist and be well formed, every mode and size must be in them,
// and the results must not land in experiments/results. No speed is asserted (a shared, noisy machine).
import { spawn } from 'node:child_process'
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ROOT } from '../../faaslets/catalog.js'

const dir = mkdtempSync(join(tmpdir(), 'graticule-bench-quick-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

/** The bench as package.json runs it; until the script line exists, the same file through tsx directly. */
function command(): { cmd: string; args: string[] } {
  const scripts = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts?: Record<string, string> }).scripts ?? {}
  if (scripts.bench) return { cmd: 'npm', args: ['run', '--silent', 'bench', '--', '--quick', '--out', dir] }
  return { cmd: process.execPath, args: ['--import', 'tsx', join(ROOT, 'experiments/bench.ts'), '--quick', '--out', dir] }
}

let exit: { code: number | null; stderr: string; stdout: string; ms: number }

beforeAll(async () => {
  const { cmd, args } = command()
  const t0 = Date.now()
  exit = await new Promise((resolve) => {
    const child = spawn(cmd, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, GRATICULE_KAFKA: '' } })
    let stdout = '', stderr = ''
    child.stdout.on('data', (d: Buffer) => { stdout += d.toString() })
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString() })
    child.on('close', (code) => resolve({ code, stdout, stderr, ms: Date.now() - t0 }))
  })
}, 400_000)

/** A strict-enough XML check: tags balance and nest, attributes are quoted, & starts an entity. */
function xmlProblems(text: string): string[] {
  const problems: string[] = []
  const stack: string[] = []
  const token = /<!--[\s\S]*?-->|<\?[\s\S]*?\?>|<\/([A-Za-z][\w:.-]*)\s*>|<([A-Za-z][\w:.-]*)((?:\s+[A-Za-z_:][\w:.-]*\s*=\s*(?:"[^"<]*"|'[^'<]*'))*)\s*(\/?)>|[^<]+/gy
  let m: RegExpExecArray | null
  let at = 0
  while (at < text.length && (m = token.exec(text))) {
    at = token.lastIndex
    if (m[1]) {
      if (stack.pop() !== m[1]) problems.push(`</${m[1]}> closes nothing open at ${m.index}`)
    } else if (m[2]) {
      if (!m[4]) stack.push(m[2])
      if (/&(?!(amp|lt|gt|quot|apos|#\d+|#x[0-9a-f]+);)/i.test(m[3] ?? '')) problems.push(`bare & in attributes of <${m[2]}>`)
    } else if (!m[0].startsWith('<') && /&(?!(amp|lt|gt|quot|apos|#\d+|#x[0-9a-f]+);)/i.test(m[0])) {
      problems.push(`bare & in text at ${m.index}`)
    }
  }
  if (at < text.length) problems.push(`not markup at ${at}: ${JSON.stringify(text.slice(at, at + 40))}`)
  if (stack.length) problems.push(`left open: ${stack.join(', ')}`)
  return problems
}

/** Every Markdown table: header, separator and rows with the same number of cells. */
function tableProblems(md: string): string[] {
  const problems: string[] = []
  const lines = md.split('\n')
  for (let i = 0; i < lines.length; i++) {
    if (!lines[i].startsWith('|') || (i > 0 && lines[i - 1].startsWith('|'))) continue
    const cells = (l: string) => l.split('|').length
    const want = cells(lines[i])
    if (!/^\|( --- \|)+$/.test(lines[i + 1] ?? '')) problems.push(`line ${i + 2}: no separator under the header`)
    for (let j = i + 1; j < lines.length && lines[j].startsWith('|'); j++) {
      if (cells(lines[j]) !== want) problems.push(`line ${j + 1}: ${cells(lines[j]) - 1} cells, header has ${want - 1}`)
    }
  }
  return problems
}

describe('npm run bench -- --quick', () => {
  it('exits 0 and says where it wrote', () => {
    if (exit.code !== 0) throw new Error(`bench exited ${exit.code}:\n${exit.stderr.slice(-4000)}`)
    expect(exit.stderr).toMatch(/bench: wrote .*-bench\.json/)
    expect(exit.stderr).toMatch(/Kafka skipped/)
    console.log(`bench --quick took ${(exit.ms / 1000).toFixed(1)} s`)
  })

  it('writes the dated and the latest JSON, Markdown and SVG files into --out only', () => {
    const files = readdirSync(dir)
    for (const name of ['latest-bench.json', 'latest-bench.md', 'latest-bench-throughput.svg', 'latest-bench-latency.svg', 'latest-bench-split.svg']) {
      expect(files).toContain(name)
    }
    expect(files.filter((f) => /^\d{4}-\d{2}-\d{2}-.+-bench\.json$/.test(f))).toHaveLength(1)
    expect(files.filter((f) => /^\d{4}-\d{2}-\d{2}-.+-bench\.md$/.test(f))).toHaveLength(1)
    expect(files.filter((f) => /^\d{4}-\d{2}-\d{2}-.+-bench-(throughput|latency|split)\.svg$/.test(f))).toHaveLength(3)
    // nothing of this run in the repository's results
    const results = join(ROOT, 'experiments/results')
    const json = readdirSync(dir).find((f) => /-bench\.json$/.test(f) && !f.startsWith('latest'))!
    if (existsSync(join(results, json))) {
      expect(readFileSync(join(results, json), 'utf8')).not.toBe(readFileSync(join(dir, json), 'utf8'))
    }
  })

  it('the JSON holds every mode and size, the checks, the micro-benchmarks and the goals', () => {
    const d = JSON.parse(readFileSync(join(dir, 'latest-bench.json'), 'utf8'))
    expect(d.machine.cores).toBeGreaterThan(0)
    expect(d.quick).toBe(true)
    expect(d.settings.sizes).toEqual([1000, 10_000])
    const modes = (rows: Array<{ points: number; mode: string }>, n: number) => rows.filter((r) => r.points === n).map((r) => r.mode).sort()
    for (const n of [1000, 10_000]) {
      expect(modes(d.tile, n)).toEqual(['copy', 'http', 'monolith', 'monolith-pool', 'shared'])
      expect(modes(d.prepare, n)).toEqual(['copy', 'http', 'shared'])
    }
    for (const r of [...d.tile, ...d.prepare]) {
      expect(r.rounds).toBe(1)
      expect(Number.isFinite(r.rps.median)).toBe(true)
      expect(r.errors + r.non2xx).toBe(0)
      expect(r.cpu.cores).toBeGreaterThanOrEqual(0)
      expect(r.rssMaxMiB).toBeGreaterThan(0)
      // a mode that finished requests carries the gateway's split (the monolith has none)
      if (r.requests > 0 && !r.mode.startsWith('monolith')) expect(r.split).not.toBeNull()
      if (r.mode === 'shared' && r.requests > 0) expect(r.copiedBytesPerRequest).toBe(0)
      if ((r.mode === 'copy' || r.mode === 'http') && r.requests > 0) expect(r.copiedBytesPerRequest).toBeGreaterThan(0)
    }
    expect(d.verify.every((v: { modesIdentical: boolean }) => v.modesIdentical)).toBe(true)
    expect(d.verify.filter((v: { monolith?: unknown }) => v.monolith)).toHaveLength(2)
    expect(d.boundary.length).toBe(4)
    expect(d.hop.inWorker.map((r: { points: number }) => r.points)).toEqual([1000, 10_000])
    expect(d.hop.copy.length).toBe(4)
    expect(d.hop.startup.instantiate.length).toBeGreaterThan(5)
    expect(d.kafka).toBeNull()
    expect(typeof d.kafkaSkipped).toBe('string')
    expect(d.faaslets).toBeNull()
    expect(d.goals.length).toBeGreaterThan(3)
    for (const g of d.goals) expect(typeof g.met).toBe('boolean')
    expect(Object.keys(d.charts).sort()).toEqual(['latency', 'split', 'throughput'])
  })

  it('the Markdown report has its sections, well-formed tables, the machine line and working chart links', () => {
    const md = readFileSync(join(dir, 'latest-bench.md'), 'utf8')
    expect(md.startsWith('# ')).toBe(true)
    expect(md).toMatch(/Quick run/)
    for (const section of ['## Correctness before speed', '## tile-heatmap', '## points-prepare', '## The chain boundary', '## Kafka ingestion', '## One hand-off', '## Goals']) {
      expect(md).toContain(section)
    }
    expect(md).toMatch(/\nMachine: .+ cores, .+ GiB, Node v\d+/)
    expect(md).not.toMatch(/NaN/)
    expect(tableProblems(md)).toEqual([])
    const links = [...md.matchAll(/!\[[^\]]*\]\(([^)]+\.svg)\)/g)].map((m) => m[1])
    expect(links).toHaveLength(3)
    for (const l of links) expect(existsSync(join(dir, l))).toBe(true)
  })

  it('each SVG chart is well-formed XML with a viewBox, bars and no NaN', () => {
    for (const name of ['throughput', 'latency', 'split']) {
      const svg = readFileSync(join(dir, `latest-bench-${name}.svg`), 'utf8')
      expect(svg).toMatch(/^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg" width="\d+" height="\d+" viewBox="0 0 \d+ \d+"/)
      expect(xmlProblems(svg)).toEqual([])
      expect(svg).not.toMatch(/NaN|Infinity|undefined/)
      expect((svg.match(/<rect /g) ?? []).length).toBeGreaterThan(10)
    }
  })
})
