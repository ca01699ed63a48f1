// Calls a pass spends: comments are listed only on a side that may have new ones, and the
// answer of the daemon's own write is what the ledger holds, so its echo costs no call.
import { describe, expect, it } from 'vitest';
import type { Clock, Connector, TicketContext } from '../../src/core/types.js';
import { SqliteLedger } from '../../src/core/ledger/sqlite/index.js';
import { SETTLE_MS } from '../../src/core/sync/versions.js';
import { ManualClock } from '../helpers/manual-clock.js';
import type { Harness } from '../helpers/engine-harness.js';
import { harness, onlyLink, priority, summary } from './fixtures.js';

/** Both systems stamp versions 10 s in the past, so the ledger trusts them at once (SETTLE_MS). */
const behind: Clock = { now: () => Date.now() - 10_000 };

function calls(h: Harness): Record<string, number> {
  return {
    aReads: h.a.counters.reads,
    bReads: h.b.counters.reads,
    aCommentLists: h.a.counters.commentLists,
    bCommentLists: h.b.counters.commentLists,
    writes: h.writes(),
  };
}

function delta(before: Record<string, number>, after: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(after).map(([k, v]) => [k, v - (before[k] ?? 0)]));
}

describe('calls per mirrored change', () => {
  it('lists comments only on the side that changed, not on the side it writes to', async () => {
    const h = harness({ fields: [summary, priority], systemA: { clock: behind }, systemB: { clock: behind } });
    const aId = h.a.userCreate({ subject: 'start', priority: 2 });
    await h.pollBoth();
    await h.pollBoth();
    const link = await onlyLink(h);
    const before = calls(h);
    h.a.userEdit(aId, { subject: 'edited on a' });
    await h.engine.pollOnce('test', 'a');
    await h.engine.onIdle();
    expect(h.b.mustGet(link.bId).fields.summary).toBe('edited on a');
    expect(delta(before, calls(h))).toEqual({ aReads: 0, bReads: 1, aCommentLists: 1, bCommentLists: 0, writes: 1 });
  });

  it("takes the write's answer as what the target holds: the next polls of both sides read nothing", async () => {
    const h = harness({ fields: [summary, priority], systemA: { clock: behind }, systemB: { clock: behind } });
    const aId = h.a.userCreate({ subject: 'start', priority: 2 });
    await h.pollBoth();
    await h.pollBoth();
    h.a.userEdit(aId, { subject: 'edited on a' });
    await h.engine.pollOnce('test', 'a');
    await h.engine.onIdle();
    const before = calls(h);
    // Side b lists the ticket the daemon just wrote (its echo), side a lists the edit again
    // (at its cursor): both are what the ledger holds.
    await h.pollBoth();
    await h.pollBoth();
    expect(delta(before, calls(h))).toEqual({ aReads: 0, bReads: 0, aCommentLists: 0, bCommentLists: 0, writes: 0 });
  });

  it('still copies a comment made on the side a change was written to', async () => {
    const h = harness({ fields: [summary], systemA: { clock: behind }, systemB: { clock: behind } });
    const aId = h.a.userCreate({ subject: 'start' });
    await h.pollBoth();
    const link = await onlyLink(h);
    h.a.userEdit(aId, { subject: 'edited on a' });
    await h.engine.pollOnce('test', 'a');
    await h.engine.onIdle();
    h.b.userComment(link.bId, 'from the MSP', 'public');
    await h.pollBoth();
    await h.pollBoth();
    expect(h.a.mustGet(aId).comments.map((c) => c.body)).toEqual([expect.stringContaining('from the MSP')]);
  });
});

describe("the echo of the daemon's own write", () => {
  const versionOf = (h: Harness, id: string): string => new Date(h.b.mustGet(id).updatedMs).toISOString();

  it('is acknowledged with no call when the webhook reports the version the write answered with', async () => {
    const h = harness({ fields: [summary, priority] });
    const aId = h.a.userCreate({ subject: 'start', priority: 2 });
    await h.pollBoth();
    const link = await onlyLink(h);
    h.a.userEdit(aId, { subject: 'edited on a' });
    await h.engine.hint('test', 'a', aId);
    await h.engine.onIdle();
    expect(h.b.mustGet(link.bId).fields.summary).toBe('edited on a');
    const before = calls(h);
    await h.engine.hint('test', 'b', link.bId, undefined, versionOf(h, link.bId));
    await h.engine.onIdle();
    expect(delta(before, calls(h))).toEqual({ aReads: 0, bReads: 0, aCommentLists: 0, bCommentLists: 0, writes: 0 });
  });

  it('is used up once: a second delivery at the same version (a change in the same second) is mirrored', async () => {
    const h = harness({ fields: [summary, priority] });
    const aId = h.a.userCreate({ subject: 'start', priority: 2 });
    await h.pollBoth();
    const link = await onlyLink(h);
    h.a.userEdit(aId, { subject: 'edited on a' });
    await h.engine.hint('test', 'a', aId);
    await h.engine.onIdle();
    const written = versionOf(h, link.bId);
    // A person edits and comments on b within the second the write was stamped: the version stays.
    h.b.userEdit(link.bId, { summary: 'edited on b' });
    h.b.userComment(link.bId, 'same second', 'public');
    h.b.mustGet(link.bId).updatedMs = Date.parse(written);
    await h.engine.hint('test', 'b', link.bId, undefined, written); // the echo
    await h.engine.hint('test', 'b', link.bId, undefined, written); // the person's change
    await h.engine.onIdle();
    expect(h.a.mustGet(aId).fields.subject).toBe('edited on b');
    expect(h.a.mustGet(aId).comments.map((c) => c.body)).toEqual([expect.stringContaining('same second')]);
  });

  it('a webhook reporting another version runs a pass', async () => {
    const h = harness({ fields: [summary, priority] });
    const aId = h.a.userCreate({ subject: 'start', priority: 2 });
    await h.pollBoth();
    const link = await onlyLink(h);
    h.a.userEdit(aId, { subject: 'edited on a' });
    await h.engine.hint('test', 'a', aId);
    await h.engine.onIdle();
    h.b.userEdit(link.bId, { summary: 'edited on b' });
    await h.engine.hint('test', 'b', link.bId, undefined, versionOf(h, link.bId));
    await h.engine.onIdle();
    expect(h.a.mustGet(aId).fields.subject).toBe('edited on b');
  });

  it("a create's twin is read from the create's answer, and its webhook costs no call", async () => {
    const h = harness({ fields: [summary, priority] });
    const aId = h.a.userCreate({ subject: 'new', priority: 2 });
    const before = calls(h);
    await h.engine.hint('test', 'a', aId);
    await h.engine.onIdle();
    const link = await onlyLink(h);
    // The source read once, its comments listed once (the twin is new), one create.
    expect(delta(before, calls(h))).toEqual({ aReads: 1, bReads: 0, aCommentLists: 1, bCommentLists: 0, writes: 1 });
    const created = calls(h);
    await h.engine.hint('test', 'b', link.bId, undefined, versionOf(h, link.bId));
    await h.engine.onIdle();
    expect(delta(created, calls(h))).toEqual({ aReads: 0, bReads: 0, aCommentLists: 0, bCommentLists: 0, writes: 0 });
  });

  it("costs no call when the twin's webhook comes before the create answered (the create's later calls)", async () => {
    const h = harness({ fields: [summary, priority] });
    const aId = h.a.userCreate({ subject: 'new', priority: 2 });
    // The target raises its webhook on the change itself, while the create still makes calls
    // after its POST (Freshservice's requester look-up, ConnectWise's description note).
    const create = h.connectorB.createTicket.bind(h.connectorB);
    const deliveries: Array<Promise<void>> = [];
    h.connectorB.createTicket = async (fields, marker) => {
      const twin = await create(fields, marker);
      deliveries.push(h.engine.hint('test', 'b', twin.id, undefined, twin.version));
      await new Promise((resolve) => setTimeout(resolve, 20));
      return twin;
    };
    const before = calls(h);
    await h.engine.hint('test', 'a', aId);
    await Promise.all(deliveries);
    await h.engine.onIdle();
    expect(deliveries).toHaveLength(1);
    expect(delta(before, calls(h))).toEqual({ aReads: 1, bReads: 0, aCommentLists: 1, bCommentLists: 0, writes: 1 });
  });
});

describe('a delivery at a version the ledger already holds', () => {
  it('costs no call once the ledger has held that version long enough (a duplicate delivery)', async () => {
    const h = harness({ fields: [summary, priority], systemA: { clock: behind }, systemB: { clock: behind } });
    const aId = h.a.userCreate({ subject: 'start', priority: 2 });
    await h.pollBoth();
    await onlyLink(h);
    h.a.userEdit(aId, { subject: 'edited on a' });
    const version = new Date(h.a.mustGet(aId).updatedMs).toISOString();
    await h.engine.hint('test', 'a', aId, undefined, version);
    await h.engine.onIdle();
    const before = calls(h);
    // Jira raises `comment_created` and `jira:issue_updated` for one comment: the same version twice.
    await h.engine.hint('test', 'a', aId, undefined, version);
    await h.engine.onIdle();
    expect(delta(before, calls(h))).toEqual({ aReads: 0, bReads: 0, aCommentLists: 0, bCommentLists: 0, writes: 0 });
  });

  it('still runs a pass while the version is fresh enough to hide a change in the same second', async () => {
    const h = harness({ fields: [summary, priority] });
    const aId = h.a.userCreate({ subject: 'start', priority: 2 });
    await h.pollBoth();
    await onlyLink(h);
    h.a.userEdit(aId, { subject: 'edited on a' });
    const version = new Date(h.a.mustGet(aId).updatedMs).toISOString();
    await h.engine.hint('test', 'a', aId, undefined, version);
    await h.engine.onIdle();
    h.a.userComment(aId, 'same second', 'public');
    h.a.mustGet(aId).updatedMs = Date.parse(version);
    await h.engine.hint('test', 'a', aId, undefined, version);
    await h.engine.onIdle();
    expect(h.b.mustGet((await onlyLink(h)).bId).comments.map((c) => c.body)).toEqual([
      expect.stringContaining('same second'),
    ]);
  });
});

describe('a system whose versions count milliseconds (Jira)', () => {
  /** Versions stamped 50 ms before the ledger sees them: past three milliseconds, inside SETTLE_MS. */
  const justBehind: Clock = { now: () => Date.now() - 50 };

  /** A linked pair, b stamping milliseconds (versionStepMs: 1), both versions already held. */
  async function linkedPair() {
    const h = harness({
      fields: [summary, priority],
      systemA: { clock: justBehind },
      systemB: { clock: justBehind, versionStepMs: 1 },
    });
    const aId = h.a.userCreate({ subject: 'start', priority: 2 });
    await h.pollBoth();
    await h.pollBoth();
    return { h, aId, link: await onlyLink(h) };
  }

  it("trusts the version it holds at once: a change on the other side does not list this side's comments", async () => {
    const { h, aId, link } = await linkedPair();
    h.a.userEdit(aId, { subject: 'edited on a' });
    await h.engine.hint('test', 'a', aId);
    await h.engine.onIdle();
    // The version b's write answered is held `unlisted` until a listing of b lists its comments once.
    await h.engine.pollOnce('test', 'b');
    await h.engine.onSettled();
    const before = calls(h);
    h.a.userEdit(aId, { subject: 'edited on a again' });
    await h.engine.hint('test', 'a', aId);
    await h.engine.onIdle();
    expect(h.b.mustGet(link.bId).fields.summary).toBe('edited on a again');
    expect(delta(before, calls(h))).toMatchObject({ bReads: 1, bCommentLists: 0, writes: 1 });
  });

  it("copies a person's comment made there between the pass's read and its copy, whose delivery never came, at the next listing", async () => {
    const { h, aId, link } = await linkedPair();
    const add = h.connectorB.addComment.bind(h.connectorB);
    h.connectorB.addComment = async (id, comment) => {
      h.b.userComment(id, 'from the MSP, just before the copy', 'public'); // its delivery is lost
      await new Promise((r) => setTimeout(r, 5));
      return add(id, comment);
    };
    h.a.userComment(aId, 'from the customer', 'public');
    await h.engine.hint('test', 'a', aId);
    await h.engine.onIdle();
    h.connectorB.addComment = add;
    await new Promise((r) => setTimeout(r, 20));
    await h.pollBoth();
    await h.engine.onSettled();
    expect(h.a.mustGet(aId).comments.map((c) => c.body)).toEqual([
      'from the customer',
      expect.stringContaining('from the MSP, just before the copy'),
    ]);
    expect(h.b.mustGet(link.bId).comments).toHaveLength(2);
  });

  it("copies a person's comment made there between the pass's read and its field write, whose delivery never came, at the next listing", async () => {
    const { h, aId, link } = await linkedPair();
    const update = h.connectorB.updateTicket.bind(h.connectorB);
    h.connectorB.updateTicket = async (id, changes, options) => {
      h.b.userComment(id, 'from the MSP, just before the write', 'public'); // its delivery is lost
      await new Promise((r) => setTimeout(r, 5));
      return update(id, changes, options);
    };
    h.a.userEdit(aId, { subject: 'edited on a' });
    await h.engine.hint('test', 'a', aId);
    await h.engine.onIdle();
    h.connectorB.updateTicket = update;
    expect(h.b.mustGet(link.bId).fields.summary).toBe('edited on a');
    await new Promise((r) => setTimeout(r, 20));
    await h.pollBoth();
    await h.engine.onSettled();
    expect(h.a.mustGet(aId).comments.map((c) => c.body)).toEqual([
      expect.stringContaining('from the MSP, just before the write'),
    ]);
  });

  it('lists them on a side stamped in whole seconds, inside SETTLE_MS', async () => {
    const h = harness({ fields: [summary, priority], systemA: { clock: justBehind }, systemB: { clock: justBehind } });
    const aId = h.a.userCreate({ subject: 'start', priority: 2 });
    await h.pollBoth();
    await h.pollBoth();
    h.a.userEdit(aId, { subject: 'edited on a' });
    await h.engine.hint('test', 'a', aId);
    await h.engine.onIdle();
    const before = calls(h);
    h.a.userEdit(aId, { subject: 'edited on a again' });
    await h.engine.hint('test', 'a', aId);
    await h.engine.onIdle();
    expect(delta(before, calls(h))).toMatchObject({ bCommentLists: 1, writes: 1 });
  });
});

describe('poll deliveries of a version the ledger holds but does not trust yet (SETTLE_MS)', () => {
  /**
   * Both systems stamp versions of one second from a clock moved by hand, so every change of a
   * test lands in one second; the engine and the ledger run on the real clock. The link is made
   * with versions ten seconds old (trusted at once); then the systems' clock is set a second or
   * two behind the real one: the versions of the change settle a second or two from now.
   */
  async function justWritten() {
    const clock = new ManualClock(Date.now() - 10_000);
    const system = { clock, versionPrecisionMs: 1000 };
    const h = harness({ fields: [summary], systemA: system, systemB: system });
    const aId = h.a.userCreate({ subject: 'start' });
    await h.pollBoth();
    await h.pollBoth();
    const link = await onlyLink(h);
    clock.advance(Math.floor((Date.now() - 1000) / 1000) * 1000 + 100 - clock.now());
    h.a.userEdit(aId, { subject: 'edited on a' });
    await h.engine.pollOnce('test', 'a');
    await h.engine.onIdle();
    expect(h.b.mustGet(link.bId).fields.summary).toBe('edited on a');
    return { h, aId, link };
  }

  /** Side b's version as its one-second timestamps show it. */
  const secondOf = (h: Harness, id: string): string =>
    new Date(Math.floor(h.b.mustGet(id).updatedMs / 1000) * 1000).toISOString();

  /** Both sides listed twice, each listing showing its ticket as the ledger holds it, unsettled. */
  async function listedAgain(h: Harness): Promise<void> {
    for (let round = 0; round < 2; round++) {
      await h.engine.pollOnce('test', 'b');
      await h.engine.pollOnce('test', 'a');
    }
  }

  it('cost one pass of the link once the versions have settled, not one pass each', async () => {
    const { h, link } = await justWritten();
    const before = calls(h);
    await listedAgain(h);
    expect(delta(before, calls(h)), 'while unsettled').toEqual({
      aReads: 0,
      bReads: 0,
      aCommentLists: 0,
      bCommentLists: 0,
      writes: 0,
    });
    await h.engine.onIdle();
    expect(delta(before, calls(h)), 'once every pass has run').toMatchObject({ aReads: 0, bReads: 0 });
    const held = Date.now();
    await h.engine.onSettled();
    // One normal pass: both tickets read, the comments of both unsettled sides listed, nothing written.
    expect(delta(before, calls(h)), 'the held pass').toEqual({
      aReads: 1,
      bReads: 1,
      aCommentLists: 1,
      bCommentLists: 1,
      writes: 0,
    });
    expect(Date.now() - held).toBeLessThan(2 * SETTLE_MS);
    const stored = await h.ledger.getLink(link.id);
    expect(Date.parse(stored!.updatedAt) - Date.parse(secondOf(h, link.bId))).toBeGreaterThan(SETTLE_MS);
    // Trusted now: the next listings cost nothing.
    const settled = calls(h);
    await h.pollBoth();
    await h.pollBoth();
    expect(delta(settled, calls(h))).toEqual({ aReads: 0, bReads: 0, aCommentLists: 0, bCommentLists: 0, writes: 0 });
  });

  /** Waits until b's version, as its one-second timestamps show it, has settled by the real clock. */
  async function pastSettle(h: Harness, bId: string): Promise<void> {
    const due = Date.parse(secondOf(h, bId)) + SETTLE_MS + 600;
    await new Promise((r) => setTimeout(r, Math.max(0, due - Date.now())));
  }

  it('listed again once the versions have settled, cost one comment list per side and no read', async () => {
    const { h, link } = await justWritten();
    await pastSettle(h, link.bId);
    const before = calls(h);
    await h.engine.pollOnce('test', 'b');
    await h.engine.pollOnce('test', 'a');
    await h.engine.onSettled();
    expect(delta(before, calls(h))).toEqual({ aReads: 0, bReads: 0, aCommentLists: 1, bCommentLists: 1, writes: 0 });
    // Trusted now: the next listings cost nothing.
    const settled = calls(h);
    await h.pollBoth();
    await h.pollBoth();
    expect(delta(settled, calls(h))).toEqual({ aReads: 0, bReads: 0, aCommentLists: 0, bCommentLists: 0, writes: 0 });
  });

  it('listed again once the versions have settled, list the comments afresh: not as a read before the settle time carried them', async () => {
    const { h, link } = await justWritten();
    await pastSettle(h, link.bId);
    const contexts: Array<TicketContext | undefined> = [];
    const connector = h.connectorB as unknown as Connector;
    const list = connector.listComments.bind(connector);
    connector.listComments = async (id: string, context?: TicketContext) => {
      contexts.push(context);
      return list(id, context);
    };
    await h.engine.pollOnce('test', 'b');
    await h.engine.onSettled();
    expect(contexts).toHaveLength(1);
    expect(contexts[0]?.version).toBeUndefined();
  });

  it('listed again once the versions have settled, still copy a comment made in the second of the write', async () => {
    const { h, aId, link } = await justWritten();
    const written = secondOf(h, link.bId);
    h.b.userComment(link.bId, 'same second', 'public');
    expect(secondOf(h, link.bId)).toBe(written);
    await pastSettle(h, link.bId);
    await h.engine.pollOnce('test', 'b');
    await h.engine.onSettled();
    expect(h.a.mustGet(aId).comments.map((c) => c.body)).toEqual([expect.stringContaining('same second')]);
  });

  it('still copy a comment made in the same second as the write, behind an unchanged version', async () => {
    const { h, aId, link } = await justWritten();
    const written = secondOf(h, link.bId);
    h.b.userComment(link.bId, 'same second', 'public');
    expect(secondOf(h, link.bId)).toBe(written);
    await listedAgain(h);
    await h.engine.onSettled();
    expect(h.a.mustGet(aId).comments.map((c) => c.body)).toEqual([expect.stringContaining('same second')]);
    // Copied once: later listings find nothing new.
    await h.pollBoth();
    await h.pollBoth();
    expect(h.a.mustGet(aId).comments).toHaveLength(1);
    expect(await h.ledger.listErrors({ state: 'open' })).toEqual([]);
  });

  it('the held pass reads the tickets: one trashed meanwhile (its version unmoved) flags the link', async () => {
    const { h, aId, link } = await justWritten();
    await listedAgain(h);
    h.a.mustGet(aId).deleted = true; // trashed: it still answers, and its version does not move
    await h.engine.onSettled();
    expect(await h.ledger.getLink(link.id)).toMatchObject({
      state: 'flagged',
      note: expect.stringContaining('deleted on a'),
    });
  });

  it('a listing that shows the side changed (its fields, in the same second) runs its pass at once', async () => {
    const { h, aId, link } = await justWritten();
    await listedAgain(h);
    h.a.userEdit(aId, { subject: 'edited again on a' });
    await h.engine.pollOnce('test', 'a');
    expect(h.b.mustGet(link.bId).fields.summary).toBe('edited again on a');
    await h.engine.onSettled();
  });

  it('a held pass waiting does not hold up a stop, and never runs after it', async () => {
    const { h } = await justWritten();
    const before = calls(h);
    await listedAgain(h);
    const stopping = Date.now();
    await h.engine.stop();
    expect(Date.now() - stopping).toBeLessThan(1000);
    // Past the time the held pass was due (SETTLE_MS after a version a second or two old).
    await new Promise((resolve) => setTimeout(resolve, 2500));
    expect(delta(before, calls(h))).toEqual({ aReads: 0, bReads: 0, aCommentLists: 0, bCommentLists: 0, writes: 0 });
  });
});

describe('the scheduled reconcile', () => {
  it('skips links a pass has read since its last run, and reads the rest', async () => {
    // The engine's clock moves by hand, so "since the last run" does not depend on the test's speed.
    const clock = new ManualClock(Date.now());
    const h = harness({ fields: [summary, priority], engine: { clock } });
    const ids = [1, 2, 3].map((n) => h.a.userCreate({ subject: `t${n}`, priority: 2 }));
    await h.pollBoth();
    clock.advance(1000);
    expect(await h.engine.scheduledReconcile()).toBe(3);
    clock.advance(1000);
    h.a.userEdit(ids[0]!, { subject: 'edited' });
    await h.engine.hint('test', 'a', ids[0]!);
    await h.engine.onIdle();
    clock.advance(1000);
    const before = calls(h);
    expect(await h.engine.scheduledReconcile()).toBe(2);
    await h.engine.onIdle();
    expect(delta(before, calls(h))).toMatchObject({ aReads: 2, bReads: 2 });
    // Nothing read in between: the next run reads every link again.
    clock.advance(1000);
    expect(await h.engine.scheduledReconcile()).toBe(3);
  });
});

describe('comment lists in a pass for a hint (issue 14: listed only when a system says they may have changed)', () => {
  const versionOf = (h: Harness, side: 'a' | 'b', id: string): string =>
    new Date(h[side].mustGet(id).updatedMs).toISOString();
  /** b's version as its delivery reports it, in whole seconds (versionPrecisionMs: 1000). */
  const secondOf = (h: Harness, id: string): string =>
    new Date(Math.floor(h.b.mustGet(id).updatedMs / 1000) * 1000).toISOString();

  /** A linked pair whose b side the daemon wrote moments ago (its version is under SETTLE_MS old). */
  async function writtenMomentsAgo(options: Parameters<typeof harness>[0]) {
    const h = harness(options);
    const aId = h.a.userCreate({ subject: 'start', priority: 2 });
    await h.engine.hint('test', 'a', aId);
    await h.engine.onIdle();
    const link = await onlyLink(h);
    h.a.userEdit(aId, { subject: 'first edit' });
    await h.engine.hint('test', 'a', aId);
    await h.engine.onIdle();
    expect(h.b.mustGet(link.bId).fields.summary).toBe('first edit');
    return { h, aId, link };
  }

  it("does not list the unmoved side's comments only because the daemon wrote it seconds ago, when its deliveries reach the daemon", async () => {
    const { h, aId, link } = await writtenMomentsAgo({ fields: [summary, priority], webhooks: { a: true, b: true } });
    const before = calls(h);
    h.a.userEdit(aId, { subject: 'second edit' });
    await h.engine.hint('test', 'a', aId);
    await h.engine.onIdle();
    expect(h.b.mustGet(link.bId).fields.summary).toBe('second edit');
    expect(delta(before, calls(h))).toEqual({ aReads: 1, bReads: 1, aCommentLists: 1, bCommentLists: 0, writes: 1 });
  });

  it('lists it at once while the poll runs: the poll lists that ticket again at that version and would run a pass of both sides for it', async () => {
    const { h, aId, link } = await writtenMomentsAgo({
      fields: [summary, priority],
      webhooks: { a: true, b: true },
      engine: { pollIntervalMs: 3_600_000 },
    });
    // Polls both sides once now, then hourly; b stays as the daemon wrote it a moment ago, its
    // version not trusted yet (the pass held for it runs only after SETTLE_MS).
    await h.engine.start();
    await h.engine.onIdle();
    try {
      const before = calls(h);
      h.a.userEdit(aId, { subject: 'second edit' });
      await h.engine.hint('test', 'a', aId);
      await h.engine.onIdle();
      expect(h.b.mustGet(link.bId).fields.summary).toBe('second edit');
      expect(delta(before, calls(h))).toMatchObject({ aCommentLists: 1, bCommentLists: 1 });
    } finally {
      await h.engine.stop();
    }
  });

  it('keeps listing it when nothing watches that side (no webhook, no poll running)', async () => {
    const { h, aId } = await writtenMomentsAgo({ fields: [summary, priority], webhooks: { a: true } });
    const before = calls(h);
    h.a.userEdit(aId, { subject: 'second edit' });
    await h.engine.hint('test', 'a', aId);
    await h.engine.onIdle();
    expect(delta(before, calls(h))).toMatchObject({ aCommentLists: 1, bCommentLists: 1 });
  });

  it("copies a comment made in the same second as the daemon's write when that side's own delivery arrives", async () => {
    const { h, aId, link } = await writtenMomentsAgo({
      fields: [summary, priority],
      webhooks: { a: true, b: true },
      systemB: { versionPrecisionMs: 1000 },
    });
    // A person comments on b within the second the write was stamped: b's version does not move.
    const written = h.b.mustGet(link.bId).updatedMs;
    h.b.userComment(link.bId, 'same second', 'public');
    h.b.mustGet(link.bId).updatedMs = written;
    h.a.userEdit(aId, { subject: 'second edit' });
    await h.engine.hint('test', 'a', aId);
    await h.engine.onIdle();
    expect(h.a.mustGet(aId).comments).toEqual([]);
    // b sends the echo of that write and the comment's own delivery, both at the same second.
    await h.engine.hint('test', 'b', link.bId, undefined, secondOf(h, link.bId));
    await h.engine.hint('test', 'b', link.bId, undefined, secondOf(h, link.bId));
    await h.engine.onIdle();
    expect(h.a.mustGet(aId).comments.map((c) => c.body)).toEqual([expect.stringContaining('same second')]);
  });

  it('still copies it when the pass that left it unlisted committed more than SETTLE_MS after that version', async () => {
    const clock = new ManualClock(Date.now());
    const { h, aId, link } = await writtenMomentsAgo({
      fields: [summary, priority],
      webhooks: { a: true, b: true },
      systemA: { clock },
      systemB: { clock, versionPrecisionMs: 1000 },
      ledger: new SqliteLedger({ path: ':memory:', clock }),
      engine: { clock },
    });
    const written = h.b.mustGet(link.bId).updatedMs;
    h.b.userComment(link.bId, 'same second', 'public');
    h.b.mustGet(link.bId).updatedMs = written;
    // A pass on a that writes nothing to b runs 5 s later (a busy queue): its commit must not make
    // b's version trusted.
    clock.advance(5000);
    h.a.userEdit(aId, { labels: 'x' });
    const before = calls(h);
    await h.engine.hint('test', 'a', aId);
    await h.engine.onIdle();
    expect(delta(before, calls(h))).toMatchObject({ bCommentLists: 0 });
    await h.engine.hint('test', 'b', link.bId, undefined, secondOf(h, link.bId));
    await h.engine.onIdle();
    expect(h.a.mustGet(aId).comments.map((c) => c.body)).toEqual([expect.stringContaining('same second')]);
  });

  it("does not list the hinted side's comments for a fields-only delivery at the version it reported", async () => {
    const { h, aId } = await writtenMomentsAgo({ fields: [summary, priority], webhooks: { a: true, b: true } });
    h.a.userEdit(aId, { priority: 3 });
    const before = calls(h);
    await h.engine.hint('test', 'a', aId, undefined, versionOf(h, 'a', aId), 'fields');
    await h.engine.onIdle();
    expect(delta(before, calls(h))).toEqual({ aReads: 1, bReads: 1, aCommentLists: 0, bCommentLists: 0, writes: 1 });
  });

  it('a fields-only delivery of a field no connection maps still runs a pass, and lists no comments', async () => {
    const { h, aId } = await writtenMomentsAgo({ fields: [summary, priority], webhooks: { a: true, b: true } });
    h.a.userEdit(aId, { labels: 'x' });
    const before = calls(h);
    await h.engine.hint('test', 'a', aId, undefined, versionOf(h, 'a', aId), 'fields');
    await h.engine.onIdle();
    expect(delta(before, calls(h))).toEqual({ aReads: 1, bReads: 1, aCommentLists: 0, bCommentLists: 0, writes: 0 });
  });

  /**
   * Jira-like millisecond versions: a person comments, then edits a field, and the edit's
   * fields-only delivery is handled first; that pass copies no comment.
   */
  async function commentThenFieldsDelivery(text: string) {
    const { h, aId } = await writtenMomentsAgo({
      fields: [summary, priority],
      webhooks: { a: true, b: true },
      systemA: { versionStepMs: 1 },
    });
    h.a.userComment(aId, text, 'public');
    const commented = versionOf(h, 'a', aId);
    h.a.userEdit(aId, { priority: 3 });
    await new Promise((resolve) => setTimeout(resolve, 10)); // the ledger trusts a millisecond version at once
    await h.engine.hint('test', 'a', aId, undefined, versionOf(h, 'a', aId), 'fields');
    await h.engine.onIdle();
    const link = await onlyLink(h);
    expect(h.b.mustGet(link.bId).comments).toEqual([]);
    return { h, aId, link, commented };
  }

  it('copies a comment made before a field edit whose fields-only delivery was handled first (Jira-like millisecond versions)', async () => {
    const { h, aId, link, commented } = await commentThenFieldsDelivery('before the edit');
    await new Promise((resolve) => setTimeout(resolve, 10));
    // The comment's deliveries: comment_created (no version) and the issue_commented update.
    await h.engine.hint('test', 'a', aId, undefined, undefined, 'comments');
    await h.engine.hint('test', 'a', aId, undefined, commented, 'comments');
    await h.engine.onIdle();
    expect(h.b.mustGet(link.bId).comments.map((c) => c.body)).toEqual([expect.stringContaining('before the edit')]);
  });

  it('copies a comment made before a field edit when its own deliveries never come: the next poll lists the side (Jira-like millisecond versions)', async () => {
    const { h, link } = await commentThenFieldsDelivery('before the edit, delivery lost');
    // No comment delivery (lost, or taken by a daemon killed before its pass): only the poll.
    await new Promise((resolve) => setTimeout(resolve, 10));
    await h.pollBoth();
    await h.engine.onIdle();
    expect(h.b.mustGet(link.bId).comments.map((c) => c.body)).toEqual([
      expect.stringContaining('before the edit, delivery lost'),
    ]);
  });

  it.each([
    ['a comment made after the edit the delivery reports (the ticket is newer than it)', 'fields', true],
    ['a delivery that says comments moved', 'comments', false],
    ['a delivery that says nothing about what moved', undefined, false],
  ] as const)('lists the hinted side for %s', async (_what, moved, commentAfter) => {
    const { h, aId } = await writtenMomentsAgo({ fields: [summary, priority], webhooks: { a: true, b: true } });
    h.a.userEdit(aId, { priority: 3 });
    const reported = versionOf(h, 'a', aId);
    h.a.userComment(aId, 'from the team', 'public');
    if (!commentAfter) h.a.mustGet(aId).updatedMs = Date.parse(reported);
    await h.engine.hint('test', 'a', aId, undefined, reported, moved);
    await h.engine.onIdle();
    expect(h.b.mustGet((await onlyLink(h)).bId).comments.map((c) => c.body)).toEqual([
      expect.stringContaining('from the team'),
    ]);
  });
});

describe('the echo of a copied comment', () => {
  /** The version a webhook reports for the ticket on b as it is now. */
  const versionOnB = (h: Harness, id: string): string =>
    new Date(
      h.b.mustGet(id).updatedMs - (h.b.mustGet(id).updatedMs % (h.b.options.versionPrecisionMs ?? 1)),
    ).toISOString();

  it('costs one read in the pass that copies it, and its delivery no call', async () => {
    const h = harness({ fields: [summary, priority] });
    const aId = h.a.userCreate({ subject: 'start', priority: 2 });
    await h.pollBoth();
    const link = await onlyLink(h);
    h.a.userComment(aId, 'from the customer', 'public');
    const before = calls(h);
    await h.engine.hint('test', 'a', aId);
    await h.engine.onIdle();
    expect(h.b.mustGet(link.bId).comments.map((c) => c.body)).toEqual([expect.stringContaining('from the customer')]);
    const copied = calls(h);
    // a read and its comments listed, b read before (to plan) and once after the copy, one POST
    // (b's comments are listed too: the link was made moments ago, its version is not settled).
    expect(delta(before, copied)).toEqual({ aReads: 1, bReads: 2, aCommentLists: 1, bCommentLists: 1, writes: 1 });
    await h.engine.hint('test', 'b', link.bId, undefined, versionOnB(h, link.bId)); // the copy's echo
    await h.engine.onIdle();
    expect(delta(copied, calls(h))).toEqual({ aReads: 0, bReads: 0, aCommentLists: 0, bCommentLists: 0, writes: 0 });
  });

  it('costs no pass when the next polls list it', async () => {
    const h = harness({ fields: [summary, priority], systemA: { clock: behind }, systemB: { clock: behind } });
    const aId = h.a.userCreate({ subject: 'start', priority: 2 });
    await h.pollBoth();
    await h.pollBoth();
    h.a.userComment(aId, 'from the customer', 'public');
    await h.engine.pollOnce('test', 'a');
    await h.engine.onIdle();
    const copied = calls(h);
    await h.pollBoth();
    await h.pollBoth();
    expect(delta(copied, calls(h))).toEqual({ aReads: 0, bReads: 0, aCommentLists: 0, bCommentLists: 0, writes: 0 });
  });

  it("still copies a person's comment made between the copy and the pass's read after it", async () => {
    const h = harness({ fields: [summary, priority] });
    const aId = h.a.userCreate({ subject: 'start', priority: 2 });
    await h.pollBoth();
    const link = await onlyLink(h);
    const add = h.connectorB.addComment.bind(h.connectorB);
    let echo = '';
    h.connectorB.addComment = async (id, comment) => {
      const twin = await add(id, comment);
      echo = versionOnB(h, id);
      h.b.userComment(id, 'from the MSP, right after', 'public');
      return twin;
    };
    h.a.userComment(aId, 'from the customer', 'public');
    await h.engine.hint('test', 'a', aId);
    await h.engine.onIdle();
    // Both deliveries, the copy's echo and the person's comment, in either order.
    await h.engine.hint('test', 'b', link.bId, undefined, versionOnB(h, link.bId));
    await h.engine.hint('test', 'b', link.bId, undefined, echo);
    await h.engine.onIdle();
    expect(h.a.mustGet(aId).comments.map((c) => c.body)).toEqual([
      'from the customer',
      expect.stringContaining('from the MSP, right after'),
    ]);
  });

  it("a person's comment in the same second as the copy: the second delivery at that version copies it", async () => {
    // One second on every clock (versions in whole seconds on b); the ledger stamps real time, so
    // the version it records is as fresh (unsettled) as in production.
    const second = Math.floor(Date.now() / 1000) * 1000 + 200;
    const clock = { now: () => second };
    const h = harness({
      fields: [summary],
      systemA: { clock },
      systemB: { clock, versionPrecisionMs: 1000 },
      engine: { clock },
    });
    const aId = h.a.userCreate({ subject: 'start' });
    await h.pollBoth();
    const link = await onlyLink(h);
    const add = h.connectorB.addComment.bind(h.connectorB);
    h.connectorB.addComment = async (id, comment) => {
      const twin = await add(id, comment);
      h.b.userComment(id, 'same second', 'public');
      return twin;
    };
    h.a.userComment(aId, 'from the customer', 'public');
    await h.engine.hint('test', 'a', aId);
    await h.engine.onIdle();
    const version = versionOnB(h, link.bId);
    await h.engine.hint('test', 'b', link.bId, undefined, version); // the copy's echo: no call
    await h.engine.hint('test', 'b', link.bId, undefined, version); // the person's comment
    await h.engine.onIdle();
    expect(h.a.mustGet(aId).comments.map((c) => c.body)).toEqual([
      'from the customer',
      expect.stringContaining('same second'),
    ]);
  });
});

describe('deliveries that announce a comment (Jira: comment_created, and the issue_commented update)', () => {
  it("the second delivery of a person's comment costs no call once the first one's pass copied it", async () => {
    const h = harness({ fields: [summary, priority] });
    const aId = h.a.userCreate({ subject: 'start', priority: 2 });
    await h.pollBoth();
    const link = await onlyLink(h);
    const commentId = h.a.userComment(aId, 'from the customer', 'public');
    await h.engine.hint('test', 'a', aId, undefined, undefined, 'comments', [{ commentId }]);
    await h.engine.onIdle();
    expect(h.b.mustGet(link.bId).comments.map((c) => c.body)).toEqual([expect.stringContaining('from the customer')]);
    const copied = calls(h);
    await h.engine.hint('test', 'a', aId, undefined, undefined, 'comments', [{ commentId }]);
    await h.engine.onIdle();
    expect(delta(copied, calls(h))).toEqual({ aReads: 0, bReads: 0, aCommentLists: 0, bCommentLists: 0, writes: 0 });
  });

  it("the delivery announcing the daemon's own copy costs no call", async () => {
    const h = harness({ fields: [summary, priority] });
    const aId = h.a.userCreate({ subject: 'start', priority: 2 });
    await h.pollBoth();
    const link = await onlyLink(h);
    h.a.userComment(aId, 'from the customer', 'public');
    await h.engine.hint('test', 'a', aId);
    await h.engine.onIdle();
    const twinId = h.b.mustGet(link.bId).comments[0]!.id;
    const copied = calls(h);
    await h.engine.hint('test', 'b', link.bId, undefined, undefined, 'comments', [{ commentId: twinId }]);
    await h.engine.onIdle();
    expect(delta(copied, calls(h))).toEqual({ aReads: 0, bReads: 0, aCommentLists: 0, bCommentLists: 0, writes: 0 });
  });

  it('a pass owed to several deliveries runs when any of them announced a comment the ledger does not know', async () => {
    const h = harness({ fields: [summary, priority] });
    const aId = h.a.userCreate({ subject: 'start', priority: 2 });
    await h.pollBoth();
    const link = await onlyLink(h);
    const first = h.a.userComment(aId, 'first', 'public');
    await h.engine.hint('test', 'a', aId, undefined, undefined, 'comments', [{ commentId: first }]);
    await h.engine.onIdle();
    const second = h.a.userComment(aId, 'second', 'public');
    await h.engine.hint('test', 'a', aId, undefined, undefined, 'comments', [
      { commentId: first },
      { commentId: second },
    ]);
    await h.engine.onIdle();
    expect(h.b.mustGet(link.bId).comments.map((c) => c.body)).toEqual([
      expect.stringContaining('first'),
      expect.stringContaining('second'),
    ]);
  });

  it('an announced comment the ledger knows only on the other side is news for this side', async () => {
    const h = harness({ fields: [summary, priority] });
    const aId = h.a.userCreate({ subject: 'start', priority: 2 });
    await h.pollBoth();
    const link = await onlyLink(h);
    const internal = h.a.userComment(aId, 'internal on a', 'internal'); // kept on a: skipped
    await h.engine.hint('test', 'a', aId);
    await h.engine.onIdle();
    // Each memory system numbers its comments from c1: b's first comment has the id of a's.
    const msp = h.b.userComment(link.bId, 'from the MSP', 'public');
    expect(msp).toBe(internal);
    await h.engine.hint('test', 'b', link.bId, undefined, undefined, 'comments', [{ commentId: msp }]);
    await h.engine.onIdle();
    expect(h.a.mustGet(aId).comments.map((c) => c.body)).toEqual([
      'internal on a',
      expect.stringContaining('from the MSP'),
    ]);
  });
});
