// The options of `graticule deploy`, declared once: its parser and help come from here.
import type { OptionTable } from '../options.js'

export const DEPLOY_POSITIONALS = '<file.wasm>'

export const DEPLOY_OPTIONS = {
  name: { type: 'string', value: 'name', required: true, describe: 'name to deploy the faaslet as (PUT /faaslets/<name>)' },
  manifest: { type: 'string', value: 'manifest.json', describe: 'manifest to embed, for a module that has none' },
  url: { type: 'string', value: 'url', default: 'http://127.0.0.1:8080', env: 'GRATICULE_URL', describe: 'the running gateway' },
  token: { type: 'string', value: 'token', env: 'GRATICULE_TOKEN', describe: 'bearer token the gateway expects (prefer the environment: a flag shows in ps)' },
} satisfies OptionTable
