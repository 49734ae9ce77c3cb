// graticule exec <faaslet> --in <file> --out <file> [--param k=v]...: one faaslet on one file, in-process.
import { readFileSync, writeFileSync } from 'node:fs'
import { parseArgs } from 'node:util'
import { NAME_BY_KIND } from '../../faaslets/abi/region.js'
import { encodeOutput, inputFormatFromPath, outputFormatFromPath, prepareInput, writePrepared } from '../../faaslets/codecs/boundary.js'
import { FORMAT_KINDS } from '../../chains/chain.js'
import { LocalRunner } from '../../dataplane/local-runner.js'
import { fail } from '../../errors/index.js'
import { parseTileAddress } from '../../faaslets/codecs/mvt.js'
import { collectParams } from './params.js'

export async function execCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args, allowPositionals: true,
    options: { in: { type: 'string' }, out: { type: 'string' }, param: { type: 'string', multiple: true, short: 'p' }, output: { type: 'string' }, test: { type: 'boolean' } },
  })
  const name = positionals[0]
  if (!name || !values.in || !values.out) throw new Error('usage: graticule exec <faaslet> --in <file> --out <file> [--param key=value]...')
  const runner = LocalRunner.create({ tenant: 'exec', includeTest: values.test })
  const manifest = runner.modules.manifest(name)
  const params = collectParams(values.param ?? [])
  let input: Buffer
  try {
    input = readFileSync(values.in)
  } catch (e) {
    throw fail('E_BAD_FORMAT', values.in, (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message)
  }
  const inFormat = inputFormatFromPath(values.in)
  const want = manifest.inputs[0].kinds.find((k) => canRead(inFormat, k))
  if (!want) throw fail('E_BAD_FORMAT', values.in, `${name} reads ${manifest.inputs[0].kinds.join('|')}; a ${inFormat} file cannot become one`)
  const tileFromName = parseTileAddress(values.in.replace(/\.gz$/, ''))
  // a tile file named z-x-y.mvt (or z/x/y.mvt) says which tile it is
  if (tileFromName && inFormat === 'mvt' && ['z', 'x', 'y'].every((k) => manifest.params.some((p) => p.name === k) && !(k in params))) {
    Object.assign(params, { z: String(tileFromName.z), x: String(tileFromName.x), y: String(tileFromName.y) })
  }
  const tile = 'z' in params ? { z: Number(params.z), x: Number(params.x), y: Number(params.y) } : tileFromName ?? undefined
  const prepared = await prepareInput(input, inFormat, want, tile)
  const outFormat = outputFormatFromPath(values.out)
  const outIndex = values.output !== undefined
    ? manifest.outputs.findIndex((o) => o.name === values.output)
    : manifest.outputs.findIndex((o) => (o.kind === 'same-as-input' ? [want] : [o.kind]).some((k) => FORMAT_KINDS[outFormat].includes(k)))
  if (outIndex < 0) throw fail('E_BAD_FORMAT', values.out, `${name} writes ${manifest.outputs.map((o) => `${o.name} (${o.kind === 'same-as-input' ? want : o.kind})`).join(', ')}; none can be written as ${outFormat}`)
  const inv = runner.begin()
  try {
    const t0 = performance.now()
    const outs = runner.run(inv, name, [writePrepared(inv.mem, prepared)], params)
    const ms = performance.now() - t0
    const body = encodeOutput(runner.arena.bytes(), outs[outIndex], outFormat)
    writeFileSync(values.out, body)
    const kind = NAME_BY_KIND[new DataView(runner.arena.bytes().buffer).getUint16(outs[outIndex].ptr + 6, true)]
    console.error(`graticule: ${name} ${values.in} → ${values.out} (${kind}, ${body.length} bytes) in ${ms.toFixed(2)} ms`)
  } finally {
    runner.release(inv)
  }
  return 0
}

function canRead(format: string, kind: string): boolean {
  const ok: Record<string, string[]> = { mvt: ['mvt'], geojson: ['features', 'points'], csv: ['points'], ndjson: ['points'], grid: ['grid'], png: ['image'] }
  return ok[format]?.includes(kind) ?? false
}

