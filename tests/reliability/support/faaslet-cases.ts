// Every faaslet on bad regions, run through the dataplane: a clear input code or output that reads back, and no
// arena bytes left in use afterwards.
import fc from 'fast-check'
import { parseParams, type Manifest, type RawParams } from '../../../faaslets/abi/manifest.js'
import { checkRegion, NAME_BY_KIND } from '../../../faaslets/abi/region.js'
import type { Dataplane } from '../../../dataplane/dataplane.js'
import type { Plan } from '../../../dataplane/plan.js'
import { arbParams } from './faaslet-params.js'
import { codeOf, describeError, FAASLET_INPUT_CODES } from './outcomes.js'
import { arbRegionEdit, arbRegionInput, editRegion, readRegionWithCodecs, readsBack, writeRegionInput, type RegionInput } from './region-inputs.js'

export interface FaasletCase { inputs: RegionInput[]; params: RawParams }

export function arbFaasletCase(m: Manifest): fc.Arbitrary<FaasletCase> {
  const kinds = [...new Set(m.inputs.flatMap((i) => i.kinds))]
  const fixed = m.inputs.filter((i) => !i.variadic).length
  const variadic = m.inputs.some((i) => i.variadic)
  const count = fc.oneof(
    { weight: 8, arbitrary: fc.constant(Math.max(1, fixed)) },
    { weight: variadic ? 4 : 1, arbitrary: fc.integer({ min: 0, max: variadic ? 9 : 2 }) },
  )
  // several inputs: independent ones, or copies of one region each edited a little (fan-in faaslets refuse
  // regions that disagree in size or crs, so copies get past that check to the cell-by-cell work)
  const inputs = (n: number) => fc.oneof(
    fc.array(arbRegionInput(kinds), { minLength: n, maxLength: n }),
    fc.tuple(arbRegionInput(kinds), fc.array(fc.array(arbRegionEdit, { maxLength: 1 }), { minLength: n, maxLength: n }))
      .map(([first, edits]) => edits.map((e) => ({ bytes: editRegion(first.bytes, e), len: first.len }))),
  )
  return fc.record({ inputs: count.chain(inputs), params: arbParams(m) })
}

/** Runs one faaslet on the case through the dataplane (workers, time limit); throws when a rule is broken. */
export async function checkFaasletCase(dp: Dataplane, tenant: string, name: string, c: FaasletCase): Promise<string> {
  const m = dp.catalog.manifest(name)
  const arena = dp.tenant(tenant).arena
  let slots: Float64Array
  try {
    slots = parseParams(m, c.params)
  } catch (e) {
    if (codeOf(e) !== 'E_BAD_PARAM') throw new Error(`${name}: host parameter parsing failed unclearly: ${describeError(e)}`)
    return 'host: E_BAD_PARAM'
  }
  const plan: Plan = {
    name: `fuzz-${name}`, inputCount: c.inputs.length,
    steps: [{ id: name, faaslet: name, params: Array.from(slots), inputs: c.inputs.map((_, i) => ({ input: i })) }],
    outputs: m.outputs.map((_, i) => ({ step: 0, output: i })),
  }
  let outcome = 'ok'
  try {
    const res = await dp.invoke(tenant, plan, (mem) => c.inputs.map((r) => writeRegionInput(mem, r)))
    try {
      for (const d of res.outputs) {
        const dv = new DataView(res.bytes().buffer)
        const kind = checkRegion(dv, d.ptr, d.len).kind
        try {
          readRegionWithCodecs(res.bytes(), d, kind)
        } catch (e) {
          // garbage in, garbage out: a faaslet that copies a section it does not use (reproject copies a
          // features region's string table) passes that section's defect on; the host codec still refuses it
          // clearly. Anything else is the faaslet writing a broken region itself.
          if (codeOf(e) === 'E_BAD_REGION' && c.inputs.some((r) => !readsBack(r, kind))) { outcome = 'ok: malformed section passed through'; continue }
          throw new Error(`${name}: its output ${NAME_BY_KIND[kind]} region does not read back: ${describeError(e)}`)
        }
      }
    } finally {
      res.release()
    }
  } catch (e) {
    if (e instanceof Error && e.message.startsWith(`${name}: its output`)) throw e
    const code = codeOf(e)
    if (!FAASLET_INPUT_CODES.has(code)) throw new Error(`${name}: bad input must end in a clear input error, got ${describeError(e)}`)
    outcome = code
  }
  if (arena.bytesInUse !== 0) throw new Error(`${name}: ${arena.bytesInUse} bytes of the arena still in use after the invocation was released`)
  return outcome
}
