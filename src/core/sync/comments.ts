// Step 5 of the sync rule: comments are append-only. Every comment not yet in the link's comment
// map is copied once by the visibility rules, never more visible than it was; comments the daemon
// wrote are never copied back. Pure: the pass makes the copies the plan lists.
import type { ConnectionConfig } from '../../mapping/schema.js';
import type { CommentMapEntry, NewEvent } from '../ledger/types.js';
import { commentMarker, namesSourceComment } from '../marker.js';
import { otherSide, type Comment, type Side, type Visibility } from '../types.js';
import { direction } from './create.js';
import { sideName } from './words.js';

/** One comment to copy from `from` to `to`. */
export interface CommentCopy {
  from: Side;
  to: Side;
  comment: Comment;
  becomes: Visibility;
  marker: string;
  /** The intent's source key: link, side and comment. */
  sourceKey: string;
  /** A copy already on the target (made before a crash that came ahead of the commit). */
  existing: Comment | null;
}

export interface CommentPlan {
  /** Comment map entries to record now (the daemon's own, and skipped ones). */
  records: CommentMapEntry[];
  events: NewEvent[];
  copies: CommentCopy[];
}

export interface CommentInput {
  connection: string;
  linkId: string;
  labels: Record<Side, string>;
  rules: ConnectionConfig['comments'];
  known: readonly CommentMapEntry[];
  lists: Record<Side, Comment[]>;
}

export function planComments(input: CommentInput): CommentPlan {
  const plan: CommentPlan = { records: [], events: [], copies: [] };
  const known = new Set(input.known.map((c) => `${c.side}:${c.commentId}`));
  for (const from of ['a', 'b'] as const) {
    const to = otherSide(from);
    const rules = input.rules[direction(from)];
    for (const comment of input.lists[from]) {
      if (known.has(`${from}:${comment.id}`)) continue;
      if (comment.marker) {
        // The daemon wrote it: never copied back.
        plan.records.push({
          side: from,
          commentId: comment.id,
          role: 'mirror',
          twinId: null,
          visibility: comment.visibility,
        });
        continue;
      }
      const becomes = comment.visibility === 'public' ? rules.public : rules.internal;
      if (becomes === 'skip') {
        plan.records.push({
          side: from,
          commentId: comment.id,
          role: 'skipped',
          twinId: null,
          visibility: comment.visibility,
        });
        plan.events.push({
          connection: input.connection,
          linkId: input.linkId,
          side: from,
          field: null,
          kind: 'comment_skipped',
          oldValue: null,
          newValue: null,
          reason: `${comment.visibility} comment ${comment.id} stays on ${sideName(input.labels, from)} (comments.${direction(from)}.${comment.visibility}: skip)`,
        });
        continue;
      }
      const marker = commentMarker(input.connection, input.linkId, from, comment.id);
      plan.copies.push({
        from,
        to,
        comment,
        becomes,
        marker,
        sourceKey: `${input.linkId}:${from}:${comment.id}`,
        // A copy under this link, or under a link a lost ledger had for the same pair.
        existing:
          input.lists[to].find((c) => c.marker === marker) ??
          input.lists[to].find((c) => namesSourceComment(c.marker, input.connection, from, comment.id)) ??
          null,
      });
    }
  }
  // A copy found already made is recorded with its source below, not as a stray mirror.
  const found = new Set(plan.copies.flatMap((c) => (c.existing ? [`${c.to}:${c.existing.id}`] : [])));
  plan.records = plan.records.filter((r) => !found.has(`${r.side}:${r.commentId}`));
  return plan;
}

/** The map entries and event of one copy made (or found made). */
export function copied(
  input: Pick<CommentInput, 'connection' | 'linkId' | 'labels'>,
  copy: CommentCopy,
  twin: Comment,
): {
  records: CommentMapEntry[];
  /** comment_copied, then a text_cut for each cut the target system needed. */
  events: NewEvent[];
} {
  const { from, to, comment, becomes } = copy;
  const n = (x: number): string => x.toLocaleString('en-US');
  const cuts: NewEvent[] = (twin.cuts ?? []).map((cut) => ({
    connection: input.connection,
    linkId: input.linkId,
    side: to,
    field: null,
    kind: 'text_cut',
    oldValue: cut.fromChars,
    newValue: cut.toChars,
    reason: `comment ${comment.id} from ${sideName(input.labels, from)} cut from ${n(cut.fromChars)} to ${n(cut.toChars)} characters to fit ${sideName(input.labels, to)}'s limit`,
  }));
  return {
    records: [
      { side: from, commentId: comment.id, role: 'copied', twinId: twin.id, visibility: comment.visibility },
      { side: to, commentId: twin.id, role: 'mirror', twinId: comment.id, visibility: becomes },
    ],
    events: [
      {
        connection: input.connection,
        linkId: input.linkId,
        side: to,
        field: null,
        kind: 'comment_copied',
        oldValue: null,
        newValue: comment.id,
        reason: `${comment.visibility} comment ${comment.id} from ${sideName(input.labels, from)} copied to ${sideName(input.labels, to)} as ${becomes} comment ${twin.id}`,
      },
      ...cuts,
    ],
  };
}
