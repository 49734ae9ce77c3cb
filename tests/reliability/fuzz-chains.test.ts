// Property-based fuzzing of the YAML chain loader: random text built from YAML syntax and chain vocabulary,
// shipped chains edited line by line (deleted, duplicated, swapped, re-indented, words replaced, anchors
// and aliases added) or byte by byte, nesting thousands of levels deep in flow and block style, and alias
// attacks (billion laughs, merge keys, undefined and self-referencing anchors). loadChain must answer every
// one with a chain or with diagnostics whose codes are known and whose positions lie in the text — never
// a throw, and quickly (each case is timed against CHAIN_LOAD_LIMIT_MS).
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { Catalog } from '../../faaslets/catalog.js'
import { loadChain } from '../../chains/load.js'
import { arbAliasYaml, arbChainText, arbDeepYaml, checkChainText, SHIPPED_CHAINS, Tally } from './helpers.js'

const CASES = Number(process.env.GRATICULE_FUZZ_CASES || 5_000)
const DEEP_CASES = Math.ceil(CASES / 25)
const SEED = Number(process.env.GRATICULE_FUZZ_SEED || 20_240_613)
const catalog = Catalog.load()

describe('fuzz: the YAML chain loader', () => {
  it('the shipped chains load (the mutation seeds are valid)', () => {
    for (const text of SHIPPED_CHAINS) expect(loadChain(text, 'shipped.yaml', catalog).diagnostics).toEqual([])
  })

  it(`${CASES} chain texts: a chain or clear diagnostics, never a throw or a stall`, () => {
    const tally = new Tally()
    fc.assert(fc.property(arbChainText, (text) => { tally.add(checkChainText(text, catalog)) }), { numRuns: CASES, seed: SEED })
    console.log(`chains: ${tally.cases} cases: ${tally}`)
    expect(tally.get('valid')).toBeGreaterThan(0) // some edits keep a chain valid: the loader's accepting side is exercised too
    expect(tally.counts.size).toBeGreaterThan(8) // and many different diagnostics are reached
  })

  it(`${DEEP_CASES} deeply nested documents and ${DEEP_CASES} alias attacks`, () => {
    const tally = new Tally()
    fc.assert(fc.property(arbDeepYaml, (text) => { tally.add(checkChainText(text, catalog)) }), { numRuns: DEEP_CASES, seed: SEED })
    fc.assert(fc.property(arbAliasYaml, (text) => { tally.add(checkChainText(text, catalog)) }), { numRuns: DEEP_CASES, seed: SEED })
    console.log(`chains (deep, aliases): ${tally.cases} cases: ${tally}`)
    expect(tally.get('E_CHAIN_ALIASES')).toBeGreaterThan(0)
  })

  it('a billion laughs is refused before it expands', () => {
    const lines = ['x0: &x0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]']
    for (let l = 1; l <= 9; l++) lines.push(`x${l}: &x${l} [${Array(10).fill(`*x${l - 1}`).join(', ')}]`)
    const t0 = performance.now()
    const r = loadChain(`name: lol\n${lines.join('\n')}\n`, 'lol.yaml', catalog)
    expect(performance.now() - t0).toBeLessThan(1_000)
    expect(r.diagnostics.map((d) => d.code)).toContain('E_CHAIN_ALIASES')
  })
})
