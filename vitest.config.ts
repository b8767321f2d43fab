import { defineConfig } from 'vitest/config';

/**
 * Projects with different needs:
 * - unit: no network, in-memory adapters, fast.
 * - integration: against the AWS emulator that `tests/integration/global-setup.ts` starts.
 * - e2e: the console in Debian's chromium against the in-process platform (tests/e2e/global-setup.ts).
 * - infra: CDK assertions, cdk-nag and cfn-lint over synthesized templates.
 */
export default defineConfig({
  test: {
    reporters: ['default', './tests/summary-reporter.ts'],
    projects: [
      {
        extends: true,
        test: { name: 'unit', include: ['tests/unit/**/*.test.ts'], environment: 'node' },
      },
      {
        extends: true,
        test: {
          name: 'integration',
          include: ['tests/integration/**/*.test.ts'],
          globalSetup: ['tests/integration/global-setup.ts'],
          setupFiles: ['tests/support/aws-context.ts'],
          testTimeout: 60_000,
          hookTimeout: 120_000,
          expect: { poll: { timeout: 15_000 } },
        },
      },
      {
        // The console in Debian's chromium against the in-process platform (emulator from the global setup).
        extends: true,
        test: {
          name: 'e2e',
          include: ['tests/e2e/**/*.test.ts'],
          globalSetup: ['tests/e2e/global-setup.ts'],
          setupFiles: ['tests/support/aws-context.ts'],
          testTimeout: 180_000,
          hookTimeout: 240_000,
          // A browser page behind the in-process platform answers in seconds on a loaded 2-core
          // machine: `expect.poll` waits up to 15 s (vitest's default 1 s failed in CI under load).
          expect: { poll: { timeout: 15_000 } },
        },
      },
      {
        extends: true,
        test: { name: 'infra', include: ['tests/infra/**/*.test.ts'], testTimeout: 120_000, hookTimeout: 180_000 },
      },
    ],
  },
});
