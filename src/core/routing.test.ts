import { describe, expect, it } from 'vitest';
import { ConnectionConfig } from '../mapping/schema.js';
import { compileCalendars, routeCreate } from './routing.js';

const connection = (routing: unknown): ConnectionConfig =>
  ConnectionConfig.parse({
    a: { system: 'fs' },
    b: { system: 'cw' },
    fields: [{ name: 'status', a: 'status', b: 'status', owner: 'both' }],
    routing,
  });

const calendars = compileCalendars({
  night: {
    timezone: 'Europe/London',
    days: ['mon', 'tue', 'wed', 'thu', 'fri'],
    start: '22:00',
    end: '06:00',
    holidays: [],
  },
});

describe('routing a created twin', () => {
  const config = connection({
    businessHours: 'night',
    aToB: [
      {
        when: {
          all: [{ field: 'priority', in: [4] }],
          any: [
            { field: 'category', in: ['Security'] },
            { field: 'subject', contains: ['ransomware', 'outage'] },
          ],
        },
        set: { board: 'Security' },
      },
      { when: { businessHours: true }, set: { board: 'Night Shift' } },
      { when: {}, set: { board: 'Co-Managed' } },
    ],
  });

  it.each([
    ['an urgent security ticket', { priority: 4, category: 'Security' }, '2026-11-30T12:00:00Z', 'Security'],
    [
      'an urgent ticket whose subject names an outage',
      { priority: 4, subject: 'Mail OUTAGE' },
      '2026-11-30T12:00:00Z',
      'Security',
    ],
    ['a low security ticket (all fails)', { priority: 1, category: 'Security' }, '2026-11-30T12:00:00Z', 'Co-Managed'],
    [
      'an urgent ticket of another kind (any fails)',
      { priority: 4, category: 'Hardware' },
      '2026-11-30T12:00:00Z',
      'Co-Managed',
    ],
    ['a ticket at 23:00 inside the night window', { priority: 1 }, '2026-11-30T23:00:00Z', 'Night Shift'],
    ['a ticket at 03:00 after midnight, inside the window', { priority: 1 }, '2026-12-01T03:00:00Z', 'Night Shift'],
    ['a ticket at 07:00', { priority: 1 }, '2026-12-01T07:00:00Z', 'Co-Managed'],
  ])('%s lands on %s', (_what, fields, iso, board) => {
    expect(routeCreate(config, 'a', fields, Date.parse(iso), calendars)).toEqual({ board });
  });
});
