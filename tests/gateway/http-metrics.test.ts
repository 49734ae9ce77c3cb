// Metrics whose label sets must stay bounded: per-route HTTP metrics (route patterns, never raw URLs)
// and the user-named labels (chain, faaslet, tenant), capped with the overflow counted.
import { describe, expect, it } from 'vitest'
import Fastify from 'fastify'
import type { Dataplane, InvokeResult } from '../../dataplane/dataplane.js'
import { registerHttpMetrics, UNMATCHED_ROUTE } from '../../gateway/http-metrics.js'
import { GatewayMetrics, LabelCap, MAX_LABEL_VALUES, OTHER_LABEL } from '../../gateway/metrics.js'
import { linearPlan } from '../../dataplane/plan.js'

/** The value of a counter or gauge sample with exactly these labels. */
async function sample(metrics: GatewayMetrics, name: string, labels: Record<string, string>): Promise<number | undefined> {
  const family = (await metrics.registry.getMetricsAsJSON()).find((m) => m.name === name)
  const same = (l: object) => JSON.stringify(Object.entries(l).map(([k, v]) => [k, String(v)]).sort()) === JSON.stringify(Object.entries(labels).sort())
  return family?.values.find((v) => same(v.labels))?.value
}

const labelValues = async (metrics: GatewayMetrics, name: string, label: string) =>
  new Set((await metrics.registry.getMetricsAsJSON()).find((m) => m.name === name)!.values.map((v) => String(v.labels[label])))

describe('per-route HTTP metrics', () => {
  async function appWithMetrics() {
    const metrics = new GatewayMetrics(null)
    const app = Fastify()
    registerHttpMetrics(app, metrics)
    await app.register(async (scope) => {
      scope.post('/chains/:name/invoke', async (req, reply) => ((req.params as { name: string }).name === 'slow' ? reply.code(422).send({}) : {}))
      scope.get('/healthz', async () => ({ status: 'ok' }))
    })
    await app.ready()
    return { app, metrics }
  }

  it('counts responses by method, route pattern and status code, and times them by route', async () => {
    const { app, metrics } = await appWithMetrics()
    for (const name of ['a', 'b', 'c']) await app.inject({ method: 'POST', url: `/chains/${name}/invoke?zoom=3` })
    await app.inject({ method: 'POST', url: '/chains/slow/invoke' })
    await app.inject({ url: '/healthz' })
    await app.inject({ method: 'HEAD', url: '/healthz' })
    expect(await sample(metrics, 'graticule_http_requests_total', { method: 'POST', route: '/chains/:name/invoke', status_code: '200' })).toBe(3)
    expect(await sample(metrics, 'graticule_http_requests_total', { method: 'POST', route: '/chains/:name/invoke', status_code: '422' })).toBe(1)
    expect(await sample(metrics, 'graticule_http_requests_total', { method: 'GET', route: '/healthz', status_code: '200' })).toBe(1)
    expect(await sample(metrics, 'graticule_http_requests_total', { method: 'HEAD', route: '/healthz', status_code: '200' })).toBe(1)
    const text = await metrics.registry.metrics()
    expect(text).toMatch(/graticule_http_request_duration_seconds_count\{method="POST",route="\/chains\/:name\/invoke"\} 4/)
    expect(text).toMatch(/graticule_http_request_duration_seconds_bucket\{le="0\.0005",method="GET",route="\/healthz"\} \d/)
    await app.close()
  })

  it('URLs no route matched share one label value, whatever they are', async () => {
    const { app, metrics } = await appWithMetrics()
    for (let i = 0; i < 50; i++) await app.inject({ url: `/scan/${i}/wp-admin.php` })
    expect(await labelValues(metrics, 'graticule_http_requests_total', 'route')).toEqual(new Set([UNMATCHED_ROUTE]))
    expect(await sample(metrics, 'graticule_http_requests_total', { method: 'GET', route: UNMATCHED_ROUTE, status_code: '404' })).toBe(50)
    expect(await metrics.registry.metrics()).not.toMatch(/wp-admin/)
    await app.close()
  })
})

describe('bounded labels', () => {
  const invocation = (ms: number) => ({ mode: 'shared', totalMs: ms, timings: [{ step: 0, ms }], copied: { betweenStages: 0, boundary: 10 } }) as unknown as InvokeResult

  it('a cap passes the first values, then folds new ones into one value and counts them', async () => {
    const metrics = new GatewayMetrics(null)
    const cap = new LabelCap('chain', metrics.labelOverflow, 3)
    expect(['a', 'b', 'c', 'd', 'a', 'e', 'c'].map((v) => cap.value(v))).toEqual(['a', 'b', 'c', OTHER_LABEL, 'a', OTHER_LABEL, 'c'])
    expect(await sample(metrics, 'graticule_metric_label_overflow_total', { label: 'chain' })).toBe(2)
  })

  const onePlan = (id: string) => linearPlan('c', [{ id, faaslet: 'heatmap', params: [] }])

  it(`chains past ${MAX_LABEL_VALUES} are recorded as ${OTHER_LABEL}, their steps and faaslets too`, async () => {
    const metrics = new GatewayMetrics(null)
    const extra = 25
    for (let i = 0; i < MAX_LABEL_VALUES + extra; i++) metrics.observe(`chain-${i}`, invocation(1), onePlan(`step-${i}`))
    const chains = await labelValues(metrics, 'graticule_chain_invocations_total', 'chain')
    expect(chains.size).toBe(MAX_LABEL_VALUES + 1)
    expect(chains.has(OTHER_LABEL) && chains.has('chain-0') && !chains.has(`chain-${MAX_LABEL_VALUES}`)).toBe(true)
    expect(await sample(metrics, 'graticule_chain_invocations_total', { chain: OTHER_LABEL, mode: 'shared', outcome: 'ok' })).toBe(extra)
    expect((await labelValues(metrics, 'graticule_stage_duration_seconds', 'step')).size).toBe(MAX_LABEL_VALUES + 1)
    expect(await sample(metrics, 'graticule_metric_label_overflow_total', { label: 'chain' })).toBe(extra)
    // a chain admitted before the cap keeps its name
    metrics.observe('chain-0', invocation(1), onePlan('step-0'))
    expect(await sample(metrics, 'graticule_chain_invocations_total', { chain: 'chain-0', mode: 'shared', outcome: 'ok' })).toBe(2)
  })

  it(`tenants past ${MAX_LABEL_VALUES} are summed under ${OTHER_LABEL} in the arena gauges`, async () => {
    const tenants = new Map<string, unknown>()
    const extra = 10
    for (let i = 0; i < MAX_LABEL_VALUES + extra; i++) {
      tenants.set(`t${i}`, { name: `t${i}`, arena: { bytesInUse: 1, highWaterBytes: 2, committedBytes: 3 } })
    }
    const metrics = new GatewayMetrics({ tenants } as unknown as Dataplane)
    const inUse = await labelValues(metrics, 'graticule_arena_bytes_in_use', 'tenant')
    expect(inUse.size).toBe(MAX_LABEL_VALUES + 1)
    expect(await sample(metrics, 'graticule_arena_bytes_in_use', { tenant: OTHER_LABEL })).toBe(extra)
    expect(await sample(metrics, 'graticule_arena_committed_bytes', { tenant: OTHER_LABEL })).toBe(3 * extra)
    expect(await sample(metrics, 'graticule_arena_committed_bytes', { tenant: 't0' })).toBe(3)
    expect(await sample(metrics, 'graticule_metric_label_overflow_total', { label: 'tenant' })).toBeGreaterThan(0)
  })
})
