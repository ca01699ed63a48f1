// One pass of the sync rule for one link (or one not-yet-linked ticket): read both sides,
// decide per field, write the minimal changes, copy new comments, then record baselines,
// versions, events and conflicts in one ledger commit. Callers serialise passes per link.
import { createHash, randomUUID } from 'node:crypto';
import { decideField, type FieldDecision } from './decide.js';
import { classify, describeError, errorCode, NotFoundError, RemoteUnavailableError, SyncError } from './errors.js';
import type { Baseline, Link, LinkSnapshot, NewEvent, PassCommit } from './ledger/types.js';
import type { Ledger } from './ledger/types.js';
import { commentMarker, ticketMarker } from './marker.js';
import { routeCreate } from './routing.js';
import { createSettings, direction, type ConnectionRuntime } from './runtime.js';
import type { Clock, Comment, FieldValues, JsonValue, Side, Ticket } from './types.js';
import { otherSide } from './types.js';
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
}

export interface PassOptions {
  /** A ticket the caller has just read (poll or webhook) so it need not be read again. */
  ticket?: Ticket;
  side?: Side;
  /** Ignore the version fast path and re-read comments (resync, reconcile after a fault). */
  force?: boolean;
  /** The link has open errors: commit even a no-change pass so they are resolved. */
  hadErrors?: boolean;
  /** Resolve this manual conflict by taking this side's value. */
  resolve?: { conflictId: string; take: Side };
}

export type PassOutcome = 'noop' | 'changed' | 'created' | 'skipped';

const SIDES: readonly Side[] = ['a', 'b'];

/**
 * How long after a version's timestamp the ledger must have seen it before version equality is
 * trusted to mean "nothing new". Systems with one-second timestamps (Freshservice, ConnectWise)
 * can change a ticket again within the same second without moving its version.
 */
export const SETTLE_MS = 3000;

/**
 * What the ledger remembers of a side: its version plus a hash of the mapped fields, so an edit
 * that does not move a coarse timestamp is still seen.
 */
export function seenVersion(rt: ConnectionRuntime, side: Side, ticket: Ticket): string {
  const hash = createHash('sha1');
  for (const rule of rt.fields) hash.update(canonical(ticket.fields[rule.native[side]] ?? null)).update('\u0000');
  return `${ticket.version}#${hash.digest('base64url').slice(0, 12)}`;
}

function settled(linkUpdatedAt: string, version: string): boolean {
  return Date.parse(linkUpdatedAt) - Date.parse(version) > SETTLE_MS;
}

function timeOf(ticket: Ticket, native: string, history?: Record<string, string>): number {
  const at = history?.[native] ?? ticket.fieldChangedAt?.[native] ?? ticket.version;
  const ms = Date.parse(at);
  return Number.isNaN(ms) ? 0 : ms;
}

/** Each side's human-facing key where its system has one and the link does not hold it yet. */
function keysOf(tickets: Record<Side, Ticket>, link?: Link): { a?: string; b?: string } {
  const changed = (side: Side): string | undefined => {
    const key = tickets[side].key;
    return key && key !== (side === 'a' ? link?.aKey : link?.bKey) ? key : undefined;
  };
  const a = changed('a');
  const b = changed('b');
  return { ...(a ? { a } : {}), ...(b ? { b } : {}) };
}

function valueOf(ticket: Ticket, native: string): JsonValue {
  return ticket.fields[native] ?? null;
}

/** Creates the twin of a ticket that has no link yet (through an intent and its marker). */
export interface CreateResult {
  outcome: PassOutcome;
  linkId: string | null;
}

const SKIPPED: CreateResult = { outcome: 'skipped', linkId: null };

export async function createPass(
  deps: PassDeps,
  rt: ConnectionRuntime,
  from: Side,
  ticket: Ticket,
): Promise<CreateResult> {
  if (ticket.deleted || !ticket.inScope) return SKIPPED;
  // A ticket carrying this connection's marker is a twin the daemon created: never a source.
  if (ticket.marker?.startsWith(`tb:${rt.name}:`)) return SKIPPED;
  const settings = createSettings(rt.config, from);
  if (!settings.enabled) return SKIPPED;
  const to = otherSide(from);
  const target = rt.sides[to].connector;

  // What the twin is created with, and the source values it came from: the intent keeps both so
  // a create recovered after a crash gets the baselines of the moment it was sent.
  const events: NewEvent[] = [];
  const fields: FieldValues = { ...settings.defaults };
  const source: FieldValues = {};
  for (const rule of rt.fields) {
    const value = ticket.fields[rule.native[from]];
    if (value === undefined) continue;
    const t = rule.translate(from, value);
    if (t.ok) {
      fields[rule.native[to]] = t.value;
      source[rule.native[from]] = value;
    } else
      events.push({
        connection: rt.name,
        linkId: null,
        side: from,
        field: rule.name,
        kind: 'error',
        oldValue: null,
        newValue: value,
        reason: t.reason,
      });
  }
  Object.assign(fields, routeCreate(rt.config, from, ticket.fields, deps.clock.now()));

  let intent = await deps.ledger.findIntent(rt.name, 'create', to, ticket.id);
  let twin: Ticket | null = null;
  let sent: { fields: FieldValues; source: FieldValues } = { fields, source };
  if (intent) {
    // A previous attempt may have created the twin before the daemon stopped.
    // Margin for clock skew between this host and the target system.
    twin = await target.findByMarker(intent.marker, {
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
    const payload = intent.payload as { fields?: FieldValues; source?: FieldValues } | null;
    if (twin && payload?.fields && payload.source) sent = { fields: payload.fields, source: payload.source };
  } else {
    intent = await deps.ledger.addIntent({
      connection: rt.name,
      kind: 'create',
      targetSide: to,
      sourceId: ticket.id,
      linkId: null,
      marker: ticketMarker(rt.name, `${from}${ticket.id}`),
      payload: { fields, source },
    });
    if (!intent) return SKIPPED; // another worker or instance owns this create
  }

  const recovered = twin !== null;
  if (!twin) {
    try {
      twin = await target.createTicket(fields, intent.marker);
    } catch (err) {
      // A rejected create never happened remotely: drop the intent so a fixed config can retry.
      if (err instanceof SyncError && !classify(err).retry) await deps.ledger.dropIntent(intent.id);
      throw err;
    }
    deps.observer.mirrorLag?.(rt.name, Math.max(0, deps.clock.now() - Date.parse(ticket.version)));
  }

  const tickets: Record<Side, Ticket> = from === 'a' ? { a: ticket, b: twin } : { a: twin, b: ticket };
  const baselines: Record<string, Baseline> = {};
  for (const rule of rt.fields) {
    const current = { a: valueOf(tickets.a, rule.native.a), b: valueOf(tickets.b, rule.native.b) };
    const wrote = sent.fields[rule.native[to]];
    const from0 = sent.source[rule.native[from]];
    if (wrote !== undefined && from0 !== undefined) {
      // The sides agreed when the twin was created: the source as read, the twin as it holds the
      // value (just created) or as it was sent (recovered: later edits there are real edits).
      const twinValue = recovered ? wrote : current[to];
      baselines[rule.name] = from === 'a' ? { a: from0, b: twinValue } : { a: twinValue, b: from0 };
    } else if (rule.equivalent('a', current.a, current.b)) {
      baselines[rule.name] = current;
    }
    // Other fields get no baseline; the next pass settles them by owner.
  }
  events.push({
    connection: rt.name,
    linkId: null,
    side: to,
    field: null,
    kind: 'link_created',
    oldValue: null,
    newValue: { a: tickets.a.id, b: tickets.b.id },
    reason: `ticket ${ticket.id} created on ${from} (${rt.sides[from].label}); twin ${twin.id} created on ${to} (${rt.sides[to].label})`,
  });
  const linkId = await deps.ledger.commit({
    connection: rt.name,
    newLink: { aId: tickets.a.id, bId: tickets.b.id },
    // After a recovery the source may have moved since the twin was sent: let the next pass look.
    versions: recovered ? {} : { [from]: seenVersion(rt, from, ticket) },
    keys: keysOf(tickets),
    baselines,
    events,
    intentsDone: [intent.id],
    resolveErrorsFor: { side: from, ticketId: ticket.id },
  });
  deps.observer.write?.(rt.name, to, '*create');
  // The caller runs a first link pass (under the link's own claim) to copy existing comments.
  return { outcome: 'created', linkId };
}

interface SideRead {
  ticket: Ticket | null;
  missing: boolean;
}

async function readSide(rt: ConnectionRuntime, side: Side, id: string): Promise<SideRead> {
  // Always the ticket as it is now: a listed copy may be older than a write this daemon made
  // since (a pass waits for its slot), and an old copy would look like an edit to mirror back.
  try {
    return { ticket: await rt.sides[side].connector.getTicket(id), missing: false };
  } catch (err) {
    if (err instanceof NotFoundError) return { ticket: null, missing: true };
    throw err;
  }
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
  const what =
    why === 'deleted'
      ? `deleted on ${side} (${rt.sides[side].label})`
      : `moved out of scope on ${side} (${rt.sides[side].label})`;
  const commit: PassCommit = { connection: rt.name, linkId: link.id, events: [] };
  if (rule === 'close') {
    await rt.sides[other].connector.closeTicket(other === 'a' ? link.aId : link.bId);
    commit.linkState = { state: 'closed', note: `${what}; twin closed` };
    // Errors a pass hit while the ticket was going away (e.g. 404 on its notes) are settled now.
    commit.resolveErrorsFor = { linkId: link.id };
    commit.events!.push({
      connection: rt.name,
      linkId: link.id,
      side: other,
      field: null,
      kind: 'ticket_closed',
      oldValue: null,
      newValue: null,
      reason: `ticket ${what}; its twin was closed (lifecycle: close)`,
    });
  } else if (rule === 'unlink') {
    commit.linkState = { state: 'unlinked', note: what };
    commit.resolveErrorsFor = { linkId: link.id };
    commit.events!.push({
      connection: rt.name,
      linkId: link.id,
      side,
      field: null,
      kind: 'link_unlinked',
      oldValue: null,
      newValue: null,
      reason: `ticket ${what}; link ended (lifecycle: unlink)`,
    });
  } else {
    commit.linkState = { state: 'flagged', note: what };
    commit.events!.push({
      connection: rt.name,
      linkId: link.id,
      side,
      field: null,
      kind: 'link_flagged',
      oldValue: null,
      newValue: null,
      reason: `ticket ${what}; link flagged for a person (lifecycle: flag)`,
    });
    await deps.ledger.recordError({
      connection: rt.name,
      linkId: link.id,
      side,
      ticketId: side === 'a' ? link.aId : link.bId,
      code: why === 'deleted' ? 'not_found' : 'unscoped',
      message: `ticket ${what}; the link is flagged and no longer syncs`,
      retryable: false,
    });
  }
  await deps.ledger.commit(commit);
  return 'changed';
}

function describeWrite(rt: ConnectionRuntime, rule: FieldRule, d: Extract<FieldDecision, { kind: 'write' }>): string {
  const from = `${d.from} (${rt.sides[d.from].label})`;
  switch (d.why) {
    case 'mirror':
      return `${from} changed ${rule.name}; mirrored to ${d.to}`;
    case 'revert':
      return `${d.to} (${rt.sides[d.to].label}) edited ${rule.name}, which ${d.from} owns; the owner's value was restored`;
    case 'conflict-newest':
      return `both sides changed ${rule.name}; ${from} changed it last (conflict: newest)`;
    case 'conflict-prefer':
      return `both sides changed ${rule.name}; ${from} is preferred (conflict: prefer-${d.from})`;
    case 'resolved':
      return `${from}'s ${rule.name} written to ${d.to} to carry out the conflict resolution`;
  }
}

/** The payload of an `update` intent. */
interface UpdatePayload {
  field: string;
  from: Side;
  /** The value written, in the target's vocabulary. */
  value: JsonValue;
  /** The source side's value it was translated from. */
  source: JsonValue;
  /** What the target held before the write. */
  before?: JsonValue;
}

interface PendingWrite {
  rule: FieldRule;
  decision: Extract<FieldDecision, { kind: 'write' }>;
}

interface SideWriteOutcome {
  written: Array<PendingWrite & { held: Ticket }>;
  /** Writes the system refused for good (validation, missing transition). */
  refused: Array<PendingWrite & { err: unknown }>;
  /** A transient failure: nothing more was tried; the next pass tries again. */
  transient?: unknown;
}

/**
 * Writes one side's changes in one call. When the system refuses the batch for good, each field
 * is tried alone so one refused value does not hold back the others.
 */
async function writeSide(
  rt: ConnectionRuntime,
  to: Side,
  id: string,
  writes: PendingWrite[],
): Promise<SideWriteOutcome> {
  const connector = rt.sides[to].connector;
  const changesOf = (list: PendingWrite[]): FieldValues =>
    Object.fromEntries(list.map((w) => [w.rule.native[to], w.decision.value]));
  try {
    const held = await connector.updateTicket(id, changesOf(writes));
    return { written: writes.map((w) => ({ ...w, held })), refused: [] };
  } catch (err) {
    if (classify(err).retry) return { written: [], refused: [], transient: err };
    if (writes.length === 1) return { written: [], refused: [{ ...writes[0]!, err }] };
  }
  const outcome: SideWriteOutcome = { written: [], refused: [] };
  for (const w of writes) {
    try {
      outcome.written.push({ ...w, held: await connector.updateTicket(id, changesOf([w])) });
    } catch (err) {
      if (classify(err).retry) return { ...outcome, transient: err };
      outcome.refused.push({ ...w, err });
    }
  }
  return outcome;
}

/** One pass of the sync rule over an existing link. */
export async function linkPass(
  deps: PassDeps,
  rt: ConnectionRuntime,
  snap: LinkSnapshot,
  options: PassOptions = {},
): Promise<PassOutcome> {
  const link = snap.link;
  if (link.state !== 'active') return 'skipped';
  const ids: Record<Side, string> = { a: link.aId, b: link.bId };
  const stored: Record<Side, string | null> = { a: link.aVersion, b: link.bVersion };

  // Fast path: the hinted side has not moved since the ledger last agreed with it.
  const hinted = options.ticket && options.side ? { side: options.side, ticket: options.ticket } : null;
  if (
    !options.force &&
    !options.resolve &&
    hinted &&
    seenVersion(rt, hinted.side, hinted.ticket) === stored[hinted.side] &&
    settled(link.updatedAt, hinted.ticket.version) &&
    hinted.ticket.inScope &&
    !hinted.ticket.deleted
  ) {
    return 'noop';
  }

  const reads: Record<Side, SideRead> = { a: await readSide(rt, 'a', ids.a), b: await readSide(rt, 'b', ids.b) };
  for (const side of SIDES) {
    const r = reads[side];
    if (r.missing || r.ticket?.deleted) return leaveLink(deps, rt, snap, side, 'deleted');
  }
  const tickets = { a: reads.a.ticket!, b: reads.b.ticket! };
  for (const side of SIDES) if (!tickets[side].inScope) return leaveLink(deps, rt, snap, side, 'unscoped');

  const seen = { a: seenVersion(rt, 'a', tickets.a), b: seenVersion(rt, 'b', tickets.b) };
  const unchanged =
    seen.a === stored.a &&
    seen.b === stored.b &&
    settled(link.updatedAt, tickets.a.version) &&
    settled(link.updatedAt, tickets.b.version);
  if (unchanged && !options.force && !options.resolve) return 'noop';

  const openConflicts = new Map(
    (await deps.ledger.listConflicts({ linkId: link.id, state: 'open' })).map((c) => [c.field, c]),
  );
  const commit: PassCommit = {
    connection: rt.name,
    linkId: link.id,
    versions: { a: seen.a, b: seen.b },
    keys: keysOf(tickets, link),
    baselines: {},
    events: [],
    openConflicts: [],
    closeConflicts: [],
    comments: [],
    intentsDone: [],
  };
  const changes: Record<Side, FieldValues> = { a: {}, b: {} };
  const pending: PendingWrite[] = [];

  // Writes a previous pass made but did not commit (the daemon stopped in between): where the
  // target holds what was written, the sides agreed then, so that is the baseline, not the older
  // one; otherwise the write never landed and the older baseline stands.
  const baselines: Record<string, Baseline> = { ...snap.baselines };
  for (const intent of await deps.ledger.pendingIntentsForLink(link.id)) {
    if (intent.kind !== 'update') continue;
    commit.intentsDone!.push(intent.id);
    const p = intent.payload as UpdatePayload | null;
    const rule = p ? rt.fields.find((r) => r.name === p.field) : undefined;
    if (!p || !rule) continue;
    const to = otherSide(p.from);
    const held = valueOf(tickets[to], rule.native[to]);
    let agreed: Baseline;
    if (rule.equivalent(p.from, p.source, held)) {
      agreed = p.from === 'a' ? { a: p.source, b: held } : { a: held, b: p.source };
    } else if (p.before === undefined || rule.same(held, p.before)) {
      continue; // the target still holds what it held before: the write never happened
    } else {
      // Neither the old value nor the new one: a write of several steps (a Jira transition path)
      // stopped half-way. Its half-done state counts as agreed, so the source's value is written again.
      const old = baselines[rule.name];
      if (!old) continue;
      agreed = { ...old, [to]: held };
    }
    baselines[rule.name] = agreed;
    commit.baselines![rule.name] = agreed;
  }

  // Per-field change times, read at most once per pass and only when a newest-wins conflict needs them.
  let times: Promise<Record<Side, Record<string, string>>> | undefined;
  const fieldTimes = (): Promise<Record<Side, Record<string, string>>> => {
    times ??= (async () => {
      const newest = rt.fields.filter((r) => r.conflict === 'newest');
      const read = async (side: Side): Promise<Record<string, string>> => {
        const connector = rt.sides[side].connector;
        return connector.fieldChangeTimes
          ? connector.fieldChangeTimes(
              ids[side],
              newest.map((r) => r.native[side]),
            )
          : {};
      };
      const [a, b] = await Promise.all([read('a'), read('b')]);
      return { a, b };
    })();
    return times;
  };

  for (const rule of rt.fields) {
    const current = { a: valueOf(tickets.a, rule.native.a), b: valueOf(tickets.b, rule.native.b) };
    const baseline = baselines[rule.name];
    let decision: FieldDecision;
    const conflict = openConflicts.get(rule.name);
    if (options.resolve && conflict?.id === options.resolve.conflictId) {
      const from = options.resolve.take;
      const t = rule.translate(from, current[from]);
      decision = rule.equivalent(from, current[from], current[otherSide(from)])
        ? { kind: 'converged' }
        : t.ok
          ? { kind: 'write', from, to: otherSide(from), value: t.value, why: 'resolved' }
          : { kind: 'error', side: from, reason: t.reason };
      commit.closeConflicts!.push({
        id: conflict.id,
        resolution: `took ${from} (${rt.sides[from].label}): ${JSON.stringify(current[from])}`,
      });
      commit.events!.push({
        connection: rt.name,
        linkId: link.id,
        side: from,
        field: rule.name,
        kind: 'conflict_resolved',
        oldValue: current[otherSide(from)],
        newValue: current[from],
        reason: `a person resolved the conflict on ${rule.name} by taking ${from}'s value`,
      });
    } else {
      decision = decideField(rule, {
        current,
        baseline,
        changedAt: { a: timeOf(tickets.a, rule.native.a), b: timeOf(tickets.b, rule.native.b) },
      });
      // Whole-ticket times make a side look newer for any later edit; where a system keeps a
      // per-field history, the newest-wins call is made again on when this field itself changed.
      if (decision.kind === 'write' && decision.why === 'conflict-newest') {
        const times = await fieldTimes();
        const changedAt = {
          a: timeOf(tickets.a, rule.native.a, times.a),
          b: timeOf(tickets.b, rule.native.b, times.b),
        };
        decision = decideField(rule, { current, baseline, changedAt });
      }
      // A parked field is not written until a person resolves it (or both sides come to agree).
      if (conflict && decision.kind === 'write') decision = { kind: 'conflict' };
    }

    switch (decision.kind) {
      case 'none':
        break;
      case 'converged':
        commit.baselines![rule.name] = current;
        if (conflict && !options.resolve) {
          commit.closeConflicts!.push({ id: conflict.id, resolution: 'both sides now agree' });
          commit.events!.push({
            connection: rt.name,
            linkId: link.id,
            side: null,
            field: rule.name,
            kind: 'conflict_resolved',
            oldValue: null,
            newValue: current.a,
            reason: `both sides now agree on ${rule.name}`,
          });
        } else if (baseline !== undefined) {
          commit.events!.push({
            connection: rt.name,
            linkId: link.id,
            side: null,
            field: rule.name,
            kind: 'converged',
            oldValue: baseline.a,
            newValue: current.a,
            reason: `both sides hold equivalent ${rule.name} values`,
          });
        }
        break;
      case 'ignore':
        commit.baselines![rule.name] = { ...(baseline ?? current), [decision.side]: current[decision.side] };
        commit.events!.push({
          connection: rt.name,
          linkId: link.id,
          side: decision.side,
          field: rule.name,
          kind: 'field_ignored',
          oldValue: baseline?.[decision.side] ?? null,
          newValue: current[decision.side],
          reason: `${decision.side} edited ${rule.name}, which ${rule.owner} owns; kept but not mirrored (onForeignEdit: ignore)`,
        });
        break;
      case 'conflict':
        if (!conflict || canonical([conflict.aValue, conflict.bValue]) !== canonical([current.a, current.b])) {
          commit.openConflicts!.push({
            field: rule.name,
            aValue: current.a,
            bValue: current.b,
            baseline: baseline ?? { a: null, b: null },
          });
          if (!conflict) {
            commit.events!.push({
              connection: rt.name,
              linkId: link.id,
              side: null,
              field: rule.name,
              kind: 'conflict_opened',
              oldValue: current.a,
              newValue: current.b,
              reason: `both sides changed ${rule.name} differently; parked for a person (conflict: manual)`,
            });
            deps.observer.conflict?.(rt.name, rule.name);
          }
        }
        break;
      case 'error':
        commit.events!.push({
          connection: rt.name,
          linkId: link.id,
          side: decision.side,
          field: rule.name,
          kind: 'error',
          oldValue: null,
          newValue: current[decision.side],
          reason: decision.reason,
        });
        await deps.ledger.recordError({
          connection: rt.name,
          linkId: link.id,
          side: decision.side,
          ticketId: ids[decision.side],
          code: 'unmapped_value',
          message: decision.reason,
          retryable: false,
        });
        break;
      case 'write':
        changes[decision.to][rule.native[decision.to]] = decision.value;
        pending.push({ rule, decision });
        break;
    }
  }

  // Step 4: the minimal set of changes per side; baselines from what each side holds afterwards.
  const failures: unknown[] = [];
  let raced = false;
  for (const to of SIDES) {
    let writes = pending.filter((p) => p.decision.to === to);
    if (writes.length === 0) continue;
    // None of the systems offers conditional updates, so look once more right before writing: a
    // field a person changed since this pass read it is left for the next pass, never overwritten.
    let fresh: Ticket;
    try {
      fresh = await rt.sides[to].connector.getTicket(ids[to]);
    } catch (err) {
      failures.push(err);
      continue;
    }
    const still = writes.filter((w) =>
      w.rule.same(valueOf(fresh, w.rule.native[to]), valueOf(tickets[to], w.rule.native[to])),
    );
    if (still.length < writes.length) raced = true;
    writes = still;
    if (writes.length === 0) continue;
    // Write-ahead: what is about to be written, so a crash before the commit is recoverable.
    const intents = new Map<PendingWrite, string>();
    for (const w of writes) {
      const payload: UpdatePayload = {
        field: w.rule.name,
        from: w.decision.from,
        value: w.decision.value,
        source: valueOf(tickets[w.decision.from], w.rule.native[w.decision.from]),
        before: valueOf(tickets[to], w.rule.native[to]),
      };
      const intent = await deps.ledger.addIntent({
        connection: rt.name,
        kind: 'update',
        targetSide: to,
        sourceId: `${link.id}:${w.rule.name}:${randomUUID()}`,
        linkId: link.id,
        marker: `tb:${rt.name}:${link.id}`,
        payload: payload as unknown as JsonValue,
      });
      if (intent) intents.set(w, intent.id);
    }
    const outcome = await writeSide(rt, to, ids[to], writes);
    if (outcome.transient) {
      // The write may or may not have landed: the intents stay for the next pass to check.
      failures.push(outcome.transient);
      continue;
    }
    for (const w of [...outcome.written, ...outcome.refused]) {
      const original = writes.find((x) => x.rule === w.rule);
      const id = original ? intents.get(original) : undefined;
      if (id !== undefined) commit.intentsDone!.push(id);
    }
    if (outcome.written.length > 0)
      rt.logger.info(
        { linkId: link.id, side: to, ticketId: ids[to], fields: outcome.written.map((w) => w.rule.name) },
        'fields written',
      );
    for (const { rule, decision, held } of outcome.written) {
      const from = decision.from;
      const heldValue = valueOf(held, rule.native[to]);
      commit.baselines![rule.name] =
        from === 'a'
          ? { a: valueOf(tickets.a, rule.native.a), b: heldValue }
          : { a: heldValue, b: valueOf(tickets.b, rule.native.b) };
      const reverted = decision.why === 'revert';
      commit.events!.push({
        connection: rt.name,
        linkId: link.id,
        side: to,
        field: rule.name,
        kind: reverted ? 'field_reverted' : 'field_mirrored',
        oldValue: valueOf(tickets[to], rule.native[to]),
        newValue: heldValue,
        reason: describeWrite(rt, rule, decision),
      });
      deps.observer.write?.(rt.name, to, rule.name);
      if (reverted) deps.observer.revert?.(rt.name, rule.name);
      else deps.observer.mirrorLag?.(rt.name, Math.max(0, deps.clock.now() - timeOf(tickets[from], rule.native[from])));
    }
    for (const { rule, err } of outcome.refused) {
      const current = { a: valueOf(tickets.a, rule.native.a), b: valueOf(tickets.b, rule.native.b) };
      if (rule.owner === 'both') {
        // Both sides own the field and one refuses the other's value (a workflow without that
        // transition, a closed list): a person decides, in the conflict inbox, not in a log.
        if (!openConflicts.has(rule.name)) {
          commit.openConflicts!.push({
            field: rule.name,
            aValue: current.a,
            bValue: current.b,
            baseline: snap.baselines[rule.name] ?? { a: null, b: null },
          });
          commit.events!.push({
            connection: rt.name,
            linkId: link.id,
            side: to,
            field: rule.name,
            kind: 'conflict_opened',
            oldValue: current.a,
            newValue: current.b,
            reason: `${rt.sides[to].label} refused ${rule.name} ${JSON.stringify(changes[to][rule.native[to]])} (${describeError(err)}); parked for a person`,
          });
          deps.observer.conflict?.(rt.name, rule.name);
        }
      } else {
        failures.push(err);
      }
    }
  }

  // Step 5: comments are append-only; only read them when something moved.
  const commentsMoved = options.force || !unchanged;
  if (commentsMoved) {
    try {
      await syncComments(deps, rt, snap, tickets, commit);
    } catch (err) {
      failures.push(err);
    }
  }

  if (failures.length > 0 || raced) {
    // Keep the stored versions so the next pass looks again; baselines of what did succeed stay.
    delete commit.versions;
  } else {
    commit.resolveErrorsFor = { linkId: link.id };
  }
  const nothingLearned =
    failures.length === 0 &&
    unchanged &&
    !options.hadErrors &&
    Object.keys(commit.baselines!).length === 0 &&
    commit.events!.length === 0 &&
    commit.comments!.length === 0 &&
    commit.openConflicts!.length === 0 &&
    commit.closeConflicts!.length === 0;
  if (!nothingLearned) await deps.ledger.commit(commit);
  if (failures.length > 0) throw failures[0];
  const wrote = pending.length > 0 || commit.events!.some((e) => e.kind === 'comment_copied');
  return wrote ? 'changed' : 'noop';
}

/** Copies every comment not yet in the link's comment map once, by the visibility rules. */
async function syncComments(
  deps: PassDeps,
  rt: ConnectionRuntime,
  snap: LinkSnapshot,
  tickets: Record<Side, Ticket>,
  commit: PassCommit,
): Promise<void> {
  const link = snap.link;
  const known = new Set(snap.comments.map((c) => `${c.side}:${c.commentId}`));
  const lists: Record<Side, Comment[]> = {
    a: await rt.sides.a.connector.listComments(tickets.a.id),
    b: await rt.sides.b.connector.listComments(tickets.b.id),
  };
  const record = (entry: NonNullable<PassCommit['comments']>[number]): void => {
    known.add(`${entry.side}:${entry.commentId}`);
    commit.comments!.push(entry);
  };

  for (const from of SIDES) {
    const to = otherSide(from);
    const rules = rt.config.comments[direction(from)];
    for (const comment of lists[from]) {
      if (known.has(`${from}:${comment.id}`)) continue;
      if (comment.marker) {
        // The daemon wrote it: never copied back.
        record({ side: from, commentId: comment.id, role: 'mirror', twinId: null, visibility: comment.visibility });
        continue;
      }
      const becomes = comment.visibility === 'public' ? rules.public : rules.internal;
      if (becomes === 'skip') {
        record({ side: from, commentId: comment.id, role: 'skipped', twinId: null, visibility: comment.visibility });
        commit.events!.push({
          connection: rt.name,
          linkId: link.id,
          side: from,
          field: null,
          kind: 'comment_skipped',
          oldValue: null,
          newValue: null,
          reason: `${comment.visibility} comment ${comment.id} on ${from} stays on ${rt.sides[from].label} (comments.${direction(from)}.${comment.visibility}: skip)`,
        });
        continue;
      }
      const marker = commentMarker(rt.name, link.id, from, comment.id);
      const sourceKey = `${link.id}:${from}:${comment.id}`;
      let twin = lists[to].find((c) => c.marker === marker);
      let intentId: string | null;
      if (twin) {
        // Copied before a crash that came ahead of the commit: that attempt's intent is done now.
        intentId = (await deps.ledger.findIntent(rt.name, 'comment', to, sourceKey))?.id ?? null;
      } else {
        const intent =
          (await deps.ledger.findIntent(rt.name, 'comment', to, sourceKey)) ??
          (await deps.ledger.addIntent({
            connection: rt.name,
            kind: 'comment',
            targetSide: to,
            sourceId: sourceKey,
            linkId: link.id,
            marker,
          }));
        if (!intent) continue;
        intentId = intent.id;
        const newComment = {
          body: comment.body,
          visibility: becomes,
          origin: rt.sides[from].label,
          marker,
          ...(comment.author === undefined ? {} : { author: comment.author }),
        };
        twin = await rt.sides[to].connector.addComment(tickets[to].id, newComment);
        deps.observer.comment?.(rt.name, to);
      }
      record({ side: from, commentId: comment.id, role: 'copied', twinId: twin.id, visibility: comment.visibility });
      record({ side: to, commentId: twin.id, role: 'mirror', twinId: comment.id, visibility: becomes });
      if (intentId !== null) commit.intentsDone!.push(intentId);
      commit.events!.push({
        connection: rt.name,
        linkId: link.id,
        side: to,
        field: null,
        kind: 'comment_copied',
        oldValue: null,
        newValue: comment.id,
        reason: `${comment.visibility} comment ${comment.id} from ${from} (${rt.sides[from].label}) copied as ${becomes} comment ${twin.id}`,
      });
    }
  }
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
  await deps.ledger.recordError({ connection: rt.name, ...subject, code, message: describeError(err), retryable });
  deps.observer.error?.(rt.name, code);
  rt.logger.warn({ ...subject, code, err: describeError(err) }, 'sync pass failed');
  return code;
}
