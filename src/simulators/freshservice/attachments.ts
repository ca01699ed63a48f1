// Freshservice attachments: multipart `attachments[]` on ticket create/update and on notes and
// replies (D§attachments, D§create-a-note…), at most 40 MB per ticket, each listed as
// `{id, content_type, size, name, attachment_url, created_at, updated_at}` where `attachment_url`
// is a pre-signed CDN URL. The simulator serves those URLs itself and takes the harsher reading of
// what the docs leave open: the URL expires (5 minutes), and like S3 it refuses a request that
// also carries an Authorization header. Files live on disk (common/files.ts), never in memory.
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { FileStore, type HeldFile } from '../common/files.js';
import { isoSeconds } from './store.js';

/** Total size of a ticket's attachments (D§attachments: 40 MB; older docs and the SDK say 15 MB). */
export const FS_MAX_TICKET_BYTES = 40 * 1024 * 1024;
/** How long a signed attachment URL stays valid (assumed; the docs only say it is pre-signed). */
export const FS_URL_TTL_MS = 5 * 60_000;

export interface FsFileRec {
  id: number;
  ticketId: number;
  file: HeldFile;
  createdAt: number;
}

export interface MultipartUpload {
  fields: Record<string, unknown>;
  files: HeldFile[];
}

/** A multipart form's text parts as a JSON-like body: `x[]` parts become arrays, `true`/`false` booleans, digits numbers. */
function coerce(fields: Record<string, string>, raw: Record<string, string[]>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, values] of Object.entries(raw)) {
    if (name.endsWith('[]')) out[name.slice(0, -2)] = values;
  }
  for (const [name, value] of Object.entries(fields)) {
    if (name.endsWith('[]')) continue;
    out[name] = value === 'true' ? true : value === 'false' ? false : /^\d{1,15}$/.test(value) ? Number(value) : value;
  }
  return out;
}

export class FsAttachments {
  readonly files = new FileStore();
  private readonly records = new Map<number, FsFileRec>();
  private readonly onTicket = new Map<number, FsFileRec[]>();
  private readonly onConversation = new Map<number, FsFileRec[]>();
  private readonly uploads = new WeakMap<FastifyRequest, MultipartUpload>();
  private readonly secret = randomBytes(16).toString('hex');
  private nextId = 21_000_000_001;

  constructor(
    private readonly now: () => number,
    private readonly origin: () => string,
    private readonly maxTicketBytes: number,
  ) {}

  reset(): void {
    this.records.clear();
    this.onTicket.clear();
    this.onConversation.clear();
    this.files.clear();
  }

  /** Bytes already attached to a ticket (on it and on its conversations). */
  totalFor(ticketId: number): number {
    let total = 0;
    for (const r of this.records.values()) if (r.ticketId === ticketId) total += r.file.sizeBytes;
    return total;
  }

  /**
   * Parses a multipart request (create/update/note/reply) before its handler runs: the text parts
   * become the body the JSON handlers already validate, the files wait in `uploadOf`. A ticket
   * going over its total answers the vendor's validation error and keeps nothing.
   */
  async parse(
    request: FastifyRequest,
    reply: FastifyReply,
    ticketId: number | null,
  ): Promise<FastifyReply | undefined> {
    const budget = this.maxTicketBytes - (ticketId === null ? 0 : this.totalFor(ticketId));
    const raw: Record<string, string[]> = {};
    const parsed = await this.files.parse(request, { maxFileBytes: Math.max(budget, 0) }, (name, value) => {
      (raw[name] ??= []).push(value);
    });
    const total = parsed.files.reduce((sum, f) => sum + f.sizeBytes, 0);
    if (parsed.tooLarge.length > 0 || total > budget) {
      for (const f of parsed.files) this.files.drop(f.key);
      const name = parsed.tooLarge[0] ?? parsed.files[parsed.files.length - 1]?.name ?? '';
      return reply.code(400).send({
        description: 'Validation failed',
        errors: [
          {
            field: 'attachments',
            message: `${name}: the attachments of a ticket may total ${this.maxTicketBytes} bytes`,
            code: 'invalid_size',
          },
        ],
      });
    }
    const strays = parsed.files.filter((f) => f.field !== 'attachments[]');
    if (strays.length > 0) {
      for (const f of parsed.files) this.files.drop(f.key);
      return reply.code(400).send({
        description: 'Validation failed',
        errors: [{ field: strays[0]!.field, message: 'Unexpected/invalid field in request', code: 'invalid_field' }],
      });
    }
    request.body = coerce(parsed.fields, raw);
    this.uploads.set(request, { fields: parsed.fields, files: parsed.files });
    return undefined;
  }

  /** The files a multipart request brought; dropped when the handler refused the request. */
  uploadOf(request: FastifyRequest): HeldFile[] {
    return this.uploads.get(request)?.files ?? [];
  }

  discard(request: FastifyRequest): void {
    for (const f of this.uploadOf(request)) this.files.drop(f.key);
    this.uploads.delete(request);
  }

  private hold(ticketId: number, held: HeldFile[]): FsFileRec[] {
    return held.map((file) => {
      const rec: FsFileRec = { id: this.nextId++, ticketId, file, createdAt: this.now() };
      this.records.set(rec.id, rec);
      return rec;
    });
  }

  attachToTicket(ticketId: number, held: HeldFile[]): void {
    if (held.length === 0) return;
    this.onTicket.set(ticketId, [...(this.onTicket.get(ticketId) ?? []), ...this.hold(ticketId, held)]);
  }

  attachToConversation(conversationId: number, ticketId: number, held: HeldFile[]): void {
    if (held.length === 0) return;
    this.onConversation.set(conversationId, [
      ...(this.onConversation.get(conversationId) ?? []),
      ...this.hold(ticketId, held),
    ]);
  }

  /** A file a person attached in the UI (seeding). */
  put(name: string, contentType: string, bytes: Buffer): HeldFile {
    return this.files.put(name, contentType, bytes);
  }

  private signature(key: string, expires: number): string {
    return createHmac('sha256', this.secret).update(`${key}:${expires}`).digest('hex');
  }

  private url(rec: FsFileRec): string {
    const expires = this.now() + FS_URL_TTL_MS;
    const name = encodeURIComponent(rec.file.name);
    return `${this.origin()}/cdn/attachments/${rec.file.key}/${name}?X-Amz-Expires=${expires}&X-Amz-Signature=${this.signature(rec.file.key, expires)}`;
  }

  render(list: FsFileRec[] | undefined): Array<Record<string, unknown>> {
    return (list ?? []).map((rec) => ({
      id: rec.id,
      content_type: rec.file.contentType,
      size: rec.file.sizeBytes,
      name: rec.file.name,
      attachment_url: this.url(rec),
      created_at: isoSeconds(rec.createdAt),
      updated_at: isoSeconds(rec.createdAt),
    }));
  }

  ofTicket(ticketId: number): Array<Record<string, unknown>> {
    return this.render(this.onTicket.get(ticketId));
  }

  ofConversation(conversationId: number): Array<Record<string, unknown>> {
    return this.render(this.onConversation.get(conversationId));
  }

  /** The CDN behind `attachment_url`: no API key, a valid unexpired signature, no Authorization header. */
  registerCdn(app: FastifyInstance): void {
    app.get('/cdn/attachments/:key/:name', async (request, reply) => {
      const { key } = request.params as { key: string };
      const q = request.query as Record<string, string | undefined>;
      const denied = (code: string, message: string, status = 403): FastifyReply =>
        reply
          .code(status)
          .type('application/xml')
          .send(
            `<?xml version="1.0" encoding="UTF-8"?><Error><Code>${code}</Code><Message>${message}</Message></Error>`,
          );
      if (request.headers.authorization !== undefined)
        return denied('InvalidArgument', 'Only one auth mechanism allowed', 400);
      const expires = Number(q['X-Amz-Expires']);
      const given = Buffer.from(q['X-Amz-Signature'] ?? '');
      const expected = Buffer.from(this.signature(key, expires));
      if (given.length !== expected.length || !timingSafeEqual(given, expected))
        return denied('SignatureDoesNotMatch', 'The request signature we calculated does not match');
      if (this.now() > expires) return denied('AccessDenied', 'Request has expired');
      const file = this.files.get(key);
      if (!file) return denied('NoSuchKey', 'The specified key does not exist.', 404);
      void reply.header('content-type', file.contentType);
      void reply.header('content-length', String(file.sizeBytes));
      return reply.send(this.files.open(key));
    });
  }
}
