// The options of `graticule faaslets`, declared once: its parser and help come from here.
import type { OptionTable } from '../options.js'

export const FAASLETS_OPTIONS = {
  json: { type: 'boolean', describe: 'the manifests as JSON' },
  test: { type: 'boolean', describe: 'include the test faaslets' },
  slots: { type: 'boolean', describe: 'list the static slots still free for deployed faaslets, and nothing else' },
} satisfies OptionTable
