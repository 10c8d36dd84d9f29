import { defineConfig } from 'vitest/config';

// Distributed sampling against a real redis-server (started by the tests on a free loopback
// port); run apart from the unit suite, which must pass on machines without Redis.
export default defineConfig({
  test: {
    include: ['test/cluster/**/*.cluster.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 60_000,
    maxWorkers: 1,
    fileParallelism: false,
  },
});
