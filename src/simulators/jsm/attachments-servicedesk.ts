// JSM's own way to attach files, which always rides on a comment of a chosen visibility:
// `POST /servicedesk/{id}/attachTemporaryFile` (multipart, XSRF opt-out header required) holds
// the files, then `POST /request/{id}/attachment` with `temporaryAttachmentIds`, `public` and an
// optional `additionalComment` puts them on the request with one comment, public or internal
// (servicedeskapi spec: attachTemporaryFile, createAttachment, AttachmentCreateDTO,
// AttachmentCreateResultDTO). The comment shows the files through ADF media nodes, as Jira
// Cloud stores it. Harsher readings: temporary files expire after an hour and serve one request.
import { randomBytes } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { AdfNode } from './adf.js';
import { JIRA_MAX_FILES_PER_REQUEST, XSRF_FAILED, type JiraAttachments, type JiraFileRec } from './attachments.js';
import { dateDto, type Renderer } from './render.js';
import { jsmError, paged } from './routes-servicedesk.js';
import type { IssueRecord, JiraStore } from './store.js';

const TEMPORARY_TTL_MS = 60 * 60_000;

interface Deps {
  store: JiraStore;
  render: Renderer;
  files: JiraAttachments;
  actor: (request: FastifyRequest) => string;
  base: () => string;
}

/** `AttachmentDTO`: the servicedeskapi view of a file. */
function attachmentDto(deps: Deps, rec: JiraFileRec): Record<string, unknown> {
  const base = deps.base();
  return {
    filename: rec.file.name,
    author: deps.render.userDto(rec.author),
    created: dateDto(rec.created),
    size: rec.file.sizeBytes,
    mimeType: rec.file.contentType,
    _links: {
      self: `${base}/rest/servicedeskapi/request/${rec.issueId}/attachment/${rec.id}`,
      jiraRest: `${base}/rest/api/2/attachment/${rec.id}`,
      content: `${base}/rest/api/3/attachment/content/${rec.id}`,
    },
  };
}

/** The comment JSM writes for attached files: the additional text, then the files as media nodes. */
function commentBody(text: string, files: JiraFileRec[]): AdfNode {
  const content: AdfNode[] = [];
  if (text.trim() !== '') content.push({ type: 'paragraph', content: [{ type: 'text', text }] });
  content.push({
    type: 'mediaGroup',
    content: files.map((f) => ({ type: 'media', attrs: { id: f.mediaId, type: 'file', collection: '' } })),
  });
  return { version: 1, type: 'doc', content };
}

export function registerServiceDeskAttachmentRoutes(app: FastifyInstance, deps: Deps): void {
  const { store, files, actor } = deps;
  const temporary = files.temporary;
  const notFound = (reply: FastifyReply): FastifyReply =>
    jsmError(
      reply,
      404,
      'Request does not exist or you do not have permission to see it.',
      'sd.request.error.not.found',
    );

  const requestOf = (request: FastifyRequest): IssueRecord | undefined => {
    const issue = store.issue((request.params as { issueIdOrKey: string }).issueIdOrKey);
    return issue && store.projectOf(issue).serviceDesk ? issue : undefined;
  };

  app.post('/rest/servicedeskapi/servicedesk/:serviceDeskId/attachTemporaryFile', async (request, reply) => {
    if (String(request.headers['x-atlassian-token'] ?? '').toLowerCase() !== 'no-check') {
      request.raw.resume();
      return reply.code(403).type('text/plain').send(XSRF_FAILED);
    }
    const desk = store.serviceDesk((request.params as { serviceDeskId: string }).serviceDeskId);
    if (!desk) {
      request.raw.resume();
      return jsmError(reply, 404, 'The service desk does not exist.', 'sd.servicedesk.error.not.found');
    }
    const limit = files.settings.uploadLimit;
    const parsed = await files.files.parse(request, { maxFileBytes: limit, maxFiles: JIRA_MAX_FILES_PER_REQUEST + 1 });
    const discard = (): void => parsed.files.forEach((f) => files.files.drop(f.key));
    if (parsed.tooLarge.length > 0) {
      discard();
      return jsmError(
        reply,
        400,
        `The file '${parsed.tooLarge[0]}' exceeds the maximum attachment size of ${limit} bytes.`,
        'sd.attachment.error.too.large',
      );
    }
    if (parsed.files.length > JIRA_MAX_FILES_PER_REQUEST) {
      discard();
      return jsmError(reply, 413, `At most ${JIRA_MAX_FILES_PER_REQUEST} files can be attached at once.`);
    }
    const held = parsed.files.filter((f) => f.field === 'file');
    for (const f of parsed.files.filter((f) => f.field !== 'file')) files.files.drop(f.key);
    const temporaryAttachments = held.map((file) => {
      const id = `temp${randomBytes(8).readBigUInt64BE().toString()}`;
      temporary.set(id, { file, projectId: desk.id, expires: store.now() + TEMPORARY_TTL_MS });
      return { temporaryAttachmentId: id, fileName: file.name };
    });
    return reply.code(201).send({ temporaryAttachments });
  });

  app.post('/rest/servicedeskapi/request/:issueIdOrKey/attachment', async (request, reply) => {
    const issue = requestOf(request);
    if (!issue) return notFound(reply);
    const body = (request.body ?? {}) as {
      temporaryAttachmentIds?: unknown;
      public?: unknown;
      additionalComment?: { body?: unknown };
    };
    if (typeof body.public !== 'boolean')
      return jsmError(
        reply,
        400,
        "The 'public' field is required and must be true or false.",
        'sd.attachment.error.public.required',
      );
    const ids = Array.isArray(body.temporaryAttachmentIds) ? body.temporaryAttachmentIds : [];
    const found = ids.map((id) => (typeof id === 'string' ? temporary.get(id) : undefined));
    if (ids.length === 0 || found.some((t) => !t || t.expires < store.now() || t.projectId !== issue.projectId))
      return jsmError(
        reply,
        400,
        'One or more temporary attachments could not be found.',
        'sd.attachment.error.temporary.not.found',
      );
    for (const id of ids) temporary.delete(id as string);
    const author = actor(request);
    const attached = found.map((t) => files.attach(issue, t!.file, author));
    const text = typeof body.additionalComment?.body === 'string' ? body.additionalComment.body : '';
    const comment = store.addComment(issue, {
      body: commentBody(text, attached),
      author,
      jsdPublic: body.public,
      properties: [['sd.public.comment', { internal: !body.public }]],
    });
    const values = attached.map((rec) => attachmentDto(deps, rec));
    return reply.code(201).send({
      comment: deps.render.commentDto(comment),
      attachments: paged(
        `${deps.base()}/rest/servicedeskapi/request/${issue.id}/attachment`,
        values,
        0,
        values.length || 1,
      ),
    });
  });

  app.get('/rest/servicedeskapi/request/:issueIdOrKey/attachment', async (request, reply) => {
    const issue = requestOf(request);
    if (!issue) return notFound(reply);
    const q = request.query as Record<string, string | undefined>;
    const start = Math.max(0, Number(q.start ?? 0) || 0);
    const limit = Math.min(Math.max(1, Number(q.limit ?? 50) || 50), 100);
    const values = files.onIssue(issue.id).map((rec) => attachmentDto(deps, rec));
    return paged(`${deps.base()}/rest/servicedeskapi/request/${issue.id}/attachment`, values, start, limit);
  });
}
