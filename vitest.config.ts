import { defineConfig } from 'vitest/config';

/**
 * One suite, two databases: every API test file runs once on embedded PGlite and once on PostgreSQL
 * (DATABASE_URL, default the local server). Each file gets a database of its own. Multi-process race
 * tests live in test/postgres and run on PostgreSQL only.
 */
export default defineConfig({
  test: {
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Fails a test when a response it received differs from the OpenAPI document.
    setupFiles: ['test/setup.ts'],
    projects: [
      {
        extends: true,
        test: {
          name: 'pglite',
          include: ['test/unit/**/*.test.ts', 'test/api/**/*.test.ts', 'test/*.test.ts'],
          env: { TEST_DB: 'pglite' },
        },
      },
      {
        extends: true,
        test: {
          name: 'postgres',
          include: ['test/api/**/*.test.ts', 'test/postgres/**/*.test.ts'],
          env: { TEST_DB: 'postgres' },
          globalSetup: ['test/helpers/postgres-setup.ts'],
        },
      },
    ],
  },
});
