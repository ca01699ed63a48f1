// Holiday files for business-hours calendars: reads each calendar's `holidaysFile` (iCalendar,
// parsed with ical.js) at load time and adds its days to the calendar's `holidays`, so the
// engine's calendars stay pure data. A file that cannot be read or parsed is a config problem
// naming the file.
import { resolve as resolvePath } from 'node:path';
import ICAL from 'ical.js';
import type { PathProblem } from './references.js';
import type { CalendarConfig, Config } from './schema.js';

/** Occurrences taken from one recurring event (a yearly holiday: a century). */
const MAX_OCCURRENCES = 100;

function isoDate(time: ICAL.Time): string {
  const pad = (n: number, width = 2): string => String(n).padStart(width, '0');
  return `${pad(time.year, 4)}-${pad(time.month)}-${pad(time.day)}`;
}

/** The days one occurrence covers: an all-day event's DTEND is exclusive. */
function daysOf(start: ICAL.Time, end: ICAL.Time | null): string[] {
  const days = [isoDate(start)];
  if (!end || !start.isDate) return days;
  const day = start.clone();
  for (let i = 0; i < 366; i++) {
    day.adjust(1, 0, 0, 0);
    if (day.compare(end) >= 0) break;
    days.push(isoDate(day));
  }
  return days;
}

/** The local dates an iCalendar text marks as holidays (every VEVENT, recurrences expanded). */
export function holidayDates(text: string): string[] {
  const root = new ICAL.Component(ICAL.parse(text) as unknown[]);
  const dates = new Set<string>();
  for (const component of root.getAllSubcomponents('vevent')) {
    const event = new ICAL.Event(component);
    if (!event.startDate) continue;
    if (!event.isRecurring()) {
      for (const d of daysOf(event.startDate, event.endDate)) dates.add(d);
      continue;
    }
    const iterator = event.iterator();
    for (let i = 0; i < MAX_OCCURRENCES; i++) {
      const next = iterator.next();
      if (!next) break;
      const occurrence = event.getOccurrenceDetails(next);
      for (const d of daysOf(occurrence.startDate, occurrence.endDate)) dates.add(d);
    }
  }
  return [...dates].sort();
}

/** Adds every calendar's holiday-file dates to its `holidays`; returns the files that failed. */
export function resolveHolidayFiles(
  config: Config,
  options: { readFile: (path: string) => string; baseDir: string },
): PathProblem[] {
  const problems: PathProblem[] = [];
  const calendars: Array<[(string | number)[], CalendarConfig]> = Object.entries(config.calendars).map(([name, c]) => [
    ['calendars', name],
    c,
  ]);
  for (const [name, connection] of Object.entries(config.connections)) {
    const inline = connection.routing?.businessHours;
    if (inline !== undefined && typeof inline !== 'string')
      calendars.push([['connections', name, 'routing', 'businessHours'], inline]);
  }
  for (const [at, calendar] of calendars) {
    if (calendar.holidaysFile === undefined) continue;
    const path = [...at, 'holidaysFile'];
    let text: string;
    try {
      text = options.readFile(resolvePath(options.baseDir, calendar.holidaysFile));
    } catch (err) {
      const code = (err as { code?: unknown } | null)?.code;
      const reason = code === 'ENOENT' ? 'no such file' : err instanceof Error ? err.message : 'unreadable';
      problems.push({ path, message: `cannot read the holidays file: ${reason}` });
      continue;
    }
    try {
      calendar.holidays = [...new Set([...calendar.holidays, ...holidayDates(text)])].sort();
    } catch (err) {
      const reason = err instanceof Error ? err.message : String(err);
      problems.push({ path, message: `not an iCalendar (.ics) file: ${reason}` });
    }
  }
  return problems;
}
