import { defineConfig } from 'vitest/config';

/**
 * `npm run test:faults`: fault injection against a PostgreSQL cluster of its own (test/faults),
 * separate from `npm test` because it kills processes and restarts a database (about 2 minutes).
 */
export default defineConfig({
  test: {
    include: ['test/faults/**/*.test.ts'],
    testTimeout: 180_000,
    hookTimeout: 120_000,
    fileParallelism: false,
  },
});
