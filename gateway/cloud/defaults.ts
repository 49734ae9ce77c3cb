// The cloud role's defaults, in a module of their own: `graticule serve --help` shows them without loading kafkajs.

/** The consumer group the cloud gateways share the partials topic in. */
export const CLOUD_GROUP = 'graticule-cloud'

/** Windows whose global result a cloud gateway keeps: served, and the memory duplicates are checked against. */
export const DEFAULT_KEEP_WINDOWS = 720

/** An edge is connected while its last heartbeat is younger than this (ms, by the cloud's clock on receipt). */
export const DEFAULT_CONNECTED_MS = 3_000
