// graticule validate | run | chains: the chain commands.
import { existsSync, readFileSync } from 'node:fs'
import { Catalog } from '../../faaslets/catalog.js'
import { loadChain } from '../../chains/load.js'
import { formatDiagnostic, type Diagnostic } from '../../chains/diagnostics.js'
import { ChainRegistry } from '../../chains/registry.js'
import { runChain } from '../../chains/run.js'
import { parseTileAddress } from '../../faaslets/codecs/mvt.js'
import { Dataplane, type Mode } from '../../dataplane/dataplane.js'
import { fail } from '../../errors/index.js'
import { parseOptions, UsageError } from '../options.js'
import { collectParams } from './params.js'
import { CHAINS_OPTIONS, RUN_OPTIONS, RUN_POSITIONALS, VALIDATE_OPTIONS, VALIDATE_POSITIONALS } from './chains-options.js'
import { inputFormat, outputFormat, readInput, shown, STDIO, writeOutput } from './io.js'

/** One problem as `validate --json` prints it; a file that cannot be read has line and col 0. */
type Problem = Pick<Diagnostic, 'file' | 'line' | 'col' | 'message' | 'hint'> & { code: string }

export async function validateCommand(args: string[]): Promise<number> {
  const { values, positionals: files } = parseOptions(VALIDATE_OPTIONS, args, { positionals: VALIDATE_POSITIONALS })
  const catalog = Catalog.load()
  const problems: Problem[] = []
  const valid: Array<{ file: string; chain: string }> = []
  for (const file of files) {
    let text: string
    try {
      text = readFileSync(file, 'utf8')
    } catch (e) {
      const reason = (e as NodeJS.ErrnoException).code ?? (e as Error).message
      const { code, message } = fail('E_BAD_FORMAT', file, reason === 'ENOENT' ? 'no such file' : reason)
      problems.push({ file, line: 0, col: 0, code, message })
      if (!values.json) console.error(`${file}: cannot read: ${reason}`)
      continue
    }
    const { chain, diagnostics } = loadChain(text, file, catalog)
    if (chain) valid.push({ file, chain: chain.name })
    if (chain && !values.json) console.log(`${file}: ok (${chain.name}: ${chain.steps.map((s) => s.id).join(' → ')})`)
    for (const d of diagnostics) {
      problems.push({ file: d.file, line: d.line, col: d.col, code: d.code, message: d.message, hint: d.hint })
      if (!values.json) console.error(formatDiagnostic(d) + '\n')
    }
  }
  const n = problems.length
  if (values.json) console.log(JSON.stringify({ ok: n === 0, valid, problems }, null, 2))
  else if (n) console.error(`${n} problem${n === 1 ? '' : 's'} in ${files.length} file${files.length === 1 ? '' : 's'}`)
  return n ? 1 : 0
}

export async function chainsCommand(args: string[]): Promise<number> {
  const { values } = parseOptions(CHAINS_OPTIONS, args)
  const registry = new ChainRegistry(Catalog.load())
  const list = registry.list().map(({ chain }) => chain)
  if (values.json) {
    console.log(JSON.stringify(list.map((c) => ({ name: c.name, description: c.description, input: c.input, outputs: c.outputs })), null, 2))
    return 0
  }
  for (const c of list) {
    console.log(`${c.name}  (${c.input.kind} in → ${c.outputs.map((o) => `${o.name}: ${o.as}`).join(', ')})`)
    console.log(`  ${c.description}`)
    console.log(`  steps: ${c.steps.map((s) => `${s.id} (${s.faaslet})`).join(' → ')}`)
    for (const p of c.input.params) console.log(`  --param ${p.name}=<${p.type}${p.values ? `: ${p.values.join('|')}` : ''}>${p.default !== undefined ? ` default ${p.default}` : ' required'}  ${p.doc ?? ''}`)
    console.log('')
  }
  return 0
}

export async function runCommand(args: string[]): Promise<number> {
  const { values, positionals: [ref] } = parseOptions(RUN_OPTIONS, args, { positionals: RUN_POSITIONALS })
  const mode = values.mode as Mode
  const outs = values.out
  if (outs.filter((o) => o === STDIO).length > 1) throw new UsageError('--out - can be given once: there is one stdout')
  if (outs.length > 1 && (values.output !== undefined || values['out-format'] !== undefined)) throw new UsageError('--output and --out-format pick the output for a single --out; several --out take the outputs in order')
  // formats before any work: a usage error should not wait for the dataplane
  const inFormat = inputFormat(values.in, values['in-format'])
  const outFormat = outs.length === 1 && (outs[0] === STDIO || values['out-format'] !== undefined) ? outputFormat(outs[0], values['out-format']) : undefined
  const params: Record<string, string> = collectParams(values.param ?? [])
  const catalog = Catalog.load()
  let chain
  if (ref.endsWith('.yaml') || ref.endsWith('.yml') || existsSync(ref)) {
    const { chain: c, diagnostics } = loadChain(readFileSync(ref, 'utf8'), ref, catalog)
    if (!c) {
      for (const d of diagnostics) console.error(formatDiagnostic(d) + '\n')
      return 1
    }
    chain = c
  } else {
    chain = new ChainRegistry(catalog).get(ref)
  }
  if (chain.input.kind === 'tile' && !('z' in params)) {
    const t = parseTileAddress(values.in.replace(/\.gz$/, ''))
    if (t) Object.assign(params, { z: String(t.z), x: String(t.x), y: String(t.y) })
  }
  const input = await readInput(values.in)
  const dp = await Dataplane.start({ catalog, workers: 1 })
  try {
    const res = await runChain(dp, chain, params, { body: input, format: inFormat }, { mode })
    // one --out picks the output by --output, --out-format or its extension; several take the outputs in order
    if (outs.length === 1) {
      const ext = outs[0].toLowerCase()
      const pick = values.output !== undefined ? res.outputs.find((o) => o.name === values.output)
        : outFormat !== undefined ? res.outputs.find((o) => o.as === outFormat)
        : res.outputs.find((o) => ext.endsWith(o.as === 'grid' ? '.grid.json' : `.${o.as}`)) ?? res.outputs[0]
      if (!pick) throw fail('E_BAD_PARAM', 'output', `chain ${chain.name} has outputs ${res.outputs.map((o) => `${o.name} (${o.as})`).join(', ')}`)
      await writeOutput(outs[0], pick.body)
      console.error(`graticule: ${chain.name} (${mode}) → ${shown(outs[0], 'stdout')} (${pick.name}, ${pick.body.length} bytes) in ${res.invocation.totalMs.toFixed(1)} ms, ${res.invocation.copied.betweenStages} bytes copied between stages`)
    } else {
      for (const [i, o] of res.outputs.entries()) if (outs[i]) await writeOutput(outs[i], o.body)
      console.error(`graticule: ${chain.name} (${mode}) → ${outs.map((o) => shown(o, 'stdout')).join(', ')} in ${res.invocation.totalMs.toFixed(1)} ms`)
    }
  } finally {
    await dp.close()
  }
  return 0
}
