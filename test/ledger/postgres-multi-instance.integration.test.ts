// Two daemon instances (two engines, two PostgresLedger pools) on one ledger schema and the same
// two systems, polling at once: every ticket gets exactly one twin and one link, every comment
// one copy; and a lease left behind by a dead instance only delays the work until it expires.
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { PostgresLedger } from '../../src/core/ledger/postgres/index.js';
import type { EngineObserver } from '../../src/core/pass.js';
import type { FieldConfig } from '../../src/mapping/schema.js';
import { CONNECTION, createHarness, type Harness } from '../helpers/engine-harness.js';
import { dropSchema, openTestLedger, randomSchema } from './pg-test-db.js';

const fields: FieldConfig[] = [
  { name: 'summary', a: 'subject', b: 'summary', owner: 'both' },
  { name: 'status', a: 'status', b: 'state', owner: 'a' },
];

interface Pair {
  one: Harness;
  two: Harness;
  ledgers: PostgresLedger[];
  /** Creates each instance's passes reported. */
  created: { one: number; two: number };
}

const cleanups: Array<() => Promise<void>> = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** Two instances on one fresh schema; `overlapMs` lets a later poll re-list what a skipped pass missed. */
async function twoInstances(leaseMs = 30_000): Promise<Pair> {
  const schema = randomSchema();
  const first = await openTestLedger({ schema, poolSize: 8 });
  const second = await openTestLedger({ schema, poolSize: 8 });
  cleanups.push(() => dropSchema(schema));
  const engine = { overlapMs: 5_000, leaseMs, concurrency: 8 };
  const created = { one: 0, two: 0 };
  const observer = (who: 'one' | 'two'): EngineObserver => ({
    pass: (_c, outcome) => void (outcome === 'created' && created[who]++),
  });
  const one = createHarness({
    fields,
    ledger: first.ledger,
    engine: { ...engine, instanceId: 'instance-one', observer: observer('one') },
  });
  const two = createHarness(
    { fields, engine: { ...engine, instanceId: 'instance-two', observer: observer('two') } },
    { a: one.a, b: one.b, ledger: second.ledger },
  );
  cleanups.push(async () => {
    await one.close();
    await two.close();
  });
  return { one, two, ledgers: [first.ledger, second.ledger], created };
}

const tick = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

describe('two instances sharing one PostgreSQL ledger', () => {
  it(
    'mirrors 200 new tickets, their edits and comments exactly once while both poll concurrently',
    { timeout: 300_000 },
    async () => {
      const { one, two, ledgers, created } = await twoInstances();
      const { a, b } = one;
      const sources: Array<{ side: 'a' | 'b'; id: string }> = [];
      for (let i = 0; i < 100; i++)
        sources.push({ side: 'a', id: a.userCreate({ subject: `A ticket ${i}`, status: 'New' }) });
      for (let i = 0; i < 100; i++)
        sources.push({ side: 'b', id: b.userCreate({ summary: `B ticket ${i}`, state: 'New' }) });
      const userComments: Array<{ side: 'a' | 'b'; ticketId: string; commentId: string }> = [];
      for (const s of sources.filter((_, i) => i % 4 === 0)) {
        userComments.push({
          side: s.side,
          ticketId: s.id,
          commentId: (s.side === 'a' ? a : b).userComment(s.id, `first words on ${s.id}`, 'public'),
        });
      }

      // People keep working while both instances poll: edits and comments land between and during polls.
      const editor = (async () => {
        for (let n = 0; n < 300; n++) {
          const s = sources[(n * 37) % sources.length]!;
          if (s.side === 'a')
            a.userEdit(s.id, { subject: `A edit ${n}`, ...(n % 3 === 0 ? { status: 'In Progress' } : {}) });
          else b.userEdit(s.id, { summary: `B edit ${n}` });
          if (n % 10 === 0)
            userComments.push({
              side: s.side,
              ticketId: s.id,
              commentId: (s.side === 'a' ? a : b).userComment(s.id, `comment ${n}`, 'public'),
            });
          await tick(5);
        }
      })();
      const polling = (async () => {
        for (let round = 0; round < 4; round++) await Promise.all([one.pollBoth(), two.pollBoth()]);
      })();
      await Promise.all([editor, polling]);
      // Quiet period: both poll until a round writes nothing on either system.
      let writes = -1;
      for (let settle = 0; settle < 8 && writes !== one.writes(); settle++) {
        writes = one.writes();
        await Promise.all([one.pollBoth(), two.pollBoth()]);
      }
      expect(one.writes()).toBe(writes);

      // Exactly one twin per source ticket: 100 creates on each system, one link each.
      expect(created.one + created.two).toBe(200);
      expect(created.one).toBeGreaterThan(0); // both instances really competed for the same tickets
      expect(created.two).toBeGreaterThan(0);
      expect(a.counters.creates).toBe(100);
      expect(b.counters.creates).toBe(100);
      expect(a.tickets.size).toBe(200);
      expect(b.tickets.size).toBe(200);
      const counts = await ledgers[0]!.counts(CONNECTION);
      expect(counts).toMatchObject({
        links: 200,
        activeLinks: 200,
        pendingIntents: 0,
        openConflicts: 0,
        openErrors: 0,
      });
      const twinsOf = new Map<string, number>();
      for (const s of sources) {
        const link = await ledgers[1]!.findLink(CONNECTION, s.side, s.id);
        expect(link, `link for ${s.side}${s.id}`).not.toBeNull();
        const twinId = s.side === 'a' ? link!.bId : link!.aId;
        const twin = (s.side === 'a' ? b : a).mustGet(twinId);
        expect(twin.marker).toBe(`tb:${CONNECTION}:${s.side}${s.id}`);
        twinsOf.set(`${s.side}${s.id}`, (twinsOf.get(`${s.side}${s.id}`) ?? 0) + 1);
        // Both instances' work converged on the same values.
        const [ta, tb] = s.side === 'a' ? [a.mustGet(s.id), twin] : [twin, b.mustGet(s.id)];
        expect(tb.fields.summary).toBe(ta.fields.subject);
        expect(tb.fields.state).toBe(ta.fields.status);
      }
      expect([...twinsOf.values()].every((n) => n === 1)).toBe(true);

      // Every person's comment was copied once: one mirror with its marker on the other side.
      expect(a.counters.comments + b.counters.comments).toBe(userComments.length);
      for (const c of userComments) {
        const link = (await ledgers[0]!.findLink(CONNECTION, c.side, c.ticketId))!;
        const other = c.side === 'a' ? b.mustGet(link.bId) : a.mustGet(link.aId);
        const copies = other.comments.filter((x) =>
          x.body.includes(`[tb:${CONNECTION}:${link.id}:${c.side}${c.commentId}]`),
        );
        expect(copies, `copies of ${c.side}:${c.commentId}`).toHaveLength(1);
      }
    },
  );

  it("waits for a dead instance's lease on a link to expire, then syncs the link once", async () => {
    const { one, two, ledgers } = await twoInstances(5_000);
    const id = one.a.userCreate({ subject: 'Before', status: 'New' });
    await one.pollBoth();
    const link = (await ledgers[0]!.findLink(CONNECTION, 'a', id))!;
    expect(one.b.mustGet(link.bId).fields.summary).toBe('Before');

    // A third instance claims the link and dies: its pool closes without releasing the lease.
    const dead = await openTestLedger({ schema: ledgers[0]!.schema });
    expect(await dead.ledger.claim(`link:${link.id}`, 'instance-dead', 500)).toBe(true);
    await dead.ledger.close();

    one.a.userEdit(id, { subject: 'After' });
    const started = Date.now();
    // The live instance waits for the dead one's lease instead of dropping the hint.
    await two.pollBoth();
    expect(one.b.mustGet(link.bId).fields.summary).toBe('After');
    expect(Date.now() - started).toBeGreaterThanOrEqual(400);
    expect(one.b.counters.updates).toBe(1);
    expect(await ledgers[1]!.listErrors({ state: 'open' })).toEqual([]);
  });

  it('finishes a create a dead instance had claimed and intended, exactly once, after the lease expires', async () => {
    const { one, two, ledgers } = await twoInstances(5_000);
    const id = one.a.userCreate({ subject: 'Orphaned create', status: 'New' });
    // The dead instance claimed the source ticket, recorded its intent, and died before writing.
    const dead = await openTestLedger({ schema: ledgers[0]!.schema });
    expect(await dead.ledger.claim(`ticket:${CONNECTION}:a:${id}`, 'instance-dead', 500)).toBe(true);
    const intent = await dead.ledger.addIntent({
      connection: CONNECTION,
      kind: 'create',
      targetSide: 'b',
      sourceId: id,
      linkId: null,
      marker: `tb:${CONNECTION}:a${id}`,
    });
    expect(intent).not.toBeNull();
    await dead.ledger.close();

    await Promise.all([one.pollBoth(), two.pollBoth()]);
    await vi.waitFor(
      async () => {
        // Work goes on: a newer ticket moves the cursor, and the overlap re-lists the orphan.
        one.a.userCreate({ subject: 'Newer ticket', status: 'New' });
        await Promise.all([one.pollBoth(), two.pollBoth()]);
        expect(await ledgers[1]!.findLink(CONNECTION, 'a', id)).not.toBeNull();
      },
      { timeout: 10_000, interval: 100 },
    );
    await Promise.all([one.pollBoth(), two.pollBoth()]);
    const link = (await ledgers[0]!.findLink(CONNECTION, 'a', id))!;
    expect(one.b.mustGet(link.bId).marker).toBe(intent!.marker);
    expect([...one.b.tickets.values()].filter((t) => t.marker === intent!.marker)).toHaveLength(1);
    expect(await ledgers[0]!.pendingIntents()).toEqual([]);
  });
});
