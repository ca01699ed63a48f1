// `ticketbridge plan` writes nothing anywhere: against a ledger that does not exist it says there
// are no links yet and creates no file; against an existing ledger file it leaves the file, its
// write-ahead log and the folder exactly as they were. Real simulators on loopback.
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SqliteLedger } from '../../src/core/ledger/sqlite/index.js';
import { loadConfig } from '../../src/mapping/loader.js';
import { startSimulators, type StartedSimulator } from '../../src/simulators/start.js';
import { captureCli } from '../helpers/cli.js';
import { freePort } from '../helpers/demo-stack.js';

const cli = captureCli();

describe('plan writes nothing anywhere', () => {
  let dir: string;
  let config: string;
  let sims: StartedSimulator[];
  let jiraUrl: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tb-plan-'));
    config = join(dir, 'config.yaml');
    const [jira, fs] = [await freePort(), await freePort()];
    writeFileSync(
      config,
      [
        'systems:',
        '  jira:',
        '    kind: jsm',
        `    baseUrl: http://127.0.0.1:${jira}`,
        '    credentials: { email: demo@example.com, apiToken: demo-jira-token }',
        '  fs:',
        '    kind: freshservice',
        `    baseUrl: http://127.0.0.1:${fs}`,
        '    credentials: { apiKey: demo-freshservice-key }',
        '    options: { defaultRequesterEmail: desk@example.com }',
        'connections:',
        '  jsm-fs:',
        '    a: { system: jira, scope: { project: IT } }',
        '    b: { system: fs }',
        '    create: { aToB: true, bToA: false }',
        '    fields:',
        '      - { name: summary, a: summary, b: subject, owner: both }',
        `ledger: { driver: sqlite, path: ${join(dir, 'configured.sqlite')} }`,
      ].join('\n'),
    );
    sims = await startSimulators(loadConfig(config, { env: {} }).config);
    jiraUrl = `http://127.0.0.1:${jira}`;
    await fetch(`${jiraUrl}/__sim/seed`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ issues: [{ summary: 'Printer jams' }] }),
    });
  });
  afterAll(async () => {
    for (const s of sims ?? []) await s.handle.stop();
  });

  it('says there are no links yet and creates no ledger when it does not exist', async () => {
    const missing = join(dir, 'missing', 'ledger.sqlite');
    expect(await cli.run('plan', '--config', config, '--ledger', missing)).toBe(0);
    expect(cli.err).toContain('no links yet');
    expect(cli.out).toContain('Printer jams');
    expect(existsSync(join(dir, 'missing'))).toBe(false);
    expect(existsSync(join(dir, 'configured.sqlite'))).toBe(false);
  });

  it('leaves an existing ledger file and its folder exactly as they were', async () => {
    const path = join(dir, 'existing.sqlite');
    const ledger = new SqliteLedger({ path });
    await ledger.commit({ connection: 'jsm-fs', newLink: { aId: '999', bId: '888' } });
    await ledger.close();
    const before = { files: readdirSync(dir).sort(), bytes: readFileSync(path) };

    const code = await cli.run('plan', '--config', config, '--ledger', path, '--json');
    expect(cli.err).toBe('');
    expect(code).toBe(0);
    const planned = JSON.parse(cli.out) as Array<{ action: string; side: string }>;
    expect(planned).toEqual([expect.objectContaining({ action: 'create', side: 'b' })]);
    expect(readdirSync(dir).sort()).toEqual(before.files);
    expect(readFileSync(path).equals(before.bytes)).toBe(true);
  });
});
