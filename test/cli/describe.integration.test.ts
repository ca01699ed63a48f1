// `ticketbridge describe` against the three simulators over loopback HTTP, as against the real
// systems: boards or projects with their statuses and types, priorities, groups, custom fields and
// agents. The ConnectWise simulator takes its boards and companies from the config and /__sim/seed,
// and its boards' teams and user-defined fields from /__sim/seed.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FieldCatalog } from '../../src/core/types.js';
import { loadConfig } from '../../src/mapping/loader.js';
import { startSimulators, type StartedSimulator } from '../../src/simulators/start.js';
import { captureCli } from '../helpers/cli.js';
import { DEMO_CONFIG, freePort } from '../helpers/demo-stack.js';

const cli = captureCli();
let configFile: string;
let simulators: StartedSimulator[] = [];

beforeAll(async () => {
  // The demo config on free ports, with the MSP's own board name for the Freshservice connection.
  let text = readFileSync(DEMO_CONFIG, 'utf8').replace('boards: [Co-Managed FS]', 'boards: [Service Desk EU]');
  for (const port of ['9101', '9102', '9103'])
    text = text.replace(`127.0.0.1:${port}`, `127.0.0.1:${await freePort()}`);
  configFile = join(mkdtempSync(join(tmpdir(), 'tb-describe-')), 'config.yaml');
  writeFileSync(configFile, text);
  simulators = await startSimulators(loadConfig(configFile).config);
});

afterAll(async () => {
  for (const s of simulators) await s.handle.stop();
});

async function catalog(system: string): Promise<FieldCatalog> {
  cli.out = '';
  expect(await cli.run('describe', system, '--config', configFile, '--json')).toBe(0);
  return JSON.parse(cli.out) as FieldCatalog;
}

const field = (c: FieldCatalog, name: string) => c.fields.find((f) => f.name === name);

describe('ticketbridge describe', () => {
  it('lists ConnectWise boards (the config names one of its own) with their statuses, teams, user-defined fields, priorities and members', async () => {
    const cw = await catalog('connectwise');
    expect(field(cw, 'board')?.allowedValues).toEqual(['Co-Managed FS', 'Co-Managed JSM', 'Service Desk EU']);
    expect(field(cw, 'status')?.allowedValuesByScope?.['Service Desk EU']).toEqual([
      'New',
      'In Progress',
      'Waiting on Client',
      'Resolved',
      'Closed',
    ]);
    expect(field(cw, 'type')?.allowedValuesByScope?.['Co-Managed JSM']).toEqual([
      'Incident',
      'Service Request',
      'Problem',
    ]);
    expect(field(cw, 'priority')?.allowedValues).toContain('Priority 1 - Critical');
    // A board's groups of technicians are its teams (GET /service/boards/{id}/teams).
    expect(cw.groups?.filter((g) => g.scope === 'Service Desk EU').map((g) => g.name)).toEqual([
      'Service Desk',
      'Escalations',
    ]);
    // Custom fields are the user-defined fields (GET /system/userDefinedFields), listed beside the mappable fields.
    expect(cw.customFields).toEqual([
      { id: '1', name: 'Client Reference', type: 'EntryField Text', scope: 'ServiceTicket' },
      {
        id: '2',
        name: 'Site',
        type: 'Option Text',
        scope: 'ServiceTicket',
        values: ['Headquarters', 'Branch Office', 'Remote'],
      },
      { id: '3', name: 'After Hours', type: 'EntryField Checkbox', scope: 'ServiceTicket' },
    ]);
    expect(cw.fields.some((f) => f.name === 'Client Reference')).toBe(false);
    expect(cw.agents).toEqual([
      { id: 'asmith', name: 'Alex Smith' },
      { id: 'jdoe', name: 'Jane Doe' },
      { id: 'ticketbridge', name: 'TicketBridge API' },
    ]);
  });

  it('shows a ConnectWise board with its teams, a company, a member and a user-defined field added through /__sim/seed', async () => {
    const sim = simulators.find((s) => s.system.kind === 'connectwise')!;
    const seeded = await fetch(`${sim.handle.url}/__sim/seed`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        boards: [
          {
            name: 'Projects',
            statuses: [{ name: 'Scoping' }, { name: 'Delivered', closed: true }],
            types: ['Change'],
            teams: [{ name: 'Delivery', leader: 'kchan', members: ['kchan', 'jdoe'] }],
          },
        ],
        userDefinedFields: [{ caption: 'Cost Centre', type: 'Text', options: ['IT-100', 'IT-200'] }],
        companies: [{ identifier: 'Northwind', name: 'Northwind Traders' }],
        members: [{ identifier: 'kchan', name: 'Kim Chan' }],
        tickets: [
          { summary: 'Migrate the file server', board: { name: 'Projects' }, company: { identifier: 'Northwind' } },
        ],
      }),
    });
    expect(seeded.status).toBe(200);
    const cw = await catalog('connectwise');
    expect(field(cw, 'status')?.allowedValuesByScope?.Projects).toEqual(['Scoping', 'Delivered']);
    expect(field(cw, 'type')?.allowedValuesByScope?.Projects).toEqual(['Change']);
    expect(cw.agents).toContainEqual({ id: 'kchan', name: 'Kim Chan' });
    expect(cw.groups?.filter((g) => g.scope === 'Projects').map((g) => g.name)).toEqual(['Delivery']);
    expect(cw.customFields).toContainEqual(
      expect.objectContaining({ name: 'Cost Centre', type: 'Option Text', values: ['IT-100', 'IT-200'] }),
    );
  });

  it('lists Jira statuses per project, priorities, issue types, request types, custom fields, groups and assignable users', async () => {
    const jira = await catalog('jira');
    expect(field(jira, 'status')?.allowedValuesByScope?.IT).toEqual(
      expect.arrayContaining(['Waiting for support', 'In Progress', 'Resolved']),
    );
    expect(field(jira, 'priority')?.allowedValues).toEqual(expect.arrayContaining(['Highest', 'High', 'Medium']));
    expect(field(jira, 'issuetype')?.allowedValues).toContain('Incident');
    expect(jira.fields.some((f) => f.name.startsWith('customfield_'))).toBe(true);
    expect(jira.agents?.map((a) => a.name)).toContain('Mia Krystof');
    expect(jira.agents?.every((a) => a.id !== '' && a.name !== '')).toBe(true);
    // The site's groups (GET /rest/api/3/group/bulk), by groupId.
    expect(jira.groups?.map((g) => g.name)).toEqual(
      expect.arrayContaining(['it-support', 'jira-servicemanagement-users', 'msp-escalations']),
    );
    expect(jira.groups?.every((g) => /^[0-9a-f-]{36}$/.test(g.id))).toBe(true);
  });

  it('lists Freshservice statuses, priorities, groups, categories, custom fields and agents', async () => {
    const fs = await catalog('freshservice');
    expect(field(fs, 'status')?.allowedValues).toEqual(expect.arrayContaining([2, 3, 4, 5]));
    expect(field(fs, 'priority')?.allowedValues).toEqual([1, 2, 3, 4]);
    expect(field(fs, 'group_id')?.note).toMatch(/\d+ \S/);
    expect(field(fs, 'category')?.allowedValues?.length).toBeGreaterThan(0);
    expect(fs.fields.some((f) => f.name.startsWith('custom_fields.') || f.name.startsWith('cf_'))).toBe(true);
    expect(fs.agents?.length).toBeGreaterThan(0);
    expect(fs.agents?.[0]).toMatchObject({ id: expect.stringMatching(/^\d+$/), email: expect.stringContaining('@') });
    expect(fs.groups?.length).toBeGreaterThan(0);
    expect(fs.groups?.[0]).toMatchObject({ id: expect.stringMatching(/^\d+$/), name: expect.any(String) });
  });

  it('prints a readable catalog, and names the configured systems for an unknown one', async () => {
    cli.out = '';
    expect(await cli.run('describe', 'connectwise', '--config', configFile)).toBe(0);
    expect(cli.out).toMatch(/^connectwise: ConnectWise Manage at http:\/\/127\.0\.0\.1:\d+\n/);
    expect(cli.out).toContain('    Service Desk EU: New, In Progress, Waiting on Client, Resolved, Closed');
    expect(cli.out).toMatch(/Agents \(\d+\):\n {2}id +name/);
    expect(cli.out).toMatch(/Groups \(\d+\):\n {2}id +name +board\n/);
    expect(cli.out).toMatch(/\n {2}\d+ +Escalations +Service Desk EU\n/);
    expect(cli.out).toMatch(
      /Custom fields \(\d+, listed only: the mapping cannot name them yet\):\n {2}id +name +type/,
    );
    expect(cli.out).toMatch(/\n {2}2 +Site +Option Text +ServiceTicket +Headquarters, Branch Office, Remote\n/);
    cli.out = '';
    expect(await cli.run('describe', 'jira', '--config', configFile)).toBe(0);
    expect(cli.out).toMatch(/Groups \(\d+\):\n {2}id +name\n/);
    expect(cli.out).toMatch(/\n {2}[0-9a-f-]{36} +msp-escalations\n/);
    cli.err = '';
    expect(await cli.run('describe', 'servicenow', '--config', configFile)).toBe(2);
    expect(cli.err).toBe('no system named "servicenow" (the config has freshservice, connectwise, jira)\n');
  });
});
