// Deletion and unlinking through the real connectors against the simulators: a linked ticket that
// is deleted (Freshservice trash, ConnectWise 404) or moved out of scope (ConnectWise board,
// Jira issue type outside the scoped JQL, Freshservice tag) follows the connection's `lifecycle`
// rule — close the twin, unlink, or flag with an open error on GET /errors — and nothing is
// ever recreated on either side afterwards, through more edits, poll rounds and a reconcile.
import { afterEach, describe, expect, it } from 'vitest';
import type { Link } from '../../src/core/ledger/types.js';
import type { Side } from '../../src/core/types.js';
import type { Config } from '../../src/mapping/schema.js';
import { demoConfigOnFreePorts, startDemoStack, type DemoStack } from '../helpers/demo-stack.js';
import { pairTwins } from './verify.js';
import { vendors, type Vendors } from './vendors.js';

const TOKEN = 'demo-status-token';

async function until<T>(what: string, fn: () => Promise<T | null | undefined | false>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await fn();
    if (value !== null && value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function api<T>(stack: DemoStack, path: string): Promise<T> {
  const res = await fetch(`${stack.daemon.url}${path}`, { headers: { Authorization: `Bearer ${TOKEN}` } });
  expect(res.status, path).toBe(200);
  return (await res.json()) as T;
}

interface ErrorsPage {
  items: Array<{
    linkId: string | null;
    code: string;
    message: string;
    state: string;
    side: Side | null;
    ticketId: string | null;
  }>;
}

/** The link holding `ticketId` on `side`, once the daemon has made it. */
async function linkOf(stack: DemoStack, connection: string, side: Side, ticketId: string): Promise<Link> {
  return until(`a ${connection} link for ${side} ${ticketId}`, () =>
    stack.daemon.ledger.findLink(connection, side, ticketId),
  );
}

/** Several poll rounds on every side and a full reconcile, then waits for every pass. */
async function pollRoundsAndReconcile(stack: DemoStack): Promise<void> {
  const engine = stack.daemon.engine;
  for (let round = 0; round < 3; round++) {
    for (const name of Object.keys(stack.config.connections))
      for (const side of ['a', 'b'] as const) await engine.pollOnce(name, side);
    await engine.onIdle();
  }
  await engine.reconcile();
  await engine.onIdle();
}

interface Census {
  /** Every ticket each system holds (Freshservice: live and trashed). */
  fs: number;
  cw: number;
  jira: number;
  duplicates: number;
}

async function census(v: Vendors, config: Config): Promise<Census> {
  const [fsLive, fsDeleted, cw, jira] = await Promise.all([
    v.fs.list(),
    v.fs.list('deleted'),
    v.cw.list(),
    v.jira.list(),
  ]);
  let duplicates = 0;
  for (const name of Object.keys(config.connections)) {
    // Markers are unique per side whatever the scope: count over everything each system holds.
    const a = name === 'fs-cw' ? [...fsLive, ...fsDeleted] : jira;
    duplicates += pairTwins(name, {
      a: a.filter((t) => t.marker === null || t.marker.startsWith(`tb:${name}:`)),
      b: cw.filter((t) => t.marker === null || t.marker.startsWith(`tb:${name}:`)),
    }).duplicates;
  }
  return { fs: fsLive.length + fsDeleted.length, cw: cw.length, jira: jira.length, duplicates };
}

function fastPolling(config: Config): void {
  config.polling.intervalMs = 300;
  config.polling.overlapMs = 30_000;
  config.reconcile.enabled = false;
}

describe('deletion and leaving scope follow the configured lifecycle and never recreate', () => {
  let stack: DemoStack | null = null;
  afterEach(async () => {
    await stack?.stop();
    stack = null;
  });

  it('flags a link whose Freshservice ticket is trashed (open error on /errors) and closes the Freshservice twin of a ConnectWise ticket moved to a board outside the scope', async () => {
    const config = await demoConfigOnFreePorts((c) => {
      fastPolling(c);
      // Only fs-cw: the board "Co-Managed JSM" is then outside every scope.
      delete c.connections['jsm-cw'];
      c.connections['fs-cw']!.lifecycle = { onDelete: 'flag', onUnscope: 'close' };
    });
    stack = await startDemoStack({ config });
    const v = vendors(config);

    const fsId = await v.fs.create({
      subject: 'Trashed by mistake',
      description: 'lifecycle test',
      priority: 2,
      status: 2,
    });
    const cwId = await v.cw.create({
      summary: 'Belongs to another team',
      board: 'Co-Managed FS',
      priority: 'Priority 3 - Medium',
      description: 'lifecycle test',
    });
    const trashed = await linkOf(stack, 'fs-cw', 'a', fsId);
    const moved = await linkOf(stack, 'fs-cw', 'b', cwId);
    const before = await census(v, config);
    expect(before).toEqual({ fs: 2, cw: 2, jira: 0, duplicates: 0 });

    // Freshservice delete: the ticket goes to the trash and stays readable with `deleted: true`.
    await v.fs.remove(fsId);
    expect((await v.fs.get(fsId)).deleted).toBe(true);
    // ConnectWise board move out of scope.
    await v.cw.update(cwId, { board: 'Co-Managed JSM' });

    // Webhooks and polls usually notice first; the reconcile catches what they cannot list (out of scope).
    await pollRoundsAndReconcile(stack);
    expect((await stack.daemon.ledger.getLink(trashed.id))?.state).toBe('flagged');
    expect((await stack.daemon.ledger.getLink(moved.id))?.state).toBe('closed');
    const errors = await api<ErrorsPage>(stack, `/errors?connection=fs-cw&link=${trashed.id}`);
    expect(errors.items).toHaveLength(1);
    expect(errors.items[0]).toMatchObject({ state: 'open', code: 'not_found', side: 'a', ticketId: fsId });
    expect(errors.items[0]!.message).toBe('ticket deleted on Freshservice; the link is flagged and no longer syncs');
    expect(
      (await api<{ items: Link[] }>(stack, '/ledger/links?connection=fs-cw&state=closed')).items.map((l) => l.id),
    ).toEqual([moved.id]);
    expect(
      (await api<{ items: Link[] }>(stack, '/ledger/links?connection=fs-cw&state=flagged')).items.map((l) => l.id),
    ).toEqual([trashed.id]);

    // close: the Freshservice twin of the moved ticket is closed (5); flag leaves the ConnectWise twin alone.
    expect((await v.fs.get(moved.aId)).status).toBe(5);
    expect((await v.cw.get(trashed.bId))?.status).toBe('New');

    // Nothing comes back: edit the survivors, restore the trashed ticket, poll and reconcile.
    await v.cw.update(trashed.bId, { summary: 'MSP still working on it', status: 'In Progress' });
    await v.cw.update(cwId, { summary: 'Now on the JSM board' });
    await v.fs.update(moved.aId, { subject: 'Closed twin edited' });
    await v.fs.http.put(`/tickets/${fsId}/restore`);
    await pollRoundsAndReconcile(stack);

    expect(await census(v, config)).toEqual(before);
    expect((await stack.daemon.ledger.listLinks({})).total).toBe(2);
    expect((await stack.daemon.ledger.getLink(trashed.id))?.state).toBe('flagged');
    expect((await stack.daemon.ledger.getLink(moved.id))?.state).toBe('closed');
    // A flagged or closed link stops syncing: the edits stayed where they were made.
    expect((await v.fs.get(fsId)).summary).toBe('Trashed by mistake');
    expect((await v.cw.get(moved.bId))?.summary).toBe('Now on the JSM board');
  }, 120_000);

  it('closes, unlinks and flags by connection rule when a ConnectWise ticket is deleted, a Jira issue leaves the scoped JQL, or a Freshservice ticket loses its scope tag', async () => {
    const config = await demoConfigOnFreePorts((c) => {
      fastPolling(c);
      const fsCw = c.connections['fs-cw']!;
      fsCw.lifecycle = { onDelete: 'close', onUnscope: 'unlink' };
      fsCw.a.scope = { tags: ['co-managed'] };
      // Twins the daemon creates on Freshservice carry the scope tag, or they would be out of scope at birth.
      fsCw.create = { aToB: true, bToA: { enabled: true, defaults: { tags: ['co-managed'] } } };
      const jsmCw = c.connections['jsm-cw']!;
      jsmCw.lifecycle = { onDelete: 'unlink', onUnscope: 'flag' };
      jsmCw.a.scope = { project: 'IT', jql: 'issuetype = Incident' };
    });
    stack = await startDemoStack({ config });
    const v = vendors(config);

    const fsClosed = await v.fs.create({
      subject: 'Twin deleted by the MSP',
      description: 'lifecycle test',
      priority: 3,
      status: 2,
    });
    await v.fs.update(fsClosed, { tags: ['co-managed'] });
    const fsUntagged = await v.fs.create({
      subject: 'Leaves the co-managed scope',
      description: 'lifecycle test',
      priority: 2,
      status: 2,
    });
    await v.fs.update(fsUntagged, { tags: ['co-managed'] });
    const cwOrigin = await v.cw.create({
      summary: 'Raised by the MSP',
      board: 'Co-Managed FS',
      priority: 'Priority 2 - High',
      description: 'lifecycle test',
    });
    const jiraUnlinked = await v.jira.create({
      summary: 'Twin deleted on the JSM board',
      priority: 'High',
      description: 'lifecycle test',
    });
    const jiraFlagged = await v.jira.create({
      summary: 'Becomes a service request',
      priority: 'Medium',
      description: 'lifecycle test',
    });

    const closeLink = await linkOf(stack, 'fs-cw', 'a', fsClosed);
    const unscopeLink = await linkOf(stack, 'fs-cw', 'a', fsUntagged);
    const cwLink = await linkOf(stack, 'fs-cw', 'b', cwOrigin);
    const unlinkLink = await linkOf(stack, 'jsm-cw', 'a', jiraUnlinked);
    const flagLink = await linkOf(stack, 'jsm-cw', 'a', jiraFlagged);
    // The Freshservice twin of the ConnectWise ticket was created inside the scope (it carries the tag).
    expect((await v.fs.http.get<{ ticket: { tags: string[] } }>(`/tickets/${cwLink.aId}`)).data.ticket.tags).toContain(
      'co-managed',
    );
    const before = await census(v, config);
    expect(before).toEqual({ fs: 3, cw: 5, jira: 2, duplicates: 0 });

    await v.cw.remove(closeLink.bId); // fs-cw onDelete: close
    await v.cw.remove(unlinkLink.bId); // jsm-cw onDelete: unlink
    expect(await v.cw.get(closeLink.bId)).toBeNull();
    await v.jira.update(jiraFlagged, { issueType: 'Service Request' }); // jsm-cw onUnscope: flag
    await v.fs.update(fsUntagged, { tags: [] }); // fs-cw onUnscope: unlink

    await pollRoundsAndReconcile(stack);
    const states = async (): Promise<Array<string | undefined>> =>
      Promise.all(
        [closeLink, unlinkLink, flagLink, unscopeLink, cwLink].map(
          async (l) => (await stack!.daemon.ledger.getLink(l.id))?.state,
        ),
      );
    expect(await states()).toEqual(['closed', 'unlinked', 'flagged', 'unlinked', 'active']);

    // close: the Freshservice ticket whose ConnectWise twin was deleted is closed.
    expect((await v.fs.get(fsClosed)).status).toBe(5);
    // unlink: the Jira issue is left as it was; flag: an open error names the unscoped issue.
    expect((await v.jira.get(jiraUnlinked)).status).toBe('Waiting for support');
    const flagged = await api<ErrorsPage>(stack, `/errors?connection=jsm-cw&link=${flagLink.id}`);
    expect(flagged.items).toHaveLength(1);
    expect(flagged.items[0]).toMatchObject({ state: 'open', code: 'unscoped', side: 'a', ticketId: jiraFlagged });
    expect(flagged.items[0]!.message).toMatch(
      /^ticket moved out of scope on Jira Service Management; the link is flagged/,
    );
    // unlink and close raise no error.
    expect((await api<ErrorsPage>(stack, '/errors?connection=fs-cw')).items).toEqual([]);
    expect((await api<ErrorsPage>(stack, `/errors?connection=jsm-cw&link=${unlinkLink.id}`)).items).toEqual([]);

    // Nothing comes back on either side: edit every survivor, then poll and reconcile.
    await v.jira.update(jiraUnlinked, { summary: 'Still open on the Jira side' });
    await v.jira.update(jiraFlagged, { summary: 'Service request now' });
    await v.fs.update(fsUntagged, { subject: 'Handled internally now' });
    await v.fs.update(fsClosed, { subject: 'Closed after the MSP deleted its copy' });
    await v.cw.update(flagLink.bId, { summary: 'MSP copy of the service request', status: 'In Progress' });
    await v.cw.update(unscopeLink.bId, { summary: 'MSP copy of an internal ticket' });
    await pollRoundsAndReconcile(stack);

    const after = await census(v, config);
    expect(after).toEqual({ ...before, cw: before.cw - 2 });
    expect((await stack.daemon.ledger.listLinks({})).total).toBe(5);
    expect(await states()).toEqual(['closed', 'unlinked', 'flagged', 'unlinked', 'active']);
    // The unlinked and flagged twins kept their own edits: nothing was mirrored across.
    expect((await v.cw.get(flagLink.bId))?.summary).toBe('MSP copy of the service request');
    expect((await v.jira.get(jiraFlagged)).summary).toBe('Service request now');
    expect((await v.cw.get(unscopeLink.bId))?.summary).toBe('MSP copy of an internal ticket');
    expect((await v.fs.get(fsUntagged)).summary).toBe('Handled internally now');
  }, 120_000);
});
