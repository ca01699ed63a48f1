import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { AuthError, SyncError } from '../../core/errors.js';
import { isInvalidTicket, type Connector, type Ticket } from '../../core/types.js';
import type { ScopeConfig } from '../../mapping/schema.js';
import { nock, useHttpMock } from '../../../test/helpers/http-mock.js';
import { testContext } from '../../../test/helpers/context.js';
import { issueToTicket, markerToLabel } from './convert.js';
import { jsmConnector, type JsmConnector } from './index.js';

const BASE = 'https://acme.atlassian.net';
const system = {
  kind: 'jsm' as const,
  baseUrl: BASE,
  credentials: { email: 'bot@acme.example', apiToken: 'tok' },
  webhook: { secret: 's3cret' },
};
const AUTH = `Basic ${Buffer.from('bot@acme.example:tok').toString('base64')}`;

function connector(scope: ScopeConfig = { project: 'IT' }) {
  return jsmConnector.create(testContext(system, { scope, systemName: 'jira' }));
}

const FIELDS = [
  { id: 'summary', name: 'Summary', custom: false, schema: { type: 'string', system: 'summary' } },
  {
    id: 'customfield_10010',
    name: 'Request Type',
    custom: true,
    schema: { type: 'sd-customerrequesttype', custom: 'com.atlassian.servicedesk:vp-origin' },
  },
];

const status = (id: string, name: string, key: string) => ({ id, name, statusCategory: { key } });
const WFS = status('10001', 'Waiting for support', 'new');
const PROG = status('3', 'In Progress', 'indeterminate');
const RESOLVED = status('5', 'Resolved', 'done');
const CLOSED = status('6', 'Closed', 'done');

function issue(id: string, updated: string, extra: Record<string, unknown> = {}) {
  return {
    id,
    key: `IT-${id}`,
    fields: {
      summary: `S${id}`,
      description: null,
      status: WFS,
      project: { id: '10000', key: 'IT' },
      labels: [],
      updated,
      ...extra,
    },
  };
}

describe('jsm connector over HTTP (nock)', () => {
  useHttpMock();

  it('polls with an epoch-ms cursor, the scope, and pages by nextPageToken until isLast', async () => {
    const since = new Date('2025-03-01T10:00:00.000Z');
    const jql = `project = "IT" AND "Request Type" in ("Get IT help") AND (labels = vip) AND updated >= ${since.getTime()} ORDER BY updated ASC, key ASC`;
    nock(BASE)
      .get('/rest/api/3/field')
      .reply(200, FIELDS)
      .post('/rest/api/3/search/jql', {
        jql,
        maxResults: 100,
        fields: ['*navigable'],
        properties: ['ticketbridge.marker'],
      })
      .matchHeader('authorization', AUTH)
      .reply(200, { issues: [issue('1', '2025-03-01T10:00:00.000+0000')], nextPageToken: 'p2', isLast: false })
      .post('/rest/api/3/search/jql', {
        jql,
        maxResults: 100,
        fields: ['*navigable'],
        properties: ['ticketbridge.marker'],
        nextPageToken: 'p2',
      })
      .reply(200, {
        issues: [issue('2', '2025-03-01T10:05:00.000+0000'), issue('1', '2025-03-01T10:00:00.000+0000')],
        isLast: true,
      });
    const c = connector({ project: 'IT', requestTypes: ['Get IT help'], jql: 'labels = vip' });
    const out: string[] = [];
    for await (const t of c.listChanged({ since }))
      out.push(isInvalidTicket(t) ? `bad:${t.id}` : `${t.id}@${t.version}`);
    expect(out).toEqual(['1@2025-03-01T10:00:00.000Z', '2@2025-03-01T10:05:00.000Z']);
  });

  it.each([
    [
      'a repeated page token',
      [
        { issues: [issue('1', '2025-01-01T00:00:00.000+0000')], nextPageToken: 'same' },
        { issues: [issue('2', '2025-01-01T00:00:00.000+0000')], nextPageToken: 'same' },
      ],
      2,
    ],
    ['a missing token without isLast', [{ issues: [issue('1', '2025-01-01T00:00:00.000+0000')] }], 1],
    ['an empty page that still carries a token', [{ issues: [], nextPageToken: 'more' }], 0],
  ])('stops paging on %s', async (_name, pages, expected) => {
    const scope = nock(BASE).get('/rest/api/3/field').reply(200, FIELDS);
    for (const page of pages) scope.post('/rest/api/3/search/jql').reply(200, page);
    const items: unknown[] = [];
    for await (const t of connector().listChanged({ since: null })) items.push(t);
    expect(items).toHaveLength(expected);
  });

  it('bounds a first poll with updated >= 0 so the JQL is never unbounded', async () => {
    nock(BASE)
      .get('/rest/api/3/field')
      .reply(200, FIELDS)
      .post(
        '/rest/api/3/search/jql',
        (body: { jql: string }) => body.jql === 'updated >= 0 ORDER BY updated ASC, key ASC',
      )
      .reply(200, { issues: [], isLast: true });
    const items: unknown[] = [];
    for await (const t of connector({}).listChanged({ since: null })) items.push(t);
    expect(items).toEqual([]);
  });

  it('yields a malformed issue as invalid and keeps listing', async () => {
    nock(BASE)
      .get('/rest/api/3/field')
      .reply(200, FIELDS)
      .post('/rest/api/3/search/jql')
      .reply(200, {
        issues: [{ id: '9', key: 'IT-9', fields: { summary: 'x' } }, issue('10', '2025-01-01T00:00:00.000+0000')],
        isLast: true,
      });
    const items: unknown[] = [];
    for await (const t of connector().listChanged({ since: null })) items.push(t);
    expect(items[0]).toEqual({ id: '9', invalid: 'fields.status: Invalid input: expected object, received undefined' });
    expect((items[1] as Ticket).id).toBe('10');
  });

  it('edits with an ADF description and walks transitions to the target status, filling the resolution', async () => {
    const current = issue('7', '2025-01-01T00:00:00.000+0000', { status: WFS });
    const after = issue('7', '2025-01-01T00:05:00.000+0000', {
      status: CLOSED,
      summary: 'New',
      description: {
        version: 1,
        type: 'doc',
        content: [
          {
            type: 'paragraph',
            content: [{ type: 'text', text: 'a' }, { type: 'hardBreak' }, { type: 'text', text: 'b' }],
          },
        ],
      },
    });
    nock(BASE)
      .get('/rest/api/3/field')
      .reply(200, FIELDS)
      .get('/rest/api/3/issue/7')
      .query({ fields: '*all', properties: 'ticketbridge.marker' })
      .reply(200, current)
      // No labels change, so the marker label needs no read; the walk starts from the status just read.
      .put('/rest/api/3/issue/7', {
        fields: {
          summary: 'New',
          description: {
            version: 1,
            type: 'doc',
            content: [
              {
                type: 'paragraph',
                content: [{ type: 'text', text: 'a' }, { type: 'hardBreak' }, { type: 'text', text: 'b' }],
              },
            ],
          },
        },
      })
      .reply(204)
      .get('/rest/api/3/project/IT/statuses')
      .reply(200, [{ id: '10100', name: 'Incident', statuses: [WFS, PROG, RESOLVED, CLOSED] }])
      .get('/rest/api/3/issue/7/transitions')
      .query({ expand: 'transitions.fields' })
      .reply(200, {
        transitions: [
          { id: '11', name: 'Start work', to: PROG },
          {
            id: '51',
            name: 'Resolve',
            to: RESOLVED,
            fields: {
              resolution: {
                required: true,
                allowedValues: [
                  { id: '1', name: 'Done' },
                  { id: '2', name: 'Duplicate' },
                ],
              },
            },
          },
        ],
      })
      .post('/rest/api/3/issue/7/transitions', {
        transition: { id: '51' },
        fields: { resolution: { name: 'Duplicate' } },
      })
      .reply(204)
      .get('/rest/api/3/issue/7/transitions')
      .query({ expand: 'transitions.fields' })
      .reply(200, {
        transitions: [
          { id: '61', name: 'Close', to: CLOSED },
          { id: '71', name: 'Reopen', to: WFS },
        ],
      })
      .post('/rest/api/3/issue/7/transitions', { transition: { id: '61' } })
      .reply(204)
      .get('/rest/api/3/issue/7')
      .query({ fields: '*all', properties: 'ticketbridge.marker' })
      .reply(200, after);
    const ticket = await connector().updateTicket('7', {
      summary: 'New',
      description: 'a\nb',
      status: 'Closed',
      resolution: 'Duplicate',
    });
    expect(ticket.fields).toMatchObject({ status: 'Closed', summary: 'New', description: 'a\nb' });
  });

  it('fails with transition_missing when no transition leads anywhere new', async () => {
    const current = issue('8', '2025-01-01T00:00:00.000+0000', { status: CLOSED });
    nock(BASE)
      .get('/rest/api/3/field')
      .reply(200, FIELDS)
      .get('/rest/api/3/issue/8')
      .query({ fields: '*all', properties: 'ticketbridge.marker' })
      .reply(200, current)
      // The walk starts from the status just read: no second read.
      .get('/rest/api/3/project/IT/statuses')
      .reply(200, [{ id: '10100', name: 'Incident', statuses: [WFS, CLOSED] }])
      .get('/rest/api/3/issue/8/transitions')
      .query({ expand: 'transitions.fields' })
      .reply(200, { transitions: [] })
      // Stuck: the walk reads where the issue stands now and tries once more from there.
      .get('/rest/api/3/issue/8')
      .query({ fields: '*all' })
      .reply(200, current)
      .get('/rest/api/3/issue/8/transitions')
      .query({ expand: 'transitions.fields' })
      .reply(200, { transitions: [] });
    const err = await connector()
      .updateTicket('8', { status: 'In Progress' })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SyncError);
    expect((err as SyncError).code).toBe('transition_missing');
    expect((err as SyncError).message).toContain('from "Closed" to "In Progress"');
    expect(nock.isDone()).toBe(true);
  });

  it('creates through servicedeskapi when the scope names a request type, then sends the description as ADF with label and property', async () => {
    const marker = 'tb:conn:42';
    const created = issue('20', '2025-01-01T00:00:00.000+0000', {
      labels: [markerToLabel(marker)],
      customfield_10010: { requestType: { id: '1', name: 'Get IT help' } },
    });
    nock(BASE)
      .get('/rest/servicedeskapi/servicedesk')
      .query({ start: 0, limit: 50 })
      .reply(200, { values: [{ id: '1', projectId: '10000', projectKey: 'IT' }], isLastPage: true })
      .get('/rest/servicedeskapi/servicedesk/1/requesttype')
      .query({ start: 0, limit: 50 })
      .reply(200, { values: [{ id: '1', name: 'Get IT help' }], isLastPage: true })
      .post('/rest/servicedeskapi/request', {
        serviceDeskId: '1',
        requestTypeId: '1',
        requestFieldValues: { summary: 'VPN broken' },
      })
      .reply(201, { issueId: '20', issueKey: 'IT-20' })
      .get('/rest/api/3/field')
      .reply(200, FIELDS)
      .put('/rest/api/3/issue/20/properties/ticketbridge.marker', { marker })
      .reply(201)
      .put('/rest/api/3/issue/20', {
        fields: {
          description: {
            version: 1,
            type: 'doc',
            content: [
              {
                type: 'paragraph',
                content: [
                  { type: 'text', text: 'Line one' },
                  { type: 'hardBreak' },
                  { type: 'text', text: 'Line two' },
                ],
              },
            ],
          },
          priority: { name: 'High' },
          labels: [markerToLabel(marker)],
        },
      })
      .reply(204)
      .get('/rest/api/3/issue/20')
      .query({ fields: '*all', properties: 'ticketbridge.marker' })
      .reply(200, { ...created, properties: { 'ticketbridge.marker': { marker } } });
    const ticket = await connector({ project: 'IT', requestTypes: ['Get IT help'] }).createTicket(
      { summary: 'VPN broken', description: 'Line one\nLine two', priority: 'High' },
      marker,
    );
    expect(ticket).toMatchObject({ id: '20', marker, fields: { requestType: 'Get IT help', labels: [] } });
  });

  it('creates through the platform API with the scope issue type and the marker atomically', async () => {
    const marker = 'tb:conn:43';
    nock(BASE)
      .get('/rest/api/3/field')
      .reply(200, FIELDS)
      .post('/rest/api/3/issue', {
        fields: {
          summary: 'Disk full',
          labels: ['ops', markerToLabel(marker)],
          project: { key: 'IT' },
          issuetype: { name: 'Service Request' },
        },
        properties: [{ key: 'ticketbridge.marker', value: { marker } }],
      })
      .reply(201, { id: '21', key: 'IT-21' })
      .get('/rest/api/3/issue/21')
      .query({ fields: '*all', properties: 'ticketbridge.marker' })
      .reply(200, issue('21', '2025-01-01T00:00:00.000+0000', { labels: ['ops', markerToLabel(marker)] }));
    const ticket = await connector({ project: 'IT', issueType: 'Service Request' }).createTicket(
      { summary: 'Disk full', labels: ['ops'] },
      marker,
    );
    expect(ticket).toMatchObject({ id: '21', marker, fields: { labels: ['ops'] } });
  });

  it('finds a ticket by its marker label and verifies the marker', async () => {
    const marker = 'tb:conn:44';
    const label = markerToLabel(marker);
    nock(BASE)
      .post('/rest/api/3/search/jql', {
        jql: `labels = "${label}" ORDER BY created ASC`,
        maxResults: 100,
        fields: ['*navigable'],
        properties: ['ticketbridge.marker'],
      })
      .reply(200, { issues: [{ id: '22' }], isLast: true })
      .get('/rest/api/3/field')
      .reply(200, FIELDS)
      .get('/rest/api/3/issue/22')
      .query({ fields: '*all', properties: 'ticketbridge.marker' })
      .reply(200, {
        ...issue('22', '2025-01-01T00:00:00.000+0000', { labels: [label] }),
        properties: { 'ticketbridge.marker': { marker } },
      });
    expect((await connector().findByMarker(marker))?.id).toBe('22');
  });

  it('reads field change times newest page first and stops paging back once every field is found', async () => {
    const entry = (created: string, ...fieldIds: string[]) => ({
      id: created,
      created,
      items: fieldIds.map((fieldId) => ({ field: fieldId, fieldId })),
    });
    const priorityEdits = (n: number) =>
      Array.from({ length: n }, () => entry('2025-03-01T10:00:00.000+0000', 'priority'));
    nock(BASE)
      .get('/rest/api/3/field')
      .reply(200, FIELDS)
      .get('/rest/api/3/issue/7/changelog')
      .query({ startAt: 0, maxResults: 100 })
      .reply(200, { startAt: 0, maxResults: 100, total: 250, isLast: false, values: priorityEdits(100) })
      .get('/rest/api/3/issue/7/changelog')
      .query({ startAt: 150, maxResults: 100 })
      .reply(200, {
        startAt: 150,
        maxResults: 100,
        total: 250,
        isLast: true,
        values: [...priorityEdits(99), entry('2025-03-02T08:30:00.000+0000', 'priority')],
      })
      .get('/rest/api/3/issue/7/changelog')
      .query({ startAt: 50, maxResults: 100 })
      .reply(200, {
        startAt: 50,
        maxResults: 100,
        total: 250,
        isLast: false,
        values: [entry('2025-02-01T09:00:00.000+0000', 'customfield_10010', 'summary'), ...priorityEdits(99)],
      });
    // No request for startAt 0 with maxResults 50: both fields were found on the way back.
    const times = await connector().fieldChangeTimes!('7', ['summary', 'priority', 'requestType']);
    expect(times).toEqual({
      priority: '2025-03-02T08:30:00.000Z',
      summary: '2025-02-01T09:00:00.000Z',
      requestType: '2025-02-01T09:00:00.000Z',
    });
  });

  it('pages comments fully and reads internal notes from jsdPublic and markers from the footer', async () => {
    const adf = (text: string) => ({
      version: 1,
      type: 'doc',
      content: text.split('\n\n').map((p) => ({ type: 'paragraph', content: [{ type: 'text', text: p }] })),
    });
    nock(BASE)
      .get('/rest/api/3/issue/5/comment')
      .query({ startAt: 0, maxResults: 100, orderBy: 'created' })
      .reply(200, {
        startAt: 0,
        maxResults: 1,
        total: 2,
        comments: [
          {
            id: '1',
            body: adf('hello'),
            created: '2025-01-01T00:00:00.000+0000',
            jsdPublic: true,
            author: { accountId: 'a', displayName: 'Mia' },
          },
        ],
      })
      .get('/rest/api/3/issue/5/comment')
      .query({ startAt: 1, maxResults: 100, orderBy: 'created' })
      .reply(200, {
        startAt: 1,
        maxResults: 1,
        total: 2,
        comments: [
          {
            id: '2',
            body: adf('note\n\n\u2014 ticketbridge [tb:conn:1:b9]'),
            created: '2025-01-01T00:01:00.000+0000',
            jsdPublic: false,
          },
        ],
      });
    const comments = await connector().listComments('5');
    expect(comments).toEqual([
      {
        id: '1',
        body: 'hello',
        visibility: 'public',
        createdAt: '2025-01-01T00:00:00.000Z',
        marker: null,
        author: 'Mia',
      },
      { id: '2', body: 'note', visibility: 'internal', createdAt: '2025-01-01T00:01:00.000Z', marker: 'tb:conn:1:b9' },
    ]);
  });

  it('adds an internal note as ADF with the sd.public.comment property', async () => {
    const body = {
      version: 1,
      type: 'doc',
      content: [
        {
          type: 'paragraph',
          content: [
            { type: 'text', text: 'Sam (ConnectWise) wrote:' },
            { type: 'hardBreak' },
            { type: 'text', text: 'checked' },
          ],
        },
        { type: 'paragraph', content: [{ type: 'text', text: '\u2014 ticketbridge [tb:c:1:a5]' }] },
      ],
    };
    nock(BASE)
      .post('/rest/api/3/issue/5/comment', {
        body,
        properties: [{ key: 'sd.public.comment', value: { internal: true } }],
      })
      .reply(201, { id: '9', body, created: '2025-01-01T00:00:00.000+0000', jsdPublic: false });
    const comment = await connector().addComment('5', {
      body: 'checked',
      visibility: 'internal',
      author: 'Sam',
      origin: 'ConnectWise',
      marker: 'tb:c:1:a5',
    });
    expect(comment).toMatchObject({
      id: '9',
      visibility: 'internal',
      marker: 'tb:c:1:a5',
      body: 'Sam (ConnectWise) wrote:\nchecked',
    });
  });

  it('reports a revoked token as auth_failed naming the system', async () => {
    nock(BASE)
      .get('/rest/api/3/myself')
      .reply(401, { errorMessages: ['You are not authenticated.'], errors: {} });
    const err = await connector()
      .ping()
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AuthError);
    expect((err as AuthError).message).toMatch(/^jira refused the credentials \(401\)/);
  });

  it('waits for Retry-After on 429 and then succeeds', async () => {
    nock(BASE)
      .get('/rest/api/3/myself')
      .reply(
        429,
        { errorMessages: ['Rate limit exceeded.'] },
        { 'Retry-After': '0', 'RateLimit-Reason': 'jira-burst-based' },
      )
      .get('/rest/api/3/myself')
      .reply(200, { accountId: 'me' });
    await expect(connector().ping()).resolves.toBeUndefined();
  });

  it('registers an admin webhook with the scope as its JQL filter and the secret', async () => {
    nock(BASE)
      .get('/rest/webhooks/1.0/webhook')
      .reply(200, [])
      .post('/rest/webhooks/1.0/webhook', {
        name: 'ticketbridge test (a)',
        url: 'https://tb.example/webhooks/test/a',
        events: ['jira:issue_created', 'jira:issue_updated', 'comment_created'],
        filters: { 'issue-related-events-section': 'project = "IT"' },
        excludeBody: false,
        secret: 's3cret',
      })
      .reply(201, {
        self: `${BASE}/rest/webhooks/1.0/webhook/3`,
        name: 'x',
        url: 'https://tb.example/webhooks/test/a',
      });
    await expect(connector().registerWebhook!('https://tb.example/webhooks/test/a')).resolves.toContain(
      '/rest/webhooks/1.0/webhook/3',
    );
  });

  it('verifies X-Hub-Signature over the raw body and parses ids and the delivery id', () => {
    const raw = Buffer.from(
      JSON.stringify({ webhookEvent: 'comment_created', issue: { id: '10005' }, comment: { id: '1' } }),
    );
    const sig = `sha256=${createHmac('sha256', 's3cret').update(raw).digest('hex')}`;
    const c = connector();
    const request = { headers: { 'x-hub-signature': sig, 'x-atlassian-webhook-identifier': 'd-1' }, rawBody: raw };
    expect(c.verifyWebhook(request)).toBe(true);
    expect(
      c.verifyWebhook({
        ...request,
        headers: { 'x-hub-signature': sig.slice(0, -1) + (sig.endsWith('0') ? '1' : '0') },
      }),
    ).toBe(false);
    expect(c.verifyWebhook({ ...request, rawBody: Buffer.concat([raw, Buffer.from(' ')]) })).toBe(false);
    expect(c.parseWebhook(request)).toEqual({
      ticketIds: ['10005'],
      deliveryId: 'd-1',
      moved: 'comments',
      commentId: '1',
    });
  });

  it('rejects a non-JSON webhook body with a payload error', () => {
    expect(() => connector().parseWebhook({ headers: {}, rawBody: Buffer.from('nope') })).toThrow(
      /webhook: body is not JSON/,
    );
  });
});

describe('jsm connector: requests per write (contract: updateTicket with the expected ticket)', () => {
  useHttpMock();

  it('writes a one-field edit with one request: the PUT answers the issue (returnIssue), no read before or after', async () => {
    const expected = issueToTicket(issue('7', '2025-01-01T00:00:00.000+0000', { labels: [markerToLabel('tb:c:7')] }), {
      baseUrl: BASE,
      requestTypeFieldId: 'customfield_10010',
      inScope: () => true,
    }) as Ticket;
    const issueRequests: string[] = [];
    nock(BASE)
      .get('/rest/api/3/field')
      .reply(200, FIELDS)
      .put('/rest/api/3/issue/7', { fields: { summary: 'New' } })
      .query({ returnIssue: 'true' })
      .reply(200, (uri) => {
        issueRequests.push(`PUT ${uri}`);
        return issue('7', '2025-01-01T00:05:00.000+0000', { summary: 'New', labels: [markerToLabel('tb:c:7')] });
      });
    const c = connector() as JsmConnector;
    const held = await c.updateTicket('7', { summary: 'New' }, { expected });
    expect(held).toMatchObject({ version: '2025-01-01T00:05:00.000Z', marker: 'tb:c:7', fields: { summary: 'New' } });
    // Before the expected ticket: GET issue, GET issue (marker labels), PUT, GET issue = 4 requests.
    expect(issueRequests).toEqual(['PUT /rest/api/3/issue/7?returnIssue=true']);
  });
});

describe('jsm connector: requests a create and a comment list spend', () => {
  useHttpMock();
  const MARKED = { labels: [markerToLabel('tb:c:9')] };

  it('creates an issue already in the status asked for with one read: no status list, no transition, no second read', async () => {
    nock(BASE)
      .get('/rest/api/3/field')
      .reply(200, FIELDS)
      .post('/rest/api/3/issue')
      .reply(201, { id: '9', key: 'IT-9', self: `${BASE}/rest/api/3/issue/9` })
      .get('/rest/api/3/issue/9')
      .query({ fields: '*all', properties: 'ticketbridge.marker' })
      .reply(200, issue('9', '2025-01-01T00:00:00.000+0000', MARKED));
    const created = await connector().createTicket({ summary: 'S9', status: 'Waiting for support' }, 'tb:c:9');
    expect(created).toMatchObject({ id: '9', marker: 'tb:c:9', fields: { status: 'Waiting for support' } });
  });

  it("walks a new issue's transitions from the status its one read showed, without the project's statuses when a transition leads there", async () => {
    const c = connector() as JsmConnector;
    // No interceptor for /project/IT/statuses: a request for it fails the test.
    const scope = nock(BASE).get('/rest/api/3/field').reply(200, FIELDS);
    for (const id of ['9', '10']) {
      const marked = { labels: [markerToLabel(`tb:c:${id}`)] };
      scope
        .post('/rest/api/3/issue')
        .reply(201, { id, key: `IT-${id}`, self: `${BASE}/rest/api/3/issue/${id}` })
        .get(`/rest/api/3/issue/${id}`)
        .query({ fields: '*all', properties: 'ticketbridge.marker' })
        .reply(200, issue(id, '2025-01-01T00:00:00.000+0000', marked))
        .get(`/rest/api/3/issue/${id}/transitions`)
        .query({ expand: 'transitions.fields' })
        .reply(200, { transitions: [{ id: '11', name: 'Start work', to: PROG }] })
        .post(`/rest/api/3/issue/${id}/transitions`, { transition: { id: '11' } })
        .reply(204)
        .get(`/rest/api/3/issue/${id}`)
        .query({ fields: '*all', properties: 'ticketbridge.marker' })
        .reply(200, issue(id, '2025-01-01T00:00:01.000+0000', { ...marked, status: PROG }));
      const created = await c.createTicket({ summary: `S${id}`, status: 'In Progress' }, `tb:c:${id}`);
      expect(created.fields.status).toBe('In Progress');
    }
    expect(scope.isDone()).toBe(true);
  });

  const comment = (id: string, text: string) => ({
    id,
    created: '2025-01-01T00:00:00.000+0000',
    jsdPublic: true,
    body: { version: 1, type: 'doc', content: [{ type: 'paragraph', content: [{ type: 'text', text }] }] },
  });

  it('answers a list of the comments of the version it just read from that read (fields=*all carries them)', async () => {
    nock(BASE)
      .get('/rest/api/3/field')
      .reply(200, FIELDS)
      .get('/rest/api/3/issue/7')
      .query({ fields: '*all', properties: 'ticketbridge.marker' })
      .reply(
        200,
        issue('7', '2025-01-01T00:00:00.000+0000', {
          comment: { startAt: 0, maxResults: 1, total: 1, comments: [comment('100', 'from the read')] },
        }),
      );
    const c = connector();
    const ticket = await c.getTicket('7');
    const comments = await c.listComments('7', { version: ticket.version });
    expect(comments.map((x) => x.body)).toEqual(['from the read']);
  });

  it('lists the comments when the caller holds another version, or the read carried only some of them', async () => {
    const page = (text: string) => ({ startAt: 0, maxResults: 100, total: 1, comments: [comment('100', text)] });
    nock(BASE)
      .get('/rest/api/3/field')
      .reply(200, FIELDS)
      .get('/rest/api/3/issue/7')
      .query({ fields: '*all', properties: 'ticketbridge.marker' })
      .reply(200, issue('7', '2025-01-01T00:00:00.000+0000', { comment: page('from the read') }))
      .get('/rest/api/3/issue/7/comment')
      .query(true)
      .reply(200, page('listed: another version'))
      .get('/rest/api/3/issue/8')
      .query({ fields: '*all', properties: 'ticketbridge.marker' })
      .reply(
        200,
        issue('8', '2025-01-01T00:00:00.000+0000', {
          comment: { startAt: 0, maxResults: 20, total: 21, comments: [comment('200', 'one of 21')] },
        }),
      )
      .get('/rest/api/3/issue/8/comment')
      .query(true)
      .reply(200, page('listed: all 21'));
    const c = connector();
    await c.getTicket('7');
    expect((await c.listComments('7', { version: '2025-01-01T00:00:09.000Z' })).map((x) => x.body)).toEqual([
      'listed: another version',
    ]);
    const eight = await c.getTicket('8');
    expect((await c.listComments('8', { version: eight.version })).map((x) => x.body)).toEqual(['listed: all 21']);
  });
});

describe('jsm connector: transitions learned per workflow (project + issue type)', () => {
  useHttpMock();
  const START = { id: '11', name: 'Start work', to: PROG };
  const REFUSED = { errorMessages: ["Transition id '11' is not valid for this issue."], errors: {} };
  const at = { ms: Date.parse('2025-01-01T00:00:00.000Z') };
  const clock = { now: () => at.ms };

  function learning() {
    at.ms = Date.parse('2025-01-01T00:00:00.000Z');
    return jsmConnector.create(testContext(system, { scope: { project: 'IT' }, systemName: 'jira', clock }));
  }

  /** The issue as the pass read it, of the given issue type, waiting for support. */
  function read(id: string, issueType: string): Ticket {
    return issueToTicket(issue(id, '2025-01-01T00:00:00.000+0000', { issuetype: { name: issueType } }), {
      baseUrl: BASE,
      requestTypeFieldId: 'customfield_10010',
      inScope: () => true,
    }) as Ticket;
  }

  /** The requests a status change of issue `id` ends with: the read of the version it made. */
  function readAfter(scope: nock.Scope, id: string, issueType: string): nock.Scope {
    return scope
      .get(`/rest/api/3/issue/${id}`)
      .query({ fields: '*all', properties: 'ticketbridge.marker' })
      .reply(200, issue(id, '2025-01-01T00:00:01.000+0000', { status: PROG, issuetype: { name: issueType } }));
  }

  function listed(scope: nock.Scope, id: string, transitions: unknown[]): nock.Scope {
    return scope
      .get(`/rest/api/3/issue/${id}/transitions`)
      .query({ expand: 'transitions.fields' })
      .reply(200, { transitions });
  }

  async function move(c: Connector, id: string, issueType: string): Promise<void> {
    const moved = await c.updateTicket(id, { status: 'In Progress' }, { expected: read(id, issueType) });
    expect(moved.fields.status).toBe('In Progress');
  }

  it('posts the transition a status change on another issue of the same project and type learned, without listing transitions', async () => {
    const c = learning();
    const scope = nock(BASE).get('/rest/api/3/field').reply(200, FIELDS);
    listed(scope, '7', [START])
      .post('/rest/api/3/issue/7/transitions', { transition: { id: '11' } })
      .reply(204);
    readAfter(scope, '7', 'Incident');
    scope.post('/rest/api/3/issue/8/transitions', { transition: { id: '11' } }).reply(204);
    readAfter(scope, '8', 'Incident');
    await move(c, '7', 'Incident');
    await move(c, '8', 'Incident');
    expect(scope.isDone()).toBe(true);
  });

  it('falls back to the listed transitions when Jira refuses a learned one (400), and learns them again', async () => {
    const c = learning();
    const scope = nock(BASE).get('/rest/api/3/field').reply(200, FIELDS);
    listed(scope, '7', [START])
      .post('/rest/api/3/issue/7/transitions', { transition: { id: '11' } })
      .reply(204);
    readAfter(scope, '7', 'Incident');
    // The workflow was edited: "Start work" is now transition 12.
    scope.post('/rest/api/3/issue/8/transitions', { transition: { id: '11' } }).reply(400, REFUSED);
    listed(scope, '8', [{ ...START, id: '12' }])
      .post('/rest/api/3/issue/8/transitions', { transition: { id: '12' } })
      .reply(204);
    readAfter(scope, '8', 'Incident');
    scope.post('/rest/api/3/issue/9/transitions', { transition: { id: '12' } }).reply(204);
    readAfter(scope, '9', 'Incident');
    await move(c, '7', 'Incident');
    await move(c, '8', 'Incident');
    await move(c, '9', 'Incident');
    expect(scope.isDone()).toBe(true);
  });

  it('does not post a transition learned on another issue type (each has its own workflow)', async () => {
    const c = learning();
    const scope = nock(BASE).get('/rest/api/3/field').reply(200, FIELDS);
    listed(scope, '7', [START])
      .post('/rest/api/3/issue/7/transitions', { transition: { id: '11' } })
      .reply(204);
    readAfter(scope, '7', 'Incident');
    // A service request's workflow reaches In Progress by transition 31: listed, not guessed.
    listed(scope, '8', [{ ...START, id: '31' }])
      .post('/rest/api/3/issue/8/transitions', { transition: { id: '31' } })
      .reply(204);
    readAfter(scope, '8', 'Service request');
    // Each type then posts what it learned.
    scope.post('/rest/api/3/issue/9/transitions', { transition: { id: '11' } }).reply(204);
    readAfter(scope, '9', 'Incident');
    scope.post('/rest/api/3/issue/10/transitions', { transition: { id: '31' } }).reply(204);
    readAfter(scope, '10', 'Service request');
    await move(c, '7', 'Incident');
    await move(c, '8', 'Service request');
    await move(c, '9', 'Incident');
    await move(c, '10', 'Service request');
    expect(scope.isDone()).toBe(true);
  });

  it('trusts learned transitions for 10 minutes, then lists them again', async () => {
    const c = learning();
    const scope = nock(BASE).get('/rest/api/3/field').reply(200, FIELDS);
    listed(scope, '7', [START])
      .post('/rest/api/3/issue/7/transitions', { transition: { id: '11' } })
      .reply(204);
    readAfter(scope, '7', 'Incident');
    scope.post('/rest/api/3/issue/8/transitions', { transition: { id: '11' } }).reply(204);
    readAfter(scope, '8', 'Incident');
    listed(scope, '9', [START])
      .post('/rest/api/3/issue/9/transitions', { transition: { id: '11' } })
      .reply(204);
    readAfter(scope, '9', 'Incident');
    await move(c, '7', 'Incident');
    at.ms += 10 * 60_000;
    await move(c, '8', 'Incident');
    at.ms += 1;
    await move(c, '9', 'Incident');
    expect(scope.isDone()).toBe(true);
  });
});
