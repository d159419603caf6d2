import { defineConfig } from 'vitest/config';

// The outside-install test (test/outside, docs/decisions.md D65): slow (it packs and installs every
// package twice), so it has its own command, `pnpm test:outside`, which .ci/run runs on every
// tested Node line. Under CI it writes the same JSON report as the suite.
const ci = Boolean(process.env.CI);

export default defineConfig({
  test: {
    include: ['test/outside/**/*.test.ts'],
    testTimeout: 300_000,
    hookTimeout: 900_000,
    pool: 'forks',
    maxWorkers: 1,
    reporters: ci ? ['default', 'json'] : ['default'],
    ...(ci && { outputFile: { json: '.ci/results.json' } }),
  },
});
