// graticule faaslets: the faaslets this installation knows, with inputs, outputs and parameters.
import { describeParam } from '../../faaslets/abi/manifest.js'
import { Catalog } from '../../faaslets/catalog.js'
import { freeSlots } from '../../faaslets/deploy.js'
import { parseOptions } from '../options.js'
import { FAASLETS_OPTIONS } from './faaslets-options.js'

export async function faasletsCommand(args: string[]): Promise<number> {
  const { values } = parseOptions(FAASLETS_OPTIONS, args)
  const catalog = Catalog.load({ includeTest: values.test })
  if (values.slots) {
    console.log(`free static slots (data base = slot × 131072): ${freeSlots(catalog).join(', ')}`)
    return 0
  }
  if (values.json) {
    console.log(JSON.stringify(catalog.list().map((e) => e.manifest), null, 2))
    return 0
  }
  for (const { manifest: m } of catalog.list()) {
    const ins = m.inputs.map((i) => `${i.name}: ${i.kinds.join('|')}${i.variadic ? '…' : ''}`).join(', ')
    const outs = m.outputs.map((o) => `${o.name}: ${o.kind}`).join(', ')
    console.log(`${m.name}@${m.version}  (${ins}) -> (${outs})`)
    console.log(`  ${m.description}`)
    for (const p of m.params) {
      const dflt = p.default === undefined ? 'required' : `default ${Array.isArray(p.default) ? p.default.join(',') : p.default}`
      console.log(`  --param ${p.name}=<${describeParam(p)}>  ${dflt}  ${p.doc}`)
    }
    console.log('')
  }
  return 0
}
