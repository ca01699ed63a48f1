import { describe, expect, it } from 'vitest';
import { createHarness, type HarnessOptions } from '../helpers/engine-harness.js';
import type { FieldConfig } from '../../src/mapping/schema.js';

const fields: FieldConfig[] = [
  { name: 'category', a: 'category', b: 'type', owner: 'a' },
  { name: 'status', a: 'status', b: 'status', owner: 'a' },
  { name: 'summary', a: 'subject', b: 'summary', owner: 'both' },
];

const connection = {
  a: { system: 'alpha', team: 'internal IT' },
  b: { system: 'beta', team: 'MSP' },
  functions: [
    {
      name: 'security',
      label: 'security incident',
      match: { any: [{ side: 'a', field: 'category', in: ['Security'] }] },
      responsible: 'b',
      owners: { status: 'b' },
    },
  ],
} as unknown as NonNullable<HarnessOptions['connection']>;

describe('ownership by function', () => {
  it('a category change to Security moves status to the MSP side: a later internal status edit is reverted and logged', async () => {
    const h = createHarness({ fields, connection });
    const id = h.a.userCreate({ category: 'Hardware', status: 'Open', subject: 'Laptop fan' });
    await h.pollBoth();
    const link = (await h.ledger.listLinks({})).items[0]!;

    // While the ticket is hardware, status is the internal side's: its edits are mirrored.
    h.a.userEdit(id, { status: 'Pending' });
    await h.pollBoth();
    expect(h.b.mustGet(link.bId).fields.status).toBe('Pending');

    h.a.userEdit(id, { category: 'Security' });
    await h.pollBoth();
    const changed = (await h.ledger.listEvents({ linkId: link.id, kind: 'function_changed' })).items;
    expect(changed.map((e) => [e.oldValue, e.newValue, e.reason])).toEqual([
      [null, 'security', 'security incident: status now owned by Beta (MSP)'],
    ]);
    expect(changed[0]!.data).toEqual({
      from: null,
      to: 'security',
      owners: { category: 'a', status: 'b', summary: 'both' },
    });

    // Now the MSP side owns status: its edit is mirrored, the internal side's edit is reverted.
    h.b.userEdit(link.bId, { status: 'Investigating' });
    await h.pollBoth();
    expect(h.a.mustGet(id).fields.status).toBe('Investigating');
    h.a.userEdit(id, { status: 'Closed' });
    await h.pollBoth();
    expect(h.a.mustGet(id).fields.status).toBe('Investigating');
    expect(h.b.mustGet(link.bId).fields.status).toBe('Investigating');
    const reverted = (await h.ledger.listEvents({ linkId: link.id, kind: 'field_reverted' })).items;
    expect(reverted.map((e) => [e.side, e.field, e.oldValue, e.newValue])).toEqual([
      ['a', 'status', 'Closed', 'Investigating'],
    ]);

    // Leaving the function gives status back and is logged once.
    h.a.userEdit(id, { category: 'Hardware' });
    await h.pollBoth();
    await h.pollBoth();
    const again = (await h.ledger.listEvents({ linkId: link.id, kind: 'function_changed' })).items;
    expect(again.map((e) => [e.oldValue, e.newValue, e.reason])).toEqual([
      ['security', null, 'no longer security incident: status now owned by Alpha (internal IT)'],
      [null, 'security', 'security incident: status now owned by Beta (MSP)'],
    ]);
    await h.close();
  });
});
