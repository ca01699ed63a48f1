// Files on Jira issues as the connector contract sees them. Jira keeps every file on the issue
// (`fields.attachment`); a comment or the description shows one through an ADF `media` node that
// names the file's media id, which only the content redirect reveals (`/file/{uuid}/binary`). So a
// file's comment, and with it its visibility, comes from the media nodes: on a comment it is as
// visible as the comment (jsdPublic), in the description public, on no comment internal (the
// harsher reading: customers see files through the portal's comments and request form only).
import type { Readable } from 'node:stream';
import { NotFoundError, PayloadError, RemoteValidationError } from '../../core/errors.js';
import { formatMirroredComment, parseFileName, tagFileName } from '../../core/marker.js';
import type { Attachment, AttachmentLimits, Logger, NewAttachment, Visibility } from '../../core/types.js';
import type { JiraClient } from './client.js';
import { textToAdf } from './convert.js';
import type { AdfNode, JiraAttachment, JiraComment } from './schema.js';

/** Jira Cloud's ceiling on one file (2 GB); a site's own `uploadLimit` is read from /attachment/meta. */
export const JIRA_MAX_FILE_BYTES = 2 * 1024 * 1024 * 1024;
/** How long a read `uploadLimit` is trusted before it is read again. */
const SETTINGS_TTL_MS = 10 * 60_000;

const MEDIA_ID = /\/file\/([^/?#]+)\/binary/;

/** The media ids an ADF document shows (`media` and `mediaInline` nodes of type file). */
export function mediaIds(doc: AdfNode | null | undefined): string[] {
  const out: string[] = [];
  const walk = (node: AdfNode): void => {
    if ((node.type === 'media' || node.type === 'mediaInline') && typeof node.attrs?.id === 'string')
      out.push(node.attrs.id);
    for (const child of node.content ?? []) walk(child);
  };
  if (doc) walk(doc);
  return out;
}

/** A comment's visibility as the connector reads it (jsdPublic false or a role/group restriction: internal). */
export function commentVisibility(c: JiraComment): Visibility {
  return c.jsdPublic === false || c.visibility?.value !== undefined ? 'internal' : 'public';
}

/** The comment written with an uploaded file: the note, the file as a `mediaSingle`, the marker footer. */
export function commentWithFile(note: string, marker: string, mediaId: string): AdfNode & { version: 1 } {
  const doc = textToAdf(formatMirroredComment({ body: note, marker }));
  const media: AdfNode = {
    type: 'mediaSingle',
    attrs: { layout: 'center' },
    content: [{ type: 'media', attrs: { id: mediaId, type: 'file', collection: '' } }],
  };
  const content = doc.content ?? [];
  return { ...doc, content: [...content.slice(0, -1), media, ...content.slice(-1)] };
}

function toAttachment(a: JiraAttachment, place: { commentId: string | null; visibility: Visibility }): Attachment {
  const parsed = parseFileName(a.filename);
  return {
    id: a.id,
    name: parsed.name,
    sizeBytes: a.size,
    contentType: a.mimeType ?? 'application/octet-stream',
    visibility: place.visibility,
    commentId: place.commentId,
    ...(a.created && !Number.isNaN(Date.parse(a.created)) ? { createdAt: new Date(a.created).toISOString() } : {}),
    marker: parsed.marker,
  };
}

export class JiraFiles {
  /** Attachment id → media id (fixed for a file's life, so learnt once). */
  private readonly mediaIdOf = new Map<string, string>();
  private settingsReadAt = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly client: JiraClient,
    private readonly systemName: string,
    readonly limits: AttachmentLimits,
    private readonly now: () => number,
    private readonly logger: Logger,
  ) {}

  /** Reads the site's `uploadLimit` into the declared limits (so the plan refuses before uploading). */
  async refreshLimits(): Promise<void> {
    if (this.now() - this.settingsReadAt < SETTINGS_TTL_MS) return;
    const settings = await this.client.attachmentSettings();
    this.settingsReadAt = this.now();
    this.limits.maxFileBytes =
      settings.enabled === false ? 0 : Math.min(settings.uploadLimit ?? JIRA_MAX_FILE_BYTES, JIRA_MAX_FILE_BYTES);
  }

  private async mediaId(attachmentId: string): Promise<string | undefined> {
    const known = this.mediaIdOf.get(attachmentId);
    if (known) return known;
    const found = MEDIA_ID.exec(await this.client.mediaLocation(attachmentId))?.[1];
    if (found) this.mediaIdOf.set(attachmentId, decodeURIComponent(found));
    return found === undefined ? undefined : decodeURIComponent(found);
  }

  /** The issue's files, each placed on the comment (or description) that shows it. */
  async list(issueId: string, comments: JiraComment[]): Promise<Attachment[]> {
    await this.refreshLimits();
    const issue = await this.client.issueFiles(issueId);
    const files = issue.fields.attachment ?? [];
    const shownBy = new Map<string, { commentId: string | null; visibility: Visibility }>();
    for (const id of mediaIds(issue.fields.description)) shownBy.set(id, { commentId: null, visibility: 'public' });
    for (const c of comments)
      for (const id of mediaIds(c.body)) shownBy.set(id, { commentId: c.id, visibility: commentVisibility(c) });
    const out: Attachment[] = [];
    for (const file of files) {
      // Without any media node nothing needs the media id (saves a call per file).
      const mediaId = shownBy.size === 0 ? undefined : await this.mediaId(file.id);
      const place = (mediaId === undefined ? undefined : shownBy.get(mediaId)) ?? {
        commentId: null,
        visibility: 'internal' as const,
      };
      out.push(toAttachment(file, place));
    }
    return out;
  }

  /** A fresh media link every time (they expire), then the bytes from it. */
  async download(issueId: string, attachment: Attachment): Promise<Readable> {
    try {
      return await this.client.downloadMedia(await this.client.mediaLocation(attachment.id));
    } catch (err) {
      if (err instanceof NotFoundError)
        throw new NotFoundError(`${this.systemName}: attachment ${attachment.id} on issue ${issueId} is gone`, {
          system: this.systemName,
        });
      throw err;
    }
  }

  /**
   * Attaches the file (tagged with its marker) and then shows it in a comment of the file's
   * visibility. Should the comment never be written (a crash between the two), the file stays on
   * the issue on no comment, which reads as internal: never more visible than meant.
   */
  async upload(
    issueId: string,
    file: NewAttachment,
    addComment: (body: AdfNode, internal: boolean) => Promise<{ id: string }>,
  ): Promise<Attachment> {
    const [uploaded] = await this.client.uploadAttachment(
      issueId,
      { fileName: tagFileName(file.name, file.marker), contentType: file.contentType, sizeBytes: file.sizeBytes },
      file.content,
    );
    if (!uploaded)
      throw new PayloadError(`${this.systemName} answered an attachment upload without the file`, {
        system: this.systemName,
      });
    const mediaId = await this.mediaId(uploaded.id);
    if (mediaId === undefined)
      throw new PayloadError(`${this.systemName} gave no media id for attachment ${uploaded.id}`, {
        system: this.systemName,
      });
    try {
      const comment = await addComment(
        commentWithFile(file.note, file.marker, mediaId),
        file.visibility === 'internal',
      );
      return toAttachment(uploaded, { commentId: comment.id, visibility: file.visibility });
    } catch (err) {
      // The file is on the issue already: a refused comment must not read as a refused file (the
      // engine would announce it as not copied). It stays on no comment, which reads as internal.
      if (!(err instanceof RemoteValidationError)) throw err;
      this.logger.warn(
        { system: this.systemName, ticketId: issueId, attachmentId: uploaded.id, err: err.message },
        'file attached but its comment was refused; it stays internal',
      );
      return toAttachment(uploaded, { commentId: null, visibility: 'internal' });
    }
  }
}
