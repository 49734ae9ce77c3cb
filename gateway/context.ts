// What the routes share: the dataplane, the chains, metrics, auth, limits and the live ingestion state.
import type { Dataplane } from '../dataplane/dataplane.js'
import type { ChainRegistry } from '../chains/registry.js'
import type { ChainRunner } from '../chains/run.js'
import type { GatewayMetrics } from './metrics.js'
import type { Ingestion } from './ingest/ingestion.js'
import type { DeployedStore } from '../faaslets/deploy.js'
import type { Access } from './access.js'
import type { Edge } from './edge/edge.js'
import type { KafkaRegistry } from './registry/kafka-registry.js'

export interface GatewayLimits {
  /** bytes in one request body */
  bodyLimit: number
  /** points or features in one invocation */
  maxPointsPerRequest: number
}

export const DEFAULT_LIMITS: GatewayLimits = { bodyLimit: 32 * 1024 * 1024, maxPointsPerRequest: 2_000_000 }

export interface GatewayContext {
  dataplane: Dataplane
  chains: ChainRegistry
  /** the one way routes and ingestion run a chain (metrics observed for every invocation) */
  runner: ChainRunner
  /** where deployed faaslets are kept */
  faaslets: DeployedStore
  metrics: GatewayMetrics
  /** who may do what: checked by a hook before any route runs */
  access: Access
  limits: GatewayLimits
  ingestion: Ingestion | null
  /** the edge role's spool and uplink (serve --role edge); absent or null on other roles */
  edge?: Edge | null
  /** chains and faaslets kept in Kafka (PUT and DELETE go through it); absent or null: the folders */
  registry?: KafkaRegistry | null
  closing(): boolean
  readiness(): Record<string, boolean>
}
