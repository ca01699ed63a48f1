// Behaviour of the Freshservice simulator over real HTTP, each test written from the vendor's
// documented behaviour (research note freshservice.md, sections named in the test names' comments).
/* eslint-disable @typescript-eslint/no-explicit-any -- responses are vendor JSON, checked field by field by the assertions */
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../../test/helpers/manual-clock.js';
import { startSim, type SimFixture } from './test-client.js';

let sim: SimFixture;
// The account's time moves only when a test advances it: rate-limit windows pass without sleeping.
const clock = new ManualClock();

beforeAll(async () => {
  sim = await startSim(100_000, { clock });
});
afterAll(async () => {
  await sim.handle.stop();
});
beforeEach(async () => {
  await sim.control('POST', '/__sim/reset');
});

const newTicket = (extra: Record<string, unknown> = {}): Record<string, unknown> => ({
  email: 'rita@demo.example',
  subject: 'VPN down',
  description: 'Cannot connect',
  status: 2,
  priority: 2,
  ...extra,
});

async function create(extra: Record<string, unknown> = {}): Promise<Record<string, any>> {
  const res = await sim.api('POST', '/api/v2/tickets', newTicket(extra));
  expect(res.status).toBe(201);
  return res.body.ticket;
}

describe('authentication (§1)', () => {
  it('accepts the API key as the Basic user with any password', async () => {
    const res = await sim.api('GET', '/api/v2/tickets', undefined, {
      authorization: `Basic ${Buffer.from('sim-test-key:anything').toString('base64')}`,
    });
    expect(res.status).toBe(200);
  });

  it.each([
    ['no Authorization header', undefined],
    ['a wrong key', `Basic ${Buffer.from('wrong:X').toString('base64')}`],
    ['a bearer token', 'Bearer sim-test-key'],
  ])('answers 401 invalid_credentials for %s', async (_name, header) => {
    const res = await fetch(`${sim.handle.url}/api/v2/tickets`, {
      headers: header === undefined ? {} : { authorization: header },
    });
    expect(res.status).toBe(401);
    expect(((await res.json()) as { code: string }).code).toBe('invalid_credentials');
  });
});

describe('creating tickets (§5.1)', () => {
  it('answers 201 with a Location header and the ticket, wrapping plain text in a div and deriving description_text', async () => {
    const res = await sim.api('POST', '/api/v2/tickets', newTicket({ description: 'Printer jammed' }));
    expect(res.status).toBe(201);
    const t = res.body.ticket;
    expect(res.headers.get('location')).toBe(`${sim.handle.url}/api/v2/tickets/${t.id}`);
    expect(t.description).toBe('<div>Printer jammed</div>');
    expect(t.description_text).toBe('Printer jammed');
    expect(t.source).toBe(2);
    expect(t.type).toBe('Incident');
    expect(t.created_at).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/);
    expect(t.updated_at).toBe(t.created_at);
    expect(t.tags).toEqual([]);
  });

  it('strips scripts from HTML descriptions and derives the text without markup', async () => {
    const t = await create({ description: '<p>Hello <b>team</b></p><script>alert(1)</script>' });
    expect(t.description).not.toContain('script');
    expect(t.description_text).toBe('Hello team');
  });

  it('refuses a ticket without requester_id, email or phone with the vendor error body', async () => {
    const res = await sim.api('POST', '/api/v2/tickets', { subject: 'x', description: 'y', status: 2, priority: 1 });
    expect(res.status).toBe(400);
    expect(res.body).toEqual({
      description: 'Validation failed',
      errors: [{ field: 'requester_id', message: expect.any(String), code: 'missing_field' }],
    });
  });

  it('requires a name with a phone-only requester', async () => {
    const res = await sim.api('POST', '/api/v2/tickets', {
      phone: '+1 555 0100',
      subject: 'x',
      description: 'y',
      status: 2,
      priority: 1,
    });
    expect(res.status).toBe(400);
    expect(res.body.errors[0].field).toBe('name');
    const ok = await sim.api('POST', '/api/v2/tickets', {
      phone: '+1 555 0100',
      name: 'Pat Phone',
      subject: 'x',
      description: 'y',
      status: 2,
      priority: 1,
    });
    expect(ok.status).toBe(201);
  });

  it('creates a requester for an unknown e-mail', async () => {
    const t = await create({ email: 'new.person@demo.example' });
    const res = await sim.api('GET', `/api/v2/tickets/${t.id}?include=requester`);
    expect(res.body.ticket.requester.email).toBe('new.person@demo.example');
    const lookup = await sim.api('GET', '/api/v2/requesters?email=new.person@demo.example');
    expect(lookup.body.requesters).toHaveLength(1);
  });

  it('rejects an unknown attribute with invalid_field and a status outside the choices with invalid_value', async () => {
    const unknown = await sim.api('POST', '/api/v2/tickets', newTicket({ colour: 'red' }));
    expect(unknown.status).toBe(400);
    expect(unknown.body.errors).toEqual([
      { field: 'colour', message: 'Unexpected/invalid field in request', code: 'invalid_field' },
    ]);
    const badStatus = await sim.api('POST', '/api/v2/tickets', newTicket({ status: 42 }));
    expect(badStatus.body.errors[0]).toMatchObject({ field: 'status', code: 'invalid_value' });
  });
});

describe('updating tickets (§5.2)', () => {
  it('changes only the given attributes and moves updated_at', async () => {
    const t = await create({ tags: ['a', 'b'], group_id: 21000188391 });
    const res = await sim.api('PUT', `/api/v2/tickets/${t.id}`, { priority: 4 });
    expect(res.status).toBe(200);
    const u = res.body.ticket;
    expect(u.priority).toBe(4);
    expect(u.subject).toBe(t.subject);
    expect(u.group_id).toBe(21000188391);
    expect(u.tags).toEqual(['a', 'b']);
    expect(Date.parse(u.updated_at)).toBeGreaterThan(Date.parse(t.updated_at));
  });

  it('replaces the whole tag list', async () => {
    const t = await create({ tags: ['a', 'b'] });
    const u = (await sim.api('PUT', `/api/v2/tickets/${t.id}`, { tags: ['c'] })).body.ticket;
    expect(u.tags).toEqual(['c']);
  });

  it('answers 400 invalid_field naming an unknown attribute, and changes nothing', async () => {
    const t = await create();
    const res = await sim.api('PUT', `/api/v2/tickets/${t.id}`, { priority: 3, shoe_size: 9 });
    expect(res.status).toBe(400);
    expect(res.body).toEqual({
      description: 'Validation failed',
      errors: [{ field: 'shoe_size', message: 'Unexpected/invalid field in request', code: 'invalid_field' }],
    });
    expect((await sim.api('GET', `/api/v2/tickets/${t.id}`)).body.ticket.priority).toBe(2);
  });

  it('names an unknown custom field', async () => {
    const t = await create();
    const res = await sim.api('PUT', `/api/v2/tickets/${t.id}`, { custom_fields: { cf_nope: 'x' } });
    expect(res.body.errors[0]).toEqual({
      field: 'cf_nope',
      message: 'Unexpected/invalid field in request',
      code: 'invalid_field',
    });
  });

  it('refuses workspace changes outside move_workspace', async () => {
    const t = await create();
    const res = await sim.api('PUT', `/api/v2/tickets/${t.id}`, { workspace_id: 3 });
    expect(res.status).toBe(400);
    expect(res.body.errors[0].field).toBe('workspace_id');
  });

  it('blocks closing while a required-for-closure field is empty', async () => {
    await sim.control('POST', '/__sim/seed', {
      customFields: [
        { id: 1, name: 'cf_root_cause', label: 'Root cause', field_type: 'custom_text', required_for_closure: true },
      ],
    });
    const t = await create();
    const blocked = await sim.api('PUT', `/api/v2/tickets/${t.id}`, { status: 5 });
    expect(blocked.body.errors[0]).toMatchObject({ field: 'cf_root_cause', code: 'missing_field' });
    const ok = await sim.api('PUT', `/api/v2/tickets/${t.id}`, {
      status: 5,
      custom_fields: { cf_root_cause: 'cable' },
    });
    expect(ok.body.ticket.status).toBe(5);
  });

  it('answers 405 to a PUT on the collection', async () => {
    const res = await sim.api('PUT', '/api/v2/tickets', { priority: 1 });
    expect(res.status).toBe(405);
  });
});

describe('listing tickets (§4.1)', () => {
  it('returns only tickets created in the last 30 days without updated_since', async () => {
    const old = new Date(Date.now() - 40 * 86_400_000).toISOString();
    await sim.control('POST', '/__sim/seed', {
      tickets: [{ subject: 'old', created_at: old, updated_at: new Date().toISOString() }],
    });
    const fresh = await create();
    const withoutSince = (await sim.api('GET', '/api/v2/tickets')).body.tickets.map((t: { id: number }) => t.id);
    expect(withoutSince).toEqual([fresh.id]);
    const withSince = (await sim.api('GET', '/api/v2/tickets?updated_since=2000-01-01')).body.tickets;
    expect(withSince).toHaveLength(2);
  });

  it('filters by updated_since inclusively', async () => {
    await sim.control('POST', '/__sim/seed', {
      tickets: [
        { subject: 'a', created_at: '2024-01-01T10:00:00Z', updated_at: '2024-01-02T10:00:00Z' },
        { subject: 'b', created_at: '2024-01-01T10:00:00Z', updated_at: '2024-01-03T10:00:00Z' },
      ],
    });
    const res = await sim.api('GET', '/api/v2/tickets?updated_since=2024-01-02T10:00:00Z');
    expect(res.body.tickets.map((t: { subject: string }) => t.subject).sort()).toEqual(['a', 'b']);
    const later = await sim.api('GET', '/api/v2/tickets?updated_since=2024-01-02T10:00:01Z');
    expect(later.body.tickets.map((t: { subject: string }) => t.subject)).toEqual(['b']);
  });

  it.each(['0', '101', 'ten'])('answers 400 for per_page=%s', async (perPage) => {
    const res = await sim.api('GET', `/api/v2/tickets?per_page=${perPage}`);
    expect(res.status).toBe(400);
    expect(res.body.errors[0].field).toBe('per_page');
  });

  it('pages with a Link rel="next" header that is absent on the last page', async () => {
    await sim.control('POST', '/__sim/seed', { generate: { count: 5 } });
    const first = await sim.api('GET', '/api/v2/tickets?per_page=2&order_type=asc');
    expect(first.body.tickets.map((t: { id: number }) => t.id)).toEqual([1, 2]);
    const link = first.headers.get('link');
    expect(link).toMatch(
      /^<http:\/\/127\.0\.0\.1:\d+\/api\/v2\/tickets\?per_page=2&order_type=asc&page=2>; rel="next"$/,
    );
    const next = /<([^>]+)>/.exec(link!)![1]!;
    const second = await sim.api('GET', next.replace(sim.handle.url, ''));
    expect(second.body.tickets.map((t: { id: number }) => t.id)).toEqual([3, 4]);
    const last = await sim.api('GET', '/api/v2/tickets?per_page=2&order_type=asc&page=3');
    expect(last.body.tickets.map((t: { id: number }) => t.id)).toEqual([5]);
    expect(last.headers.get('link')).toBeNull();
  });

  it('orders newest first by default and oldest first with order_type=asc', async () => {
    await sim.control('POST', '/__sim/seed', { generate: { count: 3 } });
    expect((await sim.api('GET', '/api/v2/tickets')).body.tickets.map((t: { id: number }) => t.id)).toEqual([3, 2, 1]);
    expect(
      (await sim.api('GET', '/api/v2/tickets?order_type=asc')).body.tickets.map((t: { id: number }) => t.id),
    ).toEqual([1, 2, 3]);
    expect((await sim.api('GET', '/api/v2/tickets?order_type=sideways')).status).toBe(400);
  });

  it('adds stats and requester only when included, refuses undocumented includes such as tags, and lists tags with the ticket', async () => {
    const t = await create({ tags: ['vpn'] });
    const plain = (await sim.api('GET', '/api/v2/tickets')).body.tickets[0];
    expect(plain.tags).toEqual(['vpn']);
    expect(plain.requester).toBeUndefined();
    const rich = await sim.api('GET', '/api/v2/tickets?include=stats,requester');
    expect(rich.headers.get('x-ratelimit-used-currentrequest')).toBe('5');
    expect(rich.body.tickets[0].id).toBe(t.id);
    expect(rich.body.tickets[0].requester).toMatchObject({ email: 'rita@demo.example' });
    expect(rich.body.tickets[0].stats).toEqual({ closed_at: null, resolved_at: null, first_responded_at: null });
    for (const include of ['tags', 'everything']) {
      const refused = await sim.api('GET', `/api/v2/tickets?include=${include}`);
      expect(refused.status).toBe(400);
      expect(refused.body.errors[0]).toMatchObject({ field: 'include', code: 'invalid_value' });
      expect((await sim.api('GET', `/api/v2/tickets/${t.id}?include=${include}`)).status).toBe(400);
    }
  });

  it('shows tags only on create and update responses when the tagsInTickets switch is off', async () => {
    const t = await create({ tags: ['vpn'] });
    expect(t.tags).toEqual(['vpn']);
    await sim.control('PUT', '/__sim/behaviour', { tagsInTickets: false });
    expect((await sim.api('GET', '/api/v2/tickets')).body.tickets[0].tags).toBeUndefined();
    expect((await sim.api('GET', `/api/v2/tickets/${t.id}`)).body.ticket.tags).toBeUndefined();
    expect((await sim.api('PUT', `/api/v2/tickets/${t.id}`, { priority: 3 })).body.ticket.tags).toEqual(['vpn']);
  });

  it("leaves urgency, impact and deleted out of a create's 201, as the reference's example does, unless createAnswerComplete", async () => {
    const t = await create({ urgency: 2 });
    expect(Object.keys(t)).not.toContain('urgency');
    expect(Object.keys(t)).not.toContain('impact');
    expect(Object.keys(t)).not.toContain('deleted');
    expect((await sim.api('GET', `/api/v2/tickets/${t.id}`)).body.ticket).toMatchObject({ urgency: 2, deleted: false });
    await sim.control('PUT', '/__sim/behaviour', { createAnswerComplete: true });
    expect(await create({ urgency: 2 })).toMatchObject({ urgency: 2, impact: expect.any(Number), deleted: false });
  });

  it("leaves urgency, impact and deleted out of an update's answer, as the reference's example does, unless updateAnswerComplete", async () => {
    const t = await create({ urgency: 2 });
    const put = (await sim.api('PUT', `/api/v2/tickets/${t.id}`, { urgency: 3 })).body.ticket;
    expect(Object.keys(put)).not.toContain('urgency');
    expect(Object.keys(put)).not.toContain('impact');
    expect(Object.keys(put)).not.toContain('deleted');
    expect((await sim.api('GET', `/api/v2/tickets/${t.id}`)).body.ticket).toMatchObject({ urgency: 3, deleted: false });
    await sim.control('PUT', '/__sim/behaviour', { updateAnswerComplete: true });
    expect((await sim.api('PUT', `/api/v2/tickets/${t.id}`, { urgency: 1 })).body.ticket).toMatchObject({
      urgency: 1,
      impact: expect.any(Number),
      deleted: false,
    });
  });

  it('refuses filter together with updated_since, an undocumented combination', async () => {
    const res = await sim.api('GET', '/api/v2/tickets?filter=deleted&updated_since=2020-01-01T00:00:00Z');
    expect(res.status).toBe(400);
    expect(res.body.errors[0]).toMatchObject({ field: 'filter', code: 'incompatible_field' });
  });

  it('marks tickets spam or trashed as an agent does, and purges them for good (404 afterwards)', async () => {
    const t = await create();
    await sim.control('PUT', `/__sim/tickets/${t.id}`, { spam: true });
    expect((await sim.api('GET', `/api/v2/tickets/${t.id}`)).body.ticket.spam).toBe(true);
    expect((await sim.api('GET', '/api/v2/tickets?filter=spam')).body.tickets.map((x: { id: number }) => x.id)).toEqual(
      [t.id],
    );
    await fetch(`${sim.handle.url}/__sim/tickets/${t.id}`, { method: 'DELETE' });
    expect((await sim.api('GET', `/api/v2/tickets/${t.id}`)).status).toBe(404);
  });

  it('moves a deleted ticket to the trash list and back on restore', async () => {
    const t = await create();
    expect((await sim.api('DELETE', `/api/v2/tickets/${t.id}`)).status).toBe(204);
    expect((await sim.api('GET', '/api/v2/tickets')).body.tickets).toEqual([]);
    const trash = (await sim.api('GET', '/api/v2/tickets?filter=deleted')).body.tickets;
    expect(trash.map((x: { id: number; deleted: boolean }) => [x.id, x.deleted])).toEqual([[t.id, true]]);
    const viewed = (await sim.api('GET', `/api/v2/tickets/${t.id}`)).body.ticket;
    expect(viewed.deleted).toBe(true);
    expect((await sim.api('PUT', `/api/v2/tickets/${t.id}/restore`)).status).toBe(204);
    expect((await sim.api('GET', '/api/v2/tickets?filter=deleted')).body.tickets).toEqual([]);
    expect((await sim.api('GET', '/api/v2/tickets')).body.tickets[0].deleted).toBe(false);
  });

  it('lists spam only under filter=spam and open unassigned tickets under new_and_my_open', async () => {
    await sim.control('POST', '/__sim/seed', {
      tickets: [
        { subject: 'spam', spam: true },
        { subject: 'mine', status: 2 },
        { subject: 'pending', status: 3 },
      ],
    });
    expect(
      (await sim.api('GET', '/api/v2/tickets?filter=spam')).body.tickets.map((t: { subject: string }) => t.subject),
    ).toEqual(['spam']);
    expect(
      (await sim.api('GET', '/api/v2/tickets?filter=new_and_my_open')).body.tickets.map(
        (t: { subject: string }) => t.subject,
      ),
    ).toEqual(['mine']);
    expect((await sim.api('GET', '/api/v2/tickets?filter=everything')).status).toBe(400);
  });

  it('shows only the primary workspace unless workspace_id is given (0 = all)', async () => {
    await create();
    await create({ workspace_id: 3 });
    expect((await sim.api('GET', '/api/v2/tickets')).body.tickets).toHaveLength(1);
    expect((await sim.api('GET', '/api/v2/tickets?workspace_id=3')).body.tickets).toHaveLength(1);
    expect((await sim.api('GET', '/api/v2/tickets?workspace_id=0')).body.tickets).toHaveLength(2);
  });
});

describe('filter query (§4.3)', () => {
  const filter = (query: string, extra = ''): Promise<{ status: number; body: any }> =>
    sim.api('GET', `/api/v2/tickets/filter?query=${encodeURIComponent(query)}${extra}`);

  beforeEach(async () => {
    await sim.control('POST', '/__sim/seed', {
      tickets: [
        {
          subject: 'one',
          priority: 1,
          status: 2,
          group_id: 21000188391,
          tags: ['vpn'],
          created_at: '2024-03-01T08:00:00Z',
          custom_fields: { cf_site: 'Warehouse', cf_asset_count: 3 },
        },
        { subject: 'two', priority: 3, status: 3, created_at: '2024-03-05T08:00:00Z', custom_fields: { cf_vip: true } },
        { subject: 'three', priority: 4, status: 2, group_id: 21000188392, created_at: '2024-03-09T08:00:00Z' },
      ],
    });
  });

  const subjects = (body: { tickets: { subject: string }[] }): string[] => body.tickets.map((t) => t.subject).sort();

  it.each([
    ['"priority:3"', ['two']],
    ['"priority:>3"', ['three', 'two']],
    ['"priority:<3 AND status:2"', ['one']],
    ['"status:2 OR status:3"', ['one', 'three', 'two']],
    ['"(priority:1 OR priority:4) AND group_id:21000188392"', ['three']],
    ['"group_id:null"', ['two']],
    ['"tag:\'vpn\'"', ['one']],
    ['"cf_site:\'Warehouse\'"', ['one']],
    ['"cf_asset_count:>2"', ['one']],
    ['"cf_vip:true"', ['two']],
    ['"created_at:>\'2024-03-05\'"', ['three', 'two']],
    ['"created_at:<\'2024-03-05\'"', ['one', 'two']],
    ["\"created_at:>'2024-03-02' AND created_at:<'2024-03-06'\"", ['two']],
  ])('%s matches %j', async (query, expected) => {
    const res = await filter(query);
    expect(res.status).toBe(200);
    expect(subjects(res.body)).toEqual(expected);
    expect(res.body.total).toBe(expected.length);
  });

  it.each([
    ['a query not wrapped in double quotes', 'priority:3'],
    ['an unknown field', '"colour:3"'],
    ['a text custom field (not filterable)', '"cf_ticketbridge:\'x\'"'],
    ['subject search', '"subject:\'one\'"'],
    ['an unquoted string', '"cf_site:Warehouse"'],
    ['an equality on a date', '"created_at:\'2024-03-05\'"'],
    ['unbalanced parentheses', '"(priority:1 OR priority:3"'],
    ['a query over 512 characters', `"${Array.from({ length: 60 }, () => 'priority:1').join(' OR ')}"`],
  ])('answers 400 for %s', async (_name, query) => {
    const res = await filter(query);
    expect(res.status).toBe(400);
    expect(res.body.description).toBe('Validation failed');
  });

  it('pages 30 at a time with a total, and refuses pages past the cap', async () => {
    await sim.control('POST', '/__sim/seed', { generate: { count: 40 } });
    const first = await filter('"status:2"');
    expect(first.body.tickets).toHaveLength(30);
    expect(first.body.total).toBe(42);
    const second = await filter('"status:2"', '&page=2');
    expect(second.body.tickets).toHaveLength(12);
    expect((await filter('"status:2"', '&page=41')).status).toBe(400);
  });
});

describe('viewing tickets (§4.2)', () => {
  it('answers 404 for an unknown id', async () => {
    expect((await sim.api('GET', '/api/v2/tickets/99999')).status).toBe(404);
  });

  it('embeds the first ten conversations, oldest first, with include=conversations', async () => {
    const t = await create();
    for (let i = 1; i <= 12; i++) await sim.api('POST', `/api/v2/tickets/${t.id}/notes`, { body: `note ${i}` });
    const res = await sim.api('GET', `/api/v2/tickets/${t.id}?include=conversations`);
    expect(res.body.ticket.conversations).toHaveLength(10);
    expect(res.body.ticket.conversations[0].body_text).toBe('note 1');
  });
});

describe('conversations (§6)', () => {
  it('creates notes private by default, public on request, and pages the conversation list', async () => {
    const t = await create();
    const first = await sim.api('POST', `/api/v2/tickets/${t.id}/notes`, { body: 'internal' });
    expect(first.status).toBe(201);
    expect(first.body.conversation).toMatchObject({
      private: true,
      incoming: false,
      body: '<div>internal</div>',
      body_text: 'internal',
      ticket_id: t.id,
    });
    await sim.api('POST', `/api/v2/tickets/${t.id}/notes`, { body: 'public', private: false });
    for (let i = 0; i < 3; i++) await sim.api('POST', `/api/v2/tickets/${t.id}/notes`, { body: `n${i}` });
    const page1 = await sim.api('GET', `/api/v2/tickets/${t.id}/conversations?per_page=2`);
    expect(page1.body.conversations.map((c: { private: boolean }) => c.private)).toEqual([true, false]);
    expect(page1.body.conversations[0].source).toBe(2);
    expect(page1.headers.get('link')).toContain('page=2');
    const page3 = await sim.api('GET', `/api/v2/tickets/${t.id}/conversations?per_page=2&page=3`);
    expect(page3.body.conversations).toHaveLength(1);
    expect(page3.headers.get('link')).toBeNull();
  });

  it('moves the ticket updated_at when a note is added', async () => {
    const t = await create();
    await sim.api('POST', `/api/v2/tickets/${t.id}/notes`, { body: 'x' });
    const after = (await sim.api('GET', `/api/v2/tickets/${t.id}`)).body.ticket;
    expect(Date.parse(after.updated_at)).toBeGreaterThan(Date.parse(t.updated_at));
  });

  it('sends replies to the requester and edits notes but not replies', async () => {
    const t = await create();
    const reply = await sim.api('POST', `/api/v2/tickets/${t.id}/reply`, { body: 'We are on it' });
    expect(reply.status).toBe(201);
    expect(reply.body.conversation.to_emails).toEqual(['rita@demo.example']);
    const note = (await sim.api('POST', `/api/v2/tickets/${t.id}/notes`, { body: 'draft' })).body.conversation;
    const edited = await sim.api('PUT', `/api/v2/conversations/${note.id}`, { body: 'final' });
    expect(edited.status).toBe(200);
    expect(edited.body.conversation.body_text).toBe('final');
    expect((await sim.api('PUT', `/api/v2/conversations/${reply.body.conversation.id}`, { body: 'x' })).status).toBe(
      405,
    );
  });

  it('rejects an unknown note attribute and an empty body', async () => {
    const t = await create();
    expect((await sim.api('POST', `/api/v2/tickets/${t.id}/notes`, { body: 'x', colour: 1 })).body.errors[0].code).toBe(
      'invalid_field',
    );
    expect((await sim.api('POST', `/api/v2/tickets/${t.id}/notes`, { body: '' })).body.errors[0].code).toBe(
      'missing_field',
    );
  });
});

describe('fields, groups and people', () => {
  it('lists status choices including the account custom statuses', async () => {
    const res = await sim.api('GET', '/api/v2/ticket_form_fields');
    const status = res.body.ticket_fields.find((f: { name: string }) => f.name === 'status');
    expect(status.choices.map((c: { id: number }) => c.id)).toEqual([2, 3, 4, 5, 8, 9]);
    await sim.control('POST', '/__sim/seed', { statuses: [{ id: 12, value: 'Awaiting Parts' }] });
    const again = await sim.api('GET', '/api/v2/ticket_form_fields');
    expect(again.body.ticket_fields.find((f: { name: string }) => f.name === 'status').choices.at(-1)).toEqual({
      id: 12,
      value: 'Awaiting Parts',
    });
    expect((await create({ status: 12 })).status).toBe(12);
  });

  it('lists groups', async () => {
    const res = await sim.api('GET', '/api/v2/groups');
    expect(res.body.groups.map((g: { name: string }) => g.name)).toContain('Co-Managed (MSP)');
  });
});

describe('rate limit (§7)', () => {
  it('reports the budget on every response and answers 429 with Retry-After when it is spent', async () => {
    await sim.control('PUT', '/__sim/ratelimit', { perMinute: 3 });
    const first = await sim.api('GET', '/api/v2/tickets');
    expect(first.headers.get('x-ratelimit-total')).toBe('3');
    expect(first.headers.get('x-ratelimit-remaining')).toBe('2');
    expect(first.headers.get('x-ratelimit-used-currentrequest')).toBe('1');
    const listWithInclude = await sim.api('GET', '/api/v2/tickets?include=requester');
    expect(listWithInclude.status).toBe(429);
    expect(Number(listWithInclude.headers.get('retry-after'))).toBeGreaterThan(0);
    const view = await sim.api('GET', '/api/v2/ticket_form_fields');
    expect(view.status).toBe(200);
    expect(view.headers.get('x-ratelimit-remaining')).toBe('1');
  });

  it("does not meter a person's action in the web app (x-sim-channel: web), only API calls", async () => {
    await sim.control('PUT', '/__sim/ratelimit', { perMinute: 2 });
    const web = { 'x-sim-channel': 'web' };
    for (let i = 0; i < 5; i++) expect((await sim.api('GET', '/api/v2/groups', undefined, web)).status).toBe(200);
    const api = await sim.api('GET', '/api/v2/groups');
    expect(api.status).toBe(200);
    expect(api.headers.get('x-ratelimit-remaining')).toBe('1');
  });

  it('refills when the window passes', async () => {
    await sim.control('PUT', '/__sim/ratelimit', { perMinute: 1, windowMs: 300 });
    expect((await sim.api('GET', '/api/v2/groups')).status).toBe(200);
    expect((await sim.api('GET', '/api/v2/groups')).status).toBe(429);
    clock.advance(350);
    expect((await sim.api('GET', '/api/v2/groups')).status).toBe(200);
  });
});

describe('Workflow Automator web requests (§8)', () => {
  it('posts the rendered template with the custom headers on create, update and note', async () => {
    const received: { headers: IncomingHttpHeaders; body: unknown }[] = [];
    const server = createServer((req, res) => {
      let text = '';
      req.on('data', (c: Buffer) => (text += c.toString()));
      req.on('end', () => {
        received.push({ headers: req.headers, body: JSON.parse(text) });
        res.end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
      await sim.control('PUT', '/__sim/automator', { url, headers: { 'X-Ticketbridge-Secret': 's3cret' } });
      const t = await create();
      await sim.api('PUT', `/api/v2/tickets/${t.id}`, { priority: 3 });
      await sim.api('POST', `/api/v2/tickets/${t.id}/notes`, { body: 'hi' });
      await sim.control('PUT', '/__sim/automator', {
        url,
        headers: {},
        template: { id: '{{ticket.id_numeric}}', s: '{{ticket.subject}} / {{ticket.status}}', n: 7 },
      });
      await sim.api('PUT', `/api/v2/tickets/${t.id}`, { status: 3 });
      await sim.control('POST', '/__sim/webhooks/flush');
      expect(received.map((r) => r.body)).toEqual([
        { ticket_id: `#INC-${t.id}`, event: 'ticket_created' },
        { ticket_id: `#INC-${t.id}`, event: 'ticket_updated' },
        { ticket_id: `#INC-${t.id}`, event: 'note_added' },
        { id: String(t.id), s: 'VPN down / Pending', n: 7 },
      ]);
      expect(received[0]!.headers['x-ticketbridge-secret']).toBe('s3cret');
      expect(received[0]!.headers['content-type']).toBe('application/json');
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
