// Files follow comments' rule: append-only, each copied once, never more visible than on the
// source, and never copied back (a copy's name carries its tag). A file a rule, a limit or the
// target keeps from crossing is recorded and announced by a short note on the other side, never
// dropped in silence. Pure: the pass downloads, uploads and writes the notes this plan lists.
import type { AttachmentsConfig } from '../../mapping/schema.js';
import type { AttachmentMapEntry, NewEvent } from '../ledger/types.js';
import { attachmentMarker, fileTag, legacyAttachmentMarker } from '../marker.js';
import { otherSide, type Attachment, type AttachmentLimits, type Side, type Visibility } from '../types.js';
import { direction } from './create.js';
import { sideName } from './words.js';

/** One file to copy from `from` to `to`. */
export interface AttachmentCopy {
  from: Side;
  to: Side;
  attachment: Attachment;
  becomes: Visibility;
  marker: string;
  /** The intent's source key: link, side and file. */
  sourceKey: string;
  /** A copy already on the target (uploaded before a crash that came ahead of the commit). */
  existing: Attachment | null;
}

/** A file that does not cross: the note that says so on the other side, and why. */
export interface AttachmentRefusal {
  from: Side;
  to: Side;
  attachment: Attachment;
  reason: string;
}

export interface AttachmentPlan {
  records: AttachmentMapEntry[];
  events: NewEvent[];
  copies: AttachmentCopy[];
  refusals: AttachmentRefusal[];
}

export interface AttachmentInput {
  connection: string;
  linkId: string;
  labels: Record<Side, string>;
  rules: AttachmentsConfig;
  known: readonly AttachmentMapEntry[];
  lists: Record<Side, Attachment[]>;
  /** Each side's limits as its connector declares them (a target's limit refuses before upload). */
  limits: Record<Side, AttachmentLimits | undefined>;
  /** Link ids the pair's copied comments and notes name: links an older copy's tag may stand for. */
  earlierLinkIds?: readonly string[];
}

/**
 * The tags a copy of `file` may carry on the other side: the current one, which names only the
 * connection and the source file, and the older form that also named the link, for this link and
 * every earlier link of the pair a copied comment or note still names. An older copy made under a
 * link the ledger lost, on a pair where no copied comment or note names that link, cannot be
 * matched (its tag is a hash of a link id nothing remembers); it is still never copied back, as
 * its tag marks it a copy.
 */
function copyTags(input: AttachmentInput, from: Side, fileId: string): Set<string> {
  const links = new Set([input.linkId, ...(input.earlierLinkIds ?? [])]);
  return new Set([
    fileTag(attachmentMarker(input.connection, from, fileId)),
    ...[...links].map((link) => fileTag(legacyAttachmentMarker(input.connection, link, from, fileId))),
  ]);
}

/** Whether a content type matches a pattern such as `image/*`. */
export function typeMatches(contentType: string, pattern: string): boolean {
  const [type = '', sub = ''] = contentType.toLowerCase().split(';')[0]!.trim().split('/');
  const [pType = '', pSub = ''] = pattern.toLowerCase().split('/');
  return (pType === '*' || pType === type) && (pSub === '*' || pSub === sub);
}

/** Bytes in words for notes and events: `12.5 MB`. */
export function sizeText(bytes: number): string {
  if (bytes < 1024) return `${bytes} bytes`;
  const units = ['KB', 'MB', 'GB'];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(value < 10 ? 1 : 0)} ${units[unit]}`;
}

/** Why a file may not cross to `to`, or null when it may. */
export function refusalOf(
  file: Attachment,
  rules: AttachmentsConfig,
  target: AttachmentLimits | undefined,
  targetLabel: string,
): string | null {
  const limits = [
    ...(rules.maxBytes === undefined ? [] : [{ bytes: rules.maxBytes, whose: 'attachments.maxBytes' }]),
    ...(target ? [{ bytes: target.maxFileBytes, whose: `${targetLabel}'s limit` }] : []),
  ].sort((x, y) => x.bytes - y.bytes);
  const limit = limits.find((l) => file.sizeBytes > l.bytes);
  if (limit) return `${sizeText(file.sizeBytes)} is over ${limit.whose} of ${sizeText(limit.bytes)}`;
  const denied = rules.deny.find((p) => typeMatches(file.contentType, p));
  if (denied) return `its type ${file.contentType} is denied (attachments.deny: ${denied})`;
  if (rules.allow && !rules.allow.some((p) => typeMatches(file.contentType, p)))
    return `its type ${file.contentType} is not in attachments.allow`;
  return null;
}

export function planAttachments(input: AttachmentInput): AttachmentPlan {
  const plan: AttachmentPlan = { records: [], events: [], copies: [], refusals: [] };
  const known = new Set(input.known.map((f) => `${f.side}:${f.attachmentId}`));
  for (const from of ['a', 'b'] as const) {
    const to = otherSide(from);
    const mode = input.rules[direction(from)];
    for (const file of input.lists[from]) {
      if (known.has(`${from}:${file.id}`)) continue;
      const entry = { side: from, attachmentId: file.id, twinId: null, visibility: file.visibility };
      if (file.marker) {
        plan.records.push({ ...entry, role: 'mirror' }); // the daemon uploaded it: never copied back
        continue;
      }
      if (mode === 'none') continue; // nothing crosses; switching it on later copies what is there
      const event = { connection: input.connection, linkId: input.linkId, side: from, field: null, oldValue: null };
      if (mode === 'public' && file.visibility === 'internal') {
        plan.records.push({ ...entry, role: 'skipped' });
        plan.events.push({
          ...event,
          kind: 'attachment_skipped',
          newValue: file.name,
          reason: `internal file ${file.name} stays on ${sideName(input.labels, from)} (attachments.${direction(from)}: public)`,
        });
        continue;
      }
      const marker = attachmentMarker(input.connection, from, file.id);
      const tags = copyTags(input, from, file.id);
      const existing = input.lists[to].find((f) => f.marker !== null && tags.has(f.marker)) ?? null;
      const refused = existing ? null : refusalOf(file, input.rules, input.limits[to], input.labels[to]);
      if (refused) {
        plan.refusals.push({ from, to, attachment: file, reason: refused });
        continue;
      }
      const sourceKey = `${input.linkId}:${from}:file:${file.id}`;
      plan.copies.push({ from, to, attachment: file, becomes: file.visibility, marker, sourceKey, existing });
    }
  }
  // A copy found already made is recorded with its source, not as a stray mirror.
  const found = new Set(plan.copies.flatMap((c) => (c.existing ? [`${c.to}:${c.existing.id}`] : [])));
  plan.records = plan.records.filter((r) => !found.has(`${r.side}:${r.attachmentId}`));
  return plan;
}

/** The map entries and event of one copy made (or found made). */
export function attachmentCopied(
  input: Pick<AttachmentInput, 'connection' | 'linkId' | 'labels'>,
  copy: AttachmentCopy,
  twin: Attachment,
): { records: AttachmentMapEntry[]; event: NewEvent } {
  const { from, to, attachment, becomes } = copy;
  return {
    records: [
      { side: from, attachmentId: attachment.id, role: 'copied', twinId: twin.id, visibility: attachment.visibility },
      { side: to, attachmentId: twin.id, role: 'mirror', twinId: attachment.id, visibility: becomes },
    ],
    event: {
      connection: input.connection,
      linkId: input.linkId,
      side: to,
      field: null,
      kind: 'attachment_copied',
      oldValue: null,
      newValue: attachment.name,
      reason: `${attachment.visibility} file ${attachment.name} (${sizeText(attachment.sizeBytes)}) from ${sideName(input.labels, from)} copied to ${sideName(input.labels, to)} as ${becomes} file ${twin.id}`,
    },
  };
}

/** The map entry, event and note text of a file that did not cross. */
export function attachmentRefused(
  input: Pick<AttachmentInput, 'connection' | 'linkId' | 'labels'>,
  refusal: AttachmentRefusal,
): { record: AttachmentMapEntry; event: NewEvent; note: string } {
  const { from, to, attachment, reason } = refusal;
  return {
    record: {
      side: from,
      attachmentId: attachment.id,
      role: 'refused',
      twinId: null,
      visibility: attachment.visibility,
    },
    event: {
      connection: input.connection,
      linkId: input.linkId,
      side: to,
      field: null,
      kind: 'attachment_refused',
      oldValue: null,
      newValue: attachment.name,
      reason: `file ${attachment.name} from ${sideName(input.labels, from)} was not copied to ${sideName(input.labels, to)}: ${reason}`,
    },
    note: `The file "${attachment.name}" (${sizeText(attachment.sizeBytes)}) on ${input.labels[from]} was not copied here: ${reason}.`,
  };
}
