import vue from '@vitejs/plugin-vue';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  // Single-file components in renderer unit tests (happy-dom).
  plugins: [vue()],
  test: {
    include: ['test/**/*.test.ts'],
    // test/cluster needs a redis-server: `npm run test:cluster` (vitest.cluster.config.ts).
    exclude: ['test/e2e/**', 'test/built/**', 'test/cluster/**', 'node_modules/**'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Two cores: tfjs-heavy files fight each other when run in parallel.
    maxWorkers: 2,
  },
});
