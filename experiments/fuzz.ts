// npm run fuzz — the reliability fuzz targets of tests/reliability (same generators, same rules), at scale:
// 100,000 cases per target by default, each target split over `--lanes` child processes (one per core)
// with their own seeds, so the run is bounded by cases (and, optionally, by --budget-seconds per target).
// Prints the cases, time and outcomes of every target; exits 1 if any case broke a rule, with fast-check's
// minimal counterexample and the seed to replay it.
//
//   npm run fuzz                                  every target, 100k cases each
//   npm run fuzz -- --targets mvt-decode,chain-loader --cases 20000
//   npm run fuzz -- --budget-seconds 120          stop each target after 2 minutes (reports how far it got)
//   npm run fuzz -- --list
import { fork } from 'node:child_process'
import { availableParallelism } from 'node:os'
import { parseArgs } from 'node:util'
import { rmSync } from 'node:fs'
import fc from 'fast-check'
import { Dataplane } from '../dataplane/dataplane.js'
import { Catalog } from '../faaslets/catalog.js'
import {
  arbAliasYaml, arbChainText, arbDeepYaml, arbFaasletCase, arbHeaderCase, arbIngestCase, arbInvokeCase, arbLiveCase, arbPutCase,
  arbTileCase, chainShapes, checkChainText, checkFaasletCase, checkHeaderCase, checkHttpCase, checkTileCase, startFuzzGateway, Tally,
} from '../tests/reliability/helpers.js'

const FAASLETS = Catalog.load().names()
const TARGETS = ['mvt-decode', 'region-header', ...FAASLETS.map((f) => `faaslet:${f}`), 'chain-loader', 'http-invoke', 'http-chains', 'http-ingest', 'http-live']
const LIMITS = { timeLimitMs: 5_000, quotaBytes: 512 << 20 }

interface LaneResult {
  target: string
  lane: number
  seed: number
  cases: number
  ms: number
  outcomes: Record<string, number>
  failure: string | null
}

/** Runs `cases` cases of one target in this process. */
async function lane(target: string, cases: number, seed: number, budgetMs: number): Promise<Omit<LaneResult, 'lane'>> {
  const tally = new Tally()
  const params = { numRuns: cases, seed, ...(budgetMs > 0 ? { interruptAfterTimeLimit: budgetMs } : {}) }
  const t0 = performance.now()
  let failure: string | null = null
  const cleanup: Array<() => Promise<void> | void> = []
  try {
    if (target === 'region-header') {
      fc.assert(fc.property(arbHeaderCase, (c) => { tally.add(checkHeaderCase(c)) }), params)
    } else if (target === 'chain-loader') {
      const catalog = Catalog.load()
      // 1 in 25 cases deeply nested, 1 in 25 an alias attack (as in the test file, at its proportions)
      const arb = fc.oneof({ weight: 23, arbitrary: arbChainText }, { weight: 1, arbitrary: arbDeepYaml }, { weight: 1, arbitrary: arbAliasYaml })
      fc.assert(fc.property(arb, (text) => { tally.add(checkChainText(text, catalog)) }), params)
    } else if (target === 'mvt-decode' || target.startsWith('faaslet:')) {
      const dp = await Dataplane.start({ workers: 1, limits: LIMITS })
      cleanup.push(() => dp.close())
      if (target === 'mvt-decode') {
        await fc.assert(fc.asyncProperty(arbTileCase(), async (c) => { tally.add(await checkTileCase(dp, 'fuzz', c)) }), params)
      } else {
        const name = target.slice('faaslet:'.length)
        await fc.assert(fc.asyncProperty(arbFaasletCase(dp.catalog.manifest(name)), async (c) => { tally.add(await checkFaasletCase(dp, 'fuzz', name, c)) }), params)
      }
    } else if (target.startsWith('http-')) {
      const { gw, chainsDir } = await startFuzzGateway(1)
      cleanup.push(async () => { await gw.close(); rmSync(chainsDir, { recursive: true, force: true }) })
      const arb = target === 'http-invoke' ? arbInvokeCase(chainShapes(gw)) : target === 'http-chains' ? arbPutCase() : target === 'http-ingest' ? arbIngestCase() : arbLiveCase()
      await fc.assert(fc.asyncProperty(arb, async (c) => { tally.add(await checkHttpCase(gw, c)) }), params)
      for (const t of gw.ctx.dataplane.tenants.values()) if (t.arena.bytesInUse !== 0) throw new Error(`tenant ${t.name}: ${t.arena.bytesInUse} arena bytes in use after the run`)
    } else {
      throw new Error(`unknown target ${target} (known: ${TARGETS.join(', ')})`)
    }
  } catch (e) {
    failure = (e as Error).message
  } finally {
    for (const c of cleanup) await c()
  }
  return { target, seed, cases: tally.cases, ms: performance.now() - t0, outcomes: Object.fromEntries(tally.counts), failure }
}

/** Runs a target over `lanes` child processes, `cases` in all. */
function runTarget(target: string, cases: number, lanes: number, seed: number, budgetSeconds: number): Promise<LaneResult[]> {
  const per = Math.ceil(cases / lanes)
  return Promise.all(Array.from({ length: lanes }, (_, k) => new Promise<LaneResult>((resolve) => {
    const args = ['--lane', target, '--cases', String(per), '--seed', String(seed + k), '--budget-seconds', String(budgetSeconds)]
    const child = fork(process.argv[1], args, { execArgv: process.execArgv, stdio: ['ignore', 'pipe', 'inherit', 'ipc'] })
    let result: LaneResult | null = null
    child.on('message', (m: LaneResult) => { result = { ...m, lane: k } })
    child.on('exit', (code) => resolve(result ?? { target, lane: k, seed: seed + k, cases: 0, ms: 0, outcomes: {}, failure: `lane exited with code ${code} before reporting` }))
  })))
}

function summary(target: string, results: LaneResult[]): { line: string; failed: boolean; cases: number } {
  const cases = results.reduce((n, r) => n + r.cases, 0)
  const seconds = Math.max(...results.map((r) => r.ms)) / 1000
  const outcomes = new Map<string, number>()
  for (const r of results) for (const [k, v] of Object.entries(r.outcomes)) outcomes.set(k, (outcomes.get(k) ?? 0) + v)
  const top = [...outcomes].sort((a, b) => b[1] - a[1]).slice(0, 4).map(([k, v]) => `${k} ${v}`).join(', ')
  const failed = results.some((r) => r.failure)
  const line = `${target.padEnd(28)} ${String(cases).padStart(8)} ${seconds.toFixed(0).padStart(6)} s ${(cases / Math.max(seconds, 1e-3)).toFixed(0).padStart(7)}/s  ${failed ? 'FAILED' : 'ok    '}  ${top}`
  return { line, failed, cases }
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      cases: { type: 'string', default: '100000' },
      targets: { type: 'string', default: 'all' },
      seed: { type: 'string', default: String(Date.now() % 1_000_000_000) },
      lanes: { type: 'string', default: String(Math.max(1, availableParallelism())) },
      'budget-seconds': { type: 'string', default: '0' },
      lane: { type: 'string' },
      list: { type: 'boolean', default: false },
    },
    strict: true,
  })
  if (values.list) {
    console.log(TARGETS.join('\n'))
    return 0
  }
  const cases = Number(values.cases), seed = Number(values.seed), budget = Number(values['budget-seconds'])
  if (values.lane) {
    // a child: run one lane and report to the parent. Process warnings raised while handling fuzz input
    // (the YAML library warns about collection keys it stringifies) are counted, not printed
    let warnings = 0
    process.removeAllListeners('warning')
    process.on('warning', () => { warnings++ })
    const r = await lane(values.lane, cases, seed, budget * 1000)
    if (warnings) r.outcomes[`process warnings`] = warnings
    process.send!(r)
    return 0
  }
  const targets = values.targets === 'all' ? TARGETS : values.targets.split(',')
  const lanes = Math.max(1, Number(values.lanes))
  console.log(`fuzz: ${targets.length} targets × ${cases} cases, ${lanes} lanes, seed ${seed}${budget > 0 ? `, at most ${budget} s a target` : ''}`)
  console.log(`${'target'.padEnd(28)} ${'cases'.padStart(8)} ${'time'.padStart(8)} ${'rate'.padStart(9)}  result  outcomes`)
  const t0 = Date.now()
  let failures = 0
  let total = 0
  for (const target of targets) {
    const results = await runTarget(target, cases, lanes, seed, budget)
    const s = summary(target, results)
    console.log(s.line)
    total += s.cases
    if (s.cases < cases && !s.failed) console.log(`${''.padEnd(28)} stopped by the time budget at ${s.cases} of ${cases} cases`)
    for (const r of results) {
      if (!r.failure) continue
      failures++
      console.log(`--- ${target}, lane ${r.lane} (replay: --targets ${target} --lanes 1 --seed ${r.seed} --cases ${Math.ceil(cases / lanes)}):\n${r.failure.slice(0, 4_000)}`)
    }
  }
  console.log(`fuzz: ${total} cases in ${((Date.now() - t0) / 1000).toFixed(0)} s; ${failures ? `${failures} lane(s) FAILED` : 'no rule broken'}`)
  return failures ? 1 : 0
}

main().then((code) => { process.exitCode = code }, (e) => { console.error(e); process.exitCode = 2 })
