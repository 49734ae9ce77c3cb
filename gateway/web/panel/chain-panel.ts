// The chain in use: a switch between the ways the heatmap is made, and the chain's YAML as the gateway
// stores it (GET /chains/<name>), read-only.
export type Mode = 'live-server' | 'live-browser' | 'file-tile' | 'file-points'

export const MODE_CHAIN: Record<Mode, string> = {
  'live-server': 'points-heatmap', 'live-browser': 'points-heatmap', 'file-tile': 'tile-heatmap', 'file-points': 'points-heatmap',
}

const NOTES: Record<Mode, string> = {
  'live-server': 'Tiles from /live/heatmap, computed by the gateway per window; clusters from /live/clusters, hexagons from /live/hexagons.',
  'live-browser': 'The window\'s points (/live/window.region) in this page\'s shared arena; heatmap tiles, clusters (points-clusters) and hexagons (sensor-hexagons) computed by the same .wasm in Web Workers.',
  'file-tile': 'The dropped vector tile through decode → reproject → cluster → heatmap, in Web Workers.',
  'file-points': 'The dropped points: heatmap tiles (points-heatmap), clusters (points-clusters) and hexagons (sensor-hexagons), in Web Workers.',
}

export class ChainPanel {
  private readonly select = document.getElementById('mode') as HTMLSelectElement
  private readonly yaml = new Map<string, Promise<string>>()

  constructor(onChange: (mode: Mode) => void) {
    this.select.addEventListener('change', () => onChange(this.select.value as Mode))
  }

  get mode(): Mode { return this.select.value as Mode }

  enable(mode: Mode, on = true): void {
    const opt = this.select.querySelector<HTMLOptionElement>(`option[value="${mode}"]`)!
    opt.disabled = !on
  }

  async show(mode: Mode): Promise<void> {
    this.select.value = mode
    document.getElementById('chain-note')!.textContent = NOTES[mode]
    const name = MODE_CHAIN[mode]
    let text = this.yaml.get(name)
    if (!text) {
      text = fetch(`/chains/${name}`).then((r) => r.text())
      this.yaml.set(name, text)
    }
    const pre = document.getElementById('chain-yaml')!
    pre.dataset.chain = name
    pre.textContent = await text
  }
}
