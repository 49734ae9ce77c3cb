// The shape of a chain file (JSON Schema, checked with ajv); meaning is checked in validate.ts.
// chains/README.md documents every field with an annotated example.

const NAME = '^[a-z0-9][a-z0-9-]{0,62}$'
const STEP_ID = '^[a-z][a-z0-9_-]{0,62}$'

const paramSpec = {
  type: 'object',
  additionalProperties: false,
  required: ['type'],
  properties: {
    type: { enum: ['int', 'number', 'bool', 'enum', 'crs', 'bbox'] },
    default: {},
    min: { type: 'number' },
    max: { type: 'number' },
    values: { type: 'array', items: { type: 'string' }, minItems: 1 },
    doc: { type: 'string' },
  },
}

const outputSpec = {
  type: 'object',
  additionalProperties: false,
  required: ['step', 'as'],
  properties: {
    name: { type: 'string', pattern: STEP_ID },
    step: { type: 'string', minLength: 1 },
    as: { enum: ['png', 'geojson', 'grid', 'tiff', 'mvt', 'csv', 'region'] },
  },
}

export const chainSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['name', 'input', 'steps', 'output'],
  properties: {
    name: { type: 'string', pattern: NAME },
    description: { type: 'string' },
    input: {
      type: 'object',
      additionalProperties: false,
      required: ['kind'],
      properties: {
        kind: { enum: ['tile', 'points', 'features'] },
        params: { type: 'object', propertyNames: { pattern: '^[a-z][a-zA-Z0-9_]{0,31}$' }, additionalProperties: paramSpec },
      },
    },
    steps: {
      type: 'array',
      minItems: 1,
      maxItems: 64,
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['id', 'uses'],
        properties: {
          id: { type: 'string', pattern: STEP_ID },
          uses: { type: 'string', pattern: '^[a-z0-9][a-z0-9-]*(@[0-9A-Za-z.+-]+)?$' },
          with: { type: 'object' },
          needs: { anyOf: [{ type: 'string' }, { type: 'array', items: { type: 'string' }, minItems: 1, maxItems: 8 }] },
          description: { type: 'string' },
          map: {
            type: 'object',
            additionalProperties: false,
            required: ['tiles'],
            properties: {
              // the Web Mercator tiles (XYZ, rows from the top) at `zoom` that the lon/lat `bbox` touches;
              // values are literals or whole-value ${{ input.NAME }} references, checked in load.ts
              tiles: { type: 'object', additionalProperties: false, required: ['bbox', 'zoom'], properties: { bbox: {}, zoom: {} } },
            },
          },
        },
      },
    },
    output: { anyOf: [outputSpec, { type: 'array', items: outputSpec, maxItems: 4 }] }, // [] is E_CHAIN_NO_OUTPUT
  },
}
