// Business-hours calendars: a time zone, the weekdays a window opens on, windows that may cross
// midnight (22:00–06:00), and holidays. Pure: the holiday dates come in already resolved (the
// config loader reads `.ics` files); time comes from the caller's clock.

/** A weekday as written in the config. */
export type Weekday = 'mon' | 'tue' | 'wed' | 'thu' | 'fri' | 'sat' | 'sun';

const WEEKDAYS: readonly Weekday[] = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];

export interface Window {
  /** "HH:MM", local time. */
  start: string;
  /** "HH:MM", local time; at or before `start` means the window ends the next day. */
  end: string;
}

export interface Calendar {
  timezone: string;
  /** The days a window opens on: a window crossing midnight belongs to the day it starts. */
  days: readonly Weekday[];
  windows: readonly Window[];
  /** Local dates ("YYYY-MM-DD") on which no window opens. */
  holidays: ReadonlySet<string>;
}

interface LocalTime {
  date: string;
  weekday: Weekday;
  minutes: number;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timezone: string): Intl.DateTimeFormat {
  let f = formatters.get(timezone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: timezone,
      weekday: 'short',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      hourCycle: 'h23',
    });
    formatters.set(timezone, f);
  }
  return f;
}

/** The wall-clock date, weekday and minute of the day at `ms` in `timezone`. */
export function localTime(timezone: string, ms: number): LocalTime {
  const parts = formatter(timezone).formatToParts(new Date(ms));
  const get = (type: string): string => parts.find((p) => p.type === type)?.value ?? '';
  const weekday = get('weekday').slice(0, 3).toLowerCase() as Weekday;
  return {
    date: `${get('year')}-${get('month')}-${get('day')}`,
    weekday,
    minutes: Number(get('hour')) * 60 + Number(get('minute')),
  };
}

function minutesOf(hhmm: string): number {
  const [h, m] = hhmm.split(':').map(Number);
  return (h ?? 0) * 60 + (m ?? 0);
}

/** The calendar date before `date` ("YYYY-MM-DD"), and its weekday. */
function dayBefore(date: string, weekday: Weekday): { date: string; weekday: Weekday } {
  const ms = Date.parse(`${date}T12:00:00Z`) - 86_400_000;
  const previous = WEEKDAYS[(WEEKDAYS.indexOf(weekday) + 6) % 7]!;
  return { date: new Date(ms).toISOString().slice(0, 10), weekday: previous };
}

function opensOn(calendar: Calendar, date: string, weekday: Weekday): boolean {
  return calendar.days.includes(weekday) && !calendar.holidays.has(date);
}

/**
 * Whether `ms` falls inside one of the calendar's windows. A window that crosses midnight is
 * inside from its start to midnight on a day it opens, and from midnight to its end on the day
 * after such a day (Friday 22:00–06:00 covers Saturday 03:00, not Monday 03:00).
 */
export function inBusinessHours(calendar: Calendar, ms: number): boolean {
  const now = localTime(calendar.timezone, ms);
  const before = dayBefore(now.date, now.weekday);
  return calendar.windows.some((w) => {
    const start = minutesOf(w.start);
    const end = minutesOf(w.end);
    if (start < end) return opensOn(calendar, now.date, now.weekday) && now.minutes >= start && now.minutes < end;
    if (now.minutes >= start) return opensOn(calendar, now.date, now.weekday);
    return now.minutes < end && opensOn(calendar, before.date, before.weekday);
  });
}

/** The calendar config shape (kept structural so core does not depend on the zod types). */
export interface CalendarSpec {
  timezone: string;
  days: readonly Weekday[];
  start: string;
  end: string;
  windows?: readonly Window[] | undefined;
  holidays: readonly string[];
}

export function compileCalendar(spec: CalendarSpec): Calendar {
  return {
    timezone: spec.timezone,
    days: spec.days,
    windows: spec.windows ?? [{ start: spec.start, end: spec.end }],
    holidays: new Set(spec.holidays),
  };
}
