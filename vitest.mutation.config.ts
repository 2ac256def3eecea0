import { defineConfig } from 'vitest/config';

/**
 * What `npm run test:mutation` runs against each mutant: the unit tests of the pure rules, the decimal
 * module and the audit chain (offline verifier included, in process). They cover every line Stryker
 * mutates and take seconds, where the API suite would take the better part of an hour per run here.
 */
export default defineConfig({
  test: {
    include: ['test/unit/**/*.test.ts'],
    env: { TEST_DB: 'pglite' },
    // Instrumented code on a busy machine: the property tests need more than the default 5 s.
    testTimeout: 60_000,
  },
});
