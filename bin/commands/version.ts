// graticule version: the package's version and Node.js's.
import { parseOptions } from '../options.js'
import { versionLine } from '../version.js'

export async function versionCommand(args: string[]): Promise<number> {
  parseOptions({}, args)
  console.log(versionLine())
  return 0
}
