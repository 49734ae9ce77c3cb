// YAML text → a validated Chain, or every problem in it at once with its line and column.
// Order: size limit → YAML syntax (duplicate keys, alias limits) → schema (ajv) → meaning (faaslets,
// parameters, region kinds along each edge, cycles, unreachable steps, outputs).
import { Ajv, type ErrorObject } from 'ajv'
import { isAlias, isMap, isPair, isScalar, isSeq, parseDocument, visit, type Document, type Node } from 'yaml'
import { parseParam, type Manifest, type ParamSpec, type RegionKindName } from '../faaslets/abi/manifest.js'
import { chainSchema } from './schema.js'
import { DiagnosticSink, didYouMean, type Diagnostic } from './diagnostics.js'
import { FORMAT_KINDS, INPUT_REGION, TILE_FIELDS, type Chain, type ChainMap, type ChainRef, type ChainStep, type InputKind, type OutputFormat, type TileField, type WithValue } from './chain.js'
import { gatherProblem, inputBounds, MAX_MAP_TILES, MAX_MAP_ZOOM, tileRange } from './bind.js'

export const MAX_CHAIN_BYTES = 64 * 1024
export const MAX_ALIASES = 16

/** What the loader needs to know about faaslets (a Catalog satisfies it). */
export interface ManifestSource {
  names(): string[]
  manifest(ref: string): Manifest
  has(name: string): boolean
}

export interface LoadResult {
  chain?: Chain
  diagnostics: Diagnostic[]
}

type Path = Array<string | number>
const REF = /^\$\{\{\s*(input|tile)\.([A-Za-z_][A-Za-z0-9_]*)\s*\}\}$/

const ajv = new Ajv({ allErrors: true, strict: false })
const checkShape = ajv.compile(chainSchema)

export function loadChain(text: string, file: string, faaslets: ManifestSource): LoadResult {
  const sink = new DiagnosticSink(file, text)
  if (Buffer.byteLength(text) > MAX_CHAIN_BYTES) {
    sink.add('E_CHAIN_TOO_LARGE', `chain file is ${Buffer.byteLength(text)} bytes; the limit is ${MAX_CHAIN_BYTES}`, [0, 1])
    return { diagnostics: sink.list }
  }
  const doc = parseDocument(text, { uniqueKeys: true, prettyErrors: false, strict: true })
  let syntax = 0
  for (const e of doc.errors) {
    const code = e.code === 'DUPLICATE_KEY' ? 'E_CHAIN_DUPLICATE_KEY' : 'E_CHAIN_YAML'
    if (code === 'E_CHAIN_YAML' && syntax++ > 0) continue // what follows a syntax error mostly follows from it
    sink.add(code, e.message.split('\n')[0].replace(/ at line \d+, column \d+:?$/, ''), e.pos,
      code === 'E_CHAIN_DUPLICATE_KEY' ? 'each key may appear once per mapping; merge the two entries' : undefined)
  }
  if (sink.list.length) return { diagnostics: sink.list }

  let aliases = 0
  visit(doc, { Alias(_, node) {
    aliases++
    if (aliases === MAX_ALIASES + 1) sink.add('E_CHAIN_ALIASES', `more than ${MAX_ALIASES} aliases`, node.range, 'chains need no more; repeated aliases can expand exponentially (a "billion laughs" attack)')
  } })
  if (sink.list.length) return { diagnostics: sink.list }
  let value: unknown
  try {
    value = doc.toJS({ maxAliasCount: 100 })
  } catch (e) {
    sink.add('E_CHAIN_ALIASES', (e as Error).message, biggestAlias(doc)?.range, 'aliases expand too far')
    return { diagnostics: sink.list }
  }

  const nodes = new Positions(doc)
  if (!checkShape(value)) {
    for (const e of dedupe(checkShape.errors ?? [])) reportSchemaError(e, nodes, sink)
  }
  const chain = checkMeaning(value, nodes, sink, faaslets, file, text)
  return sink.list.length ? { diagnostics: sink.list } : { chain, diagnostics: [] }
}

/** The alias that expands to the most nodes (the first of them): where a YAML bomb goes off. */
function biggestAlias(doc: Document): Node | undefined {
  const size = new Map<unknown, number>()
  const count = (n: unknown, depth: number): number => {
    if (depth > 64) return Infinity
    if (isAlias(n)) return count(n.resolve(doc), depth + 1)
    if (size.has(n)) return size.get(n)!
    let c = 1
    if (isMap(n)) for (const p of n.items) c += count(p.key, depth + 1) + count(p.value, depth + 1)
    else if (isSeq(n)) for (const x of n.items) c += count(x, depth + 1)
    size.set(n, c)
    return c
  }
  let worst: Node | undefined
  let most = -1
  visit(doc, { Alias(_, a) {
    const c = count(a, 0)
    if (c > most) { most = c; worst = a }
  } })
  return worst
}

/** Finds YAML nodes (and their keys) by path, for positions. */
class Positions {
  constructor(private readonly doc: Document) {}

  private walk(path: Path): { node: Node | null; key: Node | null } {
    let node: unknown = this.doc.contents
    let key: Node | null = null
    for (const seg of path) {
      if (isAlias(node)) node = node.resolve(this.doc)
      if (isMap(node)) {
        const pair = node.items.find((p) => isPair(p) && isScalar(p.key) && String(p.key.value) === String(seg))
        if (!pair) return { node: null, key }
        key = pair.key as Node
        node = pair.value
      } else if (isSeq(node) && typeof seg === 'number') {
        node = node.items[seg]
        key = null
      } else {
        return { node: null, key }
      }
    }
    return { node: (node as Node) ?? null, key }
  }

  /** Range of the value at path, falling back to its key, then to the nearest ancestor. */
  value(path: Path): [number, number] {
    for (let n = path.length; n >= 0; n--) {
      const { node, key } = this.walk(path.slice(0, n))
      const r = node?.range ?? key?.range
      if (r) return [r[0], r[1]]
    }
    return [0, 1]
  }

  key(path: Path): [number, number] {
    const { key } = this.walk(path)
    return key?.range ? [key.range[0], key.range[1]] : this.value(path)
  }
}

function dedupe(errors: ErrorObject[]): ErrorObject[] {
  // anyOf failures repeat each alternative's complaint; keep the most specific ones: a branch that only
  // says "must be <type>" is dropped when another branch of the same anyOf took the value's type
  const branch = (e: ErrorObject) => /^(.*\/anyOf)\/(\d+)\//.exec(e.schemaPath)
  const typeOnly = (e: ErrorObject) => e.keyword === 'type' && /\/anyOf\/\d+\/type$/.test(e.schemaPath)
  const seen = new Set<string>()
  return errors.filter((e) => {
    if (e.keyword === 'anyOf') return false
    if (typeOnly(e)) {
      const [, at, k] = branch(e)!
      if (errors.some((f) => !typeOnly(f) && f.instancePath.startsWith(e.instancePath) && branch(f)?.[1] === at && branch(f)?.[2] !== k)) return false
    }
    const k = `${e.instancePath}|${e.keyword}|${JSON.stringify(e.params)}`
    if (seen.has(k)) return false
    seen.add(k)
    return true
  })
}

function toPath(pointer: string): Path {
  return pointer.split('/').slice(1).map((s) => (/^\d+$/.test(s) ? Number(s) : s.replace(/~1/g, '/').replace(/~0/g, '~')))
}

function reportSchemaError(e: ErrorObject, nodes: Positions, sink: DiagnosticSink): void {
  const path = toPath(e.instancePath)
  const where = e.instancePath ? e.instancePath.slice(1).replace(/\//g, '.') : 'the chain'
  switch (e.keyword) {
    case 'additionalProperties': {
      const extra = (e.params as { additionalProperty: string }).additionalProperty
      const allowed = Object.keys(schemaAt(path)?.properties ?? {})
      sink.add('E_CHAIN_SCHEMA', `unknown field "${extra}" in ${where}`, nodes.key([...path, extra]), allowed.length ? didYouMean(extra, allowed).replace('known:', 'valid fields:') : undefined)
      return
    }
    case 'required': {
      const missing = (e.params as { missingProperty: string }).missingProperty
      sink.add('E_CHAIN_SCHEMA', `${where} is missing the required field "${missing}"`, nodes.value(path), `add \`${missing}:\``)
      return
    }
    case 'enum':
      sink.add('E_CHAIN_SCHEMA', `${where} must be one of ${(e.params as { allowedValues: unknown[] }).allowedValues.join(', ')}`, nodes.value(path))
      return
    case 'pattern':
      sink.add('E_CHAIN_SCHEMA', `${where} ${e.message}`, nodes.value(path), patternHint(path))
      return
    default:
      sink.add('E_CHAIN_SCHEMA', `${where} ${e.message}`, nodes.value(path))
  }
}

function patternHint(path: Path): string {
  const last = path[path.length - 1]
  if (last === 'name') return 'chain names are 1-63 lowercase letters, digits and dashes'
  if (last === 'id') return 'step ids start with a letter; letters, digits, - and _ follow'
  if (last === 'uses') return 'a faaslet name, optionally with @version, e.g. cluster@1.0.0'
  return 'input parameter names start with a letter'
}

function schemaAt(path: Path): { properties?: Record<string, unknown> } | undefined {
  let s: unknown = chainSchema
  for (const seg of path) {
    const o = s as { properties?: Record<string, unknown>; items?: unknown; anyOf?: unknown[]; additionalProperties?: unknown }
    if (typeof seg === 'number') s = o.items ?? (o.anyOf?.[1] as { items?: unknown })?.items
    else if (o.properties?.[seg]) s = o.properties[seg]
    else if (o.anyOf) s = (o.anyOf[0] as { properties?: Record<string, unknown> }).properties?.[seg]
    else if (o.additionalProperties && typeof o.additionalProperties === 'object') s = o.additionalProperties
    else return undefined
  }
  const o = s as { properties?: Record<string, unknown>; anyOf?: unknown[] }
  return o?.properties ? o : (o?.anyOf?.[0] as { properties?: Record<string, unknown> } | undefined)
}

interface RawStep { id?: unknown; uses?: unknown; with?: unknown; needs?: unknown; map?: unknown }
interface RawOutput { name?: unknown; step?: unknown; as?: unknown }

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v)

/** Meaning: faaslets, parameters, kinds along edges, cycles, reachability, outputs. */
function checkMeaning(value: unknown, nodes: Positions, sink: DiagnosticSink, faaslets: ManifestSource, file: string, text: string): Chain | undefined {
  if (!isRecord(value)) return undefined
  const name = typeof value.name === 'string' ? value.name : ''
  const inputRaw = isRecord(value.input) ? value.input : {}
  const inputKind = (['tile', 'points', 'features'].includes(inputRaw.kind as string) ? inputRaw.kind : 'points') as InputKind
  const inputParams = checkInputParams(inputRaw.params, nodes, sink)
  const rawSteps = Array.isArray(value.steps) ? (value.steps as RawStep[]) : []

  // steps: ids, faaslets
  const ids = new Map<string, number>()
  const manifests: Array<Manifest | null> = []
  rawSteps.forEach((s, i) => {
    const id = isRecord(s) && typeof s.id === 'string' ? s.id : `#${i + 1}`
    if (id === 'input') sink.add('E_CHAIN_SCHEMA', 'a step cannot be called "input": `needs: input` means the chain\'s input', nodes.value(['steps', i, 'id']), 'give the step another id')
    if (ids.has(id)) sink.add('E_CHAIN_DUPLICATE_STEP', `step id "${id}" is used twice (first by step ${ids.get(id)! + 1})`, nodes.value(['steps', i, 'id']), 'give each step its own id')
    else ids.set(id, i)
    let manifest: Manifest | null = null
    if (isRecord(s) && typeof s.uses === 'string') {
      const [fname, version] = s.uses.split('@')
      if (!faaslets.has(fname)) {
        sink.add('E_CHAIN_UNKNOWN_FAASLET', `unknown faaslet "${fname}"`, nodes.value(['steps', i, 'uses']), didYouMean(fname, faaslets.names()))
      } else {
        manifest = faaslets.manifest(fname)
        if (version && version !== manifest.version) {
          sink.add('E_CHAIN_UNKNOWN_FAASLET', `faaslet ${fname} is at version ${manifest.version}, not ${version}`, nodes.value(['steps', i, 'uses']), `use ${fname}@${manifest.version} or just ${fname}`)
        }
      }
    }
    manifests.push(manifest)
  })
  const stepId = (i: number) => (isRecord(rawSteps[i]) && typeof rawSteps[i].id === 'string' ? (rawSteps[i].id as string) : `#${i + 1}`)

  // maps: which steps run once per tile, and how many tiles when the list is written out as literals
  const mapped = rawSteps.map((s) => isRecord(s) && s.map !== undefined)
  const maps = rawSteps.map((s, i) => (mapped[i] ? checkMap((s as RawStep).map, ['steps', i, 'map', 'tiles'], inputParams, nodes, sink) : undefined))

  // inputs of each step: needs (or the previous step / the chain input), resolved to {step, output}
  const steps: ChainStep[] = []
  const outKinds: Array<RegionKindName[][]> = [] // per step, per output: the kinds it may hold
  const edges: Array<number[]> = rawSteps.map(() => [])
  rawSteps.forEach((s, i) => {
    const m = manifests[i]
    const needsRaw = isRecord(s) ? s.needs : undefined
    const needs: string[] = needsRaw === undefined ? [i === 0 ? 'input' : stepId(i - 1)] : Array.isArray(needsRaw) ? needsRaw.filter((x): x is string => typeof x === 'string') : typeof needsRaw === 'string' ? [needsRaw] : []
    const needPath = (k: number): Path => (needsRaw === undefined ? ['steps', i, 'uses'] : Array.isArray(needsRaw) ? ['steps', i, 'needs', k] : ['steps', i, 'needs'])
    const inputs: ChainRef[] = []
    const inKinds: RegionKindName[][] = []
    let readsList = false // a need names a mapped step: the count is its branches', checked here
    let gathers: string | undefined
    needs.forEach((need, k) => {
      const spec = m ? (m.inputs[k] ?? (m.inputs[m.inputs.length - 1]?.variadic ? m.inputs[m.inputs.length - 1] : undefined)) : undefined
      if (need === 'input') {
        inputs.push({ input: true })
        inKinds.push([INPUT_REGION[inputKind]])
        return
      }
      const [sid, outName] = need.split('.')
      const j = ids.get(sid)
      if (j === undefined) {
        sink.add('E_CHAIN_UNKNOWN_STEP', `step "${stepId(i)}" needs "${sid}", which is not a step`, nodes.value(needPath(k)), didYouMean(sid, [...ids.keys(), 'input']))
        return
      }
      edges[i].push(j)
      if (mapped[j]) {
        readsList = true
        const listOf = `mapped step "${sid}", one region per tile`
        if (mapped[i]) {
          sink.add('E_CHAIN_INPUT_COUNT', `step "${stepId(i)}" is mapped and reads ${listOf}: a branch reads one region, not a list`, nodes.value(needPath(k)), `gather "${sid}" first, in a step that needs it alone (${gatherers(faaslets, manifests[j])})`)
        } else if (needs.length > 1) {
          sink.add('E_CHAIN_INPUT_COUNT', `step "${stepId(i)}" reads ${listOf}, beside other regions: a step that gathers a mapped step reads nothing else`, nodes.value(needPath(k)), `needs: ${need} alone; combine the gathered result with the others in a later step`)
        } else if (m && !m.inputs[m.inputs.length - 1]?.variadic) {
          sink.add('E_CHAIN_INPUT_COUNT', `step "${stepId(i)}" (${m.name}) reads ${listOf}; ${m.name} takes ${m.inputs.length}`, nodes.value(needPath(k)), `gather the tiles first with a faaslet that takes several: ${gatherers(faaslets, manifests[j])}`)
        } else {
          gathers = sid
          const grid = maps[j]?.tiles
          const why = m && grid ? gatherProblem(m, grid.cols, grid.rows) : undefined
          const n = grid ? grid.cols * grid.rows : 0
          if (why) {
            sink.add('E_CHAIN_INPUT_COUNT', `step "${stepId(i)}" (${m!.name}) cannot gather the ${n} branch${n === 1 ? '' : 'es'} of mapped step "${sid}": ${why}`, nodes.value(needPath(k)),
              n < inputBounds(m!).min ? `map over more tiles, or gather with a faaslet that takes ${n}: ${gatherers(faaslets, manifests[j], n)}` : `gather with an associative faaslet (${gatherers(faaslets, manifests[j])}), or map over fewer tiles`)
          }
        }
      }
      const pm = manifests[j]
      if (!pm) return
      let output = 0
      if (outName !== undefined) {
        output = pm.outputs.findIndex((o) => o.name === outName)
        if (output < 0) {
          sink.add('E_CHAIN_UNKNOWN_STEP', `step "${sid}" (${pm.name}) has no output "${outName}"`, nodes.value(needPath(k)), `its outputs: ${pm.outputs.map((o) => o.name).join(', ')}`)
          return
        }
      } else if (spec) {
        const fits = pm.outputs.findIndex((o) => o.kind === 'same-as-input' || spec.kinds.includes(o.kind))
        if (fits >= 0) output = fits
      }
      inputs.push({ step: sid, output })
      inKinds.push([]) // filled once kinds are known (below, in order)
    })
    if (m && !readsList) {
      const fixed = m.inputs.filter((x) => !x.variadic).length
      const variadic = m.inputs.some((x) => x.variadic)
      if (needs.length < Math.max(1, fixed) || (!variadic && needs.length > m.inputs.length)) {
        const want = variadic ? `at least ${Math.max(1, fixed)}` : `${m.inputs.length}`
        sink.add('E_CHAIN_INPUT_COUNT', `step "${stepId(i)}" (${m.name}) reads ${needs.length} region${needs.length === 1 ? '' : 's'}; ${m.name} takes ${want}`, nodes.value(needsRaw === undefined ? ['steps', i, 'uses'] : ['steps', i, 'needs']), `inputs of ${m.name}: ${m.inputs.map((x) => `${x.name} (${x.kinds.join('|')})${x.variadic ? '…' : ''}`).join(', ')}`)
      }
    }
    const step: ChainStep = { id: stepId(i), faaslet: m?.name ?? (isRecord(s) && typeof s.uses === 'string' ? s.uses.split('@')[0] : ''), with: {}, inputs }
    if (maps[i]?.map) step.map = maps[i]!.map
    if (gathers !== undefined) step.gathers = gathers
    steps.push(step)
    outKinds.push([])
    void inKinds
  })

  // cycles (before kinds: kinds flow along a topological order)
  const order = topoOrder(edges, (cycle) => {
    const names = cycle.map(stepId)
    sink.add('E_CHAIN_CYCLE', `steps ${names.join(' → ')} → ${names[0]} form a cycle`, nodes.value(['steps', cycle[0], 'needs']), 'a chain is a DAG: remove one of these needs')
  })

  // region kinds along each edge
  for (const i of order) {
    const m = manifests[i]
    const s = steps[i]
    const inputKinds: RegionKindName[][] = s.inputs.map((r) => ('input' in r ? [INPUT_REGION[inputKind]] : outKinds[ids.get(r.step)!]?.[r.output] ?? []))
    if (m) {
      s.inputs.forEach((r, k) => {
        const spec = m.inputs[k] ?? m.inputs[m.inputs.length - 1]
        const have = inputKinds[k]
        if (!spec || have.length === 0) return
        if (!have.some((kind) => spec.kinds.includes(kind))) {
          const from = 'input' in r ? `the chain input (${inputKind} → ${have.join('|')})` : `step "${r.step}" (${manifests[ids.get(r.step)!]?.name}) output ${r.output} (${have.join('|')})`
          const path: Path = isRecord(rawSteps[i]) && rawSteps[i].needs !== undefined ? (Array.isArray(rawSteps[i].needs) ? ['steps', i, 'needs', k] : ['steps', i, 'needs']) : ['steps', i, 'uses']
          sink.add('E_CHAIN_KIND_MISMATCH', `step "${s.id}" (${m.name}) reads ${spec.kinds.join(' or ')} as "${spec.name}", but ${from} is not`, nodes.value(path), suggestConverter(have, spec.kinds, faaslets))
        }
      })
      outKinds[i] = m.outputs.map((o) => (o.kind === 'same-as-input' ? inputKinds[0] ?? [] : [o.kind]))
    }
  }

  // parameters
  rawSteps.forEach((raw, i) => {
    const m = manifests[i]
    if (!m || !isRecord(raw)) return
    const given = isRecord(raw.with) ? raw.with : {}
    for (const [key, v] of Object.entries(given)) {
      const spec = m.params.find((p) => p.name === key)
      if (!spec) {
        sink.add('E_CHAIN_UNKNOWN_PARAM', `${m.name} has no parameter "${key}"`, nodes.key(['steps', i, 'with', key]), didYouMean(key, m.params.map((p) => p.name)).replace('known:', 'its parameters:'))
        continue
      }
      steps[i].with[key] = checkWithValue(m, spec, v, ['steps', i, 'with', key], inputParams, nodes, sink, mapped[i] ? undefined : stepId(i))
    }
    for (const p of m.params) {
      if (p.default === undefined && !(p.name in given)) {
        sink.add('E_CHAIN_MISSING_PARAM', `step "${steps[i].id}" (${m.name}) needs parameter "${p.name}"`, isRecord(raw.with) ? nodes.key(['steps', i, 'with']) : nodes.value(['steps', i, 'uses']), `add it under with:, e.g. ${p.name}: \${{ input.${p.name} }}`)
      }
    }
  })

  // outputs
  const rawOut: RawOutput[] = Array.isArray(value.output) ? (value.output as RawOutput[]) : isRecord(value.output) ? [value.output as RawOutput] : []
  const outPath = (k: number, f: string): Path => (Array.isArray(value.output) ? ['output', k, f] : ['output', f])
  const outputs: Chain['outputs'] = []
  rawOut.forEach((o, k) => {
    if (!isRecord(o) || typeof o.step !== 'string' || typeof o.as !== 'string') return
    const [sid, outName] = o.step.split('.')
    const j = ids.get(sid)
    if (j === undefined) {
      sink.add('E_CHAIN_UNKNOWN_STEP', `output reads "${sid}", which is not a step`, nodes.value(outPath(k, 'step')), didYouMean(sid, [...ids.keys()]))
      return
    }
    if (mapped[j]) {
      sink.add('E_CHAIN_BAD_OUTPUT', `step "${sid}" is mapped over tiles: its result is one region per tile, and an output is one region`, nodes.value(outPath(k, 'step')), `output a step that gathers "${sid}" (a step that needs it alone, e.g. uses: grid-mosaic)`)
      return
    }
    const m = manifests[j]
    if (!m) return
    const as = o.as as OutputFormat
    const wanted = FORMAT_KINDS[as] ?? []
    let output = outName !== undefined ? m.outputs.findIndex((x) => x.name === outName) : outKinds[j].findIndex((kinds) => kinds.some((kk) => wanted.includes(kk)))
    if (outName !== undefined && output < 0) {
      sink.add('E_CHAIN_UNKNOWN_STEP', `step "${sid}" (${m.name}) has no output "${outName}"`, nodes.value(outPath(k, 'step')), `its outputs: ${m.outputs.map((x) => x.name).join(', ')}`)
      return
    }
    // a step whose kinds are unknown (its faaslet, or one upstream, is unknown; a cycle) was reported already
    if (outKinds[j].length === 0 || (outName !== undefined ? outKinds[j][output].length === 0 : outKinds[j].some((kinds) => kinds.length === 0))) return
    if (output < 0 || !outKinds[j][output]?.some((kk) => wanted.includes(kk))) {
      const has = outKinds[j].map((kinds, n) => `${m.outputs[n].name} (${kinds.join('|')})`).join(', ')
      sink.add('E_CHAIN_BAD_OUTPUT', `cannot write step "${sid}" (${m.name}) as ${as}: ${as} needs ${wanted.join(' or ')}`, nodes.value(outPath(k, 'as')), `its outputs: ${has}; formats: png ← image, geojson ← features|points|clusters, grid ← grid, csv ← points, mvt ← mvt`)
      if (output < 0) output = 0
      return
    }
    const kind = outKinds[j][output].find((kk) => wanted.includes(kk))!
    outputs.push({ name: typeof o.name === 'string' ? o.name : k === 0 ? 'result' : `${sid}-${as}`, step: sid, output, as, kind })
  })
  const names = new Set<string>()
  outputs.forEach((o, k) => {
    if (names.has(o.name)) sink.add('E_CHAIN_BAD_OUTPUT', `two outputs are named "${o.name}"`, nodes.value(outPath(k, 'name')), 'give each output its own name:')
    names.add(o.name)
  })
  if (isRecord(value) && 'output' in value && rawOut.length === 0 && Array.isArray(value.output)) {
    sink.add('E_CHAIN_NO_OUTPUT', 'the chain has no output', nodes.value(['output']), 'add output: {step: <id>, as: png|geojson|grid|csv|mvt}')
  }

  // every step must lead to an output (an output that names a step reaches it, whatever else is wrong)
  const roots = rawOut.map((o) => (isRecord(o) && typeof o.step === 'string' ? ids.get(o.step.split('.')[0]) : undefined)).filter((j): j is number => j !== undefined)
  if (roots.length > 0) {
    const live = new Set<number>()
    const visitStep = (j: number) => {
      if (live.has(j)) return
      live.add(j)
      edges[j].forEach(visitStep)
    }
    roots.forEach(visitStep)
    rawSteps.forEach((_, i) => {
      if (!live.has(i) && ids.get(stepId(i)) === i) {
        sink.add('E_CHAIN_UNREACHABLE', `step "${stepId(i)}" never reaches an output: its work would be thrown away`, nodes.value(['steps', i, 'id']), 'remove it, or make an output or a later step need it')
      }
    })
  }

  if (sink.list.length) return undefined
  return {
    name,
    description: typeof value.description === 'string' ? value.description : '',
    input: { kind: inputKind, params: inputParams },
    steps: order.map((i) => steps[i]),
    outputs,
    source: text,
    file,
  }
}

function checkInputParams(raw: unknown, nodes: Positions, sink: DiagnosticSink): ParamSpec[] {
  if (!isRecord(raw)) return []
  const out: ParamSpec[] = []
  for (const [name, specRaw] of Object.entries(raw)) {
    if (!isRecord(specRaw) || typeof specRaw.type !== 'string') continue
    const spec = { name, doc: typeof specRaw.doc === 'string' ? specRaw.doc : '', ...specRaw } as ParamSpec
    if (spec.type === 'crs') spec.crsRanges = [[1024, 32767]]
    if (spec.type === 'enum' && !spec.values) {
      sink.add('E_CHAIN_BAD_INPUT_PARAM', `input parameter "${name}" is an enum without values`, nodes.key(['input', 'params', name]), 'add values: [a, b, …]')
      out.push(spec) // declared, badly: references to it are not unknown
      continue
    }
    if (spec.default !== undefined) {
      try {
        parseParam({ name: 'input' } as Manifest, spec, spec.default)
      } catch (e) {
        sink.add('E_CHAIN_BAD_INPUT_PARAM', `default of input parameter "${name}": ${(e as Error).message}`, nodes.value(['input', 'params', name, 'default']))
      }
    }
    out.push(spec)
  }
  return out
}

const COMPATIBLE: Record<string, string[]> = { int: ['int'], number: ['number', 'int'], bool: ['bool'], enum: ['enum'], crs: ['crs'], bbox: ['bbox'] }

/**
 * A `with` value: a literal the faaslet's parser accepts, or a whole-value reference of a compatible type —
 * `${{ input.NAME }}`, or in a mapped step `${{ tile.FIELD }}` (`unmapped`: the id of a step that is not).
 */
function checkWithValue(m: Manifest, spec: ParamSpec, v: unknown, path: Path, inputs: ParamSpec[], nodes: Positions, sink: DiagnosticSink, unmapped?: string): WithValue {
  if (typeof v === 'string' && v.includes('${{')) {
    const ref = REF.exec(v.trim())
    if (!ref) {
      sink.add('E_CHAIN_BAD_PARAM', `"${v}" is not a reference`, nodes.value(path), `write the whole value as \${{ input.NAME }}${unmapped === undefined ? ' or ${{ tile.z|x|y|bbox }}' : ''}`)
      return { literal: v }
    }
    if (ref[1] === 'tile') {
      const field = ref[2] as TileField
      if (unmapped !== undefined) {
        sink.add('E_CHAIN_UNKNOWN_INPUT_PARAM', `step "${unmapped}" is not mapped over tiles: it has no \${{ tile.${ref[2]} }}`, nodes.value(path), 'add map: { tiles: { bbox: …, zoom: … } } to the step, or use ${{ input.NAME }}')
      } else if (!Object.hasOwn(TILE_FIELDS, field)) {
        sink.add('E_CHAIN_UNKNOWN_INPUT_PARAM', `a tile has no field "${ref[2]}"`, nodes.value(path), didYouMean(ref[2], Object.keys(TILE_FIELDS)).replace('known:', 'tile fields:'))
      } else if (!COMPATIBLE[spec.type]?.includes(TILE_FIELDS[field])) {
        sink.add('E_CHAIN_BAD_PARAM', `${m.name}.${spec.name} is ${spec.type}, but tile.${field} is ${TILE_FIELDS[field]}`, nodes.value(path), `tile fields: ${Object.entries(TILE_FIELDS).map(([f, t]) => `${f} (${t})`).join(', ')}`)
      }
      return { tile: field }
    }
    const ip = inputs.find((p) => p.name === ref[2])
    if (!ip) {
      sink.add('E_CHAIN_UNKNOWN_INPUT_PARAM', `the chain input has no parameter "${ref[2]}"`, nodes.value(path), inputs.length ? didYouMean(ref[2], inputs.map((p) => p.name)).replace('known:', 'input parameters:') : 'declare it under input.params')
    } else if (!COMPATIBLE[spec.type]?.includes(ip.type)) {
      sink.add('E_CHAIN_BAD_PARAM', `${m.name}.${spec.name} is ${spec.type}, but input.${ip.name} is ${ip.type}`, nodes.value(path), `declare input.${ip.name} as type ${spec.type}`)
    } else if (spec.type === 'enum' && ip.values?.some((x) => !spec.values?.includes(x))) {
      sink.add('E_CHAIN_BAD_PARAM', `input.${ip.name} allows ${ip.values!.join(', ')}; ${m.name}.${spec.name} accepts ${spec.values!.join(', ')}`, nodes.value(path))
    }
    return { ref: ref[2] }
  }
  try {
    parseParam(m, spec, v)
  } catch (e) {
    sink.add('E_CHAIN_BAD_PARAM', `${m.name}.${(e as Error).message}`, nodes.value(path))
  }
  return { literal: v }
}

const MAP_SPECS: Record<'bbox' | 'zoom', ParamSpec> = {
  bbox: { name: 'bbox', type: 'bbox', doc: 'w,s,e,n in degrees' },
  zoom: { name: 'zoom', type: 'int', min: 0, max: MAX_MAP_ZOOM, doc: 'tile zoom' },
}

/**
 * `map: { tiles: { bbox, zoom } }` (path: to `tiles`): each a literal or an input reference of its type.
 * Returns the map when both parts are usable, and the columns and rows of its tiles when both are literals.
 */
function checkMap(raw: unknown, path: Path, inputs: ParamSpec[], nodes: Positions, sink: DiagnosticSink): { map?: ChainMap; tiles?: { cols: number; rows: number } } {
  const tiles = isRecord(raw) && isRecord(raw.tiles) ? raw.tiles : undefined
  if (!tiles) return {} // the schema said what is wrong
  const parts: Partial<Record<'bbox' | 'zoom', { literal: unknown; value: number[] } | { ref: string }>> = {}
  for (const field of ['bbox', 'zoom'] as const) {
    const v = tiles[field]
    if (v === undefined) continue
    const spec = MAP_SPECS[field]
    const at = nodes.value([...path, field])
    if (typeof v === 'string' && v.includes('${{')) {
      const ref = REF.exec(v.trim())
      if (!ref) {
        sink.add('E_CHAIN_BAD_PARAM', `"${v}" is not a reference`, at, `write the whole value as \${{ input.NAME }}, NAME an input parameter of type ${spec.type}`)
      } else if (ref[1] === 'tile') {
        sink.add('E_CHAIN_UNKNOWN_INPUT_PARAM', `the tiles a step maps over cannot depend on a tile: \${{ tile.${ref[2]} }} has a value only inside the step's with`, at, `use a literal or \${{ input.NAME }} of type ${spec.type}`)
      } else {
        const ip = inputs.find((p) => p.name === ref[2])
        if (!ip) sink.add('E_CHAIN_UNKNOWN_INPUT_PARAM', `the chain input has no parameter "${ref[2]}"`, at, inputs.length ? didYouMean(ref[2], inputs.map((p) => p.name)).replace('known:', 'input parameters:') : `declare it under input.params, e.g. ${ref[2]}: { type: ${spec.type} }`)
        else if (ip.type !== spec.type) sink.add('E_CHAIN_BAD_PARAM', `map.tiles.${field} is ${spec.type}, but input.${ip.name} is ${ip.type}`, at, `declare input.${ip.name} as type ${spec.type}`)
        else parts[field] = { ref: ref[2] }
      }
      continue
    }
    try {
      const value = parseParam({ name: 'map.tiles' } as Manifest, spec, v)
      if (field === 'bbox' && value[0] > value[2]) {
        sink.add('E_CHAIN_BAD_PARAM', `map.tiles.bbox: west ${value[0]} lies east of east ${value[2]}`, at, 'a map over tiles does not cross the antimeridian: map each side in its own step')
        continue
      }
      parts[field] = { literal: v, value }
    } catch (e) {
      sink.add('E_CHAIN_BAD_PARAM', `map.tiles.${field}: ${(e as Error).message.replace(/^parameter "[^"]*": /, '')}`, at)
    }
  }
  const { bbox, zoom } = parts
  if (!bbox || !zoom) return {}
  const map: ChainMap = { tiles: { bbox: 'ref' in bbox ? { ref: bbox.ref } : { literal: bbox.literal }, zoom: 'ref' in zoom ? { ref: zoom.ref } : { literal: zoom.literal } } }
  if ('ref' in bbox || 'ref' in zoom) return { map }
  const range = tileRange(bbox.value, zoom.value[0])
  if (range.count > MAX_MAP_TILES) {
    sink.add('E_CHAIN_BAD_PARAM', `bbox ${bbox.value.join(',')} at zoom ${zoom.value[0]} covers ${range.count} tiles (${range.x1 - range.x0 + 1} columns × ${range.y1 - range.y0 + 1} rows); a map fans out to at most ${MAX_MAP_TILES}`, nodes.value([...path, 'zoom']), 'lower the zoom or shrink the bbox')
    return {}
  }
  return { map, tiles: { cols: range.x1 - range.x0 + 1, rows: range.y1 - range.y0 + 1 } }
}

/**
 * The faaslets that can gather a mapped step's branches (a variadic last input; associative ones take any
 * number), those that read what the mapped step `of` writes first, only those that take `n` if given.
 */
function gatherers(faaslets: ManifestSource, of?: Manifest | null, n?: number): string {
  const kinds = new Set<string>(of?.outputs.map((o) => o.kind) ?? [])
  const variadic = faaslets.names().map((f) => faaslets.manifest(f)).filter((m) => m.inputs[m.inputs.length - 1]?.variadic && (n === undefined || inputBounds(m).min <= n))
  // same-as-input says nothing here: then every variadic faaslet is listed
  const fitting = variadic.filter((m) => m.inputs[m.inputs.length - 1].kinds.some((k) => kinds.has(k)))
  const list = fitting.length ? fitting : variadic
  const takes = (m: Manifest) => {
    const { min, max } = inputBounds(m)
    return m.associative ? `associative: any number of tiles` : `${min} to ${max} tiles`
  }
  return list.map((m) => `${m.name} (${takes(m)})`).join(', ') || 'none is installed'
}

/** Kahn's order, keeping file order among ready steps; reports each cycle once. */
function topoOrder(edges: number[][], onCycle: (cycle: number[]) => void): number[] {
  const n = edges.length
  const indegree = edges.map((e) => e.length)
  const users: number[][] = edges.map(() => [])
  edges.forEach((deps, i) => deps.forEach((d) => users[d].push(i)))
  const order: number[] = []
  const done = new Set<number>()
  for (;;) {
    const next = [...Array(n).keys()].find((i) => !done.has(i) && indegree[i] === 0)
    if (next === undefined) break
    done.add(next)
    order.push(next)
    users[next].forEach((u) => indegree[u]--)
  }
  if (order.length < n) {
    // walk back along needs from a stuck step until a step repeats: that loop is the cycle
    const stuck = [...Array(n).keys()].filter((i) => !done.has(i))
    let at = stuck[0]
    const path: number[] = []
    while (!path.includes(at)) {
      path.push(at)
      at = edges[at].find((d) => !done.has(d)) ?? at
    }
    const cycle = path.slice(path.indexOf(at)).reverse()
    onCycle(cycle)
    for (const i of stuck) order.push(i)
  }
  return order
}

function suggestConverter(have: RegionKindName[], want: string[], faaslets: ManifestSource): string {
  const bridges = faaslets.names().filter((f) => {
    const m = faaslets.manifest(f)
    return m.inputs[0]?.kinds.some((k) => have.includes(k)) && m.outputs.some((o) => want.includes(o.kind))
  })
  return bridges.length ? `put a step between them that turns ${have.join('|')} into ${want.join('|')}: ${bridges.join(', ')}` : `no faaslet turns ${have.join('|')} into ${want.join('|')}; read from a step that writes ${want.join(' or ')}`
}
