// The JSON Schema of a faaslet manifest (manifest.ts has the types): checked for every deployed module.
import { Ajv } from 'ajv'
import { STATIC_SLOT_COUNT, STATIC_SLOT_FIRST, CTX_MAX_INPUTS, CTX_MAX_OUTPUTS } from './layout.js'

const KINDS = ['mvt', 'points', 'features', 'clusters', 'grid', 'image']

export const manifestSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['name', 'version', 'description', 'slot', 'inputs', 'outputs', 'params'],
  properties: {
    name: { type: 'string', pattern: '^[a-z][a-z0-9-]{0,62}$' },
    version: { type: 'string', pattern: '^[0-9]+\\.[0-9]+\\.[0-9]+([-+][0-9A-Za-z.-]+)?$' },
    description: { type: 'string', maxLength: 4000 },
    slot: { type: 'integer', minimum: STATIC_SLOT_FIRST, maximum: STATIC_SLOT_FIRST + STATIC_SLOT_COUNT - 1 },
    timeLimitMs: { type: 'integer', minimum: 1, maximum: 600_000 },
    associative: { type: 'boolean' },
    inputs: {
      type: 'array', minItems: 1, maxItems: CTX_MAX_INPUTS,
      items: {
        type: 'object', additionalProperties: false, required: ['name', 'kinds'],
        properties: { name: { type: 'string' }, kinds: { type: 'array', minItems: 1, items: { enum: KINDS } }, variadic: { type: 'boolean' } },
      },
    },
    outputs: {
      type: 'array', minItems: 1, maxItems: CTX_MAX_OUTPUTS,
      items: {
        type: 'object', additionalProperties: false, required: ['name', 'kind'],
        properties: { name: { type: 'string' }, kind: { enum: [...KINDS, 'same-as-input'] } },
      },
    },
    params: {
      type: 'array', maxItems: 16,
      items: {
        type: 'object', additionalProperties: false, required: ['name', 'type', 'doc'],
        properties: {
          name: { type: 'string', pattern: '^[a-zA-Z][a-zA-Z0-9_]{0,31}$' },
          type: { enum: ['int', 'number', 'bool', 'enum', 'crs', 'bbox'] },
          doc: { type: 'string' },
          default: {},
          min: { type: 'number' },
          max: { type: 'number' },
          values: { type: 'array', items: { type: 'string' }, minItems: 1 },
          crsRanges: { type: 'array', items: { type: 'array', items: { type: 'integer' }, minItems: 2, maxItems: 2 } },
        },
      },
    },
  },
}

const ajv = new Ajv({ allErrors: true, strict: false })
export const checkManifestShape = ajv.compile(manifestSchema)

/** Problems with a manifest's shape (and what its shape promises), as sentences. */
export function manifestProblems(m: unknown): string[] {
  if (!checkManifestShape(m)) {
    return (checkManifestShape.errors ?? []).map((e) => `${e.instancePath || '(manifest)'} ${e.message}${e.params && 'additionalProperty' in e.params ? ` "${(e.params as { additionalProperty: string }).additionalProperty}"` : ''}`)
  }
  return associativeProblems(m as Parameters<typeof associativeProblems>[0])
}

/**
 * An associative faaslet gathers gathers: a chain feeds its first output back into its variadic input
 * (a tree of gathers, chains/bind.ts), so it must have a variadic last input that reads that output's kind.
 */
export function associativeProblems(m: { associative?: boolean; inputs: Array<{ kinds: string[]; variadic?: boolean }>; outputs: Array<{ kind: string }> }): string[] {
  if (!m.associative) return []
  const last = m.inputs[m.inputs.length - 1]
  if (!last?.variadic) return ['/associative an associative faaslet gathers any number of regions: its last input must be variadic']
  const out = m.outputs[0].kind
  if (out !== 'same-as-input' && !last.kinds.includes(out)) return [`/associative an associative faaslet reads its own output back: its variadic input takes ${last.kinds.join('|')}, its first output is ${out}`]
  return []
}
