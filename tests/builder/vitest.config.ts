import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

/**
 * Slow real builds: `npx vitest run --config tests/builder/vitest.config.ts`.
 * They install from the npm registry and run real framework builds, minutes in all, so they are
 * not part of the default projects. One file at a time, so install timings are not skewed.
 */
export default defineConfig({
  root: fileURLToPath(new URL('../..', import.meta.url)),
  test: {
    name: 'builder-slow',
    include: ['tests/builder/**/*.test.ts'],
    environment: 'node',
    testTimeout: 15 * 60_000,
    hookTimeout: 5 * 60_000,
    fileParallelism: false,
  },
});
