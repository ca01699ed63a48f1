// Shared field configs and harness bookkeeping for the engine tests: two in-memory systems and a
// real SQLite ledger, the behaviours DESIGN.md promises.
import { afterEach, expect } from 'vitest';
import type { FieldConfig } from '../../src/mapping/schema.js';
import { createHarness, type Harness } from '../helpers/engine-harness.js';

export const summary: FieldConfig = { name: 'summary', a: 'subject', b: 'summary', owner: 'both', conflict: 'newest' };
export const priority: FieldConfig = {
  name: 'priority',
  a: 'priority',
  b: 'priority',
  owner: 'a',
  map: [
    { a: 4, b: 'P1' },
    { a: 3, b: 'P2' },
    { a: 2, b: 'P3' },
    { a: 1, b: 'P4' },
  ],
};
export const status: FieldConfig = {
  name: 'status',
  a: 'status',
  b: 'status',
  owner: 'both',
  map: [
    { a: 2, b: 'New' },
    { a: 2, b: 'In Progress' },
    { a: 2, b: 'Assigned' },
    { a: 2, b: 'Scheduled' },
    { a: 4, b: 'Resolved' },
    { a: 5, b: 'Closed' },
  ],
};

const harnesses: Harness[] = [];
export function harness(...args: Parameters<typeof createHarness>): Harness {
  const h = createHarness(...args);
  harnesses.push(h);
  return h;
}
afterEach(async () => {
  for (const h of harnesses.splice(0)) await h.close().catch(() => undefined);
});

export async function onlyLink(h: Harness) {
  const links = await h.ledger.listLinks({});
  expect(links.total).toBe(1);
  return links.items[0]!;
}
