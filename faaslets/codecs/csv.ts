// CSV in: what spreadsheets, GDAL, pandas and databases write, read with csv-parse (RFC 4180 quoting, quoted
// delimiters and newlines, CRLF, a BOM). The delimiter is `,` `;` tab or `|`, sniffed from the header row
// unless given. The coordinate columns are found by name (case-insensitive): lon/lng/long/longitude/x/
// easting and lat/latitude/y/northing. Every other column travels as a property: an empty field is null, a
// field that is a number written the way JavaScript writes it back (so "007" and "1.50" stay text) is a
// number, anything else is its text — so a CSV read and written again holds the same rows and columns
// (the coordinates first, named lon,lat or x,y: a features region keeps coordinates, not their columns).
import { parse } from 'csv-parse/sync'
import { fail } from '../../errors/index.js'
import type { Feature, PropertyValue } from './features.js'

export const CSV_DELIMITERS = [',', ';', '\t', '|'] as const
const X_NAMES = ['lon', 'lng', 'long', 'longitude', 'x', 'easting']
const Y_NAMES = ['lat', 'latitude', 'y', 'northing']

export interface CsvTable {
  /** header names as written */
  columns: string[]
  /** index of the x (longitude) and y (latitude) columns */
  x: number
  y: number
  /** data rows as text, and the line each starts on (for messages) */
  rows: string[][]
  lines: number[]
}

/** The delimiter the header row uses most outside quotes (`,` when it uses none). */
export function sniffDelimiter(text: string): string {
  let inQuotes = false
  const counts = new Map<string, number>()
  for (let i = 0; i < text.length; i++) {
    const c = text[i]
    if (c === '"') inQuotes = !inQuotes
    else if (!inQuotes && (c === '\n' || c === '\r')) break
    else if (!inQuotes && (CSV_DELIMITERS as readonly string[]).includes(c)) counts.set(c, (counts.get(c) ?? 0) + 1)
  }
  let best = ',', most = 0
  for (const d of CSV_DELIMITERS) if ((counts.get(d) ?? 0) > most) { best = d; most = counts.get(d)! }
  return best
}

export function readCsvTable(text: string, delimiter?: string): CsvTable {
  const sep = delimiter === 'tab' ? '\t' : delimiter ?? sniffDelimiter(text.replace(/^\uFEFF/, ''))
  if (!(CSV_DELIMITERS as readonly string[]).includes(sep)) throw fail('E_BAD_PARAM', 'delimiter', `expected one of , ; tab |, got ${JSON.stringify(delimiter)}`)
  let records: { record: string[]; info: { lines: number } }[]
  try {
    records = parse(text, { delimiter: sep, bom: true, info: true, skip_empty_lines: true, relax_column_count: false }) as unknown as typeof records
  } catch (e) {
    const err = e as { lines?: number; column?: number | string; message: string }
    throw fail('E_BAD_CSV', err.lines ?? '?', err.message.replace(/^[^:]*: /, ''))
  }
  if (records.length === 0) throw fail('E_BAD_CSV', 1, 'no header row')
  const columns = records[0].record
  const names = columns.map((c) => c.trim().toLowerCase())
  const find = (wanted: string[]) => {
    for (const w of wanted) {
      const i = names.indexOf(w)
      if (i >= 0) return i
    }
    return -1
  }
  const x = find(X_NAMES), y = find(Y_NAMES)
  if (x < 0 || y < 0) {
    throw fail('E_BAD_CSV', 1, `the header must name an x column (${X_NAMES.join('/')}) and a y column (${Y_NAMES.join('/')}), got ${JSON.stringify(columns.join(sep))}`)
  }
  const rows: string[][] = [], lines: number[] = []
  let line = 2
  for (let r = 1; r < records.length; r++) {
    rows.push(records[r].record)
    // info.lines is the line the record ends on; the next record starts after it
    lines.push(line)
    line = records[r].info.lines + 1
  }
  return { columns, x, y, rows, lines }
}

/** A coordinate field as a number, or a refusal naming the line and column. */
export function coordinate(t: CsvTable, r: number, c: number): number {
  const s = t.rows[r][c].trim()
  const v = s === '' ? NaN : Number(s)
  if (!Number.isFinite(v)) throw fail('E_BAD_CSV', `${t.lines[r]}, column ${c + 1} (${t.columns[c]})`, `a coordinate must be a number, got ${JSON.stringify(t.rows[r][c])}`)
  return v
}

export function propertyValue(s: string): PropertyValue {
  if (s === '') return null
  const n = Number(s)
  return Number.isFinite(n) && String(n) === s ? n : s
}

/**
 * Every row as a Point feature: an `id` column (any case) is its id — a number when written as one, else
 * text; empty = none — and every other column but the coordinates is a property, in column order.
 */
export function csvFeatures(t: CsvTable): Feature[] {
  const idColumn = t.columns.findIndex((c) => c.trim().toLowerCase() === 'id')
  const keep = t.columns.map((_, i) => i).filter((i) => i !== t.x && i !== t.y && i !== idColumn)
  const seen = new Set<string>()
  for (const i of keep) {
    if (seen.has(t.columns[i])) throw fail('E_BAD_CSV', 1, `two columns are named ${JSON.stringify(t.columns[i])}`)
    seen.add(t.columns[i])
  }
  return t.rows.map((row, r) => {
    const properties: Record<string, PropertyValue> = {}
    for (const i of keep) {
      if (t.columns[i] === '__proto__') Object.defineProperty(properties, '__proto__', { value: propertyValue(row[i]), enumerable: true, writable: true, configurable: true })
      else properties[t.columns[i]] = propertyValue(row[i])
    }
    const feature: Feature = { type: 'Feature', geometry: { type: 'Point', coordinates: [coordinate(t, r, t.x), coordinate(t, r, t.y)] }, properties }
    const id = idColumn >= 0 ? propertyValue(row[idColumn]) : null
    if (id !== null) feature.id = id as string | number
    return feature
  })
}
