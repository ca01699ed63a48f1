// Two projects by cost. `unit`: in-process tests, the fast loop (`npm run test:unit`); a setup file
// makes them fail if they listen on a port or start a process. `integration`: the files named
// *.integration|property|browser.test.ts, which start servers, databases, processes or chromium
// (`npm run test:integration`). `npm test` runs both.
import { configDefaults, defineConfig } from 'vitest/config';

const INCLUDE = ['src/**/*.test.ts', 'test/**/*.test.ts'];
const COSTLY = ['**/*.integration.test.ts', '**/*.property.test.ts', '**/*.browser.test.ts'];

export default defineConfig({
  test: {
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    reporters: ['default'],
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: INCLUDE,
          exclude: [...configDefaults.exclude, ...COSTLY],
          setupFiles: ['test/setup/unit-guard.ts'],
        },
      },
      {
        extends: true,
        test: {
          name: 'integration',
          include: COSTLY.map((glob) => glob.replace('**/', '{src,test}/**/')),
          // PostgreSQL: TEST_DATABASE_URL, else a server on 127.0.0.1:5432, else a throwaway embedded one.
          globalSetup: ['test/setup/postgres.ts'],
        },
      },
    ],
  },
});
