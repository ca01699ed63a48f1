// ConnectWise tickets as the engine reads them: closed from closedFlag (it follows the status's
// closedStatus), created from _info.dateEntered (OpenAPI spec: Ticket).
import { describe, expect, it } from 'vitest';
import { parseTicket, toTicket } from './convert.js';
import type { CwTicket } from './schema.js';

const context = { description: null, inScope: () => true, url: (id: number) => `https://cw.example/${id}` };

function read(extra: Record<string, unknown>) {
  const parsed = parseTicket({
    id: 7,
    summary: 'Switch port flapping',
    board: { id: 1, name: 'Co-Managed FS' },
    status: { id: 5, name: 'Closed' },
    company: { id: 1, identifier: 'Contoso' },
    _info: { lastUpdated: '2024-05-01T10:00:00Z', dateEntered: '2024-04-30T08:15:00Z' },
    ...extra,
  });
  if (typeof parsed.invalid === 'string') throw new Error(parsed.invalid);
  return toTicket(parsed as CwTicket, context);
}

describe('ConnectWise ticket closing and creation time', () => {
  it.each([
    [true, true],
    [false, false],
    [null, false],
  ])('closedFlag %s reads as closed %s', (closedFlag, closed) => {
    expect(read({ closedFlag }).closed).toBe(closed);
  });

  it('reads when the ticket was entered, and leaves it out when ConnectWise does not say', () => {
    expect(read({}).createdAt).toBe('2024-04-30T08:15:00.000Z');
    expect(read({ _info: { lastUpdated: '2024-05-01T10:00:00Z' } }).createdAt).toBeUndefined();
  });
});
