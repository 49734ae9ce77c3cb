// Partials in, global results out, with no Kafka in sight (the Kafka side is merger.ts; tests drive this directly).
// For each partial, in order: a record that is no partial is counted invalid; (edge, window) already in the view —
// or earlier in the same batch — is a duplicate; a window the view has evicted cannot be checked and is counted
// expired; another tile set is refused (E_PARTIAL_TILESET); a raw partial gets its grid and clusters from the
// window-partial chain (one with neither grid nor points — the edge's chain refused its window — adds counts only). What is left is merged, one merge per window of the batch, onto the window's result in the
// view. The results are returned, not put in the view: the caller publishes them first.
import type { ChainRegistry } from '../../chains/registry.js'
import type { ChainRunner } from '../../chains/run.js'
import { fail } from '../../errors/index.js'
import type { IngestLogger } from '../ingest/ingest-log.js'
import { decodePartial, partialKey, type TileSet, type WindowPartial } from '../partials/partial.js'
import type { ClusterParams, CloudFaaslets } from './cloud-faaslets.js'
import type { GlobalResult } from './global-result.js'
import type { GlobalView } from './global-view.js'
import { mergeWindow, tileSetProblem, type NewShare } from './merge.js'
import { cookRawPartial } from './raw-partial.js'

export const PARTIAL_OUTCOMES = ['merged', 'deduplicated', 'refused', 'invalid', 'expired'] as const
export type PartialOutcome = (typeof PARTIAL_OUTCOMES)[number]

export interface PartialMergerOptions {
  tileSet: TileSet
  /** the cluster radius of the edges' chain (pixels of a 512 tile) */
  clusterRadius: number
  /** counts each partial's outcome (metrics) */
  count?: (outcome: PartialOutcome, edge: string | null) => void
  log?: IngestLogger
}

export class PartialMerger {
  constructor(
    private readonly view: GlobalView,
    private readonly faaslets: CloudFaaslets,
    private readonly chains: { runner: ChainRunner; registry: ChainRegistry } | null,
    private readonly opts: PartialMergerOptions,
  ) {}

  /** The results of the windows these partials add edges to (bytes are decoded; `where` names them in logs). */
  async merge(records: Array<Uint8Array | WindowPartial>, where = 'partials'): Promise<GlobalResult[]> {
    const byWindow = new Map<number, NewShare[]>()
    const seen = new Set<string>()
    for (const rec of records) {
      let p: WindowPartial
      try {
        p = rec instanceof Uint8Array ? decodePartial(rec) : rec
      } catch (e) {
        this.refuse('invalid', null, fail('E_PARTIAL_INVALID', where, (e as Error).message))
        continue
      }
      const key = partialKey(p)
      if (seen.has(key) || this.view.merged(p, p.windowStart)) {
        this.opts.count?.('deduplicated', p.edge)
        continue
      }
      if (this.view.expired(p.windowStart)) {
        this.refuse('expired', p.edge, null, `partial ${key}: its window is older than every window kept (${this.view.keep}); not merged`)
        continue
      }
      const problem = tileSetProblem(p, this.opts.tileSet)
      if (problem) {
        this.refuse('refused', p.edge, fail('E_PARTIAL_TILESET', p.edge, p.windowStart, problem))
        continue
      }
      let raw = false
      if (!p.grid && p.points) {
        if (!this.chains) {
          this.refuse('invalid', p.edge, fail('E_PARTIAL_INVALID', where, `partial ${key} is raw, and this merger runs no chains`))
          continue
        }
        p = await cookRawPartial(this.chains.runner, this.chains.registry, this.opts.tileSet, p)
        raw = true
      }
      seen.add(key)
      let shares = byWindow.get(p.windowStart)
      if (!shares) byWindow.set(p.windowStart, (shares = []))
      shares.push({ partial: p, raw })
    }
    const out: GlobalResult[] = []
    for (const [start, shares] of byWindow) {
      out.push(await mergeWindow(this.view.get(start), shares, this.faaslets, this.opts.tileSet, { zoom: 0, radius: this.opts.clusterRadius }))
      for (const s of shares) this.opts.count?.('merged', s.partial.edge)
    }
    return out
  }

  private refuse(outcome: PartialOutcome, edge: string | null, err: Error | null, text?: string): void {
    this.opts.count?.(outcome, edge)
    const code = (err as { code?: string } | null)?.code
    this.opts.log?.warn({ ...(code ? { code } : {}), edge }, err?.message ?? text ?? outcome)
  }
}
