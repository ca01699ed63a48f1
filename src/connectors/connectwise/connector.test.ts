// Exact request shapes of the ConnectWise connector against nock: headers, encoded conditions,
// paging through Link, JSON-Patch bodies, note flags, 429/400 handling, callback parsing and registration (verification: webhook.test.ts).
import { describe, expect, it } from 'vitest';
import { RemoteValidationError } from '../../core/errors.js';
import { isInvalidTicket, type Clock, type Ticket, type InvalidTicket } from '../../core/types.js';
import { testContext } from '../../../test/helpers/context.js';
import { nock, useHttpMock } from '../../../test/helpers/http-mock.js';
import {
  CARRIED_DESCRIPTION_MS,
  connectwiseConnector,
  READ_NOTES_MS,
  type ConnectwiseConnector,
  type CutTicket,
} from './index.js';
import { demoSystem, DEMO_CLIENT_ID } from './test-fixtures.js';

const ORIGIN = 'https://cw.example.com';
const API = '/v4_6_release/apis/3.0';
const AUTH = `Basic ${Buffer.from('demo+demo-public:demo-private').toString('base64')}`;

function connector(
  options: { codebase?: boolean; boards?: string[]; query?: string; trustedKeyHosts?: string[]; clock?: Clock } = {},
): ReturnType<typeof connectwiseConnector.create> {
  const system = demoSystem(
    ORIGIN,
    options.codebase === false
      ? { companyIdentifier: 'Contoso' }
      : { codebase: 'v4_6_release/', companyIdentifier: 'Contoso', apiVersion: '2025.1' },
  );
  if (options.trustedKeyHosts) system.webhook = { trustedKeyHosts: options.trustedKeyHosts };
  return connectwiseConnector.create(
    testContext(system, {
      scope: {
        boards: options.boards ?? ['Co-Managed FS', 'Co-Managed JSM'],
        ...(options.query ? { query: options.query } : {}),
      },
      ...(options.clock ? { clock: options.clock } : {}),
    }),
  );
}

function cwTicket(id: number, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    id,
    summary: `Ticket ${id}`,
    board: { id: 1, name: 'Co-Managed FS' },
    status: { id: 1, name: 'New' },
    company: { id: 1, identifier: 'Contoso', name: 'Contoso Ltd' },
    priority: { id: 3, name: 'Priority 3 - Medium' },
    _info: { lastUpdated: '2024-05-01T10:00:00Z', updatedBy: 'jdoe' },
    ...extra,
  };
}

const STATUSES = [
  { id: 1, name: 'New', defaultFlag: true, closedStatus: false },
  { id: 2, name: 'In Progress', closedStatus: false },
  { id: 5, name: 'Closed', closedStatus: true },
];

function noDescription(scope: nock.Scope, id: number): nock.Scope {
  return scope.get(`${API}/service/tickets/${id}/notes`).query({ orderBy: 'id asc', pageSize: '1000' }).reply(200, []);
}

async function collect(iterable: AsyncIterable<Ticket | InvalidTicket>): Promise<Array<Ticket | InvalidTicket>> {
  const out: Array<Ticket | InvalidTicket> = [];
  for await (const item of iterable) out.push(item);
  return out;
}

describe('ConnectWise connector requests', () => {
  useHttpMock();

  it('sends Basic company+public:private, the clientId and the pinned Accept version on every call', async () => {
    nock(ORIGIN, {
      reqheaders: {
        authorization: AUTH,
        clientid: DEMO_CLIENT_ID,
        accept: 'application/vnd.connectwise.com+json; version=2025.1',
      },
    })
      .get(`${API}/system/info`)
      .reply(200, { version: 'v2025.1' });
    await connector().ping();
  });

  it('discovers the codebase once through /login/companyinfo when none is configured', async () => {
    const scope = nock(ORIGIN)
      .get('/login/companyinfo/demo')
      .reply(200, { Codebase: 'v2025_1/', CompanyID: 'demo', IsCloud: true })
      .get('/v2025_1/apis/3.0/system/info')
      .times(2)
      .reply(200, {});
    const c = connector({ codebase: false });
    await c.ping();
    await c.ping();
    expect(scope.isDone()).toBe(true);
  });

  it('lists changes with lastUpdated ANDed with the scope boards and query, forward-only, following Link', async () => {
    const conditions =
      'lastUpdated >= [2024-05-01T09:58:00Z] and board/name in ("Co-Managed FS", "Co-Managed JSM") and (priority/name = "Priority 1 - Critical")';
    const scope = nock(ORIGIN, { reqheaders: { 'pagination-type': 'forward-only' } })
      .get(`${API}/service/tickets`)
      .query({ conditions, pageSize: '1000' })
      .reply(
        200,
        Array.from({ length: 1000 }, (_, i) => cwTicket(i + 1)),
        { Link: `<${ORIGIN}${API}/service/tickets?conditions=x&pageSize=1000&pageId=1000>; rel="next"` },
      )
      .get(`${API}/service/tickets`)
      .query({ conditions: 'x', pageSize: '1000', pageId: '1000' })
      .reply(200, [cwTicket(1001)], { Link: '' });
    const notes = nock(ORIGIN)
      .get(/\/service\/tickets\/\d+\/notes/)
      .times(1001)
      .reply(200, []);
    const items = await collect(
      connector({ query: 'priority/name = "Priority 1 - Critical"' }).listChanged({
        since: new Date('2024-05-01T09:58:00.750Z'),
      }),
    );
    expect(items).toHaveLength(1001);
    expect((items[1000] as Ticket).id).toBe('1001');
    expect(scope.isDone() && notes.isDone()).toBe(true);
  });

  it('yields a malformed ticket as invalid, naming the field, and keeps listing', async () => {
    nock(ORIGIN)
      .get(`${API}/service/tickets`)
      .query(true)
      .reply(200, [
        cwTicket(1),
        cwTicket(2, { status: { id: 'x' } }),
        { ...cwTicket(3), summary: undefined },
        cwTicket(4),
      ]);
    noDescription(nock(ORIGIN), 1);
    noDescription(nock(ORIGIN), 4);
    const items = await collect(connector().listChanged({ since: null }));
    expect(items.map((i) => (isInvalidTicket(i) ? i : i.id))).toEqual([
      '1',
      { id: '2', invalid: expect.stringMatching(/^status\.id: /) as string },
      { id: '3', invalid: expect.stringMatching(/^summary: /) as string },
      '4',
    ]);
  });

  it('reads the description from the first Discussion note and the fields by name', async () => {
    nock(ORIGIN)
      .get(`${API}/service/tickets/7`)
      .reply(
        200,
        cwTicket(7, {
          owner: { id: 2, identifier: 'jdoe', name: 'Jane' },
          type: { id: 1, name: 'Incident' },
          externalXRef: 'tb:c:9',
          severity: 'High',
        }),
      )
      .get(`${API}/service/tickets/7/notes`)
      .query({ orderBy: 'id asc', pageSize: '1000' })
      .reply(200, [{ id: 3, text: 'Line one\r\nLine two\r\n', detailDescriptionFlag: true }]);
    const t = await connector().getTicket('7');
    expect(t).toMatchObject({ id: '7', version: '2024-05-01T10:00:00.000Z', marker: 'tb:c:9', inScope: true });
    expect(t.fields).toMatchObject({
      description: 'Line one\nLine two',
      status: 'New',
      priority: 'Priority 3 - Medium',
      board: 'Co-Managed FS',
      owner: 'jdoe',
      type: 'Incident',
      company: 'Contoso',
      severity: 'High',
    });
  });

  it('finds a ticket by marker with an externalXRef condition', async () => {
    nock(ORIGIN)
      .get(`${API}/service/tickets`)
      .query({ conditions: 'externalXRef = "tb:c:9"', orderBy: 'id asc', pageSize: '1' })
      .reply(200, []);
    expect(await connector().findByMarker('tb:c:9')).toBeNull();
  });

  it('creates with the marker in externalXRef, board by id, company identifier and the initial description', async () => {
    let body: unknown;
    nock(ORIGIN)
      .get(`${API}/service/boards`)
      .query(true)
      .reply(200, [
        { id: 1, name: 'Co-Managed FS' },
        { id: 2, name: 'Co-Managed JSM' },
      ])
      .get(`${API}/service/boards/2/statuses`)
      .query(true)
      .reply(200, STATUSES)
      .post(`${API}/service/tickets`, (b: unknown) => {
        body = b;
        return true;
      })
      .reply(201, cwTicket(9, { board: { id: 2, name: 'Co-Managed JSM' }, externalXRef: 'tb:c:9' }));
    noDescription(nock(ORIGIN), 9);
    await connector().createTicket(
      { summary: 'New one', description: 'Hello', board: 'Co-Managed JSM', status: 'In Progress', owner: 'jdoe' },
      'tb:c:9',
    );
    expect(body).toEqual({
      summary: 'New one',
      recordType: 'ServiceTicket',
      board: { id: 2 },
      company: { identifier: 'Contoso' },
      externalXRef: 'tb:c:9',
      processNotifications: false,
      initialDescription: 'Hello',
      status: { id: 2 },
      owner: { identifier: 'jdoe' },
    });
  });

  it("updates with a JSON Patch replacing whole reference objects, status resolved on the ticket's board", async () => {
    let ops: unknown;
    nock(ORIGIN)
      .get(`${API}/service/tickets/7`)
      .reply(200, cwTicket(7))
      .get(`${API}/service/boards`)
      .query(true)
      .reply(200, [{ id: 1, name: 'Co-Managed FS' }])
      .get(`${API}/service/boards/1/statuses`)
      .query(true)
      .reply(200, STATUSES)
      .get(`${API}/service/priorities`)
      .query(true)
      .reply(200, [{ id: 1, name: 'Priority 1 - Critical' }])
      .patch(`${API}/service/tickets/7`, (b: unknown) => {
        ops = b;
        return true;
      })
      // The PATCH answers with the ticket as ConnectWise now holds it: no second read.
      .reply(200, cwTicket(7, { status: { id: 2, name: 'In Progress' } }));
    noDescription(nock(ORIGIN), 7);
    const t = await connector().updateTicket('7', {
      status: 'in progress',
      priority: 'Priority 1 - Critical',
      owner: null,
      summary: 'x'.repeat(120),
    });
    expect(ops).toEqual([
      { op: 'replace', path: 'status', value: { id: 2 } },
      { op: 'replace', path: 'priority', value: { id: 1 } },
      { op: 'remove', path: 'owner' },
      { op: 'replace', path: 'summary', value: 'x'.repeat(100) },
      { op: 'replace', path: 'processNotifications', value: false },
    ]);
    expect(t.fields.status).toBe('In Progress');
  });

  it("refuses an unknown status before writing anything, naming the board's statuses", async () => {
    nock(ORIGIN)
      .get(`${API}/service/tickets/7`)
      .reply(200, cwTicket(7))
      .get(`${API}/service/boards`)
      .query(true)
      .reply(200, [{ id: 1, name: 'Co-Managed FS' }])
      .get(`${API}/service/boards/1/statuses`)
      .query(true)
      .reply(200, STATUSES);
    const err = (await connector()
      .updateTicket('7', { status: 'Parked' })
      .catch((e: unknown) => e)) as RemoteValidationError;
    expect(err).toBeInstanceOf(RemoteValidationError);
    expect(err.field).toBe('status');
    expect(err.message).toContain('New, In Progress, Closed');
  });

  it('edits the description note in place instead of adding a note', async () => {
    let ops: unknown;
    nock(ORIGIN)
      .get(`${API}/service/tickets/7`)
      .times(2)
      .reply(200, cwTicket(7))
      .get(`${API}/service/boards`)
      .query(true)
      .reply(200, [{ id: 1, name: 'Co-Managed FS' }])
      .get(`${API}/service/tickets/7/notes`)
      .query({ orderBy: 'id asc', pageSize: '1000' })
      .reply(200, [{ id: 3, text: 'Old', detailDescriptionFlag: true }])
      .patch(`${API}/service/tickets/7/notes/3`, (b: unknown) => {
        ops = b;
        return true;
      })
      .reply(200, { id: 3, text: 'New', detailDescriptionFlag: true });
    const t = await connector().updateTicket('7', { description: 'New' });
    expect(ops).toEqual([
      { op: 'replace', path: 'text', value: 'New' },
      { op: 'replace', path: 'processNotifications', value: false },
    ]);
    expect(t.fields.description).toBe('New');
  });

  it('writes an internal note as Internal Analysis only, with the marker footer, and reads visibility back', async () => {
    let body: Record<string, unknown> = {};
    nock(ORIGIN)
      .post(`${API}/service/tickets/7/notes`, (b: Record<string, unknown>) => {
        body = b;
        return true;
      })
      .reply(201, (_uri, b) => ({ id: 11, ...(b as object), dateCreated: '2024-05-01T10:00:00Z' }));
    const comment = await connector().addComment('7', {
      body: 'Agents only',
      visibility: 'internal',
      author: 'Ada',
      origin: 'Jira',
      marker: 'tb:c:1:a5',
    });
    expect(body).toMatchObject({
      detailDescriptionFlag: false,
      internalAnalysisFlag: true,
      resolutionFlag: false,
      processNotifications: false,
    });
    expect(body.text).toBe('Ada (Jira) wrote:\nAgents only\n\n\u2014 ticketbridge [tb:c:1:a5]');
    expect(comment).toMatchObject({
      id: '11',
      visibility: 'internal',
      marker: 'tb:c:1:a5',
      body: 'Ada (Jira) wrote:\nAgents only',
    });
  });

  it('lists comments over all pages, skipping the description note, with visibility from the flags', async () => {
    nock(ORIGIN)
      // Which note is the description: the ticket's initial one, told apart by its time.
      .get(`${API}/service/tickets/7`)
      .reply(200, cwTicket(7))
      .get(`${API}/service/tickets/7/notes`)
      .query({ orderBy: 'id asc', pageSize: '1000' })
      .reply(200, [
        { id: 1, text: 'Description', detailDescriptionFlag: true },
        { id: 2, text: 'Internal', internalAnalysisFlag: true, detailDescriptionFlag: false, resolutionFlag: false },
        { id: 3, text: 'Resolved it', resolutionFlag: true },
        { id: 4, text: 'Reply', detailDescriptionFlag: true },
      ]);
    const comments = await connector().listComments('7');
    expect(comments.map((c) => [c.id, c.visibility])).toEqual([
      ['2', 'internal'],
      ['3', 'public'],
      ['4', 'public'],
    ]);
  });

  it('honours a 429 for its Retry-After before retrying', async () => {
    nock(ORIGIN)
      .get(`${API}/system/info`)
      .reply(
        429,
        { error: 'ConnectWiseAPI', message: 'Too many requests. Please try again in 1 seconds.' },
        { 'Retry-After': '1' },
      )
      .get(`${API}/system/info`)
      .reply(200, {});
    const started = Date.now();
    await connector().ping();
    expect(Date.now() - started).toBeGreaterThanOrEqual(950);
  });

  it('retries a 500 and succeeds', async () => {
    nock(ORIGIN)
      .get(`${API}/system/info`)
      .reply(500, { code: 'UnexpectedError', message: 'boom' })
      .get(`${API}/system/info`)
      .reply(200, {});
    await connector().ping();
  });

  it("surfaces a 400 as a permanent RemoteValidationError with ConnectWise's message and field, never retried", async () => {
    nock(ORIGIN)
      .get(`${API}/service/tickets/7`)
      .reply(200, cwTicket(7))
      .get(`${API}/service/boards`)
      .query(true)
      .reply(200, [{ id: 1, name: 'Co-Managed FS' }])
      .patch(`${API}/service/tickets/7`)
      .once()
      .reply(400, {
        code: 'InvalidObject',
        message: 'ticket object is invalid',
        errors: [
          {
            code: 'InvalidField',
            message: 'The budgetHours field is invalid.',
            resource: 'ticket',
            field: 'budgetHours',
          },
        ],
      });
    const err = (await connector()
      .updateTicket('7', { budgetHours: 2 })
      .catch((e: unknown) => e)) as RemoteValidationError;
    expect(err).toBeInstanceOf(RemoteValidationError);
    expect(err.code).toBe('remote_validation');
    expect(err.field).toBe('budgetHours');
    expect(err.message).toContain('ticket object is invalid: The budgetHours field is invalid.');
  });
});

describe('ConnectWise connector: ticket references', () => {
  useHttpMock();

  it.each([
    ['#1234', '1234'],
    ['1234', '1234'],
    ['INC-4', null],
    ['#', null],
  ])('reads %j as ticket %j without asking ConnectWise', async (reference, id) => {
    expect(await connector().resolveTicketRef!(reference)).toBe(id);
  });
});

describe('ConnectWise callbacks', () => {
  useHttpMock();
  const body = JSON.stringify({
    MessageId: 'm1',
    Action: 'updated',
    Type: 'ticket',
    ID: 42,
    Entity: JSON.stringify({ id: 42 }),
  });
  it('parses the ticket id from ID, or from Entity as a JSON string or an object', () => {
    const c = connector();
    expect(c.parseWebhook({ headers: {}, rawBody: Buffer.from(body) })).toEqual({
      ticketIds: ['42'],
      deliveryId: 'm1',
    });
    expect(
      c.parseWebhook({ headers: {}, rawBody: Buffer.from(JSON.stringify({ Type: 'ticket', Entity: '{"id":5}' })) })
        .ticketIds,
    ).toEqual(['5']);
    expect(
      c.parseWebhook({ headers: {}, rawBody: Buffer.from(JSON.stringify({ Type: 'ticket', Entity: { id: 6 } })) })
        .ticketIds,
    ).toEqual(['6']);
    expect(
      c.parseWebhook({ headers: {}, rawBody: Buffer.from(JSON.stringify({ Type: 'contact', ID: 9 })) }).ticketIds,
    ).toEqual([]);
    expect(() => c.parseWebhook({ headers: {}, rawBody: Buffer.from('not json') })).toThrow(/not JSON/);
  });

  it('registers one board-level callback per scope board, idempotently, and unregisters them', async () => {
    const url = 'https://bridge.example.com/webhooks/c/a?recordId=';
    const posted: unknown[] = [];
    nock(ORIGIN)
      .get(`${API}/system/callbacks`)
      .query(true)
      .reply(200, [{ id: 7, url, type: 'ticket', level: 'board', objectId: 1 }])
      .get(`${API}/service/boards`)
      .query(true)
      .reply(200, [
        { id: 1, name: 'Co-Managed FS' },
        { id: 2, name: 'Co-Managed JSM' },
      ])
      .post(`${API}/system/callbacks`, (b: unknown) => {
        posted.push(b);
        return true;
      })
      .reply(201, { id: 8, url, type: 'ticket', level: 'board', objectId: 2 })
      .get(`${API}/system/callbacks`)
      .query(true)
      .reply(200, [
        { id: 7, url, type: 'ticket', level: 'board', objectId: 1 },
        { id: 8, url, type: 'ticket', level: 'board', objectId: 2 },
        { id: 9, url: 'https://other', type: 'ticket', level: 'owner' },
      ])
      .delete(`${API}/system/callbacks/7`)
      .reply(204)
      .delete(`${API}/system/callbacks/8`)
      .reply(204);
    const c = connector();
    const description = await c.registerWebhook!('https://bridge.example.com/webhooks/c/a');
    expect(description).toContain('#7 (Co-Managed FS, already registered)');
    expect(posted).toEqual([
      {
        url,
        objectId: 2,
        type: 'ticket',
        level: 'board',
        description: 'ticketbridge test/a',
        payloadVersion: '3.0.0',
        inactiveFlag: false,
        isSelfSuppressedFlag: false,
      },
    ]);
    await c.unregisterWebhook!('https://bridge.example.com/webhooks/c/a');
  });
});

describe('ConnectWise connector: requests per write (contract: updateTicket with the expected ticket)', () => {
  useHttpMock();

  it('writes a one-field change with one PATCH: board and status from the expected ticket, the held ticket from the answer', async () => {
    const ticketRequests: string[] = [];
    nock(ORIGIN)
      .get(`${API}/service/boards`)
      .query(true)
      .reply(200, [{ id: 1, name: 'Co-Managed FS' }])
      .get(`${API}/service/boards/1/statuses`)
      .query(true)
      .reply(200, STATUSES)
      .patch(`${API}/service/tickets/7`)
      .reply(200, (uri) => {
        ticketRequests.push(`PATCH ${uri}`);
        return cwTicket(7, { status: { id: 2, name: 'In Progress' }, _info: { lastUpdated: '2024-05-01T10:05:00Z' } });
      });
    const expected = {
      id: '7',
      version: '2024-05-01T10:00:00.000Z',
      fields: { board: 'Co-Managed FS', status: 'New', description: 'Hot printer' },
      inScope: true,
      memo: { descriptionNoteId: 3 },
    };
    const c = connector() as ConnectwiseConnector;
    const held = (await c.updateTicket('7', { status: 'In Progress' }, { expected })) as CutTicket;
    expect(held).toMatchObject({
      version: '2024-05-01T10:05:00.000Z',
      fields: { status: 'In Progress', description: 'Hot printer' },
      memo: { descriptionNoteId: 3 },
    });
    // Before the expected ticket: GET ticket, PATCH, GET ticket, GET description note = 4 requests.
    expect(ticketRequests).toEqual([`PATCH ${API}/service/tickets/7`]);
  });
});

describe('ConnectWise connector: the description note is read only when the ticket moved', () => {
  useHttpMock();

  it("reads a listed ticket's description note once while its lastUpdated stays, again once it moves", async () => {
    const listing = (lastUpdated: string): void => {
      nock(ORIGIN)
        .get(`${API}/service/tickets`)
        .query(true)
        .reply(200, [cwTicket(7, { _info: { lastUpdated } })]);
    };
    let noteReads = 0;
    const note = (): Array<Record<string, unknown>> => {
      noteReads++;
      return [{ id: 3, text: `Description ${noteReads}`, detailDescriptionFlag: true }];
    };
    // The first read finds the description note in the notes; a later one finds that note there.
    const notes = nock(ORIGIN)
      .get(`${API}/service/tickets/7/notes`)
      .query({ orderBy: 'id asc', pageSize: '1000' })
      .times(2)
      .reply(200, note);
    const c = connector();
    // Three polls inside the overlap window list the unchanged ticket; a fourth after an edit.
    for (const at of ['2024-05-01T10:00:00Z', '2024-05-01T10:00:00Z', '2024-05-01T10:00:00Z', '2024-05-01T10:01:00Z'])
      listing(at);
    const descriptions: unknown[] = [];
    for (let poll = 0; poll < 4; poll++)
      for (const t of await collect(c.listChanged({ since: null })))
        descriptions.push((t as Ticket).fields.description);
    // A read of the ticket at the same lastUpdated needs no note either.
    nock(ORIGIN)
      .get(`${API}/service/tickets/7`)
      .reply(200, cwTicket(7, { _info: { lastUpdated: '2024-05-01T10:01:00Z' } }));
    const read = await c.getTicket('7', { memo: { descriptionNoteId: 3 } });
    expect(descriptions).toEqual(['Description 1', 'Description 1', 'Description 1', 'Description 2']);
    expect(read.fields.description).toBe('Description 2');
    expect(noteReads).toBe(2);
    expect(notes.isDone()).toBe(true);
  });
  it("finds a known description note in the notes it lists, and answers the list of that version's comments from them", async () => {
    const moved = '2024-05-01T10:01:00Z';
    let lists = 0;
    nock(ORIGIN)
      .get(`${API}/service/tickets/7`)
      .reply(200, cwTicket(7, { _info: { lastUpdated: moved } }))
      .get(`${API}/service/tickets/7/notes`)
      .query(true)
      .times(2)
      .optionally()
      .reply(200, () => {
        lists++;
        return [
          { id: 3, text: 'Printer on fire', detailDescriptionFlag: true },
          { id: 9, text: 'On my way', detailDescriptionFlag: true, createdBy: 'tech1' },
        ];
      });
    let byId = 0;
    nock(ORIGIN)
      .get(`${API}/service/tickets/7/notes/3`)
      .optionally()
      .reply(200, () => {
        byId++;
        return { id: 3, text: 'Printer on fire', detailDescriptionFlag: true };
      });
    const c = connector();
    const memo = { descriptionNoteId: 3 };
    const read = await c.getTicket('7', { memo });
    const comments = await c.listComments('7', { memo, version: read.version });
    expect(read.fields.description).toBe('Printer on fire');
    expect(comments.map((m) => m.id)).toEqual(['9']);
    // One request for the description and the comments of the version read: no note read by id.
    expect(lists + byId).toBe(1);
    expect(byId).toBe(0);
  });
});

describe("ConnectWise connector: the description note across the daemon's own writes", () => {
  useHttpMock();

  /** A connector that has read ticket 7 at 10:00:00 with its description note 3 (two requests). */
  async function readOnce(clock?: Clock): Promise<{ c: ConnectwiseConnector; read: Ticket; noteReads: () => number }> {
    let noteReads = 0;
    nock(ORIGIN)
      .get(`${API}/service/tickets/7`)
      .reply(200, cwTicket(7))
      .get(`${API}/service/tickets/7/notes`)
      .query(true)
      .times(2)
      .optionally()
      .reply(200, () => {
        noteReads++;
        return [{ id: 3, text: 'Hot printer', detailDescriptionFlag: true }];
      });
    const c = connector(clock ? { clock } : {}) as ConnectwiseConnector;
    const read = await c.getTicket('7', { memo: { descriptionNoteId: 3 } });
    expect(read.fields.description).toBe('Hot printer');
    return { c, read, noteReads: () => noteReads };
  }

  it('carries the description to the lastUpdated of its own PATCH that left the description: the next read fetches no note', async () => {
    const { c, read, noteReads } = await readOnce();
    const moved = { _info: { lastUpdated: '2024-05-01T10:05:00Z' } };
    nock(ORIGIN)
      .get(`${API}/service/boards`)
      .query(true)
      .reply(200, [{ id: 1, name: 'Co-Managed FS' }])
      .get(`${API}/service/boards/1/statuses`)
      .query(true)
      .reply(200, STATUSES)
      .patch(`${API}/service/tickets/7`)
      .reply(200, cwTicket(7, { status: { id: 2, name: 'In Progress' }, ...moved }))
      .get(`${API}/service/tickets/7`)
      .reply(200, cwTicket(7, { status: { id: 2, name: 'In Progress' }, ...moved }));
    await c.updateTicket('7', { status: 'In Progress' }, { expected: read });
    const again = await c.getTicket('7', { memo: { descriptionNoteId: 3 } });
    expect(again.fields.description).toBe('Hot printer');
    expect(noteReads()).toBe(1);
  });

  it('carries it to the time of a note it adds, and reads the note again once the ticket moved past that', async () => {
    const { c, noteReads } = await readOnce();
    nock(ORIGIN)
      .post(`${API}/service/tickets/7/notes`)
      .reply(201, {
        id: 11,
        text: 'copied',
        detailDescriptionFlag: true,
        dateCreated: '2024-05-01T10:07:00Z',
        _info: { lastUpdated: '2024-05-01T10:07:00Z' },
      })
      .get(`${API}/service/tickets/7`)
      .reply(200, cwTicket(7, { _info: { lastUpdated: '2024-05-01T10:07:00Z' } }))
      .get(`${API}/service/tickets/7`)
      .reply(200, cwTicket(7, { _info: { lastUpdated: '2024-05-01T10:08:00Z' } }));
    await c.addComment('7', { body: 'copied', visibility: 'public', marker: 'tb:c:1:a5' });
    expect((await c.getTicket('7', { memo: { descriptionNoteId: 3 } })).fields.description).toBe('Hot printer');
    expect(noteReads()).toBe(1);
    // Someone else moved the ticket since: the note is read again.
    await c.getTicket('7', { memo: { descriptionNoteId: 3 } });
    expect(noteReads()).toBe(2);
  });

  it('trusts a carried description for a while only: then the next read fetches the note once', async () => {
    let nowMs = Date.parse('2024-05-01T10:06:00Z');
    const { c, noteReads } = await readOnce({ now: () => nowMs });
    nock(ORIGIN)
      .post(`${API}/service/tickets/7/notes`)
      .reply(201, { id: 11, text: 'copied', dateCreated: '2024-05-01T10:07:00Z' })
      .get(`${API}/service/tickets/7`)
      .times(2)
      .reply(200, cwTicket(7, { _info: { lastUpdated: '2024-05-01T10:07:00Z' } }));
    await c.addComment('7', { body: 'copied', visibility: 'public', marker: 'tb:c:1:a5' });
    nowMs += CARRIED_DESCRIPTION_MS + 1000;
    await c.getTicket('7', { memo: { descriptionNoteId: 3 } });
    expect(noteReads()).toBe(2);
    // Read now, the description holds at that lastUpdated like any read one.
    nowMs += CARRIED_DESCRIPTION_MS + 1000;
    await c.getTicket('7', { memo: { descriptionNoteId: 3 } });
    expect(noteReads()).toBe(2);
  });
});

describe('ConnectWise connector: the comments of a version just read (issue 14)', () => {
  useHttpMock();

  const NOTES = [
    { id: 3, text: 'Hot printer', detailDescriptionFlag: true },
    { id: 4, text: 'Called twice', detailDescriptionFlag: true },
    { id: 5, text: 'Agents only', internalAnalysisFlag: true },
  ];

  let nowMs = 0;

  /** A connector that has read ticket 7 for the first time (no memo): the ticket and its notes. */
  async function firstRead(now: () => number): Promise<{ c: ConnectwiseConnector; read: Ticket }> {
    nock(ORIGIN)
      .get(`${API}/service/tickets/7`)
      .reply(200, cwTicket(7))
      .get(`${API}/service/tickets/7/notes`)
      .query({ orderBy: 'id asc', pageSize: '1000' })
      .reply(200, NOTES);
    const c = connector({ clock: { now } }) as ConnectwiseConnector;
    const read = await c.getTicket('7');
    expect(read.fields.description).toBe('Hot printer');
    return { c, read };
  }

  it('answers a list of the comments of the version it read from the notes it listed for the description: no second request', async () => {
    const { c, read } = await firstRead(() => Date.parse('2024-05-01T10:00:02Z'));
    const comments = await c.listComments('7', { version: read.version, memo: (read as CutTicket).memo! });
    expect(comments.map((n) => [n.id, n.visibility])).toEqual([
      ['4', 'public'],
      ['5', 'internal'],
    ]);
  });

  it('lists the notes again for a later read of the same version: a note made in its second does not move it', async () => {
    const { c, read } = await firstRead(() => Date.parse('2024-05-01T10:00:00.600Z'));
    // Someone adds a note in the same second: a callback, a new pass reads the ticket (its
    // lastUpdated unmoved, its description held) and lists the comments of that version.
    const added = { id: 6, text: 'Also the scanner', detailDescriptionFlag: true };
    nock(ORIGIN)
      .get(`${API}/service/tickets/7`)
      .reply(200, cwTicket(7))
      .get(`${API}/service/tickets/7/notes`)
      .query({ orderBy: 'id asc', pageSize: '1000' })
      .reply(200, [...NOTES, added]);
    const again = await c.getTicket('7', { memo: (read as CutTicket).memo! });
    expect(again.version).toBe(read.version);
    const comments = await c.listComments('7', { version: again.version, memo: (read as CutTicket).memo! });
    expect(comments.map((n) => n.id)).toEqual(['4', '5', '6']);
  });

  it('answers one list only from a read: the next list of the same version is read again', async () => {
    const { c, read } = await firstRead(() => Date.parse('2024-05-01T10:00:00.600Z'));
    const memo = (read as CutTicket).memo!;
    await c.listComments('7', { version: read.version, memo });
    nock(ORIGIN).get(`${API}/service/tickets/7/notes`).query({ orderBy: 'id asc', pageSize: '1000' }).reply(200, NOTES);
    await c.listComments('7', { version: read.version, memo });
  });

  it.each([
    ['another version', async (_c: ConnectwiseConnector) => '2024-05-01T10:00:01.000Z'],
    [
      'a note it added since',
      async (c: ConnectwiseConnector) => {
        nock(ORIGIN)
          .post(`${API}/service/tickets/7/notes`)
          .reply(201, { id: 6, text: 'copied', dateCreated: '2024-05-01T10:00:00Z' });
        await c.addComment('7', { body: 'copied', visibility: 'public', marker: 'tb:c:1:a6' });
        return undefined;
      },
    ],
    [
      'READ_NOTES_MS passed',
      async (_c: ConnectwiseConnector) => {
        nowMs += READ_NOTES_MS + 1;
        return undefined;
      },
    ],
  ])('lists the notes again after the read for %s', async (_case, between) => {
    nowMs = Date.parse('2024-05-01T10:00:02Z');
    const { c, read } = await firstRead(() => nowMs);
    const version = (await between(c)) ?? read.version;
    const list = nock(ORIGIN)
      .get(`${API}/service/tickets/7/notes`)
      .query({ orderBy: 'id asc', pageSize: '1000' })
      .reply(200, NOTES);
    await c.listComments('7', { version, memo: (read as CutTicket).memo! });
    expect(list.isDone()).toBe(true);
  });
});
