// graticule exec <faaslet> --in <file|-> --out <file|-> [--param k=v]...: one faaslet on one file, in-process.
// The file becomes the faaslet's input region with nothing dropped (features whole when the faaslet reads
// features; as points, with what points cannot hold carried beside them), or the call is refused.
import { writeFileSync } from 'node:fs'
import { NAME_BY_KIND } from '../../faaslets/abi/region.js'
import * as L from '../../faaslets/abi/layout.js'
import { carriedOf, encodeOutput, parseInputOptions, prepareInput, writePrepared } from '../../faaslets/codecs/boundary.js'
import { FORMAT_KINDS } from '../../chains/chain.js'
import { LocalRunner } from '../../dataplane/local-runner.js'
import { fail } from '../../errors/index.js'
import { parseTileAddress } from '../../faaslets/codecs/mvt.js'
import { parseOptions, UsageError } from '../options.js'
import { collectParams } from './params.js'
import { EXEC_OPTIONS, EXEC_POSITIONALS } from './exec-options.js'
import { inputFormat, outputFormat, readInput, shown, STDIO, writeOutput } from './io.js'
import { auxXml, placeRegion, worldFile, worldFilePath } from '../../faaslets/codecs/world-file.js'

export async function execCommand(args: string[]): Promise<number> {
  const { values, positionals: [name] } = parseOptions(EXEC_OPTIONS, args, { positionals: EXEC_POSITIONALS })
  if (values['world-file'] && values.out === STDIO) throw new UsageError('--world-file writes files beside --out, so --out cannot be -')
  // both formats before any work: a usage error should not wait for a faaslet
  const inFormat = inputFormat(values.in, values['in-format'])
  const outFormat = outputFormat(values.out, values['out-format'])
  const params = collectParams(values.param ?? [])
  const runner = LocalRunner.create({ tenant: 'exec', includeTest: values.test })
  const manifest = runner.modules.manifest(name)
  const input = await readInput(values.in)
  // features carry everything a file holds; points only coordinates, weight and id (the rest rides beside)
  const kinds = [...manifest.inputs[0].kinds].sort((a, b) => Number(b === 'features') - Number(a === 'features'))
  // a .region file is one kind already: the header says which
  const regionKind = inFormat === 'region' && input.length >= L.HEADER_SIZE ? NAME_BY_KIND[input.readUInt16LE(L.HDR_KIND)] : undefined
  const want = regionKind !== undefined ? kinds.find((k) => k === regionKind) : kinds.find((k) => canRead(inFormat, k))
  if (!want) throw fail('E_BAD_FORMAT', values.in, `${name} reads ${manifest.inputs[0].kinds.join('|')}; a ${inFormat} file cannot become one`)
  const tileFromName = parseTileAddress(values.in.replace(/\.gz$/, ''))
  // a tile file named z-x-y.mvt (or z/x/y.mvt) says which tile it is
  if (tileFromName && inFormat === 'mvt' && ['z', 'x', 'y'].every((k) => manifest.params.some((p) => p.name === k) && !(k in params))) {
    Object.assign(params, { z: String(tileFromName.z), x: String(tileFromName.x), y: String(tileFromName.y) })
  }
  const tile = 'z' in params ? { z: Number(params.z), x: Number(params.x), y: Number(params.y) } : tileFromName ?? undefined
  const options = parseInputOptions({ crs: values.crs ?? params.from, geometry: values.geometry, delimiter: values.delimiter }, values.crs !== undefined ? 'crs' : 'from')
  // a faaslet that decides this itself (cluster reads features) takes --geometry as its own parameter
  const own = manifest.params.find((p) => p.name === 'geometry' && p.values?.includes(options.geometry ?? ''))
  if (own && !('geometry' in params)) params.geometry = options.geometry!
  const prepared = await prepareInput(input, inFormat, want, { tile, ...options })
  const outIndex = values.output !== undefined
    ? manifest.outputs.findIndex((o) => o.name === values.output)
    : manifest.outputs.findIndex((o) => (o.kind === 'same-as-input' ? [want] : [o.kind]).some((k) => FORMAT_KINDS[outFormat].includes(k)))
  if (outIndex < 0) throw fail('E_BAD_FORMAT', values.out, `${name} writes ${manifest.outputs.map((o) => `${o.name} (${o.kind === 'same-as-input' ? want : o.kind})`).join(', ')}; none can be written as ${outFormat}`)
  const inv = runner.begin()
  try {
    const t0 = performance.now()
    const outs = runner.run(inv, name, [writePrepared(inv.mem, prepared)], params)
    const ms = performance.now() - t0
    const body = encodeOutput(runner.arena.bytes(), outs[outIndex], outFormat, { carried: carriedOf(prepared), rfc7946: values.rfc7946 })
    await writeOutput(values.out, body)
    if (values['world-file']) {
      // where the raster lies, beside it, as GDAL's WORLDFILE=YES writes it (plus the CRS GDAL reads from .aux.xml)
      const place = placeRegion(runner.arena.bytes(), outs[outIndex])
      writeFileSync(worldFilePath(values.out), worldFile(place.extent, place.width, place.height))
      const aux = auxXml(place.crs)
      if (aux) writeFileSync(`${values.out}.aux.xml`, aux)
    }
    const kind = NAME_BY_KIND[new DataView(runner.arena.bytes().buffer).getUint16(outs[outIndex].ptr + 6, true)]
    console.error(`graticule: ${name} ${shown(values.in, 'stdin')} → ${shown(values.out, 'stdout')} (${kind}, ${body.length} bytes) in ${ms.toFixed(2)} ms`)
  } finally {
    runner.release(inv)
  }
  return 0
}

function canRead(format: string, kind: string): boolean {
  const ok: Record<string, string[]> = { mvt: ['mvt'], geojson: ['features', 'points'], csv: ['features', 'points'], ndjson: ['points'], grid: ['grid'], png: ['image'] }
  return ok[format]?.includes(kind) ?? false
}

