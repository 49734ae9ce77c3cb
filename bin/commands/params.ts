// --param key=value (repeatable) → raw parameters; the manifest or the chain parses the values.
import { UsageError } from '../options.js'

export function collectParams(list: string[]): Record<string, string> {
  const out: Record<string, string> = {}
  for (const item of list) {
    const eq = item.indexOf('=')
    if (eq <= 0) throw new UsageError(`--param expects key=value, got "${item}"`)
    out[item.slice(0, eq).trim()] = item.slice(eq + 1).trim()
  }
  return out
}
