// Chain files for the loader: YAML-ish token soup, edited shipped chains, deep nesting and alias bombs, and the
// check that loadChain answers each with a chain or well-placed diagnostics, quickly and without throwing.
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import fc from 'fast-check'
import { GraticuleError } from '../../../errors/index.js'
import { ROOT } from '../../../faaslets/catalog.js'
import { loadChain, type ManifestSource } from '../../../chains/load.js'
import { bindChain } from '../../../chains/bind.js'
import type { DiagnosticCode } from '../../../chains/diagnostics.js'
import { arbMutation, mutate } from './byte-mutations.js'
import { describeError } from './outcomes.js'

export const SHIPPED_CHAINS = readdirSync(join(ROOT, 'chains')).filter((f) => f.endsWith('.yaml')).sort()
  .map((f) => readFileSync(join(ROOT, 'chains', f), 'utf8'))

const YAML_TOKENS = [
  'name: ', 'description: ', 'input:', 'kind: ', 'params:', 'steps:', 'output:', '- ', 'id: ', 'uses: ', 'with:', 'needs: ', 'step: ', 'as: ',
  'type: ', 'default: ', 'min: ', 'max: ', 'values: ', 'doc: ', 'z', 'x', 'y', 'zoom', 'radius', 'to', 'bbox',
  'tile', 'points', 'features', 'int', 'number', 'enum', 'crs', 'bool', 'png', 'geojson', 'grid', 'csv', 'mvt',
  'mvt-decode', 'reproject', 'cluster', 'heatmap', 'points-merge', 'grid-combine', 'colorize', 'EPSG:3857', 'input', '${{ input.z }}', '${{ input.',
  '\n', '\n  ', '\n    ', '  ', ' ', '{', '}', '[', ']', ',', ':', '&a ', '*a', '&b ', '*b', '<<: ', '!!str ', '!!int ', '!!binary ', '!!map ', '!custom ',
  '|', '>-', '"', "'", '#', '?', '---\n', '...\n', '%YAML 1.2\n', '%TAG ! tag:x,2024:\n', '\t', '\r\n', '\u0000', '\ufeff', '\u2028', 'é',
  '0', '1', '-1', '1e309', '0x1f', '.inf', '.nan', 'null', '~', 'true', 'yes', 'on', '2024-01-01', '999999999999999999999',
]

/** Random text built from YAML syntax and chain vocabulary. */
export const arbYamlish: fc.Arbitrary<string> = fc.array(fc.constantFrom(...YAML_TOKENS), { maxLength: 80 }).map((t) => t.join(''))

type LineEdit =
  | { op: 'delete' | 'duplicate'; at: number }
  | { op: 'swap'; at: number; with: number }
  | { op: 'indent'; at: number; by: number }
  | { op: 'replace'; at: number; word: number; token: string }
  | { op: 'insert'; at: number; token: string }
  | { op: 'anchor'; at: number; alias: number }

const arbLineEdit: fc.Arbitrary<LineEdit> = fc.oneof(
  fc.record({ op: fc.constantFrom('delete' as const, 'duplicate' as const), at: fc.nat() }),
  fc.record({ op: fc.constant('swap' as const), at: fc.nat(), with: fc.nat() }),
  fc.record({ op: fc.constant('indent' as const), at: fc.nat(), by: fc.integer({ min: -4, max: 4 }) }),
  fc.record({ op: fc.constant('replace' as const), at: fc.nat(), word: fc.nat(), token: fc.constantFrom(...YAML_TOKENS) }),
  fc.record({ op: fc.constant('insert' as const), at: fc.nat(), token: arbYamlish }),
  fc.record({ op: fc.constant('anchor' as const), at: fc.nat(), alias: fc.nat() }),
)

function editLines(text: string, edits: LineEdit[]): string {
  const lines = text.split('\n')
  for (const e of edits) {
    const i = e.at % lines.length
    switch (e.op) {
      case 'delete': lines.splice(i, 1); break
      case 'duplicate': lines.splice(i, 0, lines[i]); break
      case 'swap': { const j = e.with % lines.length; [lines[i], lines[j]] = [lines[j], lines[i]]; break }
      case 'indent': lines[i] = e.by >= 0 ? ' '.repeat(e.by) + lines[i] : lines[i].replace(new RegExp(`^ {0,${-e.by}}`), ''); break
      case 'replace': {
        const words = lines[i].split(/(\s+|:\s*)/)
        if (words.length) words[e.word % words.length] = e.token
        lines[i] = words.join('')
        break
      }
      case 'insert': lines.splice(i, 0, e.token); break
      case 'anchor': {
        // put an anchor on one value and an alias of it on another line: chains are data, aliases are legal
        const j = e.alias % lines.length
        lines[i] = lines[i].replace(/: (\S)/, ': &x $1')
        lines[j] = lines[j].replace(/: \S.*$/, ': *x')
        break
      }
    }
    if (lines.length === 0) lines.push('')
  }
  return lines.join('\n')
}

/** Nesting `depth` deep, in flow or block style, placed where a chain expects a list or a map. */
export const arbDeepYaml: fc.Arbitrary<string> = fc.record({
  // past ~1000 levels the YAML parser runs out of stack (reported as E_CHAIN_YAML); a 64 KiB file of
  // nesting costs ~0.8 s to refuse, so most cases stay shallower
  depth: fc.oneof({ weight: 6, arbitrary: fc.integer({ min: 1, max: 200 }) }, { weight: 3, arbitrary: fc.integer({ min: 200, max: 3_000 }) }, { weight: 1, arbitrary: fc.integer({ min: 3_000, max: 40_000 }) }),
  style: fc.constantFrom('flow-seq', 'flow-map', 'block-seq', 'block-map', 'mixed'),
  where: fc.constantFrom('steps', 'with', 'top', 'params'),
}).map(({ depth, style, where }) => {
  let inner: string
  switch (style) {
    case 'flow-seq': inner = '['.repeat(depth) + ']'.repeat(depth); break
    case 'flow-map': inner = '{a: '.repeat(depth) + '1' + '}'.repeat(depth); break
    case 'mixed': inner = '[{a: '.repeat(depth) + '1' + '}]'.repeat(depth); break
    case 'block-seq': inner = '\n' + Array.from({ length: Math.min(depth, 300) }, (_, i) => ' '.repeat(2 * i + 2) + '-').join('\n') + ' x'; break
    default: inner = '\n' + Array.from({ length: Math.min(depth, 300) }, (_, i) => ' '.repeat(2 * i + 2) + `k${i}:`).join('\n') + ' x'
  }
  switch (where) {
    case 'steps': return `name: deep\ninput: { kind: points }\nsteps: ${inner}\noutput: { step: a, as: png }\n`
    case 'with': return `name: deep\ninput: { kind: points }\nsteps:\n  - id: a\n    uses: reproject\n    with: { to: ${inner} }\noutput: { step: a, as: geojson }\n`
    case 'params': return `name: deep\ninput:\n  kind: points\n  params: { z: ${inner} }\nsteps:\n  - id: a\n    uses: reproject\n    with: { to: "EPSG:3857" }\noutput: { step: a, as: geojson }\n`
    default: return inner
  }
})

/** Aliases: billion laughs, merge keys, undefined and self-referencing anchors. */
export const arbAliasYaml: fc.Arbitrary<string> = fc.record({
  levels: fc.integer({ min: 1, max: 12 }),
  fanout: fc.integer({ min: 1, max: 12 }),
  kind: fc.constantFrom('laughs', 'merge', 'undefined', 'self', 'key', 'whole'),
}).map(({ levels, fanout, kind }) => {
  const head = 'name: aliases\ninput: { kind: points }\n'
  const tail = 'steps:\n  - id: a\n    uses: reproject\n    with: { to: "EPSG:3857" }\noutput: { step: a, as: geojson }\n'
  switch (kind) {
    case 'laughs': {
      const lines = ['x0: &x0 [lol]']
      for (let l = 1; l <= levels; l++) lines.push(`x${l}: &x${l} [${Array.from({ length: fanout }, () => `*x${l - 1}`).join(', ')}]`)
      return head + `description: *x${levels}\n` + lines.join('\n') + '\n' + tail
    }
    case 'merge': return head + `base: &b { id: a, uses: reproject, with: { to: "EPSG:3857" } }\nsteps:\n` + Array.from({ length: fanout }, (_, i) => `  - { <<: *b, id: s${i} }`).join('\n') + '\noutput: { step: s0, as: geojson }\n'
    case 'undefined': return head + `description: *nowhere\n` + tail
    case 'self': return head + `description: &s [*s]\n` + tail
    case 'key': return head + `? &k [a, b]\n: *k\n*k : x\n` + tail
    default: return '*x'
  }
})

export const arbChainText: fc.Arbitrary<string> = fc.oneof(
  { weight: 3, arbitrary: arbYamlish },
  { weight: 5, arbitrary: fc.tuple(fc.constantFrom(...SHIPPED_CHAINS), fc.array(arbLineEdit, { minLength: 1, maxLength: 5 })).map(([t, e]) => editLines(t, e)) },
  { weight: 2, arbitrary: fc.tuple(fc.constantFrom(...SHIPPED_CHAINS), fc.array(arbMutation, { minLength: 1, maxLength: 4 })).map(([t, m]) => new TextDecoder().decode(mutate(new TextEncoder().encode(t), m))) },
  { weight: 1, arbitrary: arbAliasYaml },
)

const DIAGNOSTIC_CODES = new Set<DiagnosticCode>([
  'E_CHAIN_TOO_LARGE', 'E_CHAIN_YAML', 'E_CHAIN_DUPLICATE_KEY', 'E_CHAIN_ALIASES', 'E_CHAIN_SCHEMA', 'E_CHAIN_UNKNOWN_FAASLET',
  'E_CHAIN_UNKNOWN_PARAM', 'E_CHAIN_BAD_PARAM', 'E_CHAIN_MISSING_PARAM', 'E_CHAIN_UNKNOWN_INPUT_PARAM', 'E_CHAIN_KIND_MISMATCH',
  'E_CHAIN_INPUT_COUNT', 'E_CHAIN_CYCLE', 'E_CHAIN_UNREACHABLE', 'E_CHAIN_NO_OUTPUT', 'E_CHAIN_UNKNOWN_STEP', 'E_CHAIN_DUPLICATE_STEP',
  'E_CHAIN_BAD_OUTPUT', 'E_CHAIN_BAD_INPUT_PARAM',
])

/** Longest a chain file may take to validate: far above the ~ms a 64 KiB file needs, far below a hang. */
export const CHAIN_LOAD_LIMIT_MS = 3_000

/** loadChain: a chain or diagnostics with known codes and positions inside the text, quickly, never a throw. */
export function checkChainText(text: string, faaslets: ManifestSource): string {
  const t0 = performance.now()
  let r
  try {
    r = loadChain(text, 'fuzz.yaml', faaslets)
  } catch (e) {
    throw new Error(`loadChain threw instead of reporting diagnostics: ${describeError(e)}`)
  }
  const ms = performance.now() - t0
  if (ms > CHAIN_LOAD_LIMIT_MS) throw new Error(`loadChain took ${ms.toFixed(0)} ms`)
  if (r.chain) {
    if (r.diagnostics.length) throw new Error('a chain and diagnostics at once')
    // a valid chain binds (with some parameters) or refuses them clearly
    try {
      bindChain(r.chain, Object.fromEntries(r.chain.input.params.filter((p) => p.default === undefined).map((p) => [p.name, p.type === 'crs' ? 'EPSG:3857' : p.type === 'bbox' ? '-10,-10,10,10' : p.type === 'bool' ? 'true' : p.type === 'enum' ? p.values?.[0] : 1])), faaslets)
    } catch (e) {
      if (!(e instanceof GraticuleError)) throw new Error(`bindChain of a valid chain failed unclearly: ${describeError(e)}`)
    }
    return 'valid'
  }
  if (r.diagnostics.length === 0) throw new Error('neither a chain nor diagnostics')
  const lines = text.split(/\r?\n/).length
  for (const d of r.diagnostics) {
    if (!DIAGNOSTIC_CODES.has(d.code)) throw new Error(`unknown diagnostic code ${d.code}`)
    if (!(d.line >= 1 && d.col >= 1 && d.line <= lines + 1)) throw new Error(`diagnostic ${d.code} at ${d.line}:${d.col} lies outside the ${lines}-line text`)
  }
  return r.diagnostics[0].code
}
