// The attachment step of a link pass: list both sides' files, plan (sync/attachments.ts), then
// stream each copy from the source's download straight into the target's upload through an
// intent, and leave a note for each file that may not cross. Thin: every decision is the plan's.
import { classify, RemoteValidationError } from './errors.js';
import type { LinkSnapshot, PassCommit } from './ledger/types.js';
import { attachmentMarker, legacyAttachmentMarker, linkIdsNamed } from './marker.js';
import type { PassDeps } from './pass.js';
import type { ConnectionRuntime } from './runtime.js';
import {
  attachmentCopied,
  attachmentRefused,
  planAttachments,
  type AttachmentCopy,
  type AttachmentRefusal,
} from './sync/attachments.js';
import type { Attachment, Comment, Connector, Side, Ticket } from './types.js';

type Context = {
  connection: string;
  linkId: string;
  labels: Record<Side, string>;
  /** Link ids the pair's copied comments and notes name (links a lost ledger knew the pair by). */
  earlierLinkIds: string[];
  /** Each side's comments as this pass listed them (empty on a side it did not list). */
  comments: Record<Side, Comment[]>;
};

function canCarryFiles(connector: Connector): boolean {
  return (
    connector.facts.capabilities.attachments?.supported === true &&
    connector.listAttachments !== undefined &&
    connector.downloadAttachment !== undefined &&
    connector.uploadAttachment !== undefined
  );
}

/**
 * Copies every file not yet in the link's attachment map once, by the connection's rules.
 * `comments` are the lists the comment step read: their markers name the links the pair was
 * synced under before, so a copy made under one of them is recognised after a lost ledger.
 */
export async function syncAttachments(
  deps: PassDeps,
  rt: ConnectionRuntime,
  snap: LinkSnapshot,
  tickets: Record<Side, Ticket>,
  commit: PassCommit,
  comments: Record<Side, Comment[]> | null,
): Promise<void> {
  const rules = rt.config.attachments;
  const connectors = { a: rt.sides.a.connector, b: rt.sides.b.connector };
  if (!rules || !canCarryFiles(connectors.a) || !canCarryFiles(connectors.b)) return;
  const listed = comments ?? { a: [], b: [] };
  const context: Context = {
    connection: rt.name,
    linkId: snap.link.id,
    labels: { a: rt.sides.a.label, b: rt.sides.b.label },
    earlierLinkIds: linkIdsNamed(
      [...listed.a, ...listed.b].map((c) => c.marker),
      rt.name,
    ),
    comments: listed,
  };
  const listOf = (side: Side): Promise<Attachment[]> =>
    connectors[side].listAttachments!(
      tickets[side].id,
      tickets[side].memo === undefined ? {} : { memo: tickets[side].memo },
    );
  const [a, b] = await Promise.all([listOf('a'), listOf('b')]);
  const plan = planAttachments({
    ...context,
    rules,
    known: snap.attachments ?? [],
    lists: { a, b },
    limits: { a: connectors.a.facts.attachments, b: connectors.b.facts.attachments },
    earlierLinkIds: context.earlierLinkIds,
  });
  commit.attachments = [...(commit.attachments ?? []), ...plan.records];
  commit.events!.push(...plan.events);
  for (const refusal of plan.refusals) await announceRefusal(deps, rt, context, tickets, commit, refusal);
  for (const copy of plan.copies) await copyFile(deps, rt, context, tickets, commit, copy);
}

/** One copy through an intent: download streamed into the upload; a refusal by the target becomes a note. */
async function copyFile(
  deps: PassDeps,
  rt: ConnectionRuntime,
  context: Context,
  tickets: Record<Side, Ticket>,
  commit: PassCommit,
  copy: AttachmentCopy,
): Promise<void> {
  let intent = await deps.ledger.findIntent(rt.name, 'attachment', copy.to, copy.sourceKey);
  let twin = copy.existing;
  if (!twin) {
    intent ??= await deps.ledger.addIntent({
      connection: rt.name,
      kind: 'attachment',
      targetSide: copy.to,
      sourceId: copy.sourceKey,
      linkId: context.linkId,
      marker: copy.marker,
    });
    if (!intent) return;
    const file = copy.attachment;
    const content = await rt.sides[copy.from].connector.downloadAttachment!(tickets[copy.from].id, file);
    try {
      twin = await rt.sides[copy.to].connector.uploadAttachment!(tickets[copy.to].id, {
        name: file.name,
        sizeBytes: file.sizeBytes,
        contentType: file.contentType,
        content,
        visibility: copy.becomes,
        marker: copy.marker,
        note: `File from ${rt.sides[copy.from].label}: ${file.name}`,
      });
    } catch (err) {
      content.destroy();
      if (classify(err).retry || !(err instanceof RemoteValidationError)) throw err;
      // Refused for good (too big, wrong type): nothing was uploaded; say so on the target.
      await deps.ledger.dropIntent(intent.id);
      const reason = `${rt.sides[copy.to].label} refused it (${err.message})`;
      return announceRefusal(deps, rt, context, tickets, commit, { ...copy, reason });
    }
  }
  const done = attachmentCopied(context, copy, twin);
  commit.attachments!.push(...done.records);
  commit.events!.push(done.event);
  if (intent) commit.intentsDone!.push(intent.id);
}

/** Records a file that does not cross and writes the short note naming it on the other side. */
async function announceRefusal(
  deps: PassDeps,
  rt: ConnectionRuntime,
  context: Context,
  tickets: Record<Side, Ticket>,
  commit: PassCommit,
  refusal: AttachmentRefusal,
): Promise<void> {
  const { record, event, note } = attachmentRefused(context, refusal);
  const sourceKey = `${context.linkId}:${refusal.from}:file:${refusal.attachment.id}:note`;
  const marker = `${attachmentMarker(rt.name, refusal.from, refusal.attachment.id)}:note`;
  // The note as this or an earlier version wrote it, under this link or one a lost ledger knew.
  const notes = new Set([
    marker,
    ...[context.linkId, ...context.earlierLinkIds].map(
      (link) => `${legacyAttachmentMarker(rt.name, link, refusal.from, refusal.attachment.id)}:note`,
    ),
  ]);
  const existing = await deps.ledger.findIntent(rt.name, 'comment', refusal.to, sourceKey);
  const intent =
    existing ??
    (await deps.ledger.addIntent({
      connection: rt.name,
      kind: 'comment',
      targetSide: refusal.to,
      sourceId: sourceKey,
      linkId: context.linkId,
      marker,
    }));
  if (!intent) return;
  const listed = existing
    ? await rt.sides[refusal.to].connector.listComments(tickets[refusal.to].id)
    : context.comments[refusal.to];
  if (!listed.some((c) => c.marker !== null && c.marker !== undefined && notes.has(c.marker))) {
    // Never more visible than the file: a note about an internal file is internal.
    await rt.sides[refusal.to].connector.addComment(tickets[refusal.to].id, {
      body: note,
      visibility: refusal.attachment.visibility,
      origin: 'ticketbridge',
      marker,
    });
  }
  commit.attachments!.push(record);
  commit.events!.push(event);
  commit.intentsDone!.push(intent.id);
}
