// The tests' seeded PRNG is the simulator's (mulberry32): the same inputs on every run, so a failure replays.
export { mulberry32 } from '../../gateway/ingest/simulator.js'
