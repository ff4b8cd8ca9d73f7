import { configDefaults, defineConfig } from 'vitest/config';

/*
 * Three projects, chosen by a test file's path, so a new file lands in its project by its name:
 * - db: everything under test/db/ and test/rollup/ (they test the SQL), and `*.db.test.ts`
 *   anywhere. Each file gets a database of its own, loaded from the migrated dump that the
 *   global setup makes once per run (and a template database on TEST_DATABASE_URL's server).
 * - process: `*.process.test.ts`, which start pulsebot (the CLI, the daemon, the render worker)
 *   or a helper as a process of its own; the global setup transpiles the sources for them once
 *   per run.
 * - unit: every other `*.test.ts`. No database and no global setup, and no fresh process per
 *   file: the files share the workers. A unit test that asks for a database or starts pulsebot
 *   fails, saying what to rename it to (test/support/databases.ts, test/support/cli.ts).
 * `npm test` runs all three; `npx vitest run --project unit` only the fast ones.
 */
const DB = ['test/db/**/*.test.ts', 'test/rollup/**/*.test.ts', 'test/**/*.db.test.ts'];
const PROCESS = ['test/**/*.process.test.ts'];
const GLOBAL_SETUP = ['test/support/global-setup.ts'];

export default defineConfig({
  test: {
    // PGlite boots in a few seconds and the process tests start real processes: generous
    // limits, because a slow machine must not fail a correct test.
    testTimeout: 120_000,
    hookTimeout: 180_000,
    pool: 'forks',
    // One worker per core, not vitest's cores - 1: test files spend much of their time waiting
    // on the processes they start and on timers. On 2 cores, 2 workers nearly halved the suite's
    // time; 3 were slower again.
    maxWorkers: '100%',
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: ['test/**/*.test.ts'],
          exclude: [...configDefaults.exclude, ...DB, ...PROCESS],
          provide: { testProject: 'unit' },
          // Pure modules: a worker imports vega, sharp and mjml once for all the files it runs.
          isolate: false,
        },
      },
      {
        extends: true,
        test: { name: 'db', include: DB, globalSetup: GLOBAL_SETUP, provide: { testProject: 'db' } },
      },
      {
        extends: true,
        test: { name: 'process', include: PROCESS, globalSetup: GLOBAL_SETUP, provide: { testProject: 'process' } },
      },
    ],
  },
});
