import { configDefaults, defineConfig } from 'vitest/config'

// Two projects: everything, and the Kafka tests, which get a real broker from tests/global-kafka.ts
// (started only when a Kafka test file is selected, stopped by its pid at the end).
const KAFKA_TESTS = ['tests/gateway/kafka-*.test.ts', 'tests/reliability/kafka-*.test.ts']

export default defineConfig({
  test: {
    testTimeout: 180_000,
    hookTimeout: 180_000,
    pool: 'forks',
    reporters: ['default'],
    projects: [
      { extends: true, test: { name: 'unit', include: ['tests/**/*.test.ts'], exclude: [...configDefaults.exclude, ...KAFKA_TESTS] } },
      { extends: true, test: { name: 'kafka', include: KAFKA_TESTS, globalSetup: ['tests/global-kafka.ts'] } },
    ],
  },
})
