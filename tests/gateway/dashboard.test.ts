// The Grafana dashboard in deploy/ reads only what the gateway exports: every metric a PromQL expression
// names is a family in /metrics, and every label it matches or groups by is a label of that family.
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildGateway, type Gateway } from '../../gateway/app.js'
import { ROOT } from '../../faaslets/catalog.js'
import { cityTile, sampleCities } from '../helpers/tiles.js'

interface Panel { id: number; type: string; title: string; datasource?: { uid: string }; gridPos: { x: number; w: number }; targets?: Array<{ expr: string; refId: string }>; panels?: Panel[] }
interface Dashboard { uid: string; title: string; panels: Panel[]; templating: { list: Array<{ type: string; name: string; query: string | { query: string } }> } }

const dashboard = JSON.parse(readFileSync(join(ROOT, 'deploy/grafana/graticule-dashboard.json'), 'utf8')) as Dashboard
const panels = dashboard.panels.flatMap((p) => [p, ...(p.panels ?? [])])
const exprs = panels.flatMap((p) => (p.targets ?? []).map((t) => t.expr))
const variableQueries = dashboard.templating.list.filter((v) => v.type === 'query').map((v) => (typeof v.query === 'string' ? v.query : v.query.query))

// ---- a PromQL reader just large enough for dashboards: metric names, their matchers, the grouping around them

interface Ref { metric: string; labels: string[] }

const AGGREGATORS = new Set(['sum', 'avg', 'min', 'max', 'count', 'group', 'stddev', 'stdvar', 'topk', 'bottomk', 'quantile', 'count_values'])
const GROUPINGS = new Set(['by', 'without'])
const LABEL_LISTS = new Set(['by', 'without', 'on', 'ignoring', 'group_left', 'group_right'])
const KEYWORDS = new Set(['and', 'or', 'unless', 'offset', 'bool', 'inf', 'nan'])
const TOKEN = /\s*("(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|\[[^\]]*\]|(?:\d+(?:ms|[smhdwy]))+|\d+(?:\.\d+)?(?:e[+-]?\d+)?|[A-Za-z_:][\w:]*|=~|!~|!=|==|>=|<=|[(){},=<>+\-*/^%])\s*/y

function tokenize(expr: string): string[] {
  const tokens: string[] = []
  TOKEN.lastIndex = 0
  while (TOKEN.lastIndex < expr.length) {
    const at = TOKEN.lastIndex
    const m = TOKEN.exec(expr)
    if (!m) throw new Error(`cannot read PromQL at ${at}: ${expr.slice(at)}`)
    tokens.push(m[1])
  }
  return tokens
}

function references(expr: string): Ref[] {
  const t = tokenize(expr)
  const closing = (open: number): number => {
    if (t[open] !== '(') throw new Error(`expected ( at token ${open} of ${expr}`)
    for (let i = open, depth = 0; i < t.length; i++) {
      if (t[i] === '(') depth++
      else if (t[i] === ')' && --depth === 0) return i
    }
    throw new Error(`unbalanced ( in ${expr}`)
  }
  const labelList = (open: number) => t.slice(open + 1, closing(open)).filter((x) => x !== ',')
  const refs: Array<Ref & { at: number }> = []
  const groups: Array<{ labels: string[]; from: number; to: number }> = []
  for (let i = 0; i < t.length; i++) {
    const tok = t[i]
    if (!/^[A-Za-z_:]/.test(tok)) continue
    if (AGGREGATORS.has(tok) && (t[i + 1] === '(' || GROUPINGS.has(t[i + 1]))) {
      // sum by (l) (operand)  or  sum (operand) by (l)
      const leading = GROUPINGS.has(t[i + 1])
      const operand = leading ? closing(i + 2) + 1 : i + 1
      const end = closing(operand)
      const labels = leading ? labelList(i + 2) : GROUPINGS.has(t[end + 1]) ? labelList(end + 2) : []
      groups.push({ labels, from: operand, to: end })
    } else if (LABEL_LISTS.has(tok)) {
      if (t[i + 1] === '(') i = closing(i + 1)
    } else if (KEYWORDS.has(tok) || t[i + 1] === '(') {
      // a keyword or a function
    } else {
      const labels: string[] = []
      if (t[i + 1] === '{') {
        let j = i + 2
        while (t[j] !== '}') {
          labels.push(t[j]) // label, operator, value, then , or }
          j += 3
          if (t[j] === ',') j++
        }
        refs.push({ metric: tok, labels, at: i })
        i = j
      } else {
        refs.push({ metric: tok, labels, at: i })
      }
    }
  }
  for (const r of refs) for (const g of groups) if (r.at > g.from && r.at < g.to) r.labels.push(...g.labels)
  return refs.map(({ metric, labels }) => ({ metric, labels }))
}

/** Grafana's label_values(metric, label) */
function variableReference(query: string): Ref {
  const m = /^label_values\(\s*([A-Za-z_:][\w:]*)\s*,\s*(\w+)\s*\)$/.exec(query)
  if (!m) throw new Error(`unexpected variable query ${query}`)
  return { metric: m[1], labels: [m[2]] }
}

interface Exported { types: Map<string, string>; labels: (family: string) => string[] }

/** What is wrong with these references to what /metrics exports (empty: nothing). */
function problems(refs: Array<Ref & { where: string }>, exported: Exported): string[] {
  const found: string[] = []
  for (const { metric, labels, where } of refs) {
    const series = /^(.*)_(bucket|sum|count)$/.exec(metric)
    const histogram = series && ['histogram', 'summary'].includes(exported.types.get(series[1]) ?? '') ? series[1] : null
    const family = histogram ?? metric
    const type = exported.types.get(family)
    if (!type) {
      found.push(`${where}: ${metric} is not exported`)
      continue
    }
    if (!histogram && type === 'histogram') {
      found.push(`${where}: ${metric} is a histogram, read ${metric}_bucket, _sum or _count`)
      continue
    }
    const known = [...exported.labels(family), ...(histogram && series![2] === 'bucket' ? ['le'] : [])]
    for (const l of labels) if (!known.includes(l)) found.push(`${where}: ${metric} has no label ${l} (it has ${known.join(', ') || 'none'})`)
  }
  return found
}

// ---- a real gateway, driven a little so that the families have samples where they can

let gw: Gateway
let exported: Exported

beforeAll(async () => {
  gw = await buildGateway({
    workers: 1, chainsDir: null, faasletsDir: null,
    ingestion: { windows: { sizeMs: 500, allowedLatenessMs: 100 }, idleFlushMs: 1_000, simulator: { sensors: 200, rate: 2_000, seed: 5 } },
  })
  const tile = cityTile(sampleCities(2_000, 7), 2, 2, 1)
  const invoked = await gw.app.inject({ method: 'POST', url: '/chains/tile-heatmap/invoke?z=2&x=2&y=1', payload: Buffer.from(tile), headers: { 'content-type': 'application/vnd.mapbox-vector-tile' } })
  expect(invoked.statusCode, invoked.body).toBe(200)
  for (let i = 0; i < 100 && !gw.ctx.ingestion!.live.last; i++) await new Promise((r) => setTimeout(r, 100))
  expect(gw.ctx.ingestion!.live.last).not.toBeNull()
  for (const url of ['/live/status', '/live/clusters', '/live/heatmap/0/0/0.png', '/healthz', '/no-such-route']) await gw.app.inject({ url })

  const text = (await gw.app.inject({ url: '/metrics' })).body
  const types = new Map([...text.matchAll(/^# TYPE (\S+) (\S+)$/gm)].map((m) => [m[1], m[2]]))
  const labels = (family: string) => {
    const metric = gw.ctx.metrics.registry.getSingleMetric(family) as unknown as { labelNames?: readonly string[] } | undefined
    return [...(metric?.labelNames ?? [])]
  }
  exported = { types, labels }
})

afterAll(async () => {
  await gw?.close()
})

describe('the Grafana dashboard (deploy/grafana/graticule-dashboard.json)', () => {
  it('is an importable dashboard: one datasource variable, unique panel ids, every query on it', () => {
    expect(dashboard.uid).toBeTruthy()
    expect(dashboard.templating.list).toContainEqual(expect.objectContaining({ type: 'datasource', name: 'DS_PROMETHEUS', query: 'prometheus' }))
    expect(new Set(panels.map((p) => p.id)).size).toBe(panels.length)
    for (const p of panels.filter((p) => p.type !== 'row')) {
      expect(p.datasource?.uid, p.title).toBe('${DS_PROMETHEUS}')
      expect(p.targets?.length, p.title).toBeGreaterThan(0)
      expect(new Set(p.targets!.map((t) => t.refId)).size, p.title).toBe(p.targets!.length)
      expect(p.gridPos.x + p.gridPos.w, p.title).toBeLessThanOrEqual(24)
    }
  })

  it('names only metrics and labels that /metrics exports', () => {
    const refs = [
      ...exprs.flatMap((e) => references(e).map((r) => ({ ...r, where: e }))),
      ...variableQueries.map((q) => ({ ...variableReference(q), where: q })),
    ]
    expect(refs.length).toBeGreaterThan(exprs.length) // every expression names a metric, some several
    expect(problems(refs, exported)).toEqual([])
  })

  it('the check catches a metric that does not exist, a label it lacks, a bare histogram', () => {
    const check = (e: string) => problems(references(e).map((r) => ({ ...r, where: e })), exported)
    expect(check('sum by (route) (rate(graticule_http_requests_totl[5m]))')).toEqual([expect.stringContaining('graticule_http_requests_totl is not exported')])
    expect(check('sum by (chain) (rate(graticule_http_requests_total[5m]))')).toEqual([expect.stringContaining('has no label chain')])
    expect(check('sum(rate(graticule_errors_total{route="/x"}[5m]))')).toEqual([expect.stringContaining('has no label route')])
    expect(check('sum(rate(graticule_http_requests_total[5m])) by (tenant)')).toEqual([expect.stringContaining('has no label tenant')])
    expect(check('histogram_quantile(0.9, sum by (le) (rate(graticule_chain_duration_seconds[5m])))')).toEqual([expect.stringContaining('is a histogram')])
    expect(check('histogram_quantile(0.9, sum by (le, mode) (rate(graticule_chain_duration_seconds_bucket[5m])))')).toEqual([])
    expect(check('sum by (le) (rate(graticule_chain_duration_seconds_count[5m]))')).toEqual([expect.stringContaining('has no label le')])
  })

  it('reads the process metrics by their stock names', () => {
    for (const name of ['process_cpu_seconds_total', 'process_resident_memory_bytes', 'nodejs_eventloop_lag_seconds']) expect(exported.types.has(name), name).toBe(true)
    expect([...exported.types.keys()].filter((n) => n.startsWith('graticule_process_') || n.startsWith('graticule_nodejs_'))).toEqual([])
  })
})
