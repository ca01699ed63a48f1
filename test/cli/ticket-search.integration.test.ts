// Ticket search in the CLI (`ledger links --ticket`, `audit`) on a real ledger file, with Jira keys
// resolved by a running Jira simulator on loopback.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SqliteLedger } from '../../src/core/ledger/sqlite/index.js';
import { jsmSimulator } from '../../src/simulators/jsm/index.js';
import { captureCli } from '../helpers/cli.js';

const cli = captureCli();
const { run } = cli;

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
    cli.out = '';
    expect(await run('ledger', 'links', '--config', config, '--ticket', ticket, '--json')).toBe(0);
    return (JSON.parse(cli.out) as { items: { id: string }[] }).items.map((l) => l.id);
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
    expect(cli.out).toContain(`link ${links.jira} (jira-cw)`);
    expect(cli.out).toContain('jira ticket linked to cw 7');
    expect(cli.out).not.toContain('fs-cw');
  });

  it('refuses an unknown system in one line naming the configured ones, exit 2', async () => {
    expect(await run('audit', 'jsm:IT-1', '--config', config)).toBe(2);
    expect(cli.err).toBe('error: unknown system "jsm" in "jsm:IT-1"; the configured systems are cw, fs, jira\n');
    cli.err = '';
    expect(await run('ledger', 'links', '--config', config, '--ticket', 'servicenow:1')).toBe(2);
    expect(cli.err).toBe(
      'error: unknown system "servicenow" in "servicenow:1"; the configured systems are cw, fs, jira\n',
    );
  });

  it('says no link holds a reference that matches nothing', async () => {
    expect(await run('audit', 'fs:500', '--config', config)).toBe(2);
    expect(cli.err).toBe('error: no link holds ticket fs:500\n');
  });
});
