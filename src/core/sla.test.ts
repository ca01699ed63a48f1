import { describe, expect, it } from 'vitest';
import { compileCalendar } from './calendar.js';
import { dueAfter } from './sla.js';

const office = compileCalendar({
  timezone: 'Europe/London',
  days: ['mon', 'tue', 'wed', 'thu', 'fri'],
  start: '08:00',
  end: '18:00',
  holidays: ['2026-12-25'],
});
const night = compileCalendar({
  timezone: 'America/New_York',
  days: ['mon', 'tue', 'wed', 'thu', 'fri'],
  start: '22:00',
  end: '06:00',
  holidays: [],
});

describe('SLA due times', () => {
  it.each([
    ['a wall-clock clock ignores the calendar', undefined, '2026-11-30T19:00:00Z', 30, '2026-11-30T19:30:00.000Z'],
    ['inside office hours', office, '2026-11-30T10:00:00Z', 30, '2026-11-30T10:30:00.000Z'],
    ['started at 17:50, resumes the next morning', office, '2026-11-30T17:50:00Z', 30, '2026-12-01T08:20:00.000Z'],
    ['started Friday 19:00, due Monday', office, '2026-12-04T19:00:00Z', 30, '2026-12-07T08:30:00.000Z'],
    ['a holiday is skipped', office, '2026-12-24T17:30:00Z', 60, '2026-12-28T08:30:00.000Z'],
    // 22:00-06:00 New York; the window opened Monday runs into Tuesday 06:00 (EST, UTC-5).
    ['an over-midnight window counts past midnight', night, '2026-12-01T04:30:00Z', 120, '2026-12-01T06:30:00.000Z'],
    ['an over-midnight window resumes the next night', night, '2026-12-01T12:00:00Z', 60, '2026-12-02T04:00:00.000Z'],
    // Sunday 2026-03-08 02:00 EST -> EDT: Monday's window opens at 22:00 EDT (02:00 UTC).
    ['the spring DST change moves the window in UTC', night, '2026-03-09T12:00:00Z', 30, '2026-03-10T02:30:00.000Z'],
  ] as const)('%s', (_name, calendar, start, minutes, due) => {
    const ms = dueAfter(Date.parse(start), minutes, calendar);
    expect(ms === null ? null : new Date(ms).toISOString()).toBe(due);
  });

  it('never falls due on a calendar that opens no window', () => {
    const closed = compileCalendar({ timezone: 'UTC', days: [], start: '08:00', end: '18:00', holidays: [] });
    expect(dueAfter(Date.parse('2026-11-30T10:00:00Z'), 30, closed)).toBeNull();
  });

  it('gives up after three weeks without a window (a year of holidays)', () => {
    const holidays = Array.from({ length: 30 }, (_, i) =>
      new Date(Date.UTC(2026, 11, 1 + i)).toISOString().slice(0, 10),
    );
    const closed = compileCalendar({ timezone: 'UTC', days: ['mon'], start: '08:00', end: '18:00', holidays });
    expect(dueAfter(Date.parse('2026-12-01T10:00:00Z'), 30, closed)).toBeNull();
  });
});
