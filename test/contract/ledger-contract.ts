// The ledger contract suite: SQLite and PostgreSQL run the same behaviour tests of every Ledger
// method, in the words of src/core/ledger/types.ts. Each test gets a fresh, empty ledger.
//
// Usage, in src/core/ledger/<driver>/<driver>.contract*.test.ts:
//
//   describeLedgerContract('sqlite :memory:', async () => new SqliteLedger({ path: ':memory:' }),
//     (ledger) => ledger.close(), { claims: 'single-instance' });
//
// `claims` declares the driver's lease semantics: 'single-instance' (one daemon owns the ledger,
// claim() always grants) or 'leases' (a second owner is refused while a lease is live).
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type {
  EventFilter,
  Baseline,
  CommentMapEntry,
  Intent,
  Ledger,
  NewError,
  NewEvent,
  PassCommit,
  TicketCandidate,
} from '../../src/core/ledger/types.js';
import type { JsonValue, Side } from '../../src/core/types.js';

export interface LedgerContractOptions {
  claims: 'single-instance' | 'leases';
}

const C = 'conn-one';
const OTHER = 'conn-two';

/** Values JSON can hold that drivers like to mangle: quotes, backslashes, braces, unicode, nesting. */
const AWKWARD: JsonValue = {
  text: 'he said "hi" \\ {braces}, [brackets]',
  nested: { list: [1, 'two', null, true, { deep: 'ünïcødé ✓' }] },
  empty: '',
  zero: 0,
};

function event(overrides: Partial<NewEvent> = {}): NewEvent {
  return {
    connection: C,
    linkId: null,
    side: 'a',
    field: 'status',
    kind: 'field_mirrored',
    oldValue: 'Open',
    newValue: 'Closed',
    reason: 'a changed status; mirrored to b',
    ...overrides,
  };
}

function error(overrides: Partial<NewError> = {}): NewError {
  return {
    connection: C,
    linkId: null,
    side: 'a',
    ticketId: 'T1',
    code: 'remote_validation',
    message: 'status rejected',
    retryable: false,
    ...overrides,
  };
}

const byKey = (c: CommentMapEntry): string => `${c.side}:${c.commentId}`;
const sortComments = (list: CommentMapEntry[]): CommentMapEntry[] =>
  [...list].sort((x, y) => byKey(x).localeCompare(byKey(y)));

export function describeLedgerContract(
  name: string,
  makeLedger: () => Promise<Ledger>,
  cleanup: (ledger: Ledger) => Promise<void>,
  options: LedgerContractOptions,
): void {
  describe(`ledger contract: ${name}`, () => {
    let ledger: Ledger;

    beforeEach(async () => {
      ledger = await makeLedger();
    });
    afterEach(async () => {
      await cleanup(ledger);
    });

    async function link(aId: string, bId: string, connection = C): Promise<string> {
      const id = await ledger.commit({ connection, newLink: { aId, bId } });
      if (id === null) throw new Error('commit with newLink returned no id');
      return id;
    }

    async function intent(
      sourceId: string,
      overrides: Partial<Omit<Intent, 'id' | 'createdAt'>> = {},
    ): Promise<Intent> {
      const added = await ledger.addIntent({
        connection: C,
        kind: 'create',
        targetSide: 'b',
        sourceId,
        linkId: null,
        marker: `tb:${C}:a${sourceId}`,
        ...overrides,
      });
      if (!added) throw new Error(`intent for ${sourceId} already existed`);
      return added;
    }

    describe('lifecycle', () => {
      it('answers ping and migrates again without losing data', async () => {
        const id = await link('A1', 'B1');
        await ledger.ping();
        await ledger.migrate();
        expect((await ledger.getLink(id))?.aId).toBe('A1');
      });
    });

    describe('links', () => {
      it('creates an active link through commit and returns its id as a string', async () => {
        const id = await link('A1', 'B1');
        expect(typeof id).toBe('string');
        const got = await ledger.getLink(id);
        expect(got).toMatchObject({
          id,
          connection: C,
          aId: 'A1',
          bId: 'B1',
          state: 'active',
          aVersion: null,
          bVersion: null,
          note: null,
        });
        expect(Number.isNaN(Date.parse(got!.createdAt))).toBe(false);
        expect(Number.isNaN(Date.parse(got!.updatedAt))).toBe(false);
      });

      it('hands out a distinct id to every new link', async () => {
        const ids = [await link('A1', 'B1'), await link('A2', 'B2'), await link('A3', 'B3')];
        expect(new Set(ids).size).toBe(3);
      });

      it('refuses a second link for the same a-side ticket of a connection and keeps the first', async () => {
        const first = await link('A1', 'B1');
        await expect(ledger.commit({ connection: C, newLink: { aId: 'A1', bId: 'B2' } })).rejects.toThrow();
        expect((await ledger.listLinks({})).total).toBe(1);
        expect((await ledger.findLink(C, 'a', 'A1'))?.id).toBe(first);
        expect(await ledger.findLink(C, 'b', 'B2')).toBeNull();
      });

      it('refuses a second link for the same b-side ticket of a connection', async () => {
        await link('A1', 'B1');
        await expect(ledger.commit({ connection: C, newLink: { aId: 'A2', bId: 'B1' } })).rejects.toThrow();
        expect((await ledger.listLinks({})).total).toBe(1);
      });

      it('allows the same ticket ids on another connection, and the same id on opposite sides', async () => {
        await link('X', 'Y');
        await link('X', 'Y', OTHER);
        await link('Y', 'X');
        expect((await ledger.listLinks({})).total).toBe(3);
      });

      it('finds a link by either side within its connection only', async () => {
        const id = await link('A1', 'B1');
        expect((await ledger.findLink(C, 'a', 'A1'))?.id).toBe(id);
        expect((await ledger.findLink(C, 'b', 'B1'))?.id).toBe(id);
        expect(await ledger.findLink(C, 'b', 'A1')).toBeNull();
        expect(await ledger.findLink(C, 'a', 'B1')).toBeNull();
        expect(await ledger.findLink(OTHER, 'a', 'A1')).toBeNull();
      });

      it('answers null for a link that does not exist', async () => {
        expect(await ledger.getLink('987654')).toBeNull();
        expect(await ledger.getLink('not-an-id')).toBeNull();
        expect(await ledger.snapshot('987654')).toBeNull();
      });

      it('records state, note and each side version independently', async () => {
        const id = await link('A1', 'B1');
        await ledger.commit({ connection: C, linkId: id, versions: { a: '2024-05-01T10:00:00.000Z' } });
        expect(await ledger.getLink(id)).toMatchObject({ aVersion: '2024-05-01T10:00:00.000Z', bVersion: null });
        await ledger.commit({ connection: C, linkId: id, versions: { b: 'v7' } });
        expect(await ledger.getLink(id)).toMatchObject({
          aVersion: '2024-05-01T10:00:00.000Z',
          bVersion: 'v7',
          state: 'active',
        });
        await ledger.commit({ connection: C, linkId: id, linkState: { state: 'flagged', note: 'deleted on b' } });
        expect(await ledger.getLink(id)).toMatchObject({
          state: 'flagged',
          note: 'deleted on b',
          aVersion: '2024-05-01T10:00:00.000Z',
          bVersion: 'v7',
        });
        await ledger.commit({ connection: C, linkId: id, linkState: { state: 'active', note: null } });
        expect(await ledger.getLink(id)).toMatchObject({ state: 'active', note: null });
      });

      it("keeps each side's connector memo, changing only the side a commit names", async () => {
        const id = await ledger.commit({ connection: C, newLink: { aId: '1', bId: '2' }, memos: { b: { note: 55 } } });
        expect(await ledger.getLink(id!)).toMatchObject({ aMemo: null, bMemo: { note: 55 } });
        await ledger.commit({ connection: C, linkId: id!, memos: { a: 'seen' } });
        expect(await ledger.getLink(id!)).toMatchObject({ aMemo: 'seen', bMemo: { note: 55 } });
        await ledger.commit({ connection: C, linkId: id!, memos: { b: { note: 56, list: [1, 'x'] } } });
        expect((await ledger.snapshot(id!))!.link).toMatchObject({
          aMemo: 'seen',
          bMemo: { note: 56, list: [1, 'x'] },
        });
      });

      it("keeps each side's ticket key current, and a side without one as it was", async () => {
        const id = await ledger.commit({ connection: C, newLink: { aId: '10034', bId: '77' }, keys: { a: 'IT-12' } });
        expect(await ledger.getLink(id!)).toMatchObject({ aKey: 'IT-12', bKey: null });
        await ledger.commit({ connection: C, linkId: id!, keys: {} });
        expect(await ledger.getLink(id!)).toMatchObject({ aKey: 'IT-12', bKey: null });
        await ledger.commit({ connection: C, linkId: id!, keys: { a: 'OPS-3' } }); // the issue moved project
        const moved = await ledger.getLink(id!);
        expect(moved).toMatchObject({ aId: '10034', aKey: 'OPS-3', bKey: null });
        expect((await ledger.listLinks({ connection: C })).items.find((l) => l.id === id)).toMatchObject({
          aKey: 'OPS-3',
        });
      });
    });

    describe('snapshot', () => {
      it('returns the link with its baselines and comment map', async () => {
        const id = await link('A1', 'B1');
        const baselines: Record<string, Baseline> = {
          status: { a: 'Open', b: 2 },
          tags: { a: ['x', 'y'], b: AWKWARD },
          assignee: { a: null, b: null },
        };
        const comments: CommentMapEntry[] = [
          { side: 'a', commentId: 'c1', role: 'copied', twinId: '900', visibility: 'public' },
          { side: 'b', commentId: '900', role: 'mirror', twinId: 'c1', visibility: 'public' },
          { side: 'b', commentId: '901', role: 'skipped', twinId: null, visibility: 'internal' },
        ];
        await ledger.commit({ connection: C, linkId: id, baselines, comments, versions: { a: 'va', b: 'vb' } });
        const snap = await ledger.snapshot(id);
        expect(snap?.link).toMatchObject({ id, aId: 'A1', bId: 'B1', aVersion: 'va', bVersion: 'vb' });
        expect(snap?.baselines).toEqual(baselines);
        expect(sortComments(snap!.comments)).toEqual(sortComments(comments));
      });

      it('keeps the attachment map per (side, file), the last entry for a file winning', async () => {
        const id = await link('A1', 'B1');
        expect((await ledger.snapshot(id))?.attachments).toEqual([]);
        await ledger.commit({
          connection: C,
          linkId: id,
          attachments: [
            { side: 'a', attachmentId: 'f1', role: 'refused', twinId: null, visibility: 'internal' },
            { side: 'b', attachmentId: 'f9', role: 'skipped', twinId: null, visibility: 'internal' },
          ],
        });
        await ledger.commit({
          connection: C,
          linkId: id,
          attachments: [
            { side: 'a', attachmentId: 'f1', role: 'copied', twinId: '77', visibility: 'internal' },
            { side: 'b', attachmentId: '77', role: 'mirror', twinId: 'f1', visibility: 'internal' },
          ],
        });
        expect((await ledger.snapshot(id))?.attachments).toEqual([
          { side: 'a', attachmentId: 'f1', role: 'copied', twinId: '77', visibility: 'internal' },
          { side: 'b', attachmentId: '77', role: 'mirror', twinId: 'f1', visibility: 'internal' },
          { side: 'b', attachmentId: 'f9', role: 'skipped', twinId: null, visibility: 'internal' },
        ]);
      });

      it('returns empty baselines and comments for a new link', async () => {
        const id = await link('A1', 'B1');
        expect(await ledger.snapshot(id)).toMatchObject({ baselines: {}, comments: [] });
      });

      it('upserts baselines per field and comment entries per (side, comment)', async () => {
        const id = await link('A1', 'B1');
        await ledger.commit({
          connection: C,
          linkId: id,
          baselines: { status: { a: 'Open', b: 2 }, priority: { a: 'High', b: 3 } },
          comments: [{ side: 'a', commentId: 'c1', role: 'skipped', twinId: null, visibility: 'internal' }],
        });
        await ledger.commit({
          connection: C,
          linkId: id,
          baselines: { status: { a: 'Closed', b: 5 }, summary: { a: 'x', b: 'x' } },
          comments: [
            { side: 'a', commentId: 'c1', role: 'copied', twinId: 'c9', visibility: 'internal' },
            { side: 'b', commentId: 'c1', role: 'mirror', twinId: 'c1', visibility: 'public' },
          ],
        });
        const snap = await ledger.snapshot(id);
        expect(snap?.baselines).toEqual({
          status: { a: 'Closed', b: 5 },
          priority: { a: 'High', b: 3 },
          summary: { a: 'x', b: 'x' },
        });
        expect(sortComments(snap!.comments)).toEqual([
          { side: 'a', commentId: 'c1', role: 'copied', twinId: 'c9', visibility: 'internal' },
          { side: 'b', commentId: 'c1', role: 'mirror', twinId: 'c1', visibility: 'public' },
        ]);
      });

      it('keeps the last entry when one commit lists the same comment twice', async () => {
        const id = await link('A1', 'B1');
        await ledger.commit({
          connection: C,
          linkId: id,
          comments: [
            { side: 'a', commentId: 'c1', role: 'skipped', twinId: null, visibility: 'public' },
            { side: 'a', commentId: 'c1', role: 'copied', twinId: 'c2', visibility: 'public' },
          ],
        });
        expect((await ledger.snapshot(id))?.comments).toEqual([
          { side: 'a', commentId: 'c1', role: 'copied', twinId: 'c2', visibility: 'public' },
        ]);
      });

      it('keeps each link’s baselines and comments apart', async () => {
        const one = await link('A1', 'B1');
        const two = await link('A2', 'B2');
        await ledger.commit({
          connection: C,
          linkId: one,
          baselines: { status: { a: 1, b: 1 } },
          comments: [{ side: 'a', commentId: 'c1', role: 'skipped', twinId: null, visibility: 'public' }],
        });
        expect(await ledger.snapshot(two)).toMatchObject({ baselines: {}, comments: [] });
      });
    });

    describe('commit is atomic', () => {
      /** Everything a commit can touch, to compare before and after a failed one. */
      async function state(linkId: string, intentId: string): Promise<unknown> {
        return {
          snapshot: await ledger.snapshot(linkId),
          counts: await ledger.counts(),
          links: (await ledger.listLinks({})).items,
          events: (await ledger.listEvents({ limit: 1000 })).items,
          conflicts: await ledger.listConflicts({}),
          errors: await ledger.listErrors({}),
          pending: (await ledger.pendingIntents()).map((i) => i.id),
          intentId,
        };
      }

      /** A link with a baseline, an open conflict, an open error and a pending intent. */
      async function arrange(): Promise<{ linkId: string; intentId: string; conflictId: string }> {
        const linkId = await link('A1', 'B1');
        await ledger.commit({
          connection: C,
          linkId,
          versions: { a: 'v1', b: 'v1' },
          baselines: { status: { a: 'Open', b: 'Open' } },
          openConflicts: [{ field: 'priority', aValue: 1, bValue: 2, baseline: { a: 0, b: 0 } }],
        });
        await ledger.recordError(error({ linkId, ticketId: 'A1' }));
        const conflictId = (await ledger.listConflicts({ linkId }))[0]!.id;
        const intentId = (await intent('S1')).id;
        return { linkId, intentId, conflictId };
      }

      function everything(linkId: string, intentId: string, conflictId: string): PassCommit {
        return {
          connection: C,
          linkId,
          linkState: { state: 'flagged', note: 'should not land' },
          versions: { a: 'v2', b: 'v2' },
          baselines: { status: { a: 'Closed', b: 'Closed' }, summary: { a: 's', b: 's' } },
          comments: [{ side: 'a', commentId: 'c1', role: 'copied', twinId: 'c2', visibility: 'public' }],
          openConflicts: [{ field: 'summary', aValue: 'x', bValue: 'y', baseline: { a: 'w', b: 'w' } }],
          closeConflicts: [{ id: conflictId, resolution: 'should not land' }],
          intentsDone: [intentId],
          resolveErrorsFor: { linkId },
          events: [event({ linkId })],
        };
      }

      it('writes nothing when the new link duplicates an existing one', async () => {
        const { linkId, intentId, conflictId } = await arrange();
        const before = await state(linkId, intentId);
        const pass = { ...everything(linkId, intentId, conflictId), newLink: { aId: 'A1', bId: 'B-new' } };
        delete pass.linkId;
        await expect(ledger.commit(pass)).rejects.toThrow();
        expect(await state(linkId, intentId)).toEqual(before);
      });

      it('writes nothing when rows point at a link that does not exist (foreign key)', async () => {
        const { linkId, intentId, conflictId } = await arrange();
        const before = await state(linkId, intentId);
        const { linkState: _unused, ...rest } = everything(linkId, intentId, conflictId);
        await expect(ledger.commit({ ...rest, linkId: '987654' })).rejects.toThrow();
        expect(await state(linkId, intentId)).toEqual(before);
      });

      it('rolls back every earlier write when the last statement of the pass fails', async () => {
        const { linkId, intentId, conflictId } = await arrange();
        const before = await state(linkId, intentId);
        // An event without a reason violates NOT NULL; both drivers write events after everything
        // else, so this fails after the link, baselines, comments, conflicts and intents changed.
        const broken = event({ linkId, reason: null as unknown as string });
        await expect(
          ledger.commit({ ...everything(linkId, intentId, conflictId), events: [event({ linkId }), broken] }),
        ).rejects.toThrow();
        expect(await state(linkId, intentId)).toEqual(before);
      });

      it('creates no link when a create pass fails after inserting it', async () => {
        const { intentId } = await arrange();
        await expect(
          ledger.commit({
            connection: C,
            newLink: { aId: 'A9', bId: 'B9' },
            versions: { a: 'v1' },
            baselines: { status: { a: 1, b: 1 } },
            intentsDone: [intentId],
            events: [event({ kind: 'link_created' }), event({ reason: null as unknown as string })],
          }),
        ).rejects.toThrow();
        expect(await ledger.findLink(C, 'a', 'A9')).toBeNull();
        expect((await ledger.listLinks({})).total).toBe(1);
        expect((await ledger.pendingIntents()).map((i) => i.id)).toEqual([intentId]);
      });

      it('applies every part of a successful pass together', async () => {
        const { linkId, intentId, conflictId } = await arrange();
        await ledger.commit(everything(linkId, intentId, conflictId));
        expect(await ledger.getLink(linkId)).toMatchObject({
          state: 'flagged',
          note: 'should not land',
          aVersion: 'v2',
          bVersion: 'v2',
        });
        expect((await ledger.snapshot(linkId))?.baselines.status).toEqual({ a: 'Closed', b: 'Closed' });
        expect((await ledger.getConflict(conflictId))?.state).toBe('resolved');
        expect(await ledger.listConflicts({ linkId, state: 'open' })).toHaveLength(1);
        expect(await ledger.pendingIntents()).toEqual([]);
        expect(await ledger.listErrors({ state: 'open' })).toEqual([]);
      });
    });

    describe('intents', () => {
      it('records an intent and returns it with an id and creation time', async () => {
        const added = await intent('S1', { marker: 'tb:conn-one:aS1' });
        expect(added).toMatchObject({
          connection: C,
          kind: 'create',
          targetSide: 'b',
          sourceId: 'S1',
          linkId: null,
          marker: 'tb:conn-one:aS1',
        });
        expect(typeof added.id).toBe('string');
        expect(Number.isNaN(Date.parse(added.createdAt))).toBe(false);
        expect(await ledger.findIntent(C, 'create', 'b', 'S1')).toEqual(added);
      });

      it('returns null for a second intent with the same connection, kind, target side and source', async () => {
        const first = await intent('S1');
        expect(
          await ledger.addIntent({
            connection: C,
            kind: 'create',
            targetSide: 'b',
            sourceId: 'S1',
            linkId: null,
            marker: 'other marker',
          }),
        ).toBeNull();
        expect(await ledger.pendingIntents()).toEqual([first]);
      });

      it('treats a different connection, kind, target side or source as a different intent', async () => {
        const linkId = await link('A1', 'B1');
        await intent('S1');
        expect(
          await ledger.addIntent({
            connection: OTHER,
            kind: 'create',
            targetSide: 'b',
            sourceId: 'S1',
            linkId: null,
            marker: 'm',
          }),
        ).not.toBeNull();
        expect(
          await ledger.addIntent({
            connection: C,
            kind: 'comment',
            targetSide: 'b',
            sourceId: 'S1',
            linkId,
            marker: 'm',
          }),
        ).toMatchObject({ linkId });
        expect(
          await ledger.addIntent({
            connection: C,
            kind: 'create',
            targetSide: 'a',
            sourceId: 'S1',
            linkId: null,
            marker: 'm',
          }),
        ).not.toBeNull();
        expect(
          await ledger.addIntent({
            connection: C,
            kind: 'create',
            targetSide: 'b',
            sourceId: 'S2',
            linkId: null,
            marker: 'm',
          }),
        ).not.toBeNull();
        expect(await ledger.pendingIntents()).toHaveLength(5);
      });

      it('lists pending intents oldest first, optionally for one connection', async () => {
        const one = await intent('S1');
        const two = await intent('S2');
        const other = (await ledger.addIntent({
          connection: OTHER,
          kind: 'create',
          targetSide: 'a',
          sourceId: 'S3',
          linkId: null,
          marker: 'm',
        }))!;
        expect((await ledger.pendingIntents()).map((i) => i.id)).toEqual([one.id, two.id, other.id]);
        expect((await ledger.pendingIntents(C)).map((i) => i.id)).toEqual([one.id, two.id]);
        expect((await ledger.pendingIntents(OTHER)).map((i) => i.id)).toEqual([other.id]);
      });

      it('marks intents done through commit, after which they are neither pending nor reusable', async () => {
        const one = await intent('S1');
        const two = await intent('S2');
        await ledger.commit({ connection: C, intentsDone: [one.id] });
        expect((await ledger.pendingIntents()).map((i) => i.id)).toEqual([two.id]);
        expect(await ledger.findIntent(C, 'create', 'b', 'S1')).toBeNull();
        expect(
          await ledger.addIntent({
            connection: C,
            kind: 'create',
            targetSide: 'b',
            sourceId: 'S1',
            linkId: null,
            marker: 'm',
          }),
        ).toBeNull();
        expect((await ledger.counts()).pendingIntents).toBe(1);
      });

      it('drops a pending intent so the same write can be intended again', async () => {
        const one = await intent('S1');
        await ledger.dropIntent(one.id);
        expect(await ledger.pendingIntents()).toEqual([]);
        expect(await ledger.findIntent(C, 'create', 'b', 'S1')).toBeNull();
        const again = await intent('S1');
        expect(again.id).not.toBe(one.id);
      });

      it('does not drop an intent that is already done', async () => {
        const one = await intent('S1');
        await ledger.commit({ connection: C, intentsDone: [one.id] });
        await ledger.dropIntent(one.id);
        expect(
          await ledger.addIntent({
            connection: C,
            kind: 'create',
            targetSide: 'b',
            sourceId: 'S1',
            linkId: null,
            marker: 'm',
          }),
        ).toBeNull();
      });

      it('gives exactly one of many concurrent callers the intent', async () => {
        const results = await Promise.all(
          Array.from({ length: 8 }, () =>
            ledger.addIntent({
              connection: C,
              kind: 'comment',
              targetSide: 'a',
              sourceId: '7:b:c1',
              linkId: null,
              marker: 'm',
            }),
          ),
        );
        expect(results.filter((r) => r !== null)).toHaveLength(1);
      });
    });

    describe('events', () => {
      it('lists events newest first with the total count', async () => {
        await ledger.appendEvents([event({ reason: 'first' }), event({ reason: 'second' })]);
        await ledger.appendEvents([event({ reason: 'third' })]);
        const page = await ledger.listEvents({});
        expect(page.items.map((e) => e.reason)).toEqual(['third', 'second', 'first']);
        expect(page).toMatchObject({ total: 3, offset: 0 });
      });

      it('pages with offset and limit while the total counts every match', async () => {
        await ledger.appendEvents(Array.from({ length: 7 }, (_, i) => event({ reason: `e${i}` })));
        const page = await ledger.listEvents({ offset: 2, limit: 3 });
        expect(page.items.map((e) => e.reason)).toEqual(['e4', 'e3', 'e2']);
        expect(page).toMatchObject({ total: 7, offset: 2, limit: 3 });
        expect((await ledger.listEvents({ offset: 6, limit: 3 })).items.map((e) => e.reason)).toEqual(['e0']);
      });

      it('filters by connection, link and kind', async () => {
        const one = await link('A1', 'B1');
        const two = await link('A2', 'B2');
        await ledger.appendEvents([
          event({ linkId: one, kind: 'field_mirrored' }),
          event({ linkId: one, kind: 'conflict_opened' }),
          event({ linkId: two, kind: 'field_mirrored' }),
          event({ connection: OTHER, kind: 'field_mirrored' }),
        ]);
        expect((await ledger.listEvents({ connection: C })).total).toBe(3);
        expect((await ledger.listEvents({ connection: OTHER })).total).toBe(1);
        expect((await ledger.listEvents({ linkId: one })).total).toBe(2);
        expect((await ledger.listEvents({ kind: 'field_mirrored' })).total).toBe(3);
        const both = await ledger.listEvents({ connection: C, linkId: one, kind: 'conflict_opened' });
        expect(both.total).toBe(1);
        expect(both.items[0]).toMatchObject({ linkId: one, kind: 'conflict_opened' });
      });

      it('keeps every field of an event, including structured values and a given time', async () => {
        const id = await link('A1', 'B1');
        const at = '2024-03-04T05:06:07.089Z';
        await ledger.appendEvents([
          event({
            linkId: id,
            at,
            side: 'b',
            field: 'tags',
            kind: 'field_reverted',
            oldValue: AWKWARD,
            newValue: ['a', 1, null],
            reason: 'why',
          }),
        ]);
        const [got] = (await ledger.listEvents({})).items;
        expect(got).toEqual({
          id: got!.id,
          at,
          connection: C,
          linkId: id,
          side: 'b',
          field: 'tags',
          kind: 'field_reverted',
          oldValue: AWKWARD,
          newValue: ['a', 1, null],
          reason: 'why',
          data: null,
        });
        expect(typeof got!.id).toBe('string');
      });

      it('keeps the facts an event carries for the report', async () => {
        const data = { latencyMs: 1234, source: 'a', nested: AWKWARD };
        await ledger.appendEvents([event({ kind: 'field_mirrored', data })]);
        await ledger.commit({ connection: C, newLink: { aId: 'A1', bId: 'B1' }, events: [event({ data: { n: 1 } })] });
        const items = (await ledger.listEvents({ order: 'asc' })).items;
        expect(items.map((e) => e.data)).toEqual([data, { n: 1 }]);
      });

      it('filters by period: from inclusive, to exclusive, across time zones as instants', async () => {
        const times = [
          '2026-10-31T23:59:59.999Z',
          '2026-11-01T00:00:00.000Z',
          '2026-11-15T12:00:00.000Z',
          '2026-12-01T00:00:00.000Z',
        ];
        await ledger.appendEvents(times.map((at) => event({ at, reason: at })));
        const reasons = async (filter: EventFilter) => (await ledger.listEvents(filter)).items.map((e) => e.reason);
        expect(await reasons({ from: '2026-11-01T00:00:00.000Z', to: '2026-12-01T00:00:00.000Z' })).toEqual([
          times[2],
          times[1],
        ]);
        expect(await reasons({ from: '2026-11-15T13:00:00+01:00' })).toEqual([times[3], times[2]]);
        expect((await ledger.listEvents({ to: '2026-11-01T00:00:00.000Z' })).total).toBe(1);
      });

      it('reads oldest first after an id, for exports that page through every event', async () => {
        await ledger.appendEvents(Array.from({ length: 5 }, (_, i) => event({ reason: `e${i}` })));
        const first = await ledger.listEvents({ order: 'asc', limit: 2 });
        expect(first.items.map((e) => e.reason)).toEqual(['e0', 'e1']);
        const next = await ledger.listEvents({ order: 'asc', limit: 2, afterId: first.items[1]!.id });
        expect(next.items.map((e) => e.reason)).toEqual(['e2', 'e3']);
      });

      it('filters by a list of connections, an empty list matching nothing', async () => {
        await ledger.appendEvents([
          event({ connection: C }),
          event({ connection: OTHER }),
          event({ connection: 'third' }),
        ]);
        expect((await ledger.listEvents({ connections: [C, OTHER] })).total).toBe(2);
        expect((await ledger.listEvents({ connections: [] })).total).toBe(0);
      });

      it('stamps events without a time and keeps null sides, fields and values', async () => {
        await ledger.appendEvents([event({ side: null, field: null, oldValue: null, newValue: null, kind: 'resync' })]);
        const [got] = (await ledger.listEvents({})).items;
        expect(got).toMatchObject({
          side: null,
          field: null,
          oldValue: null,
          newValue: null,
          kind: 'resync',
          linkId: null,
        });
        expect(Number.isNaN(Date.parse(got!.at))).toBe(false);
      });

      it('attaches events of a commit to the commit’s link unless they name one', async () => {
        const other = await link('A0', 'B0');
        const id = await ledger.commit({
          connection: C,
          newLink: { aId: 'A1', bId: 'B1' },
          events: [event({ kind: 'link_created' }), event({ linkId: other, kind: 'resync' })],
        });
        expect((await ledger.listEvents({ linkId: id! })).items.map((e) => e.kind)).toEqual(['link_created']);
        expect((await ledger.listEvents({ linkId: other })).items.map((e) => e.kind)).toEqual(['resync']);
      });

      it('appends nothing for an empty batch', async () => {
        await ledger.appendEvents([]);
        expect((await ledger.listEvents({})).total).toBe(0);
      });
    });

    describe('cursors', () => {
      it('starts every side with an empty cursor', async () => {
        expect(await ledger.getCursor(C, 'a')).toEqual({
          connection: C,
          side: 'a',
          since: null,
          seenIds: [],
          lastPollAt: null,
          lastSuccessAt: null,
          lastError: null,
        });
      });

      it('round-trips a saved cursor and overwrites it on the next save', async () => {
        const cursor = {
          connection: C,
          side: 'b' as Side,
          since: '2024-05-01T10:00:00.000Z',
          seenIds: ['1', '2', 'a "quoted" id'],
          lastPollAt: '2024-05-01T10:01:00.000Z',
          lastSuccessAt: '2024-05-01T10:00:30.000Z',
          lastError: null,
        };
        await ledger.saveCursor(cursor);
        expect(await ledger.getCursor(C, 'b')).toEqual(cursor);
        const failed = {
          ...cursor,
          lastPollAt: '2024-05-01T10:02:00.000Z',
          lastError: 'network: connect ECONNREFUSED',
        };
        await ledger.saveCursor(failed);
        expect(await ledger.getCursor(C, 'b')).toEqual(failed);
      });

      it('keeps one cursor per connection and side', async () => {
        await ledger.saveCursor({
          connection: C,
          side: 'a',
          since: 'x',
          seenIds: ['1'],
          lastPollAt: null,
          lastSuccessAt: null,
          lastError: null,
        });
        expect((await ledger.getCursor(C, 'b')).since).toBeNull();
        expect((await ledger.getCursor(OTHER, 'a')).since).toBeNull();
        expect((await ledger.getCursor(C, 'a')).seenIds).toEqual(['1']);
      });
    });

    describe('conflicts', () => {
      const open = (
        field: string,
        aValue: JsonValue,
        bValue: JsonValue,
      ): NonNullable<PassCommit['openConflicts']>[number] => ({
        field,
        aValue,
        bValue,
        baseline: { a: 'base', b: 'base' },
      });

      it('opens a conflict with both values and the baseline', async () => {
        const id = await link('A1', 'B1');
        await ledger.commit({ connection: C, linkId: id, openConflicts: [open('status', 'Open', AWKWARD)] });
        const [conflict] = await ledger.listConflicts({});
        expect(conflict).toMatchObject({
          connection: C,
          linkId: id,
          field: 'status',
          aValue: 'Open',
          bValue: AWKWARD,
          baseline: { a: 'base', b: 'base' },
          state: 'open',
          resolvedAt: null,
          resolution: null,
        });
        expect(await ledger.getConflict(conflict!.id)).toEqual(conflict);
      });

      it('keeps one open conflict per link and field, updating its values when opened again', async () => {
        const id = await link('A1', 'B1');
        await ledger.commit({ connection: C, linkId: id, openConflicts: [open('status', 'Open', 'Pending')] });
        const [first] = await ledger.listConflicts({});
        await ledger.commit({ connection: C, linkId: id, openConflicts: [open('status', 'Resolved', 'Pending')] });
        const all = await ledger.listConflicts({});
        expect(all).toHaveLength(1);
        expect(all[0]).toMatchObject({ id: first!.id, aValue: 'Resolved', bValue: 'Pending', state: 'open' });
        await ledger.commit({ connection: C, linkId: id, openConflicts: [open('priority', 1, 2)] });
        expect(await ledger.listConflicts({ state: 'open' })).toHaveLength(2);
        expect((await ledger.counts()).openConflicts).toBe(2);
      });

      it('closes a conflict with its resolution, after which the field can conflict again', async () => {
        const id = await link('A1', 'B1');
        await ledger.commit({ connection: C, linkId: id, openConflicts: [open('status', 'Open', 'Pending')] });
        const [first] = await ledger.listConflicts({});
        await ledger.commit({ connection: C, linkId: id, closeConflicts: [{ id: first!.id, resolution: 'took a' }] });
        const closed = await ledger.getConflict(first!.id);
        expect(closed).toMatchObject({ state: 'resolved', resolution: 'took a' });
        expect(Number.isNaN(Date.parse(closed!.resolvedAt!))).toBe(false);
        await ledger.commit({ connection: C, linkId: id, openConflicts: [open('status', 'X', 'Y')] });
        expect(await ledger.listConflicts({ state: 'open' })).toMatchObject([{ field: 'status', aValue: 'X' }]);
        expect(await ledger.listConflicts({ state: 'resolved' })).toMatchObject([{ id: first!.id }]);
        expect(await ledger.getConflict(first!.id)).toMatchObject({ aValue: 'Open', state: 'resolved' });
      });

      it('does not reopen or rewrite a conflict that is already resolved', async () => {
        const id = await link('A1', 'B1');
        await ledger.commit({ connection: C, linkId: id, openConflicts: [open('status', 'Open', 'Pending')] });
        const [first] = await ledger.listConflicts({});
        await ledger.commit({ connection: C, linkId: id, closeConflicts: [{ id: first!.id, resolution: 'first' }] });
        await ledger.commit({ connection: C, linkId: id, closeConflicts: [{ id: first!.id, resolution: 'second' }] });
        expect(await ledger.getConflict(first!.id)).toMatchObject({ state: 'resolved', resolution: 'first' });
      });

      it('filters conflicts by connection, state and link, newest first', async () => {
        const one = await link('A1', 'B1');
        const two = await link('A2', 'B2');
        const three = await link('A3', 'B3', OTHER);
        await ledger.commit({
          connection: C,
          linkId: one,
          openConflicts: [open('status', 1, 2), open('priority', 1, 2)],
        });
        await ledger.commit({ connection: C, linkId: two, openConflicts: [open('status', 1, 2)] });
        await ledger.commit({ connection: OTHER, linkId: three, openConflicts: [open('status', 1, 2)] });
        const all = await ledger.listConflicts({});
        expect(all.map((c) => Number(c.id))).toEqual([...all.map((c) => Number(c.id))].sort((x, y) => y - x));
        expect(await ledger.listConflicts({ connection: OTHER })).toHaveLength(1);
        expect(await ledger.listConflicts({ linkId: one })).toHaveLength(2);
        const toClose = (await ledger.listConflicts({ linkId: two }))[0]!;
        await ledger.commit({ connection: C, linkId: two, closeConflicts: [{ id: toClose.id, resolution: 'agree' }] });
        expect(await ledger.listConflicts({ connection: C, state: 'open' })).toHaveLength(2);
        expect(await ledger.listConflicts({ connection: C, state: 'resolved' })).toMatchObject([{ id: toClose.id }]);
        expect(await ledger.getConflict('987654')).toBeNull();
      });
    });

    describe('errors', () => {
      it('records an open error with one attempt', async () => {
        const rec = await ledger.recordError(error());
        expect(rec).toMatchObject({
          connection: C,
          linkId: null,
          side: 'a',
          ticketId: 'T1',
          code: 'remote_validation',
          message: 'status rejected',
          retryable: false,
          attempts: 1,
          state: 'open',
        });
        expect(await ledger.getError(rec.id)).toEqual(rec);
      });

      it('counts a repeat of an open error with the same subject and code as another attempt', async () => {
        const first = await ledger.recordError(error({ retryable: false }));
        const again = await ledger.recordError(error({ message: 'status rejected again', retryable: true }));
        expect(again).toMatchObject({
          id: first.id,
          attempts: 2,
          message: 'status rejected again',
          retryable: true,
          state: 'open',
        });
        expect(await ledger.listErrors({})).toHaveLength(1);
      });

      it('dedupes errors about a link as well as about a lone ticket', async () => {
        const id = await link('A1', 'B1');
        const first = await ledger.recordError(error({ linkId: id, side: null, ticketId: null, code: 'network' }));
        const again = await ledger.recordError(error({ linkId: id, side: null, ticketId: null, code: 'network' }));
        expect(again).toMatchObject({ id: first.id, attempts: 2, linkId: id, side: null, ticketId: null });
      });

      it('keeps errors with another code, ticket, side, link or connection apart', async () => {
        const id = await link('A1', 'B1');
        await ledger.recordError(error());
        await ledger.recordError(error({ code: 'not_found' }));
        await ledger.recordError(error({ ticketId: 'T2' }));
        await ledger.recordError(error({ side: 'b' }));
        await ledger.recordError(error({ linkId: id }));
        await ledger.recordError(error({ connection: OTHER }));
        const all = await ledger.listErrors({});
        expect(all).toHaveLength(6);
        expect(all.every((e) => e.attempts === 1)).toBe(true);
      });

      it('starts a new record when the same error happens after the open one was resolved', async () => {
        const first = await ledger.recordError(error());
        await ledger.resolveError(first.id);
        expect((await ledger.getError(first.id))?.state).toBe('resolved');
        const next = await ledger.recordError(error());
        expect(next.id).not.toBe(first.id);
        expect(next.attempts).toBe(1);
        expect(await ledger.listErrors({ state: 'open' })).toMatchObject([{ id: next.id }]);
        expect(await ledger.listErrors({ state: 'resolved' })).toMatchObject([{ id: first.id }]);
      });

      it('resolves the open errors of a link through commit, leaving other links’ errors open', async () => {
        const one = await link('A1', 'B1');
        const two = await link('A2', 'B2');
        await ledger.recordError(error({ linkId: one, code: 'network' }));
        await ledger.recordError(error({ linkId: one, code: 'remote_validation' }));
        const keep = await ledger.recordError(error({ linkId: two }));
        await ledger.commit({ connection: C, linkId: one, resolveErrorsFor: { linkId: one } });
        expect((await ledger.listErrors({ state: 'open' })).map((e) => e.id)).toEqual([keep.id]);
        expect(await ledger.listErrors({ linkId: one, state: 'resolved' })).toHaveLength(2);
      });

      it('resolves the open errors of an unlinked source ticket when its create commits', async () => {
        const ticketError = await ledger.recordError(error({ side: 'a', ticketId: 'T1', code: 'remote_validation' }));
        const otherTicket = await ledger.recordError(error({ side: 'a', ticketId: 'T2' }));
        const otherSide = await ledger.recordError(error({ side: 'b', ticketId: 'T1' }));
        const otherConnection = await ledger.recordError(error({ connection: OTHER }));
        const linkId = await ledger.commit({
          connection: C,
          newLink: { aId: 'T1', bId: 'B1' },
          resolveErrorsFor: { side: 'a', ticketId: 'T1' },
        });
        expect((await ledger.getError(ticketError.id))?.state).toBe('resolved');
        for (const e of [otherTicket, otherSide, otherConnection])
          expect((await ledger.getError(e.id))?.state).toBe('open');
        expect(linkId).not.toBeNull();
      });

      it('resolves with a link the errors recorded without a link for either of its tickets, and leaves those it is told to keep', async () => {
        const id = await link('A1', 'B1');
        const aTicket = await ledger.recordError(error({ side: 'a', ticketId: 'A1', code: 'payload_invalid' }));
        const bTicket = await ledger.recordError(error({ side: 'b', ticketId: 'B1', code: 'network' }));
        const stillTrue = await ledger.recordError(
          error({ linkId: id, side: 'a', ticketId: 'A1', code: 'unmapped_value' }),
        );
        const wrongSide = await ledger.recordError(error({ side: 'b', ticketId: 'A1' }));
        const otherTicket = await ledger.recordError(error({ side: 'a', ticketId: 'A2' }));
        const otherConnection = await ledger.recordError(error({ connection: OTHER, side: 'a', ticketId: 'A1' }));
        await ledger.commit({ connection: C, linkId: id, resolveErrorsFor: { linkId: id, keep: [stillTrue.id] } });
        expect((await ledger.listErrors({ state: 'resolved' })).map((e) => e.id).sort()).toEqual(
          [aTicket.id, bTicket.id].sort(),
        );
        for (const e of [stillTrue, wrongSide, otherTicket, otherConnection])
          expect((await ledger.getError(e.id))?.state).toBe('open');
      });

      it('records each error it resolves as an error_resolved event on the link, with the code, side and reason', async () => {
        const id = await link('A1', 'B1');
        const onLink = await ledger.recordError(
          error({ linkId: id, side: 'b', ticketId: 'B1', code: 'network', message: 'B1: connection reset' }),
        );
        const created = await ledger.recordError(error({ side: 'a', ticketId: 'T1', message: 'status rejected' }));
        await ledger.commit({ connection: C, linkId: id, resolveErrorsFor: { linkId: id, reason: 'it synced' } });
        const newLink = await ledger.commit({
          connection: C,
          newLink: { aId: 'T1', bId: 'B9' },
          resolveErrorsFor: { side: 'a', ticketId: 'T1' },
        });
        const first = (await ledger.listEvents({ linkId: id, kind: 'error_resolved' })).items;
        expect(first.map((e) => [e.side, e.field, e.oldValue, e.reason, e.data])).toEqual([
          [
            'b',
            null,
            'network',
            'error resolved (network): it synced (it said: B1: connection reset)',
            { errorId: onLink.id, attempts: 1 },
          ],
        ]);
        const second = (await ledger.listEvents({ linkId: newLink!, kind: 'error_resolved' })).items;
        expect(second.map((e) => [e.side, e.reason])).toEqual([
          ['a', 'error resolved (remote validation): the ticket synced cleanly again (it said: status rejected)'],
        ]);
        expect((await ledger.getError(created.id))?.state).toBe('resolved');
        // Nothing left to resolve: no second event.
        await ledger.commit({ connection: C, linkId: id, resolveErrorsFor: { linkId: id } });
        expect((await ledger.listEvents({ kind: 'error_resolved' })).total).toBe(2);
      });

      it('filters errors by connection, state and link, newest first, and answers null for an unknown id', async () => {
        const id = await link('A1', 'B1');
        const a = await ledger.recordError(error());
        const b = await ledger.recordError(error({ linkId: id }));
        const c = await ledger.recordError(error({ connection: OTHER }));
        expect((await ledger.listErrors({})).map((e) => e.id)).toEqual([c.id, b.id, a.id]);
        expect((await ledger.listErrors({ connection: C })).map((e) => e.id)).toEqual([b.id, a.id]);
        expect((await ledger.listErrors({ linkId: id })).map((e) => e.id)).toEqual([b.id]);
        expect(await ledger.getError('987654')).toBeNull();
      });
    });

    describe('listLinks and linkIds', () => {
      async function arrange(): Promise<string[]> {
        const ids: string[] = [];
        for (let i = 1; i <= 6; i++) ids.push(await link(`A${i}`, `B${i}`));
        ids.push(await link('A1', 'B1', OTHER));
        await ledger.commit({
          connection: C,
          linkId: ids[1]!,
          linkState: { state: 'unlinked', note: 'moved out of scope on a' },
        });
        await ledger.commit({ connection: C, linkId: ids[3]!, linkState: { state: 'closed', note: 'deleted on b' } });
        return ids;
      }

      it('lists links newest first with total, offset and limit', async () => {
        const ids = await arrange();
        const page = await ledger.listLinks({ limit: 3 });
        expect(page.items.map((l) => l.id)).toEqual([ids[6], ids[5], ids[4]]);
        expect(page).toMatchObject({ total: 7, offset: 0, limit: 3 });
        const next = await ledger.listLinks({ limit: 3, offset: 3 });
        expect(next.items.map((l) => l.id)).toEqual([ids[3], ids[2], ids[1]]);
        expect((await ledger.listLinks({ limit: 3, offset: 6 })).items.map((l) => l.id)).toEqual([ids[0]]);
      });

      it('filters links by connection, state and a ticket id on either side', async () => {
        const ids = await arrange();
        expect((await ledger.listLinks({ connection: C })).total).toBe(6);
        expect((await ledger.listLinks({ connection: OTHER })).items.map((l) => l.id)).toEqual([ids[6]]);
        expect((await ledger.listLinks({ state: 'active' })).total).toBe(5);
        expect((await ledger.listLinks({ connection: C, state: 'unlinked' })).items.map((l) => l.id)).toEqual([ids[1]]);
        expect((await ledger.listLinks({ ticketId: 'A1' })).items.map((l) => l.id)).toEqual([ids[6], ids[0]]);
        expect((await ledger.listLinks({ ticketId: 'B3' })).items.map((l) => l.id)).toEqual([ids[2]]);
        expect((await ledger.listLinks({ ticketId: 'B1', connection: OTHER })).items.map((l) => l.id)).toEqual([
          ids[6],
        ]);
        expect((await ledger.listLinks({ ticketId: 'nope' })).total).toBe(0);
      });

      it('matches any of a list of (connection, side, ticket) candidates, each as narrow as it says', async () => {
        const ids = await arrange();
        const ab = await link('B2', 'A5', OTHER); // the same ids on the opposite sides of another connection
        const found = (tickets: TicketCandidate[]) =>
          ledger.listLinks({ tickets }).then((p) => p.items.map((l) => l.id));
        expect(await found([{ connection: C, side: 'a', ticketId: 'A1' }])).toEqual([ids[0]]);
        expect(await found([{ connection: C, side: 'b', ticketId: 'A1' }])).toEqual([]);
        expect(await found([{ side: 'a', ticketId: 'A1' }])).toEqual([ids[6], ids[0]]);
        expect(await found([{ connection: OTHER, ticketId: 'A5' }])).toEqual([ab]);
        expect(await found([{ ticketId: 'A5' }])).toEqual([ab, ids[4]]);
        expect(
          await found([
            { connection: C, side: 'a', ticketId: 'A3' },
            { connection: OTHER, side: 'a', ticketId: 'B2' },
            { connection: C, side: 'b', ticketId: 'no-such' },
          ]),
        ).toEqual([ab, ids[2]]);
        expect(await found([])).toEqual([]);
      });

      it('matches candidates by the keys links hold, in any case, on the side they name', async () => {
        const jira = await ledger.commit({ connection: C, newLink: { aId: '10034', bId: '77' }, keys: { a: 'IT-12' } });
        const other = await ledger.commit({
          connection: OTHER,
          newLink: { aId: '5', bId: '10040' },
          keys: { b: 'IT-13' },
        });
        const found = (tickets: TicketCandidate[]) =>
          ledger.listLinks({ tickets }).then((p) => p.items.map((l) => l.id));
        expect(await found([{ key: 'it-12' }])).toEqual([jira]);
        expect(await found([{ connection: C, side: 'a', key: 'IT-12' }])).toEqual([jira]);
        expect(await found([{ connection: C, side: 'b', key: 'IT-12' }])).toEqual([]);
        expect(await found([{ connection: OTHER, key: 'IT-12' }])).toEqual([]);
        expect(await found([{ key: 'IT-13' }, { ticketId: '10034' }])).toEqual([other, jira]);
        expect(await found([{ key: '77' }])).toEqual([]); // an id is not a key
      });

      it('combines candidates with the connection and state filters and pages the matches', async () => {
        const ids = await arrange();
        const candidates = [
          { side: 'a' as const, ticketId: 'A1' },
          { connection: C, side: 'b' as const, ticketId: 'B2' },
          { connection: C, ticketId: 'A3' },
        ];
        expect((await ledger.listLinks({ tickets: candidates })).items.map((l) => l.id)).toEqual([
          ids[6],
          ids[2],
          ids[1],
          ids[0],
        ]);
        expect((await ledger.listLinks({ tickets: candidates, connection: C })).items.map((l) => l.id)).toEqual([
          ids[2],
          ids[1],
          ids[0],
        ]);
        expect((await ledger.listLinks({ tickets: candidates, state: 'unlinked' })).items.map((l) => l.id)).toEqual([
          ids[1],
        ]);
        expect((await ledger.listLinks({ tickets: candidates, ticketId: 'B1' })).items.map((l) => l.id)).toEqual([
          ids[6],
          ids[0],
        ]);
        const page = await ledger.listLinks({ tickets: candidates, limit: 2, offset: 1 });
        expect(page).toMatchObject({ total: 4, offset: 1, limit: 2 });
        expect(page.items.map((l) => l.id)).toEqual([ids[2], ids[1]]);
      });

      it('pages the ids of links in a state by ascending id after a given id', async () => {
        const ids = await arrange();
        const active = [ids[0], ids[2], ids[4], ids[5]];
        expect(await ledger.linkIds(C, 'active', null, 10)).toEqual(active);
        expect(await ledger.linkIds(C, 'active', null, 2)).toEqual(active.slice(0, 2));
        expect(await ledger.linkIds(C, 'active', active[1]!, 2)).toEqual(active.slice(2, 4));
        expect(await ledger.linkIds(C, 'active', active[3]!, 2)).toEqual([]);
        expect(await ledger.linkIds(C, 'closed', null, 10)).toEqual([ids[3]]);
        expect(await ledger.linkIds(OTHER, 'active', null, 10)).toEqual([ids[6]]);
      });
    });

    describe('counts', () => {
      it('counts links, active links, events, open conflicts, open errors and pending intents', async () => {
        expect(await ledger.counts()).toEqual({
          links: 0,
          activeLinks: 0,
          events: 0,
          openConflicts: 0,
          openErrors: 0,
          pendingIntents: 0,
        });
        const one = await link('A1', 'B1');
        const two = await link('A2', 'B2');
        const three = await link('A3', 'B3', OTHER);
        await ledger.commit({
          connection: C,
          linkId: two,
          linkState: { state: 'flagged', note: 'deleted on a' },
          openConflicts: [{ field: 'f', aValue: 1, bValue: 2, baseline: { a: 0, b: 0 } }],
        });
        await ledger.commit({
          connection: OTHER,
          linkId: three,
          openConflicts: [{ field: 'f', aValue: 1, bValue: 2, baseline: { a: 0, b: 0 } }],
        });
        await ledger.appendEvents([event({ linkId: one }), event({ linkId: two }), event({ connection: OTHER })]);
        await ledger.recordError(error());
        await ledger.recordError(error());
        const resolved = await ledger.recordError(error({ code: 'network' }));
        await ledger.resolveError(resolved.id);
        await ledger.recordError(error({ connection: OTHER }));
        await intent('S1');
        await ledger.addIntent({
          connection: OTHER,
          kind: 'create',
          targetSide: 'a',
          sourceId: 'S1',
          linkId: null,
          marker: 'm',
        });
        expect(await ledger.counts()).toEqual({
          links: 3,
          activeLinks: 2,
          events: 3,
          openConflicts: 2,
          openErrors: 2,
          pendingIntents: 2,
        });
        expect(await ledger.counts(C)).toEqual({
          links: 2,
          activeLinks: 1,
          events: 2,
          openConflicts: 1,
          openErrors: 1,
          pendingIntents: 1,
        });
        expect(await ledger.counts('nobody')).toEqual({
          links: 0,
          activeLinks: 0,
          events: 0,
          openConflicts: 0,
          openErrors: 0,
          pendingIntents: 0,
        });
      });
    });

    describe('pauses', () => {
      it('keeps a paused connection with its note until it is resumed', async () => {
        expect(await ledger.pauses()).toEqual([]);
        await ledger.setPause(C, { note: 'go-live weekend' });
        await ledger.setPause(C, { note: 'a second pause keeps the first' });
        const [pause, ...rest] = await ledger.pauses();
        expect(rest).toEqual([]);
        expect(pause).toMatchObject({ connection: C, note: 'go-live weekend' });
        expect(Number.isNaN(Date.parse(pause!.pausedAt))).toBe(false);
        await ledger.setPause(OTHER, { note: null });
        expect((await ledger.pauses()).map((p) => p.connection)).toEqual([C, OTHER]);
        await ledger.setPause(C, null);
        await ledger.setPause(C, null);
        expect(await ledger.pauses()).toEqual([{ connection: OTHER, pausedAt: expect.any(String), note: null }]);
      });
    });

    describe('first syncs', () => {
      it('records the first start only, and its end once', async () => {
        expect(await ledger.firstSync(C)).toBeNull();
        const started = await ledger.startFirstSync(C);
        expect(started).toMatchObject({ connection: C, finishedAt: null });
        expect(Number.isNaN(Date.parse(started.startedAt))).toBe(false);
        expect(await ledger.startFirstSync(C)).toEqual(started);
        expect(await ledger.firstSync(OTHER)).toBeNull();
        await ledger.finishFirstSync(C);
        const finished = await ledger.firstSync(C);
        expect(finished?.startedAt).toBe(started.startedAt);
        expect(finished?.finishedAt).not.toBeNull();
        await ledger.finishFirstSync(C);
        expect(await ledger.firstSync(C)).toEqual(finished);
      });
    });

    describe('archived links', () => {
      it('keeps since when both tickets are closed, and an archived link out of the reconcile but findable', async () => {
        const id = (await ledger.commit({ connection: C, newLink: { aId: 'A1', bId: 'B1' } }))!;
        expect((await ledger.getLink(id))?.closedSince).toBeNull();
        await ledger.commit({ connection: C, linkId: id, closedSince: '2026-01-02T03:04:05.000Z' });
        expect((await ledger.getLink(id))?.closedSince).toBe('2026-01-02T03:04:05.000Z');
        await ledger.commit({ connection: C, linkId: id, versions: { a: 'v2' } });
        expect((await ledger.getLink(id))?.closedSince).toBe('2026-01-02T03:04:05.000Z');
        await ledger.commit({
          connection: C,
          linkId: id,
          linkState: { state: 'archived', note: 'closed on both sides for 30 days' },
          events: [event({ linkId: id, kind: 'link_archived', field: null, reason: 'archived' })],
        });
        expect(await ledger.linkIds(C, 'active', null, 10)).toEqual([]);
        expect(await ledger.linkIds(C, 'archived', null, 10)).toEqual([id]);
        expect((await ledger.findLink(C, 'b', 'B1'))?.state).toBe('archived');
        const page = await ledger.listLinks({ connection: C, state: 'archived' });
        expect(page.items.map((l) => l.id)).toEqual([id]);
        expect((await ledger.listEvents({ linkId: id })).items.map((e) => e.kind)).toEqual(['link_archived']);
        await ledger.commit({
          connection: C,
          linkId: id,
          linkState: { state: 'active', note: null },
          closedSince: null,
        });
        expect(await ledger.getLink(id)).toMatchObject({ state: 'active', closedSince: null });
      });
    });

    describe('claims', () => {
      it('grants a free key and lets the holder claim it again (extending the lease)', async () => {
        expect(await ledger.claim('link:1', 'one', 60_000)).toBe(true);
        expect(await ledger.claim('link:1', 'one', 60_000)).toBe(true);
        await ledger.release('link:1', 'one');
        expect(await ledger.claim('link:1', 'one', 60_000)).toBe(true);
      });

      if (options.claims === 'single-instance') {
        it('always grants, because a single instance owns the ledger', async () => {
          expect(await ledger.claim('link:1', 'one', 60_000)).toBe(true);
          expect(await ledger.claim('link:1', 'two', 60_000)).toBe(true);
          await ledger.release('link:1', 'two');
          await ledger.release('link:1', 'never-held');
        });
      } else {
        it('refuses a second owner while the lease is live and grants it after release', async () => {
          expect(await ledger.claim('link:1', 'one', 60_000)).toBe(true);
          expect(await ledger.claim('link:1', 'two', 60_000)).toBe(false);
          expect(await ledger.claim('link:2', 'two', 60_000)).toBe(true);
          await ledger.release('link:1', 'one');
          expect(await ledger.claim('link:1', 'two', 60_000)).toBe(true);
          expect(await ledger.claim('link:1', 'one', 60_000)).toBe(false);
        });

        it('ignores a release by someone who does not hold the key', async () => {
          expect(await ledger.claim('link:1', 'one', 60_000)).toBe(true);
          await ledger.release('link:1', 'two');
          expect(await ledger.claim('link:1', 'two', 60_000)).toBe(false);
        });

        it('grants the key to another owner once the lease has expired', async () => {
          expect(await ledger.claim('ticket:c:a:1', 'dead', 40)).toBe(true);
          expect(await ledger.claim('ticket:c:a:1', 'alive', 60_000)).toBe(false);
          await vi.waitFor(async () => expect(await ledger.claim('ticket:c:a:1', 'alive', 60_000)).toBe(true), {
            timeout: 5_000,
            interval: 20,
          });
          expect(await ledger.claim('ticket:c:a:1', 'dead', 40)).toBe(false);
        });

        it('grants a contested key to exactly one of many concurrent owners', async () => {
          const owners = Array.from({ length: 10 }, (_, i) => `owner-${i}`);
          const results = await Promise.all(owners.map((o) => ledger.claim('link:42', o, 60_000)));
          expect(results.filter(Boolean)).toHaveLength(1);
        });
      }
    });
  });
}
