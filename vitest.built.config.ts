import { defineConfig } from 'vitest/config';

// Tests of what `npm run build` produced (out/): run by `npm run test:built` after the build.
export default defineConfig({
  test: {
    include: ['test/built/**/*.test.ts'],
    testTimeout: 240_000,
    hookTimeout: 60_000,
    maxWorkers: 1,
    fileParallelism: false,
  },
});
