// Jira Cloud attachments: `POST /rest/api/3/issue/{id}/attachments` (multipart, part `file`, up to
// 60 files, refused without `X-Atlassian-Token: no-check`), metadata (`GET /attachment/{id}`),
// the site's settings (`GET /attachment/meta`: enabled, uploadLimit) and content
// (`GET /attachment/content/{id}`), all from the platform spec (getAttachmentContent,
// addAttachment, getAttachment, getAttachmentMeta). Content answers 303 to the media store, as
// Jira does; the harsher reading of what the spec leaves open: the media URL names the file's
// media id (`/file/{uuid}/binary`, the id ADF `media` nodes carry, never the numeric attachment
// id), its token expires in 5 minutes, and the media store refuses a request that also carries
// the site's Authorization header. A file over `uploadLimit` answers 413 and keeps nothing.
import { createHmac, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { FileStore, type HeldFile } from '../common/files.js';
import { jiraTime, type Renderer } from './render.js';
import type { IssueRecord, JiraStore } from './store.js';

/** The simulator's default `uploadLimit` (Jira Cloud's ceiling is 2 GB; sites often set less). */
export const JIRA_DEFAULT_UPLOAD_LIMIT = 2 * 1024 * 1024 * 1024;
/** Files one request may carry (addAttachment 413: "more than 60 files are requested"). */
export const JIRA_MAX_FILES_PER_REQUEST = 60;
/** How long a media-store link stays valid (assumed; the spec only says "see the Location header"). */
export const JIRA_MEDIA_TTL_MS = 5 * 60_000;
/** Jira's answer to a state-changing request without the XSRF opt-out header. */
export const XSRF_FAILED = 'XSRF check failed';

export interface JiraFileRec {
  id: number;
  issueId: number;
  /** The media-services id ADF `media` nodes refer to. */
  mediaId: string;
  file: HeldFile;
  author: string;
  created: number;
}

export const AttachmentSettingsBody = z.strictObject({
  enabled: z.boolean().optional(),
  uploadLimit: z.number().int().min(1).optional(),
});

export class JiraAttachments {
  readonly files = new FileStore();
  readonly records = new Map<number, JiraFileRec>();
  private readonly byMedia = new Map<string, JiraFileRec>();
  /** Files held by attachTemporaryFile until a request takes them (servicedeskapi). */
  readonly temporary = new Map<string, { file: HeldFile; projectId: string; expires: number }>();
  private readonly secret = randomBytes(16).toString('hex');
  settings = { enabled: true, uploadLimit: JIRA_DEFAULT_UPLOAD_LIMIT };
  private nextId = 10_000;

  constructor(
    private readonly store: JiraStore,
    private readonly render: Renderer,
    private readonly base: () => string,
  ) {}

  reset(): void {
    this.temporary.clear();
    this.records.clear();
    this.byMedia.clear();
    this.files.clear();
    this.settings = { enabled: true, uploadLimit: JIRA_DEFAULT_UPLOAD_LIMIT };
    this.nextId = 10_000;
  }

  onIssue(issueId: number): JiraFileRec[] {
    return [...this.records.values()].filter((r) => r.issueId === issueId);
  }

  /** Drops the files of a deleted issue. */
  dropIssue(issueId: number): void {
    for (const rec of this.onIssue(issueId)) this.remove(rec);
  }

  private remove(rec: JiraFileRec): void {
    this.records.delete(rec.id);
    this.byMedia.delete(rec.mediaId);
    this.files.drop(rec.file.key);
  }

  /** Holds a file on an issue, notes it in the changelog (so `updated` moves) and returns it. */
  attach(issue: IssueRecord, file: HeldFile, author: string): JiraFileRec {
    const rec: JiraFileRec = {
      id: this.nextId++,
      issueId: issue.id,
      mediaId: randomUUID(),
      file,
      author,
      created: this.store.now(),
    };
    this.records.set(rec.id, rec);
    this.byMedia.set(rec.mediaId, rec);
    this.store.noteAttachment(issue, { id: rec.id, filename: file.name }, author);
    return rec;
  }

  /** A file a person attached in the UI (tests, seeding). */
  put(issue: IssueRecord, name: string, contentType: string, bytes: Buffer, author: string): JiraFileRec {
    return this.attach(issue, this.files.put(name, contentType, bytes), author);
  }

  /** The `Attachment` shape of addAttachment's answer and of `fields.attachment`. */
  renderAttachment(rec: JiraFileRec): Record<string, unknown> {
    return {
      self: `${this.base()}/rest/api/3/attachment/${rec.id}`,
      id: String(rec.id),
      filename: rec.file.name,
      author: this.render.user(rec.author),
      created: jiraTime(rec.created),
      size: rec.file.sizeBytes,
      mimeType: rec.file.contentType,
      content: `${this.base()}/rest/api/3/attachment/content/${rec.id}`,
    };
  }

  /** `AttachmentMetadata` (getAttachment): the id is a number here, the author a `User`. */
  renderMetadata(rec: JiraFileRec): Record<string, unknown> {
    const author = this.render.user(rec.author) ?? {};
    return {
      id: rec.id,
      self: `${this.base()}/rest/api/3/attachment/${rec.id}`,
      filename: rec.file.name,
      author,
      created: jiraTime(rec.created),
      size: rec.file.sizeBytes,
      mimeType: rec.file.contentType,
      content: `${this.base()}/rest/api/3/attachment/content/${rec.id}`,
    };
  }

  private signature(mediaId: string, expires: number): string {
    return createHmac('sha256', this.secret).update(`${mediaId}:${expires}`).digest('hex');
  }

  /** The media-store link content redirects to (short-lived, self-contained, no site credentials). */
  mediaUrl(rec: JiraFileRec): string {
    const expires = this.store.now() + JIRA_MEDIA_TTL_MS;
    const token = `${expires}.${this.signature(rec.mediaId, expires)}`;
    return `${this.base()}/media/file/${rec.mediaId}/binary?token=${token}&client=${this.secret.slice(0, 8)}&name=${encodeURIComponent(rec.file.name)}&max-age=${JIRA_MEDIA_TTL_MS / 1000}`;
  }

  private validToken(mediaId: string, token: string): 'ok' | 'bad' | 'expired' {
    const [expiresText = '', sig = ''] = token.split('.');
    const expires = Number(expiresText);
    const given = Buffer.from(sig);
    const expected = Buffer.from(this.signature(mediaId, expires));
    if (!Number.isFinite(expires) || given.length !== expected.length || !timingSafeEqual(given, expected))
      return 'bad';
    return this.store.now() > expires ? 'expired' : 'ok';
  }

  byMediaId(mediaId: string): JiraFileRec | undefined {
    return this.byMedia.get(mediaId);
  }

  get(id: string): JiraFileRec | undefined {
    return /^\d+$/.test(id) ? this.records.get(Number(id)) : undefined;
  }

  /** Parses an upload; answers the vendor's error itself and returns undefined when refused. */
  async upload(
    request: FastifyRequest,
    reply: FastifyReply,
    issue: IssueRecord,
    author: string,
  ): Promise<FastifyReply> {
    const limit = this.settings.uploadLimit;
    const parsed = await this.files.parse(request, { maxFileBytes: limit, maxFiles: JIRA_MAX_FILES_PER_REQUEST + 1 });
    const discard = (): void => parsed.files.forEach((f) => this.files.drop(f.key));
    if (parsed.tooLarge.length > 0) {
      discard();
      return reply.code(413).send({
        errorMessages: [
          `The file '${parsed.tooLarge[0]}' is too large to attach: the attachment size limit is ${limit} bytes.`,
        ],
        errors: {},
      });
    }
    if (parsed.files.length > JIRA_MAX_FILES_PER_REQUEST) {
      discard();
      return reply
        .code(413)
        .send({ errorMessages: [`At most ${JIRA_MAX_FILES_PER_REQUEST} files can be attached at once.`], errors: {} });
    }
    // Only parts named `file` are attachments (addAttachment); anything else is ignored.
    for (const f of parsed.files.filter((f) => f.field !== 'file')) this.files.drop(f.key);
    const held = parsed.files.filter((f) => f.field === 'file');
    return reply.code(200).send(held.map((f) => this.renderAttachment(this.attach(issue, f, author))));
  }

  /** The media store behind content's 303: a valid unexpired token, and no Authorization header. */
  registerMediaStore(app: FastifyInstance): void {
    app.get('/media/file/:mediaId/binary', async (request, reply) => {
      const { mediaId } = request.params as { mediaId: string };
      const token = (request.query as Record<string, string | undefined>).token ?? '';
      const denied = (status: number, message: string): FastifyReply =>
        reply.code(status).send({ error: message, statusCode: status });
      if (request.headers.authorization !== undefined)
        return denied(400, 'Authorization header not allowed with a token');
      const verdict = this.validToken(mediaId, token);
      if (verdict === 'bad') return denied(401, 'Invalid token');
      if (verdict === 'expired') return denied(401, 'Token expired');
      const rec = this.byMedia.get(mediaId);
      if (!rec) return denied(404, 'File not found');
      void reply.header('content-type', rec.file.contentType);
      void reply.header('content-length', String(rec.file.sizeBytes));
      return reply.send(this.files.open(rec.file.key));
    });
  }

  /** Removes a file (removeAttachment) and notes it in the changelog. */
  delete(rec: JiraFileRec, author: string): void {
    const issue = this.store.issues.get(rec.issueId);
    this.remove(rec);
    if (issue) this.store.noteAttachment(issue, { id: rec.id, filename: rec.file.name, removed: true }, author);
  }
}

interface AttachmentDeps {
  store: JiraStore;
  files: JiraAttachments;
  actor: (request: FastifyRequest) => string;
}

function jiraError(reply: FastifyReply, status: number, message: string): FastifyReply {
  return reply.code(status).send({ errorMessages: [message], errors: {} });
}

const NOT_FOUND = 'The attachment with id does not exist or you do not have permission to see it.';

/** The platform attachment routes and the media store. */
export function registerAttachmentRoutes(app: FastifyInstance, deps: AttachmentDeps): void {
  const { store, files, actor } = deps;

  app.post('/rest/api/3/issue/:issueIdOrKey/attachments', async (request, reply) => {
    const token = String(request.headers['x-atlassian-token'] ?? '').toLowerCase();
    // Refused before the body is read, as Jira's XSRF filter does; the body is drained.
    const refuse = (status: number, body: unknown, type = 'application/json'): FastifyReply => {
      request.raw.resume();
      return reply.code(status).type(type).send(body);
    };
    if (token !== 'no-check') return refuse(403, XSRF_FAILED, 'text/plain');
    const { issueIdOrKey } = request.params as { issueIdOrKey: string };
    const issue = store.issue(issueIdOrKey);
    if (!issue)
      return refuse(404, {
        errorMessages: ['Issue does not exist or you do not have permission to see it.'],
        errors: {},
      });
    if (!files.settings.enabled)
      return refuse(403, { errorMessages: ['Attachments are disabled on this site.'], errors: {} });
    if (!String(request.headers['content-type'] ?? '').startsWith('multipart/form-data'))
      return refuse(415, { errorMessages: ['Unsupported Media Type: multipart/form-data is required.'], errors: {} });
    return files.upload(request, reply, issue, actor(request));
  });

  app.get('/rest/api/3/attachment/meta', async () => ({ ...files.settings }));

  app.get('/rest/api/3/attachment/:id', async (request, reply) => {
    const rec = files.get((request.params as { id: string }).id);
    if (!rec || !files.settings.enabled) return jiraError(reply, 404, NOT_FOUND);
    return files.renderMetadata(rec);
  });

  app.delete('/rest/api/3/attachment/:id', async (request, reply) => {
    const rec = files.get((request.params as { id: string }).id);
    if (!rec) return jiraError(reply, 404, NOT_FOUND);
    files.delete(rec, actor(request));
    return reply.code(204).send();
  });

  app.get('/rest/api/3/attachment/content/:id', async (request, reply) => {
    const rec = files.get((request.params as { id: string }).id);
    if (!rec || !files.settings.enabled) return jiraError(reply, 404, NOT_FOUND);
    if ((request.query as Record<string, unknown>).redirect === 'false') {
      void reply.header('content-type', rec.file.contentType);
      void reply.header('content-length', String(rec.file.sizeBytes));
      return reply.send(files.files.open(rec.file.key));
    }
    return reply.code(303).header('location', files.mediaUrl(rec)).send();
  });

  app.get('/__sim/attachment-settings', async () => ({ ...files.settings }));
  app.put('/__sim/attachment-settings', async (request, reply) => {
    const parsed = AttachmentSettingsBody.safeParse(request.body ?? {});
    if (!parsed.success)
      return reply.code(400).send({ error: 'body must be {"enabled"?: boolean, "uploadLimit"?: <bytes>}' });
    const { enabled, uploadLimit } = parsed.data;
    if (enabled !== undefined) files.settings.enabled = enabled;
    if (uploadLimit !== undefined) files.settings.uploadLimit = uploadLimit;
    return { ...files.settings };
  });

  files.registerMediaStore(app);
}
