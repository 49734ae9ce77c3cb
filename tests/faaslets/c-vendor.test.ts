// The vendored C libraries are what faaslets/c/vendor/fetch.ts makes from the pinned, sha256-checked upstream
// archives: a hand edit (or a lost file) shows up here, not as a silent fork of H3 or musl.
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { SOURCES, SUMS_FILE, VENDOR_DIR, vendoredSums } from '../../faaslets/c/vendor/fetch.js'

describe('faaslets/c/vendor', () => {
  it('every vendored file is the one fetch.ts produces (SHA256SUMS)', () => {
    expect(vendoredSums()).toBe(readFileSync(SUMS_FILE, 'utf8'))
  })

  it('each library ships with its licence and version, pinned by sha256', () => {
    expect(readFileSync(join(VENDOR_DIR, 'h3/LICENSE'), 'utf8')).toMatch(/Apache License\s+Version 2\.0/)
    expect(readFileSync(join(VENDOR_DIR, 'h3/VERSION'), 'utf8').trim()).toBe('4.5.0')
    expect(readFileSync(join(VENDOR_DIR, 'musl/COPYRIGHT'), 'utf8')).toMatch(/MIT/)
    expect(readFileSync(join(VENDOR_DIR, 'musl/VERSION'), 'utf8').trim()).toBe('1.2.3')
    for (const s of SOURCES) expect(s.sha256).toMatch(/^[0-9a-f]{64}$/)
  })

  it("H3's only change is const on the read-only tables the ABI's static slot needs", () => {
    const polyfill = readFileSync(join(VENDOR_DIR, 'h3/lib/polyfill.c'), 'utf8')
    expect(polyfill).toMatch(/^static const BBox RES0_BBOXES\[/m)
    expect(polyfill).not.toMatch(/^static (double|H3Index|BBox|int) [A-Z_0-9]+(\[| =)/m)
    expect(existsSync(join(VENDOR_DIR, 'h3/include/h3api.h'))).toBe(true)
    expect(readFileSync(join(VENDOR_DIR, 'h3/include/h3api.h'), 'utf8')).toMatch(/#define H3_VERSION_MINOR 5/)
  })
})
