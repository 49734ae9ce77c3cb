// Stands in for pngjs in the page bundle (build.ts aliases it): faaslets/codecs/grid.ts imports it for PNG
// files, which the page never writes or reads — it draws IMAGE regions straight onto canvases. Remove this
// alias once grid.ts's PNG functions live in their own module (see the report).
const absent = (): never => {
  throw new Error('PNG encoding is not bundled into the page')
}

export class PNG {
  static sync = { read: absent, write: absent }

  constructor() {
    absent()
  }
}
