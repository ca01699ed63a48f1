// `ticketbridge link IT-1 cw:<id>` on the Jira and ConnectWise simulators: the Jira key is resolved
// to its issue, the marker lands where a create puts it (the ticketbridge.marker property and a tb-…
// label beside the issue's own labels), and ConnectWise's in externalXRef.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { markerToLabel, MARKER_PROPERTY } from '../../src/connectors/jsm/convert.js';
import { SqliteLedger } from '../../src/core/ledger/sqlite/index.js';
import { pairMarkers } from '../../src/core/marker.js';
import { loadConfig } from '../../src/mapping/loader.js';
import { startSimulators, type StartedSimulator } from '../../src/simulators/start.js';
import { captureCli } from '../helpers/cli.js';
import { freePort } from '../helpers/demo-stack.js';

const cli = captureCli();
const JIRA_AUTH = `Basic ${Buffer.from('demo@example.com:demo-jira-token').toString('base64')}`;

describe('ticketbridge link with a Jira key', () => {
  let dir: string;
  let config: string;
  let sims: StartedSimulator[];
  let jiraUrl: string;
  let issue: { id: string; key: string };
  let cwId: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tb-link-jira-'));
    config = join(dir, 'config.yaml');
    const [jiraPort, cwPort] = [await freePort(), await freePort()];
    writeFileSync(
      config,
      [
        'systems:',
        '  jira:',
        '    kind: jsm',
        `    baseUrl: http://127.0.0.1:${jiraPort}`,
        '    credentials: { email: demo@example.com, apiToken: demo-jira-token }',
        '  cw:',
        '    kind: connectwise',
        `    baseUrl: http://127.0.0.1:${cwPort}`,
        '    credentials: { company: demo, publicKey: demo-public, privateKey: demo-private, clientId: 11111111-2222-3333-4444-555555555555 }',
        '    options: { codebase: v4_6_release/, companyIdentifier: Contoso }',
        'connections:',
        '  jsm-cw:',
        '    a: { system: jira, scope: { project: IT, issueType: Incident } }',
        '    b: { system: cw, scope: { boards: [Co-Managed JSM] } }',
        '    fields:',
        '      - { name: summary, a: summary, b: summary, owner: both, conflict: newest }',
        `ledger: { driver: sqlite, path: ${join(dir, 'ledger.sqlite')} }`,
      ].join('\n'),
    );
    sims = await startSimulators(loadConfig(config, { env: {} }).config);
    jiraUrl = sims.find((s) => s.system.kind === 'jsm')!.handle.url;
    const cwUrl = sims.find((s) => s.system.kind === 'connectwise')!.handle.url;
    const post = async (url: string, body: unknown): Promise<unknown> =>
      (
        await fetch(`${url}/__sim/seed`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(body),
        })
      ).json();
    const seeded = (await post(jiraUrl, {
      issues: [{ summary: 'Badge reader offline', issuetype: 'Incident', labels: ['vip'] }],
    })) as { issues: Array<{ id: string; key: string }> };
    issue = seeded.issues[0]!;
    const cw = (await post(cwUrl, {
      tickets: [{ summary: 'Badge reader offline', board: { name: 'Co-Managed JSM' } }],
    })) as { tickets: number[] };
    cwId = String(cw.tickets[0]);
  });
  afterAll(async () => {
    for (const s of sims ?? []) await s.handle.stop();
  });

  it('resolves the key, stamps the marker property and label on the issue, keeps its labels, and links', async () => {
    expect(await cli.run('link', '--config', config, issue.key.toLowerCase(), `cw:${cwId}`)).toBe(0);
    const id = cli.out.trim();
    const ledger = new SqliteLedger({ path: join(dir, 'ledger.sqlite') });
    expect(await ledger.getLink(id)).toMatchObject({ aId: issue.id, bId: cwId, aKey: issue.key });
    await ledger.close();

    const marker = pairMarkers('jsm-cw', { a: issue.id, b: cwId }).a;
    const read = async (path: string): Promise<unknown> =>
      (await fetch(`${jiraUrl}/rest/api/3/issue/${issue.id}${path}`, { headers: { authorization: JIRA_AUTH } })).json();
    const property = (await read(`/properties/${MARKER_PROPERTY}`)) as { value: { marker: string } };
    expect(property.value).toEqual({ marker });
    const fields = ((await read('')) as { fields: { labels: string[] } }).fields;
    expect(fields.labels.sort()).toEqual([markerToLabel(marker), 'vip'].sort());
  });
});
