import { defineConfig } from 'vitest/config';

/**
 * Three tiers, each a vitest project: `unit` (pure, no DynamoDB, no network, seconds), `integration`
 * (against dynalite, started once for the run) and `e2e` (against the whole local stack).
 * `npm run test:unit` runs the first alone; `npm test` runs all three with the coverage gate.
 */
export default defineConfig({
  test: {
    testTimeout: 30_000,
    hookTimeout: 180_000,
    pool: 'forks',
    reporters: ['default', './tests/support/plain-summary-reporter.ts'],
    coverage: {
      provider: 'v8',
      include: ['lib/**/*.ts', 'functions/**/*.ts'],
      // lib/local/ is the developer's local stack (embedded DynamoDB, serverless-offline, token tool):
      // it is not deployed, and the e2e tier exercises it in child processes, out of the coverage's sight.
      exclude: ['lib/local/**'],
      reporter: ['text-summary', 'text'],
      thresholds: { lines: 95, branches: 90 },
    },
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: ['tests/unit/**/*.test.ts'],
          setupFiles: ['tests/support/unit-env.ts'],
          testTimeout: 5_000,
        },
      },
      {
        extends: true,
        test: {
          name: 'integration',
          include: ['tests/integration/**/*.test.ts'],
          setupFiles: ['tests/support/env.ts'],
          globalSetup: ['tests/support/global-setup.ts'],
        },
      },
      {
        // Against the whole local stack, started once the way `npm start` starts it.
        extends: true,
        test: {
          name: 'e2e',
          include: ['tests/e2e/**/*.test.ts'],
          setupFiles: ['tests/support/env.ts'],
          globalSetup: ['tests/support/stack-setup.ts'],
        },
      },
    ],
  },
});
