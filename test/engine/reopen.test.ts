// A pair closed on both sides that is opened again on one is a reopened ticket: the pass records
// ticket_reopened (the monthly report counts it), on the side people reopened it.
import { expect, it } from 'vitest';
import type { FieldConfig } from '../../src/mapping/schema.js';
import { buildReport } from '../../src/core/report/kpi.js';
import { parsePeriod } from '../../src/core/period.js';
import { CONNECTION } from '../helpers/engine-harness.js';
import { harness, onlyLink, summary } from './fixtures.js';

const status: FieldConfig = { name: 'status', a: 'status', b: 'status', owner: 'both' };

it('records ticket_reopened when a pair closed on both sides opens again, once', async () => {
  const h = harness({ fields: [summary, status] });
  const aId = h.a.userCreate({ subject: 'printer', status: 'Open' });
  await h.pollBoth();
  const link = await onlyLink(h);
  h.b.userEdit(link.bId, { status: 'Closed' });
  await h.pollBoth();
  await h.engine.reconcile();
  expect((await h.ledger.getLink(link.id))?.closedSince).not.toBeNull();
  expect((await h.ledger.listEvents({ kind: 'ticket_reopened' })).total).toBe(0);

  h.a.userEdit(aId, { status: 'Open' });
  await h.pollBoth();
  await h.engine.reconcile();
  expect(h.b.mustGet(link.bId).fields.status).toBe('Open');
  const reopened = await h.ledger.listEvents({ kind: 'ticket_reopened' });
  expect(reopened.items.map((e) => [e.linkId, e.side])).toEqual([[link.id, 'a']]);
  expect((await h.ledger.getLink(link.id))?.closedSince).toBeNull();
});

it('records pair_closed when people close both tickets, once, and the report counts it as closed', async () => {
  const h = harness({ fields: [summary] });
  const aId = h.a.userCreate({ subject: 'scanner', status: 'Open' });
  await h.pollBoth();
  const link = await onlyLink(h);
  // No field carries the status: each team closes its own ticket.
  h.b.userEdit(link.bId, { status: 'Open' });
  h.a.userEdit(aId, { status: 'Closed' });
  await h.pollBoth();
  expect((await h.ledger.listEvents({ kind: 'pair_closed' })).total, 'one side closed is not a closed pair').toBe(0);
  h.b.userEdit(link.bId, { status: 'Closed' });
  await h.pollBoth();
  await h.engine.reconcile();
  await h.engine.reconcile();
  const closed = await h.ledger.listEvents({ kind: 'pair_closed' });
  expect(closed.items.map((e) => e.linkId)).toEqual([link.id]);

  const report = await buildReport(
    h.ledger,
    [{ name: CONNECTION, systems: { a: 'A', b: 'B' } }],
    parsePeriod('2000-01-01', '2100-12-31'),
  );
  expect(report.connections[0]!.closed).toBe(1);
});
