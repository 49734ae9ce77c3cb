// Writing benchmark results: a JSON file with everything, and a Markdown table next to it.
import { mkdirSync, writeFileSync } from 'node:fs'
import { hostname } from 'node:os'
import { join } from 'node:path'
import { ROOT } from '../../faaslets/catalog.js'
import { machine, machineLine, type Machine } from './measure.js'

export const RESULTS_DIR = join(ROOT, 'experiments', 'results')

export function resultName(kind: string, m: Machine = machine()): string {
  const host = hostname().replace(/[^a-zA-Z0-9-]/g, '').slice(0, 24) || 'host'
  return `${m.date.slice(0, 10)}-${host}-${kind}`
}

export interface Written {
  json: string
  markdown: string
}

export function writeResults(kind: string, data: unknown, markdown: string, dir = RESULTS_DIR): Written {
  mkdirSync(dir, { recursive: true })
  const m = machine()
  const base = join(dir, resultName(kind, m))
  writeFileSync(`${base}.json`, JSON.stringify({ machine: m, ...((data as object) ?? {}) }, null, 2) + '\n')
  writeFileSync(`${base}.md`, `${markdown.trim()}\n\nMachine: ${machineLine(m)}\n`)
  // a stable name for the README and the newest run
  writeFileSync(join(dir, `latest-${kind}.md`), `${markdown.trim()}\n\nMachine: ${machineLine(m)}\n`)
  writeFileSync(join(dir, `latest-${kind}.json`), JSON.stringify({ machine: m, ...((data as object) ?? {}) }, null, 2) + '\n')
  return { json: `${base}.json`, markdown: `${base}.md` }
}

export function table(head: string[], rows: Array<Array<string | number>>): string {
  const line = (cells: Array<string | number>) => `| ${cells.map(String).join(' | ')} |`
  return [line(head), line(head.map(() => '---')), ...rows.map(line)].join('\n')
}
