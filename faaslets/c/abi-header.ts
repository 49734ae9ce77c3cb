// graticule-abi.h, the C view of faaslets/abi/layout.ts: one `#define GR_<NAME> <value>` per constant, in
// layout.ts's order, with the values the host itself uses (read from the compiled module, not re-parsed),
// so C, AssemblyScript and the host cannot disagree. faaslets/c/build.ts regenerates it before compiling
// and refuses a stale copy when it has to fall back on the prebuilt module.
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import * as layout from '../abi/layout.js'
import { ROOT } from '../catalog.js'

export const HEADER_PATH = join(ROOT, 'faaslets/c/include/graticule-abi.h')

export function abiHeader(): string {
  const source = readFileSync(join(ROOT, 'faaslets/abi/layout.ts'), 'utf8')
  const values = layout as unknown as Record<string, number>
  const lines: string[] = []
  for (const m of source.matchAll(/^export const ([A-Z0-9_]+) = ([^;]+);/gm)) {
    const [, name, literal] = m
    const value = values[name]
    if (!Number.isInteger(value)) throw new Error(`layout.ts: ${name} is not an integer constant`)
    // keep hex where layout.ts writes hex (magics read better that way); unsigned where it needs 32 bits
    const text = /^0x/i.test(literal.trim()) ? `0x${value.toString(16)}u` : value > 0x7fffffff ? `${value}u` : String(value)
    lines.push(`#define GR_${name} ${text}`)
  }
  const declared = Object.keys(values).filter((k) => typeof values[k] === 'number')
  if (lines.length !== declared.length) throw new Error(`layout.ts: parsed ${lines.length} constants, the module exports ${declared.length}`)
  return [
    '/* Generated from faaslets/abi/layout.ts by faaslets/c/abi-header.ts: do not edit. */',
    '#ifndef GRATICULE_ABI_H',
    '#define GRATICULE_ABI_H',
    ...lines,
    '#endif',
    '',
  ].join('\n')
}
