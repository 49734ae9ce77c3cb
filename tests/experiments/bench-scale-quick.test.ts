// `npm run bench:scale -- --quick --out <tmpdir>` as a child process, the way a user runs it: one gateway
// (`graticule serve --workers 1`) driven for 2 s; the JSON must hold real numbers (req/s > 0, the main
// thread's share of the process CPU in (0, 1]), the Markdown and SVG must exist, nothing may land in
// experiments/results, and no gateway process may outlive the run. No speed is asserted.
import { spawn } from 'node:child_process'
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ROOT } from '../../faaslets/catalog.js'

const dir = mkdtempSync(join(tmpdir(), 'graticule-bench-scale-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

function command(): { cmd: string; args: string[] } {
  const scripts = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts?: Record<string, string> }).scripts ?? {}
  if (scripts['bench:scale']) return { cmd: 'npm', args: ['run', '--silent', 'bench:scale', '--', '--quick', '--out', dir] }
  return { cmd: process.execPath, args: ['--import', 'tsx', join(ROOT, 'experiments/bench-scale.ts'), '--quick', '--out', dir] }
}

let exit: { code: number | null; stderr: string; stdout: string; ms: number }
const onLinux = existsSync('/proc/self/stat')

beforeAll(async () => {
  const { cmd, args } = command()
  const t0 = Date.now()
  exit = await new Promise((resolve) => {
    const child = spawn(cmd, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = '', stderr = ''
    child.stdout.on('data', (d: Buffer) => { stdout += d.toString() })
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString() })
    child.on('close', (code) => resolve({ code, stdout, stderr, ms: Date.now() - t0 }))
  })
}, 90_000)

describe('npm run bench:scale -- --quick', () => {
  it('exits 0 and writes the dated and latest JSON, Markdown and SVG into --out only', () => {
    if (exit.code !== 0) throw new Error(`bench:scale exited ${exit.code}:\n${exit.stderr.slice(-4000)}`)
    console.log(`bench:scale --quick took ${(exit.ms / 1000).toFixed(1)} s`)
    const files = readdirSync(dir)
    for (const name of ['latest-scale.json', 'latest-scale.md', 'latest-scale.svg']) expect(files).toContain(name)
    for (const ext of ['json', 'md', 'svg']) expect(files.filter((f) => new RegExp(`^\\d{4}-\\d{2}-\\d{2}-.+-scale\\.${ext}$`).test(f))).toHaveLength(1)
    const dated = files.find((f) => /-scale\.json$/.test(f) && !f.startsWith('latest'))!
    const inRepo = join(ROOT, 'experiments/results', dated)
    if (existsSync(inRepo)) expect(readFileSync(inRepo, 'utf8')).not.toBe(readFileSync(join(dir, dated), 'utf8'))
  })

  it('the JSON has one real run: req/s > 0, no errors, the main thread a real share of the CPU', () => {
    const d = JSON.parse(readFileSync(join(dir, 'latest-scale.json'), 'utf8'))
    expect(d.quick).toBe(true)
    expect(d.machine.cores).toBeGreaterThan(0)
    expect(d.machine.cpu).toBeTruthy()
    expect(d.machine.node).toMatch(/^v\d+/)
    expect(d.settings.workers).toEqual([1])
    expect(d.settings.modes).toEqual(['shared'])
    expect(d.verify.every((v: { modesIdentical: boolean }) => v.modesIdentical)).toBe(true)
    expect(d.runs).toHaveLength(1)
    const r = d.runs[0]
    expect(r.workers).toBe(1)
    expect(r.connections).toBe(2)
    expect(r.rps).toBeGreaterThan(0)
    expect(r.requests).toBeGreaterThan(0)
    expect(r.latency.p50).toBeGreaterThan(0)
    expect(r.latency.p99).toBeGreaterThanOrEqual(r.latency.p50)
    expect(r.errors + r.non2xx + r.timeouts).toBe(0)
    expect(r.flags).toEqual([])
    expect(r.efficiency).toBe(1)
    if (onLinux) {
      expect(r.cpu.mainMsPerRequest).toBeGreaterThan(0)
      expect(r.cpu.mainShareOfProcess).toBeGreaterThan(0)
      expect(r.cpu.mainShareOfProcess).toBeLessThanOrEqual(1)
      expect(r.cpu.mainShareOfTotal).toBeLessThanOrEqual(r.cpu.mainShareOfProcess)
      expect(r.cpu.processMs).toBeGreaterThanOrEqual(r.cpu.mainMs)
    }
    expect(d.goals.length).toBeGreaterThan(0)
    for (const g of d.goals) expect([true, false, null]).toContain(g.met)
  })

  it('the Markdown has its tables, goals and the machine; the SVG is a chart', () => {
    const md = readFileSync(join(dir, 'latest-scale.md'), 'utf8')
    expect(md.startsWith('# ')).toBe(true)
    expect(md).toMatch(/Quick run/)
    for (const s of ['## Correctness before speed', '## req/s · efficiency', '## Goals (issue 14)']) expect(md).toContain(s)
    expect(md).toMatch(/\nMachine: .+ cores, .+ GiB, Node v\d+/)
    expect(md).not.toMatch(/NaN|undefined/)
    const svg = readFileSync(join(dir, 'latest-scale.svg'), 'utf8')
    expect(svg).toMatch(/^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg" width="\d+" height="\d+" viewBox="0 0 \d+ \d+"/)
    expect(svg).not.toMatch(/NaN|Infinity|undefined/)
    expect((svg.match(/<rect /g) ?? []).length).toBeGreaterThan(2)
  })

  it('leaves no gateway process behind (stopped by its pid)', () => {
    const pids = [...exit.stderr.matchAll(/gateway pid (\d+)/g)].map((m) => Number(m[1]))
    expect(pids).toHaveLength(1)
    if (!onLinux) return
    for (const pid of pids) {
      let cmd = ''
      try {
        cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8')
      } catch { /* gone: good */ }
      expect(cmd.includes('bin/cli.ts')).toBe(false)
    }
  })
})
