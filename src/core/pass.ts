// One pass of the sync rule: read both tickets, ask the planner (sync/planner.ts) what to do,
// write it, copy new comments, and record everything the pass learned in one ledger commit.
// Callers serialise passes per link. Creates go through an intent and a marker, so a crash never
// makes a second twin.
import { randomUUID } from 'node:crypto';
import {
  classify,
  describeError,
  errorCode,
  NotFoundError,
  RemoteUnavailableError,
  subjectOf,
  SyncError,
  tagSubject,
} from './errors.js';
import type { Conflict, Intent, Ledger, Link, LinkSnapshot, NewEvent, PassCommit } from './ledger/types.js';
import { archiveInto, closureEvents, closureOf, commitClosure } from './archive.js';
import type { EchoBook } from './echoes.js';
import { DISMISSED } from './link-actions.js';
import { adoptTwin, findTwin } from './twins.js';
import { ticketMarker } from './marker.js';
import { syncAttachments } from './pass-attachments.js';
import type { Notifier } from './notify.js';
import { sideNames, type ConnectionRuntime } from './runtime.js';
import { copied, planComments } from './sync/comments.js';
import { sideName } from './sync/words.js';
import { shownKey } from './ticket-ref.js';
import { createBaselines, planCreate } from './sync/create.js';
import { applyEscalations, notifyEscalation } from './escalate.js';
import { planEscalations } from './sync/escalations.js';
import { slaClocks, slaStops, type SlaClock } from './sla.js';
import { functionChangeEvent, functionOf, rulesFor } from './sync/functions.js';
import {
  planLink,
  valueOf,
  type LinkInput,
  type LinkPlan,
  type PlannedWrite,
  type UpdatePayload,
} from './sync/planner.js';
import { cutEvents, settleWrites } from './sync/settle.js';
import {
  isUnlisted,
  keysOf,
  memosOf,
  seenVersion,
  settled,
  settleMs,
  stampOf,
  unlisted,
  versionStep,
} from './sync/versions.js';
import {
  otherSide,
  type Clock,
  type Comment,
  type Delivered,
  type Connector,
  type FieldValues,
  type JsonValue,
  type Moved,
  type Side,
  type Ticket,
  type TicketContext,
} from './types.js';
import { canonical, type FieldRule } from './values.js';

/** What the engine reports to metrics. */
export interface EngineObserver {
  pass?(connection: string, outcome: 'noop' | 'changed' | 'created' | 'error' | 'skipped'): void;
  write?(connection: string, side: Side, field: string): void;
  conflict?(connection: string, field: string): void;
  revert?(connection: string, field: string): void;
  error?(connection: string, code: string): void;
  /** Time from a change on one side (its version) to the mirror write on the other. */
  mirrorLag?(connection: string, ms: number): void;
  comment?(connection: string, side: Side): void;
}

export interface PassDeps {
  ledger: Ledger;
  clock: Clock;
  observer: EngineObserver;
  /** Tells people about escalations and sync trouble; none configured: nobody is told. */
  notifier?: Notifier | undefined;
  /** The daemon's own writes as answered, so their echoes cost no call (echoes.ts). */
  echoes?: EchoBook | undefined;
  /** When each link was last read on both sides (the scheduled reconcile skips links read since its last run). */
  readLinks?: Map<string, number> | undefined;
  /** Whether the connection's sides are polled now (the engine has started); none: not polled. */
  polled?: ((connection: string) => boolean) | undefined;
}

export interface PassOptions {
  /** A ticket the caller has just read (poll or webhook), for the version fast path. */
  ticket?: Ticket;
  side?: Side;
  /** Ignore the version fast path and re-read comments (resync, reconcile after a fault). */
  force?: boolean;
  /** The link has open errors: commit even a no-change pass so they are resolved. */
  hadErrors?: boolean;
  /** Resolve this manual conflict by taking this side's value. */
  resolve?: { conflictId: string; take: Side };
  /** The version a webhook reported for `side` (its echo check, echoes.ts). */
  version?: string;
  /**
   * Tickets the caller holds as they are now (the source read moments ago, the twin as its
   * create answered): the pass reads only the other sides.
   */
  known?: Partial<Record<Side, Ticket>>;
  /** List comments only on these sides (a link's first pass: the new twin has none yet). */
  commentsOn?: readonly Side[];
  /** What the webhook delivery for `side` said moved (WebhookHint); absent: anything may have. */
  moved?: Moved;
  /** What each webhook delivery behind this pass reported that the ledger can check (Delivered). */
  delivered?: readonly Delivered[];
}

export type PassOutcome = 'noop' | 'changed' | 'created' | 'skipped';

export { seenVersion, SETTLE_MS } from './sync/versions.js';

const SIDES: readonly Side[] = ['a', 'b'];

/**
 * How old the pass's read of a side may be when it writes there before it reads it again. Reads
 * happen at once at the start of a pass, so only a pass held up by a busy system reads twice.
 */
export const FRESH_MS = 2000;

export interface CreateResult {
  outcome: PassOutcome;
  linkId: string | null;
  /** The twin as its create answered (not when a stopped create was recovered). */
  twin?: Ticket;
}

/**
 * The create's intent: the one a stopped create left (with the twin it made, if the marker finds
 * one, and what it sent), or a new one; null when another worker or instance owns this create.
 */
async function startCreate(
  deps: PassDeps,
  rt: ConnectionRuntime,
  from: Side,
  ticket: Ticket,
  planned: { fields: FieldValues; source: FieldValues },
): Promise<{ intent: Intent; twin: Ticket | null; sent: { fields: FieldValues; source: FieldValues } } | null> {
  const to = otherSide(from);
  const found = await deps.ledger.findIntent(rt.name, 'create', to, ticket.id);
  if (found) {
    const twin = await findCreated(deps, rt, to, found);
    const payload = found.payload as { fields?: FieldValues; source?: FieldValues } | null;
    if (twin) {
      const sent = payload?.fields && payload.source ? { fields: payload.fields, source: payload.source } : planned;
      return { intent: found, twin, sent };
    }
    // The stopped try made nothing, and the source may have moved since: this try sends other
    // values, so its intent must say so, or a recovery of this try would take the twin's values
    // (sent now) for a person's edit on the twin and mirror them back over the source.
    if (canonical(payload) !== canonical(planned)) await deps.ledger.dropIntent(found.id);
    else return { intent: found, twin: null, sent: planned };
  }
  const intent = await deps.ledger.addIntent({
    connection: rt.name,
    kind: 'create',
    targetSide: to,
    sourceId: ticket.id,
    linkId: null,
    marker: ticketMarker(rt.name, `${from}${ticket.id}`),
    payload: planned,
  });
  return intent ? { intent, twin: null, sent: planned } : null;
}

/** Creates the twin of a ticket that has no link yet, through an intent and its marker. */
export async function createPass(
  deps: PassDeps,
  rt: ConnectionRuntime,
  from: Side,
  ticket: Ticket,
): Promise<CreateResult> {
  const earlier = await findTwin(rt, from, ticket);
  if (earlier) {
    const pair = from === 'a' ? { a: ticket, b: earlier } : { a: earlier, b: ticket };
    return { outcome: 'changed', linkId: await adoptTwin(deps.ledger, rt, from, pair, 'the catch-up listing') };
  }
  const first = await deps.ledger.firstSync(rt.name);
  const plan = planCreate({
    connection: rt.name,
    config: rt.config,
    rules: rt.fields,
    from,
    ticket,
    nowMs: deps.clock.now(),
    calendars: rt.calendars,
    firstSyncStartedMs: first ? Date.parse(first.startedAt) : null,
  });
  if (!plan.create) return { outcome: 'skipped', linkId: null };
  const { to } = plan;
  const target = rt.sides[to].connector;

  const started = await startCreate(deps, rt, from, ticket, { fields: plan.fields, source: plan.source });
  if (!started) return { outcome: 'skipped', linkId: null }; // another worker or instance owns this create
  const { intent, sent } = started;
  let twin = started.twin;
  const recovered = twin !== null;
  if (!twin) {
    // Deliveries for the target side wait for the answer: the new twin's may come before it.
    const ended = deps.echoes?.startCreate(rt.name, to);
    try {
      twin = await target.createTicket(plan.fields, intent.marker);
      // The create's answer is the twin as held: its webhook (the create's echo) costs no call.
      deps.echoes?.expect(rt.name, to, twin.id, twin.version);
    } catch (err) {
      // A rejected create never happened remotely: drop the intent so a fixed config can retry.
      if (err instanceof SyncError && !classify(err).retry) await deps.ledger.dropIntent(intent.id);
      throw err;
    } finally {
      ended?.();
    }
    deps.observer.mirrorLag?.(rt.name, Math.max(0, deps.clock.now() - Date.parse(ticket.version)));
  }
  const createdLatencyMs = recovered ? null : Math.max(0, deps.clock.now() - (Date.parse(ticket.version) || 0));

  const tickets: Record<Side, Ticket> = from === 'a' ? { a: ticket, b: twin } : { a: twin, b: ticket };
  const linkId = await deps.ledger.commit({
    connection: rt.name,
    newLink: { aId: tickets.a.id, bId: tickets.b.id },
    // After a recovery the source may have moved since the twin was sent: let the next pass look.
    // The twin's version waits for the link's first pass (it copies the source's comments): until
    // that pass commits, every pass lists both sides' comments, so a stop or a failure between
    // this commit and that pass leaves no comment uncopied (commentSides).
    versions: recovered ? {} : { [from]: seenVersion(rt.fields, from, ticket) },
    keys: keysOf(tickets),
    memos: memosOf(tickets),
    baselines: createBaselines(
      rt.fields,
      from,
      tickets,
      sent,
      recovered ? { halfDone: await halfDone(rt, to, twin, sent.fields) } : null,
    ),
    events: [...plan.events, ...cutsOfCreate(rt, tickets), linkCreated(rt, from, tickets, createdLatencyMs)],
    intentsDone: [intent.id],
    resolveErrorsFor: { side: from, ticketId: ticket.id },
  });
  deps.observer.write?.(rt.name, to, '*create');
  // The caller runs a first link pass (under the link's own claim) to copy existing comments.
  return recovered ? { outcome: 'created', linkId } : { outcome: 'created', linkId, twin };
}

/** The event of a new link: the source ticket mirrored, its twin created on the other side. */
function linkCreated(
  rt: ConnectionRuntime,
  from: Side,
  tickets: Record<Side, Ticket>,
  latencyMs: number | null,
): NewEvent {
  const to = otherSide(from);
  const [source, twin] = [tickets[from], tickets[to]];
  const labels = sideNames(rt).labels;
  return {
    connection: rt.name,
    linkId: null,
    side: to,
    field: null,
    kind: 'link_created',
    oldValue: null,
    newValue: { a: tickets.a.id, b: tickets.b.id },
    data: { source: from, latencyMs },
    reason: `${sideName(labels, from)} ticket ${shownKey(source.id, source.key)} mirrored: twin ${shownKey(twin.id, twin.key)} created on ${sideName(labels, to)}`,
  };
}

/**
 * Of the fields a recovered twin does not hold as sent, those its create sets in later calls and
 * nobody else changed since: the create stopped between its calls there (asked of the system's
 * history where it keeps one).
 */
async function halfDone(rt: ConnectionRuntime, to: Side, twin: Ticket, sent: FieldValues): Promise<string[]> {
  const connector = rt.sides[to].connector;
  const steps = (connector.facts.createSteps ?? []).filter(
    (native) => sent[native] !== undefined && canonical(twin.fields[native] ?? null) !== canonical(sent[native]),
  );
  if (steps.length === 0 || !connector.changedByOthers) return steps;
  const others = new Set(await connector.changedByOthers(twin.id, steps));
  return steps.filter((native) => !others.has(native));
}

/** Text cut on the source as read or on the twin as created, for the mapped fields. */
function cutsOfCreate(rt: ConnectionRuntime, tickets: Record<Side, Ticket>): NewEvent[] {
  const labels = { a: rt.sides.a.label, b: rt.sides.b.label };
  return SIDES.flatMap((side) =>
    cutEvents(rt.name, labels, side, tickets[side], Object.fromEntries(rt.fields.map((r) => [r.native[side], r.name]))),
  );
}

/** The twin a previous attempt may have created before the daemon stopped, waiting out search lag. */
async function findCreated(deps: PassDeps, rt: ConnectionRuntime, to: Side, intent: Intent): Promise<Ticket | null> {
  const target = rt.sides[to].connector;
  // Margin for clock skew between this host and the target system.
  const twin = await target.findByMarker(intent.marker, {
    createdAfter: new Date(Date.parse(intent.createdAt) - 15 * 60_000),
  });
  const lagMs = target.facts.markerSearchLagMs ?? 0;
  const ageMs = deps.clock.now() - Date.parse(intent.createdAt);
  if (!twin && ageMs < lagMs) {
    // The system's search may not show a ticket created moments ago: wait rather than risk a twin.
    throw new RemoteUnavailableError(
      `${rt.sides[to].label}: looking for ${intent.marker} again once search has caught up (${Math.ceil((lagMs - ageMs) / 1000)} s)`,
    );
  }
  return twin;
}

/** Applies the connection's delete/unscope rule to a link whose ticket on `side` is gone. */
async function leaveLink(
  deps: PassDeps,
  rt: ConnectionRuntime,
  snap: LinkSnapshot,
  side: Side,
  why: 'deleted' | 'unscoped',
): Promise<PassOutcome> {
  const rule = why === 'deleted' ? rt.config.lifecycle.onDelete : rt.config.lifecycle.onUnscope;
  const link = snap.link;
  const other = otherSide(side);
  // The note keeps the side letter: goneSide reads it back ("deleted on a (Freshservice)").
  const onSide = `on ${side} (${rt.sides[side].label})`;
  const what = why === 'deleted' ? `deleted ${onSide}` : `moved out of scope ${onSide}`;
  const said = `${why === 'deleted' ? 'deleted' : 'moved out of scope'} on ${sideName(sideNames(rt).labels, side)}`;
  const event = (at: Side, kind: 'ticket_closed' | 'link_unlinked' | 'link_flagged', reason: string): NewEvent[] => [
    { connection: rt.name, linkId: link.id, side: at, field: null, kind, oldValue: null, newValue: null, reason },
  ];
  // Errors a pass hit while the ticket was going away (e.g. 404 on its notes) are settled with it.
  const commit: PassCommit = {
    connection: rt.name,
    linkId: link.id,
    resolveErrorsFor: { linkId: link.id, reason: `the ticket was ${what} and the link settled` },
  };
  if (rule === 'close') {
    const twinId = other === 'a' ? link.aId : link.bId;
    await rt.sides[other].connector.closeTicket(twinId).catch((err: unknown) => {
      throw tagSubject(err, other, twinId);
    });
    commit.linkState = { state: 'closed', note: `${what}; twin closed` };
    commit.events = event(other, 'ticket_closed', `ticket ${said}; its twin was closed (lifecycle: close)`);
  } else if (rule === 'unlink') {
    commit.linkState = { state: 'unlinked', note: what };
    commit.events = event(side, 'link_unlinked', `ticket ${said}; link ended (lifecycle: unlink)`);
  } else {
    delete commit.resolveErrorsFor;
    commit.linkState = { state: 'flagged', note: what };
    commit.events = event(side, 'link_flagged', `ticket ${said}; link flagged for a person (lifecycle: flag)`);
    await deps.ledger.recordError({
      connection: rt.name,
      linkId: link.id,
      side,
      ticketId: side === 'a' ? link.aId : link.bId,
      code: why === 'deleted' ? 'not_found' : 'unscoped',
      message: `ticket ${said}; the link is flagged and no longer syncs`,
      retryable: false,
    });
  }
  await deps.ledger.commit(commit);
  return 'changed';
}

/** Records that the link's tickets were just read on both sides (bounded; oldest dropped first). */
function noteRead(deps: PassDeps, linkId: string): void {
  const map = deps.readLinks;
  if (!map) return;
  map.delete(linkId);
  map.set(linkId, deps.clock.now());
  if (map.size > 200_000) map.delete(map.keys().next().value!);
}

function idOf(link: Link, side: Side): string {
  return side === 'a' ? link.aId : link.bId;
}

/**
 * Whether a webhook's delivery is the echo of this daemon's last write to the side: the ledger
 * holds the version the write answered with, and the delivery reports exactly that version
 * (used up once; echoes.ts). Zero calls.
 */
function ownEcho(deps: PassDeps, rt: ConnectionRuntime, link: Link, options: PassOptions): boolean {
  const { version, side } = options;
  if (version === undefined || side === undefined || !deps.echoes) return false;
  const stored = (side === 'a' ? link.aVersion : link.bVersion) ?? '';
  const held = Date.parse(stampOf(stored));
  if (Number.isNaN(held) || held !== Date.parse(version)) return false;
  return deps.echoes.take(rt.name, side, idOf(link, side), version);
}

/** Whether the hinted copy shows the side unmoved since the ledger last agreed with it. */
function hintedUnmoved(rt: ConnectionRuntime, link: Link, options: PassOptions): boolean {
  const { ticket, side } = options;
  if (!ticket || !side || !ticket.inScope || ticket.deleted) return false;
  const stored = side === 'a' ? link.aVersion : link.bVersion;
  return seenVersion(rt.fields, side, ticket) === stored && settled(link.updatedAt, ticket.version, stepOf(rt, side));
}

/**
 * Whether the ledger already holds what every webhook delivery behind this pass reported: the
 * comment it announced is in the link's comment map (copied, skipped, or a copy this daemon made),
 * or its version is the one the ledger holds (versionHeld). Jira raises `comment_created` and
 * `jira:issue_updated` for one comment, and for the daemon's own copy: the pass for the first
 * copies it, the second costs no call. Deliveries folded into one run are each checked.
 */
function deliveriesHeld(rt: ConnectionRuntime, snap: LinkSnapshot, options: PassOptions): boolean {
  const { side } = options;
  const delivered = options.delivered ?? (options.version === undefined ? undefined : [{ version: options.version }]);
  if (side === undefined || delivered === undefined || delivered.length === 0) return false;
  return delivered.every(
    (d) =>
      (d.commentId !== undefined && snap.comments.some((c) => c.side === side && c.commentId === d.commentId)) ||
      (d.version !== undefined && versionHeld(rt, snap.link, side, d.version)),
  );
}

/**
 * Whether a delivery reports exactly the version the ledger holds for the side, and the ledger has
 * held it long enough to trust that nothing came after it.
 */
function versionHeld(rt: ConnectionRuntime, link: Link, side: Side, version: string): boolean {
  const recorded = (side === 'a' ? link.aVersion : link.bVersion) ?? '';
  // A version recorded while its comments went unlisted (keepUntrusted) is not held: look again.
  if (isUnlisted(recorded)) return false;
  const stored = stampOf(recorded);
  const held = Date.parse(stored);
  return !Number.isNaN(held) && held === Date.parse(version) && settled(link.updatedAt, stored, stepOf(rt, side));
}

/**
 * A poll's copy of a linked ticket showing it exactly as the ledger holds it (version and mapped
 * fields), listed after that version settled, where the ledger does not trust the version yet
 * (recorded in its own second, or `unlisted`): a person's field change in that second would show
 * in the copy, so only a comment made in it can hide, and one list of the side's comments settles
 * it, where a pass read both tickets. Nothing the comment map does not hold: the version is
 * recorded as trusted, and the other side's, if the ledger did not trust it, stays untrusted
 * (`unlisted`: the commit moves the link's time, which would trust it unseen). Anything new, an
 * intent or a conflict: false, and the pass runs. The poll comes back to a changed ticket within
 * its overlap window, usually seconds after its version settled (every 30 s by default).
 */
async function settledByListing(
  deps: PassDeps,
  rt: ConnectionRuntime,
  snap: LinkSnapshot,
  options: PassOptions,
): Promise<boolean> {
  const { ticket, side } = options;
  if (!ticket || !side || ticket.listedAtMs === undefined || !ticket.inScope || ticket.deleted) return false;
  const link = snap.link;
  const stored = side === 'a' ? link.aVersion : link.bVersion;
  if (stored === null) return false;
  const seen = seenVersion(rt.fields, side, ticket);
  if (!(stored === seen || stored === unlisted(seen))) return false;
  if (ticket.listedAtMs - Date.parse(ticket.version) <= settleMs(stepOf(rt, side)) + COMMIT_MARGIN_MS) return false;
  const pending = await deps.ledger.pendingIntentsForLink(link.id);
  if (pending.length > 0 || (await deps.ledger.listConflicts({ linkId: link.id, state: 'open' })).length > 0)
    return false;
  const id = idOf(link, side);
  // Listed now, without the version: a connector answers a list of the version it has just read
  // from that read (TicketContext.version), and a read made before the version settled may have
  // missed exactly the comment this list is for.
  const listed = await rt.sides[side].connector.listComments(id, contextOf(link, side)).catch((err: unknown) => {
    throw tagSubject(err, side, id);
  });
  const known = new Set(snap.comments.filter((c) => c.side === side).map((c) => c.commentId));
  if (listed.some((c) => !known.has(c.id))) return false;
  const other = otherSide(side);
  const otherStored = other === 'a' ? link.aVersion : link.bVersion;
  const otherKept =
    otherStored === null || isUnlisted(otherStored) || settled(link.updatedAt, stampOf(otherStored), stepOf(rt, other));
  await deps.ledger.commit({
    connection: rt.name,
    linkId: link.id,
    versions: { [side]: seen, ...(otherKept ? {} : { [other]: unlisted(otherStored) }) },
  });
  return true;
}

/**
 * A version learned from the daemon's own write or comment copy, as the ledger records it: where
 * versions count milliseconds (Jira) it is trusted at once, so it is recorded `unlisted` and the
 * next listing lists the side's comments once (a person's comment made just before the write,
 * whose delivery never came, would otherwise hide behind it); whole-second versions stay
 * untrusted for SETTLE_MS anyway.
 */
function ownWriteVersion(rt: ConnectionRuntime, side: Side, version: string): string {
  return stepOf(rt, side) < 1000 ? unlisted(version) : version;
}

/** The step of each side's versions (ConnectorFacts.versionStepMs). */
function stepOf(rt: ConnectionRuntime, side: Side): number {
  return versionStep(rt.sides[side].connector.facts);
}

/** One pass of the sync rule over an existing link: read → plan → apply → comments → commit. */
export async function linkPass(
  deps: PassDeps,
  rt: ConnectionRuntime,
  snap: LinkSnapshot,
  options: PassOptions = {},
): Promise<PassOutcome> {
  const link = snap.link;
  if (link.state !== 'active') return 'skipped';
  const quick = !options.force && !options.resolve;
  if (
    quick &&
    (ownEcho(deps, rt, link, options) ||
      hintedUnmoved(rt, link, options) ||
      deliveriesHeld(rt, snap, options) ||
      (await settledByListing(deps, rt, snap, options)))
  )
    return 'noop';

  // What the ledger holds comes first, so the tickets are read as late as possible before the
  // writes. The tickets as they are now: a listed copy only where no write of this daemon can be
  // newer (listedCopy); otherwise it might look like an edit to mirror back.
  const state = await linkState(deps.ledger, link.id, rt);
  const reads = await readBoth(rt, link, deps.clock, options.side, listedCopy(rt, link, options), options.known);
  // What was read now is newer than any write's answer: a delivery at that version is no echo.
  for (const side of SIDES) if (!options.known?.[side]) deps.echoes?.forget(rt.name, side, idOf(link, side));
  const read = reads.tickets;
  for (const side of SIDES) if (!read[side] || read[side].deleted) return leaveLink(deps, rt, snap, side, 'deleted');
  const tickets = read as Record<Side, Ticket>;
  // A pass for a hint read both sides now: the scheduled reconcile need not read them again.
  if (options.side !== undefined && !options.known && !reads.listed) noteRead(deps, link.id);
  // A person who dismissed an out-of-scope flag keeps the link syncing wherever its tickets are.
  const scopeHolds = !(link.note ?? '').startsWith(DISMISSED);
  for (const side of SIDES)
    if (!tickets[side].inScope && scopeHolds) return leaveLink(deps, rt, snap, side, 'unscoped');

  const seen = { a: seenVersion(rt.fields, 'a', tickets.a), b: seenVersion(rt.fields, 'b', tickets.b) };
  const unchanged = SIDES.every(
    (s) =>
      seen[s] === (s === 'a' ? link.aVersion : link.bVersion) &&
      settled(link.updatedAt, tickets[s].version, stepOf(rt, s)),
  );
  const nowMs = deps.clock.now();
  const closure = closureOf(rt.config.lifecycle.stopAfterClosedDays, link, tickets, nowMs);
  // A delivery that says comments moved lists them even on a ticket the ledger holds as it is:
  // a comment made before a field edit hides behind the version that edit's pass recorded
  // without listing them (commentSides).
  const listAnyway = options.moved === 'comments';
  if (unchanged && quick && !listAnyway) {
    const closing = closure.closedSince !== undefined || closure.archive;
    return closing ? commitClosure(deps.ledger, rt, link, closure, closureEvents(rt, link, tickets, closure)) : 'noop';
  }

  const { input, plan } = await planPass(deps.ledger, rt, snap, tickets, { state, resolve: options.resolve, nowMs });
  const commit = await startCommit(deps, rt, link, input, plan, seen);
  if (closure.closedSince !== undefined) commit.closedSince = closure.closedSince;
  (commit.events ??= []).push(...closureEvents(rt, link, tickets, closure));
  const { failures, raced } = await applyPlan(deps, rt, input, plan, commit, reads);
  const escalated = await applyEscalations(rt, input, plan, commit).catch((err: unknown) => {
    failures.push(err);
    return [];
  });
  // Step 5: comments are append-only; only read them on a side that may have new ones.
  let deferred: Side[] = [];
  if (options.force || !unchanged || listAnyway) {
    const sides = sidesToList(deps, rt, options, { link, tickets, seen, state });
    deferred = sides.deferred;
    await copyComments(deps, rt, snap, tickets, commit, { sides: sides.listed, state, failures, raced });
  }
  if (failures.length > 0 || raced) {
    delete commit.versions; // the next pass looks again
    delete commit.resolveErrorsFor; // only a clean pass resolves errors
  }
  // A pass that found nothing to write archives a link closed on both sides long enough.
  if (closure.archive && !raced && failures.length === 0 && plan.writes.a.length + plan.writes.b.length === 0)
    archiveInto(commit, rt, link);
  const learned = failures.length > 0 || !unchanged || options.hadErrors || holdsNews(commit);
  const steps = { a: stepOf(rt, 'a'), b: stepOf(rt, 'b') };
  if (learned) await deps.ledger.commit(keepUntrusted(commit, deferred, deps.clock.now(), steps));
  for (const decision of escalated) await notifyEscalation(deps, rt, input, decision);
  if (failures.length > 0) throw failures[0];
  const wrote =
    plan.writes.a.length + plan.writes.b.length + escalated.length > 0 ||
    commit.events.some((e) => e.kind === 'comment_copied' || e.kind === 'attachment_copied');
  return wrote ? 'changed' : 'noop';
}

/**
 * Step 5 of a link pass: copies new comments on the listed sides, stops SLA clocks a reply or a
 * resolution met, and copies attachments. A failure is kept in `failures` (the rest still runs).
 * A side the pass copied comments onto is then read once, so their echo costs no pass
 * (heldAfterCopies); not after a failure or a race, whose commit records no versions.
 */
async function copyComments(
  deps: PassDeps,
  rt: ConnectionRuntime,
  snap: LinkSnapshot,
  tickets: Record<Side, Ticket>,
  commit: PassCommit,
  step: { sides: readonly Side[]; state: LinkState; failures: unknown[]; raced: boolean },
): Promise<void> {
  const synced = await syncComments(deps, rt, snap, tickets, commit, step.sides).catch((err: unknown) => {
    step.failures.push(err);
    return null;
  });
  const lists = synced?.lists ?? null;
  const labels = { a: rt.sides.a.label, b: rt.sides.b.label };
  commit.events!.push(
    ...slaStops(step.state.slaRunning, rt.config.escalations, tickets, lists ?? { a: [], b: [] }, labels),
  );
  await syncAttachments(deps, rt, snap, tickets, commit, lists).catch((err: unknown) => step.failures.push(err));
  if (!synced || step.failures.length > 0 || step.raced) return;
  for (const side of SIDES)
    if (synced.posted[side].length > 0 && rt.sides[side].connector.facts.commentEchoVersioned)
      await heldAfterCopies(deps, rt, side, tickets[side], synced.posted[side], commit);
}

/**
 * Whether `version` is what the copies alone made of the side's version `recorded` (the one the
 * pass read or its write answered): the time of the last copy, or, where versions are whole
 * seconds and the system moves a ticket's time a second on each change even within one second
 * (the Freshservice simulator), `recorded` moved one second per copy. A change of anyone else's
 * after the copies, or between the pass's read and the copies, makes the version later than both.
 */
function copiesAlone(recorded: string, posted: readonly Comment[], version: string): boolean {
  const times = posted.map((c) => Date.parse(c.createdAt));
  const at = Date.parse(version);
  if (Number.isNaN(at) || times.some(Number.isNaN)) return false;
  if (at === Math.max(...times)) return true;
  let stepped = Date.parse(stampOf(recorded));
  if (Number.isNaN(stepped) || stepped % 1000 !== 0 || at % 1000 !== 0) return false;
  for (const t of times) stepped = Math.max(t, stepped + 1000);
  return at === stepped;
}

/**
 * The echo of comments the pass copied onto `side`. A comment's POST answers with the comment,
 * not with the ticket's new version, so without more the system's delivery for the copy (or the
 * next listing) looks like a change and costs a pass. One read of the ticket after the copies
 * learns the version instead, and it is recorded as held (and expected as the copies' echo,
 * echoes.ts) only when it proves nothing else moved the ticket:
 * - the version is what the copies alone made of it (copiesAlone): a person's comment or edit
 *   landing after the copies in a later tick shows a later version, and then nothing is recorded
 *   (the echo's pass finds it, as before);
 * - every mapped field holds what the commit records for the side (the version's field hash).
 * What it cannot tell apart stays safe. A change in the same tick as the last copy has the same
 * version: the echo is used up by the first delivery, so the second delivery at that version runs
 * a pass. A person's comment between the pass's read and the copies is older than the version
 * recorded, so its delivery is answered as stale; the version recorded is fresh (not `settled`),
 * so the next pass of any kind (the next poll's listing, the reconcile) lists the side's comments
 * and copies it: the same window the echo of a field write has (heldVersion).
 */
async function heldAfterCopies(
  deps: PassDeps,
  rt: ConnectionRuntime,
  side: Side,
  before: Ticket,
  posted: readonly Comment[],
  commit: PassCommit,
): Promise<void> {
  const recorded = commit.versions?.[side];
  if (recorded === undefined) return;
  const connector = rt.sides[side].connector;
  let now: Ticket;
  try {
    now = await connector.getTicket(before.id, before.memo === undefined ? {} : { memo: before.memo });
  } catch (err) {
    // Only an economy: the echo runs a pass, which meets whatever this met.
    rt.logger.debug({ side, ticketId: before.id, err: describeError(err) }, 'read after the comment copies failed');
    return;
  }
  if (now.deleted || !now.inScope || !copiesAlone(recorded, posted, now.version)) return;
  const held = seenVersion(rt.fields, side, now);
  if (held.split('#')[1] !== recorded.split('#')[1]) return;
  // On a system whose versions count milliseconds (Jira), the version recorded is trusted at once,
  // so a person's comment made between the pass's read and the copies, whose delivery never came,
  // would hide behind it: it is recorded `unlisted`, the copies' deliveries still cost no call
  // (their comment is in the map; ownEcho reads the version before the mark), and the next listing
  // of the side lists its comments once (settledByListing). Whole-second versions stay untrusted
  // for SETTLE_MS anyway, which does the same.
  commit.versions = { ...commit.versions, [side]: ownWriteVersion(rt, side, held) };
  deps.echoes?.expect(rt.name, side, now.id, now.version);
}

/** Whether a pass's commit records anything besides the tickets' versions (a no-change pass skips the commit). */
function holdsNews(commit: PassCommit): boolean {
  const parts = [
    commit.baselines,
    commit.events,
    commit.comments,
    commit.attachments,
    commit.openConflicts,
    commit.closedSince === undefined ? undefined : [commit.closedSince],
    commit.closeConflicts,
    commit.intentsDone,
  ];
  return parts.some((x) => Object.keys(x ?? {}).length > 0);
}

/** Which sides' comments a pass lists, and which it leaves to the side's own next signal. */
export interface CommentSides {
  listed: Side[];
  /**
   * Sides the ledger cannot trust yet (a version under SETTLE_MS old) whose comments this pass
   * does not list: the commit must not make them trusted (keepUntrusted).
   */
  deferred: Side[];
}

export interface CommentSidesInput {
  link: Link;
  tickets: Record<Side, Ticket>;
  seen: Record<Side, string>;
  state: LinkState;
  force: boolean;
  /** The side the pass's hint named; what its delivery said moved, and the version it reported. */
  hint?: { side: Side; moved?: Moved | undefined; version?: string | undefined };
  /** Sides whose changes reach the daemon without this pass: by webhook, or by the poll. */
  watched: Record<Side, boolean>;
  /**
   * The poll runs: it lists each side's recently changed tickets again (the overlap window), a
   * version the ledger does not trust yet among them, so a side left unlisted here costs a pass there.
   */
  relisted?: boolean;
  /** The step of each side's versions (ConnectorFacts.versionStepMs). */
  steps: Record<Side, number>;
}

/**
 * The sides whose comments are listed: a side that moved or whose version the ledger cannot trust
 * yet (a comment moves its ticket's version, connector readmes), both on a link's first pass (no
 * version recorded for a side yet) or a forced one, and a side a pending comment copy targets (its
 * copy may exist there already).
 *
 * In a pass for a hint, two of those are left to the side's own next signal when a webhook or the
 * poll watches that side. (1) The other side, unmoved but not yet trusted (under SETTLE_MS old,
 * usually this daemon's own write seconds before): a person's comment hidden behind its unchanged
 * one-second version is a change there, so it brings that side's own delivery, or that side's poll
 * lists the ticket again at that version; either hints a pass for that side, which lists it (the
 * hinted side, not yet trusted), and the echo of the daemon's write is used up once (echoes.ts),
 * so that delivery is not taken for it. This rests on the ledger still calling that version
 * untrusted when that pass runs: keepUntrusted sees to it. (2) The hinted side itself when its
 * delivery said only fields moved (Jira: a changelog without a comment) and it is at exactly the
 * version that delivery reported: nothing moved it after the edit, and a comment made before the
 * edit raises deliveries of its own (`comment_created`, and the `issue_commented` update, never
 * dropped as stale: webhooks.ts), whose pass lists the side's comments even when the ledger holds
 * its version (`moved: 'comments'`, linkPass); since those deliveries can be lost (or taken by a
 * daemon killed before their pass ran), the side is deferred, not skipped: its version stays
 * untrusted, so the poll's next listing lists it once. A side nothing watches keeps the rule above; a
 * delivery that says comments moved always lists its side. (1) holds only where no poll runs: the
 * poll lists a recently changed ticket again at that version within its overlap window whether or
 * not anyone changed it, and that pass reads both sides to list what this pass would have listed
 * with one call.
 */
export function commentSides(input: CommentSidesInput): CommentSides {
  const { link, tickets, seen, state, hint, steps } = input;
  const stored = { a: link.aVersion, b: link.bVersion };
  if (input.force || stored.a === null || stored.b === null) return { listed: [...SIDES], deferred: [] };
  const pending = new Set(state.intents.filter((i) => i.kind === 'comment').map((i) => i.targetSide));
  const sides: CommentSides = { listed: [], deferred: [] };
  for (const s of SIDES) {
    const moved = seen[s] !== stored[s];
    const said = hint?.side === s ? hint.moved : undefined;
    const untrusted = moved || !settled(link.updatedAt, tickets[s].version, steps[s]);
    if (!pending.has(s) && !untrusted && said !== 'comments') continue;
    if (pending.has(s) || said === 'comments' || !input.watched[s]) sides.listed.push(s);
    else if (hint !== undefined && s !== hint.side && !moved && input.relisted !== true) sides.deferred.push(s);
    else if (!(said === 'fields' && Date.parse(hint!.version ?? '') === Date.parse(tickets[s].version)))
      sides.listed.push(s);
    // Left to the comment's own delivery, which may never come (a lost delivery, or a daemon
    // killed after taking it): kept untrusted, so the poll's next listing lists the side once.
    else sides.deferred.push(s);
  }
  return sides;
}

/**
 * The comment sides of a link pass: those the caller named (a link's first pass), else
 * commentSides with the pass's hint and the sides a webhook (the system sends deliveries) or the
 * poll (the engine runs it) watches.
 */
function sidesToList(
  deps: PassDeps,
  rt: ConnectionRuntime,
  options: PassOptions,
  pass: Pick<CommentSidesInput, 'link' | 'tickets' | 'seen' | 'state'>,
): CommentSides {
  if (options.commentsOn) return { listed: [...options.commentsOn], deferred: [] };
  const { side, moved, version } = options;
  const polled = deps.polled?.(rt.name) === true;
  return commentSides({
    ...pass,
    steps: { a: stepOf(rt, 'a'), b: stepOf(rt, 'b') },
    force: options.force === true,
    ...(side === undefined ? {} : { hint: { side, moved, version } }),
    watched: { a: polled || rt.sides.a.webhooks === true, b: polled || rt.sides.b.webhooks === true },
    relisted: polled,
  });
}

/**
 * Margin between the clock read here and the ledger's commit stamp, which decides whether a
 * version is trusted (settled): the commit follows at once.
 */
const COMMIT_MARGIN_MS = 500;

/**
 * The commit, with the version of each side whose comments the pass deferred kept untrusted: a
 * commit stamped more than SETTLE_MS after that version would make the ledger trust it, and the
 * side's own delivery or poll listing (commentSides) would then find it unchanged and list
 * nothing. Such a version is recorded marked (`unlisted`), never equal to one read, so the next
 * pass that reads the side lists its comments.
 */
export function keepUntrusted(
  commit: PassCommit,
  deferred: readonly Side[],
  nowMs: number,
  steps: Record<Side, number>,
): PassCommit {
  for (const side of deferred) {
    const version = commit.versions?.[side];
    if (version === undefined) continue;
    const stampedMs = Date.parse(stampOf(version));
    if (Number.isNaN(stampedMs) || nowMs + COMMIT_MARGIN_MS - stampedMs > settleMs(steps[side]))
      commit.versions = { ...commit.versions, [side]: unlisted(version) };
  }
  return commit;
}

/** The commit as the plan leaves it, before any write; untranslatable values become errors. */
async function startCommit(
  deps: PassDeps,
  rt: ConnectionRuntime,
  link: Link,
  input: LinkInput,
  plan: LinkPlan,
  seen: Record<Side, string>,
): Promise<PassCommit> {
  for (const c of plan.openConflicts) if (!input.conflicts.has(c.field)) deps.observer.conflict?.(rt.name, c.field);
  // Errors this pass finds true stay open when it resolves the link's others.
  const stillTrue: string[] = [];
  for (const e of plan.errors) {
    const ticketId = e.side === 'a' ? link.aId : link.bId;
    const recorded = await deps.ledger.recordError({
      connection: rt.name,
      linkId: link.id,
      side: e.side,
      ticketId,
      code: 'unmapped_value',
      message: e.message,
      retryable: false,
    });
    stillTrue.push(recorded.id);
  }
  return {
    connection: rt.name,
    linkId: link.id,
    resolveErrorsFor: { linkId: link.id, keep: stillTrue },
    versions: seen,
    keys: keysOf(input.tickets, link),
    memos: memosOf(input.tickets, link),
    baselines: { ...plan.baselines },
    events: [...plan.events],
    openConflicts: [...plan.openConflicts],
    closeConflicts: [...plan.closeConflicts],
    comments: [],
    intentsDone: [...plan.intentsSettled],
  };
}

/** Step 4: the minimal set of changes per side; baselines from what each side holds afterwards. */
async function applyPlan(
  deps: PassDeps,
  rt: ConnectionRuntime,
  input: LinkInput,
  plan: LinkPlan,
  commit: PassCommit,
  reads: Reads,
): Promise<{ failures: unknown[]; raced: boolean }> {
  const failures: unknown[] = [];
  let raced = false;
  for (const to of SIDES) {
    if (plan.writes[to].length === 0) continue;
    const id = input.tickets[to].id;
    try {
      const applied = await applyWrites(deps, rt, input, plan, to, commit, reads);
      raced ||= applied.raced;
      if (applied.transient !== undefined) failures.push(tagSubject(applied.transient, to, id));
      failures.push(...applied.failed.map((err) => tagSubject(err, to, id)));
    } catch (err) {
      failures.push(tagSubject(err, to, id));
    }
  }
  return { failures, raced };
}

/**
 * The planner's answer for a link whose tickets were just read, with the link's open conflicts
 * and pending intents from the ledger. Where a newest-wins call was made on ticket times, the
 * systems' per-field history is read and the plan made again on when each field itself changed.
 */
/**
 * The hinted side's listed copy when it can stand for a read: its connector lists complete
 * tickets, and the poll that listed it started after the ledger last recorded this link (so no
 * write of this daemon is newer than the copy).
 */
function listedCopy(rt: ConnectionRuntime, link: Link, options: PassOptions): Ticket | undefined {
  const { ticket, side } = options;
  if (!ticket || !side || options.force || ticket.listedAtMs === undefined) return undefined;
  if (!rt.sides[side].connector.facts.listingCopyComplete) return undefined;
  return Date.parse(link.updatedAt) < ticket.listedAtMs ? ticket : undefined;
}

/** What the ledger holds for a link besides its snapshot: pending update intents, open conflicts. */
export interface LinkState {
  intents: Intent[];
  conflicts: Map<string, Conflict>;
  /** The function last recorded for the link (connections with `functions:` only). */
  functionName: string | null;
  /** Escalation policies that already triggered for the link. */
  triggered: Set<string>;
  /** SLA clocks of the link still running (no reply, resolution or breach yet). */
  slaRunning: SlaClock[];
}

export async function linkState(ledger: Ledger, linkId: string, rt?: ConnectionRuntime): Promise<LinkState> {
  const intents = await ledger.pendingIntentsForLink(linkId);
  const conflicts = new Map((await ledger.listConflicts({ linkId, state: 'open' })).map((c) => [c.field, c]));
  let functionName: string | null = null;
  if (rt && rt.config.functions.length > 0) {
    const last = await ledger.listEvents({ linkId, kind: 'function_changed', limit: 1 });
    const value = last.items[0]?.newValue;
    functionName = typeof value === 'string' ? value : null;
  }
  const triggered = new Set<string>();
  let slaRunning: SlaClock[] = [];
  if (rt && rt.config.escalations.length > 0) {
    const events = await ledger.listEvents({ linkId, kind: 'escalation', limit: 1000 });
    for (const e of events.items) if (typeof e.newValue === 'string') triggered.add(e.newValue);
    if (rt.config.escalations.some((p) => p.sla !== undefined) && events.items.length > 0) {
      const stops = await Promise.all(
        (['sla_met', 'sla_breached'] as const).map((kind) => ledger.listEvents({ linkId, kind, limit: 1000 })),
      );
      const all = [...events.items, ...stops.flatMap((p) => p.items)];
      slaRunning = slaClocks(all).filter((c) => c.state === 'running');
    }
  }
  return { intents, conflicts, functionName, triggered, slaRunning };
}

/** The field rules in force for the link's tickets (by their function) and the change to record. */
function ownership(
  rt: ConnectionRuntime,
  linkId: string,
  tickets: Record<Side, Ticket>,
  previousName: string | null,
): { rules: readonly FieldRule[]; functionEvent: NewEvent | null } {
  const functions = rt.config.functions;
  if (functions.length === 0) return { rules: rt.fields, functionEvent: null };
  const current = functionOf(functions, tickets);
  const previous = functions.find((f) => f.name === previousName) ?? null;
  const names = sideNames(rt);
  const context = { connection: rt.name, linkId, rules: rt.fields, names };
  return {
    rules: rulesFor(rt.fields, current),
    functionEvent: functionChangeEvent(context, previous, previousName, current),
  };
}

export async function planPass(
  ledger: Ledger,
  rt: ConnectionRuntime,
  snap: LinkSnapshot,
  tickets: Record<Side, Ticket>,
  options: { state?: LinkState; resolve?: PassOptions['resolve'] | undefined; nowMs?: number } = {},
): Promise<{ input: LinkInput; plan: LinkPlan }> {
  const link = snap.link;
  const state = options.state ?? (await linkState(ledger, link.id, rt));
  const { rules, functionEvent } = ownership(rt, link.id, tickets, state.functionName);
  const input: LinkInput = {
    connection: rt.name,
    linkId: link.id,
    labels: { a: rt.sides.a.label, b: rt.sides.b.label },
    rules,
    ...(functionEvent ? { functionEvent } : {}),
    escalations: planEscalations(
      {
        connection: rt.name,
        linkId: link.id,
        policies: rt.config.escalations,
        calendars: rt.calendars,
        labels: { a: rt.sides.a.label, b: rt.sides.b.label },
        triggered: state.triggered,
        nowMs: options.nowMs ?? Date.now(),
      },
      tickets,
    ),
    baselines: snap.baselines,
    tickets,
    intents: state.intents,
    updateSteps: {
      a: rt.sides.a.connector.facts.updateSteps ?? [],
      b: rt.sides.b.connector.facts.updateSteps ?? [],
    },
    conflicts: state.conflicts,
    ...(options.resolve ? { resolve: options.resolve } : {}),
  };
  const plan = planLink(input);
  if (!plan.wantsFieldTimes) return { input, plan };
  const newest = rt.fields.filter((r) => r.conflict === 'newest');
  const linkedAt = Object.keys(snap.baselines).length === 0 ? await adoptedVersions(ledger, link.id) : null;
  const read = async (side: Side): Promise<Record<string, string>> => {
    const connector = rt.sides[side].connector;
    const id = side === 'a' ? link.aId : link.bId;
    const natives = newest.map((r) => r.native[side]);
    if (connector.fieldChangeTimes) return connector.fieldChangeTimes(id, natives);
    // A pair a person linked: stamping the markers moved both tickets' times, so without a
    // field history each side's time is its ticket's as it was before the link.
    const before = linkedAt?.[side];
    return before ? Object.fromEntries(natives.map((n) => [n, before])) : {};
  };
  const [a, b] = await Promise.all([read('a'), read('b')]);
  input.fieldTimes = { a, b };
  return { input, plan: planLink(input) };
}

/**
 * Each ticket's version as it was before a person linked the pair (`ticketbridge link`), from the
 * link's `link_created` event; null for a link the daemon created.
 */
async function adoptedVersions(ledger: Ledger, linkId: string): Promise<Record<Side, string> | null> {
  const created = (await ledger.listEvents({ linkId, kind: 'link_created', limit: 1 })).items[0];
  const data = created?.data;
  if (data === null || data === undefined || typeof data !== 'object' || Array.isArray(data)) return null;
  const versions = data.versions;
  if (versions === null || typeof versions !== 'object' || Array.isArray(versions)) return null;
  const { a, b } = versions;
  return typeof a === 'string' && typeof b === 'string' ? { a, b } : null;
}

/** What the link keeps for a side's connector, handed back on reads and writes. */
export function contextOf(link: Link, side: Side): TicketContext {
  const memo = side === 'a' ? link.aMemo : link.bMemo;
  return memo === null ? {} : { memo };
}

/** Both tickets as the pass read them, and when: null for a side whose ticket is gone. */
export interface Reads {
  tickets: Record<Side, Ticket | null>;
  readAtMs: Record<Side, number>;
  /** The side read last, right before planning; null when both were read at once. */
  last: Side | null;
  /** A side's copy came from a listing rather than a read. */
  listed?: boolean;
}

/**
 * Reads both tickets as they are now. With a hinted side (the one that changed), it is read
 * first and the other side last, right before planning: the side a pass usually writes to is
 * read as late as possible. Without one, both at once.
 */
export async function readBoth(
  rt: ConnectionRuntime,
  link: Link,
  clock: Clock,
  first?: Side,
  listed?: Ticket,
  known?: Partial<Record<Side, Ticket>>,
): Promise<Reads> {
  const readAtMs = { a: 0, b: 0 };
  const read = async (side: Side): Promise<Ticket | null> => {
    const held = known?.[side];
    if (held) return held; // readAtMs stays 0: a write there reads it again first (FRESH_MS)
    readAtMs[side] = clock.now();
    try {
      return await rt.sides[side].connector.getTicket(side === 'a' ? link.aId : link.bId, contextOf(link, side));
    } catch (err) {
      if (err instanceof NotFoundError) return null;
      throw tagSubject(err, side, side === 'a' ? link.aId : link.bId);
    }
  };
  if (first === undefined) {
    const [a, b] = await Promise.all([read('a'), read('b')]);
    return { tickets: { a, b }, readAtMs, last: null };
  }
  if (listed) readAtMs[first] = listed.listedAtMs ?? 0;
  const firstTicket = listed ?? (await read(first));
  const last = otherSide(first);
  const lastTicket = await read(last);
  const tickets = first === 'a' ? { a: firstTicket, b: lastTicket } : { a: lastTicket, b: firstTicket };
  return { tickets, readAtMs, last, ...(listed ? { listed: true } : {}) };
}

interface Applied {
  raced: boolean;
  transient?: unknown;
  failed: unknown[];
}

/**
 * Writes one side's planned changes: intents first (so a crash before the commit is
 * recoverable), then one call, then each field alone if the system refuses the batch for good.
 */
async function applyWrites(
  deps: PassDeps,
  rt: ConnectionRuntime,
  input: LinkInput,
  plan: LinkPlan,
  to: Side,
  commit: PassCommit,
  reads: Reads,
): Promise<Applied> {
  const connector = rt.sides[to].connector;
  const id = input.tickets[to].id;
  // None of the systems offers conditional updates, so the side written must have been read
  // moments ago: read last, right before planning. A side read first (a revert of the edit that
  // was hinted) or a read that has aged (the pass waited on a busy system) is read again, so a
  // field a person changed meanwhile is left for the next pass, never overwritten.
  const stale = deps.clock.now() - reads.readAtMs[to] > FRESH_MS || (reads.last !== null && reads.last !== to);
  const fresh = stale
    ? await connector.getTicket(id, {
        ...(input.tickets[to].memo === undefined ? {} : { memo: input.tickets[to].memo }),
      })
    : input.tickets[to];
  const writes = plan.writes[to].filter((w) => sameValue(input, w, valueOf(fresh, w.native)));
  const raced = writes.length < plan.writes[to].length;
  if (writes.length === 0) return { raced, failed: [] };

  const intents = await addUpdateIntents(deps.ledger, rt, input.linkId, to, writes);
  const outcome = await writeSide(connector, fresh, writes);
  if (outcome.transient !== undefined) return { raced, transient: outcome.transient, failed: [] }; // intents stay for the next pass
  for (const w of writes) {
    const done = outcome.written.some((x) => x.write === w) || outcome.refused.some((x) => x.write === w);
    const intentId = intents.get(w);
    if (done && intentId !== undefined) commit.intentsDone!.push(intentId);
  }
  const settlement = settleWrites(input, {
    written: outcome.written,
    refused: outcome.refused.map((r) => ({ write: r.write, reason: describeError(r.err) })),
  });
  Object.assign(commit.baselines!, settlement.baselines);
  const nowMs = deps.clock.now();
  stampLatency(input, settlement.events, outcome.written, nowMs);
  const held = outcome.written.at(-1)?.held;
  const version = raced || outcome.refused.length > 0 ? undefined : heldVersion(rt, to, fresh, held, writes);
  if (version !== undefined) {
    // Where versions count milliseconds (Jira) the ledger trusts one at once, so a person's comment
    // made between the read and the write, whose delivery never came, would hide behind the
    // version the write answered: recorded `unlisted`, the next listing lists the comments once
    // (settledByListing); the write's echo still costs nothing (ownEcho reads the version).
    commit.versions = { ...commit.versions, [to]: ownWriteVersion(rt, to, version) };
    deps.echoes?.expect(rt.name, to, id, held!.version);
  }
  if (held?.memo !== undefined && canonical(held.memo) !== canonical(input.tickets[to].memo ?? null)) {
    commit.memos = { ...commit.memos, [to]: held.memo };
  }
  commit.events!.push(...settlement.events);
  commit.openConflicts!.push(...settlement.openConflicts);
  if (outcome.written.length > 0) {
    rt.logger.info(
      { linkId: input.linkId, side: to, ticketId: id, fields: outcome.written.map((w) => w.write.field) },
      'fields written',
    );
  }
  for (const { write } of outcome.written) {
    deps.observer.write?.(rt.name, to, write.field);
    if (write.why === 'revert') deps.observer.revert?.(rt.name, write.field);
    else deps.observer.mirrorLag?.(rt.name, Math.max(0, nowMs - changedAt(input, write)));
  }
  for (const c of settlement.openConflicts) deps.observer.conflict?.(rt.name, c.field);
  const failed = outcome.refused.filter((r) => settlement.failed.includes(r.write)).map((r) => r.err);
  return { raced, failed };
}

/** One update intent per write, before the write is sent: a crash before the commit leaves it to recovery. */
async function addUpdateIntents(
  ledger: Ledger,
  rt: ConnectionRuntime,
  linkId: string,
  to: Side,
  writes: readonly PlannedWrite[],
): Promise<Map<PlannedWrite, string>> {
  const intents = new Map<PlannedWrite, string>();
  for (const w of writes) {
    const payload: UpdatePayload = { field: w.field, from: w.from, value: w.value, source: w.source, before: w.before };
    const intent = await ledger.addIntent({
      connection: rt.name,
      kind: 'update',
      targetSide: to,
      sourceId: `${linkId}:${w.field}:${randomUUID()}`,
      linkId,
      marker: `tb:${rt.name}:${linkId}`,
      payload: payload as unknown as JsonValue,
    });
    if (intent) intents.set(w, intent.id);
  }
  return intents;
}

/** Each mirrored field's time from the source's change to now, kept on its event for the KPI report. */
function stampLatency(input: LinkInput, events: NewEvent[], written: SideWriteOutcome['written'], nowMs: number): void {
  for (const e of events) {
    const write = e.kind === 'field_mirrored' ? written.find((w) => w.write.field === e.field) : undefined;
    if (write) e.data = { latencyMs: Math.max(0, nowMs - changedAt(input, write.write)) };
  }
}

/**
 * The written side's version as its write's answer shows it, when every other mapped field there
 * holds what the pass read: the ledger then knows the ticket as written, and the echo of the
 * write (its webhook, the next listing) costs no pass. Undefined when anything else moved.
 */
function heldVersion(
  rt: ConnectionRuntime,
  to: Side,
  read: Ticket,
  held: Ticket | undefined,
  writes: PlannedWrite[],
): string | undefined {
  if (!held) return undefined;
  const written = new Set(writes.map((w) => w.native));
  const others = rt.fields.map((r) => r.native[to]).filter((native) => !written.has(native));
  const same = others.every((n) => canonical(held.fields[n] ?? null) === canonical(read.fields[n] ?? null));
  return same ? seenVersion(rt.fields, to, held) : undefined;
}

function sameValue(input: LinkInput, write: PlannedWrite, now: JsonValue): boolean {
  const rule = input.rules.find((r) => r.name === write.field)!;
  return rule.same(now, write.before);
}

/** When the source side changed the written field (its per-field time where known, else the ticket's). */
function changedAt(input: LinkInput, write: PlannedWrite): number {
  const ticket = input.tickets[write.from];
  const native = input.rules.find((r) => r.name === write.field)!.native[write.from];
  const ms = Date.parse(ticket.fieldChangedAt?.[native] ?? ticket.version);
  return Number.isNaN(ms) ? 0 : ms;
}

interface SideWriteOutcome {
  written: Array<{ write: PlannedWrite; held: Ticket }>;
  refused: Array<{ write: PlannedWrite; err: unknown }>;
  /** A transient failure: nothing more was tried; the next pass tries again. */
  transient?: unknown;
}

/** Writes one side's changes in one call; a batch refused for good is retried field by field. */
async function writeSide(connector: Connector, expected: Ticket, writes: PlannedWrite[]): Promise<SideWriteOutcome> {
  const id = expected.id;
  const changesOf = (list: PlannedWrite[]): FieldValues => Object.fromEntries(list.map((w) => [w.native, w.value]));
  try {
    const held = await connector.updateTicket(id, changesOf(writes), { expected });
    return { written: writes.map((write) => ({ write, held })), refused: [] };
  } catch (err) {
    if (classify(err).retry) return { written: [], refused: [], transient: err };
    if (writes.length === 1) return { written: [], refused: [{ write: writes[0]!, err }] };
  }
  const outcome: SideWriteOutcome = { written: [], refused: [] };
  let current = expected;
  for (const write of writes) {
    try {
      current = await connector.updateTicket(id, changesOf([write]), { expected: current });
      outcome.written.push({ write, held: current });
    } catch (err) {
      if (classify(err).retry) return { ...outcome, transient: err };
      outcome.refused.push({ write, err });
    }
  }
  return outcome;
}

/**
 * Copies every comment not yet in the link's comment map once, through intents: each side's
 * comments as listed, and the copies this pass posted onto each side.
 */
async function syncComments(
  deps: PassDeps,
  rt: ConnectionRuntime,
  snap: LinkSnapshot,
  tickets: Record<Side, Ticket>,
  commit: PassCommit,
  sides: readonly Side[],
): Promise<{ lists: Record<Side, Comment[]>; posted: Record<Side, Comment[]> }> {
  const context = { connection: rt.name, linkId: snap.link.id, labels: { a: rt.sides.a.label, b: rt.sides.b.label } };
  const listOf = async (side: Side): Promise<Comment[]> =>
    sides.includes(side)
      ? rt.sides[side].connector
          .listComments(tickets[side].id, {
            version: tickets[side].version,
            ...(tickets[side].memo === undefined ? {} : { memo: tickets[side].memo }),
          })
          .catch((err: unknown) => {
            throw tagSubject(err, side, tickets[side].id);
          })
      : [];
  const [a, b] = await Promise.all([listOf('a'), listOf('b')]);
  const lists = { a, b };
  const plan = planComments({ ...context, rules: rt.config.comments, known: snap.comments, lists });
  commit.comments!.push(...plan.records);
  commit.events!.push(...plan.events);
  const posted: Record<Side, Comment[]> = { a: [], b: [] };
  for (const copy of plan.copies) {
    let intent = await deps.ledger.findIntent(rt.name, 'comment', copy.to, copy.sourceKey);
    let twin = copy.existing;
    if (!twin) {
      intent ??= await deps.ledger.addIntent({
        connection: rt.name,
        kind: 'comment',
        targetSide: copy.to,
        sourceId: copy.sourceKey,
        linkId: snap.link.id,
        marker: copy.marker,
      });
      if (!intent) continue;
      const { comment } = copy;
      twin = await rt.sides[copy.to].connector
        .addComment(tickets[copy.to].id, {
          body: comment.body,
          visibility: copy.becomes,
          origin: rt.sides[copy.from].label,
          marker: copy.marker,
          ...(comment.author === undefined ? {} : { author: comment.author }),
        })
        .catch((err: unknown) => {
          throw tagSubject(err, copy.to, tickets[copy.to].id);
        });
      deps.observer.comment?.(rt.name, copy.to);
      posted[copy.to].push(twin);
    }
    const done = copied(context, copy, twin);
    commit.comments!.push(...done.records);
    commit.events!.push(...done.events);
    if (intent) commit.intentsDone!.push(intent.id);
  }
  return { lists, posted };
}

/** Turns a failed pass into a visible error record; returns the code. */
export async function recordPassError(
  deps: PassDeps,
  rt: ConnectionRuntime,
  subject: { linkId: string | null; side: Side | null; ticketId: string | null },
  err: unknown,
): Promise<string> {
  const code = errorCode(err);
  const retryable = classify(err).retry;
  // A link pass's error names the side and ticket it came from, so a person knows where to look.
  const tagged = subject.side === null ? subjectOf(err) : undefined;
  const where = tagged ? `${tagged.side} (${rt.sides[tagged.side].label}) ticket ${tagged.ticketId}: ` : '';
  const named = tagged ? { ...subject, ...tagged } : subject;
  const message = `${where}${describeError(err)}`;
  deps.observer.error?.(rt.name, code);
  rt.logger.warn({ ...named, code, err: describeError(err) }, 'sync pass failed');
  try {
    // A ticket's error carries its link when it has one, so the link's next clean pass resolves it.
    if (named.linkId === null && named.side !== null && named.ticketId !== null)
      named.linkId = (await deps.ledger.findLink(rt.name, named.side, named.ticketId))?.id ?? null;
    await deps.ledger.recordError({ connection: rt.name, ...named, code, message, retryable });
  } catch (ledgerErr) {
    // The ledger itself is failing (its watch logs that with counts): the pass error is in the log above.
    rt.logger.error({ ...named, code, err: describeError(ledgerErr) }, 'sync pass failed and could not be recorded');
  }
  return code;
}
