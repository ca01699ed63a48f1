// HTTP calls to ConnectWise Manage: codebase discovery, the auth/clientId/Accept headers, paging
// through `Link` headers, and one method per endpoint the connector uses. Every request goes
// through the core client (the system's queue, retries, error mapping).
import type { Readable } from 'node:stream';
import FormData from 'form-data';
import type { ConnectorContext } from '../../core/connector.js';
import { PayloadError } from '../../core/errors.js';
import {
  basicAuth,
  createHttpClient,
  type HttpClient,
  type HttpRequest,
  type RemoteErrorDetails,
} from '../../core/http.js';
import type { SystemConfig } from '../../mapping/schema.js';
import type { z } from 'zod';
import {
  CwBoard,
  CwBoardChild,
  CwBoardStatus,
  CwBoardTeam,
  CwCallbackEntry,
  CwCompanyInfo,
  CwDocument,
  CwErrorBody,
  CwMember,
  CwNote,
  CwPriority,
  CwUserDefinedField,
} from './schema.js';

export type CwSystemConfig = Extract<SystemConfig, { kind: 'connectwise' }>;

export const DEFAULT_API_VERSION = '2022.1';
export const MAX_PAGE_SIZE = 1000;

/** ConnectWise's message (and the field it names) from an error body. */
export function describeCwError(_status: number, data: unknown): RemoteErrorDetails | undefined {
  const parsed = CwErrorBody.safeParse(data);
  if (!parsed.success) return undefined;
  const body = parsed.data;
  const first = body.errors?.[0];
  const parts = [body.message, first?.message].filter((m): m is string => typeof m === 'string' && m !== '');
  if (parts.length === 0 && body.code === undefined && body.error === undefined) return undefined;
  const message = parts.length > 0 ? parts.join(': ') : (body.code ?? body.error ?? '');
  return first?.field ? { message, field: first.field } : { message };
}

/** The `rel="next"` target of a `Link` header, if any. */
export function nextLink(link: string | undefined): string | undefined {
  if (!link) return undefined;
  for (const part of link.split(',')) {
    const match = /<([^>]+)>\s*;\s*rel="?next"?/i.exec(part.trim());
    if (match) return match[1];
  }
  return undefined;
}

function parseWith<T>(schema: z.ZodType<T>, data: unknown, what: string, system: string): T {
  const result = schema.safeParse(data);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  throw new PayloadError(
    `${system} answered an unexpected ${what}: ${issue ? `${issue.path.join('.') || '(root)'}: ${issue.message}` : 'invalid'}`,
    { system },
  );
}

export class CwClient {
  private readonly http: HttpClient;
  private codebase: Promise<string> | undefined;
  readonly origin: string;

  constructor(private readonly ctx: ConnectorContext<CwSystemConfig>) {
    const { system } = ctx;
    this.origin = system.baseUrl.replace(/\/+$/, '');
    this.http = createHttpClient({
      system: ctx.systemName,
      baseURL: this.origin,
      queue: ctx.queue,
      logger: ctx.logger,
      headers: {
        Authorization: basicAuth(
          `${system.credentials.company}+${system.credentials.publicKey}`,
          system.credentials.privateKey,
        ),
        clientId: system.credentials.clientId,
        Accept: `application/vnd.connectwise.com+json; version=${system.options?.apiVersion ?? DEFAULT_API_VERSION}`,
        'Content-Type': 'application/json',
      },
      describeError: describeCwError,
      ...(system.timeoutMs === undefined ? {} : { timeoutMs: system.timeoutMs }),
    });
    if (system.options?.codebase) this.codebase = Promise.resolve(system.options.codebase);
  }

  /** The codebase path (`v4_6_release/`), from the options or discovered once via /login/companyinfo. */
  async resolveCodebase(): Promise<string> {
    if (!this.codebase) {
      const company = encodeURIComponent(this.ctx.system.credentials.company);
      this.codebase = this.http.request({ method: 'GET', url: `/login/companyinfo/${company}` }).then((response) => {
        const info = parseWith(CwCompanyInfo, response.data, 'companyinfo', this.ctx.systemName);
        return info.Codebase.endsWith('/') ? info.Codebase : `${info.Codebase}/`;
      });
      // A failed discovery is retried on the next call instead of being remembered.
      this.codebase.catch(() => {
        this.codebase = undefined;
      });
    }
    return this.codebase;
  }

  /** Absolute API base, e.g. `https://host/v4_6_release/apis/3.0`. */
  async apiBase(): Promise<string> {
    return `${this.origin}/${await this.resolveCodebase()}apis/3.0`;
  }

  async request<T = unknown>(
    request: HttpRequest,
  ): Promise<{ data: T; headers: Record<string, string>; status: number }> {
    const url = /^https?:\/\//.test(request.url) ? request.url : `${await this.apiBase()}${request.url}`;
    return this.http.request<T>({ ...request, url });
  }

  /**
   * Yields every item of a collection, page after page, following the `Link` header's next entry.
   * With `forwardOnly` the server pages by id (`pageId`), which stays stable while records change.
   */
  async *paginate(
    path: string,
    params: Record<string, string | number>,
    options: { forwardOnly?: boolean } = {},
  ): AsyncGenerator<unknown[]> {
    const pageSize = Number(params.pageSize ?? MAX_PAGE_SIZE);
    let request: HttpRequest | undefined = {
      method: 'GET',
      url: path,
      params: { ...params, pageSize },
      ...(options.forwardOnly ? { headers: { 'pagination-type': 'forward-only' } } : {}),
    };
    while (request) {
      const response: { data: unknown; headers: Record<string, string> } = await this.request(request);
      if (!Array.isArray(response.data))
        throw new PayloadError(`${this.ctx.systemName} answered a non-array page for ${path}`, {
          system: this.ctx.systemName,
        });
      const items: unknown[] = response.data;
      if (items.length > 0) yield items;
      const next = nextLink(response.headers.link);
      // A short page is the last one; forward-only answers an empty Link at the end.
      if (next === undefined || items.length === 0 || items.length < pageSize) break;
      request = {
        method: 'GET',
        url: next,
        ...(options.forwardOnly ? { headers: { 'pagination-type': 'forward-only' } } : {}),
      };
    }
  }

  async all<T>(path: string, schema: z.ZodType<T>, params: Record<string, string | number> = {}): Promise<T[]> {
    const out: T[] = [];
    for await (const page of this.paginate(path, params)) {
      for (const item of page) out.push(parseWith(schema, item, path, this.ctx.systemName));
    }
    return out;
  }

  async getTicket(id: string): Promise<unknown> {
    return (await this.request({ method: 'GET', url: `/service/tickets/${encodeURIComponent(id)}` })).data;
  }

  async createTicket(body: Record<string, unknown>): Promise<unknown> {
    return (await this.request({ method: 'POST', url: '/service/tickets', data: body })).data;
  }

  async patchTicket(id: string, ops: Array<{ op: string; path: string; value?: unknown }>): Promise<unknown> {
    return (await this.request({ method: 'PATCH', url: `/service/tickets/${encodeURIComponent(id)}`, data: ops })).data;
  }

  /** Documents on a ticket (`/system/documents` by recordType and recordId), every page. */
  async documents(ticketId: string): Promise<CwDocument[]> {
    return this.all('/system/documents', CwDocument, { recordType: 'Ticket', recordId: ticketId });
  }

  /** A document's bytes as a stream (`/system/documents/{id}/download`). */
  async download(documentId: string): Promise<Readable> {
    const response = await this.request<Readable>({
      method: 'GET',
      url: `/system/documents/${encodeURIComponent(documentId)}/download`,
      headers: { Accept: 'application/octet-stream' },
      responseType: 'stream',
    });
    return response.data;
  }

  /** Uploads a file onto a ticket as one multipart request streamed from `content`. */
  async uploadDocument(
    ticketId: string,
    file: { fileName: string; title: string; sizeBytes: number; contentType: string; privateFlag: boolean },
    content: Readable,
  ): Promise<CwDocument> {
    const form = new FormData();
    form.append('recordType', 'Ticket');
    form.append('recordId', ticketId);
    form.append('title', file.title);
    form.append('privateFlag', String(file.privateFlag));
    form.append('file', content, {
      filename: file.fileName,
      contentType: file.contentType,
      knownLength: file.sizeBytes,
    });
    const response = await this.request({
      method: 'POST',
      url: '/system/documents',
      data: form,
      headers: { ...form.getHeaders(), 'Content-Length': String(form.getLengthSync()) },
      retry: false,
    });
    return parseWith(CwDocument, response.data, 'document', this.ctx.systemName);
  }

  async notes(ticketId: string): Promise<CwNote[]> {
    return this.all(`/service/tickets/${encodeURIComponent(ticketId)}/notes`, CwNote, { orderBy: 'id asc' });
  }

  async addNote(ticketId: string, body: Record<string, unknown>): Promise<CwNote> {
    const response = await this.request({
      method: 'POST',
      url: `/service/tickets/${encodeURIComponent(ticketId)}/notes`,
      data: body,
    });
    return parseWith(CwNote, response.data, 'ticket note', this.ctx.systemName);
  }

  async patchNote(
    ticketId: string,
    noteId: number,
    ops: Array<{ op: string; path: string; value?: unknown }>,
  ): Promise<CwNote> {
    const response = await this.request({
      method: 'PATCH',
      url: `/service/tickets/${encodeURIComponent(ticketId)}/notes/${noteId}`,
      data: ops,
    });
    return parseWith(CwNote, response.data, 'ticket note', this.ctx.systemName);
  }

  async boards(): Promise<CwBoard[]> {
    return this.all('/service/boards', CwBoard, { orderBy: 'id asc' });
  }

  async boardStatuses(boardId: number): Promise<CwBoardStatus[]> {
    return this.all(`/service/boards/${boardId}/statuses`, CwBoardStatus, { orderBy: 'sortOrder asc' });
  }

  async boardChildren(boardId: number, kind: 'types' | 'subtypes' | 'items'): Promise<CwBoardChild[]> {
    return this.all(`/service/boards/${boardId}/${kind}`, CwBoardChild, { orderBy: 'id asc' });
  }

  /** A board's teams, every page (spec: GET /service/boards/{parentId}/teams, BoardTeam). */
  async boardTeams(boardId: number): Promise<CwBoardTeam[]> {
    return this.all(`/service/boards/${boardId}/teams`, CwBoardTeam, { orderBy: 'id asc' });
  }

  /** User-defined fields, every page (`GET /system/userDefinedFields`; path and shape: see CwUserDefinedField). */
  async userDefinedFields(): Promise<CwUserDefinedField[]> {
    return this.all('/system/userDefinedFields', CwUserDefinedField, { orderBy: 'id asc' });
  }

  /** Active members: the people tickets can be assigned to. */
  async members(): Promise<CwMember[]> {
    return this.all('/system/members', CwMember, { orderBy: 'identifier asc', conditions: 'inactiveFlag = false' });
  }

  async priorities(): Promise<CwPriority[]> {
    return this.all('/service/priorities', CwPriority, { orderBy: 'sortOrder asc' });
  }

  async callbacks(): Promise<CwCallbackEntry[]> {
    return this.all('/system/callbacks', CwCallbackEntry, { orderBy: 'id asc' });
  }

  async createCallback(body: Record<string, unknown>): Promise<CwCallbackEntry> {
    const response = await this.request({ method: 'POST', url: '/system/callbacks', data: body });
    return parseWith(CwCallbackEntry, response.data, 'callback entry', this.ctx.systemName);
  }

  async deleteCallback(id: number): Promise<void> {
    await this.request({ method: 'DELETE', url: `/system/callbacks/${id}`, acceptStatus: [404] });
  }

  async systemInfo(): Promise<void> {
    await this.request({ method: 'GET', url: '/system/info' });
  }
}
