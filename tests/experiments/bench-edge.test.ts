// `npm run bench:edge -- --quick --no-latency`, in this process (benchEdge, as experiments/bench-edge.ts calls it):
// the bytes, exactness and merge-cost parts on 1k and 10k points a window, no Kafka. The JSON must have its shape —
// both scenarios, every size, every edge count — the cloud's merge of three edges must equal the central run to
// 1e-9, the Markdown and SVG must exist, and nothing may land in experiments/results. Bytes are deterministic, so
// their relations are asserted; no speed is.
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ROOT } from '../../faaslets/catalog.js'
import { benchEdge } from '../../experiments/bench/edge-run.js'

const dir = mkdtempSync(join(tmpdir(), 'graticule-bench-edge-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

const SCENARIOS = ['local', 'world'] as const
let ms = 0

beforeAll(async () => {
  const t0 = Date.now()
  await benchEdge({ quick: true, latency: false, out: dir, log: () => {} })
  ms = Date.now() - t0
}, 120_000)

describe('npm run bench:edge -- --quick --no-latency', () => {
  it('writes the dated and latest JSON, Markdown and SVG into --out only', () => {
    console.log(`bench:edge --quick --no-latency took ${(ms / 1000).toFixed(1)} s`)
    const files = readdirSync(dir)
    for (const name of ['latest-edge.json', 'latest-edge.md', 'latest-edge.svg']) expect(files).toContain(name)
    for (const ext of ['json', 'md', 'svg']) expect(files.filter((f) => new RegExp(`^\\d{4}-\\d{2}-\\d{2}-.+-edge\\.${ext}$`).test(f))).toHaveLength(1)
    const dated = files.find((f) => /-edge\.json$/.test(f) && !f.startsWith('latest'))!
    const inRepo = join(ROOT, 'experiments/results', dated)
    if (existsSync(inRepo)) expect(readFileSync(inRepo, 'utf8')).not.toBe(readFileSync(join(dir, dated), 'utf8'))
  })

  it('has the bytes of both scenarios at 1k and 10k points, partial and raw as the uplink encodes them', () => {
    const d = JSON.parse(readFileSync(join(dir, 'latest-edge.json'), 'utf8'))
    expect(d.quick).toBe(true)
    expect(d.machine.cores).toBeGreaterThan(0)
    expect(d.settings.points).toEqual([1_000, 10_000])
    for (const s of SCENARIOS) {
      expect(d.bytes[s].map((r: { points: number }) => r.points)).toEqual([1_000, 10_000])
      for (const r of d.bytes[s]) {
        expect(r.perEdge).toHaveLength(d.settings.exactEdges)
        for (const k of ['partial', 'raw', 'sensorJsonLines', 'sensorMsgpack', 'sensorMsgpackColumns', 'gridPacked', 'nonZeroCells']) expect(r[k], `${s} ${r.points} ${k}`).toBeGreaterThan(0)
        expect(r.ratio).toBeCloseTo(r.raw / r.partial, 9)
        expect(r.gridPacked).toBeLessThan(r.partial)
        // raw grows with the points, the partial with the area they light up
        expect(r.rawBytesPerPoint).toBeGreaterThan(10)
      }
      const [small, big] = d.bytes[s]
      expect(big.raw / small.raw).toBeGreaterThan(8)
      expect(big.partial / small.partial).toBeLessThan(2)
    }
    // a metropolitan region lights up far fewer cells than sensors all over the world
    expect(d.bytes.local[1].nonZeroCells).toBeLessThan(d.bytes.world[1].nonZeroCells)
    expect(d.bytes.local[1].ratio).toBeGreaterThan(d.bytes.world[1].ratio)
  })

  it("the cloud's merge of three edges equals the chain on the union, to 1e-9", () => {
    const d = JSON.parse(readFileSync(join(dir, 'latest-edge.json'), 'utf8'))
    for (const s of SCENARIOS) {
      expect(d.exactness[s]).toHaveLength(2)
      for (const e of d.exactness[s]) {
        expect(e.edges).toHaveLength(3)
        expect(e.countsAdd).toBe(true)
        expect(e.nonZeroCells).toBeGreaterThan(0)
        expect(e.maxRelative, `${s} ${e.points}`).toBeLessThanOrEqual(1e-9)
        expect(e.maxRelativeToMagnitude).toBeLessThanOrEqual(1e-12)
      }
    }
    expect(d.exactness.maxRelative).toBeLessThanOrEqual(1e-9)
  })

  it('has the merge cost at 2, 4 and 8 edges, split, and no latency part', () => {
    const d = JSON.parse(readFileSync(join(dir, 'latest-edge.json'), 'utf8'))
    for (const s of SCENARIOS) {
      expect(d.merge[s].map((r: { edges: number }) => r.edges)).toEqual([2, 4, 8])
      for (const r of d.merge[s]) {
        for (const k of ['batch', 'decode', 'gridSum', 'clusters', 'onto', 'ontoGridSum']) {
          expect(r[k].runs, `${s} ${r.edges} ${k}`).toBe(d.merge.repeats)
          expect(r[k].median).toBeGreaterThan(0)
        }
        expect(r.perPartialMs).toBeCloseTo(r.batch.median / r.edges, 9)
      }
    }
    expect(d.latency).toBeNull()
    expect(d.latencySkipped).toMatch(/--no-latency/)
    expect(d.goals.length).toBe(4)
    for (const g of d.goals) expect([true, false]).toContain(g.met)
  })

  it('the Markdown has its tables and the machine; the SVG is a chart', () => {
    const md = readFileSync(join(dir, 'latest-edge.md'), 'utf8')
    expect(md.startsWith('# ')).toBe(true)
    expect(md).toMatch(/Quick run/)
    for (const h of ['## Upstream bytes per window, partial vs raw', "## Exactness: the cloud's merge", '## Cloud merge cost', '## End-to-end latency (Kafka)', '## Goals (issue 17)']) expect(md).toContain(h)
    expect(md).toMatch(/\nMachine: .+ cores, .+ GiB, Node v\d+/)
    expect(md).not.toMatch(/NaN|undefined/)
    // every table's rows have as many cells as its header
    const tables = md.split(/\n{2,}/).map((b) => b.trim()).filter((b) => b.startsWith('|'))
    expect(tables.length).toBeGreaterThanOrEqual(6)
    for (const block of tables) {
      const cells = block.split('\n').map((line) => line.replace(/\\\|/g, '').split('|').length)
      expect(new Set(cells).size, block.split('\n')[0]).toBe(1)
    }
    const svg = readFileSync(join(dir, 'latest-edge.svg'), 'utf8')
    expect(svg).toMatch(/^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg" width="\d+" height="\d+" viewBox="0 0 \d+ \d+"/)
    expect(svg).not.toMatch(/NaN|Infinity|undefined/)
    // a panel per scenario and size, four bars in each
    expect((svg.match(/<rect [^>]*><title>/g) ?? []).length).toBe(2 * 2 * 4)
  })
})
