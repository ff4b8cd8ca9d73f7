import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/support/global-setup.ts'],
    // PGlite boots in a few seconds and the CLI tests start real processes: generous limits,
    // because a slow machine must not fail a correct test.
    testTimeout: 120_000,
    hookTimeout: 180_000,
    pool: 'forks',
  },
});
