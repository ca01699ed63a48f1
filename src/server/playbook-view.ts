// The dashboard's co-managed playbook panels: escalated tickets with their SLA clocks (running,
// met, breached), and the notices nobody received (`notification_failed` events), each with the
// channel, where it went and why — never a secret.
import type { Ledger, Link, SyncEvent } from '../core/ledger/types.js';
import { slaClocks, type SlaClock } from '../core/sla.js';
import { h, timeAgo, when, type Html } from './html.js';

const LIMIT = 20;
const CLOCK_WORDS = { firstResponse: 'First response', resolution: 'Resolution' } as const;

function record(value: unknown): Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}

function minutes(fromIso: string, toIso: string): number {
  return Math.max(0, Math.round((Date.parse(toIso) - Date.parse(fromIso)) / 60_000));
}

/** One clock in words, with a pill for its state. */
export function slaClockLine(clock: SlaClock, sideLabel: (side: 'a' | 'b') => string, now: number): Html {
  const name = CLOCK_WORDS[clock.clock];
  const due = h`<span class="when" title="${when(clock.dueAt)}">due ${when(clock.dueAt)}</span>`;
  const hours = clock.businessHours ? ' business' : '';
  const state =
    clock.state === 'met'
      ? h`<span class="pill green">met</span> by ${clock.side ? sideLabel(clock.side) : '?'} after ${minutes(clock.startedAt, clock.stoppedAt ?? clock.dueAt)} min`
      : clock.state === 'breached'
        ? h`<span class="pill red">breached</span>${clock.stoppedAt ? ` (answered after ${minutes(clock.startedAt, clock.stoppedAt)} min)` : ''}`
        : Date.parse(clock.dueAt) > now
          ? h`<span class="pill amber">running</span> ${Math.max(0, Math.round((Date.parse(clock.dueAt) - now) / 60_000))} min left`
          : h`<span class="pill red">overdue</span>`;
  return h`<div class="sla" data-sla="${clock.policy}:${clock.clock}" data-state="${clock.state}">${name} (${clock.minutes}${hours} min): ${state} · ${due}</div>`;
}

/** The SLA clocks of one link's history, as lines (nothing when the link has none). */
export function slaLines(events: readonly SyncEvent[], sideLabel: (side: 'a' | 'b') => string, now: number): Html | '' {
  const clocks = slaClocks(events);
  if (clocks.length === 0) return '';
  return h`<h2>SLA clocks</h2>${clocks.map((c) => slaClockLine(c, sideLabel, now))}`;
}

/**
 * The latest escalations with their tickets, route and SLA clocks. `pair` renders a link's two
 * tickets (linking to their search); `sideLabel` names a side of a connection.
 */
export async function escalatedSection(
  ledger: Ledger,
  pair: (link: Link | null) => Html,
  sideLabel: (connection: string, side: 'a' | 'b') => string,
  now: number,
): Promise<Html | ''> {
  const escalations = (await ledger.listEvents({ kind: 'escalation', limit: LIMIT })).items;
  if (escalations.length === 0) return '';
  const rows = await Promise.all(
    escalations.map(async (e) => {
      const linkId = e.linkId;
      if (linkId === null) return h``;
      const [link, met, breached] = await Promise.all([
        ledger.getLink(linkId),
        ledger.listEvents({ linkId, kind: 'sla_met', limit: 100 }),
        ledger.listEvents({ linkId, kind: 'sla_breached', limit: 100 }),
      ]);
      const data = record(e.data);
      const policy = typeof data.policy === 'string' ? data.policy : '';
      const clocks = slaClocks([e, ...met.items, ...breached.items]).filter((c) => c.policy === policy);
      const label = (side: 'a' | 'b'): string => sideLabel(e.connection, side);
      return h`<tr data-escalation="${linkId}:${policy}">
  <td>${pair(link)}</td>
  <td>${e.reason}</td>
  <td>${clocks.length === 0 ? h`<span class="muted">no SLA</span>` : clocks.map((c) => slaClockLine(c, label, now))}</td>
  <td class="when" title="${when(e.at)}">${timeAgo(e.at, now)}</td>
</tr>`;
    }),
  );
  return h`<h2 id="escalations">Escalated tickets <span class="count">(latest ${escalations.length})</span></h2>
<table><thead><tr><th>Ticket</th><th>Policy and route</th><th>SLA clocks</th><th>When</th></tr></thead><tbody>${rows}</tbody></table>`;
}

/** Notices that could not be delivered after their retries, newest first. */
export async function failedNoticesSection(ledger: Ledger, now: number): Promise<Html | ''> {
  const failed = await ledger.listEvents({ kind: 'notification_failed', limit: LIMIT });
  if (failed.total === 0) return '';
  return h`<h2 id="notifications">Notifications not delivered <span class="count">(${failed.total})</span></h2>
<table><thead><tr><th>Notice</th><th>Channel</th><th>Where</th><th>Why</th><th>When</th></tr></thead><tbody>${failed.items.map(
    (e) => {
      const d = record(e.data);
      const text = (v: unknown): string => (typeof v === 'string' ? v : '');
      return h`<tr data-notification-failed="${e.id}">
  <td>${text(d.title)}<div class="muted">${e.connection}</div></td>
  <td>${text(d.channel) || text(e.newValue)}</td>
  <td>${text(d.target)}</td>
  <td>${text(d.reason)}</td>
  <td class="when" title="${when(e.at)}">${timeAgo(e.at, now)}</td>
</tr>`;
    },
  )}</tbody></table>`;
}
