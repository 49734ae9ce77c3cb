// graticule's version, from the package.json of the installation this file belongs to: two levels up when
// compiled (dist/bin/), one when run from source (bin/), so the nearest one above that names graticule.
import { existsSync, readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

export function packageVersion(): string {
  for (let dir = dirname(fileURLToPath(import.meta.url)); ; dir = dirname(dir)) {
    const file = join(dir, 'package.json')
    if (existsSync(file)) {
      const pkg = JSON.parse(readFileSync(file, 'utf8')) as { name?: string; version?: string }
      if (pkg.name === 'graticule' && pkg.version) return pkg.version
    }
    if (dirname(dir) === dir) throw new Error('cannot find the package.json of graticule above ' + fileURLToPath(import.meta.url))
  }
}

/** What `graticule --version` prints. */
export function versionLine(): string {
  return `graticule ${packageVersion()} (Node.js ${process.version})`
}
