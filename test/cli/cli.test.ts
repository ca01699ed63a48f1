// The CLI as a user meets it: validate (exit codes, every problem with its position, every refusal
// of `run`), --help on every verb, and read verbs on a ledger that does not exist. Ticket search against a running Jira is in ticket-search.integration.test.ts.
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { buildCli } from '../../src/cli/program.js';
import { SqliteLedger } from '../../src/core/ledger/sqlite/index.js';
import { startDaemon } from '../../src/daemon.js';
import { loadConfig } from '../../src/mapping/loader.js';
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

  it('errors retry takes an id or --all (with --code), and says so in one line otherwise', async () => {
    const config = join(ROOT, 'config/demo.yaml');
    expect(await run('errors', 'retry', '--config', config)).toBe(2);
    expect(cli.err.trim()).toBe('error: give an error id or --all, not both');
    expect(await run('errors', 'retry', '7', '--all', '--config', config)).toBe(2);
    expect(await run('errors', 'retry', '7', '--code', 'auth_failed', '--config', config)).toBe(2);
    expect(cli.err).toContain('--code goes with --all');
    expect(await run('errors', 'retry', '--all', '--code', 'nope', '--config', config)).toBe(2);
    expect(cli.err).toContain('--code: no error code "nope" (codes: ');
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

describe('validate refuses what run refuses', () => {
  const demo = readFileSync(join(ROOT, 'config/demo.yaml'), 'utf8');
  const write = (text: string): string => {
    const dir = mkdtempSync(join(tmpdir(), 'tb-cli-run-'));
    const file = join(dir, 'config.yaml');
    // A ledger of its own: \`run\` here must not open (or wait for) the demo's in the checkout.
    writeFileSync(file, text.replace('path: ./ticketbridge-demo.sqlite', `path: ${join(dir, 'ledger.sqlite')}`));
    return file;
  };
  const edited = (from: string, to: string): string => {
    expect(demo).toContain(from);
    return write(demo.replace(from, to));
  };

  it.each([
    [
      'listening beyond loopback without a token',
      [
        '  host: 127.0.0.1\n  port: 8080\n  token: ${env:TICKETBRIDGE_TOKEN:-demo-status-token}',
        '  host: 0.0.0.0\n  port: 8080',
      ],
      'server.host: "0.0.0.0" is not a loopback address, so server.token is required',
    ],
    [
      'a Jira Data Center deployment',
      [
        '      secret: ${env:JIRA_WEBHOOK_SECRET:-demo-jira-webhook-secret}',
        '      secret: ${env:JIRA_WEBHOOK_SECRET:-demo-jira-webhook-secret}\n    options: { deployment: datacenter }',
      ],
      'systems.jira.options.deployment: Jira Data Center is not supported',
    ],
  ])('%s: validate exits 2 naming it, and run refuses it with the same words', async (_name, [from, to], words) => {
    const file = edited(from!, to!);
    expect(await run('validate', '--config', file)).toBe(2);
    expect(cli.err.startsWith(`${file}: ${words}`), cli.err).toBe(true);
    expect(cli.err.trim().split('\n')).toHaveLength(1);
    await expect(startDaemon(loadConfig(file).config, { logLevel: 'silent' })).rejects.toThrow(words);
  });

  it('warns about a ledger directory missing on this machine, which run refuses', async () => {
    const file = edited('  path: ./ticketbridge-demo.sqlite', '  path: /nonexistent/ticketbridge/ledger.sqlite');
    expect(await run('validate', '--config', file)).toBe(0);
    expect(cli.err).toBe(
      `warning: ${file}: ledger.path: the directory /nonexistent/ticketbridge does not exist, so the ledger cannot be created on this machine\n`,
    );
    await expect(startDaemon(loadConfig(file).config, { logLevel: 'silent' })).rejects.toThrow(
      'ledger.path: the directory /nonexistent/ticketbridge does not exist, so the ledger cannot be created',
    );
  });

  it.each([
    [
      'a ConnectWise cloud API host whose UI host is left out',
      ['    baseUrl: http://127.0.0.1:9102', '    baseUrl: https://api-na.myconnectwise.net'],
      'systems.connectwise.webhook.trustedKeyHosts: cloud callbacks carry key_url on na.myconnectwise.net, which ["127.0.0.2"] does not trust, so every callback would be refused (401); add "na.myconnectwise.net" or leave trustedKeyHosts out to trust it by default',
    ],
    [
      'a URL where a host name belongs',
      ['trustedKeyHosts: ["127.0.0.2"]', 'trustedKeyHosts: ["https://127.0.0.2/"]'],
      'systems.connectwise.webhook.trustedKeyHosts: "https://127.0.0.2/" is not a host name (name, name:port or *.domain), so it trusts no key_url',
    ],
  ])('warns about %s in the ConnectWise signing-key hosts (validate)', async (_name, [from, to], words) => {
    const file = edited(from!, to!);
    expect(await run('validate', '--config', file)).toBe(0);
    expect(cli.err).toBe(`warning: ${file}: ${words}\n`);
  });

  it('rejects a reconcile cron node-cron cannot schedule, at its line and column', async () => {
    const file = edited('  cron: "*/5 * * * *"', '  cron: "every 5 minutes"');
    expect(await run('validate', '--config', file)).toBe(2);
    const line = demo.split('\n').findIndex((l) => l.startsWith('  cron:')) + 1;
    expect(cli.err).toBe(
      `${file}:${line}:9 reconcile.cron: not a cron expression (minute hour day-of-month month day-of-week, seconds optional first): expected 5 or 6 fields but got 3\n`,
    );
  });

  it('rejects a drift audit cron node-cron cannot schedule, at its line and column, and accepts a good one', async () => {
    const file = edited('reconcile:\n', 'drift:\n  cron: "hourly"\nreconcile:\n');
    expect(await run('validate', '--config', file)).toBe(2);
    const line = demo.split('\n').findIndex((l) => l.startsWith('reconcile:')) + 2;
    expect(cli.err).toBe(
      `${file}:${line}:9 drift.cron: not a cron expression (minute hour day-of-month month day-of-week, seconds optional first): expected 5 or 6 fields but got 1\n`,
    );
    cli.err = '';
    expect(await run('validate', '--config', edited('reconcile:\n', 'drift:\n  cron: "0 3 * * *"\nreconcile:\n'))).toBe(
      0,
    );
    expect(loadConfig(edited('reconcile:\n', 'drift:\n  cron: "0 3 * * *"\nreconcile:\n')).config.drift).toEqual({
      cron: '0 3 * * *',
      repair: false,
    });
  });

  it('stops at the first YAML syntax error and shows the line', async () => {
    const file = edited('    a: { system: freshservice }', '    a: { system: freshservice');
    expect(await run('validate', '--config', file)).toBe(2);
    const lines = cli.err.trimEnd().split('\n');
    expect(lines[0]).toMatch(
      new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}:\\d+:\\d+ YAML syntax error: `),
    );
    expect(lines.slice(1).some((l) => l.includes('a: { system: freshservice'))).toBe(true);
    expect(lines).toHaveLength(4);
  });
});

describe('reading a ledger that does not exist', () => {
  const config = join(ROOT, 'config/demo.yaml');

  it.each([
    ['ledger', 'links'],
    ['ledger', 'events'],
    ['conflicts', 'list'],
    ['errors', 'list'],
  ])('`%s %s --ledger <missing>` names the path and creates nothing', async (...verb) => {
    const missing = join(mkdtempSync(join(tmpdir(), 'tb-cli-ledger-')), 'typo.sqlite');
    expect(await run(...verb, '--config', config, '--ledger', missing)).toBe(2);
    expect(cli.err).toBe(
      `error: no ledger at ${missing} (--ledger): \`ticketbridge run\` creates it; this command only reads one\n`,
    );
    expect(existsSync(missing)).toBe(false);
  });

  it("names the config's ledger.path when no --ledger is given", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tb-cli-ledger-'));
    const file = join(dir, 'config.yaml');
    writeFileSync(
      file,
      readFileSync(config, 'utf8').replace('path: ./ticketbridge-demo.sqlite', `path: ${join(dir, 'ledger.sqlite')}`),
    );
    expect(await run('audit', 'connectwise:1', '--config', file)).toBe(2);
    expect(cli.err).toBe(
      `error: no ledger at ${join(dir, 'ledger.sqlite')} (ledger.path in ${file}): \`ticketbridge run\` creates it; this command only reads one\n`,
    );
    expect(existsSync(join(dir, 'ledger.sqlite'))).toBe(false);
  });
});

describe('audit shows SLA clocks', () => {
  it("ends a link's history with its SLA clocks in words", async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'tb-cli-audit-')), 'ledger.sqlite');
    const ledger = new SqliteLedger({ path });
    await ledger.migrate();
    const sla = { startedAt: '2026-11-30T19:00:00.000Z', businessHours: false };
    const base = { connection: 'fs-cw', linkId: null, side: null, field: null, oldValue: null } as const;
    await ledger.commit({
      connection: 'fs-cw',
      newLink: { aId: '500', bId: '900' },
      events: [
        {
          ...base,
          kind: 'escalation',
          newValue: 'outage',
          reason: 'critical outage (outage) triggered: routed to ConnectWise Manage board "On-Call" (after hours)',
          data: {
            policy: 'outage',
            scenario: 'outage',
            label: 'critical outage',
            route: null,
            sla: [
              { ...sla, clock: 'firstResponse', dueAt: '2026-11-30T19:30:00.000Z', minutes: 30 },
              { ...sla, clock: 'resolution', dueAt: '2026-11-30T23:00:00.000Z', minutes: 240 },
            ],
          },
        },
        {
          ...base,
          side: 'b',
          kind: 'sla_met',
          newValue: 'firstResponse',
          reason: 'critical outage: first response by ConnectWise Manage after 12 min',
          data: {
            policy: 'outage',
            clock: 'firstResponse',
            ...sla,
            dueAt: '2026-11-30T19:30:00.000Z',
            at: '2026-11-30T19:12:00.000Z',
            side: 'b',
          },
        },
      ],
    });
    await ledger.close();
    expect(await run('audit', 'connectwise:900', '--config', join(ROOT, 'config/demo.yaml'), '--ledger', path)).toBe(0);
    expect(cli.out).toContain(
      '  SLA clocks:\n' +
        '    critical outage, first response (30 min, started 2026-11-30 19:00 UTC, due 2026-11-30 19:30 UTC): met by side b after 12 min\n' +
        '    critical outage, resolution (240 min, started 2026-11-30 19:00 UTC, due 2026-11-30 23:00 UTC): running\n',
    );
  });
});
