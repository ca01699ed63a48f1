// The drift audit on the engine: twins compared with the engine's own equivalence, every
// difference explained, and an unexplained one repaired by the field's rule.
import { describe, expect, it, vi } from 'vitest';
import { auditDrift, recordDrift } from '../../src/core/drift.js';
import { currentPriority } from '../../src/core/priority.js';
import { harness, onlyLink, priority, summary } from './fixtures.js';

describe('the drift audit', () => {
  it('finds nothing on pairs that agree, even where the vocabularies differ', async () => {
    const h = harness({ fields: [priority, summary] });
    h.a.userCreate({ priority: 2, subject: 'Printer' });
    await h.pollBoth();
    const result = await auditDrift(h.engine.connections, h.ledger);
    expect(result).toEqual({ pairs: 1, findings: [], unexplained: 0, pending: 0, unreadable: 0 });
  });

  it('explains a foreign edit as a revert due and an owner edit as a change pending', async () => {
    const h = harness({ fields: [priority, summary] });
    h.a.userCreate({ priority: 2, subject: 'Printer' });
    await h.pollBoth();
    const link = await onlyLink(h);
    h.b.userEdit(link.bId, { priority: 'P1' });
    h.a.userEdit(link.aId, { subject: 'Printer on fire' });
    const result = await auditDrift(h.engine.connections, h.ledger);
    expect(result.findings.map((f) => [f.field, f.a, f.b, f.explanation])).toEqual([
      ['priority', 2, 'P1', 'revert due'],
      ['summary', 'Printer on fire', 'Printer', 'change pending'],
    ]);
    expect(result).toMatchObject({ unexplained: 0, pending: 2 });
  });

  it('finds a difference the ledger agreed to with no pass explaining it, and repairs it by the owner', async () => {
    const h = harness({ fields: [priority, summary] });
    h.a.userCreate({ priority: 2, subject: 'Printer' });
    await h.pollBoth();
    const link = await onlyLink(h);
    // While the daemon is stopped: b's priority changes and the ledger is made to agree with it.
    h.b.userEdit(link.bId, { priority: 'P1' });
    await h.ledger.commit({
      connection: link.connection,
      linkId: link.id,
      versions: { b: (await h.connectorB.getTicket(link.bId)).version },
      baselines: { priority: { a: 2, b: 'P1' } },
    });
    const found = await auditDrift(h.engine.connections, h.ledger);
    expect(found.findings).toEqual([
      expect.objectContaining({ field: 'priority', a: 2, b: 'P1', explanation: 'unexplained', linkId: link.id }),
    ]);
    expect(found.unexplained).toBe(1);
    // A pass alone would see nothing to do: both sides hold what the ledger last agreed to.
    await h.engine.resync(link.id);
    expect(h.b.mustGet(link.bId).fields.priority).toBe('P1');

    const repaired = await recordDrift(h.engine.connections, h.ledger, found.findings, true);
    expect(repaired).toEqual([link.id]);
    await h.engine.resync(link.id);
    expect(h.b.mustGet(link.bId).fields.priority).toBe('P3');
    expect(h.a.mustGet(link.aId).fields.priority).toBe(2);
    expect((await auditDrift(h.engine.connections, h.ledger)).findings).toEqual([]);
    expect((await h.ledger.listEvents({ linkId: link.id, kind: 'drift_found' })).total).toBe(1);
  });

  it('explains a difference parked in the conflict inbox', async () => {
    const h = harness({ fields: [{ ...summary, conflict: 'manual' }] });
    h.a.userCreate({ subject: 'Printer' });
    await h.pollBoth();
    const link = await onlyLink(h);
    h.a.userEdit(link.aId, { subject: 'Printer A' });
    h.b.userEdit(link.bId, { summary: 'Printer B' });
    await h.pollBoth();
    const result = await auditDrift(h.engine.connections, h.ledger);
    expect(result.findings.map((f) => f.explanation)).toEqual(['conflict parked']);
  });

  it('compares the public comments: a copied comment whose twin is gone was deleted by a person, a new one pending, internal notes not at all', async () => {
    const h = harness({ fields: [summary] });
    h.a.userCreate({ subject: 'Printer' });
    await h.pollBoth();
    const link = await onlyLink(h);
    const copied = h.a.userComment(link.aId, 'Tried another tray', 'public');
    await h.pollBoth();
    const twin = h.b.mustGet(link.bId).comments.find((c) => c.body.includes('Tried another tray'))!;
    expect(twin).toBeDefined();
    // While the daemon is stopped: the copy is deleted on b; a public comment and an internal note are added on a.
    h.b.mustGet(link.bId).comments.splice(h.b.mustGet(link.bId).comments.indexOf(twin), 1);
    const fresh = h.a.userComment(link.aId, 'Still jams', 'public');
    h.a.userComment(link.aId, 'Vendor case 123', 'internal');
    const result = await auditDrift(h.engine.connections, h.ledger);
    expect(result.findings.map((f) => [f.field, f.a, f.b, f.explanation])).toEqual([
      ['comments', copied, twin.id, 'deleted on Beta by a person'],
      ['comments', fresh, null, 'change pending'],
    ]);
    expect(result).toMatchObject({ pairs: 1, unexplained: 0, pending: 2 });

    // Repair copies the pending comment and leaves the deleted copy deleted.
    const repaired = await recordDrift(h.engine.connections, h.ledger, result.findings, true);
    expect(repaired).toEqual([link.id]);
    await h.engine.resync(link.id);
    const bodies = h.b.mustGet(link.bId).comments.map((c) => c.body);
    expect(bodies.filter((b) => b.includes('Still jams'))).toHaveLength(1);
    expect(bodies.filter((b) => b.includes('Tried another tray'))).toHaveLength(0);
    const again = await auditDrift(h.engine.connections, h.ledger);
    expect(again.findings.map((f) => [f.a, f.explanation])).toEqual([[copied, 'deleted on Beta by a person']]);
  });

  it('runs as background work, says how far it got, and records the result for /status', async () => {
    const h = harness({ fields: [priority, summary] });
    h.a.userCreate({ priority: 2, subject: 'Printer' });
    h.a.userCreate({ priority: 3, subject: 'Scanner' });
    await h.pollBoth();
    const seen: string[] = [];
    const target = h.connectorB as unknown as Record<string, (...args: unknown[]) => unknown>;
    for (const method of ['getTicket', 'listComments']) {
      const original = target[method]!.bind(h.connectorB);
      target[method] = (...args: unknown[]) => {
        seen.push(currentPriority());
        return original(...args);
      };
    }
    const progress: Array<[number, number]> = [];
    const result = await h.engine.drift({ progress: (done, total) => progress.push([done, total]) });
    expect(result).toMatchObject({ pairs: 2, unexplained: 0, pending: 0, repaired: [] });
    expect(seen.length).toBeGreaterThanOrEqual(4);
    expect(new Set(seen)).toEqual(new Set(['background']));
    expect(progress).toEqual([
      [1, 2],
      [2, 2],
    ]);
    const [status] = await h.engine.status();
    expect(status!.drift).toEqual({
      last: expect.objectContaining({ pairs: 2, unexplained: 0, pending: 0, unreadable: 0, repaired: 0 }),
      running: null,
    });
    const audited = await h.ledger.listEvents({ kind: 'drift_audited' });
    expect(audited.items.map((e) => e.data)).toEqual([expect.objectContaining({ pairs: 2, unexplained: 0 })]);
  });

  it('runs on drift.cron once the engine starts, and not before', async () => {
    const h = harness({ fields: [priority, summary], engine: { driftCron: '* * * * * *', pollIntervalMs: 3_600_000 } });
    h.a.userCreate({ priority: 2, subject: 'Printer' });
    await h.pollBoth();
    expect((await h.engine.status())[0]!.drift.last).toBeNull();
    await h.engine.start();
    await vi.waitFor(async () => expect((await h.engine.status())[0]!.drift.last).not.toBeNull(), {
      timeout: 5_000,
      interval: 100,
    });
    await h.engine.stop();
    expect((await h.engine.status())[0]!.drift.last).toMatchObject({ pairs: 1, unexplained: 0 });
  });
});
