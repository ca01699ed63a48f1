// The Freshservice API v2 calls the connector makes, through the core HTTP client and the
// system's queue: Basic auth with the API key, `Link` paging, the vendor's error bodies turned into
// messages naming the field, and a slowdown before the account's per-minute budget runs out.
import type { Readable } from 'node:stream';
import FormData from 'form-data';
import {
  createHttpClient,
  basicAuth,
  type HttpClient,
  type HttpRequest,
  type HttpResponse,
  type RemoteErrorDetails,
} from '../../core/http.js';
import type { SystemQueue } from '../../core/queue.js';
import type { Logger } from '../../core/types.js';
import { PayloadError } from '../../core/errors.js';
import {
  FsAgentEnvelope,
  FsAgentList,
  FsConversationEnvelope,
  FsConversationList,
  FsErrorBody,
  FsFilterResult,
  FsFormFields,
  FsGroupList,
  FsRequesterEnvelope,
  FsTicketEnvelope,
  FsTicketList,
  type FsAgent,
  type FsConversation,
  type FsFormField,
  type FsGroup,
  type FsRequester,
} from './schema.js';
import type { z } from 'zod';

export interface FreshserviceClientOptions {
  system: string;
  baseUrl: string;
  apiKey: string;
  queue: SystemQueue;
  logger: Logger;
  timeoutMs?: number | undefined;
  /** Window the X-Ratelimit-* headers count in. @default 60000 */
  rateWindowMs?: number | undefined;
}

/**
 * Credits one call costs on Freshservice (D§rate-limit, "embedding"): 1, plus 2 per include on a
 * ticket listing and 1 per include on a ticket view (`conversations` counts twice: it is two calls).
 */
export function creditsFor(method: string, path: string, include: string | undefined): number {
  const includes = (include ?? '').split(',').filter((s) => s.trim() !== '');
  if (method.toUpperCase() !== 'GET') return 1;
  if (/^\/api\/v2\/tickets\/?$/.test(path)) return 1 + 2 * includes.length;
  if (/^\/api\/v2\/tickets\/\d+\/?$/.test(path))
    return 1 + includes.length + (includes.includes('conversations') ? 1 : 0);
  return 1;
}

/** Pulls `Validation failed: field: message (code)` out of a Freshservice error body. */
export function describeFreshserviceError(_status: number, data: unknown): RemoteErrorDetails | undefined {
  const parsed = FsErrorBody.safeParse(data);
  if (!parsed.success) return undefined;
  const body = parsed.data;
  const first = body.errors?.find((e) => e.field !== undefined && e.field !== '');
  if (body.errors && body.errors.length > 0) {
    const parts = body.errors.map(
      (e) => `${e.field ? `${e.field}: ` : ''}${e.message ?? ''}${e.code ? ` (${e.code})` : ''}`,
    );
    const message = `${body.description ?? 'Validation failed'}: ${parts.join('; ')}`;
    return first?.field ? { message, field: first.field } : { message };
  }
  const message = body.message ?? body.description ?? body.code;
  return message ? { message } : undefined;
}

/** The `rel="next"` URL of a Link header, if any. */
export function nextLink(header: string | undefined): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(',')) {
    const m = /<([^>]+)>\s*;\s*rel="?next"?/i.exec(part);
    if (m) return m[1];
  }
  return undefined;
}

function parse<T>(schema: z.ZodType<T>, data: unknown, what: string, system: string): T {
  const result = schema.safeParse(data);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  throw new PayloadError(
    `${system} returned an unexpected ${what}: ${issue ? `${issue.path.join('.')}: ${issue.message}` : 'invalid'}`,
    { system },
  );
}

/** Keeps conversation listings under a per-minute budget (they are the dominant API cost). */
export class ConversationBudget {
  private readonly calls: number[] = [];
  constructor(
    private readonly perMinute: number | undefined,
    private readonly now: () => number,
  ) {}

  async take(): Promise<void> {
    if (this.perMinute === undefined) return;
    for (;;) {
      const cutoff = this.now() - 60_000;
      while (this.calls.length > 0 && this.calls[0]! <= cutoff) this.calls.shift();
      if (this.calls.length < this.perMinute) break;
      const waitMs = this.calls[0]! + 60_000 - this.now() + 1;
      await new Promise((resolve) => setTimeout(resolve, Math.max(1, waitMs)));
    }
    this.calls.push(this.now());
  }
}

export type ListParams = Record<string, string | number | undefined>;

export class FreshserviceClient {
  private readonly http: HttpClient;
  /** The attachment CDN: pre-signed URLs, no credentials. */
  private readonly cdn: HttpClient;
  private readonly system: string;

  constructor(options: FreshserviceClientOptions) {
    this.system = options.system;
    const windowMs = options.rateWindowMs ?? 60_000;
    this.http = createHttpClient({
      system: options.system,
      baseURL: options.baseUrl.replace(/\/+$/, ''),
      queue: options.queue,
      logger: options.logger,
      headers: {
        Authorization: basicAuth(options.apiKey, 'X'),
        Accept: 'application/json',
        'Content-Type': 'application/json',
      },
      ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
      describeError: describeFreshserviceError,
      // What the account has left (other apps spend the same credits) paces the queue to the
      // window's restart: the flow slows down evenly rather than stopping when the window runs dry.
      onResponse: (response) => {
        const total = Number(response.headers['x-ratelimit-total']);
        const remaining = Number(response.headers['x-ratelimit-remaining']);
        options.queue.observeWindow(remaining, total, windowMs);
      },
    });
    this.cdn = createHttpClient({
      system: options.system,
      baseURL: '',
      queue: options.queue,
      logger: options.logger,
      headers: {},
      ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
    });
  }

  /**
   * One call, queued at the credits it costs (an absolute `Link` URL costs like its path); the
   * system's budget settles the estimate with what Freshservice charged
   * (`X-Ratelimit-Used-CurrentRequest`).
   */
  private async send<T = unknown>(request: HttpRequest): Promise<HttpResponse<T>> {
    const url = new URL(request.url, 'http://x');
    const include = request.params?.include ?? url.searchParams.get('include') ?? undefined;
    const cost = creditsFor(request.method, url.pathname, typeof include === 'string' ? include : undefined);
    return this.http.request<T>({ ...request, cost });
  }

  /** Every page of a ticket listing (`/tickets` with its params), following `Link: rel="next"`. */
  async *listTicketPages(params: ListParams): AsyncIterable<unknown[]> {
    let url: string | undefined = '/api/v2/tickets';
    let query: ListParams | undefined = params;
    while (url) {
      const res: HttpResponse = await this.send({ method: 'GET', url, ...(query ? { params: query } : {}) });
      yield parse(FsTicketList, res.data, 'ticket list', this.system).tickets;
      url = nextLink(res.headers.link);
      query = undefined;
    }
  }

  /** One page of `/tickets/filter`; the query is wrapped in double quotes as the API requires. */
  async filterTickets(
    query: string,
    page: number,
    workspaceId?: number,
  ): Promise<{ tickets: unknown[]; total: number | undefined }> {
    const res = await this.send({
      method: 'GET',
      url: '/api/v2/tickets/filter',
      params: { query: `"${query}"`, page, ...(workspaceId === undefined ? {} : { workspace_id: workspaceId }) },
    });
    const body = parse(FsFilterResult, res.data, 'filter result', this.system);
    return { tickets: body.tickets, total: body.total };
  }

  async getTicket(id: string, include: string): Promise<unknown> {
    const res = await this.send({
      method: 'GET',
      url: `/api/v2/tickets/${encodeURIComponent(id)}`,
      ...(include === '' ? {} : { params: { include } }),
    });
    return parse(FsTicketEnvelope, res.data, 'ticket', this.system).ticket;
  }

  async createTicket(body: Record<string, unknown>): Promise<unknown> {
    const res = await this.send({ method: 'POST', url: '/api/v2/tickets', data: body });
    return parse(FsTicketEnvelope, res.data, 'ticket', this.system).ticket;
  }

  async updateTicket(id: string, body: Record<string, unknown>): Promise<unknown> {
    const res = await this.send({
      method: 'PUT',
      url: `/api/v2/tickets/${encodeURIComponent(id)}`,
      data: body,
    });
    return parse(FsTicketEnvelope, res.data, 'ticket', this.system).ticket;
  }

  /** Every conversation of a ticket, page by page (`beforePage` runs before each call: the budget). */
  async listConversations(id: string, beforePage: () => Promise<void>): Promise<FsConversation[]> {
    const out: FsConversation[] = [];
    const perPage = 100;
    for (let page = 1; ; page++) {
      await beforePage();
      const res = await this.send({
        method: 'GET',
        url: `/api/v2/tickets/${encodeURIComponent(id)}/conversations`,
        params: { page, per_page: perPage },
      });
      const list = parse(FsConversationList, res.data, 'conversation list', this.system).conversations;
      out.push(...list);
      if (list.length < perPage && !nextLink(res.headers.link)) break;
      if (list.length === 0) break;
    }
    return out;
  }

  async addNote(id: string, body: { body: string; private: boolean }): Promise<FsConversation> {
    const res = await this.send({
      method: 'POST',
      url: `/api/v2/tickets/${encodeURIComponent(id)}/notes`,
      data: body,
    });
    return parse(FsConversationEnvelope, res.data, 'conversation', this.system).conversation;
  }

  /**
   * A private or public note carrying one file, as one multipart request streamed from `content`
   * (`attachments[]`, D§create-a-note…). Sent once: a stream cannot be replayed.
   */
  async addNoteWithFile(
    id: string,
    note: { body: string; private: boolean },
    file: { fileName: string; contentType: string; sizeBytes: number },
    content: Readable,
  ): Promise<FsConversation> {
    const form = new FormData();
    form.append('body', note.body);
    form.append('private', String(note.private));
    form.append('attachments[]', content, {
      filename: file.fileName,
      contentType: file.contentType,
      knownLength: file.sizeBytes,
    });
    const res = await this.send({
      method: 'POST',
      url: `/api/v2/tickets/${encodeURIComponent(id)}/notes`,
      data: form,
      headers: { ...form.getHeaders(), 'Content-Length': String(form.getLengthSync()) },
      retry: false,
    });
    return parse(FsConversationEnvelope, res.data, 'conversation', this.system).conversation;
  }

  /**
   * A file's bytes from its pre-signed `attachment_url`, streamed. The CDN takes no API key (and
   * refuses a second auth mechanism), so the request goes out without the Authorization header.
   */
  async download(url: string): Promise<Readable> {
    const res = await this.cdn.request<Readable>({ method: 'GET', url, responseType: 'stream' });
    return res.data;
  }

  async formFields(workspaceId?: number): Promise<FsFormField[]> {
    const res = await this.send({
      method: 'GET',
      url: '/api/v2/ticket_form_fields',
      ...(workspaceId === undefined ? {} : { params: { workspace_id: workspaceId } }),
    });
    return parse(FsFormFields, res.data, 'ticket form fields', this.system).ticket_fields;
  }

  async groups(): Promise<FsGroup[]> {
    const out: FsGroup[] = [];
    let url: string | undefined = '/api/v2/groups';
    let params: ListParams | undefined = { per_page: 100 };
    while (url) {
      const res: HttpResponse = await this.send({ method: 'GET', url, ...(params ? { params } : {}) });
      out.push(...parse(FsGroupList, res.data, 'group list', this.system).groups);
      url = nextLink(res.headers.link);
      params = undefined;
    }
    return out;
  }

  /** The account's agents: the people tickets can be assigned to (responder_id). */
  async agents(): Promise<FsAgent[]> {
    const out: FsAgent[] = [];
    let url: string | undefined = '/api/v2/agents';
    let params: ListParams | undefined = { per_page: 100 };
    while (url) {
      const res: HttpResponse = await this.http.request({ method: 'GET', url, ...(params ? { params } : {}) });
      out.push(...parse(FsAgentList, res.data, 'agent list', this.system).agents);
      url = nextLink(res.headers.link);
      params = undefined;
    }
    return out;
  }

  /** A requester's (or, failing that, an agent's) e-mail; null when neither exists. */
  async userEmail(id: number): Promise<string | null> {
    const res = await this.send({ method: 'GET', url: `/api/v2/requesters/${id}`, acceptStatus: [404] });
    if (res.status !== 404) {
      const r = parse(FsRequesterEnvelope, res.data, 'requester', this.system).requester;
      return r.primary_email ?? r.email ?? null;
    }
    const agent = await this.send({ method: 'GET', url: `/api/v2/agents/${id}`, acceptStatus: [404] });
    if (agent.status === 404) return null;
    const a = parse(FsAgentEnvelope, agent.data, 'agent', this.system).agent;
    return a.email ?? a.primary_email ?? null;
  }

  /**
   * A person's display name ("First Last") by user id: agents first (notes are mostly theirs),
   * then requesters; null when neither knows the id (e.g. a deleted user).
   */
  async userName(id: number): Promise<string | null> {
    const full = (p: FsRequester): string | null =>
      [p.first_name, p.last_name].filter((x): x is string => typeof x === 'string' && x.trim() !== '').join(' ') ||
      null;
    const agent = await this.send({ method: 'GET', url: `/api/v2/agents/${id}`, acceptStatus: [404] });
    if (agent.status !== 404) return full(parse(FsAgentEnvelope, agent.data, 'agent', this.system).agent);
    const requester = await this.send({ method: 'GET', url: `/api/v2/requesters/${id}`, acceptStatus: [404] });
    if (requester.status === 404) return null;
    return full(parse(FsRequesterEnvelope, requester.data, 'requester', this.system).requester);
  }

  /** A cheap authenticated call that proves ticket read access. */
  async ping(): Promise<void> {
    await this.send({
      method: 'GET',
      url: '/api/v2/tickets',
      params: { per_page: 1, updated_since: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z') },
    });
  }
}
