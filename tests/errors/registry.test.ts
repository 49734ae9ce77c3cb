import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { ERRORS, fail, revive } from '../../errors/index.js'

const page = readFileSync('errors/ERRORS.md', 'utf8')
const rows = [...page.matchAll(/^\| `(E_[A-Z_]+)` \| (\d+) \| (.*) \|$/gm)].map((m) => ({ code: m[1], status: Number(m[2]), message: m[3] }))

describe('the error registry and its page', () => {
  it('document exactly the same codes, with the same statuses and messages', () => {
    expect(rows.map((r) => r.code).sort()).toEqual(Object.keys(ERRORS).sort())
    for (const r of rows) {
      const e = ERRORS[r.code as keyof typeof ERRORS]
      expect(r.status, r.code).toBe(e.status)
      expect(r.message, r.code).toBe(e.message.replace(/\|/g, '\\|').replace(/%s/g, '…'))
    }
  })

  it('every code is used somewhere in the source', async () => {
    const { execSync } = await import('node:child_process')
    const src = execSync("grep -rhoE \"'E_[A-Z_]+'\" bin errors faaslets dataplane chains gateway --include=*.ts", { encoding: 'utf8' })
    const used = new Set(src.split('\n').map((s) => s.replace(/'/g, '')))
    for (const code of Object.keys(ERRORS)) expect(used.has(code), `${code} is never raised`).toBe(true)
  })

  it('errors survive a trip across threads as plain data', () => {
    const e = fail('E_QUOTA_EXCEEDED', 'acme', 100, 5)
    const back = revive(JSON.parse(JSON.stringify(e)))
    expect(back.code).toBe('E_QUOTA_EXCEEDED')
    expect(back.statusCode).toBe(429)
    expect(back.message).toBe('tenant acme: memory quota of 100 bytes exceeded (asked for 5 more)')
    expect(revive(new Error('boom')).code).toBe('E_FAASLET_INTERNAL')
  })
})
