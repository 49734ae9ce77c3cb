// Calls one faaslet instance: writes the invocation context, runs gr_run, turns its status or trap into
// a typed error, and checks every output region before anyone downstream reads it.
import * as L from '../faaslets/abi/layout.js'
import type { Manifest } from '../faaslets/abi/manifest.js'
import { checkRegion, KIND_BY_NAME, NAME_BY_KIND, type Descriptor } from '../faaslets/abi/region.js'
import { fail, GraticuleError, type ErrorCode } from '../errors/index.js'
import type { InvocationHeap } from './allocator.js'
import type { FaasletInstance } from './faaslet-instance.js'

const STATUS_ERRORS: Record<number, ErrorCode> = {
  [L.STATUS_BAD_INPUT_KIND]: 'E_FAASLET_BAD_INPUT_KIND',
  [L.STATUS_MALFORMED_INPUT]: 'E_FAASLET_MALFORMED_INPUT',
  [L.STATUS_BAD_PARAM]: 'E_FAASLET_BAD_PARAM',
  [L.STATUS_UNSUPPORTED_CRS]: 'E_FAASLET_UNSUPPORTED_CRS',
  [L.STATUS_TOO_LARGE]: 'E_FAASLET_TOO_LARGE',
  [L.STATUS_INTERNAL]: 'E_FAASLET_INTERNAL',
}

/** The codes a faaslet refuses its input with: the same input is refused again on every try (not INTERNAL: a bug). */
export const INPUT_REFUSALS: ReadonlySet<string> = new Set(Object.entries(STATUS_ERRORS).filter(([s]) => Number(s) !== L.STATUS_INTERNAL).map(([, code]) => code))

const decoder = new TextDecoder()

function readMessage(bytes: Uint8Array, ctx: number): string {
  const dv = new DataView(bytes.buffer, bytes.byteOffset)
  const n = Math.min(dv.getUint32(ctx + L.CTX_MESSAGE_LENGTH, true), L.CTX_MESSAGE_MAX)
  // TextDecoder refuses views on shared memory: copy the (at most 256) message bytes out first
  return decoder.decode(bytes.slice(ctx + L.CTX_MESSAGE, ctx + L.CTX_MESSAGE + n))
}

export function invokeFaaslet(
  inst: FaasletInstance,
  manifest: Manifest,
  heap: InvocationHeap,
  inputs: Descriptor[],
  params: Float64Array,
): Descriptor[] {
  if (inputs.length > L.CTX_MAX_INPUTS) throw fail('E_FAASLET_BAD_INPUT_KIND', manifest.name, `${inputs.length} inputs, the ABI allows ${L.CTX_MAX_INPUTS}`)
  const arena = inst.arena
  const ctx = heap.alloc(L.CTX_BYTES, 16)
  let dv = arena.view()
  new Uint8Array(dv.buffer, ctx, L.CTX_BYTES).fill(0)
  dv.setUint32(ctx + L.CTX_MAGIC_OFF, L.CTX_MAGIC, true)
  dv.setUint32(ctx + L.CTX_ABI_VERSION, L.ABI_VERSION, true)
  dv.setUint32(ctx + L.CTX_INPUT_COUNT, inputs.length, true)
  dv.setUint32(ctx + L.CTX_PARAM_COUNT, params.length, true)
  inputs.forEach((d, i) => {
    dv.setUint32(ctx + L.CTX_INPUTS + i * 8, d.ptr, true)
    dv.setUint32(ctx + L.CTX_INPUTS + i * 8 + 4, d.len, true)
  })
  for (let i = 0; i < params.length; i++) dv.setFloat64(ctx + L.CTX_PARAMS + i * 8, params[i], true)

  inst.heap = heap
  let status: number
  try {
    status = inst.run(ctx)
  } catch (e) {
    inst.broken = true
    if (e instanceof GraticuleError) throw e // from graticule.alloc: quota, arena exhausted
    const note = readMessage(arena.bytes(), ctx)
    const what = e instanceof Error ? e.message : String(e)
    throw fail('E_FAASLET_TRAP', manifest.name, note ? `${what}: ${note}` : what)
  } finally {
    inst.heap = null
  }
  dv = arena.view()
  if (status !== L.STATUS_OK) {
    const code = STATUS_ERRORS[status] ?? 'E_FAASLET_INTERNAL'
    throw fail(code, manifest.name, readMessage(arena.bytes(), ctx) || `status ${status}`)
  }
  const n = dv.getUint32(ctx + L.CTX_OUTPUT_COUNT, true)
  if (n !== manifest.outputs.length) throw fail('E_FAASLET_BAD_OUTPUT', manifest.name, `${n} outputs, manifest declares ${manifest.outputs.length}`)
  const outputs: Descriptor[] = []
  for (let i = 0; i < n; i++) {
    const d = { ptr: dv.getUint32(ctx + L.CTX_OUTPUTS + i * 8, true), len: dv.getUint32(ctx + L.CTX_OUTPUTS + i * 8 + 4, true) }
    let kind: number
    try {
      kind = checkRegion(dv, d.ptr, d.len).kind
    } catch (e) {
      throw fail('E_FAASLET_BAD_OUTPUT', manifest.name, (e as Error).message)
    }
    const declared = manifest.outputs[i].kind
    const want = declared === 'same-as-input' ? dv.getUint16(inputs[0].ptr + L.HDR_KIND, true) : KIND_BY_NAME[declared]
    if (kind !== want) throw fail('E_FAASLET_BAD_OUTPUT', manifest.name, `output ${i} is ${NAME_BY_KIND[kind]}, manifest says ${declared === 'same-as-input' ? NAME_BY_KIND[want] : declared}`)
    outputs.push(d)
  }
  return outputs
}
