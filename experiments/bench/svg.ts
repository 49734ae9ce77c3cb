// Small hand-written SVG charts for the bench report, no dependencies: panels of grouped bars (one panel
// per payload size, each with its own linear scale) and panels of horizontal stacked bars.
const FONT = 'font-family="system-ui, -apple-system, Segoe UI, Helvetica, Arial, sans-serif"'

export function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;')
}

const n2 = (v: number) => (Number.isFinite(v) ? Number(v.toFixed(2)) : 0)

/** A readable value: 3 significant digits, k / M for big ones. */
export function short(v: number): string {
  if (!Number.isFinite(v)) return '–'
  const a = Math.abs(v)
  if (a >= 1e6) return `${(v / 1e6).toPrecision(3)}M`
  if (a >= 1e4) return `${(v / 1e3).toPrecision(3)}k`
  if (a >= 100) return v.toFixed(0)
  if (a >= 10) return v.toFixed(1)
  if (a >= 1) return v.toFixed(2)
  return v.toPrecision(2)
}

/** Round axis maximum and ticks (1, 2, 2.5, 5 × 10^k). */
export function niceTicks(max: number, count = 4): number[] {
  if (!(max > 0)) return [0, 1]
  const raw = max / count
  const p = 10 ** Math.floor(Math.log10(raw))
  const step = [1, 2, 2.5, 5, 10].map((m) => m * p).find((s) => s >= raw)!
  const ticks: number[] = []
  for (let t = 0; t <= max + step * 0.999; t += step) ticks.push(Number(t.toPrecision(12)))
  return ticks
}

export interface Series { name: string; color: string }
export interface BarGroup { label: string; values: number[]; colors?: string[] }
export interface BarPanel { title: string; unit: string; groups: BarGroup[] }

interface Frame { width: number; height: number; body: string[] }

function frame(title: string, subtitle: string | undefined, panels: number, panelW: number, panelH: number, legend: Series[], columns = 3): Frame & { cols: number; top: number } {
  const cols = Math.min(columns, Math.max(1, panels))
  const rows = Math.ceil(panels / cols)
  const top = 56 + (legend.length ? 22 : 0)
  const width = cols * panelW + 20
  const height = top + rows * panelH + 10
  const body: string[] = [
    `<rect x="0" y="0" width="${width}" height="${height}" fill="#ffffff"/>`,
    `<text x="14" y="24" font-size="16" font-weight="600" fill="#111">${esc(title)}</text>`,
  ]
  if (subtitle) body.push(`<text x="14" y="42" font-size="11" fill="#555">${esc(subtitle)}</text>`)
  let lx = 14
  for (const s of legend) {
    body.push(`<rect x="${lx}" y="${top - 16}" width="10" height="10" fill="${s.color}"/>`)
    body.push(`<text x="${lx + 14}" y="${top - 7}" font-size="11" fill="#333">${esc(s.name)}</text>`)
    lx += 24 + s.name.length * 6.2
  }
  return { width, height, body, cols, top }
}

function wrap(f: Frame): string {
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${f.width}" height="${f.height}" viewBox="0 0 ${f.width} ${f.height}" ${FONT}>\n${f.body.join('\n')}\n</svg>\n`
}

/** Panels of vertical grouped bars: each group a label on the x axis, each value a bar of its series. */
export function groupedBars(opts: { title: string; subtitle?: string; series: Series[]; panels: BarPanel[]; panelW?: number; panelH?: number; columns?: number }): string {
  const panelW = opts.panelW ?? 300, panelH = opts.panelH ?? 240
  const f = frame(opts.title, opts.subtitle, opts.panels.length, panelW, panelH, opts.series.length > 1 ? opts.series : [], opts.columns)
  opts.panels.forEach((p, k) => {
    const x0 = 10 + (k % f.cols) * panelW, y0 = f.top + Math.floor(k / f.cols) * panelH
    const left = x0 + 44, right = x0 + panelW - 10, top = y0 + 26, bottom = y0 + panelH - 40
    const max = Math.max(0, ...p.groups.flatMap((g) => g.values.filter(Number.isFinite)))
    const ticks = niceTicks(max)
    const ymax = ticks.at(-1)!
    const y = (v: number) => bottom - ((bottom - top) * Math.max(0, v)) / ymax
    f.body.push(`<text x="${left}" y="${y0 + 14}" font-size="12" font-weight="600" fill="#222">${esc(p.title)}</text>`)
    for (const t of ticks) {
      f.body.push(`<line x1="${left}" y1="${n2(y(t))}" x2="${right}" y2="${n2(y(t))}" stroke="#e4e4e4"/>`)
      f.body.push(`<text x="${left - 4}" y="${n2(y(t) + 3)}" font-size="9" text-anchor="end" fill="#666">${esc(short(t))}</text>`)
    }
    f.body.push(`<text x="${x0 + 10}" y="${n2((top + bottom) / 2)}" font-size="9" fill="#666" transform="rotate(-90 ${x0 + 10} ${n2((top + bottom) / 2)})" text-anchor="middle">${esc(p.unit)}</text>`)
    const gw = (right - left) / Math.max(1, p.groups.length)
    p.groups.forEach((g, i) => {
      const bw = Math.min(28, (gw - 8) / Math.max(1, g.values.length))
      const gx = left + i * gw + (gw - bw * g.values.length) / 2
      g.values.forEach((v, s) => {
        const color = g.colors?.[s] ?? opts.series[s]?.color ?? '#888'
        const bx = gx + s * bw
        if (Number.isFinite(v)) {
          f.body.push(`<rect x="${n2(bx)}" y="${n2(y(v))}" width="${n2(bw - 2)}" height="${n2(bottom - y(v))}" fill="${color}"><title>${esc(`${g.label} ${opts.series[s]?.name ?? ''}: ${short(v)} ${p.unit}`)}</title></rect>`)
          f.body.push(`<text x="${n2(bx + (bw - 2) / 2)}" y="${n2(y(v) - 3)}" font-size="8.5" text-anchor="middle" fill="#333">${esc(short(v))}</text>`)
        } else {
          f.body.push(`<text x="${n2(bx + (bw - 2) / 2)}" y="${n2(bottom - 3)}" font-size="8.5" text-anchor="middle" fill="#999">n/a</text>`)
        }
      })
      const cx = n2(left + i * gw + gw / 2)
      const lines = g.label.split('-')
      f.body.push(`<text x="${cx}" y="${bottom + 13}" font-size="9.5" text-anchor="middle" fill="#333">${lines.map((l, j) => `<tspan x="${cx}" dy="${j ? 11 : 0}">${esc(l)}</tspan>`).join('')}</text>`)
    })
    f.body.push(`<line x1="${left}" y1="${bottom}" x2="${right}" y2="${bottom}" stroke="#999"/>`)
  })
  return wrap(f)
}

export interface StackBar { label: string; segments: number[] }
export interface StackPanel { title: string; unit: string; bars: StackBar[] }

/** Panels of horizontal stacked bars (one bar per label, one segment per series), values and % shown. */
export function stackedBars(opts: { title: string; subtitle?: string; series: Series[]; panels: StackPanel[]; panelW?: number; columns?: number }): string {
  const panelW = opts.panelW ?? 360
  const rowH = 24
  const panelH = Math.max(...opts.panels.map((p) => p.bars.length)) * rowH + 62
  const f = frame(opts.title, opts.subtitle, opts.panels.length, panelW, panelH, opts.series, opts.columns)
  opts.panels.forEach((p, k) => {
    const x0 = 10 + (k % f.cols) * panelW, y0 = f.top + Math.floor(k / f.cols) * panelH
    const left = x0 + 92, right = x0 + panelW - 34, top = y0 + 24
    const max = Math.max(0, ...p.bars.map((b) => b.segments.reduce((a, v) => a + (Number.isFinite(v) ? Math.max(0, v) : 0), 0)))
    const ticks = niceTicks(max, 3)
    const xmax = ticks.at(-1)!
    const x = (v: number) => left + ((right - left) * v) / xmax
    f.body.push(`<text x="${x0 + 4}" y="${y0 + 12}" font-size="12" font-weight="600" fill="#222">${esc(p.title)}</text>`)
    const bottom = top + p.bars.length * rowH
    for (const t of ticks) {
      f.body.push(`<line x1="${n2(x(t))}" y1="${top}" x2="${n2(x(t))}" y2="${bottom}" stroke="#e4e4e4"/>`)
      f.body.push(`<text x="${n2(x(t))}" y="${bottom + 12}" font-size="9" text-anchor="middle" fill="#666">${esc(short(t))}</text>`)
    }
    f.body.push(`<text x="${n2((left + right) / 2)}" y="${bottom + 26}" font-size="9" text-anchor="middle" fill="#666">${esc(p.unit)}</text>`)
    p.bars.forEach((b, i) => {
      const by = top + i * rowH + 4
      const total = b.segments.reduce((a, v) => a + (Number.isFinite(v) ? Math.max(0, v) : 0), 0)
      f.body.push(`<text x="${left - 6}" y="${by + 11}" font-size="10" text-anchor="end" fill="#333">${esc(b.label)}</text>`)
      let acc = 0
      b.segments.forEach((v, s) => {
        if (!Number.isFinite(v) || v <= 0) return
        const w = x(acc + v) - x(acc)
        const pct = total > 0 ? (100 * v) / total : 0
        f.body.push(`<rect x="${n2(x(acc))}" y="${by}" width="${n2(Math.max(0.5, w))}" height="${rowH - 8}" fill="${opts.series[s].color}"><title>${esc(`${b.label} ${opts.series[s].name}: ${short(v)} ${p.unit} (${pct.toFixed(0)} %)`)}</title></rect>`)
        if (w > 26) f.body.push(`<text x="${n2(x(acc) + w / 2)}" y="${by + 11}" font-size="8.5" text-anchor="middle" fill="#fff">${pct.toFixed(0)}%</text>`)
        acc += v
      })
      f.body.push(`<text x="${n2(x(acc) + 3)}" y="${by + 11}" font-size="8.5" fill="${total > 0 ? '#333' : '#999'}">${esc(total > 0 ? short(total) : 'n/a')}</text>`)
    })
  })
  return wrap(f)
}
