// `ticketbridge link <a-ref> <b-ref>`, `link --dry-run`, `link --from` with rows that cannot be
// linked, and `ticketbridge unlink <link>`, against the Freshservice and ConnectWise simulators.
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SqliteLedger } from '../../src/core/ledger/sqlite/index.js';
import { loadConfig } from '../../src/mapping/loader.js';
import { startSimulators, type StartedSimulator } from '../../src/simulators/start.js';
import { captureCli } from '../helpers/cli.js';
import { freePort } from '../helpers/demo-stack.js';
import { connectwiseSystemYaml, freshserviceSystemYaml } from '../helpers/sim-systems.js';

const cli = captureCli();

async function seed(url: string, body: unknown): Promise<string[]> {
  const res = await fetch(`${url}/__sim/seed`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return ((await res.json()) as { tickets: number[] }).tickets.map(String);
}

describe('ticketbridge link and unlink', () => {
  let dir: string;
  let config: string;
  let ledger: string;
  let sims: StartedSimulator[];
  let fs: string[];
  let cw: string[];
  let cwUrl: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tb-link-'));
    config = join(dir, 'config.yaml');
    ledger = join(dir, 'ledger.sqlite');
    const [fsPort, cwPort] = [await freePort(), await freePort()];
    writeFileSync(
      config,
      [
        'systems:',
        ...freshserviceSystemYaml('freshservice', fsPort, [
          'options: { defaultRequesterEmail: msp-desk@contoso.example }',
        ]),
        ...connectwiseSystemYaml('connectwise', cwPort),
        'connections:',
        '  fs-cw:',
        '    a: { system: freshservice }',
        '    b: { system: connectwise, scope: { boards: [Co-Managed FS] } }',
        '    fields:',
        '      - { name: summary, a: subject, b: summary, owner: both, conflict: newest }',
        '      - name: priority',
        '        a: priority',
        '        b: priority',
        '        owner: a',
        '        map:',
        '          - { a: 4, b: Priority 1 - Critical }',
        '          - { a: 3, b: Priority 2 - High }',
        '          - { a: 2, b: Priority 3 - Medium }',
        '          - { a: 1, b: Priority 4 - Low }',
        '    create: { aToB: true, bToA: true }',
        '    match: { reference: { side: b, field: externalXRef } }',
        `ledger: { driver: sqlite, path: ${ledger} }`,
      ].join('\n'),
    );
    sims = await startSimulators(loadConfig(config, { env: {} }).config);
    const url = (kind: string): string => sims.find((s) => s.system.kind === kind)!.handle.url;
    cwUrl = url('connectwise');
    fs = await seed(url('freshservice'), {
      tickets: [1, 2, 3, 4].map((i) => ({
        subject: `Laptop ${i} will not boot`,
        description: 'x',
        priority: 3,
        status: 2,
      })),
    });
    await seed(cwUrl, { boards: [{ name: 'Elsewhere' }] });
    cw = await seed(cwUrl, {
      tickets: [
        ...[1, 2].map((i) => ({
          summary: `Laptop ${i} will not boot`,
          board: { name: 'Co-Managed FS' },
          priority: { name: 'Priority 4 - Low' },
        })),
        { summary: 'Not ours', board: { name: 'Elsewhere' } },
        // The MSP typed the Freshservice ticket number into External Reference.
        { summary: 'Laptop 4 will not boot', board: { name: 'Co-Managed FS' }, externalXRef: fs[3] },
      ],
    });
  });
  afterAll(async () => {
    for (const s of sims ?? []) await s.handle.stop();
  });

  it('previews the first pass with --dry-run and links nothing, not even a ledger', async () => {
    expect(await cli.run('link', '--config', config, '--dry-run', fs[0]!, cw[0]!)).toBe(0);
    expect(cli.out).toContain(`fs-cw ${fs[0]} ⇄ ${cw[0]}: nothing would be linked (dry run)`);
    expect(cli.out).toContain(`b ${cw[0]}: priority = "Priority 2 - High" (priority from a: mirror)`);
    expect(existsSync(ledger)).toBe(false);
    const ticket = (await (
      await fetch(`${cwUrl}/v4_6_release/apis/3.0/service/tickets/${cw[0]}`, {
        headers: {
          authorization: `Basic ${Buffer.from('demo+demo-public:demo-private').toString('base64')}`,
          clientId: '11111111-2222-3333-4444-555555555555',
        },
      })
    ).json()) as { externalXRef?: string };
    expect(ticket.externalXRef ?? null).toBeNull();
  });

  it('links a pair and prints only the new link id; the same pair again is refused in one line', async () => {
    expect(await cli.run('link', '--config', config, fs[0]!, `connectwise:${cw[0]}`)).toBe(0);
    const id = cli.out.trim();
    const l = new SqliteLedger({ path: ledger });
    const link = await l.getLink(id);
    await l.close();
    expect(link).toMatchObject({ aId: fs[0], bId: cw[0], state: 'active' });
    cli.err = '';
    expect(await cli.run('link', '--config', config, fs[0]!, cw[0]!)).toBe(1);
    expect(cli.err).toBe(`error: already linked: fs-cw ${fs[0]} ⇄ ${cw[0]}: link ${id}\n`);
  });

  it('refuses a ticket linked elsewhere, not found, or outside the scope, one line each', async () => {
    const refused = async (a: string, b: string): Promise<string> => {
      cli.err = '';
      expect(await cli.run('link', '--config', config, a, b)).toBe(1);
      expect(cli.err.trim().split('\n')).toHaveLength(1);
      return cli.err.trim();
    };
    expect(await refused(fs[1]!, cw[0]!)).toMatch(
      new RegExp(`^error: refused: fs-cw: ticket ${cw[0]} on b \\(ConnectWise Manage\\) is already linked to ${fs[0]}`),
    );
    expect(await refused(fs[1]!, '99999')).toBe('error: not found: fs-cw: no ticket 99999 on b (ConnectWise Manage)');
    expect(await refused(fs[1]!, cw[2]!)).toBe(
      `error: refused: fs-cw: ticket ${cw[2]} on b (ConnectWise Manage) is outside the connection's scope`,
    );
  });

  it('links a pairs file, counts what it could not link, exits 1, and finishes on the next run', async () => {
    const file = join(dir, 'pairs.csv');
    writeFileSync(file, `connection,a,b\nfs-cw,${fs[0]},${cw[0]}\nfs-cw,${fs[1]},${cw[1]}\n,${fs[2]},424242\n`);
    cli.out = '';
    cli.err = '';
    expect(await cli.run('link', '--config', config, '--from', file)).toBe(1);
    expect(cli.out).toContain(`line 4: fs-cw: no ticket 424242 on b (ConnectWise Manage)`);
    expect(cli.out).toContain(`${file}: 3 rows: linked 1, already linked 1, not found 1, refused 0\n`);
    // Not a terminal: plain progress lines on stderr, no bar.
    expect(cli.err).toContain(`${file}: linking: 3 of 3\n`);
    writeFileSync(file, `connection,a,b\nfs-cw,${fs[0]},${cw[0]}\nfs-cw,${fs[1]},${cw[1]}\n`);
    cli.out = '';
    expect(await cli.run('link', '--config', config, '--from', file)).toBe(0);
    expect(cli.out).toContain(`${file}: 2 rows: linked 0, already linked 2, not found 0, refused 0\n`);
  });

  it('names the file and the header when the columns are wrong', async () => {
    const file = join(dir, 'bad.csv');
    writeFileSync(file, `left,right\n1,2\n`);
    cli.err = '';
    expect(await cli.run('link', '--config', config, '--from', file)).toBe(2);
    expect(cli.err).toBe(
      `error: ${file}: the header row must name the columns a,b or connection,a,b (found left,right)\n`,
    );
  });

  it('discovers the pair a reference field names, with its evidence, and links it with --accept', async () => {
    cli.out = '';
    expect(await cli.run('link', '--config', config, '--discover')).toBe(0);
    expect(cli.out).toBe(
      `fs-cw ${fs[3]} ⇄ ${cw[3]}: externalXRef on b (ConnectWise Manage) ${cw[3]} holds "${fs[3]}", a (Freshservice) ticket #INC-${fs[3]}\n1 candidate pair\n`,
    );
    cli.out = '';
    expect(await cli.run('link', '--config', config, '--discover', '--accept')).toBe(0);
    expect(cli.out).toContain('accepted: 1 rows: linked 1, already linked 0, not found 0, refused 0\n');
    const l = new SqliteLedger({ path: ledger });
    expect(await l.findLink('fs-cw', 'a', fs[3]!)).toMatchObject({ bId: cw[3], state: 'active' });
    await l.close();
    cli.out = '';
    expect(await cli.run('link', '--config', config, '--discover')).toBe(0);
    expect(cli.out).toBe('0 candidate pairs\n');
  });

  it('unlinks a link by its id', async () => {
    const l = new SqliteLedger({ path: ledger });
    const link = (await l.findLink('fs-cw', 'a', fs[1]!))!;
    await l.close();
    cli.out = '';
    expect(await cli.run('unlink', link.id, '--config', config)).toBe(0);
    expect(cli.out).toBe(`link ${link.id} (fs-cw): unlinked (unlinked by a person)\n`);
  });
});
