// The command works where people expect it: `npx ticketbridge` in a checkout after `npm ci`, and
// `ticketbridge` after `npm install -g` of the packed tarball, which carries the build and not the tests.
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../..');
const { version } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };
const exec = promisify(execFile);

/** The environment of a person's shell: none of the npm_* variables `npm test` sets for its scripts. */
const shellEnv = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^npm_/i.test(k)));

async function run(cmd: string, args: string[], cwd: string): Promise<{ stdout: string; stderr: string }> {
  // better-sqlite3 compiles its addon during the global install when no prebuilt one can be
  // fetched (about two minutes alone here, more while the rest of the suite runs).
  return exec(cmd, args, { cwd, env: shellEnv, maxBuffer: 16 * 1024 * 1024, timeout: 600_000 });
}

const dir = mkdtempSync(join(tmpdir(), 'tb-install-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('the ticketbridge command', () => {
  it('runs with npx in a checkout after npm ci, from the sources', async () => {
    const help = await run('npx', ['--no-install', 'ticketbridge', '--help'], ROOT);
    expect(help.stdout).toMatch(/^Usage: ticketbridge \[options\] \[command\]/);
    expect(help.stdout).toContain('validate');
    const validated = await run(
      'npx',
      ['--no-install', 'ticketbridge', 'validate', '--config', 'config/demo.yaml'],
      ROOT,
    );
    expect(validated.stdout).toBe('config/demo.yaml: valid (3 systems, 2 connections)\n');
  });

  it('installs globally from the packed tarball, which holds the build and no tests', async () => {
    const packed = await run('npm', ['pack', '--json', '--pack-destination', dir], ROOT);
    const [info] = JSON.parse(packed.stdout.slice(packed.stdout.indexOf('['))) as [
      { filename: string; files: { path: string }[] },
    ];
    const files = info.files.map((f) => f.path);
    expect(files).toEqual(
      expect.arrayContaining([
        'package.json',
        'bin/ticketbridge.js',
        'dist/cli.js',
        'dist/daemon.js',
        'config/demo.yaml',
        'config/schema.json',
        'LICENSE',
        'NOTICE',
        'README.md',
      ]),
    );
    expect(files.filter((f) => /^(src|test|scripts|bench)\/|\.test\.|test-(fixtures|helpers|client)/.test(f))).toEqual(
      [],
    );

    const prefix = join(dir, 'prefix');
    await run(
      'npm',
      [
        'install',
        '--global',
        '--prefix',
        prefix,
        '--prefer-offline',
        '--no-audit',
        '--no-fund',
        join(dir, info.filename),
      ],
      dir,
    );
    const bin = join(prefix, 'bin', 'ticketbridge');
    expect((await run(bin, ['--version'], dir)).stdout.trim()).toBe(version);
    expect((await run(bin, ['--help'], dir)).stdout).toMatch(/^Usage: ticketbridge/);
    const demoConfig = join(prefix, 'lib', 'node_modules', 'ticketbridge', 'config', 'demo.yaml');
    expect((await run(bin, ['validate', '--config', demoConfig], dir)).stdout).toBe(
      `${demoConfig}: valid (3 systems, 2 connections)\n`,
    );
  }, 900_000);
});
