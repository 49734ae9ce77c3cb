// graticule validate | run | chains: the chain commands.
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { parseArgs } from 'node:util'
import { Catalog } from '../../faaslets/catalog.js'
import { loadChain } from '../../chains/load.js'
import { formatDiagnostic } from '../../chains/diagnostics.js'
import { ChainRegistry } from '../../chains/registry.js'
import { runChain } from '../../chains/run.js'
import { inputFormatFromPath } from '../../faaslets/codecs/boundary.js'
import { parseTileAddress } from '../../faaslets/codecs/mvt.js'
import { Dataplane, MODES, type Mode } from '../../dataplane/dataplane.js'
import { fail } from '../../errors/index.js'
import { collectParams } from './params.js'

export async function validateCommand(args: string[]): Promise<number> {
  const files = args.filter((a) => !a.startsWith('-'))
  if (files.length === 0) throw new Error('usage: graticule validate <chain.yaml>...')
  const catalog = Catalog.load()
  let problems = 0
  for (const file of files) {
    let text: string
    try {
      text = readFileSync(file, 'utf8')
    } catch (e) {
      console.error(`${file}: cannot read: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`)
      problems++
      continue
    }
    const { chain, diagnostics } = loadChain(text, file, catalog)
    if (chain) console.log(`${file}: ok (${chain.name}: ${chain.steps.map((s) => s.id).join(' → ')})`)
    for (const d of diagnostics) console.error(formatDiagnostic(d) + '\n')
    problems += diagnostics.length
  }
  if (problems) console.error(`${problems} problem${problems === 1 ? '' : 's'} in ${files.length} file${files.length === 1 ? '' : 's'}`)
  return problems ? 1 : 0
}

export async function chainsCommand(args: string[]): Promise<number> {
  const registry = new ChainRegistry(Catalog.load())
  const json = args.includes('--json')
  const list = registry.list().map(({ chain }) => chain)
  if (json) {
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
  const { values, positionals } = parseArgs({
    args, allowPositionals: true,
    options: {
      in: { type: 'string' }, out: { type: 'string', multiple: true }, param: { type: 'string', multiple: true, short: 'p' },
      mode: { type: 'string', default: 'shared' }, output: { type: 'string' },
    },
  })
  const ref = positionals[0]
  if (!ref || !values.in || !values.out?.length) throw new Error('usage: graticule run <chain.yaml|name> --in <file> --out <file> [--param key=value]... [--mode shared|copy|http]')
  if (!MODES.includes(values.mode as Mode)) throw fail('E_BAD_PARAM', 'mode', `expected one of ${MODES.join(', ')}`)
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
  const params: Record<string, string> = collectParams(values.param ?? [])
  if (chain.input.kind === 'tile' && !('z' in params)) {
    const t = parseTileAddress(values.in.replace(/\.gz$/, ''))
    if (t) Object.assign(params, { z: String(t.z), x: String(t.x), y: String(t.y) })
  }
  let input: Buffer
  try {
    input = readFileSync(values.in)
  } catch (e) {
    throw fail('E_BAD_FORMAT', values.in, (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message)
  }
  const dp = await Dataplane.start({ catalog, workers: 1 })
  try {
    const res = await runChain(dp, chain, params, input, inputFormatFromPath(values.in), { mode: values.mode as Mode })
    // one --out per output in order, or one --out that picks the output by --output or by its extension
    const outs = values.out
    if (outs.length === 1) {
      const ext = outs[0].toLowerCase()
      const pick = values.output !== undefined
        ? res.outputs.find((o) => o.name === values.output)
        : res.outputs.find((o) => ext.endsWith(o.as === 'grid' ? '.grid.json' : `.${o.as}`)) ?? res.outputs[0]
      if (!pick) throw fail('E_BAD_PARAM', 'output', `chain ${chain.name} has outputs ${res.outputs.map((o) => o.name).join(', ')}`)
      writeFileSync(outs[0], pick.body)
      console.error(`graticule: ${chain.name} (${values.mode}) → ${outs[0]} (${pick.name}, ${pick.body.length} bytes) in ${res.invocation.totalMs.toFixed(1)} ms, ${res.invocation.copied.betweenStages} bytes copied between stages`)
    } else {
      res.outputs.forEach((o, i) => { if (outs[i]) writeFileSync(outs[i], o.body) })
      console.error(`graticule: ${chain.name} (${values.mode}) → ${outs.join(', ')} in ${res.invocation.totalMs.toFixed(1)} ms`)
    }
  } finally {
    await dp.close()
  }
  return 0
}
