// A problem found in a chain file, with where it is and what would be valid, and its rendering:
//
//   chains/x.yaml:12:11: E_CHAIN_UNKNOWN_FAASLET unknown faaslet "clustr"
//      12 |     uses: clustr
//         |           ^^^^^^
//      = did you mean "cluster"? known: cluster, heatmap, mvt-decode, reproject

export type DiagnosticCode =
  | 'E_CHAIN_TOO_LARGE' | 'E_CHAIN_YAML' | 'E_CHAIN_DUPLICATE_KEY' | 'E_CHAIN_ALIASES' | 'E_CHAIN_SCHEMA'
  | 'E_CHAIN_UNKNOWN_FAASLET' | 'E_CHAIN_UNKNOWN_PARAM' | 'E_CHAIN_BAD_PARAM' | 'E_CHAIN_MISSING_PARAM'
  | 'E_CHAIN_UNKNOWN_INPUT_PARAM' | 'E_CHAIN_KIND_MISMATCH' | 'E_CHAIN_INPUT_COUNT' | 'E_CHAIN_CYCLE'
  | 'E_CHAIN_UNREACHABLE' | 'E_CHAIN_NO_OUTPUT' | 'E_CHAIN_UNKNOWN_STEP' | 'E_CHAIN_DUPLICATE_STEP'
  | 'E_CHAIN_BAD_OUTPUT' | 'E_CHAIN_BAD_INPUT_PARAM'

export interface Diagnostic {
  code: DiagnosticCode
  message: string
  /** what would be valid */
  hint?: string
  file: string
  line: number
  col: number
  /** characters to underline */
  length: number
  /** the source line */
  source: string
}

/** Turns byte ranges into line/column diagnostics for one file. */
export class DiagnosticSink {
  readonly list: Diagnostic[] = []
  private readonly lines: string[]
  /** offset of the first character of each line: positions come from the text itself, not from the
   *  parser's line counter, which loses lines while it recovers from a syntax error */
  private readonly starts: number[] = [0]

  constructor(readonly file: string, readonly text: string) {
    this.lines = text.split(/\r?\n/)
    for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 10) this.starts.push(i + 1)
  }

  private linePos(offset: number): { line: number; col: number } {
    let lo = 0, hi = this.starts.length - 1
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1
      if (this.starts[mid] <= offset) lo = mid
      else hi = mid - 1
    }
    return { line: lo + 1, col: offset - this.starts[lo] + 1 }
  }

  add(code: DiagnosticCode, message: string, range: [number, number] | readonly number[] | undefined | null, hint?: string): void {
    const start = range?.[0] ?? 0
    const end = Math.max(start + 1, range?.[1] ?? start + 1)
    const { line, col } = this.linePos(Math.min(start, this.text.length))
    const source = this.lines[line - 1] ?? ''
    const length = Math.max(1, Math.min(end - start, source.length - col + 1))
    this.list.push({ code, message, hint, file: this.file, line, col, length, source })
  }
}

export function formatDiagnostic(d: Diagnostic): string {
  const n = String(d.line)
  const pad = ' '.repeat(n.length)
  const out = [
    `${d.file}:${d.line}:${d.col}: ${d.code} ${d.message}`,
    ` ${n} | ${d.source}`,
    ` ${pad} | ${' '.repeat(Math.max(0, d.col - 1))}${'^'.repeat(d.length)}`,
  ]
  if (d.hint) out.push(` ${pad} = ${d.hint}`)
  return out.join('\n')
}

/** The closest name by edit distance, if close enough to be a likely typo. */
export function suggest(name: string, known: string[]): string | undefined {
  let best: string | undefined
  let bestDistance = Infinity
  for (const k of known) {
    const d = editDistance(name.toLowerCase(), k.toLowerCase())
    if (d < bestDistance) {
      bestDistance = d
      best = k
    }
  }
  return best !== undefined && bestDistance <= Math.max(2, Math.floor(name.length / 3)) ? best : undefined
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i)
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0]
    row[0] = i
    for (let j = 1; j <= b.length; j++) {
      const tmp = row[j]
      row[j] = Math.min(row[j] + 1, row[j - 1] + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1))
      prev = tmp
    }
  }
  return row[b.length]
}

export function didYouMean(name: string, known: string[]): string {
  const s = suggest(name, known)
  return `${s ? `did you mean "${s}"? ` : ''}known: ${known.join(', ')}`
}
