import { createHmac } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../../test/helpers/manual-clock.js';
import { adf, startDemoJira, startReceiver, type Called } from './test-helpers.js';

type Jira = Awaited<ReturnType<typeof startDemoJira>>;
type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

let jira: Jira;
// The site's time moves only when a test advances it: index lag passes without sleeping.
const clock = new ManualClock();
const body = (r: Called): Json => r.body as Json;

beforeAll(async () => {
  jira = await startDemoJira({ clock });
});
afterAll(async () => {
  await jira.stop();
});
beforeEach(async () => {
  await fetch(`${jira.url}/__sim/reset`, { method: 'POST' });
});

async function createIssue(summary = 'Printer down', extra: Json = {}): Promise<string> {
  const r = await jira.call('POST', '/rest/api/3/issue', {
    fields: { project: { key: 'IT' }, issuetype: { name: 'Incident' }, summary, ...extra },
  });
  expect(r.status).toBe(201);
  return body(r).id as string;
}

const updatedOf = async (id: string): Promise<number> =>
  Date.parse(body(await jira.call('GET', `/rest/api/3/issue/${id}?fields=updated`)).fields.updated as string);
const tick = async (): Promise<void> => clock.advance(5);

describe('authentication and identity', () => {
  it('refuses a wrong token with 401 and an ErrorCollection', async () => {
    const res = await fetch(`${jira.url}/rest/api/3/myself`, {
      headers: { authorization: `Basic ${Buffer.from('demo@example.com:nope').toString('base64')}` },
    });
    expect(res.status).toBe(401);
    expect(await res.json()).toEqual({ errorMessages: [expect.stringContaining('not authenticated')], errors: {} });
  });

  it('answers /myself with accountId and timeZone and sets X-AAccountId', async () => {
    const r = await jira.call('GET', '/rest/api/3/myself');
    expect(body(r)).toMatchObject({
      accountId: '5b10a2844c20165700ede21g',
      emailAddress: 'demo@example.com',
      timeZone: 'America/New_York',
    });
    expect(r.headers.get('x-aaccountid')).toBe('5b10a2844c20165700ede21g');
  });

  it('refuses a token once the control route revokes it', async () => {
    await fetch(`${jira.url}/__sim/credentials`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ revoked: true }),
    });
    expect((await jira.call('GET', '/rest/api/3/myself')).status).toBe(401);
  });

  it('adds RateLimit-Reason and Retry-After to injected 429s', async () => {
    await fetch(`${jira.url}/__sim/faults`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ burst429: { count: 1, retryAfterSec: 2 } }),
    });
    const r = await jira.call('GET', '/rest/api/3/myself');
    expect(r.status).toBe(429);
    expect(r.headers.get('retry-after')).toBe('2');
    expect(r.headers.get('ratelimit-reason')).toBe('jira-burst-based');
  });
});

describe('search', () => {
  it('returns ids only by default and pages by nextPageToken until isLast (GET and POST)', async () => {
    const ids = [await createIssue('a'), await createIssue('b'), await createIssue('c')];
    const p1 = body(
      await jira.call('GET', '/rest/api/3/search/jql?jql=project%20%3D%20IT%20ORDER%20BY%20id%20ASC&maxResults=2'),
    );
    expect(p1.issues).toEqual([{ id: ids[0] }, { id: ids[1] }]);
    expect(p1.isLast).toBe(false);
    const p2 = body(
      await jira.call('POST', '/rest/api/3/search/jql', {
        jql: 'project = IT ORDER BY id ASC',
        maxResults: 2,
        nextPageToken: p1.nextPageToken,
        fields: ['summary'],
      }),
    );
    expect(p2).toEqual({
      issues: [expect.objectContaining({ id: ids[2], key: 'IT-3', fields: { summary: 'c' } })],
      isLast: true,
    });
    expect(p2).not.toHaveProperty('total');
  });

  it("rejects unbounded JQL with Jira's message", async () => {
    const r = await jira.call('POST', '/rest/api/3/search/jql', { jql: 'ORDER BY created DESC' });
    expect(r.status).toBe(400);
    expect(body(r)).toEqual({
      errorMessages: ['Unbounded JQL queries are not allowed here. Please add a search restriction to your query.'],
      errors: {},
    });
  });

  it('answers the removed /search endpoint with 410', async () => {
    const r = await jira.call('GET', '/rest/api/3/search?jql=project=IT');
    expect(r.status).toBe(410);
    expect(body(r).errorMessages[0]).toMatch(
      /^The requested API has been removed\. Please migrate to the \/rest\/api\/3\/search\/jql API/,
    );
  });

  it('shows an edit through GET at once but through search only after the index lag', async () => {
    const id = await createIssue('lagging');
    await fetch(`${jira.url}/__sim/index-lag`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ ms: 2_000 }),
    });
    expect((await jira.call('PUT', `/rest/api/3/issue/${id}`, { fields: { labels: ['fresh'] } })).status).toBe(204);
    expect(body(await jira.call('GET', `/rest/api/3/issue/${id}?fields=labels`)).fields.labels).toEqual(['fresh']);
    expect(body(await jira.call('POST', '/rest/api/3/search/jql', { jql: 'labels = fresh' })).issues).toEqual([]);
    expect(
      body(await jira.call('POST', '/rest/api/3/search/jql', { jql: 'labels = fresh', reconcileIssues: [Number(id)] }))
        .issues,
    ).toEqual([{ id }]);
    clock.advance(2_100);
    expect(body(await jira.call('POST', '/rest/api/3/search/jql', { jql: 'labels = fresh' })).issues).toEqual([{ id }]);
  });
});

describe('issues', () => {
  it('creates, reads with fields, names, renderedFields and changelog, and edits', async () => {
    const id = await createIssue('Printer down', {
      description: adf('Paper jam'),
      priority: { name: 'High' },
      labels: ['vip'],
    });
    const r = body(
      await jira.call(
        'GET',
        `/rest/api/3/issue/${id}?fields=summary,description,priority,status&expand=renderedFields,names`,
      ),
    );
    expect(r).toMatchObject({
      id,
      key: 'IT-1',
      fields: {
        summary: 'Printer down',
        description: adf('Paper jam'),
        priority: { name: 'High' },
        status: { name: 'Waiting for support', statusCategory: { key: 'new' } },
      },
      renderedFields: { description: '<p>Paper jam</p>' },
      names: { summary: 'Summary' },
    });
    expect(Object.keys(r.fields as Json).sort()).toEqual(['description', 'priority', 'status', 'summary']);
    expect(
      (
        await jira.call('PUT', `/rest/api/3/issue/${id}`, {
          fields: { summary: 'Printer fixed' },
          update: { labels: [{ add: 'hw' }] },
        })
      ).status,
    ).toBe(204);
    const after = body(await jira.call('GET', `/rest/api/3/issue/${id}?expand=changelog`));
    expect(after.fields).toMatchObject({ summary: 'Printer fixed', labels: ['vip', 'hw'] });
    expect(after.changelog.histories[0].items).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ field: 'summary', fromString: 'Printer down', toString: 'Printer fixed' }),
      ]),
    );
  });

  it('finds issues by key case-insensitively and 404s unknown ones', async () => {
    const id = await createIssue();
    expect(body(await jira.call('GET', '/rest/api/3/issue/it-1?fields=summary')).id).toBe(id);
    const missing = await jira.call('GET', '/rest/api/3/issue/99999');
    expect(missing.status).toBe(404);
    expect(body(missing)).toEqual({
      errorMessages: ['Issue does not exist or you do not have permission to see it.'],
      errors: {},
    });
  });

  it("rejects a string description with Jira's exact error shape", async () => {
    const id = await createIssue();
    const r = await jira.call('PUT', `/rest/api/3/issue/${id}`, { fields: { description: 'plain text' } });
    expect(r.status).toBe(400);
    expect(body(r)).toEqual({
      errorMessages: [],
      errors: { description: 'Operation value must be an Atlassian Document (see the Atlassian Document Format)' },
    });
  });

  it('rejects an empty text node inside ADF', async () => {
    const id = await createIssue();
    const r = await jira.call('PUT', `/rest/api/3/issue/${id}`, {
      fields: {
        description: {
          version: 1,
          type: 'doc',
          content: [{ type: 'paragraph', content: [{ type: 'text', text: '' }] }],
        },
      },
    });
    expect(r.status).toBe(400);
    expect(body(r).errors.description).toMatch(/non-empty text/);
  });

  it('treats status as read-only on edit', async () => {
    const id = await createIssue();
    const r = await jira.call('PUT', `/rest/api/3/issue/${id}`, { fields: { status: { name: 'Closed' } } });
    expect(r.status).toBe(400);
    expect(body(r).errors.status).toBe(
      "Field 'status' cannot be set. It is not on the appropriate screen, or unknown.",
    );
  });

  it('moves updated on edit, transition and comment', async () => {
    const id = await createIssue();
    let last = await updatedOf(id);
    for (const step of [
      () => jira.call('PUT', `/rest/api/3/issue/${id}`, { fields: { summary: 'edited' } }),
      () => jira.call('POST', `/rest/api/3/issue/${id}/transitions`, { transition: { id: '11' } }),
      () => jira.call('POST', `/rest/api/3/issue/${id}/comment`, { body: adf('hi') }),
    ]) {
      await tick();
      await step();
      const now = await updatedOf(id);
      expect(now).toBeGreaterThan(last);
      last = now;
    }
  });

  it('stores issue properties (201 on create, 200 on update) and reads them inline', async () => {
    const id = await createIssue();
    expect(
      (await jira.call('PUT', `/rest/api/3/issue/${id}/properties/ticketbridge.marker`, { marker: 'tb:x:1' })).status,
    ).toBe(201);
    expect(
      (await jira.call('PUT', `/rest/api/3/issue/${id}/properties/ticketbridge.marker`, { marker: 'tb:x:2' })).status,
    ).toBe(200);
    expect(body(await jira.call('GET', `/rest/api/3/issue/${id}/properties/ticketbridge.marker`))).toEqual({
      key: 'ticketbridge.marker',
      value: { marker: 'tb:x:2' },
    });
    expect(
      body(await jira.call('GET', `/rest/api/3/issue/${id}?fields=summary&properties=ticketbridge.marker`)).properties,
    ).toEqual({ 'ticketbridge.marker': { marker: 'tb:x:2' } });
    expect((await jira.call('GET', `/rest/api/3/issue/${id}/properties/nope`)).status).toBe(404);
  });

  it('lists the changelog oldest first with paging fields', async () => {
    const id = await createIssue();
    await jira.call('PUT', `/rest/api/3/issue/${id}`, { fields: { summary: 'one' } });
    await jira.call('PUT', `/rest/api/3/issue/${id}`, { fields: { summary: 'two' } });
    const r = body(await jira.call('GET', `/rest/api/3/issue/${id}/changelog?maxResults=1`));
    expect(r).toMatchObject({ startAt: 0, maxResults: 1, total: 2, isLast: false });
    expect(r.values[0].items[0]).toMatchObject({ field: 'summary', toString: 'one' });
  });
});

describe('workflow', () => {
  it('offers transitions from the current status with required fields, and requires resolution on Resolve', async () => {
    const id = await createIssue();
    const t = body(await jira.call('GET', `/rest/api/3/issue/${id}/transitions?expand=transitions.fields`));
    expect(t.transitions.map((x: Json) => `${x.id}:${x.to.name}`)).toEqual([
      '11:In Progress',
      '21:Waiting for customer',
      '51:Resolved',
    ]);
    expect(t.transitions[2].fields.resolution).toMatchObject({ required: true, operations: ['set'] });
    const missing = await jira.call('POST', `/rest/api/3/issue/${id}/transitions`, { transition: { id: '51' } });
    expect(missing.status).toBe(400);
    expect(body(missing)).toEqual({ errorMessages: [], errors: { resolution: 'Resolution is required.' } });
    const invalid = await jira.call('POST', `/rest/api/3/issue/${id}/transitions`, { transition: { id: '61' } });
    expect(body(invalid).errorMessages).toEqual(["Transition id '61' is not valid for this issue."]);
    expect(
      (
        await jira.call('POST', `/rest/api/3/issue/${id}/transitions`, {
          transition: { id: '51' },
          fields: { resolution: { name: 'Done' } },
        })
      ).status,
    ).toBe(204);
    const after = body(await jira.call('GET', `/rest/api/3/issue/${id}?fields=status,resolution`));
    expect(after.fields).toMatchObject({
      status: { name: 'Resolved', statusCategory: { key: 'done' } },
      resolution: { name: 'Done' },
    });
    const screenless = await jira.call('POST', `/rest/api/3/issue/${id}/transitions`, {
      transition: { id: '61' },
      fields: { resolution: { name: 'Done' } },
    });
    expect(body(screenless).errors.resolution).toMatch(/cannot be set/);
  });

  it('keeps a separate workflow per project', async () => {
    await fetch(`${jira.url}/__sim/seed`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        projects: [{ key: 'OPS', name: 'Operations' }],
        issues: [{ project: 'OPS', summary: 'x' }],
      }),
    });
    const issue = body(await jira.call('GET', '/rest/api/3/issue/OPS-1?fields=status'));
    expect(issue.fields.status.name).toBe('To Do');
    const t = body(await jira.call('GET', `/rest/api/3/issue/${issue.id}/transitions`));
    expect(t.transitions.map((x: Json) => x.to.name)).toEqual(['In Progress', 'Done']);
    const statuses = body(await jira.call('GET', '/rest/api/3/project/OPS/statuses'));
    expect(statuses[0].statuses.map((s: Json) => s.name)).toEqual(['To Do', 'In Progress', 'Done']);
  });
});

describe('comments', () => {
  it('creates internal notes through the sd.public.comment property and pages with startAt/maxResults/total', async () => {
    const id = await createIssue();
    await jira.call('POST', `/rest/api/3/issue/${id}/comment`, { body: adf('public reply') });
    const internal = body(
      await jira.call('POST', `/rest/api/3/issue/${id}/comment`, {
        body: adf('internal'),
        properties: [{ key: 'sd.public.comment', value: { internal: true } }],
      }),
    );
    expect(internal.jsdPublic).toBe(false);
    const page = body(await jira.call('GET', `/rest/api/3/issue/${id}/comment?startAt=1&maxResults=1`));
    expect(page).toMatchObject({
      startAt: 1,
      maxResults: 1,
      total: 2,
      comments: [{ body: adf('internal'), jsdPublic: false }],
    });
  });

  it('rejects a string comment body', async () => {
    const id = await createIssue();
    const r = await jira.call('POST', `/rest/api/3/issue/${id}/comment`, { body: 'text' });
    expect(r.status).toBe(400);
    expect(body(r)).toEqual({
      errorMessages: [],
      errors: { comment: 'Operation value must be an Atlassian Document (see the Atlassian Document Format)' },
    });
  });

  it('serves servicedeskapi comments with plain bodies, public required, and the same store', async () => {
    const id = await createIssue();
    const noPublic = await jira.call('POST', `/rest/servicedeskapi/request/${id}/comment`, { body: 'hello' });
    expect(noPublic.status).toBe(400);
    expect(body(noPublic)).toMatchObject({
      errorMessage: expect.stringContaining("'public'"),
      i18nErrorMessage: { i18nKey: expect.any(String), parameters: [] },
    });
    const created = body(
      await jira.call('POST', `/rest/servicedeskapi/request/${id}/comment`, { body: 'line 1\nline 2', public: false }),
    );
    expect(created).toMatchObject({
      body: 'line 1\nline 2',
      public: false,
      created: { epochMillis: expect.any(Number) },
    });
    const platform = body(await jira.call('GET', `/rest/api/3/issue/${id}/comment`));
    expect(platform.comments[0]).toMatchObject({
      jsdPublic: false,
      body: {
        type: 'doc',
        content: [{ type: 'paragraph', content: [{ text: 'line 1' }, { type: 'hardBreak' }, { text: 'line 2' }] }],
      },
    });
    const onlyPublic = body(await jira.call('GET', `/rest/servicedeskapi/request/${id}/comment?internal=false`));
    expect(onlyPublic).toMatchObject({ size: 0, isLastPage: true, values: [] });
  });
});

describe('service desk', () => {
  it('lists service desks and request types, and creates a request with plain-text fields', async () => {
    expect(body(await jira.call('GET', '/rest/servicedeskapi/servicedesk')).values).toEqual([
      expect.objectContaining({ id: '1', projectKey: 'IT' }),
    ]);
    const types = body(await jira.call('GET', '/rest/servicedeskapi/servicedesk/1/requesttype')).values.map(
      (t: Json) => t.name,
    );
    expect(types).toEqual(['Get IT help', 'Report a system problem', 'Request new hardware']);
    const created = await jira.call('POST', '/rest/servicedeskapi/request', {
      serviceDeskId: '1',
      requestTypeId: '2',
      requestFieldValues: { summary: 'Mail down', description: 'since 9' },
    });
    expect(created.status).toBe(201);
    expect(body(created)).toMatchObject({
      issueKey: 'IT-1',
      requestTypeId: '2',
      currentStatus: { status: 'Waiting for support', statusCategory: 'NEW' },
    });
    const issue = body(
      await jira.call(
        'GET',
        `/rest/api/3/issue/${body(created).issueId}?fields=issuetype,description,customfield_10010`,
      ),
    );
    expect(issue.fields).toMatchObject({
      issuetype: { name: 'Incident' },
      description: adf('since 9'),
      customfield_10010: { requestType: { name: 'Report a system problem' } },
    });
  });

  it('renders a request description and a request comment as JSM reads them: wiki markup', async () => {
    const created = await jira.call('POST', '/rest/servicedeskapi/request', {
      serviceDeskId: '1',
      requestTypeId: '1',
      requestFieldValues: { summary: 'Wiki', description: 'Use *bold*\n# first\n# second' },
    });
    const issueId = body(created).issueId as string;
    const issue = body(await jira.call('GET', `/rest/api/3/issue/${issueId}?fields=description`));
    expect(issue.fields.description).toEqual({
      version: 1,
      type: 'doc',
      content: [
        {
          type: 'paragraph',
          content: [
            { type: 'text', text: 'Use ' },
            { type: 'text', text: 'bold', marks: [{ type: 'strong' }] },
          ],
        },
        {
          type: 'orderedList',
          attrs: { order: 1 },
          content: ['first', 'second'].map((t) => ({
            type: 'listItem',
            content: [{ type: 'paragraph', content: [{ type: 'text', text: t }] }],
          })),
        },
      ],
    });
    await jira.call('POST', `/rest/servicedeskapi/request/${issueId}/comment`, { body: '_see_ {{log}}', public: true });
    const comments = body(await jira.call('GET', `/rest/api/3/issue/${issueId}/comment`)).comments;
    expect(comments[0].body.content[0].content).toEqual([
      { type: 'text', text: 'see', marks: [{ type: 'em' }] },
      { type: 'text', text: ' ' },
      { type: 'text', text: 'log', marks: [{ type: 'code' }] },
    ]);
  });

  it('refuses a request without a field its request type requires', async () => {
    const refused = await jira.call('POST', '/rest/servicedeskapi/request', {
      serviceDeskId: '1',
      requestTypeId: '2',
      requestFieldValues: { summary: 'No description' },
    });
    expect(refused.status).toBe(400);
    expect(body(refused)).toEqual({
      errorMessage: 'Description: You must specify a value for this field.',
      i18nErrorMessage: { i18nKey: 'sd.request.create.error.field', parameters: [] },
    });
  });

  it('serves reference data: priorities page by page, statuses, fields', async () => {
    const first = body(await jira.call('GET', '/rest/api/3/priority/search?maxResults=3'));
    expect(first).toMatchObject({ startAt: 0, maxResults: 3, total: 5, isLast: false });
    const second = body(await jira.call('GET', '/rest/api/3/priority/search?startAt=3&maxResults=3'));
    expect(second).toMatchObject({ startAt: 3, total: 5, isLast: true });
    expect([...first.values, ...second.values].map((p: Json) => p.name)).toEqual([
      'Highest',
      'High',
      'Medium',
      'Low',
      'Lowest',
    ]);
    // Deprecated in the platform spec: answered as removed, so nothing relies on it.
    expect((await jira.call('GET', '/rest/api/3/priority')).status).toBe(410);
    expect(body(await jira.call('GET', '/rest/api/3/status')).map((s: Json) => s.name)).toEqual([
      'Waiting for support',
      'In Progress',
      'Waiting for customer',
      'Resolved',
      'Closed',
    ]);
    expect(
      body(await jira.call('GET', '/rest/api/3/field')).find((f: Json) => f.name === 'Request Type'),
    ).toMatchObject({ id: 'customfield_10010', clauseNames: ['cf[10010]', 'Request Type'] });
  });
});

describe('admin webhooks', () => {
  it('delivers issue_created, issue_updated and comment_created signed with X-Hub-Signature and an identifier', async () => {
    const receiver = await startReceiver();
    try {
      const reg = await jira.call('POST', '/rest/webhooks/1.0/webhook', {
        name: 'tb',
        url: receiver.url,
        events: ['jira:issue_created', 'jira:issue_updated', 'comment_created'],
        filters: { 'issue-related-events-section': 'project = IT' },
        secret: 'shh',
      });
      expect(reg.status).toBe(201);
      expect(body(reg)).toMatchObject({
        name: 'tb',
        enabled: true,
        filters: { 'issue-related-events-section': 'project = IT' },
      });
      expect(body(reg)).not.toHaveProperty('secret');
      const id = await createIssue();
      await jira.call('PUT', `/rest/api/3/issue/${id}`, { fields: { summary: 'changed' } });
      await jira.call('POST', `/rest/api/3/issue/${id}/comment`, { body: adf('c') });
      await fetch(`${jira.url}/__sim/webhooks/flush`, { method: 'POST' });
      const events = receiver.received.map((r) => JSON.parse(r.raw) as Json);
      expect(events.map((e) => `${e.webhookEvent}/${e.issue_event_type_name ?? '-'}`)).toEqual([
        'jira:issue_created/issue_created',
        'jira:issue_updated/issue_updated',
        'comment_created/-',
        'jira:issue_updated/issue_commented',
      ]);
      expect(events[1]!.changelog.items[0]).toMatchObject({ field: 'summary', toString: 'changed' });
      for (const r of receiver.received) {
        expect(r.headers['x-hub-signature']).toBe(`sha256=${createHmac('sha256', 'shh').update(r.raw).digest('hex')}`);
        expect(r.headers['x-atlassian-webhook-identifier']).toMatch(/\S+/);
      }
      expect(new Set(receiver.received.map((r) => r.headers['x-atlassian-webhook-identifier'])).size).toBe(4);
    } finally {
      await receiver.close();
    }
  });

  it('filters deliveries by the registration JQL and refuses invalid JQL', async () => {
    const receiver = await startReceiver();
    try {
      expect(
        (
          await jira.call('POST', '/rest/webhooks/1.0/webhook', {
            name: 'x',
            url: receiver.url,
            events: ['jira:issue_created'],
            filters: { 'issue-related-events-section': 'project = NOPE' },
          })
        ).status,
      ).toBe(400);
      await jira.call('POST', '/rest/webhooks/1.0/webhook', {
        name: 'x',
        url: receiver.url,
        events: ['jira:issue_created'],
        filters: { 'issue-related-events-section': 'labels = vip' },
      });
      await createIssue('plain');
      await createIssue('vip', { labels: ['vip'] });
      await fetch(`${jira.url}/__sim/webhooks/flush`, { method: 'POST' });
      expect(receiver.received.map((r) => (JSON.parse(r.raw) as Json).issue.fields.summary)).toEqual(['vip']);
      expect(receiver.received[0]!.headers['x-hub-signature']).toBeUndefined();
    } finally {
      await receiver.close();
    }
  });
});

describe('rate limits (research note §3)', () => {
  const limits = (settings: unknown): Promise<Response> =>
    fetch(`${jira.url}/__sim/rate-limit`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(settings),
    });

  it('answers a burst over the endpoint limit with 429, Retry-After, X-RateLimit-* and RateLimit-Reason, and says when it is near', async () => {
    await limits({ burst: { limit: 5, windowMs: 1_000 } });
    const seen: Called[] = [];
    for (let i = 0; i < 6; i++) seen.push(await jira.call('GET', '/rest/api/3/myself'));
    expect(seen.slice(0, 5).map((r) => r.status)).toEqual([200, 200, 200, 200, 200]);
    expect(seen[3]!.headers.get('x-ratelimit-nearlimit')).toBeNull();
    expect(seen[4]!.headers.get('x-ratelimit-nearlimit')).toBe('true');
    const limited = seen[5]!;
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBe('1');
    expect(limited.headers.get('ratelimit-reason')).toBe('jira-burst-based');
    expect(limited.headers.get('x-ratelimit-limit')).toBe('5');
    expect(limited.headers.get('x-ratelimit-remaining')).toBe('0');
    expect(limited.headers.get('x-ratelimit-reset')).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}Z$/);
    // Another endpoint has its own window; the limited one recovers when its window passes.
    expect((await jira.call('GET', '/rest/api/3/field')).status).toBe(200);
    clock.advance(1_000);
    expect((await jira.call('GET', '/rest/api/3/myself')).status).toBe(200);
  });

  it('limits writes to one issue (jira-per-issue-on-write), not reads or other issues, and can leave Retry-After out', async () => {
    const [a, b] = [await createIssue('busy'), await createIssue('quiet')];
    await limits({ perIssueWrite: { limit: 1, windowMs: 1_000 }, omitRetryAfter: true });
    expect((await jira.call('PUT', `/rest/api/3/issue/${a}`, { fields: { summary: 'one' } })).status).toBe(204);
    const limited = await jira.call('PUT', `/rest/api/3/issue/${a}`, { fields: { summary: 'two' } });
    expect(limited.status).toBe(429);
    expect(limited.headers.get('ratelimit-reason')).toBe('jira-per-issue-on-write');
    expect(limited.headers.get('retry-after')).toBeNull();
    expect(limited.headers.get('x-ratelimit-reset')).not.toBeNull();
    expect((await jira.call('GET', `/rest/api/3/issue/${a}`)).status).toBe(200);
    expect((await jira.call('PUT', `/rest/api/3/issue/${b}`, { fields: { summary: 'other' } })).status).toBe(204);
  });
});

describe('text limits (JRACLOUD-68949; summary "less than 255 characters")', () => {
  const tooLong = 'The entered text is too long. It exceeds the allowed limit of 32,767 characters.';
  const longDoc = adf('x'.repeat(32_767)); // the text alone fits; the document does not

  it('refuses a summary of 255 characters or more, and rich text whose document is over 32,767 characters', async () => {
    const refused = await jira.call('POST', '/rest/api/3/issue', {
      fields: { project: { key: 'IT' }, issuetype: { name: 'Incident' }, summary: 's'.repeat(255) },
    });
    expect([refused.status, body(refused)]).toEqual([
      400,
      { errorMessages: [], errors: { summary: 'Summary must be less than 255 characters.' } },
    ]);
    const id = await createIssue('s'.repeat(254));
    const edit = await jira.call('PUT', `/rest/api/3/issue/${id}`, { fields: { description: longDoc } });
    expect([edit.status, body(edit)]).toEqual([400, { errorMessages: [], errors: { description: tooLong } }]);
    const comment = await jira.call('POST', `/rest/api/3/issue/${id}/comment`, { body: longDoc });
    expect([comment.status, body(comment)]).toEqual([400, { errorMessages: [], errors: { comment: tooLong } }]);
  });

  it('refuses over-long servicedeskapi request fields with the JSM error body', async () => {
    const refused = await jira.call('POST', '/rest/servicedeskapi/request', {
      serviceDeskId: '1',
      requestTypeId: '1',
      requestFieldValues: { summary: 'ok', description: 'd'.repeat(32_768) },
    });
    expect(refused.status).toBe(400);
    expect(body(refused).errorMessage).toBe(`description: ${tooLong}`);
  });
});
