// How a fuzz target reports a case. A target's check throws when a case breaks a rule — an error that is not one of the
// registry's clear input codes, a trap, a timeout, a leaked chunk, a 5xx — so fast-check shrinks it to a
// minimal counterexample; it returns the outcome (a code or 'ok') for the tally otherwise.

/** What a faaslet may answer bad input with: a status it returned, or the host refusing on its behalf. */
export const FAASLET_INPUT_CODES = new Set([
  'E_FAASLET_BAD_INPUT_KIND', 'E_FAASLET_MALFORMED_INPUT', 'E_FAASLET_BAD_PARAM', 'E_FAASLET_UNSUPPORTED_CRS',
  'E_FAASLET_TOO_LARGE', 'E_QUOTA_EXCEEDED',
])

/** Counts outcomes per target: a fuzzer that only ever sees one answer is not exploring. */
export class Tally {
  readonly counts = new Map<string, number>()
  cases = 0
  add(outcome: string): string {
    this.cases++
    this.counts.set(outcome, (this.counts.get(outcome) ?? 0) + 1)
    return outcome
  }
  get(outcome: string): number {
    return this.counts.get(outcome) ?? 0
  }
  toString(): string {
    return [...this.counts].sort((a, b) => b[1] - a[1]).map(([k, v]) => `${k} ${v}`).join(', ')
  }
}

export function codeOf(e: unknown): string {
  return e && typeof e === 'object' && 'code' in e && typeof (e as { code: unknown }).code === 'string' ? (e as { code: string }).code : 'NO_CODE'
}

export function describeError(e: unknown): string {
  return `${codeOf(e)}: ${e instanceof Error ? e.message : String(e)}`
}

/** The code an invocation ends with, or 'ok' (its result released). */
export async function invocationCode(p: Promise<{ release(): void }>): Promise<string> {
  try {
    (await p).release()
    return 'ok'
  } catch (e) {
    return codeOf(e)
  }
}
