import { describe, expect, it } from 'vitest';
import { compileCalendar, inBusinessHours, type CalendarSpec } from './calendar.js';

const spec = (over: Partial<CalendarSpec>): CalendarSpec => ({
  timezone: 'UTC',
  days: ['mon', 'tue', 'wed', 'thu', 'fri'],
  start: '08:00',
  end: '18:00',
  holidays: [],
  ...over,
});

const at = (iso: string): number => Date.parse(iso);

describe('business hours', () => {
  const office = compileCalendar(spec({ timezone: 'Europe/London', holidays: ['2026-12-25'] }));
  const night = compileCalendar(spec({ timezone: 'Europe/London', start: '22:00', end: '06:00' }));
  const newYork = compileCalendar(spec({ timezone: 'America/New_York', windows: [{ start: '20:00', end: '02:00' }] }));

  it.each([
    // An ordinary weekday window, in the calendar's zone (London is UTC+0 in winter, +1 in summer).
    ['office', office, '2026-11-30T07:59:00Z', false],
    ['office', office, '2026-11-30T08:00:00Z', true],
    ['office', office, '2026-11-30T17:59:00Z', true],
    ['office', office, '2026-11-30T18:00:00Z', false],
    ['office', office, '2026-07-01T07:30:00Z', true], // 08:30 BST
    ['office', office, '2026-07-01T17:30:00Z', false], // 18:30 BST
    ['office', office, '2026-11-28T12:00:00Z', false], // Saturday
    ['office', office, '2026-12-25T12:00:00Z', false], // a holiday (Friday)
    ['office', office, '2026-12-24T12:00:00Z', true],
    // Spring forward: Sunday 29 March 2026, 01:00 UTC clocks jump to 02:00 BST; Monday opens at 07:00 UTC.
    ['office', office, '2026-03-30T06:59:00Z', false],
    ['office', office, '2026-03-30T07:00:00Z', true],
    ['office', office, '2026-03-27T07:30:00Z', false], // the Friday before: still GMT, 07:30 local
    // Fall back: Sunday 25 October 2026; Monday opens at 08:00 UTC again.
    ['office', office, '2026-10-26T07:30:00Z', false],
    ['office', office, '2026-10-26T08:00:00Z', true],
    ['office', office, '2026-10-23T07:30:00Z', true], // the Friday before: BST, 08:30 local
    // A window across midnight belongs to the day it starts.
    ['night', night, '2026-11-30T21:59:00Z', false], // Monday 21:59
    ['night', night, '2026-11-30T22:00:00Z', true], // Monday 22:00
    ['night', night, '2026-12-01T03:00:00Z', true], // Tuesday 03:00, Monday's window
    ['night', night, '2026-12-01T06:00:00Z', false], // Tuesday 06:00, closed
    ['night', night, '2026-11-28T03:00:00Z', true], // Saturday 03:00, Friday's window
    ['night', night, '2026-11-29T03:00:00Z', false], // Sunday 03:00: Saturday opens none
    ['night', night, '2026-11-30T03:00:00Z', false], // Monday 03:00: Sunday opens none
    ['night', night, '2026-11-29T23:00:00Z', false], // Sunday 23:00
    // Over midnight across both DST changes (New York: 8 March and 1 November 2026).
    ['new york', newYork, '2026-03-06T01:00:00Z', true], // Thursday 20:00 EST
    ['new york', newYork, '2026-03-09T23:59:00Z', false], // Monday 19:59 EDT
    ['new york', newYork, '2026-03-10T00:00:00Z', true], // Monday 20:00 EDT
    ['new york', newYork, '2026-03-10T05:59:00Z', true], // Tuesday 01:59 EDT
    ['new york', newYork, '2026-03-10T06:00:00Z', false], // Tuesday 02:00 EDT
    ['new york', newYork, '2026-10-31T00:30:00Z', true], // Friday 20:30 EDT
    ['new york', newYork, '2026-10-31T06:30:00Z', false], // Saturday 02:30 EDT, closed
    ['new york', newYork, '2026-11-03T01:00:00Z', true], // Monday 20:00 EST
    ['new york', newYork, '2026-11-02T01:00:00Z', false], // Sunday 20:00 EST
  ])('%s at %s is inside: %s', (_name, calendar, iso, inside) => {
    expect(inBusinessHours(calendar, at(iso))).toBe(inside);
  });

  it('a holiday closes the window that starts on it, not the one that started the day before', () => {
    const calendar = compileCalendar(spec({ start: '22:00', end: '06:00', holidays: ['2026-12-25'] }));
    expect(inBusinessHours(calendar, at('2026-12-25T03:00:00Z'))).toBe(true); // Thursday's window
    expect(inBusinessHours(calendar, at('2026-12-25T23:00:00Z'))).toBe(false); // Friday 25th is a holiday
    expect(inBusinessHours(calendar, at('2026-12-26T03:00:00Z'))).toBe(false);
  });

  it('several windows a day: a lunch break is outside', () => {
    const split = compileCalendar(
      spec({
        windows: [
          { start: '09:00', end: '12:00' },
          { start: '13:00', end: '17:00' },
        ],
      }),
    );
    expect(inBusinessHours(split, at('2026-11-30T11:59:00Z'))).toBe(true);
    expect(inBusinessHours(split, at('2026-11-30T12:30:00Z'))).toBe(false);
    expect(inBusinessHours(split, at('2026-11-30T13:00:00Z'))).toBe(true);
  });
});
