// Many gateways, one registry: chains and deployed faaslets PUT on one gateway are in compacted Kafka topics that
// every gateway reads. Two gateways in this process (buildGateway), on topics of their own for this run: what one
// takes is listed and invocable on the other within a second (the delays are measured and printed), deletes
// reach the other too, a restart of both finds everything at once, and records that cannot be applied are logged
// and skipped without stopping anything.
import { randomUUID } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { Kafka, logLevel, Partitioners, type ConfigResourceTypes } from 'kafkajs'
import { afterAll, describe, expect, inject, it } from 'vitest'
import type {} from '../global-kafka.js'
import { buildGateway, type Gateway } from '../../gateway/app.js'
import { withCustomSection } from '../../faaslets/abi/inspect.js'
import { DEPLOY_LIMITS, MANIFEST_SECTION } from '../../faaslets/deploy.js'
import { encodeFaasletRecord } from '../../gateway/registry/registry-codec.js'
import { lineLogger } from '../../gateway/ingest/ingest-log.js'
import { TOPIC_MAX_MESSAGE_BYTES } from '../../gateway/registry/registry-topics.js'
import { startGatewayProcess, type GatewayProcess } from '../helpers/gateway-process.js'

const brokers = inject('kafkaBrokers')
const run = randomUUID().slice(0, 8)
const topics = { chainsTopic: `test.chains.${run}`, faasletsTopic: `test.faaslets.${run}` }
const open: Gateway[] = []
const logged: string[] = []
const log = lineLogger((line) => logged.push(line))
const delays: Record<string, number> = {}
const processes: GatewayProcess[] = []

afterAll(async () => {
  await Promise.all(processes.splice(0).map((p) => p.kill()))
  await Promise.all(open.splice(0).map((g) => g.close()))
  console.log(`registry propagation delays (ms): ${JSON.stringify(delays)}`)
})

async function gateway(): Promise<Gateway> {
  const g = await buildGateway({ workers: 1, logLevel: false, chainsDir: null, faasletsDir: null, registry: { brokers: [brokers], ...topics, log } })
  open.push(g)
  return g
}

async function close(...gs: Gateway[]): Promise<void> {
  for (const g of gs) open.splice(open.indexOf(g), 1)
  await Promise.all(gs.map((g) => g.close()))
}

const manifest = (name: string, slot: number, params: object[] = [{ name: 'factor', type: 'number', default: 1, doc: 'weight multiplier' }]) => ({
  name, version: '1.0.0', description: 'test module', slot,
  inputs: [{ name: 'points', kinds: ['points'] }], outputs: [{ name: 'points', kind: 'points' }], params,
})
const withManifest = (bytes: Uint8Array, m: object) => withCustomSection(bytes, MANIFEST_SECTION, new TextEncoder().encode(JSON.stringify(m)))
const echoBytes = new Uint8Array(readFileSync('faaslets/build/test/echo.wasm')) // built for slot 50
const loopBytes = new Uint8Array(readFileSync('faaslets/build/test/loop.wasm')) // built for slot 52
const loopManifest = (name: string) => manifest(name, 52, [{ name: 'iterations', type: 'number', default: 0, min: 0, doc: '0 = forever' }])

const MERCATOR = 'name: reg-mercator\ninput: { kind: points }\nsteps:\n  - id: m\n    uses: reproject\n    with: { to: "EPSG:3857" }\noutput: { step: m, as: geojson }\n'
const ECHO_CHAIN = 'name: reg-echo-chain\ninput: { kind: points }\nsteps:\n  - id: triple\n    uses: reg-echo\n    with: { factor: 3 }\n  - id: clusters\n    uses: cluster\n    with: { zoom: 0 }\noutput: { step: clusters, as: geojson }\n'
const CSV = 'lon,lat,weight\n2.35,48.85,2\n2.36,48.86,1\n13.4,52.5,5\n'

const putChain = (g: Gateway, name: string, yaml: string) => g.app.inject({ method: 'PUT', url: `/chains/${name}`, payload: yaml, headers: { 'content-type': 'application/yaml' } })
const putWasm = (g: Gateway, name: string, bytes: Uint8Array) => g.app.inject({ method: 'PUT', url: `/faaslets/${name}`, payload: Buffer.from(bytes), headers: { 'content-type': 'application/wasm' } })
const del = (g: Gateway, what: 'chains' | 'faaslets', name: string) => g.app.inject({ method: 'DELETE', url: `/${what}/${name}` })
const invoke = (g: Gateway, chain: string) => g.app.inject({ method: 'POST', url: `/chains/${chain}/invoke`, payload: CSV, headers: { 'content-type': 'text/csv' } })
const chainNames = async (g: Gateway) => ((await g.app.inject({ url: '/chains' })).json() as Array<{ name: string }>).map((c) => c.name)
const faasletNames = async (g: Gateway) => ((await g.app.inject({ url: '/faaslets' })).json() as Array<{ name: string }>).map((f) => f.name)

/** Polls `ok` every 5 ms; returns the ms from `since` until it held (fails after 10 s). */
async function until(what: string, since: number, ok: () => Promise<boolean>): Promise<number> {
  for (;;) {
    if (await ok()) return performance.now() - since
    if (performance.now() - since > 10_000) throw new Error(`timed out waiting for ${what}\n${logged.join('\n')}`)
    await new Promise((r) => setTimeout(r, 5))
  }
}

/** The weights of the clusters reg-echo-chain returns: three times the input's. */
async function echoChainWorks(g: Gateway): Promise<boolean> {
  const r = await invoke(g, 'reg-echo-chain')
  if (r.statusCode !== 200) return false
  const total = (r.json().features as Array<{ properties: { weight: number } }>).reduce((n, f) => n + f.properties.weight, 0)
  expect(total).toBe(3 * (2 + 1 + 5))
  return true
}

async function mercatorWorks(g: Gateway): Promise<boolean> {
  const r = await invoke(g, 'reg-mercator')
  if (r.statusCode !== 200) return false
  const [x, y] = (r.json().features as Array<{ geometry: { coordinates: number[] } }>)[2].geometry.coordinates
  expect(x).toBeCloseTo(1491681.18, 1)
  expect(y).toBeGreaterThan(6.8e6)
  return true
}

describe('chains and faaslets in compacted Kafka topics, shared by gateways', () => {
  let a: Gateway
  let b: Gateway

  it('a chain PUT on one gateway is listed and invocable on another within a second', async () => {
    ;[a, b] = await Promise.all([gateway(), gateway()])
    // the routes the delays are polled with answer once first, so their first-call costs are not counted as delay
    for (const g of [a, b]) await Promise.all([chainNames(g), faasletNames(g), invoke(g, 'reg-mercator')])
    const put = await putChain(a, 'reg-mercator', MERCATOR)
    expect(put.statusCode, put.body).toBe(201)
    const t0 = performance.now()
    expect(await chainNames(a)).toContain('reg-mercator') // read-your-writes: at once on the gateway that took it
    delays.chainListed = await until('the chain on B', t0, async () => (await chainNames(b)).includes('reg-mercator'))
    delays.chainInvocable = await until('the chain invocable on B', t0, () => mercatorWorks(b))
    expect(await mercatorWorks(a)).toBe(true)
    expect(delays.chainListed).toBeLessThan(1_000)
    expect(delays.chainInvocable).toBeLessThan(1_000)
    // shipped chains stay read-only
    expect((await putChain(a, 'points-clusters', MERCATOR.replace('reg-mercator', 'points-clusters'))).statusCode).toBe(409)
    // a replacement reaches B too, as the newest record of its name
    const again = await putChain(b, 'reg-mercator', MERCATOR.replace('EPSG:3857', 'EPSG:4326'))
    expect(again.statusCode, again.body).toBe(200)
    await until('the replacement on A', performance.now(), async () => (await a.app.inject({ url: '/chains/reg-mercator' })).body.includes('EPSG:4326'))
    expect((await putChain(a, 'reg-mercator', MERCATOR)).statusCode).toBe(200)
    await until('the chain back on B', performance.now(), async () => (await b.app.inject({ url: '/chains/reg-mercator' })).body.includes('EPSG:3857'))
    // the topics were made compacted, taking records as large as a deployed module
    const admin = new Kafka({ clientId: 'registry-test', brokers: [brokers], logLevel: logLevel.NOTHING }).admin()
    await admin.connect()
    try {
      const { resources } = await admin.describeConfigs({ includeSynonyms: false, resources: Object.values(topics).map((name) => ({ type: 2 as ConfigResourceTypes /* TOPIC */, name, configNames: ['cleanup.policy', 'max.message.bytes'] })) })
      for (const r of resources) {
        expect(r.configEntries.find((c) => c.configName === 'cleanup.policy')?.configValue, r.resourceName).toBe('compact')
        expect(Number(r.configEntries.find((c) => c.configName === 'max.message.bytes')?.configValue)).toBe(TOPIC_MAX_MESSAGE_BYTES)
      }
    } finally {
      await admin.disconnect()
    }
  })

  it('a faaslet PUT on one gateway (and a chain that uses it) is invocable on another within a second', async () => {
    const put = await putWasm(a, 'reg-echo', withManifest(echoBytes, manifest('reg-echo', 50)))
    expect(put.statusCode, put.body).toBe(201)
    const t0 = performance.now()
    // the chain right after: on B it may arrive before the faaslet's checks are done there, and waits for them
    const chain = await putChain(a, 'reg-echo-chain', ECHO_CHAIN)
    expect(chain.statusCode, chain.body).toBe(201)
    delays.faasletListed = await until('the faaslet on B', t0, async () => (await faasletNames(b)).includes('reg-echo'))
    delays.faasletInvocable = await until('the faaslet invocable on B', t0, () => echoChainWorks(b))
    expect(await echoChainWorks(a)).toBe(true)
    expect(delays.faasletListed).toBeLessThan(1_000)
    expect(delays.faasletInvocable).toBeLessThan(1_000)
    expect(b.ctx.registry!.pendingChains()).toEqual([])
    // refused deploys write nothing: a taken slot, a shipped name
    expect((await putWasm(b, 'reg-clash', withManifest(echoBytes, manifest('reg-clash', 50)))).statusCode).toBe(422)
    expect((await putWasm(b, 'heatmap', withManifest(echoBytes, manifest('heatmap', 50)))).statusCode).toBe(409)
    // and a faaslet a chain uses cannot be removed, here or there
    expect((await del(b, 'faaslets', 'reg-echo')).statusCode).toBe(409)
    // a module near the deploy limit travels too (the topics' max.message.bytes, the consumer's fetch size)
    const big = withCustomSection(withManifest(echoBytes, manifest('reg-echo', 50)), 'padding', new Uint8Array(DEPLOY_LIMITS.maxBytes - echoBytes.length - 4096).fill(7))
    expect(big.length).toBeLessThanOrEqual(DEPLOY_LIMITS.maxBytes)
    const replaced = await putWasm(a, 'reg-echo', big)
    expect(replaced.statusCode, replaced.body).toBe(200)
    const t1 = performance.now()
    delays.largeFaasletListed = await until('the large module on B', t1, async () => b.ctx.dataplane.catalog.wasmBytes('reg-echo').length === big.length)
    expect(await echoChainWorks(b)).toBe(true)
  })

  it('a DELETE on one gateway is gone on the other', async () => {
    const t0 = performance.now()
    expect((await del(b, 'chains', 'reg-mercator')).statusCode).toBe(204)
    expect((await b.app.inject({ url: '/chains/reg-mercator' })).statusCode).toBe(404)
    delays.chainDeleted = await until('the chain gone on A', t0, async () => (await a.app.inject({ url: '/chains/reg-mercator' })).statusCode === 404)
    expect(await chainNames(a)).not.toContain('reg-mercator')
    expect(delays.chainDeleted).toBeLessThan(1_000)

    expect((await putWasm(a, 'reg-temp', withManifest(loopBytes, loopManifest('reg-temp')))).statusCode).toBe(201)
    await until('reg-temp on B', performance.now(), async () => (await faasletNames(b)).includes('reg-temp'))
    const t1 = performance.now()
    expect((await del(b, 'faaslets', 'reg-temp')).statusCode).toBe(204)
    delays.faasletDeleted = await until('the faaslet gone on A', t1, async () => !(await faasletNames(a)).includes('reg-temp'))
    expect(delays.faasletDeleted).toBeLessThan(1_000)
    expect((await del(a, 'chains', 'points-clusters')).statusCode).toBe(409)
  })

  it('after both gateways stop, two new ones have every chain and faaslet as soon as they are built', async () => {
    await close(a, b)
    const [c, d] = await Promise.all([gateway(), gateway()])
    for (const g of [c, d]) {
      // no waiting: buildGateway resolved after reading both topics to their end
      expect(await chainNames(g)).toContain('reg-echo-chain')
      expect(await chainNames(g)).not.toContain('reg-mercator')
      expect(await faasletNames(g)).toContain('reg-echo')
      expect(await faasletNames(g)).not.toContain('reg-temp')
      expect(await echoChainWorks(g)).toBe(true)
      expect(g.ctx.registry!.pendingChains()).toEqual([])
    }
    a = c
    b = d
  })

  it('records that cannot be applied are logged and skipped; a chain waits for its faaslet; shipped chains stay', async () => {
    const kafka = new Kafka({ clientId: 'registry-test', brokers: [brokers], logLevel: logLevel.NOTHING })
    const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner })
    await producer.connect()
    try {
      const shippedBefore = (await a.app.inject({ url: '/chains/points-clusters' })).body
      const good = encodeFaasletRecord('reg-forged', withManifest(echoBytes, manifest('reg-forged', 51)), undefined)
      const forged = Buffer.from(good)
      forged[forged.length - 100] ^= 0xff // inside the module's bytes: the hash no longer matches
      await producer.send({ topic: topics.faasletsTopic, acks: -1, messages: [
        { key: 'reg-garbage', value: Buffer.from('not a record') },
        { key: 'reg-forged', value: forged },
        { key: 'reg-clash', value: encodeFaasletRecord('reg-clash', withManifest(echoBytes, manifest('reg-clash', 50)), undefined) }, // slot 50 is reg-echo's
        { key: 'heatmap', value: encodeFaasletRecord('heatmap', withManifest(echoBytes, manifest('heatmap', 53)), undefined) },
      ] })
      await producer.send({ topic: topics.chainsTopic, acks: -1, messages: [
        { key: 'points-clusters', value: Buffer.from(MERCATOR.replace('reg-mercator', 'points-clusters')) },
        { key: 'reg-late-chain', value: Buffer.from('name: reg-late-chain\ninput: { kind: points }\nsteps:\n  - { id: s, uses: reg-late, with: { iterations: 1000 } }\noutput: { step: s, as: geojson }\n') },
      ] })
      for (const g of [a, b]) await until('the late chain pending', performance.now(), async () => g.ctx.registry!.pendingChains().includes('reg-late-chain'))
      for (const [name, why] of [['reg-garbage', /not a msgpack faaslet record|not a faaslet record/], ['reg-forged', /content hash mismatch/], ['reg-clash', /E_MODULE_REFUSED.*slot 50 is taken/], ['heatmap', /E_FAASLET_READONLY/], ['points-clusters', /E_CHAIN_READONLY/]] as const) {
        await until(`${name} skipped`, performance.now(), async () => logged.some((l) => l.includes(`registry record "${name}"`) && why.test(l)))
      }
      for (const g of [a, b]) {
        expect(await faasletNames(g)).not.toContain('reg-forged')
        expect(await faasletNames(g)).not.toContain('reg-clash')
        expect((await g.app.inject({ url: '/chains/points-clusters' })).body).toBe(shippedBefore)
        expect(await chainNames(g)).not.toContain('reg-late-chain')
      }
      // the faaslet it waits for arrives: the chain is applied on both
      expect((await putWasm(a, 'reg-late', withManifest(loopBytes, loopManifest('reg-late')))).statusCode).toBe(201)
      for (const g of [a, b]) {
        await until('the late chain applied', performance.now(), async () => (await invoke(g, 'reg-late-chain')).statusCode === 200)
        expect(g.ctx.registry!.pendingChains()).toEqual([])
      }
      expect(await echoChainWorks(b)).toBe(true)
      // a faaslet replaced by a version the chain no longer fits: the chain waits again, everywhere, until it fits
      const spins = manifest('reg-late', 52, [{ name: 'spins', type: 'number', default: 0, min: 0, doc: 'renamed' }])
      expect((await putWasm(b, 'reg-late', withManifest(loopBytes, spins))).statusCode).toBe(200)
      for (const g of [a, b]) await until('the late chain withdrawn', performance.now(), async () => g.ctx.registry!.pendingChains().includes('reg-late-chain'))
      expect(await chainNames(a)).not.toContain('reg-late-chain')
      expect((await putWasm(a, 'reg-late', withManifest(loopBytes, loopManifest('reg-late')))).statusCode).toBe(200)
      for (const g of [a, b]) await until('the late chain back', performance.now(), async () => (await invoke(g, 'reg-late-chain')).statusCode === 200)
    } finally {
      await producer.disconnect()
    }
  })

  it('graticule serve --registry-kafka: a gateway process reads and writes the same registry, and stops cleanly', async () => {
    const p = await startGatewayProcess(['--registry-kafka', brokers, '--registry-chains-topic', topics.chainsTopic, '--registry-faaslets-topic', topics.faasletsTopic,
      '--no-simulator', '--workers', '1', '--log-level', 'warn'])
    processes.push(p)
    await until('the registry line', performance.now(), async () => p.output().includes(`chains and faaslets in Kafka ${brokers} topics ${topics.chainsTopic} and ${topics.faasletsTopic}`))
    const listed = (await (await fetch(`${p.url}/chains`)).json() as Array<{ name: string }>).map((c) => c.name)
    expect(listed).toEqual(expect.arrayContaining(['reg-echo-chain', 'reg-late-chain']))
    const put = await fetch(`${p.url}/chains/reg-from-cli`, { method: 'PUT', body: MERCATOR.replace('reg-mercator', 'reg-from-cli'), headers: { 'content-type': 'application/yaml' } })
    expect(put.status, await put.text()).toBe(201)
    await until('the CLI gateway\'s chain here', performance.now(), async () => (await chainNames(a)).includes('reg-from-cli'))
    expect(await p.stop()).toBe(0)
  })

  it('a registry that cannot work fails buildGateway with its code', async () => {
    await expect(buildGateway({ workers: 1, logLevel: false, registry: { brokers: ['no-port'], ...topics, log } })).rejects.toMatchObject({ code: 'E_BAD_CONFIG' })
  })
})
