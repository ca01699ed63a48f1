// The first sync and a lost ledger: initialSync decides which tickets that already exist get a
// twin, the first round lists both sides before any create so a twin made by an earlier run is
// linked (never duplicated), it reports its progress, and steady state searches no marker.
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import type { FirstSyncProgress } from '../../src/core/engine.js';
import { SqliteLedger } from '../../src/core/ledger/sqlite/index.js';
import { legacyAttachmentMarker, tagFileName } from '../../src/core/marker.js';
import { markerWithoutLedger, rebuildConnection } from '../../src/core/rebuild.js';
import { initialSyncRefusal } from '../../src/core/sync/create.js';
import type { Ticket } from '../../src/core/types.js';
import { ConnectionConfig, type FieldConfig } from '../../src/mapping/schema.js';
import { ManualClock } from '../helpers/manual-clock.js';
import { harness, summary } from './fixtures.js';

const DAY = 86_400_000;
const status: FieldConfig = { name: 'status', a: 'status', b: 'status', owner: 'both' };
const dirs: string[] = [];
const files = { attachments: { aToB: 'public' as const, bToA: 'public' as const, deny: [] } };

/** An empty ledger whose next link id is not the one the lost ledger gave (ids count from 1). */
async function emptyLedgerWithOtherIds(): Promise<SqliteLedger> {
  const ledger = new SqliteLedger({ path: ':memory:' });
  for (let i = 0; i < 3; i++) await ledger.commit({ connection: 'elsewhere', newLink: { aId: `x${i}`, bId: `y${i}` } });
  return ledger;
}
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

describe('initialSync', () => {
  it('takes only open tickets that existed before the first sync; a ticket created later follows the create rules', async () => {
    const clock = new ManualClock(Date.now() - DAY);
    const h = harness({ fields: [summary, status], systemA: { clock }, systemB: { clock } });
    h.a.userCreate({ subject: 'open one', status: 'Open' });
    h.a.userCreate({ subject: 'closed long ago', status: 'Closed' });
    h.b.userCreate({ summary: 'open on b', status: 'Open' });
    await h.pollBoth();
    expect([...h.b.tickets.values()].map((t) => t.fields.summary).sort()).toEqual(['open on b', 'open one']);
    expect([...h.a.tickets.values()].map((t) => t.fields.subject).sort()).toEqual([
      'closed long ago',
      'open on b',
      'open one',
    ]);

    clock.advance(2 * DAY);
    h.a.userCreate({ subject: 'born closed after go-live', status: 'Closed' });
    await h.pollBoth();
    expect([...h.b.tickets.values()].map((t) => t.fields.summary)).toContain('born closed after go-live');
  });

  it('records when the first sync began as the daemon starts, before its first poll round can run', async () => {
    const clock = new ManualClock(Date.parse('2026-11-30T10:00:00.400Z'));
    const ledger = new SqliteLedger({ path: ':memory:', clock });
    const h = harness({ fields: [summary, status], ledger, engine: { clock } });
    expect(await ledger.firstSync('test')).toBeNull();
    await h.engine.start();
    // A run killed right now (intent recovery or the first listing still under way) has begun the
    // first sync: a ticket created after this moment is new to the next run, not "existed before".
    expect((await ledger.firstSync('test'))?.startedAt).toBe('2026-11-30T10:00:00.400Z');
    await h.engine.stop();
  });

  it("counts a ticket created in the minutes around the first sync's start as new (the system's clock is not the daemon's)", () => {
    const config = ConnectionConfig.parse({ a: { system: 'x' }, b: { system: 'y' }, fields: [summary] });
    const born = (createdAt: string): Ticket => ({
      id: '1',
      version: createdAt,
      fields: {},
      inScope: true,
      closed: true,
      createdAt,
    });
    const started = Date.parse('2026-11-30T10:00:00.400Z');
    expect(initialSyncRefusal(config, born('2026-11-30T10:00:00Z'), started)).toBeNull();
    expect(initialSyncRefusal(config, born('2026-11-30T09:59:40Z'), started)).toBeNull(); // a system 20 s behind
    expect(initialSyncRefusal(config, born('2026-11-30T09:54:00Z'), started)).toBe(
      'closed before the first sync (initialSync.openOnly)',
    );
  });

  it('takes closed tickets too with openOnly: false, and none created before createdAfter', async () => {
    const clock = new ManualClock(Date.parse('2026-03-01T00:00:00Z'));
    const h = harness({
      fields: [summary, status],
      systemA: { clock },
      connection: { initialSync: { openOnly: false, createdAfter: '2026-03-05' } },
    });
    h.a.userCreate({ subject: 'before the cut-off', status: 'Open' });
    clock.advance(10 * DAY);
    h.a.userCreate({ subject: 'after, closed', status: 'Closed' });
    h.a.userCreate({ subject: 'after, open', status: 'Open' });
    await h.pollBoth();
    expect([...h.b.tickets.values()].map((t) => t.fields.summary).sort()).toEqual(['after, closed', 'after, open']);
  });
});

describe('a lost ledger', () => {
  async function synced() {
    const h = harness({ fields: [summary, status] });
    const a1 = h.a.userCreate({ subject: 'from a', status: 'Open' });
    h.a.userComment(a1, 'first words', 'public');
    const b1 = h.b.userCreate({ summary: 'from b', status: 'Open' });
    await h.pollBoth();
    expect(h.a.tickets.size).toBe(2);
    expect(h.b.tickets.size).toBe(2);
    return { h, a1, b1 };
  }

  it('links the twins of an earlier run by their markers on an empty ledger: no new twin, no comment copied twice', async () => {
    const { h, a1 } = await synced();
    const writes = h.writes();
    const fresh = h.restart({ ledger: new SqliteLedger({ path: ':memory:' }) });
    const search = vi.spyOn(fresh.connectorB, 'findByMarker');
    await fresh.pollBoth();
    expect(h.a.tickets.size).toBe(2);
    expect(h.b.tickets.size).toBe(2);
    expect(h.writes()).toBe(writes);
    expect(search).not.toHaveBeenCalled(); // the listings carried the markers
    const links = await fresh.ledger.listLinks({});
    expect(links.total).toBe(2);
    const adopted = await fresh.ledger.listEvents({ kind: 'link_adopted' });
    expect(adopted.total).toBe(2);
    const twin = links.items.find((l) => l.aId === a1)!;
    h.a.userEdit(a1, { subject: 'edited after the loss' });
    await fresh.pollBoth();
    expect(h.b.mustGet(twin.bId).fields.summary).toBe('edited after the loss');
    expect(h.b.mustGet(twin.bId).comments).toHaveLength(1);
    await fresh.close();
  });

  it('uploads no file again on either side after the loss: a copied file is known by its source, not its link', async () => {
    const h = harness({ fields: [summary, status], connection: files });
    const a1 = h.a.userCreate({ subject: 'with files', status: 'Open' });
    await h.pollBoth();
    const [link] = (await h.ledger.listLinks({})).items;
    h.a.userAttach(a1, { name: 'shot.png', bytes: Buffer.from('png'), contentType: 'image/png' });
    h.b.userAttach(link!.bId, { name: 'log.txt', bytes: Buffer.from('log'), contentType: 'text/plain' });
    await h.pollBoth();
    await h.pollBoth();
    expect(h.a.counters.uploads + h.b.counters.uploads).toBe(2);

    const fresh = h.restart({ ledger: await emptyLedgerWithOtherIds() });
    await fresh.pollBoth();
    await fresh.pollBoth();
    expect(h.a.counters.uploads + h.b.counters.uploads).toBe(2);
    expect(h.a.mustGet(a1).files).toHaveLength(2);
    expect(h.b.mustGet(link!.bId).files).toHaveLength(2);
    const relinked = await fresh.ledger.findLink('test', 'a', a1);
    expect(relinked?.id).not.toBe(link!.id);
    const rebuilt = await emptyLedgerWithOtherIds();
    await rebuilt.commit({ connection: 'elsewhere', newLink: { aId: 'x9', bId: 'y9' } });
    await rebuildConnection(rebuilt, fresh.engine.connections.get('test')!);
    const again = fresh.restart({ ledger: rebuilt });
    await again.pollBoth();
    expect(h.a.counters.uploads + h.b.counters.uploads).toBe(2);
    await again.close();
  });

  it('writes no second note after the loss for a file that may not cross', async () => {
    const h = harness({ fields: [summary, status], connection: files, systemB: { maxFileBytes: 1000 } });
    const a1 = h.a.userCreate({ subject: 'too big to cross', status: 'Open' });
    await h.pollBoth();
    const [link] = (await h.ledger.listLinks({})).items;
    h.a.userAttach(a1, { name: 'huge.iso', bytes: Buffer.alloc(1001), visibility: 'public' });
    await h.pollBoth();
    const notes = () => h.b.mustGet(link!.bId).comments.filter((c) => c.body.includes('huge.iso'));
    expect(notes()).toHaveLength(1);

    const fresh = h.restart({ ledger: await emptyLedgerWithOtherIds() });
    await fresh.pollBoth();
    await fresh.pollBoth();
    expect(notes()).toHaveLength(1);
    expect(h.b.counters.uploads).toBe(0);
    await fresh.close();
  });

  it('recognises a file copied under the older link-tagged name when a copied comment names that link', async () => {
    const h = harness({ fields: [summary, status], connection: files });
    const a1 = h.a.userCreate({ subject: 'copied before', status: 'Open' });
    h.a.userComment(a1, 'see the file', 'public');
    await h.pollBoth();
    const [link] = (await h.ledger.listLinks({})).items;
    const file = h.a.userAttach(a1, { name: 'shot.png', bytes: Buffer.from('png'), contentType: 'image/png' });
    // The copy as an earlier version made it: its tag stands for a marker that names the link.
    const tagged = tagFileName('shot.png', legacyAttachmentMarker('test', link!.id, 'a', file));
    h.b.userAttach(link!.bId, { name: tagged, bytes: Buffer.from('png'), contentType: 'image/png' });
    await h.pollBoth();
    expect(h.a.counters.uploads + h.b.counters.uploads).toBe(0);

    const fresh = h.restart({ ledger: await emptyLedgerWithOtherIds() });
    await fresh.pollBoth();
    await fresh.pollBoth();
    expect(h.a.counters.uploads + h.b.counters.uploads).toBe(0);
    expect(h.b.mustGet(link!.bId).files).toHaveLength(1);
    expect(h.a.mustGet(a1).files).toHaveLength(1);
    await fresh.close();
  });

  it('restoring an older backup duplicates nothing made after it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tb-backup-'));
    dirs.push(dir);
    const path = join(dir, 'ledger.sqlite');
    const h = harness({ fields: [summary, status], ledger: new SqliteLedger({ path }) });
    h.a.userCreate({ subject: 'before the backup', status: 'Open' });
    await h.pollBoth();
    await h.ledger.close();
    copyFileSync(path, join(dir, 'backup.sqlite'));
    const running = h.restart({ ledger: new SqliteLedger({ path }) });
    const a2 = h.a.userCreate({ subject: 'after the backup', status: 'Open' });
    h.a.userComment(a2, 'said after the backup', 'public');
    h.b.userCreate({ summary: 'also after the backup', status: 'Open' });
    await running.pollBoth();
    expect(h.b.tickets.size).toBe(3);
    expect(h.a.tickets.size).toBe(3);
    await running.ledger.close();

    const restored = h.restart({ ledger: new SqliteLedger({ path: join(dir, 'backup.sqlite') }) });
    const creates = h.a.counters.creates + h.b.counters.creates;
    const comments = h.a.counters.comments + h.b.counters.comments;
    await restored.pollBoth();
    expect(h.a.counters.creates + h.b.counters.creates).toBe(creates);
    expect(h.a.counters.comments + h.b.counters.comments).toBe(comments);
    expect((await restored.ledger.listLinks({})).total).toBe(3);
    await restored.close();
  });

  it('searches the marker on a side whose listing failed in the first round, and links what it finds', async () => {
    const { h, a1 } = await synced();
    const fresh = h.restart({ ledger: new SqliteLedger({ path: ':memory:' }) });
    const listB = fresh.connectorB.listChanged.bind(fresh.connectorB);
    let failures = 1;
    fresh.connectorB.listChanged = (options) => {
      if (failures-- > 0) throw new Error('ConnectWise listing failed');
      return listB(options);
    };
    const search = vi.spyOn(fresh.connectorB, 'findByMarker');
    const creates = h.a.counters.creates + h.b.counters.creates;
    await fresh.pollBoth();
    expect(search).toHaveBeenCalledWith(`tb:test:a${a1}`);
    expect(h.a.counters.creates + h.b.counters.creates).toBe(creates);
    expect((await fresh.ledger.findLink('test', 'a', a1))?.state).toBe('active');
    await fresh.close();
  });

  it('plans no create for a ticket whose twin is listed with its marker (the dry run after a loss)', async () => {
    const { h } = await synced();
    const fresh = h.restart({ ledger: new SqliteLedger({ path: ':memory:' }) });
    expect((await fresh.engine.plan()).filter((p) => p.action === 'create')).toEqual([]);
    h.a.userCreate({ subject: 'really new', status: 'Open' });
    expect((await fresh.engine.plan()).filter((p) => p.action === 'create')).toHaveLength(1);
    await fresh.close();
  });

  it('rebuilds every link from the markers once; a second rebuild finds them linked', async () => {
    const { h } = await synced();
    const before = (await h.ledger.listLinks({})).items.map((l) => `${l.aId}:${l.bId}`).sort();
    const empty = new SqliteLedger({ path: ':memory:' });
    const rt = h.engine.connections.get('test')!;
    const steps: string[] = [];
    const first = await rebuildConnection(empty, rt, (p) => steps.push(p.phase));
    expect(first).toMatchObject({ linked: 2, alreadyLinked: 0, sourceMissing: 0, twins: 2, listed: { a: 2, b: 2 } });
    expect(steps).toContain('listing');
    expect(steps.at(-1)).toBe('linking');
    expect((await empty.listLinks({})).items.map((l) => `${l.aId}:${l.bId}`).sort()).toEqual(before);
    expect(await rebuildConnection(empty, rt)).toMatchObject({ linked: 0, alreadyLinked: 2 });
    await empty.close();
  });

  it('calls a ledger lost only when it never synced the connection: no link, no intent, no first sync begun', async () => {
    const { h } = await synced();
    const empty = new SqliteLedger({ path: ':memory:' });
    const rt = h.engine.connections.get('test')!;
    const found = await markerWithoutLedger(empty, rt);
    expect(found?.marker).toMatch(/^tb:test:[ab]\d+$/);
    expect(await markerWithoutLedger(h.ledger, rt)).toBeNull();
    await empty.startFirstSync('test'); // a first sync stopped before its first link
    expect(await markerWithoutLedger(empty, rt)).toBeNull();
    await empty.close();
  });

  it('searches no marker in steady state: only the first round after a start looks for twins', async () => {
    const { h } = await synced();
    const search = vi.spyOn(h.connectorB, 'findByMarker');
    h.a.userCreate({ subject: 'a new incident', status: 'Open' });
    await h.pollBoth();
    expect(h.b.tickets.size).toBe(3);
    expect(search).not.toHaveBeenCalled();
  });
});

describe('first sync progress', () => {
  it('counts the tickets both listings found and the passes run, and says so in one line', async () => {
    const seen: FirstSyncProgress[] = [];
    const h = harness({ fields: [summary, status], engine: { firstSyncProgress: (p) => seen.push(p) } });
    for (let i = 0; i < 3; i++) h.a.userCreate({ subject: `a${i}`, status: 'Open' });
    h.b.userCreate({ summary: 'b0', status: 'Open' });
    expect((await h.engine.status())[0]?.firstSync).toBeNull();
    await h.pollBoth();
    expect(seen[0]).toMatchObject({ kind: 'first sync', state: 'syncing', total: 4, done: 0 });
    expect(seen.map((p) => p.done)).toEqual([0, 1, 2, 3, 4, 4]);
    expect(seen.find((p) => p.done === 2)?.text).toMatch(
      /^test first sync: 2 of 4 tickets, (under a minute|about \d+ min) left$/,
    );
    const [connection] = await h.engine.status();
    expect(connection?.firstSync).toMatchObject({ kind: 'first sync', state: 'done', total: 4, done: 4 });
    expect(await h.ledger.firstSync('test')).toMatchObject({ finishedAt: expect.any(String) });
  });
});
