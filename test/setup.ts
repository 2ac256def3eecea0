import { afterEach } from 'vitest';
import { drainViolations } from './helpers/openapi-validator.js';

// The response validator (test/helpers/openapi-validator.ts) records every response that differs
// from the OpenAPI document; the test that received it fails here, naming the operation and status.
afterEach(() => {
  const violations = drainViolations();
  if (violations.length > 0) {
    throw new Error(`responses differ from the OpenAPI document:\n${violations.join('\n')}`);
  }
});
