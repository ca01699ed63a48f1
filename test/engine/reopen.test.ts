// A pair closed on both sides that is opened again on one is a reopened ticket: the pass records
// ticket_reopened (the monthly report counts it), on the side people reopened it.
import { expect, it } from 'vitest';
import type { FieldConfig } from '../../src/mapping/schema.js';
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
