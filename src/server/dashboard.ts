// The dashboard at GET /: one server-rendered page both teams can read in an operations meeting.
// Connections with health and lag in words, conflicts with both values and take-A/take-B
// buttons, errors with retry, recent events as sentences, and a ticket search (`123`, `IT-12`,
// `cw:123`, read by core/ticket-ref). It reads the same views as the JSON routes; its buttons
// are forms posting to those routes.
import type { FastifyInstance } from 'fastify';
import type { CatalogCache, ValueLabels } from '../core/catalogs.js';
import type { Conflict, ErrorRecord, Link, SyncEvent } from '../core/ledger/types.js';
import { knownSystems, resolveTicketRef, shownKey, TicketRefError, type TicketSearch } from '../core/ticket-ref.js';
import type { Logger, Side } from '../core/types.js';
import { sendHtml } from './auth.js';
import { h, page, timeAgo, when, type Html } from './html.js';
import { parseInput } from './route.js';
import type { ConnectionStatus, LinkDetail } from './schemas.js';
import { z } from 'zod';
import { buildLinkDetail, buildStatus, type ViewDeps, describeDrift } from './views.js';
import { describeRejections } from './webhook-stats.js';
import { NO_LABELS, sentence, shownValue, valueSides } from './dashboard-words.js';
import { raciOf, sideWords } from '../mapping/raci.js';
import { escalatedSection, failedNoticesSection, slaLines } from './playbook-view.js';

const DashboardQuery = z.strictObject({
  ticket: z.string().trim().max(100).optional(),
  // Old links may still carry these; they are ignored: notices come only from the session.
  notice: z.string().max(500).optional(),
  problem: z.string().max(500).optional(),
});

const LIST_LIMIT = 50;
const HEALTH_WORDS = { green: 'Healthy', amber: 'Needs attention', red: 'Not syncing', off: 'Paused' } as const;

export interface DashboardDeps extends ViewDeps {
  /** Whether a token is configured (then a sign-out button is shown). */
  signedIn: boolean;
  /** Where failed ticket-key lookups are reported. */
  logger?: Pick<Logger, 'warn'>;
  /** Each system's field catalogue, for values by their names; absent: values show as stored. */
  catalogs?: CatalogCache;
}

export function dashboardRoutes(app: FastifyInstance, deps: DashboardDeps): void {
  app.get('/', async (request, reply) => {
    const { ticket } = parseInput(DashboardQuery, request.query, 'query');
    // The one notice of the last action, set by the server and shown once; never from the URL.
    const notice = request.session?.notice ?? null;
    if (request.session) request.session.notice = null;
    const html = await renderDashboard(deps, {
      ...(ticket === undefined ? {} : { ticket }),
      ...(notice === null ? {} : notice.ok ? { notice: notice.text } : { problem: notice.text }),
    });
    return sendHtml(reply, 200, html);
  });
}

interface Labels {
  of(connection: string, side: Side): string;
  /** The search reference of a ticket: `system:id`, or the bare id when the connection is gone. */
  ref(connection: string, side: Side, id: string): string;
  /** Names of stored values (Freshservice status 2 → "Open"). */
  values: ValueLabels;
}

export async function renderDashboard(deps: DashboardDeps, query: z.output<typeof DashboardQuery>): Promise<string> {
  const now = deps.now();
  const [status, conflicts, errors, events, values] = await Promise.all([
    buildStatus(deps),
    deps.ledger.listConflicts({ state: 'open' }),
    deps.ledger.listErrors({ state: 'open' }),
    deps.ledger.listEvents({ limit: 25 }),
    deps.catalogs ? deps.catalogs.labels() : NO_LABELS,
  ]);
  const labels: Labels = {
    values,
    of: (connection, side) => deps.engine.connections.get(connection)?.sides[side].label ?? side.toUpperCase(),
    ref: (connection, side, id) => {
      const system = deps.engine.connections.get(connection)?.sides[side].system;
      return system === undefined ? id : `${system}:${id}`;
    },
  };
  const linkCache = new Map<string, Promise<Link | null>>();
  const linkOf = (id: string | null): Promise<Link | null> => {
    if (id === null) return Promise.resolve(null);
    let p = linkCache.get(id);
    if (!p) linkCache.set(id, (p = deps.ledger.getLink(id)));
    return p;
  };
  const conflictLinks = await Promise.all(conflicts.slice(0, LIST_LIMIT).map((c) => linkOf(c.linkId)));
  const errorLinks = await Promise.all(errors.slice(0, LIST_LIMIT).map((e) => linkOf(e.linkId)));
  const eventLinks = await Promise.all(events.items.map((e) => linkOf(e.linkId)));

  const [escalated, failedNotices] = await Promise.all([
    escalatedSection(
      deps.ledger,
      (link) => ticketPair(link, labels),
      (c, s) => labels.of(c, s),
      now,
    ),
    failedNoticesSection(deps.ledger, now),
  ]);
  let search: Html | null = null;
  if (query.ticket) {
    search = await ticketSearch(deps, query.ticket, labels, now);
  }

  const body = h`
<header>
  <h1>ticketbridge</h1>
  <nav class="meta"><a href="/reports">Reports</a></nav>
  <span class="meta">version ${status.version} · running for ${uptime(status.uptimeSeconds)} · page as of ${when(new Date(now).toISOString())}</span>
  <form class="search" method="get" action="/" role="search">
    <input name="ticket" placeholder="Find a ticket: INC-4, IT-12, #1234" value="${query.ticket ?? ''}" aria-label="Ticket id or key, optionally after its system (cw:123)">
    <button type="submit">Search</button>
  </form>
  ${deps.signedIn ? h`<form class="inline" method="post" action="/logout"><button class="secondary" type="submit">Sign out</button></form>` : ''}
</header>
<main>
  ${query.notice ? h`<div class="notice" role="status">${query.notice}</div>` : ''}
  ${query.problem ? h`<div class="notice problem" role="alert">${query.problem}</div>` : ''}
  ${search}
  <h2>Connections <span class="count">(${status.connections.length})</span></h2>
  ${status.connections.length === 0 ? h`<div class="empty">No connections are configured.</div>` : h`<div class="cards">${status.connections.map((c) => connectionCard(c, now))}</div>`}
  ${raciSection(deps)}
  ${pairForm(deps)}
  ${escalated}
  ${failedNotices}
  <h2 id="conflicts">Conflicts waiting for a decision <span class="count">(${conflicts.length})</span></h2>
  ${conflictTable(conflicts.slice(0, LIST_LIMIT), conflictLinks, labels, now)}
  <h2 id="errors">Errors <span class="count">(${errors.length})</span></h2>
  ${retryAllForms(errors)}
  ${errorTable(errors.slice(0, LIST_LIMIT), errorLinks, labels, now)}
  <h2 id="events">Recent activity</h2>
  ${eventTable(events.items, eventLinks, labels, now, true)}
</main>`;
  return page('ticketbridge · sync status', body);
}

function uptime(seconds: number): string {
  if (seconds < 60) return `${seconds} seconds`;
  const m = Math.floor(seconds / 60);
  if (m < 60) return m === 1 ? 'a minute' : `${m} minutes`;
  const hr = Math.floor(m / 60);
  if (hr < 48) return hr === 1 ? 'an hour' : `${hr} hours`;
  return `${Math.floor(hr / 24)} days`;
}

function connectionCard(c: ConnectionStatus, now: number): Html {
  const side = (s: ConnectionStatus['sides']['a']) => h`
    <div class="side">
      <b>${s.label}</b>
      Last checked <span title="${when(s.lastSuccessfulPollAt)}">${timeAgo(s.lastSuccessfulPollAt, now)}</span>
      ${s.lastPollError ? h`<div class="poll-error" style="color:var(--red)">Last check failed: ${sentence(s.lastPollError)}</div>` : ''}
      ${rejectionLine(s)}
      ${pauseLine(s)}
      ${budgetLine(s)}
      ${s.queue ? h`<div class="muted">${s.queue.callsLastMinute} calls in the last minute${s.queue.rateLimitedLastMinute > 0 ? h`, <strong>${s.queue.rateLimitedLastMinute} rate-limited</strong>` : ''}${s.queue.depth > 0 ? `, ${s.queue.depth} queued` : ''}</div>` : ''}
    </div>`;
  return h`<section class="card" data-connection="${c.name}">
  <h3>${c.name} <span class="pill ${c.health.level}" data-health="${c.health.level}">${HEALTH_WORDS[c.health.level]}</span></h3>
  <div class="muted">${c.sides.a.label} ⇄ ${c.sides.b.label}</div>
  <p class="summary">${c.health.summary}</p>
  ${firstSyncLine(c)}
  <div class="sides">${side(c.sides.a)}${side(c.sides.b)}</div>
  <div class="figures">
    <span><strong>${c.activeLinks}</strong> tickets in sync</span>
    <span><strong>${c.openConflicts}</strong> conflicts</span>
    <span><strong>${c.openErrors}</strong> errors</span>
  </div>
  <div class="muted drift" data-drift="${c.name}">${describeDrift(c.drift, now)}</div>
  ${pauseControl(c)}
  <div class="details muted">Configuration: connections.${c.name} · a: ${c.sides.a.system} · b: ${c.sides.b.system}</div>
</section>`;
}

/** The first sync (or catch-up round) under way: a bar and "fs-cw first sync: 340 of 1,200 tickets, about 2 min left". */
function firstSyncLine(c: ConnectionStatus): Html | '' {
  const f = c.firstSync;
  if (!f || f.state === 'done') return '';
  const bar =
    f.state === 'listing'
      ? h`<progress aria-label="${f.kind}"></progress>`
      : h`<progress aria-label="${f.kind}" max="${f.total}" value="${f.done}"></progress>`;
  return h`<div class="first-sync" data-first-sync="${f.state}">${bar} <span>${f.text}</span></div>`;
}

/** "Budget: 120 of 200 a minute used, 80 left · 118 calls a minute · queued: 3 changes, 1 listing · drains in about 40 s". */
function budgetLine(s: ConnectionStatus['sides']['a']): Html | '' {
  const q = s.queue;
  if (!q) return '';
  const used = q.budget
    ? h`Budget: <strong>${q.budget.usedLastMinute}</strong> of ${q.budget.perMinute} a minute used, <strong>${q.budget.leftThisMinute}</strong> left · `
    : '';
  const waiting = (['change', 'discovery', 'background'] as const)
    .filter((p) => q.queued[p] > 0)
    .map((p) => `${q.queued[p]} ${QUEUED_WORDS[p]}`);
  const queued = waiting.length > 0 ? h` · queued: ${waiting.join(', ')} · drains in about ${q.drainSeconds} s` : '';
  return h`<div class="muted budget" data-budget="${s.system}">${used}${q.ratePerMinute} calls a minute${queued}</div>`;
}

const QUEUED_WORDS = { change: 'for changes', discovery: 'for discovery', background: 'in the background' } as const;

/** The pause in force on the side's system: why, until when, and whether the vendor's ask was capped. */
function pauseLine(s: ConnectionStatus['sides']['a']): Html | '' {
  const p = s.queue?.pause;
  if (!p) return '';
  const why = p.reason === 'rate_limited' ? 'rate limited (429)' : 'budget nearly spent';
  const ask = p.capped ? h`; asked for ${p.requestedSeconds} s, capped at ${s.queue?.maxWaitSeconds ?? 0} s` : '';
  return h`<div class="paused" data-pause="${p.reason}" style="color:var(--amber)">Requests paused until <span title="${p.until}">${p.until.slice(11, 19)} UTC</span>: ${why}${ask}</div>`;
}

/** Pause or resume a connection at run time; one paused in the configuration is only changed there. */
function pauseControl(c: ConnectionStatus): Html | '' {
  const base = `/connections/${encodeURIComponent(c.name)}`;
  if (c.paused?.by === 'config') return '';
  return h`<div class="actions">${
    c.paused
      ? postButton(`${base}/resume`, '/', `Resume ${c.name}`, '')
      : postButton(`${base}/pause`, '/', `Pause ${c.name}`, 'secondary')
  }</div>`;
}

/** A one-button form posting to an action route, returning to `back`. */
function postButton(action: string, back: string, label: string, cls: string): Html {
  return h`<form class="inline" method="post" action="${action}"><input type="hidden" name="back" value="${back}"><button class="${cls}" type="submit">${label}</button></form>`;
}

/** The actions a flagged link offers; unlink for any link still syncing. */
function linkActions(link: Pick<Link, 'id' | 'state' | 'note'>, back: string): Html {
  const base = `/links/${encodeURIComponent(link.id)}`;
  const flagged = link.state === 'flagged';
  return h`<div class="actions">
    ${link.state === 'active' ? postButton(`${base}/resync`, back, 'Resync now', 'secondary') : ''}
    ${flagged ? postButton(`${base}/close-twin`, back, 'Close the twin', '') : ''}
    ${flagged && !(link.note ?? '').startsWith('deleted') ? postButton(`${base}/dismiss`, back, 'Dismiss and keep syncing', 'secondary') : ''}
    ${flagged || link.state === 'active' ? postButton(`${base}/unlink`, back, 'Unlink', 'secondary') : ''}
  </div>`;
}

/** "Jira webhooks rejected: bad signature, 14 in the last hour" when any were refused in the last hour. */
function rejectionLine(s: ConnectionStatus['sides']['a']): Html | '' {
  const text = describeRejections(s.label, s.webhooks);
  return text === null
    ? ''
    : h`<div class="webhook-rejections" style="color:var(--amber)">${text}. Changes still arrive by polling.</div>`;
}

/** One ticket, named by its key where known, linking to its search. */
function ticketAnchor(labels: Labels, connection: string, side: Side, id: string, key: string | null): Html {
  return h`<a href="/?ticket=${encodeURIComponent(labels.ref(connection, side, id))}">${labels.of(connection, side)} ${shownKey(id, key)}</a>`;
}

function ticketPair(link: Link | null, labels: Labels): Html {
  if (!link) return h`<span class="muted">—</span>`;
  return h`${ticketAnchor(labels, link.connection, 'a', link.aId, link.aKey)} ⇄ ${ticketAnchor(labels, link.connection, 'b', link.bId, link.bKey)}`;
}

function conflictTable(conflicts: Conflict[], links: Array<Link | null>, labels: Labels, now: number): Html {
  if (conflicts.length === 0)
    return h`<div class="empty">No conflicts. When both teams change the same field differently, it waits here for a decision.</div>`;
  return h`<table>
<thead><tr><th>Ticket</th><th>Field</th><th style="width:46%">The two values</th><th>Since</th></tr></thead>
<tbody>${conflicts.map((c, i) => {
    const a = labels.of(c.connection, 'a');
    const b = labels.of(c.connection, 'b');
    const value = (side: Side, v: unknown) =>
      shownValue(labels.values, { connection: c.connection, side, field: c.field }, v);
    return h`<tr data-conflict="${c.id}">
  <td>${ticketPair(links[i] ?? null, labels)}<div class="muted">${c.connection}</div></td>
  <td><strong>${c.field}</strong><div class="muted">was ${value('a', c.baseline.a)}</div></td>
  <td>
    <div class="versus">
      <div><small>${a} has</small>${value('a', c.aValue)}</div>
      <div><small>${b} has</small>${value('b', c.bValue)}</div>
    </div>
    <div class="actions">
      ${resolveButton(c, 'a', a)}
      ${resolveButton(c, 'b', b)}
    </div>
  </td>
  <td class="when" title="${when(c.createdAt)}">${timeAgo(c.createdAt, now)}</td>
</tr>`;
  })}</tbody></table>`;
}

function resolveButton(c: Conflict, take: Side, label: string): Html {
  return h`<form class="inline" method="post" action="/conflicts/${encodeURIComponent(c.id)}/resolve">
    <input type="hidden" name="take" value="${take}"><input type="hidden" name="back" value="/#conflicts">
    <button type="submit" class="choice">Take ${label}'s value</button>
  </form>`;
}

/**
 * Above the error table: retry every open error, and, when they have several codes, those of one
 * code (the dashboard's `ticketbridge errors retry --all [--code C]`, both through POST /errors/retry).
 */
function retryAllForms(errors: ErrorRecord[]): Html | '' {
  if (errors.length < 2) return '';
  const byCode = new Map<string, number>();
  for (const e of errors) byCode.set(e.code, (byCode.get(e.code) ?? 0) + 1);
  const form = (action: string, label: string): Html =>
    h`<form class="inline" method="post" action="${action}"><input type="hidden" name="back" value="/#errors"><button type="submit">${label}</button></form>`;
  const codes = byCode.size < 2 ? [] : [...byCode].sort(([a], [b]) => a.localeCompare(b));
  return h`${form('/errors/retry', `Retry all ${errors.length}`)}${codes.map(([code, n]) =>
    form(`/errors/retry?code=${encodeURIComponent(code)}`, `Retry the ${n} ${code}`),
  )}`;
}

function errorTable(errors: ErrorRecord[], links: Array<Link | null>, labels: Labels, now: number): Html {
  if (errors.length === 0) return h`<div class="empty">No errors. Everything that was tried has gone through.</div>`;
  return h`<table>
<thead><tr><th>Ticket</th><th>What went wrong</th><th>Tries</th><th>Since</th><th></th></tr></thead>
<tbody>${errors.map((e, i) => {
    const link = links[i] ?? null;
    const where = link
      ? ticketPair(link, labels)
      : e.ticketId && e.side
        ? ticketAnchor(labels, e.connection, e.side, e.ticketId, null)
        : h`<span class="muted">${e.connection}</span>`;
    return h`<tr data-error="${e.id}">
  <td>${where}</td>
  <td class="message">${sentence(e.message.startsWith(`${e.code}: `) ? e.message.slice(e.code.length + 2) : e.message)}<div class="muted">${e.code}${e.retryable ? ' · retried automatically' : ' · needs a person'}</div></td>
  <td>${e.attempts} ${e.attempts === 1 ? 'try' : 'tries'}</td>
  <td class="when" title="${when(e.createdAt)}">${timeAgo(e.createdAt, now)}</td>
  <td><form class="inline" method="post" action="/errors/${encodeURIComponent(e.id)}/retry"><input type="hidden" name="back" value="/#errors"><button type="submit">Retry</button></form></td>
</tr>`;
  })}</tbody></table>`;
}

/** Ledger events, or the same events as the link detail view carries them. */
type EventRow = Pick<SyncEvent, 'at' | 'reason' | 'field' | 'connection' | 'kind' | 'side'> & {
  oldValue: unknown;
  newValue: unknown;
};

function eventTable(
  events: EventRow[],
  links: Array<Link | null>,
  labels: Labels,
  now: number,
  withTicket: boolean,
): Html {
  if (events.length === 0) return h`<div class="empty">Nothing has happened yet.</div>`;
  return h`<table>
<thead><tr><th>When</th>${withTicket ? h`<th>Ticket</th>` : ''}<th>What happened</th><th>Change</th></tr></thead>
<tbody>${events.map(
    (e, i) => h`<tr>
  <td class="when" title="${when(e.at)}">${timeAgo(e.at, now)}</td>
  ${withTicket ? h`<td>${ticketPair(links[i] ?? null, labels)}</td>` : ''}
  <td>${sentence(e.reason)}</td>
  <td>${e.field !== null && (e.oldValue !== null || e.newValue !== null) ? change(e, labels.values) : ''}</td>
</tr>`,
  )}</tbody></table>`;
}

/** "Open → Pending": an event's old and new value, each by its name in its own system. */
function change(e: EventRow, values: ValueLabels): Html {
  const [oldSide, newSide] = valueSides(e.kind, e.side);
  const at = (side: Side | null) => ({ connection: e.connection, side, field: e.field });
  return h`${shownValue(values, at(oldSide), e.oldValue, 80)} → ${shownValue(values, at(newSide), e.newValue, 80)}`;
}

function ticketLink(t: LinkDetail['tickets']['a']): Html {
  const name = `${t.label} ${shownKey(t.id, t.key)}`;
  return t.url && /^https?:\/\//.test(t.url)
    ? h`<a href="${t.url}" rel="noreferrer noopener" target="_blank">${name}</a>`
    : h`${name}`;
}

/** The search section: links the reference finds, or why it found none. */
async function ticketSearch(deps: DashboardDeps, ticket: string, labels: Labels, now: number): Promise<Html> {
  let search: TicketSearch;
  try {
    search = await resolveTicketRef(ticket, deps.engine.connections, deps.logger ? { logger: deps.logger } : {});
  } catch (err) {
    if (!(err instanceof TicketRefError)) throw err;
    return h`<h2>Ticket ${ticket}</h2><div class="notice problem" role="alert">${err.message.charAt(0).toUpperCase()}${err.message.slice(1)}.</div>`;
  }
  const found = await deps.ledger.listLinks({ tickets: search.candidates, limit: 5 });
  const details = (await Promise.all(found.items.map((l) => buildLinkDetail(deps, l.id)))).filter(
    (d): d is LinkDetail => d !== null,
  );
  const unresolved =
    search.unresolved.length > 0
      ? h`<div class="notice problem" role="alert">${search.unresolved.join(', ')} could not be asked what ${search.reference.ref} stands for, so it was searched there only as an id and among the keys the ledger already holds.</div>`
      : '';
  return h`${unresolved}${searchSection(ticket, details, labels, now, found.total, knownSystems(deps.engine.connections))}`;
}

function searchSection(
  ticket: string,
  details: LinkDetail[],
  labels: Labels,
  now: number,
  total: number,
  systems: string[],
): Html {
  if (details.length === 0) {
    const example = systems[0] ?? 'system';
    return h`<h2>Ticket ${ticket}</h2><div class="empty">No linked ticket matches ${ticket}. Search by the number or key people see (#1234, INC-4, IT-12), and put its system first to look on one system only (${example}:123). Systems: ${systems.join(', ') || 'none configured'}.</div>`;
  }
  return h`<h2>Ticket ${ticket} <span class="count">(${total} ${total === 1 ? 'link' : 'links'})</span></h2>${details.map(
    (d) => h`<section class="card" data-link="${d.link.id}" style="margin-bottom:16px">
  <h3>${ticketLink(d.tickets.a)} ⇄ ${ticketLink(d.tickets.b)}</h3>
  <div class="muted">${d.link.connection} · link ${d.link.id} · ${d.link.state}${d.link.note ? ` (${d.link.note})` : ''} · linked ${timeAgo(d.link.createdAt, now)}</div>
  ${linkActions(d.link, `/?ticket=${encodeURIComponent(ticket)}`)}
  ${d.baselines.length > 0 ? h`<h2>Fields as last agreed</h2><table><thead><tr><th>Field</th><th>${d.tickets.a.label}</th><th>${d.tickets.b.label}</th></tr></thead><tbody>${d.baselines.map((b) => h`<tr><td>${b.field}</td><td data-label="${d.tickets.a.label}">${shownValue(labels.values, { connection: d.link.connection, side: 'a', field: b.field }, b.a)}</td><td data-label="${d.tickets.b.label}">${shownValue(labels.values, { connection: d.link.connection, side: 'b', field: b.field }, b.b)}</td></tr>`)}</tbody></table>` : ''}
  ${slaLines(d.events as SyncEvent[], (side) => labels.of(d.link.connection, side), now)}
  <h2>History <span class="count">(${d.events.length})</span></h2>
  ${eventTable(d.events, [], labels, now, false)}
</section>`,
  )}`;
}

/**
 * Pairs two tickets both teams already hold (POST /links), or previews what the link's first pass
 * would write: the same checks and markers as `ticketbridge link`.
 */
function pairForm(deps: DashboardDeps): Html | string {
  const names = [...deps.engine.connections.keys()];
  if (names.length === 0) return '';
  return h`<h2 id="pair">Link existing tickets</h2>
  <p class="muted">Both teams already hold this incident? Pair the two tickets instead of letting the daemon create a twin. Each field is then decided by its owner on the first pass.</p>
  <form class="pair" method="post" action="/links">
    <input type="hidden" name="back" value="/#pair">
    <label>Connection <select name="connection"><option value="">any that fits</option>${names.map((n) => h`<option value="${n}">${n}</option>`)}</select></label>
    <label>Ticket on side a <input name="a" required placeholder="123, IT-12 or system:123"></label>
    <label>Ticket on side b <input name="b" required placeholder="123, IT-12 or system:123"></label>
    <label><input type="checkbox" name="dryRun" value="true"> Preview only</label>
    <button type="submit">Link</button>
  </form>`;
}

/** The RACI matrix each connection's `functions:` define: who does the work and owns which field. */
function raciSection(deps: DashboardDeps): Html | string {
  const matrices = [...deps.engine.connections.values()]
    .filter((rt) => rt.config.functions.length > 0)
    .map((rt) => {
      const side = (s: Side) => ({
        system: rt.sides[s].system,
        label: rt.sides[s].label,
        team: rt.config[s].team ?? null,
      });
      return raciOf(rt.name, rt.config, { a: side('a'), b: side('b') });
    });
  if (matrices.length === 0) return '';
  return h`<h2 id="raci">Who owns what (RACI by function)</h2>${matrices.map(
    (m) =>
      h`<h3>${m.connection}</h3><div class="scroll"><table class="raci"><thead><tr><th>Function</th><th>Tickets</th><th>Responsible</th>${m.fields.map((f) => h`<th>${f}</th>`)}</tr></thead><tbody>${m.rows.map(
        (r) =>
          h`<tr><td>${r.label}</td><td>${r.match}</td><td>${sideWords(m.sides, r.responsible)}</td>${m.fields.map((f) => h`<td>${sideWords(m.sides, r.owners[f] ?? null)}</td>`)}</tr>`,
      )}</tbody></table></div>`,
  )}`;
}
