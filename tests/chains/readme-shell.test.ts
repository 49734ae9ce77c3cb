// The README's "Use it from the shell" section, run as written: every `npx graticule` line that works on
// files (exec, run, validate, faaslets, chains) runs in a fresh folder holding the repository's samples/ and
// chains/, exits 0 and writes what it says. The lines that start services (serve, sensors, kafka) are
// covered by the gateway and Kafka tests.
import { afterAll, describe, expect, it } from 'vitest'
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { REPO_ROOT, runCli } from '../helpers/cli.js'

const readme = readFileSync(join(REPO_ROOT, 'README.md'), 'utf8')
const section = readme.slice(readme.indexOf('## Use it from the shell'), readme.indexOf('## Use it from JavaScript'))
const block = section.slice(section.indexOf('```sh') + 5, section.indexOf('```', section.indexOf('```sh') + 5))
const commands = block.split('\n').map((l) => l.replace(/\s+#.*$/, '').trim()).filter((l) => l.startsWith('npx graticule '))
const offline = commands.filter((l) => /^npx graticule (exec|run|validate|faaslets|chains)\b/.test(l))

const dir = mkdtempSync(join(tmpdir(), 'graticule-readme-'))
symlinkSync(join(REPO_ROOT, 'samples'), join(dir, 'samples'))
symlinkSync(join(REPO_ROOT, 'chains'), join(dir, 'chains'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

describe("README's shell section", () => {
  it('has the commands this test runs (and only service lines besides)', () => {
    expect(offline.length).toBeGreaterThanOrEqual(12)
    expect(commands.filter((l) => !offline.includes(l)).every((l) => /^npx graticule (serve|sensors)\b/.test(l))).toBe(true)
  })

  // in order: a later line may read what an earlier one wrote (places-3857.csv)
  it('runs every file command as written', async () => {
    for (const line of offline) {
      const args = line.replace(/^npx graticule /, '').split(/\s+/)
      const r = await runCli(args, { cwd: dir })
      expect(r.code, `${line}\n${r.stderr}`).toBe(0)
      const out = args[args.indexOf('--out') + 1]
      if (args.includes('--out')) expect(statSync(join(dir, out)).size, line).toBeGreaterThan(0)
      if (args.includes('--world-file')) expect(existsSync(join(dir, out.replace(/\.png$/, '.pgw'))), line).toBe(true)
    }
  })
})
