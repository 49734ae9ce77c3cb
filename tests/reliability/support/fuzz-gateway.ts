// The gateway the HTTP fuzz targets run against, and the check that no chain file went astray from its folder.
import { readdirSync } from 'node:fs'
import type { Gateway } from '../../../gateway/app.js'
import { TOKEN, tempChainsDir } from './gateway-setup.js'
import { setFuzzEpoch } from './http-cases.js'

/**
 * A gateway for HTTP fuzzing: token set, chains stored in a temp folder, small limits, and a sensor window
 * already published (points POSTed, then the partition flushed) so the /live routes have data to serve.
 */
export async function startFuzzGateway(workers = 2): Promise<{ gw: Gateway; chainsDir: string }> {
  const { buildGateway } = await import('../../../gateway/app.js')
  const chainsDir = tempChainsDir()
  const gw = await buildGateway({
    workers, token: TOKEN, access: { anonymous: ['invoke', 'ingest'], tenants: { 'fuzz-a': {}, 'fuzz-b': {} } }, chainsDir,
    limits: { bodyLimit: 1 << 20, maxPointsPerRequest: 20_000 },
    ingestion: { windows: { sizeMs: 1_000, allowedLatenessMs: 0, maxPoints: 100_000 }, idleFlushMs: 300, simulator: null },
  })
  const now = Date.now()
  setFuzzEpoch(now)
  const points = Array.from({ length: 500 }, (_, i) => ({ sensor: `seed-${i % 50}`, ts: now - 2_000 + i, lon: -170 + (i * 7) % 340, lat: -80 + (i * 13) % 160, value: i % 17 }))
  const r = await gw.app.inject({ method: 'POST', url: '/ingest', payload: points, headers: { 'content-type': 'application/json' } })
  if (r.statusCode !== 200) throw new Error(`could not seed the live window: ${r.body}`)
  for (let i = 0; i < 100 && !gw.ctx.ingestion!.live.last; i++) await new Promise((res) => setTimeout(res, 50))
  if (!gw.ctx.ingestion!.live.last) throw new Error('no live window after seeding')
  return { gw, chainsDir }
}

/** Every file in the chains folder is a chain named as the registry allows: nothing escaped or went astray. */
export function strayChainFiles(chainsDir: string): string[] {
  return readdirSync(chainsDir).filter((f) => !/^[a-z0-9][a-z0-9-]{0,62}\.yaml$/.test(f))
}
