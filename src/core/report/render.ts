// The KPI report as people read it in the monthly meeting: a one-page summary with the change
// against the previous period first, then the detail per connection. Markdown and CSV here; the
// HTML page (with charts) in html.ts.
import { stringify } from 'csv-stringify/sync';
import type { ConnectionReport, FunctionReport, Percentiles, Report } from './kpi.js';

/** 1,204 */
export const count = (n: number): string => n.toLocaleString('en-US');

/** A duration as people say it: 850 ms, 4.2 s, 12 min, 3.5 h, 2.1 d. */
export function duration(ms: number | null): string {
  if (ms === null) return '–';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  if (ms < 3_600_000) return `${Math.round(ms / 60_000)} min`;
  if (ms < 86_400_000) return `${(ms / 3_600_000).toFixed(1)} h`;
  return `${(ms / 86_400_000).toFixed(1)} d`;
}

/** The change from `before` to `now`: "+12%", "−3%", "new", "=". */
export function change(now: number, before: number | undefined): string {
  if (before === undefined || (before === 0 && now === 0)) return '=';
  if (before === 0) return 'new';
  const pct = Math.round(((now - before) / before) * 100);
  return pct === 0 ? '=' : pct > 0 ? `+${pct}%` : `−${-pct}%`;
}

const day = (iso: string): string => iso.slice(0, 10);
/** The period as people write it: its first and last day (the `to` bound is exclusive). */
export function periodName(from: string, to: string): string {
  const last = /^\d{4}-\d{2}-\d{2}$/.test(to) ? to : day(new Date(Date.parse(to) - 1).toISOString());
  return `${day(from)} to ${last}`;
}

export const mirroredTotal = (c: ConnectionReport): number => c.mirrored.aToB + c.mirrored.bToA;
const createdTotal = (c: ConnectionReport): number => c.created.a + c.created.b;
const errorsTotal = (c: ConnectionReport): number => c.errors.reduce((n, e) => n + e.opened, 0);
/** Share of SLA clocks met over every policy, or null when none ended. */
export function slaMet(c: ConnectionReport): number | null {
  const met = c.sla.reduce((n, s) => n + s.met, 0);
  const all = c.sla.reduce((n, s) => n + s.met + s.breached, 0);
  return all === 0 ? null : met / all;
}
const share = (x: number | null): string => (x === null ? '–' : `${Math.round(x * 100)}%`);
const pcts = (p: Percentiles): string => `${duration(p.p50)} / ${duration(p.p95)}`;

/** Summary lines: one row per connection, each figure with its change against the previous period. */
export function summaryRows(report: Report): string[][] {
  return report.connections.map((c) => {
    const prev = report.previous.connections.find((p) => p.name === c.name);
    const withChange = (f: (r: ConnectionReport) => number): string =>
      `${count(f(c))} (${change(f(c), prev ? f(prev) : undefined)})`;
    return [
      `${c.name} (${c.systems.a} ⇄ ${c.systems.b})`,
      withChange(createdTotal),
      withChange(mirroredTotal),
      pcts(c.mirrorLatencyMs),
      withChange((r) => r.closed),
      withChange((r) => r.reverts),
      `${count(c.conflicts.opened)} / ${count(c.conflicts.resolved)}`,
      withChange(errorsTotal),
      share(slaMet(c)),
      `${count(c.drift.found)} / ${count(c.drift.repaired)}`,
    ];
  });
}

export const SUMMARY_HEADER = [
  'connection',
  'created',
  'mirrored',
  'time to mirror p50 / p95',
  'closed',
  'reverts',
  'conflicts opened / resolved',
  'errors',
  'SLAs met',
  'drift found / repaired',
];

function table(header: string[], rows: string[][]): string {
  // Names come from the config and the vendors: no table breaks, no markup.
  const esc = (s: string): string =>
    s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/\|/g, '\\|').replace(/\n/g, ' ');
  return [
    `| ${header.map(esc).join(' | ')} |`,
    `| ${header.map(() => '---').join(' | ')} |`,
    ...rows.map((r) => `| ${r.map(esc).join(' | ')} |`),
  ].join('\n');
}

/** The detail of one connection, as Markdown sections. */
function detail(c: ConnectionReport): string[] {
  const { a, b } = c.systems;
  const out = [`### ${c.name}: ${a} ⇄ ${b}`, ''];
  out.push(
    table(
      ['', a, b],
      [
        ['tickets created', count(c.created.a), count(c.created.b)],
        ['changes mirrored from here', count(c.mirrored.aToB), count(c.mirrored.bToA)],
      ],
    ),
    '',
    `Closed ${count(c.closed)}, reopened ${count(c.reopened)}. Time to mirror: p50 ${duration(c.mirrorLatencyMs.p50)}, p95 ${duration(c.mirrorLatencyMs.p95)}.`,
    '',
  );
  const reverts = Object.entries(c.revertsByField);
  out.push('**Reverted edits** (a side edited a field it does not own):', '');
  out.push(
    reverts.length === 0
      ? 'None.'
      : table(
          ['field', `edited on ${a}`, `edited on ${b}`],
          reverts.map(([f, s]) => [f, count(s.a), count(s.b)]),
        ),
    '',
  );
  const conflicts = Object.entries(c.conflictsByField);
  out.push(`**Conflicts**: ${count(c.conflicts.opened)} opened, ${count(c.conflicts.resolved)} resolved.`, '');
  if (conflicts.length > 0)
    out.push(
      table(
        ['field', 'opened'],
        conflicts.map(([f, n]) => [f, count(n)]),
      ),
      '',
    );
  out.push(...playbookDetail(c));
  out.push('**Errors by cause**:', '');
  out.push(
    c.errors.length === 0
      ? 'None.'
      : table(
          ['cause', 'opened', 'resolved', 'time to resolve p50 / p95'],
          c.errors.map((e) => [e.code, count(e.opened), count(e.resolved), pcts(e.timeToResolveMs)]),
        ),
    '',
    `**Drift**: ${count(c.drift.found)} found by the audit, ${count(c.drift.repaired)} repaired.`,
    '',
  );
  return out;
}

/** The per-function table: what a RACI review reads (who creates, mirrors, reverts, reopens). */
function functionDetail(c: ConnectionReport): string[] {
  if (c.byFunction.length === 0) return [];
  const { a, b } = c.systems;
  return [
    '**By function** (each ticket counted under the function it belonged to at the time):',
    '',
    table(
      [
        'function',
        `created on ${a} / ${b}`,
        `mirrored ${a} → ${b}`,
        `mirrored ${b} → ${a}`,
        'closed',
        'reopened',
        'reverts',
        'conflicts opened / resolved',
        'time to mirror p50 / p95',
      ],
      c.byFunction.map((f) => [
        f.function,
        `${count(f.created.a)} / ${count(f.created.b)}`,
        count(f.mirrored.aToB),
        count(f.mirrored.bToA),
        count(f.closed),
        count(f.reopened),
        count(f.reverts),
        `${count(f.conflicts.opened)} / ${count(f.conflicts.resolved)}`,
        pcts(f.mirrorLatencyMs),
      ]),
    ),
    '',
  ];
}

function playbookDetail(c: ConnectionReport): string[] {
  const out: string[] = functionDetail(c);
  const functions = Object.entries(c.functions);
  if (functions.length > 0)
    out.push(
      '**Tickets by function**:',
      '',
      table(
        ['function', 'tickets'],
        functions.map(([f, n]) => [f, count(n)]),
      ),
      '',
    );
  out.push('**Escalations and SLAs**:', '');
  if (c.escalations.length === 0 && c.sla.length === 0) out.push('None.', '');
  if (c.escalations.length > 0)
    out.push(
      table(
        ['scenario', 'escalations'],
        c.escalations.map((e) => [e.scenario, count(e.escalations)]),
      ),
      '',
    );
  if (c.sla.length > 0)
    out.push(
      table(
        ['policy', 'clock', 'met', 'breached', 'met share'],
        c.sla.map((s) => [s.policy, s.clock, count(s.met), count(s.breached), share(s.metShare)]),
      ),
      '',
    );
  if (c.teamTimes.length > 0)
    out.push(
      table(
        ['team', 'clock', 'tickets', 'p50 / p95'],
        c.teamTimes.map((t) => [t.team, t.clock, count(t.count), pcts(t.timeMs)]),
      ),
      '',
    );
  if (c.notificationsFailed > 0) out.push(`Notifications that failed: ${count(c.notificationsFailed)}.`, '');
  return out;
}

/** The summary (with the change against the previous period) and the detail, as Markdown. */
export function markdownParts(report: Report): { title: string; summary: string; detail: string } {
  const summary = [
    `## Summary`,
    '',
    `Change in brackets against ${periodName(report.previous.from, report.previous.to)}.`,
    '',
    table(SUMMARY_HEADER, summaryRows(report)),
    '',
  ];
  return {
    title: `Sync report, ${periodName(report.from, report.to)}`,
    summary: summary.join('\n'),
    detail: ['## Detail', '', ...report.connections.flatMap(detail)].join('\n').trimEnd(),
  };
}

export function renderMarkdown(report: Report): string {
  const parts = markdownParts(report);
  return `# ${parts.title}\n\n${parts.summary}\n${parts.detail}\n`;
}

const FUNCTION_FIGURES: Array<[string, (f: FunctionReport) => number | null]> = [
  ['created:a', (f) => f.created.a],
  ['created:b', (f) => f.created.b],
  ['mirrored:aToB', (f) => f.mirrored.aToB],
  ['mirrored:bToA', (f) => f.mirrored.bToA],
  ['closed', (f) => f.closed],
  ['reopened', (f) => f.reopened],
  ['reverts', (f) => f.reverts],
  ['conflicts:opened', (f) => f.conflicts.opened],
  ['conflicts:resolved', (f) => f.conflicts.resolved],
  ['mirrorLatencyMs:p50', (f) => f.mirrorLatencyMs.p50],
  ['mirrorLatencyMs:p95', (f) => f.mirrorLatencyMs.p95],
];

/** One row per connection and figure, for a spreadsheet. */
export function renderCsv(report: Report): string {
  const rows: Array<Array<string | number | null>> = [['connection', 'figure', 'key', 'value', 'previous']];
  for (const c of report.connections) {
    const prev = report.previous.connections.find((p) => p.name === c.name);
    const add = (figure: string, key: string, f: (r: ConnectionReport) => number | null): void =>
      void rows.push([c.name, figure, key, f(c), prev ? f(prev) : null]);
    add('mirrored', 'aToB', (r) => r.mirrored.aToB);
    add('mirrored', 'bToA', (r) => r.mirrored.bToA);
    add('created', 'a', (r) => r.created.a);
    add('created', 'b', (r) => r.created.b);
    add('closed', '', (r) => r.closed);
    add('reopened', '', (r) => r.reopened);
    add('mirrorLatencyMs', 'p50', (r) => r.mirrorLatencyMs.p50);
    add('mirrorLatencyMs', 'p95', (r) => r.mirrorLatencyMs.p95);
    add('reverts', '', (r) => r.reverts);
    for (const field of Object.keys(c.revertsByField))
      for (const side of ['a', 'b'] as const)
        add('revertsByField', `${field}:${side}`, (r) => r.revertsByField[field]?.[side] ?? 0);
    add('conflicts', 'opened', (r) => r.conflicts.opened);
    add('conflicts', 'resolved', (r) => r.conflicts.resolved);
    for (const e of c.escalations)
      add('escalations', e.scenario, (r) => r.escalations.find((x) => x.scenario === e.scenario)?.escalations ?? 0);
    for (const s of c.sla) add('slaMetShare', `${s.policy}:${s.clock}`, () => s.metShare);
    for (const e of c.errors) add('errors', e.code, (r) => r.errors.find((x) => x.code === e.code)?.opened ?? 0);
    add('drift', 'found', (r) => r.drift.found);
    add('drift', 'repaired', (r) => r.drift.repaired);
    for (const f of c.byFunction) {
      const figure = `function ${f.function}`;
      const of = (r: ConnectionReport): FunctionReport | undefined =>
        r.byFunction.find((x) => x.function === f.function);
      for (const [key, get] of FUNCTION_FIGURES)
        add(figure, key, (r) => {
          const x = of(r);
          return x ? get(x) : 0;
        });
    }
  }
  return stringify(rows);
}
