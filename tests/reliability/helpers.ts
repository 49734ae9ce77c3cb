// Shared by the reliability tests and experiments/fuzz.ts and experiments/soak.ts; the code lives in support/, one job
// per file, and this barrel re-exports it so imports stay `./helpers.js`. outcomes.ts: outcome tallies, error codes and
// the clear input codes a faaslet may answer with; byte-mutations.ts: byte edits of seeds; mvt-cases.ts: tiles and the
// mvt-decode check; region-inputs.ts: regions of every kind, edited, and the host's readers of them; header-cases.ts:
// the checkRegion target; faaslet-params.ts: in-range parameter values; faaslet-cases.ts: every faaslet on bad regions;
// chain-cases.ts: chain files and the loadChain check; http-cases.ts: requests to every route and the response check;
// gateway-setup.ts: the token and temp chains folder test gateways use; fuzz-gateway.ts: the gateway HTTP fuzzing runs
// against; kafka-scenario.ts: Kafka topics, serve arguments and reading results back; soak-monitor.ts: process samples
// and floor slopes; soak-load.ts: the soak request and its autocannon run.
export * from './support/outcomes.js'
export * from './support/byte-mutations.js'
export * from './support/mvt-cases.js'
export * from './support/region-inputs.js'
export * from './support/header-cases.js'
export * from './support/faaslet-params.js'
export * from './support/faaslet-cases.js'
export * from './support/chain-cases.js'
export * from './support/http-cases.js'
export * from './support/gateway-setup.js'
export * from './support/fuzz-gateway.js'
export * from './support/kafka-scenario.js'
export * from './support/soak-monitor.js'
export * from './support/soak-load.js'
