// The drift audit: reads every active linked pair, compares every mapped field of the twins with
// the engine's own equivalence (each side in its own vocabulary), and explains each difference:
// a change pending (a side moved since the ledger agreed with it: the next pass mirrors it), a
// conflict parked in the inbox, a revert due (the side that does not own the field edited it),
// or unexplained (both sides look as the ledger last agreed, yet they differ: drift). Public
// comments are compared too (field `comments`): a copied comment whose twin is gone was deleted
// by a person on the twin's system (the engine never deletes a comment); a public comment the next
// pass will copy is a change pending, which a repair copies at once.
import type { ConnectionRuntime } from './runtime.js';
import type { Baseline, CommentMapEntry, Ledger, Link, LinkSnapshot } from './ledger/types.js';
import { direction } from './sync/create.js';
import { valueOf } from './sync/planner.js';
import { otherSide, type Comment, type JsonValue, type Side, type Ticket } from './types.js';
import type { FieldRule } from './values.js';

export type DriftExplanation =
  'change pending' | 'conflict parked' | 'revert due' | 'unexplained' | `deleted on ${string} by a person`;

export interface DriftFinding {
  connection: string;
  linkId: string;
  /** A mapped field's name, or `comments` for a public comment without its twin. */
  field: string;
  /** The field's values; for `comments`, the comment's id on each side (null where it has none). */
  a: JsonValue;
  b: JsonValue;
  /** Each side's ticket as people know it (key or id). */
  tickets: { a: string; b: string };
  explanation: DriftExplanation;
}

export interface DriftResult {
  pairs: number;
  findings: DriftFinding[];
  unexplained: number;
  pending: number;
  /** Pairs that could not be read (an error each, counted, not thrown). */
  unreadable: number;
}

export interface DriftOptions {
  connection?: string;
  /** Called after each pair: done so far and how many in all (for a progress bar). */
  progress?: (done: number, total: number) => void;
}

/** Why a field whose twins differ differs. */
export function explain(
  rule: FieldRule,
  current: Record<Side, JsonValue>,
  baseline: Baseline | undefined,
  parked: boolean,
): DriftExplanation {
  if (parked) return 'conflict parked';
  if (!baseline) return 'change pending';
  const moved = { a: !rule.same(current.a, baseline.a), b: !rule.same(current.b, baseline.b) };
  if (!moved.a && !moved.b) return 'unexplained';
  const foreign = rule.owner === 'both' ? null : rule.owner === 'a' ? 'b' : 'a';
  if (foreign !== null && moved[foreign] && rule.onForeignEdit === 'revert') return 'revert due';
  return 'change pending';
}

/** The differing fields of one pair, explained. */
export async function auditPair(rt: ConnectionRuntime, ledger: Ledger, snap: LinkSnapshot): Promise<DriftFinding[]> {
  const { link } = snap;
  const read = (side: Side): Promise<Ticket> => {
    const memo = side === 'a' ? link.aMemo : link.bMemo;
    return rt.sides[side].connector.getTicket(side === 'a' ? link.aId : link.bId, memo === null ? {} : { memo });
  };
  const tickets = { a: await read('a'), b: await read('b') };
  const lists = {
    a: await rt.sides.a.connector.listComments(link.aId),
    b: await rt.sides.b.connector.listComments(link.bId),
  };
  const parked = new Set((await ledger.listConflicts({ linkId: link.id, state: 'open' })).map((c) => c.field));
  const findings: DriftFinding[] = [];
  for (const rule of rt.fields) {
    const current = { a: valueOf(tickets.a, rule.native.a), b: valueOf(tickets.b, rule.native.b) };
    if (rule.equivalent('a', current.a, current.b)) continue;
    findings.push({
      connection: rt.name,
      linkId: link.id,
      field: rule.name,
      ...current,
      tickets: { a: link.aKey ?? link.aId, b: link.bKey ?? link.bId },
      explanation: explain(rule, current, snap.baselines[rule.name], parked.has(rule.name)),
    });
  }
  const keys = { a: link.aKey ?? link.aId, b: link.bKey ?? link.bId };
  for (const gap of commentGaps(rt, snap.comments, lists))
    findings.push({ connection: rt.name, linkId: link.id, field: 'comments', ...gap, tickets: keys });
  return findings;
}

/**
 * The public comments of a pair without their twin: a comment the ledger says was copied (or is
 * the daemon's copy) whose counterpart is gone was deleted on that system by a person; one not yet
 * copied that the visibility rules copy is a change pending. Internal notes and comments the rules
 * keep are not compared.
 *
 * A deleted counterpart is explained and never repaired: the engine does not delete comments, so a
 * person (or another tool) removed it on purpose, perhaps a comment posted on the wrong ticket or
 * one holding what the other team must not read. Copying it again would undo that deletion, so the
 * audit reports it and leaves it to a person.
 */
export function commentGaps(
  rt: Pick<ConnectionRuntime, 'config' | 'sides'>,
  known: readonly CommentMapEntry[],
  lists: Record<Side, Comment[]>,
): Array<{ a: string | null; b: string | null; explanation: DriftExplanation }> {
  const entries = new Map(known.map((e) => [`${e.side}:${e.commentId}`, e]));
  const ids = { a: new Set(lists.a.map((c) => c.id)), b: new Set(lists.b.map((c) => c.id)) };
  const gaps: Array<{ a: string | null; b: string | null; explanation: DriftExplanation }> = [];
  const pair = (side: Side, id: string, twin: string | null) =>
    side === 'a' ? { a: id, b: twin } : { a: twin, b: id };
  for (const side of ['a', 'b'] as const) {
    const other = otherSide(side);
    for (const comment of lists[side]) {
      if (comment.visibility !== 'public') continue;
      const entry = entries.get(`${side}:${comment.id}`);
      if (entry) {
        if (entry.role !== 'skipped' && entry.twinId !== null && !ids[other].has(entry.twinId))
          gaps.push({
            ...pair(side, comment.id, entry.twinId),
            explanation: `deleted on ${rt.sides[other].label} by a person`,
          });
      } else if (!comment.marker && rt.config.comments[direction(side)].public !== 'skip') {
        gaps.push({ ...pair(side, comment.id, null), explanation: 'change pending' });
      }
    }
  }
  return gaps;
}

async function activeLinks(ledger: Ledger, connection: string): Promise<string[]> {
  const ids: string[] = [];
  for (let after: string | null = null; ;) {
    const page = await ledger.linkIds(connection, 'active', after, 500);
    ids.push(...page);
    if (page.length < 500) return ids;
    after = page.at(-1)!;
  }
}

/** Audits every active pair of the connections (or one); reads run through each system's queue. */
export async function auditDrift(
  connections: ReadonlyMap<string, ConnectionRuntime>,
  ledger: Ledger,
  options: DriftOptions = {},
): Promise<DriftResult> {
  const result: DriftResult = { pairs: 0, findings: [], unexplained: 0, pending: 0, unreadable: 0 };
  const work: Array<{ rt: ConnectionRuntime; id: string }> = [];
  for (const rt of connections.values()) {
    if (options.connection !== undefined && rt.name !== options.connection) continue;
    for (const id of await activeLinks(ledger, rt.name)) work.push({ rt, id });
  }
  for (const { rt, id } of work) {
    const snap = await ledger.snapshot(id);
    if (snap) {
      try {
        result.findings.push(...(await auditPair(rt, ledger, snap)));
        result.pairs++;
      } catch {
        result.unreadable++;
      }
    }
    options.progress?.(result.pairs + result.unreadable, work.length);
  }
  result.unexplained = result.findings.filter((f) => f.explanation === 'unexplained').length;
  result.pending = result.findings.length - result.unexplained;
  return result;
}

/**
 * The baseline that makes the next pass settle an unexplained difference by the field's rule:
 * the owner's side looks changed (its value is mirrored over the other); for a both-owned field
 * both do, and the conflict rule decides.
 */
export function repairBaseline(rule: FieldRule, current: Record<Side, JsonValue>): Baseline {
  if (rule.owner === 'a') return { a: null, b: current.b };
  if (rule.owner === 'b') return { a: current.a, b: null };
  return { a: null, b: null };
}

/**
 * Records the findings as events and, with `repair`, rewrites the drifted baselines; the links to
 * repair are those and the links with a public comment still to copy (the caller runs the passes).
 */
export async function recordDrift(
  connections: ReadonlyMap<string, ConnectionRuntime>,
  ledger: Ledger,
  findings: DriftFinding[],
  repair: boolean,
): Promise<Link['id'][]> {
  const repaired = new Set<string>();
  if (repair)
    for (const f of findings) if (f.field === 'comments' && f.explanation === 'change pending') repaired.add(f.linkId);
  for (const f of findings.filter((x) => x.explanation === 'unexplained')) {
    const rule = connections.get(f.connection)?.fields.find((r) => r.name === f.field);
    const event = {
      connection: f.connection,
      linkId: f.linkId,
      side: null,
      field: f.field,
      oldValue: f.a,
      newValue: f.b,
    };
    await ledger.commit({
      connection: f.connection,
      linkId: f.linkId,
      ...(repair && rule ? { baselines: { [f.field]: repairBaseline(rule, { a: f.a, b: f.b }) } } : {}),
      events: [
        {
          ...event,
          kind: 'drift_found',
          reason: `the drift audit found ${f.field} differing with no pending change, parked conflict or due revert`,
        },
      ],
    });
    if (repair && rule) repaired.add(f.linkId);
  }
  return [...repaired];
}
