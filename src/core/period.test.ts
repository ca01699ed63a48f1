import { describe, expect, it } from 'vitest';
import { parseBound, parsePeriod, PeriodError, previousPeriod } from './period.js';

describe('periods', () => {
  it('reads a day `to` as the whole day, so a month is its first to its last day', () => {
    expect(parsePeriod('2026-11-01', '2026-11-30')).toEqual({
      from: '2026-11-01T00:00:00.000Z',
      to: '2026-12-01T00:00:00.000Z',
    });
  });

  it('takes instants as they are, `to` exclusive', () => {
    expect(parsePeriod('2026-11-01T08:00:00Z', '2026-11-01T09:30:00+01:00')).toEqual({
      from: '2026-11-01T08:00:00.000Z',
      to: '2026-11-01T08:30:00.000Z',
    });
  });

  it.each([
    ['yesterday', '--from: expected a day (YYYY-MM-DD) or an ISO 8601 instant, got "yesterday"'],
    ['2026-13-45', '--from: expected a day (YYYY-MM-DD) or an ISO 8601 instant, got "2026-13-45"'],
    ['1700000000', '--from: expected a day (YYYY-MM-DD) or an ISO 8601 instant, got "1700000000"'],
  ])('refuses %s naming the option', (text, message) => {
    expect(() => parseBound('--from', text, false)).toThrow(new PeriodError(message));
  });

  it('refuses a period that ends before it starts', () => {
    expect(() => parsePeriod('2026-11-30', '2026-11-01', { from: '--from', to: '--to' })).toThrow(
      '--to: 2026-11-01 is not after --from 2026-11-30; the period would be empty',
    );
  });

  it('gives the previous month for a month, and the same length before for other periods', () => {
    expect(previousPeriod(parsePeriod('2026-11-01', '2026-11-30'))).toEqual({
      from: '2026-10-01T00:00:00.000Z',
      to: '2026-11-01T00:00:00.000Z',
    });
    expect(previousPeriod(parsePeriod('2026-03-01', '2026-03-10'))).toEqual({
      from: '2026-02-19T00:00:00.000Z',
      to: '2026-03-01T00:00:00.000Z',
    });
  });
});
