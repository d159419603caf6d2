import { defineConfig } from 'vitest/config';

// Under CI a JSON report is written too, so .ci/run can print the "N passed, N failed" line.
const ci = Boolean(process.env.CI);

export default defineConfig({
  test: {
    include: ['packages/*/src/**/*.test.ts', 'packages/*/test/**/*.test.ts', 'test/*.test.ts'],
    exclude: ['**/node_modules/**', '**/dist/**'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: 'forks',
    maxWorkers: 2,
    // Every response any test observes is checked against the OpenAPI document (docs/decisions.md D85).
    env: { JIEMA_VALIDATE_RESPONSES: '1' },
    setupFiles: ['packages/core/test/setup/response-contract.ts'],
    reporters: ci ? ['default', 'json'] : ['default'],
    ...(ci && { outputFile: { json: '.ci/results.json' } }),
  },
});
