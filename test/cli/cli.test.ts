// The CLI as a user meets it: validate (exit codes, every problem with its position), --help on
// every verb, and the ledger/conflict verbs on a real ledger file.
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { buildCli, main } from '../../src/cli/program.js';
import { SqliteLedger } from '../../src/core/ledger/sqlite/index.js';
import { jsmSimulator } from '../../src/simulators/jsm/index.js';

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

let out = '';
let err = '';
beforeEach(() => {
  out = '';
  err = '';
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => ((out += String(chunk)), true));
  vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => ((err += String(chunk)), true));
});
afterEach(() => {
  vi.restoreAllMocks();
  vi.unstubAllEnvs();
});

const run = (...args: string[]): Promise<number> => main(['node', 'ticketbridge', ...args]);

describe('ticketbridge validate', () => {
  it.each(readdirSync(join(ROOT, 'config/examples')).filter((f) => f.endsWith('.yaml')))(
    'accepts the example %s with its secrets in the environment',
    async (file) => {
      for (const [k, v] of Object.entries(EXAMPLE_ENV)) vi.stubEnv(k, v);
      expect(await run('validate', '--config', join(ROOT, 'config/examples', file))).toBe(0);
      expect(out).toContain('valid');
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
    const lines = err.trim().split('\n');
    expect(lines).toEqual(
      expect.arrayContaining([
        expect.stringMatching(
          new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}:5:\\d+ .*TB_TEST_UNSET_KEY`),
        ),
        expect.stringMatching(/:11:\d+ .*ownr.*owner/),
        expect.stringMatching(/:13:\d+ .*intervalMs/),
      ]),
    );
    expect(err).not.toMatch(/\n\s+at /); // no stack trace
  });

  it('names a missing file in one line', async () => {
    expect(await run('validate', '--config', '/nonexistent/ticketbridge.yaml')).toBe(2);
    expect(err.trim().split('\n')).toHaveLength(1);
    expect(err).toContain('/nonexistent/ticketbridge.yaml');
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
      expect(out).toMatch(/Usage: ticketbridge/);
    },
  );
});

describe('ticket search in `ledger links --ticket` and `audit`', () => {
  // Two connections share ConnectWise; Freshservice ticket 7 and ConnectWise ticket 7 are
  // different tickets in different links. Jira is the simulator, so keys resolve for real.
  let config: string;
  let ledgerPath: string;
  let jiraKey: string;
  const links: Record<string, string> = {};
  let stopJira: () => Promise<void>;

  beforeEach(async () => {
    const jiraSystem = {
      kind: 'jsm' as const,
      baseUrl: 'http://127.0.0.1:9103',
      credentials: { email: 'demo@example.com', apiToken: 'demo-jira-token' },
    };
    const sim = await jsmSimulator.start({ system: jiraSystem, port: 0 });
    stopJira = () => sim.stop();
    const seeded = (await (
      await fetch(`${sim.url}/__sim/seed`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ issues: [{ summary: 'Printer jams' }] }),
      })
    ).json()) as { issues: { id: string; key: string }[] };
    const issue = seeded.issues[0]!;
    jiraKey = issue.key;

    const dir = mkdtempSync(join(tmpdir(), 'tb-cli-search-'));
    ledgerPath = join(dir, 'ledger.sqlite');
    config = join(dir, 'config.yaml');
    writeFileSync(
      config,
      [
        'systems:',
        '  jira:',
        '    kind: jsm',
        `    baseUrl: ${sim.url}`,
        '    credentials: { email: demo@example.com, apiToken: demo-jira-token }',
        '  cw:',
        '    kind: connectwise',
        '    baseUrl: http://127.0.0.1:9',
        '    credentials: { company: demo, publicKey: p, privateKey: q, clientId: c }',
        '    options: { companyIdentifier: Contoso }',
        '  fs:',
        '    kind: freshservice',
        '    baseUrl: http://127.0.0.1:9',
        '    credentials: { apiKey: k }',
        'connections:',
        '  jira-cw:',
        '    a: { system: jira, scope: { project: IT } }',
        '    b: { system: cw, scope: { boards: [Help] } }',
        '    fields: [{ name: summary, a: summary, b: summary, owner: both }]',
        '  fs-cw:',
        '    a: { system: fs }',
        '    b: { system: cw, scope: { boards: [Help] } }',
        '    fields: [{ name: summary, a: subject, b: summary, owner: both }]',
        `ledger: { driver: sqlite, path: ${ledgerPath} }`,
        '',
      ].join('\n'),
    );

    const ledger = new SqliteLedger({ path: ledgerPath });
    links.jira = (await ledger.commit({
      connection: 'jira-cw',
      newLink: { aId: issue.id, bId: '7' },
      events: [
        {
          connection: 'jira-cw',
          linkId: null,
          side: 'a',
          field: null,
          kind: 'link_created',
          oldValue: null,
          newValue: null,
          reason: 'jira ticket linked to cw 7',
        },
      ],
    }))!;
    links.fs = (await ledger.commit({
      connection: 'fs-cw',
      newLink: { aId: '7', bId: '500' },
      events: [
        {
          connection: 'fs-cw',
          linkId: null,
          side: 'a',
          field: null,
          kind: 'link_created',
          oldValue: null,
          newValue: null,
          reason: 'fs 7 linked to cw 500',
        },
      ],
    }))!;
    await ledger.close();
  });
  afterEach(async () => {
    await stopJira();
  });

  const listed = async (ticket: string): Promise<string[]> => {
    out = '';
    expect(await run('ledger', 'links', '--config', config, '--ticket', ticket, '--json')).toBe(0);
    return (JSON.parse(out) as { items: { id: string }[] }).items.map((l) => l.id);
  };

  it('narrows a number two systems use to the system it names', async () => {
    expect(await listed('7')).toEqual([links.fs, links.jira]);
    expect(await listed('cw:7')).toEqual([links.jira]);
    expect(await listed('fs:7')).toEqual([links.fs]);
  });

  it('finds a link by its Jira key, in any case', async () => {
    expect(await listed(jiraKey)).toEqual([links.jira]);
    expect(await listed(`jira:${jiraKey.toLowerCase()}`)).toEqual([links.jira]);
    expect(await listed(`cw:${jiraKey}`)).toEqual([]);
  });

  it('audits the link holding a Jira key, and only that link', async () => {
    expect(await run('audit', `jira:${jiraKey}`, '--config', config)).toBe(0);
    expect(out).toContain(`link ${links.jira} (jira-cw)`);
    expect(out).toContain('jira ticket linked to cw 7');
    expect(out).not.toContain('fs-cw');
  });

  it('refuses an unknown system in one line naming the configured ones, exit 2', async () => {
    expect(await run('audit', 'jsm:IT-1', '--config', config)).toBe(2);
    expect(err).toBe('error: unknown system "jsm" in "jsm:IT-1"; the configured systems are cw, fs, jira\n');
    err = '';
    expect(await run('ledger', 'links', '--config', config, '--ticket', 'servicenow:1')).toBe(2);
    expect(err).toBe('error: unknown system "servicenow" in "servicenow:1"; the configured systems are cw, fs, jira\n');
  });

  it('says no link holds a reference that matches nothing', async () => {
    expect(await run('audit', 'fs:500', '--config', config)).toBe(2);
    expect(err).toBe('error: no link holds ticket fs:500\n');
  });
});
