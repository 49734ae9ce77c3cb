import { describe, expect, it } from 'vitest'
import { readFileSync } from 'node:fs'
import { Arena, createArenaHandles } from '../../dataplane/arena.js'
import { InvocationHeap, newInvocationId, releaseInvocation, chunksOwnedBy } from '../../dataplane/allocator.js'
import { FaasletInstance } from '../../dataplane/faaslet-instance.js'
import { invokeFaaslet } from '../../dataplane/invoke.js'
import { createRegion, readHeader } from '../../faaslets/abi/region.js'
import * as L from '../../faaslets/abi/layout.js'
import type { Manifest } from '../../faaslets/abi/manifest.js'

const manifest = JSON.parse(readFileSync('tests/faaslets/echo.json', 'utf8')) as Manifest
const module = new WebAssembly.Module(readFileSync('faaslets/build/test/echo.wasm'))

describe('invoke one faaslet on an arena', () => {
  it('runs echo, two instances on one memory, and frees every chunk', () => {
    const arena = new Arena(createArenaHandles({ tenant: 't1', quotaBytes: 64 << 20 }))
    const a = new FaasletInstance('echo', module, arena)
    const b = new FaasletInstance('echo', module, arena)
    for (const inst of [a, b]) {
      const id = newInvocationId(arena)
      const heap = new InvocationHeap(arena, id)
      const mem = arena.regionMemory((s, al) => heap.alloc(s, al))
      const n = 1000
      const r = createRegion(mem, { kind: L.KIND_POINTS, count: n, stride: 32, crs: 4326, sections: [{ bytes: n * 32, count: n }] })
      const f = new Float64Array(arena.memory.buffer, r.sectionPtrs[0], n * 4)
      for (let i = 0; i < n; i++) f.set([i, -i, 2, i], i * 4)
      const [out] = invokeFaaslet(inst, manifest, heap, [r], new Float64Array([3]))
      const h = readHeader(arena.view(), out.ptr)
      expect(h.count).toBe(n)
      const g = new Float64Array(arena.memory.buffer, out.ptr + h.sections[0].offset, n * 4)
      expect(g[4 * 7 + 2]).toBe(6)
      expect(g[4 * 7]).toBe(7)
      expect(chunksOwnedBy(arena, id)).toBeGreaterThan(0)
      releaseInvocation(arena, id)
      expect(chunksOwnedBy(arena, id)).toBe(0)
    }
    expect(arena.bytesInUse).toBe(0)
  })
})
