// The CLI as a user meets it: validate (exit codes, every problem with its position) and --help on
// every verb. Ticket search against a running Jira is in ticket-search.integration.test.ts.
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { buildCli } from '../../src/cli/program.js';
import { captureCli } from '../helpers/cli.js';

const ROOT = resolve(import.meta.dirname, '../..');
const EXAMPLE_ENV = {
  FRESHSERVICE_API_KEY: 'k',
  FRESHSERVICE_WEBHOOK_SECRET: 's',
  CW_PUBLIC_KEY: 'p',
  CW_PRIVATE_KEY: 'q',
  CW_CLIENT_ID: 'c',
  JIRA_API_TOKEN: 't',
  JIRA_WEBHOOK_SECRET: 'w',
  TICKETBRIDGE_TOKEN: 'x',
  TICKETBRIDGE_DATABASE_URL: 'postgres://tb@db.internal:5432/tb',
};

const cli = captureCli();
const { run } = cli;

describe('ticketbridge validate', () => {
  it.each(readdirSync(join(ROOT, 'config/examples')).filter((f) => f.endsWith('.yaml')))(
    'accepts the example %s with its secrets in the environment',
    async (file) => {
      for (const [k, v] of Object.entries(EXAMPLE_ENV)) vi.stubEnv(k, v);
      expect(await run('validate', '--config', join(ROOT, 'config/examples', file))).toBe(0);
      expect(cli.out).toContain('valid');
    },
  );

  it('accepts the demo configuration', async () => {
    expect(await run('validate', '--config', join(ROOT, 'config/demo.yaml'))).toBe(0);
  });

  it('reports every mistake with file, line and column, and exits 2', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tb-cli-'));
    const file = join(dir, 'bad.yaml');
    writeFileSync(
      file,
      [
        'systems:',
        '  fs:',
        '    kind: freshservice',
        '    baseUrl: https://x.freshservice.com',
        '    credentials: { apiKey: "${env:TB_TEST_UNSET_KEY}" }',
        'connections:',
        '  c:',
        '    a: { system: fs }',
        '    b: { system: fs }',
        '    fields:',
        '      - { name: s, a: subject, b: subject, ownr: both }',
        'polling:',
        '  intervalMs: soon',
        '',
      ].join('\n'),
    );
    expect(await run('validate', '--config', file)).toBe(2);
    const lines = cli.err.trim().split('\n');
    expect(lines).toEqual(
      expect.arrayContaining([
        expect.stringMatching(
          new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}:5:\\d+ .*TB_TEST_UNSET_KEY`),
        ),
        expect.stringMatching(/:11:\d+ .*ownr.*owner/),
        expect.stringMatching(/:13:\d+ .*intervalMs/),
      ]),
    );
    expect(cli.err).not.toMatch(/\n\s+at /); // no stack trace
  });

  it('names a missing file in one line', async () => {
    expect(await run('validate', '--config', '/nonexistent/ticketbridge.yaml')).toBe(2);
    expect(cli.err.trim().split('\n')).toHaveLength(1);
    expect(cli.err).toContain('/nonexistent/ticketbridge.yaml');
  });
});

describe('help', () => {
  const verbs = (cmd: ReturnType<typeof buildCli>, prefix: string[] = []): string[][] =>
    cmd.commands.flatMap((c) => (c.commands.length > 0 ? verbs(c, [...prefix, c.name()]) : [[...prefix, c.name()]]));

  it.each(verbs(buildCli()).map((v) => [v.join(' '), v] as const))(
    '`%s --help` describes the verb',
    async (_name, verb) => {
      const code = await run(...verb, '--help');
      expect(code).toBe(0);
      expect(cli.out).toMatch(/Usage: ticketbridge/);
    },
  );
});
