// What the chain boundary costs per request, measured directly (in one thread, no load): parsing the body
// into the input region, and encoding each output of the chain. The gateway's invoke route encodes every
// output of a chain (chains/run.ts) even though it returns one, so all of them count.
import { Arena, createArenaHandles } from '../../dataplane/arena.js'
import { LocalRunner } from '../../dataplane/local-runner.js'
import { runSegment } from '../../dataplane/segment.js'
import { isStepRef } from '../../dataplane/plan.js'
import { ChainRegistry } from '../../chains/registry.js'
import { Catalog } from '../../faaslets/catalog.js'
import { encodeOutput, prepareInput, writePrepared, type InputFormat } from '../../faaslets/codecs/boundary.js'
import { measure, measureAsync, type Stats } from '../lib/measure.js'
import { chainCase } from '../hop/inputs.js'
import type { ChainName } from './matrix.js'

export interface BoundaryRow {
  chain: ChainName
  points: number
  /** body → prepared input → region written (ms) */
  input: Stats
  /** each output, encoded as the chain declares it (ms); `returned` marks the one the benchmark asks for */
  outputs: Array<{ name: string; as: string; returned: boolean; encode: Stats; bytes: number }>
}

export async function boundaryCosts(chain: ChainName, points: number, body: Uint8Array, format: InputFormat, returned: string, runs: number): Promise<BoundaryRow> {
  const catalog = Catalog.load()
  const runner = new LocalRunner(catalog, new Arena(createArenaHandles({ tenant: 'bench-boundary' })))
  const c = await chainCase(catalog, chain, points)
  const spec = new ChainRegistry(catalog, null).get(chain)
  const want = chain === 'tile-heatmap' ? 'mvt' : 'points'
  const tile = chain === 'tile-heatmap' ? { z: 0, x: 0, y: 0 } : undefined
  const inputMs = await measureAsync(async () => {
    const p = await prepareInput(body, format, want, { tile })
    const inv = runner.begin()
    writePrepared(inv.mem, p)
    runner.release(inv)
  }, { runs, warmup: 2 })
  const inv = runner.begin()
  const input = writePrepared(inv.mem, await prepareInput(body, format, want, { tile }))
  const known = c.plan.steps.map(() => null)
  runSegment(runner, inv, c.plan, c.plan.steps.map((_, i) => i), [input], known)
  const outputs = spec.outputs.map((o, i) => {
    const r = c.plan.outputs[i]
    const d = isStepRef(r) ? known[r.step]![r.output] : input
    const bytes = runner.arena.bytes()
    return { name: o.name, as: o.as, returned: o.name === returned, encode: measure(() => encodeOutput(bytes, d, o.as), { runs, warmup: 2 }), bytes: encodeOutput(bytes, d, o.as).byteLength }
  })
  runner.release(inv)
  return { chain, points, input: inputMs, outputs }
}
