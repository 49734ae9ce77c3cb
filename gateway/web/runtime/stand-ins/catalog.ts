// Stands in for faaslets/catalog.ts in the page bundle (build.ts aliases it): the real one reads manifests
// and .wasm from disk at import time. The host code the page reuses imports it only for
// LocalRunner.create, which the page never calls — its modules come from ModuleSet. Remove this alias
// once LocalRunner's pool lives in a module without the Catalog import (see the report).
export const ROOT = '/'

export class Catalog {
  static load(): never {
    throw new Error('the page has no faaslet catalog on disk: use ModuleSet')
  }
}
