// The README's JavaScript example, run as written (imports from the package entry point).
import { expect, it } from 'vitest'
import { Dataplane, linearPlan, parseParams, writePoints, readPoints, pointArrays } from '../../index.js'

it('the README example works', async () => {
  const dp = await Dataplane.start({ workers: 2 })
  try {
    const m = dp.catalog.manifest('reproject')
    const plan = linearPlan('to-mercator', [{ faaslet: 'reproject', params: Array.from(parseParams(m, { to: 'EPSG:3857' })) }])
    const pts = pointArrays(1); pts.x[0] = 13.4; pts.y[0] = 52.5
    const res = await dp.invoke('my-tenant', plan, (mem) => [writePoints(mem, pts)])
    const x = readPoints(res.bytes(), res.outputs[0]).x[0]
    expect(x).toBeCloseTo(1491681.18, 1)
    expect(res.copied.betweenStages).toBe(0)
    res.release()
    expect(dp.tenant('my-tenant').arena.bytesInUse).toBe(0)
  } finally {
    await dp.close()
  }
})
