import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { AuthError, type SyncError } from '../../core/errors.js';
import { isInvalidTicket, type Ticket } from '../../core/types.js';
import type { ScopeConfig } from '../../mapping/schema.js';
import { jsmSimulator } from '../../simulators/jsm/index.js';
import { startReceiver } from '../../simulators/jsm/test-helpers.js';
import type { SimulatorHandle } from '../../simulators/types.js';
import { testContext } from '../../../test/helpers/context.js';
import { ManualClock } from '../../../test/helpers/manual-clock.js';
import { SystemQueue } from '../../core/queue.js';
import { jsmConnector } from './index.js';

const AUTH = `Basic ${Buffer.from('demo@example.com:demo-jira-token').toString('base64')}`;
const system = (baseUrl: string) => ({
  kind: 'jsm' as const,
  baseUrl,
  credentials: { email: 'demo@example.com', apiToken: 'demo-jira-token' },
  webhook: { secret: 'hook-secret' },
});

let sim: SimulatorHandle;
// Jira's time and the connector's move only when a test advances them: no sleeping for index lag.
const clock = new ManualClock();
const connector = (scope: ScopeConfig = { project: 'IT' }) =>
  jsmConnector.create(testContext(system(sim.url), { scope, systemName: 'jira', clock }));
const control = (path: string, body: unknown): Promise<Response> =>
  fetch(`${sim.url}${path}`, {
    method: path.endsWith('seed') ? 'POST' : 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
const asHuman = (path: string, method: string, body: unknown): Promise<Response> =>
  fetch(`${sim.url}${path}`, {
    method,
    headers: { authorization: AUTH, 'content-type': 'application/json', 'x-sim-actor': '5b10ac8d82e05b22cc7d4ef5' },
    body: JSON.stringify(body),
  });

async function listAll(c: ReturnType<typeof connector>, since: Date | null): Promise<Ticket[]> {
  const out: Ticket[] = [];
  for await (const t of c.listChanged({ since })) if (!isInvalidTicket(t)) out.push(t);
  return out;
}

beforeAll(async () => {
  sim = await jsmSimulator.start({ system: system('http://127.0.0.1:9103'), clock });
});
afterAll(async () => {
  await sim.stop();
});
beforeEach(async () => {
  await fetch(`${sim.url}/__sim/reset`, { method: 'POST' });
});

describe('jsm connector against the simulator', () => {
  it('still sees an edit that search has not indexed yet through getTicket, and lists it once the lag passes', async () => {
    const c = connector();
    // Seeded, not written by this connector: its own writes would be reconciled into search.
    const seeded = (await (
      await control('/__sim/seed', { issues: [{ summary: 'Lag test', updated: clock.now() - 60_000 }] })
    ).json()) as { issues: { id: string }[] };
    const created = seeded.issues[0]!;
    await control('/__sim/index-lag', { ms: 3_000 });
    const since = new Date(clock.now());
    // A human edit: not our write, so not reconciled by the connector.
    await asHuman(`/rest/api/3/issue/${created.id}`, 'PUT', { fields: { summary: 'Edited by Mia' } });
    expect((await listAll(c, since)).map((t) => t.id)).toEqual([]);
    expect((await c.getTicket(created.id)).fields.summary).toBe('Edited by Mia');
    clock.advance(3_100);
    expect((await listAll(c, since)).map((t) => [t.id, t.fields.summary])).toEqual([[created.id, 'Edited by Mia']]);
  });

  it('lists its own fresh writes during index lag through reconcileIssues', async () => {
    const c = connector();
    await control('/__sim/index-lag', { ms: 60_000 });
    const since = new Date(clock.now() - 1000);
    const created = await c.createTicket({ summary: 'Mine' }, 'tb:it:2');
    expect((await listAll(c, since)).map((t) => t.id)).toEqual([created.id]);
  });

  it('walks the IT workflow to Closed, filling the required resolution, and reopens', async () => {
    const c = connector();
    const created = await c.createTicket({ summary: 'Walk' }, 'tb:it:3');
    const closed = await c.updateTicket(created.id, { status: 'Closed' });
    expect(closed.fields).toMatchObject({ status: 'Closed', resolution: 'Done' });
    const other = await c.createTicket({ summary: 'Walk 2', status: 'Waiting for customer' }, 'tb:it:4');
    expect(other.fields.status).toBe('Waiting for customer');
    const resolved = await c.updateTicket(other.id, { status: 'Resolved', resolution: "Won't Do" });
    expect(resolved.fields).toMatchObject({ status: 'Resolved', resolution: "Won't Do" });
    const reopened = await c.updateTicket(other.id, { status: 'In Progress' });
    expect(reopened.fields).toMatchObject({ status: 'In Progress', resolution: null });
    const err = await c.updateTicket(closed.id, { status: 'In Progress' }).catch((e: unknown) => e);
    expect((err as SyncError).code).toBe('transition_missing');
  });

  it('walks from where the issue stands when a person moved it after the read the write is based on', async () => {
    const c = connector();
    const first = await c.createTicket({ summary: 'Moved under the walk' }, 'tb:it:5');
    const second = await c.createTicket({ summary: 'Walks after it' }, 'tb:it:6');
    expect(first.fields.status).toBe('Waiting for support');
    // A person resolves the issue between the pass's read and its write.
    const moved = await asHuman(`/rest/api/3/issue/${first.id}/transitions`, 'POST', {
      transition: { id: '51' },
      fields: { resolution: { name: 'Done' } },
    });
    expect(moved.status).toBe(204);
    const done = await c.updateTicket(first.id, { status: 'Waiting for customer' }, { expected: first });
    expect(done.fields).toMatchObject({ status: 'Waiting for customer', resolution: null });
    // What the walk learned is filed under the statuses the issue really stood in: another issue
    // of the workflow still finds its way.
    const next = await c.updateTicket(second.id, { status: 'Waiting for customer' }, { expected: second });
    expect(next.fields.status).toBe('Waiting for customer');
    const back = await c.updateTicket(first.id, { status: 'In Progress' }, { expected: done });
    expect(back.fields.status).toBe('In Progress');
  });

  it('reads per-project statuses in describe and creates in a software project with its issue type', async () => {
    await control('/__sim/seed', { projects: [{ key: 'OPS', name: 'Operations' }] });
    const ops = connector({ project: 'OPS', issueType: 'Task' });
    const catalog = await ops.describe();
    expect(catalog.fields.find((f) => f.name === 'status')?.allowedValuesByScope).toEqual({
      OPS: ['To Do', 'In Progress', 'Done'],
    });
    const closed = await ops.closeTicket((await ops.createTicket({ summary: 'Rotate keys' }, 'tb:ops:1')).id);
    expect(closed.fields).toMatchObject({ status: 'Done', issuetype: 'Task', project: 'OPS' });
  });

  it('describes custom fields by id with their names, priorities and request types', async () => {
    const catalog = await connector({ project: 'IT' }).describe();
    expect(catalog.fields.find((f) => f.name === 'customfield_10030')).toMatchObject({ type: 'enum', note: 'Impact' });
    expect(catalog.fields.find((f) => f.name === 'priority')?.allowedValues).toEqual([
      'Highest',
      'High',
      'Medium',
      'Low',
      'Lowest',
    ]);
    expect(catalog.fields.find((f) => f.name === 'requestType')?.allowedValues).toEqual([
      'Get IT help',
      'Report a system problem',
      'Request new hardware',
    ]);
  });

  it('round-trips custom fields and keeps the marker label when labels are replaced', async () => {
    const c = connector();
    const created = await c.createTicket(
      { summary: 'Custom', labels: ['a'], customfield_10030: 'Minor / Localized', customfield_10020: 'EXT-9' },
      'tb:it:5',
    );
    expect(created.fields).toMatchObject({
      labels: ['a'],
      customfield_10030: 'Minor / Localized',
      customfield_10020: 'EXT-9',
    });
    const updated = await c.updateTicket(created.id, { labels: ['b'] });
    expect(updated.fields.labels).toEqual(['b']);
    expect((await c.findByMarker('tb:it:5'))?.id).toBe(created.id);
  });

  it('reads when each field last changed from the changelog, paging back past a long history', async () => {
    const c = connector();
    const created = await c.createTicket({ summary: 'History', priority: 'Low' }, 'tb:it:history');
    await asHuman(`/rest/api/3/issue/${created.id}`, 'PUT', { fields: { summary: 'Renamed by Mia' } });
    clock.advance(10); // the priority edits come strictly later
    // 150 later priority edits push the summary change off the newest changelog page.
    for (let i = 0; i < 150; i++)
      await asHuman(`/rest/api/3/issue/${created.id}`, 'PUT', {
        fields: { priority: { name: i % 2 === 0 ? 'High' : 'Low' } },
      });
    const all: { created: string; items: { fieldId?: string }[] }[] = [];
    for (let startAt = 0; ; startAt += 100) {
      const page = (await (
        await fetch(`${sim.url}/rest/api/3/issue/${created.id}/changelog?startAt=${startAt}`, {
          headers: { authorization: AUTH },
        })
      ).json()) as { values: typeof all; isLast: boolean };
      all.push(...page.values);
      if (page.isLast) break;
    }
    expect(all.length).toBe(151);
    const last = (field: string) =>
      new Date([...all].reverse().find((h) => h.items.some((i) => i.fieldId === field))!.created).toISOString();

    const times = await c.fieldChangeTimes!(created.id, ['summary', 'priority', 'status']);
    expect(times).toEqual({ summary: last('summary'), priority: last('priority') }); // status never changed: left out
    expect(Date.parse(times.summary!)).toBeLessThan(Date.parse(times.priority!));
  });

  it('reports out-of-scope tickets as such from getTicket', async () => {
    const created = await connector({ project: 'IT' }).createTicket({ summary: 'Scoped' }, 'tb:it:6');
    const narrow = connector({ project: 'IT', jql: 'labels = vip' });
    expect((await narrow.getTicket(created.id)).inScope).toBe(false);
    expect((await connector({ project: 'IT', requestTypes: ['Get IT help'] }).getTicket(created.id)).inScope).toBe(
      false,
    );
  });

  it('turns a revoked token into auth_failed naming the system', async () => {
    await control('/__sim/credentials', { revoked: true });
    const err = await connector()
      .ping()
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AuthError);
    expect((err as AuthError).message).toContain('jira refused the credentials (401)');
  });

  it("skips webhooks for its own field edits but not for a human's", async () => {
    const receiver = await startReceiver();
    try {
      const c = connector();
      await c.ping();
      await c.registerWebhook!(receiver.url);
      const created = await c.createTicket({ summary: 'Hooks' }, 'tb:it:7');
      await c.updateTicket(created.id, { summary: 'Mine' });
      await asHuman(`/rest/api/3/issue/${created.id}`, 'PUT', { fields: { summary: 'Theirs' } });
      await fetch(`${sim.url}/__sim/webhooks/flush`, { method: 'POST' });
      const updates = receiver.received.filter((r) => r.raw.includes('"jira:issue_updated"'));
      expect(updates).toHaveLength(2);
      const hints = updates.map((r) => {
        const request = { headers: r.headers, rawBody: Buffer.from(r.raw) };
        expect(c.verifyWebhook(request)).toBe(true);
        return c.parseWebhook(request).ticketIds;
      });
      expect(hints).toEqual([[], [created.id]]);
    } finally {
      await receiver.close();
    }
  });
});

describe('jsm connector: Jira details (issue 13, item 10)', () => {
  const withQueue = (queue: SystemQueue) =>
    jsmConnector.create(testContext(system(sim.url), { scope: { project: 'IT' }, systemName: 'jira', clock, queue }));
  const limited = async (): Promise<number> =>
    ((await (await fetch(`${sim.url}/__sim/rate-limit`)).json()) as { limited: number }).limited;

  it('holds back only the limited request on a per-issue write limit, without pausing the whole Jira queue', async () => {
    const queue = new SystemQueue({ system: 'jira', concurrency: 4 });
    try {
      const c = withQueue(queue);
      const a = await c.createTicket({ summary: 'Busy issue' }, 'tb:it:rl-a');
      const b = await c.createTicket({ summary: 'Quiet issue' }, 'tb:it:rl-b');
      await control('/__sim/rate-limit', { perIssueWrite: { limit: 1, windowMs: 1_000 } });
      await c.updateTicket(a.id, { summary: 'Busy 1' });
      const second = c.updateTicket(a.id, { summary: 'Busy 2' });
      // Wait (bounded) until Jira has answered that write with 429 jira-per-issue-on-write.
      for (let i = 0; i < 200 && (await limited()) === 0; i++) await new Promise((r) => setTimeout(r, 10));
      expect(await limited()).toBe(1);
      // Another issue's write goes through while the limited one waits.
      expect((await c.updateTicket(b.id, { summary: 'Quiet 1' })).fields.summary).toBe('Quiet 1');
      expect(queue.stats()).toMatchObject({ rateLimitedLastMinute: 0, pausedUntil: null });
      clock.advance(1_000); // Jira's window passes; the waiting write is retried and lands.
      expect((await second).fields.summary).toBe('Busy 2');
    } finally {
      queue.stop();
    }
  });

  it('slows down when Jira says X-RateLimit-NearLimit, before any 429', async () => {
    const queue = new SystemQueue({ system: 'jira', concurrency: 1 });
    try {
      const c = withQueue(queue);
      const created = await c.createTicket({ summary: 'Read often' }, 'tb:it:near');
      await control('/__sim/rate-limit', { burst: { limit: 10, windowMs: 60_000 } });
      for (let i = 0; i < 9 && queue.stats().pausedUntil === null; i++) await c.getTicket(created.id);
      expect(queue.stats().pausedUntil).not.toBeNull();
      expect(queue.stats().rateLimitedLastMinute).toBe(0);
      expect(await limited()).toBe(0);
    } finally {
      queue.stop();
    }
  });

  it('waits a 429 without Retry-After out until X-RateLimit-Reset, not a default second', async () => {
    const queue = new SystemQueue({ system: 'jira', concurrency: 1 });
    try {
      const c = withQueue(queue);
      const created = await c.createTicket({ summary: 'Read in a long window' }, 'tb:it:reset');
      // Jira does not always send Retry-After (JRACLOUD-82801); its reset is ten minutes away here.
      await control('/__sim/rate-limit', { burst: { limit: 1, windowMs: 600_000 }, omitRetryAfter: true });
      await c.getTicket(created.id);
      const waiting = c.getTicket(created.id).catch(() => undefined);
      for (let i = 0; i < 300 && (await limited()) === 0; i++) await new Promise((r) => setTimeout(r, 10));
      expect(await limited()).toBe(1);
      expect(queue.stats().rateLimitedLastMinute).toBe(1);
      // The whole queue waits for the reset (or the maxWaitSeconds cap), far beyond a default second.
      expect(queue.stats().pausedUntil! - Date.now()).toBeGreaterThan(30_000);
      queue.stop();
      await waiting;
    } finally {
      queue.stop();
    }
  });

  it('lists priorities through /priority/search, not the deprecated /priority', async () => {
    const catalog = await connector().describe();
    expect(catalog.fields.find((f) => f.name === 'priority')?.allowedValues).toEqual([
      'Highest',
      'High',
      'Medium',
      'Low',
      'Lowest',
    ]);
  });
});

describe('jsm connector: request descriptions (issue 13, item 2)', () => {
  const text =
    'Use *bold* and _care_ here.\n# not a list\n- nor this\n{code}\nraw\n{code}\nSee [docs|https://example.com]';

  it('delivers the description of a new request exactly as written, although JSM reads request fields as wiki markup', async () => {
    const c = connector({ project: 'IT', requestTypes: ['Get IT help'] });
    const created = await c.createTicket({ summary: 'Wiki trap', description: text }, 'tb:it:wiki');
    expect(created.fields.description).toBe(text);
    expect(created.fields.requestType).toBe('Get IT help');
    expect((await c.getTicket(created.id)).fields.description).toBe(text);
  });

  it('still creates through a request type that requires a description, ending with the exact text', async () => {
    const c = connector({ project: 'IT', requestTypes: ['Report a system problem'] });
    const created = await c.createTicket({ summary: 'Required', description: text }, 'tb:it:wiki-required');
    expect(created.fields.description).toBe(text);
    expect(created.fields.requestType).toBe('Report a system problem');
  });
});

describe('jsm connector: length limits (issue 13, item 6)', () => {
  const summary = `Summary ${'s'.repeat(292)}`; // 300 characters; Jira holds less than 255
  // 2,000 short lines: about 24,000 characters of text, over 32,767 once written as ADF.
  const description = Array.from({ length: 2_000 }, (_, i) => `line ${i}`).join('\n');

  it.each<[string, ScopeConfig]>([
    ['the platform API', { project: 'IT' }],
    ['a request type', { project: 'IT', requestTypes: ['Get IT help'] }],
  ])(
    'cuts summary and description to fit on create through %s, and on update, reporting the cuts',
    async (_how, scope) => {
      const c = connector(scope);
      const created = (await c.createTicket(
        { summary, description },
        `tb:it:len-${scope.requestTypes ? 'rt' : 'p'}`,
      )) as Ticket & {
        cuts?: Array<{ field: string; fromChars: number; toChars: number }>;
      };
      expect(created.fields.summary).toBe(summary.slice(0, 254));
      const kept = created.fields.description as string;
      expect(description.startsWith(kept)).toBe(true);
      expect(kept.length).toBeLessThan(description.length);
      expect(created.cuts).toEqual([
        { field: 'summary', fromChars: 300, toChars: 254 },
        { field: 'description', fromChars: description.length, toChars: kept.length },
      ]);
      const updated = (await c.updateTicket(created.id, { summary: `${summary}!` })) as typeof created;
      expect(updated.cuts).toEqual([{ field: 'summary', fromChars: 301, toChars: 254 }]);
    },
  );

  it('cuts a long comment body to fit, keeping the attribution and the marker footer', async () => {
    const c = connector();
    const issue = await c.createTicket({ summary: 'Long comment' }, 'tb:it:len-c');
    const body = 'word '.repeat(10_000).trim(); // 49,999 characters
    const written = (await c.addComment(issue.id, {
      body,
      visibility: 'public',
      author: 'Ada',
      origin: 'Freshservice',
      marker: 'tb:it:1:a9',
    })) as { body: string; marker: string | null; cuts?: Array<{ field: string; fromChars: number; toChars: number }> };
    expect(written.marker).toBe('tb:it:1:a9');
    expect(written.body.startsWith('Ada (Freshservice) wrote:\nword word')).toBe(true);
    expect(written.cuts).toEqual([{ field: 'comment', fromChars: body.length, toChars: expect.any(Number) }]);
    const [listed] = await c.listComments(issue.id);
    expect(listed?.marker).toBe('tb:it:1:a9');
  });
});

describe('jsm connector: who changed a field since the create', () => {
  it("names the fields a person changed after the create, not the ones this integration's own calls set", async () => {
    const c = connector();
    const created = await c.createTicket({ summary: 'Stepwise', status: 'In Progress' }, 'tb:t:a1');
    expect(created.fields.status).toBe('In Progress');
    expect(await c.changedByOthers!(created.id, ['status', 'summary'])).toEqual([]);
    const edited = await asHuman(`/rest/api/3/issue/${created.id}`, 'PUT', {
      fields: { summary: 'Renamed by a person' },
    });
    expect(edited.ok).toBe(true);
    expect(await c.changedByOthers!(created.id, ['status', 'summary'])).toEqual(['summary']);
  });
});
