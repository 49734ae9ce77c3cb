// Every error graticule reports, in one registry: a stable code, the HTTP status it maps to, and a message
// template (%s placeholders filled in order). errors/ERRORS.md documents each code; a test keeps the two in
// sync. Errors cross worker threads and processes as plain {code, message, details} and are rebuilt here,
// so `instanceof` never matters: check `.code`.

export const ERRORS = {
  // input from users: files, bodies, parameters
  E_BAD_PARAM: { status: 400, message: 'parameter "%s": %s' },
  E_UNKNOWN_PARAM: { status: 400, message: 'unknown parameter "%s" for %s (valid: %s)' },
  E_MISSING_PARAM: { status: 400, message: 'missing required parameter "%s" for %s' },
  E_BAD_FORMAT: { status: 400, message: "cannot use file %s: %s" },
  E_BAD_GEOJSON: { status: 422, message: "invalid GeoJSON: %s" },
  E_BAD_CSV: { status: 422, message: "invalid CSV at line %s: %s" },
  E_CANNOT_CARRY: { status: 422, message: "%s cannot be carried into %s" },
  E_BODY_TOO_LARGE: { status: 413, message: "body of %s bytes exceeds the limit of %s bytes" },
  E_TOO_MANY_POINTS: { status: 413, message: "%s points exceed the limit of %s per request" },
  E_UNSUPPORTED_MEDIA: { status: 415, message: "content type %s is not accepted here (use %s)" },

  // faaslets
  E_UNKNOWN_FAASLET: { status: 404, message: 'unknown faaslet "%s" (known: %s)' },
  E_FAASLET_BAD_INPUT_KIND: { status: 422, message: "%s: wrong input region kind: %s" },
  E_FAASLET_MALFORMED_INPUT: { status: 422, message: "%s: malformed input: %s" },
  E_FAASLET_BAD_PARAM: { status: 400, message: "%s: bad parameter: %s" },
  E_FAASLET_UNSUPPORTED_CRS: { status: 400, message: "%s: unsupported CRS: %s" },
  E_FAASLET_TOO_LARGE: { status: 413, message: "%s: input too large: %s" },
  E_FAASLET_INTERNAL: { status: 500, message: "%s: internal error: %s" },
  E_FAASLET_TRAP: { status: 500, message: "%s trapped: %s" },
  E_FAASLET_TIMEOUT: { status: 504, message: "%s exceeded its time limit of %s ms and was stopped" },
  E_FAASLET_BAD_OUTPUT: { status: 500, message: "%s returned an invalid output region: %s" },
  E_ABI_MISMATCH: { status: 500, message: "%s: %s" },
  E_MODULE_REFUSED: { status: 422, message: 'module "%s" refused: %s' },
  E_BAD_MANIFEST: { status: 400, message: 'manifest of "%s": %s' },
  E_FAASLET_READONLY: { status: 409, message: 'faaslet "%s" ships with graticule and cannot be %s' },
  E_FAASLET_IN_USE: { status: 409, message: 'faaslet "%s" is used by chain%s %s; delete or change them first' },

  // HTTP
  E_NOT_FOUND: { status: 404, message: "no route %s %s" },
  E_BAD_REQUEST: { status: 400, message: "%s" },
  E_UNAUTHORIZED: { status: 401, message: "this needs Authorization: Bearer <token> with a token the gateway knows" },
  E_FORBIDDEN: { status: 403, message: "not allowed with this token: %s" },
  E_HOST_NOT_ALLOWED: { status: 403, message: "Host %s is not one this gateway answers to (add it with --allowed-hosts)" },
  E_RATE_LIMITED: { status: 429, message: "tenant %s: more than %s requests in %s s; retry after %s s" },
  E_INSECURE_BIND: { status: 500, message: "refusing to listen on %s without a token: set GRATICULE_TOKEN or tokens in the configuration file, or pass --insecure" },
  E_BAD_CONFIG: { status: 400, message: "configuration %s: %s" },
  E_SHUTTING_DOWN: { status: 503, message: "the gateway is shutting down" },
  E_INTERNAL: { status: 500, message: "internal error: %s" },
  E_NO_LIVE_DATA: { status: 404, message: "no window has closed yet: %s" },
  E_PARTIAL_TILESET: { status: 409, message: "partial of edge %s for window %s refused: %s" },
  E_PARTIAL_INVALID: { status: 422, message: "a record on %s is not a window partial: %s" },

  // chains
  E_CHAIN_INVALID: { status: 400, message: "%s: %s" },
  E_UNKNOWN_CHAIN: { status: 404, message: 'unknown chain "%s" (known: %s)' },
  E_CHAIN_NAME: { status: 400, message: 'invalid chain name "%s": use 1-63 lowercase letters, digits and dashes' },
  E_CHAIN_READONLY: { status: 409, message: 'chain "%s" ships with graticule and cannot be %s' },
  E_TOO_MANY_TILES: { status: 400, message: 'step "%s" maps over the tiles of bbox %s at zoom %s: %s tiles (%s columns × %s rows), more than the limit of %s; lower the zoom or shrink the bbox' },
  E_GATHER_COUNT: { status: 400, message: 'step "%s" (%s) cannot gather the %s branches of mapped step "%s": %s' },

  // dataplane
  E_QUOTA_EXCEEDED: { status: 429, message: "tenant %s: memory quota of %s bytes exceeded (asked for %s more)" },
  E_ARENA_EXHAUSTED: { status: 503, message: "tenant %s: arena cannot grow to hold %s more bytes" },
  E_TOO_MANY_INVOCATIONS: { status: 429, message: "tenant %s: %s invocations already running (limit %s)" },
  E_UNKNOWN_TENANT: { status: 404, message: 'unknown tenant "%s"' },
  E_WORKER_DIED: { status: 503, message: "worker died while running %s: %s" },
  E_BAD_REGION: { status: 422, message: "invalid region: %s" },

  // the edge role: its spool and uplink (gateway/edge)
  E_SPOOL_FULL: { status: 503, message: "the edge spool is full: %s bytes wait to be sent upstream (limit %s); window %s waits until the uplink drains it" },
  E_SPOOL: { status: 500, message: "edge spool %s: %s" },
  E_NOT_AN_EDGE: { status: 404, message: "this gateway is not an edge (graticule serve --role edge --upstream host:port)" },

  // the registry: chains and deployed faaslets in compacted Kafka topics (gateway/registry)
  E_REGISTRY_UNAVAILABLE: { status: 503, message: "the chain and faaslet registry is unavailable: %s" },
  E_REGISTRY_RECORD: { status: 422, message: 'registry record "%s" of topic %s (offset %s) not applied: %s' },
} as const

export type ErrorCode = keyof typeof ERRORS

export interface ErrorData {
  code: ErrorCode
  message: string
  details?: unknown
}

export class GraticuleError extends Error {
  readonly code: ErrorCode
  readonly statusCode: number
  readonly details: unknown

  constructor(code: ErrorCode, message: string, details?: unknown) {
    super(message)
    this.name = 'GraticuleError'
    this.code = code
    this.statusCode = ERRORS[code].status
    this.details = details
  }

  toJSON(): ErrorData {
    return this.details === undefined
      ? { code: this.code, message: this.message }
      : { code: this.code, message: this.message, details: this.details }
  }
}

/** Builds the error for `code`, filling the template's %s in order. */
export function fail(code: ErrorCode, ...args: unknown[]): GraticuleError {
  let i = 0
  const message = ERRORS[code].message.replace(/%s/g, () => String(args[i++]))
  return new GraticuleError(code, message)
}

/** Same as fail, with structured details (e.g. the positions of chain validation errors). */
export function failWith(code: ErrorCode, details: unknown, ...args: unknown[]): GraticuleError {
  const err = fail(code, ...args)
  return new GraticuleError(err.code, err.message, details)
}

/** Rebuilds an error that crossed a thread or process boundary; anything unknown becomes internal. */
export function revive(data: unknown): GraticuleError {
  if (data instanceof GraticuleError) return data
  const d = data as Partial<ErrorData> | null
  if (d && typeof d.code === 'string' && d.code in ERRORS && typeof d.message === 'string') {
    return new GraticuleError(d.code as ErrorCode, d.message, d.details)
  }
  const message = data instanceof Error ? data.message : String(data)
  return new GraticuleError('E_FAASLET_INTERNAL', `graticule: internal error: ${message}`)
}

export function isGraticuleError(e: unknown): e is GraticuleError {
  return e instanceof GraticuleError
}
