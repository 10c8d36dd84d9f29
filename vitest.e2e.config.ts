import { defineConfig } from 'vitest/config';

// Browser end-to-end tests (headless Chromium from @sparticuz/chromium, or CHROMIUM_PATH, via playwright-core); slow, run apart from the unit suite.
export default defineConfig({
  test: {
    include: ['test/e2e/**/*.e2e.test.ts'],
    testTimeout: 240_000,
    hookTimeout: 240_000,
    maxWorkers: 1,
    fileParallelism: false,
  },
});
