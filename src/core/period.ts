// Periods for the ledger export, /events and the KPI report: `from` and `to` as calendar days
// (UTC) or instants. A day `to` includes that whole day, so `--from 2026-11-01 --to 2026-11-30`
// is November; an instant `to` is exclusive.

export interface Period {
  /** Inclusive, ISO 8601 UTC. */
  from: string;
  /** Exclusive, ISO 8601 UTC. */
  to: string;
}

const DAY = /^\d{4}-\d{2}-\d{2}$/;
const DAY_MS = 86_400_000;

/** Thrown for a period that cannot be read; the message names the option and what it got. */
export class PeriodError extends Error {
  override readonly name = 'PeriodError';
}

/** One bound as an instant: a day is its midnight (UTC), or the next midnight for an inclusive `to`. */
export function parseBound(name: string, text: string, end: boolean): string {
  const ms = Date.parse(DAY.test(text) ? `${text}T00:00:00Z` : text);
  const valid = DAY.test(text) || /^\d{4}-\d{2}-\d{2}T/.test(text);
  if (!valid || Number.isNaN(ms))
    throw new PeriodError(`${name}: expected a day (YYYY-MM-DD) or an ISO 8601 instant, got "${text}"`);
  return new Date(DAY.test(text) && end ? ms + DAY_MS : ms).toISOString();
}

/** A period from its two bounds; `to` must come after `from`. */
export function parsePeriod(from: string, to: string, names = { from: 'from', to: 'to' }): Period {
  const period = { from: parseBound(names.from, from, false), to: parseBound(names.to, to, true) };
  if (period.to <= period.from)
    throw new PeriodError(`${names.to}: ${to} is not after ${names.from} ${from}; the period would be empty`);
  return period;
}

/**
 * The period just before, for the change against the previous period: whole calendar months give
 * the same number of months before (November gives October), anything else the same length.
 */
export function previousPeriod(period: Period): Period {
  const from = new Date(period.from);
  const to = new Date(period.to);
  const months = (to.getUTCFullYear() - from.getUTCFullYear()) * 12 + to.getUTCMonth() - from.getUTCMonth();
  if (months > 0 && startOfMonth(from) && startOfMonth(to)) {
    const start = new Date(Date.UTC(from.getUTCFullYear(), from.getUTCMonth() - months, 1));
    return { from: start.toISOString(), to: period.from };
  }
  const lengthMs = Date.parse(period.to) - Date.parse(period.from);
  return { from: new Date(Date.parse(period.from) - lengthMs).toISOString(), to: period.from };
}

const startOfMonth = (d: Date): boolean => d.getTime() === Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1);
