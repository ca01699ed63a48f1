// Exact request shapes against a mocked Freshservice (strict nock): paging, deletions, writes,
// markers, comments, Retry-After, the budget slowdown and permanent validation errors.
import { describe, expect, it, vi } from 'vitest';
import { RemoteValidationError } from '../../core/errors.js';
import { SystemQueue } from '../../core/queue.js';
import { isInvalidTicket, type InvalidTicket, type Ticket } from '../../core/types.js';
import type { ScopeConfig } from '../../mapping/schema.js';
import { nock, useHttpMock } from '../../../test/helpers/http-mock.js';
import { testContext } from '../../../test/helpers/context.js';
import { freshserviceConnector, type FreshserviceConnector } from './index.js';

const BASE = 'https://acme.freshservice.com';
const AUTH = `Basic ${Buffer.from('fs-key:X').toString('base64')}`;

function connector(options: { scope?: ScopeConfig; markerField?: string; queue?: SystemQueue } = {}) {
  return freshserviceConnector.create(
    testContext(
      {
        kind: 'freshservice',
        baseUrl: BASE,
        credentials: { apiKey: 'fs-key' },
        options: {
          defaultRequesterEmail: 'rita@acme.example',
          ...(options.markerField ? { markerField: options.markerField } : {}),
        },
      },
      { scope: options.scope ?? {}, ...(options.queue ? { queue: options.queue } : {}) },
    ),
  );
}

const ticket = (id: number, extra: Record<string, unknown> = {}) => ({
  id,
  subject: `T${id}`,
  description: `<div>Body ${id}</div>`,
  description_text: `Body ${id}`,
  status: 2,
  priority: 1,
  urgency: 1,
  impact: 1,
  type: 'Incident',
  category: null,
  sub_category: null,
  group_id: 11,
  responder_id: null,
  requester_id: 99,
  workspace_id: 2,
  custom_fields: {},
  due_by: '2024-01-05T00:00:00Z',
  created_at: '2024-01-01T00:00:00Z',
  updated_at: '2024-01-02T10:00:00Z',
  deleted: false,
  spam: false,
  tags: [],
  requester: { id: 99, email: 'rita@acme.example', name: 'Rita' },
  ...extra,
});

const LIST = { updated_since: '2024-01-02T10:00:00Z', per_page: '100', order_type: 'asc', include: 'requester' };

async function collect(iterable: AsyncIterable<Ticket | InvalidTicket>): Promise<(Ticket | InvalidTicket)[]> {
  const out: (Ticket | InvalidTicket)[] = [];
  for await (const t of iterable) out.push(t);
  return out;
}

describe('Freshservice connector over HTTP', () => {
  useHttpMock();

  it('lists changes with updated_since, per_page=100, include=requester and Link paging, and no trash or spam lists', async () => {
    const api = nock(BASE, { reqheaders: { authorization: AUTH } });
    api
      .get('/api/v2/tickets')
      .query(LIST)
      .reply(
        200,
        { tickets: [ticket(1), ticket(2, { group_id: 12 })] },
        { Link: `<${BASE}/api/v2/tickets?${new URLSearchParams(LIST).toString()}&page=2>; rel="next"` },
      );
    api
      .get('/api/v2/tickets')
      .query({ ...LIST, page: '2' })
      .reply(200, { tickets: [ticket(1), ticket(3), { id: 4, subject: 'broken' }] });

    const items = await collect(
      connector({ scope: { groups: [11] } }).listChanged({ since: new Date('2024-01-02T10:00:00.700Z') }),
    );

    const valid = items.filter((i): i is Ticket => !isInvalidTicket(i));
    expect(valid.map((t) => [t.id, t.inScope, t.deleted ?? false])).toEqual([
      ['1', true, false],
      ['3', true, false],
    ]);
    expect(items.filter(isInvalidTicket)).toEqual([
      { id: '4', invalid: 'status: Invalid input: expected number, received undefined' },
    ]);
    expect(valid[0]).toMatchObject({
      version: '2024-01-02T10:00:00Z',
      key: '#INC-1',
      url: `${BASE}/a/tickets/1`,
      fields: { description: 'Body 1', email: 'rita@acme.example' },
      closed: false,
      createdAt: '2024-01-01T00:00:00Z',
    });
  });

  it('always sends updated_since, so a first poll is not cut to the last 30 days', async () => {
    nock(BASE)
      .get('/api/v2/tickets')
      .query({ ...LIST, updated_since: '1970-01-01T00:00:00Z' })
      .reply(200, { tickets: [] });
    expect(await collect(connector().listChanged({ since: null }))).toEqual([]);
  });

  it('resolves scope group names through /groups', async () => {
    nock(BASE)
      .get('/api/v2/groups')
      .query({ per_page: '100' })
      .reply(200, { groups: [{ id: 12, name: 'Network Team' }] });
    nock(BASE)
      .get('/api/v2/tickets/1')
      .query({ include: 'requester' })
      .reply(200, { ticket: ticket(1, { group_id: 12 }) });
    expect((await connector({ scope: { groups: ['network team'] } }).getTicket('1')).inScope).toBe(true);
  });

  it('creates with the default requester, the marker tag and custom fields by their account names', async () => {
    nock(BASE)
      .get('/api/v2/ticket_form_fields')
      .reply(200, {
        ticket_fields: [
          { name: 'custom_text', field_type: 'custom_text', default_field: false },
          { name: 'cf_ticketbridge', field_type: 'custom_text', default_field: false },
        ],
      });
    nock(BASE)
      .post('/api/v2/tickets', {
        subject: 'New',
        description: '<p>Line one<br>Line two</p>',
        priority: 3,
        custom_fields: { custom_text: 'hello', cf_ticketbridge: 'tb:demo:9' },
        email: 'rita@acme.example',
        tags: ['vpn', 'tb-demo.9'],
        status: 2,
      })
      .reply(
        201,
        {
          ticket: ticket(9, {
            tags: ['vpn', 'tb-demo.9'],
            custom_fields: { custom_text: 'hello', cf_ticketbridge: 'tb:demo:9' },
            requester: undefined,
          }),
        },
        { Location: `${BASE}/api/v2/tickets/9` },
      );
    nock(BASE)
      .get('/api/v2/requesters/99')
      .reply(200, { requester: { id: 99, primary_email: 'rita@acme.example' } });

    const created = await connector({ markerField: 'cf_ticketbridge' }).createTicket(
      { subject: 'New', description: 'Line one\nLine two', priority: 3, cf_custom_text: 'hello', tags: ['vpn'] },
      'tb:demo:9',
    );

    expect(created.marker).toBe('tb:demo:9');
    expect(created.fields).toMatchObject({ tags: ['vpn'], cf_custom_text: 'hello', email: 'rita@acme.example' });
    expect(created.fields).not.toHaveProperty('cf_ticketbridge');
  });

  it('takes the 201 for the new ticket: no read after the create when the answer carries what it set', async () => {
    nock(BASE).get('/api/v2/ticket_form_fields').reply(200, { ticket_fields: [] });
    nock(BASE)
      .post('/api/v2/tickets')
      .reply(201, { ticket: ticket(9, { urgency: 3, tags: ['tb-demo.9'], requester: undefined }) });
    nock(BASE)
      .get('/api/v2/requesters/99')
      .reply(200, { requester: { id: 99, primary_email: 'rita@acme.example' } });
    const created = await connector().createTicket({ subject: 'New', urgency: 3 }, 'tb:demo:9');
    expect(created.fields).toMatchObject({ urgency: 3, email: 'rita@acme.example' });
  });

  it("reads the new ticket once, with its requester, when the 201 lacks a field the create set (the reference's example has no urgency or impact)", async () => {
    nock(BASE).get('/api/v2/ticket_form_fields').reply(200, { ticket_fields: [] });
    nock(BASE)
      .post('/api/v2/tickets')
      .reply(201, {
        ticket: ticket(9, { urgency: undefined, impact: undefined, tags: ['tb-demo.9'], requester: undefined }),
      });
    nock(BASE)
      .get('/api/v2/tickets/9')
      .query({ include: 'requester' })
      .reply(200, { ticket: ticket(9, { urgency: 3, impact: 2, tags: ['tb-demo.9'] }) });
    const created = await connector().createTicket({ subject: 'New', urgency: 3, impact: 2 }, 'tb:demo:9');
    expect(created.fields).toMatchObject({ urgency: 3, impact: 2, email: 'rita@acme.example' });
  });

  it("reads the ticket once, with its requester, when the PUT's answer lacks a field it wrote (the reference's example has no urgency or impact)", async () => {
    nock(BASE)
      .put('/api/v2/tickets/7', { urgency: 3 })
      .reply(200, { ticket: ticket(7, { urgency: undefined, impact: undefined, requester: undefined }) });
    nock(BASE)
      .get('/api/v2/tickets/7')
      .query({ include: 'requester' })
      .reply(200, { ticket: ticket(7, { urgency: 3, impact: 2 }) });
    const updated = await connector().updateTicket('7', { urgency: 3 });
    expect(updated.fields).toMatchObject({ urgency: 3, impact: 2 });
  });

  it('keeps the fields the PUT did not write as the pass read them when its answer leaves them out', async () => {
    nock(BASE)
      .put('/api/v2/tickets/7', { priority: 4 })
      .reply(200, { ticket: ticket(7, { priority: 4, urgency: undefined, impact: undefined }) });
    const expected: Ticket = {
      id: '7',
      version: '2024-01-02T10:00:00Z',
      fields: { priority: 2, urgency: 3, impact: 1, subject: 'T7' },
      marker: 'tb:demo:1',
      inScope: true,
    };
    const updated = await connector().updateTicket('7', { priority: 4 }, { expected });
    expect(updated.fields).toMatchObject({ priority: 4, urgency: 3, impact: 1 });
  });

  it('updates with a partial PUT that never carries tags unless they changed', async () => {
    nock(BASE)
      .put('/api/v2/tickets/7', { priority: 4 })
      .reply(200, { ticket: ticket(7, { priority: 4 }) });
    const updated = await connector().updateTicket('7', { priority: 4 });
    expect(updated.fields.priority).toBe(4);
  });

  it('keeps the marker tag when the mapped tags change', async () => {
    nock(BASE)
      .get('/api/v2/tickets/7')
      .reply(200, { ticket: ticket(7, { tags: ['old', 'tb-demo.1'] }) });
    nock(BASE)
      .put('/api/v2/tickets/7', { tags: ['new', 'tb-demo.1'] })
      .reply(200, { ticket: ticket(7, { tags: ['new', 'tb-demo.1'] }) });
    const updated = await connector().updateTicket('7', { tags: ['new'] });
    expect(updated.fields.tags).toEqual(['new']);
    expect(updated.marker).toBe('tb:demo:1');
  });

  it('surfaces 400 invalid_field as a permanent RemoteValidationError naming the field, without retrying', async () => {
    nock(BASE)
      .put('/api/v2/tickets/7', { shoe_size: 9 })
      .once()
      .reply(400, {
        description: 'Validation failed',
        errors: [{ field: 'shoe_size', message: 'Unexpected/invalid field in request', code: 'invalid_field' }],
      });
    const err = await connector()
      .updateTicket('7', { shoe_size: 9 })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RemoteValidationError);
    expect((err as RemoteValidationError).field).toBe('shoe_size');
    expect((err as RemoteValidationError).message).toContain(
      'shoe_size: Unexpected/invalid field in request (invalid_field)',
    );
  });

  it('waits out Retry-After on 429 by pausing the queue, then succeeds', async () => {
    const queue = new SystemQueue({ system: 'freshservice' });
    nock(BASE).get('/api/v2/tickets/5').query(true).reply(429, { message: 'slow down' }, { 'Retry-After': '1' });
    nock(BASE)
      .get('/api/v2/tickets/5')
      .query(true)
      .reply(200, { ticket: ticket(5) });
    const started = Date.now();
    const t = await connector({ queue }).getTicket('5');
    expect(t.id).toBe('5');
    expect(Date.now() - started).toBeGreaterThanOrEqual(950);
    expect(queue.stats().rateLimitedLastMinute).toBe(1);
  });

  it('keeps requests flowing when X-Ratelimit-Remaining runs low: no pause, the bucket holds no more than is left', async () => {
    const queue = new SystemQueue({ system: 'freshservice', intervalCap: 100 });
    const pause = vi.spyOn(queue, 'pauseFor');
    nock(BASE)
      .get('/api/v2/tickets/5')
      .query(true)
      .reply(200, { ticket: ticket(5) }, { 'X-Ratelimit-Total': '100', 'X-Ratelimit-Remaining': '50' });
    nock(BASE)
      .get('/api/v2/tickets/6')
      .query(true)
      .reply(200, { ticket: ticket(6) }, { 'X-Ratelimit-Total': '100', 'X-Ratelimit-Remaining': '0' });
    const c = connector({ queue });
    await c.getTicket('5');
    await c.getTicket('6');
    expect(pause).not.toHaveBeenCalled();
    expect(queue.stats().budget!.tokens).toBeLessThanOrEqual(0);
    queue.stop();
  });

  it('finds a ticket by marker through a filter query on the tag', async () => {
    nock(BASE)
      .get('/api/v2/tickets/filter')
      .query({ query: `"tag:'tb-demo.9'"`, page: '1' })
      .reply(200, { tickets: [ticket(9)], total: 1 });
    nock(BASE)
      .get('/api/v2/tickets/9')
      .query({ include: 'requester' })
      .reply(200, { ticket: ticket(9, { tags: ['tb-demo.9'] }) });
    nock(BASE)
      .get('/api/v2/tickets/filter')
      .query({ query: `"tag:'tb-demo.10'"`, page: '1' })
      .reply(200, { tickets: [], total: 0 });
    const c = connector();
    expect((await c.findByMarker('tb:demo:9'))?.id).toBe('9');
    expect(await c.findByMarker('tb:demo:10')).toBeNull();
  });

  it('reads every page of conversations and maps private to internal, stripping the marker footer', async () => {
    const conv = (id: number, extra: Record<string, unknown> = {}) => ({
      id,
      body: `<div>c${id}</div>`,
      private: false,
      incoming: false,
      user_id: 5,
      created_at: '2024-01-01T00:00:00Z',
      ...extra,
    });
    const first = Array.from({ length: 100 }, (_, i) => conv(i + 1));
    nock(BASE)
      .get('/api/v2/tickets/7/conversations')
      .query({ page: '1', per_page: '100' })
      .reply(
        200,
        { conversations: first },
        { Link: `<${BASE}/api/v2/tickets/7/conversations?page=2&per_page=100>; rel="next"` },
      );
    nock(BASE)
      .get('/api/v2/tickets/7/conversations')
      .query({ page: '2', per_page: '100' })
      .reply(200, {
        conversations: [
          conv(101, { private: true, body: '<p>Ada wrote:<br>hi</p><p>\u2014 ticketbridge [tb:demo:1:a5]</p>' }),
        ],
      });
    // The author is named once, from the agents (then the requesters) endpoint, and remembered.
    nock(BASE)
      .get('/api/v2/agents/5')
      .once()
      .reply(200, { agent: { id: 5, first_name: 'Jo', last_name: 'Agent', email: 'jo@acme.example' } });
    const comments = await connector().listComments('7');
    expect(comments).toHaveLength(101);
    expect(comments[100]).toEqual({
      id: '101',
      body: 'Ada wrote:\nhi',
      visibility: 'internal',
      author: 'Jo Agent',
      createdAt: '2024-01-01T00:00:00Z',
      marker: 'tb:demo:1:a5',
    });
  });

  it('adds comments as notes, private only for internal ones, never as replies', async () => {
    nock(BASE)
      .post('/api/v2/tickets/7/notes', {
        body: '<p>Ada (JSM) wrote:<br>Visible</p><p>\u2014 ticketbridge [tb:demo:1:b2]</p>',
        private: false,
      })
      .reply(201, {
        conversation: {
          id: 55,
          body: '<div><p>Ada (JSM) wrote:<br>Visible</p><p>\u2014 ticketbridge [tb:demo:1:b2]</p></div>',
          private: false,
          incoming: false,
          user_id: 1,
          created_at: '2024-01-01T00:00:00Z',
        },
      });
    const c = await connector().addComment('7', {
      body: 'Visible',
      visibility: 'public',
      author: 'Ada',
      origin: 'JSM',
      marker: 'tb:demo:1:b2',
    });
    expect(c).toMatchObject({
      id: '55',
      body: 'Ada (JSM) wrote:\nVisible',
      visibility: 'public',
      marker: 'tb:demo:1:b2',
    });
  });

  it('describes statuses with the custom ones, priorities, groups, categories and agents', async () => {
    nock(BASE)
      .get('/api/v2/ticket_form_fields')
      .reply(200, {
        ticket_fields: [
          {
            name: 'status',
            field_type: 'default_status',
            default_field: true,
            choices: [
              { id: 2, value: 'Open' },
              { id: 5, value: 'Closed' },
              { id: 9, value: 'Waiting on Third Party' },
            ],
          },
          {
            name: 'priority',
            field_type: 'default_priority',
            default_field: true,
            choices: [
              { id: 1, value: 'Low' },
              { id: 4, value: 'Urgent' },
            ],
          },
          {
            name: 'category',
            field_type: 'default_category',
            default_field: true,
            choices: [{ id: 1, value: 'Hardware', nested_options: [{ id: 2, value: 'Printer' }] }],
          },
          { name: 'site', field_type: 'custom_dropdown', default_field: false, choices: [{ id: 3, value: 'HQ' }] },
        ],
      });
    nock(BASE)
      .get('/api/v2/groups')
      .query({ per_page: '100' })
      .reply(200, { groups: [{ id: 11, name: 'Service Desk' }] });
    nock(BASE)
      .get('/api/v2/agents')
      .query({ per_page: '100' })
      .reply(200, { agents: [{ id: 21, first_name: 'Ana', last_name: 'Lopez', email: 'ana@example.com' }] });
    const catalog = await connector().describe();
    const by = (name: string) => catalog.fields.find((f) => f.name === name);
    expect(by('status')?.allowedValues).toEqual([2, 5, 9]);
    expect(by('status')?.note).toContain('9 Waiting on Third Party');
    expect(by('status')?.valueLabels).toEqual({ '2': 'Open', '5': 'Closed', '9': 'Waiting on Third Party' });
    expect(by('priority')?.allowedValues).toEqual([1, 4]);
    expect(by('priority')?.valueLabels).toEqual({ '1': 'Low', '4': 'Urgent' });
    expect(by('group_id')?.allowedValues).toEqual([11]);
    expect(by('group_id')?.valueLabels).toEqual({ '11': 'Service Desk' });
    expect(by('category')?.allowedValues).toEqual(['Hardware']);
    expect(by('sub_category')?.allowedValuesByScope).toEqual({ Hardware: ['Printer'] });
    expect(by('cf_site')).toMatchObject({ type: 'enum', allowedValues: ['HQ'], writable: true });
    expect(catalog.agents).toEqual([{ id: '21', name: 'Ana Lopez', email: 'ana@example.com' }]);
  });

  it('closes by setting status 5', async () => {
    nock(BASE)
      .put('/api/v2/tickets/7', { status: 5 })
      .reply(200, { ticket: ticket(7, { status: 5 }) });
    expect((await connector().closeTicket('7')).fields.status).toBe(5);
  });
});

describe('Freshservice connector: ticket references', () => {
  useHttpMock();

  it.each([
    ['INC-12', '12'],
    ['#INC-12', '12'],
    ['sr-7', '7'],
    ['#12', '12'],
    ['12', '12'],
    ['IT-12', null],
    ['INC-', null],
  ])('reads %j as ticket %j without asking Freshservice', async (reference, id) => {
    expect(await connector().resolveTicketRef!(reference)).toBe(id);
  });
});

describe('Freshservice connector: requests per write (contract: updateTicket with the expected ticket)', () => {
  useHttpMock();

  it('replaces the tags with one PUT, keeping the marker tag the expected ticket names instead of reading it', async () => {
    nock(BASE)
      .put('/api/v2/tickets/7', { tags: ['new', 'tb-demo.1'] })
      .reply(200, { ticket: ticket(7, { tags: ['new', 'tb-demo.1'] }) });
    const c = connector() as FreshserviceConnector;
    const expected: Ticket = {
      id: '7',
      version: '2024-01-02T10:00:00Z',
      fields: {},
      marker: 'tb:demo:1',
      inScope: true,
    };
    const updated = await c.updateTicket('7', { tags: ['new'] }, { expected });
    // Before the expected ticket: GET the ticket for its marker tag, then the PUT = 2 requests.
    expect(updated.fields.tags).toEqual(['new']);
    expect(updated.marker).toBe('tb:demo:1');
  });

  it('writes a one-field change with one PUT of that field alone, the held ticket (and its version) from the answer', async () => {
    const requests: string[] = [];
    nock(BASE)
      .matchHeader('authorization', AUTH)
      .put('/api/v2/tickets/7', (body: Record<string, unknown>) => JSON.stringify(body) === '{"status":3}')
      .reply(200, (uri) => {
        requests.push(`PUT ${uri}`);
        return { ticket: ticket(7, { status: 3, updated_at: '2024-01-02T10:05:00Z' }) };
      });
    const c = connector() as FreshserviceConnector;
    const expected: Ticket = {
      id: '7',
      version: '2024-01-02T10:00:00Z',
      fields: { status: 2, subject: 'T7' },
      marker: 'tb:demo:1',
      inScope: true,
    };
    const held = await c.updateTicket('7', { status: 3 }, { expected });
    expect(held.fields.status).toBe(3);
    expect(Date.parse(held.version)).toBe(Date.parse('2024-01-02T10:05:00Z'));
    expect(requests).toEqual(['PUT /api/v2/tickets/7']);
  });
});
