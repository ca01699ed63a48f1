import { describe, expect, it } from 'vitest';
import { ConfigError } from '../core/errors.js';
import { parseConfigText } from './loader.js';
import { ENV, VALID, yaml } from './test-fixtures.js';

function problemsOf(text: string, files: Record<string, string> = {}): string[] {
  try {
    parseConfigText(text, 'cfg.yaml', {
      env: ENV,
      baseDir: '/cfg',
      readFile: (path) => {
        const content = files[path];
        if (content === undefined) throw Object.assign(new Error('missing'), { code: 'ENOENT' });
        return content;
      },
    });
    return [];
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
}

const routing = (board: string): string =>
  VALID +
  yaml`
      routing:
        businessHours: office
        aToB:
          - when: { businessHours: false }
            set: { board: ${board} }
  calendars:
    office: { timezone: Europe/London, start: "08:00", end: "18:00" }
  `.replace(/^/gm, '');

describe('validate: the co-managed playbook', () => {
  it('refuses a routing rule that sends twins to a board outside the scope, naming the board and the fix', () => {
    const problems = problemsOf(routing('After Hours'));
    expect(problems).toEqual([
      expect.stringMatching(
        /^cfg\.yaml:\d+:\d+ connections\.fs-cw\.routing\.aToB\[0\]\.set\.board: routes tickets to board "After Hours", outside side b's scope \(boards: "Co-Managed FS"\).*add it to connections\.fs-cw\.b\.scope\.boards$/,
      ),
    ]);
  });

  it('accepts a routing rule whose board is in the scope', () => {
    expect(problemsOf(routing('Co-Managed FS'))).toEqual([]);
  });

  it('names an unknown calendar and the calendars defined', () => {
    const text = routing('Co-Managed FS').replace('businessHours: office', 'businessHours: ofice');
    expect(problemsOf(text)).toEqual([
      expect.stringContaining('routing.businessHours: unknown calendar "ofice"; calendars defined: office'),
    ]);
  });

  it('reads holidays from an .ics file next to the config, recurring ones included', () => {
    const ics = [
      'BEGIN:VCALENDAR',
      'VERSION:2.0',
      'PRODID:-//test//EN',
      'BEGIN:VEVENT',
      'UID:xmas',
      'DTSTART;VALUE=DATE:20251225',
      'DTEND;VALUE=DATE:20251227',
      'RRULE:FREQ=YEARLY',
      'SUMMARY:Christmas and Boxing Day',
      'END:VEVENT',
      'BEGIN:VEVENT',
      'UID:bank',
      'DTSTART;VALUE=DATE:20260831',
      'SUMMARY:Summer bank holiday',
      'END:VEVENT',
      'END:VCALENDAR',
      '',
    ].join('\r\n');
    const text = routing('Co-Managed FS').replace('end: "18:00" }', 'end: "18:00", holidaysFile: holidays.ics }');
    const loaded = parseConfigText(text, 'cfg.yaml', {
      env: ENV,
      baseDir: '/cfg',
      readFile: (path) => (path === '/cfg/holidays.ics' ? ics : ''),
    });
    const holidays = loaded.config.calendars.office!.holidays;
    expect(holidays).toEqual(
      expect.arrayContaining(['2025-12-25', '2025-12-26', '2026-12-25', '2027-12-26', '2026-08-31']),
    );
    expect(holidays).not.toContain('2025-12-27');
  });

  it('names a holidays file that is missing or not iCalendar', () => {
    const text = routing('Co-Managed FS').replace('end: "18:00" }', 'end: "18:00", holidaysFile: holidays.ics }');
    expect(problemsOf(text)).toEqual([
      expect.stringContaining('calendars.office.holidaysFile: cannot read the holidays file: no such file'),
    ]);
    expect(problemsOf(text, { '/cfg/holidays.ics': 'not a calendar' })).toEqual([
      expect.stringContaining('calendars.office.holidaysFile: not an iCalendar (.ics) file'),
    ]);
  });
});

const escalation = (sla: string, trouble = ''): string =>
  VALID +
  yaml`
      escalations:
        - name: outage
          match: { all: [{ side: a, field: priority, in: [4] }] }
          route: { side: b, set: { board: Co-Managed FS } }
          sla: ${sla}
          contacts: [ops]
  notifications:
    channels:
      ops: { kind: webhook, url: "https://hooks.example/ops" }
    ${trouble}
  `.replace(/^/gm, '');

describe('validate: SLA clocks and sync-trouble notices', () => {
  it('accepts SLA clocks with a resolution rule, and trouble told on a configured channel', () => {
    const sla =
      '{ firstResponseMinutes: 30, resolutionMinutes: 240, resolvedWhen: { any: [{ side: b, field: status, in: [Closed] }] } }';
    expect(problemsOf(escalation(sla, 'trouble: { channels: [ops], conflictMinutes: 45 }'))).toEqual([]);
  });

  it('refuses a resolution SLA without resolvedWhen and business hours without a calendar', () => {
    expect(problemsOf(escalation('{ resolutionMinutes: 240, businessHours: true }'))).toEqual([
      expect.stringContaining('escalations[0].sla.resolutionMinutes: a resolution SLA needs sla.resolvedWhen'),
      expect.stringContaining(
        'escalations[0].sla.businessHours: business-hours SLA clocks count the minutes of route.calendar',
      ),
    ]);
  });

  it('names a trouble channel that is not configured', () => {
    expect(problemsOf(escalation('{ firstResponseMinutes: 30 }', 'trouble: { channels: [pager] }'))).toEqual([
      expect.stringContaining(
        'notifications.trouble.channels[0]: unknown notification channel "pager"; channels defined: ops',
      ),
    ]);
  });
});
