// What a deployed module may be, by itself: the command line's help reads it without loading the checks.
export const DEPLOY_LIMITS = { maxBytes: 4 * 1024 * 1024, maxFunctions: 10_000 }
/** How long a deploy's checks and compilation may take, counted from when the worker starts on them. */
export const DEPLOY_TIME_LIMIT_MS = 10_000
