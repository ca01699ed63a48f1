// Behaviour of the ConnectWise simulator over real loopback HTTP, feature by feature, the way a
// client written from ConnectWise's documentation would use it.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  CallbackReceiver,
  cwApi,
  demoHeaders,
  demoSystem,
  payloadOf,
} from '../../connectors/connectwise/test-fixtures.js';
import { ManualClock } from '../../../test/helpers/manual-clock.js';
import type { SimulatorHandle } from '../types.js';
import { signCallback } from './callbacks.js';
import { connectwiseSimulator } from './index.js';

let sim: SimulatorHandle;
// The instance's time moves only when a test advances it (`lastUpdated` has second precision).
const clock = new ManualClock();
let receiver: CallbackReceiver;
const api = (
  method: string,
  path: string,
  body?: unknown,
  headers?: Record<string, string>,
): ReturnType<typeof cwApi> => cwApi(sim.url, method, path, body, headers);

interface Tk {
  id: number;
  summary: string;
  status: { id: number; name: string };
  board: { id: number; name: string };
  priority: { name: string };
  closedFlag: boolean;
  closedDate?: string;
  owner?: { identifier: string };
  externalXRef?: string;
  _info: Record<string, string>;
}

async function newTicket(extra: Record<string, unknown> = {}): Promise<Tk> {
  const res = await api('POST', '/service/tickets', {
    summary: 'Printer on fire',
    board: { name: 'Co-Managed FS' },
    company: { identifier: 'Contoso' },
    ...extra,
  });
  expect(res.status).toBe(201);
  return res.json as Tk;
}

beforeAll(async () => {
  sim = await connectwiseSimulator.start({ system: demoSystem('http://127.0.0.1:9102'), port: 0, clock });
  receiver = await new CallbackReceiver().start();
});
afterAll(async () => {
  await sim.stop();
  await receiver.stop();
});
beforeEach(async () => {
  await fetch(`${sim.url}/__sim/reset`, { method: 'POST' });
});

describe('codebase discovery and authentication', () => {
  it('answers /login/companyinfo/{company} without credentials, with the codebase', async () => {
    const res = await fetch(`${sim.url}/login/companyinfo/DEMO`);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ Codebase: 'v4_6_release/', CompanyID: 'demo', IsCloud: false });
  });

  it('serves the API under a versioned cloud codebase too', async () => {
    const res = await fetch(`${sim.url}/v2025_1/apis/3.0/service/priorities`, { headers: demoHeaders() });
    expect(res.status).toBe(200);
  });

  it('refuses a request without Basic credentials with 401 Unauthorized', async () => {
    const res = await fetch(`${sim.url}/v4_6_release/apis/3.0/service/tickets`, {
      headers: { clientId: demoHeaders().clientId! },
    });
    expect(res.status).toBe(401);
    expect(await res.json()).toMatchObject({ code: 'Unauthorized' });
  });

  it('refuses wrong keys', async () => {
    const res = await fetch(`${sim.url}/v4_6_release/apis/3.0/service/tickets`, {
      headers: { ...demoHeaders(), authorization: `Basic ${Buffer.from('demo+demo-public:wrong').toString('base64')}` },
    });
    expect(res.status).toBe(401);
  });

  it('requires the clientId header, under any casing', async () => {
    const { clientId, ...withoutClientId } = demoHeaders();
    const missing = await fetch(`${sim.url}/v4_6_release/apis/3.0/service/tickets`, { headers: withoutClientId });
    expect(missing.status).toBe(401);
    expect(await missing.json()).toEqual({
      code: 'Unauthorized',
      message: 'clientId header is required.',
      errors: null,
    });
    const upper = await fetch(`${sim.url}/v4_6_release/apis/3.0/service/tickets`, {
      headers: { ...withoutClientId, ClientID: clientId! },
    });
    expect(upper.status).toBe(200);
  });

  it('answers with the vendor media type for the requested model version and reports the current version', async () => {
    const res = await fetch(`${sim.url}/v4_6_release/apis/3.0/service/boards`, {
      headers: demoHeaders({ accept: 'application/vnd.connectwise.com+json; version=2022.1' }),
    });
    expect(res.headers.get('content-type')).toContain('application/vnd.connectwise.com+json; version=2022.1');
    expect(res.headers.get('api-current-version')).toBe('2025.1');
  });

  it('answers an unknown endpoint with the vendor 404 body', async () => {
    const res = await api('GET', '/service/nothing');
    expect(res.status).toBe(404);
    expect(res.json).toEqual({ code: 'ConnectWiseApi', message: 'The endpoint does not exist.' });
  });
});

describe('setup tables', () => {
  it('lists the demo boards, their statuses with the closed status, and types', async () => {
    const boards = (await api('GET', '/service/boards')).json as Array<{ id: number; name: string }>;
    expect(boards.map((b) => b.name)).toEqual(['Co-Managed FS', 'Co-Managed JSM']);
    const statuses = (await api('GET', `/service/boards/${boards[0]!.id}/statuses`)).json as Array<{
      name: string;
      closedStatus: boolean;
      board: { id: number };
    }>;
    expect(statuses.map((s) => s.name)).toEqual(['New', 'In Progress', 'Waiting on Client', 'Resolved', 'Closed']);
    expect(statuses.filter((s) => s.closedStatus).map((s) => s.name)).toEqual(['Closed']);
    expect(statuses.every((s) => s.board.id === boards[0]!.id)).toBe(true);
    const types = (await api('GET', `/service/boards/${boards[1]!.id}/types`)).json as Array<{ name: string }>;
    expect(types.map((t) => t.name)).toContain('Incident');
  });

  it('lists priorities and companies, and 404s an unknown board', async () => {
    const priorities = (await api('GET', '/service/priorities?orderBy=sortOrder%20asc')).json as Array<{
      name: string;
    }>;
    expect(priorities.map((p) => p.name)).toEqual([
      'Priority 1 - Critical',
      'Priority 2 - High',
      'Priority 3 - Medium',
      'Priority 4 - Low',
    ]);
    const companies = (
      await api('GET', `/company/companies?conditions=${encodeURIComponent('identifier = "Contoso"')}`)
    ).json as Array<{ name: string }>;
    expect(companies).toHaveLength(1);
    expect((await api('GET', '/service/boards/99/statuses')).status).toBe(404);
  });
});

describe('tickets', () => {
  it('creates a ticket with references by name and identifier, defaults, and the initial description as the first note', async () => {
    const t = await newTicket({
      initialDescription: 'It is on fire',
      initialInternalAnalysis: 'Toner issue',
      externalXRef: 'tb:x:1',
    });
    expect(t).toMatchObject({
      summary: 'Printer on fire',
      board: { name: 'Co-Managed FS' },
      status: { name: 'New' },
      priority: { name: 'Priority 3 - Medium' },
      closedFlag: false,
      externalXRef: 'tb:x:1',
    });
    expect(t._info).toMatchObject({ updatedBy: 'ticketbridge', enteredBy: 'ticketbridge' });
    expect(t._info.lastUpdated).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/);
    const notes = (await api('GET', `/service/tickets/${t.id}/notes`)).json as Array<Record<string, unknown>>;
    expect(notes[0]).toMatchObject({
      text: 'It is on fire',
      detailDescriptionFlag: true,
      internalAnalysisFlag: false,
      resolutionFlag: false,
    });
    expect(notes[1]).toMatchObject({ text: 'Toner issue', detailDescriptionFlag: false, internalAnalysisFlag: true });
  });

  it('refuses a ticket without summary or company with InvalidObject naming the field', async () => {
    const res = await api('POST', '/service/tickets', { summary: 'x', board: { name: 'Co-Managed FS' } });
    expect(res.status).toBe(400);
    expect(res.json).toEqual({
      code: 'InvalidObject',
      message: 'ticket object is invalid',
      errors: [
        {
          code: 'MissingRequiredField',
          message: 'The company field is required.',
          resource: 'ticket',
          field: 'company',
        },
      ],
    });
  });

  it('refuses a summary over its 100 characters (spec: Max length: 100) on create, PATCH and PUT', async () => {
    const refusal = {
      code: 'InvalidObject',
      message: 'ticket object is invalid',
      errors: [
        {
          code: 'InvalidField',
          message: 'The summary field has a max length of 100.',
          resource: 'ticket',
          field: 'summary',
        },
      ],
    };
    const created = await api('POST', '/service/tickets', {
      summary: 'x'.repeat(101),
      board: { name: 'Co-Managed FS' },
      company: { identifier: 'Contoso' },
    });
    expect([created.status, created.json]).toEqual([400, refusal]);
    const t = await newTicket({ summary: 'x'.repeat(100) });
    expect(t.summary).toHaveLength(100);
    const patched = await api('PATCH', `/service/tickets/${t.id}`, [
      { op: 'replace', path: 'summary', value: 'y'.repeat(101) },
    ]);
    expect([patched.status, patched.json]).toEqual([400, refusal]);
    const put = await api('PUT', `/service/tickets/${t.id}`, { summary: 'z'.repeat(101), company: { id: 1 } });
    expect([put.status, put.json]).toEqual([400, refusal]);
  });

  it('patches status by name within the board, closes with the closed status, and moves _info', async () => {
    const t = await newTicket();
    clock.advance(1_100);
    const res = await api(
      'PATCH',
      `/service/tickets/${t.id}`,
      [{ op: 'replace', path: 'status', value: { name: 'Closed' } }],
      { 'x-sim-member': 'jdoe' },
    );
    expect(res.status).toBe(200);
    const closed = res.json as Tk;
    expect(closed.status.name).toBe('Closed');
    expect(closed.closedFlag).toBe(true);
    expect(closed.closedDate).toBeDefined();
    expect(closed._info.updatedBy).toBe('jdoe');
    expect(Date.parse(closed._info.lastUpdated!)).toBeGreaterThan(Date.parse(t._info.lastUpdated!));
  });

  it('patches with leading-slash paths, {id} references, add and remove', async () => {
    const t = await newTicket();
    const statuses = (await api('GET', `/service/boards/${t.board.id}/statuses`)).json as Array<{
      id: number;
      name: string;
    }>;
    const inProgress = statuses.find((s) => s.name === 'In Progress')!;
    const res = await api('PATCH', `/service/tickets/${t.id}`, [
      { op: 'replace', path: '/status', value: { id: inProgress.id } },
      { op: 'add', path: 'owner', value: { identifier: 'asmith' } },
      { op: 'replace', path: 'priority', value: { name: 'Priority 1 - Critical' } },
      { op: 'replace', path: 'summary', value: 'Renamed' },
    ]);
    expect(res.json).toMatchObject({
      status: { name: 'In Progress' },
      owner: { identifier: 'asmith' },
      priority: { name: 'Priority 1 - Critical' },
      summary: 'Renamed',
    });
    const removed = (await api('PATCH', `/service/tickets/${t.id}`, [{ op: 'remove', path: 'owner' }])).json as Tk;
    expect(removed.owner).toBeUndefined();
  });

  it('refuses a status of another board and an unknown path, leaving the ticket unchanged', async () => {
    const t = await newTicket();
    const otherBoard = (await api('GET', '/service/boards/2/statuses')).json as Array<{ id: number }>;
    const res = await api('PATCH', `/service/tickets/${t.id}`, [
      { op: 'replace', path: 'summary', value: 'Changed' },
      { op: 'replace', path: 'status', value: { id: otherBoard[0]!.id } },
    ]);
    expect(res.status).toBe(400);
    expect(res.json).toMatchObject({
      code: 'InvalidObject',
      errors: [{ code: 'InvalidField', field: 'status', resource: 'ticket' }],
    });
    expect(((await api('GET', `/service/tickets/${t.id}`)).json as Tk).summary).toBe('Printer on fire');
    const unknown = await api('PATCH', `/service/tickets/${t.id}`, [{ op: 'replace', path: 'colour', value: 'red' }]);
    expect(unknown.status).toBe(400);
    expect(unknown.json).toMatchObject({ errors: [{ field: 'colour' }] });
  });

  it('moves a ticket to another board keeping the status name', async () => {
    const t = await newTicket({ status: { name: 'In Progress' } });
    const moved = (
      await api('PATCH', `/service/tickets/${t.id}`, [
        { op: 'replace', path: 'board', value: { name: 'Co-Managed JSM' } },
      ])
    ).json as Tk;
    expect(moved.board.name).toBe('Co-Managed JSM');
    expect(moved.status.name).toBe('In Progress');
    expect(moved.status.id).not.toBe(t.status.id);
  });

  it('replaces a ticket with PUT, resetting omitted fields, and deletes it', async () => {
    const t = await newTicket({ owner: { identifier: 'jdoe' }, severity: 'High' });
    const put = (
      await api('PUT', `/service/tickets/${t.id}`, { summary: 'Replaced', company: { identifier: 'Contoso' } })
    ).json as Tk & { severity: string };
    expect(put.summary).toBe('Replaced');
    expect(put.owner).toBeUndefined();
    expect(put.severity).toBe('Medium');
    expect((await api('DELETE', `/service/tickets/${t.id}`)).status).toBe(204);
    const gone = await api('GET', `/service/tickets/${t.id}`);
    expect(gone.status).toBe(404);
    expect(gone.json).toEqual({ code: 'NotFound', message: `Ticket ${t.id} not found` });
  });
});

describe('listing', () => {
  beforeEach(async () => {
    await fetch(`${sim.url}/__sim/seed`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        tickets: [
          { summary: 'Alpha', board: { name: 'Co-Managed FS' }, lastUpdated: '2024-01-01T00:00:00Z' },
          {
            summary: 'Bravo',
            board: { name: 'Co-Managed JSM' },
            status: { name: 'Closed' },
            lastUpdated: '2024-02-01T00:00:00Z',
          },
          {
            summary: 'Charlie',
            board: { name: 'Co-Managed FS' },
            status: { name: 'In Progress' },
            lastUpdated: '2024-03-01T00:00:00Z',
            externalXRef: 'tb:c:3',
          },
        ],
      }),
    });
  });
  const list = async (
    query: string,
    headers?: Record<string, string>,
  ): Promise<{ items: Tk[]; link: string | null }> => {
    const res = await api('GET', `/service/tickets?${query}`, undefined, headers);
    expect(res.status).toBe(200);
    return { items: res.json as Tk[], link: res.headers.get('link') };
  };
  const q = (conditions: string): string => `conditions=${encodeURIComponent(conditions)}`;

  it('filters with conditions on reference paths, lastUpdated and externalXRef', async () => {
    expect(
      (await list(q('board/name in ("Co-Managed FS") and lastUpdated >= [2024-02-01T00:00:00Z]'))).items.map(
        (t) => t.summary,
      ),
    ).toEqual(['Charlie']);
    expect((await list(q('_info/lastUpdated < [2024-02-01T00:00:00Z]'))).items.map((t) => t.summary)).toEqual([
      'Alpha',
    ]);
    expect((await list(q('externalXRef = "tb:c:3"'))).items.map((t) => t.summary)).toEqual(['Charlie']);
    expect(
      (await list(q('status/name = "Closed" or company/identifier = "Nobody"'))).items.map((t) => t.summary),
    ).toEqual(['Bravo']);
  });

  it('answers malformed conditions with 400 and the literal-format message', async () => {
    const res = await api('GET', `/service/tickets?${q('closedFlag = 1')}`);
    expect(res.status).toBe(400);
    expect((res.json as { message: string }).message).toContain('Expected a boolean value, not a numeric');
  });

  it('orders by a field in either direction', async () => {
    expect((await list('orderBy=summary%20desc')).items.map((t) => t.summary)).toEqual(['Charlie', 'Bravo', 'Alpha']);
    expect((await list('orderBy=_info/lastUpdated%20asc')).items.map((t) => t.summary)).toEqual([
      'Alpha',
      'Bravo',
      'Charlie',
    ]);
    expect((await list('orderBy=id%20desc')).items.map((t) => t.id)).toEqual([3, 2, 1]);
  });

  it('projects fields, nested paths included', async () => {
    const { items } = await list('fields=id,status/name,_info/lastUpdated&orderBy=id%20asc');
    expect(items[0]).toEqual({ id: 1, status: { name: 'New' }, _info: { lastUpdated: '2024-01-01T00:00:00Z' } });
  });

  it('pages with page/pageSize and a navigable Link header', async () => {
    const first = await list('pageSize=2&page=1');
    expect(first.items.map((t) => t.id)).toEqual([1, 2]);
    expect(first.link).toContain('rel="next"');
    expect(first.link).toContain('rel="last"');
    const nextUrl = /<([^>]+)>; rel="next"/.exec(first.link!)![1]!;
    const second = await fetch(nextUrl, { headers: demoHeaders() });
    expect(((await second.json()) as Tk[]).map((t) => t.id)).toEqual([3]);
    const link = second.headers.get('link')!;
    expect(link).toContain('rel="first"');
    expect(link).not.toContain('rel="next"');
  });

  it('defaults to 25 per page and caps pageSize at 1000', async () => {
    await fetch(`${sim.url}/__sim/seed`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ generate: { count: 1100 } }),
    });
    expect((await list('')).items).toHaveLength(25);
    expect((await list('pageSize=5000')).items).toHaveLength(1000);
  });

  it('pages forward-only by id with pageId and an empty Link at the end', async () => {
    const headers = { 'pagination-type': 'forward-only' };
    const first = await list('pageSize=2', headers);
    expect(first.items.map((t) => t.id)).toEqual([1, 2]);
    expect(first.link).toMatch(/pageId=2>; rel="next"/);
    const second = await list('pageSize=2&pageId=2', headers);
    expect(second.items.map((t) => t.id)).toEqual([3]);
    const end = await list('pageSize=2&pageId=3', headers);
    expect(end.items).toEqual([]);
    expect(end.link).toBe('');
    const res = await api('GET', '/service/tickets?orderBy=id%20desc', undefined, headers);
    expect(res.status).toBe(400);
  });

  it('counts matching tickets', async () => {
    const res = await api('GET', `/service/tickets/count?${q('board/name = "Co-Managed FS"')}`);
    expect(res.json).toEqual({ count: 2 });
  });
});

describe('notes', () => {
  it('creates notes with the three flags, lists, patches and deletes them, moving the ticket', async () => {
    const t = await newTicket({ initialDescription: 'First' });
    const internal = await api('POST', `/service/tickets/${t.id}/notes`, {
      text: 'Agents only',
      internalAnalysisFlag: true,
      detailDescriptionFlag: false,
      resolutionFlag: false,
      processNotifications: false,
    });
    expect(internal.status).toBe(201);
    expect(internal.json).toMatchObject({
      ticketId: t.id,
      text: 'Agents only',
      internalAnalysisFlag: true,
      detailDescriptionFlag: false,
      resolutionFlag: false,
      createdBy: 'ticketbridge',
      member: { identifier: 'ticketbridge' },
    });
    const resolution = (await api('POST', `/service/tickets/${t.id}/notes`, { text: 'Fixed', resolutionFlag: true }))
      .json as { id: number };
    const onlyInternal = (
      await api('GET', `/service/tickets/${t.id}/notes?conditions=${encodeURIComponent('internalAnalysisFlag = true')}`)
    ).json as Array<{ text: string }>;
    expect(onlyInternal.map((n) => n.text)).toEqual(['Agents only']);
    const patched = await api('PATCH', `/service/tickets/${t.id}/notes/${resolution.id}`, [
      { op: 'replace', path: 'text', value: 'Fixed for good' },
    ]);
    expect(patched.json).toMatchObject({ text: 'Fixed for good', resolutionFlag: true });
    expect((await api('GET', `/service/tickets/${t.id}/notes/count`)).json).toEqual({ count: 3 });
    expect((await api('DELETE', `/service/tickets/${t.id}/notes/${resolution.id}`)).status).toBe(204);
    expect((await api('GET', `/service/tickets/${t.id}/notes/${resolution.id}`)).status).toBe(404);
    expect((await api('POST', `/service/tickets/${t.id}/notes`, { internalAnalysisFlag: true })).json).toMatchObject({
      errors: [{ field: 'text' }],
    });
  });
});

describe('callbacks', () => {
  const entry = (url: string, extra: Record<string, unknown> = {}): Record<string, unknown> => ({
    url,
    objectId: 0,
    type: 'ticket',
    level: 'owner',
    ...extra,
  });

  it('creates, reads, updates and deletes callback entries, normalising objectId for level owner', async () => {
    const created = await api(
      'POST',
      '/system/callbacks',
      entry(`${receiver.url}/cb?recordId=`, { description: 'test' }),
    );
    expect(created.status).toBe(201);
    const cb = created.json as { id: number; objectId: number; memberId: number; connectWiseID: string };
    expect(cb).toMatchObject({ objectId: 1, memberId: 1, type: 'ticket', level: 'owner', inactiveFlag: false });
    expect((await api('GET', `/system/callbacks/${cb.id}`)).json).toMatchObject({ description: 'test' });
    expect(
      (await api('PATCH', `/system/callbacks/${cb.id}`, [{ op: 'replace', path: 'inactiveFlag', value: true }])).json,
    ).toMatchObject({ inactiveFlag: true });
    expect((await api('GET', '/system/callbacks')).json).toHaveLength(1);
    expect((await api('DELETE', `/system/callbacks/${cb.id}`)).status).toBe(204);
    expect((await api('GET', '/system/callbacks/count')).json).toEqual({ count: 0 });
  });

  it('refuses a duplicate with ObjectExists, a bad level and a bad URL', async () => {
    await api('POST', '/system/callbacks', entry(`${receiver.url}/dup?recordId=`));
    const dup = await api('POST', '/system/callbacks', entry(`${receiver.url}/dup?recordId=`));
    expect(dup.status).toBe(400);
    expect(dup.json).toMatchObject({
      errors: [{ code: 'ObjectExists', message: 'A matching callback entry already exists', field: 'objectId' }],
    });
    const level = await api('POST', '/system/callbacks', entry(`${receiver.url}/x`, { level: 'galaxy' }));
    expect(level.json).toMatchObject({ errors: [{ message: 'Unrecognized level for type ticket' }] });
    const url = await api('POST', '/system/callbacks', entry('not a url'));
    expect(url.json).toMatchObject({ errors: [{ code: 'InvalidField', message: 'Invalid URL', field: 'url' }] });
  });

  it('delivers added/updated/deleted with the PascalCase payload, the id appended, and a verifiable signature', async () => {
    const path = `/all-${Date.now()}`;
    await api('POST', '/system/callbacks', entry(`${receiver.url}${path}?recordId=`));
    const t = await newTicket();
    await api('POST', `/service/tickets/${t.id}/notes`, { text: 'note', detailDescriptionFlag: true });
    await api('DELETE', `/service/tickets/${t.id}`, undefined, { 'x-sim-member': 'jdoe' });
    await fetch(`${sim.url}/__sim/webhooks/flush`, { method: 'POST' });
    const mine = receiver.received.filter((r) => r.url.startsWith(path));
    expect(mine.map((r) => payloadOf(r).Action)).toEqual(['added', 'updated', 'deleted']);
    const added = mine[0]!;
    expect(added.url).toBe(`${path}?recordId=${t.id}`);
    const payload = payloadOf(added);
    expect(payload).toMatchObject({
      Type: 'ticket',
      ID: t.id,
      CompanyId: 'demo',
      MemberId: 'ticketbridge',
      CallbackObjectRecId: expect.any(Number),
    });
    expect(typeof payload.Entity).toBe('string');
    expect(JSON.parse(payload.Entity as string)).toMatchObject({ id: t.id, summary: 'Printer on fire' });
    expect(payloadOf(mine[2]!)).toMatchObject({ Action: 'deleted', Entity: null, MemberId: 'jdoe' });
    const keyUrl = (payload.Metadata as { key_url: string }).key_url;
    // Like cloud (key_url on na.myconnectwise.net, the API on api-na…): another host than the API's.
    expect(new URL(keyUrl).hostname).toBe('127.0.0.2');
    expect(new URL(keyUrl).origin).toBe(sim.keyOrigin);
    expect(new URL(keyUrl).hostname).not.toBe(new URL(sim.url).hostname);
    const key = (await (await fetch(keyUrl)).json()) as { signing_key: string };
    expect(added.headers['x-content-signature']).toBe(signCallback(key.signing_key, added.rawBody));
    // The API host does not serve keys, and the key host serves nothing but keys.
    const onApiHost = new URL(keyUrl);
    onApiHost.host = new URL(sim.url).host;
    expect((await fetch(onApiHost)).status).toBe(404);
    expect(
      (await fetch(`${sim.keyOrigin!}/v4_6_release/apis/3.0/system/info`, { headers: demoHeaders() })).status,
    ).toBe(404);
  });

  it('fires board-level callbacks only for that board and honours self-suppression and skipCallback', async () => {
    const path = `/board-${Date.now()}`;
    await api('POST', '/system/callbacks', entry(`${receiver.url}${path}?recordId=`, { level: 'board', objectId: 2 }));
    await api(
      'POST',
      '/system/callbacks',
      entry(`${receiver.url}${path}-self?recordId=`, { isSelfSuppressedFlag: true }),
    );
    await newTicket();
    const jsm = await newTicket({ board: { name: 'Co-Managed JSM' } });
    await newTicket({ board: { name: 'Co-Managed JSM' }, skipCallback: true });
    await api('PATCH', `/service/tickets/${jsm.id}`, [{ op: 'replace', path: 'summary', value: 'by a tech' }], {
      'x-sim-member': 'jdoe',
    });
    await fetch(`${sim.url}/__sim/webhooks/flush`, { method: 'POST' });
    const board = receiver.received.filter((r) => r.url.startsWith(`${path}?`));
    expect(board.map((r) => [payloadOf(r).Action, payloadOf(r).ID])).toEqual([
      ['added', jsm.id],
      ['updated', jsm.id],
    ]);
    const self = receiver.received.filter((r) => r.url.startsWith(`${path}-self`));
    expect(self.map((r) => payloadOf(r).MemberId)).toEqual(['jdoe']);
  });
});
