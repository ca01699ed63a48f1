// HTTP calls to Jira Cloud (platform REST v3, servicedeskapi, admin webhooks) through the core
// client and the system's queue; each method returns a parsed payload or throws a SyncError.
import type { Readable } from 'node:stream';
import FormData from 'form-data';
import type { z } from 'zod';
import {
  createHttpClient,
  basicAuth,
  type HttpClient,
  type HttpRequest,
  type RemoteErrorDetails,
} from '../../core/http.js';
import { PayloadError } from '../../core/errors.js';
import type { SystemQueue } from '../../core/queue.js';
import type { Logger } from '../../core/types.js';
import {
  JiraAdminWebhook,
  JiraAdminWebhooks,
  JiraAttachmentList,
  JiraAttachmentSettings,
  JiraIssueFiles,
  JiraChangelogPage,
  JiraCommentPage,
  JiraComment,
  JiraCreatedIssue,
  JiraCustomerRequest,
  JiraErrorBody,
  JiraField,
  JiraIssueRef,
  JiraMyself,
  type JiraPriority,
  JiraGroupPage,
  JiraPriorityPage,
  JiraProjectStatuses,
  JiraRequestTypePage,
  JiraSearchPage,
  JiraServiceDeskPage,
  JiraTransitions,
  JiraUser,
  type AdfNode,
} from './schema.js';

/** The first message of a platform ErrorCollection or JSM ErrorResponse, with the field it names. */
export function describeJiraError(_status: number, data: unknown): RemoteErrorDetails | undefined {
  const parsed = JiraErrorBody.safeParse(data);
  if (!parsed.success)
    return typeof data === 'string' && data.length > 0 && data.length < 300 ? { message: data } : undefined;
  const body = parsed.data;
  const fieldError = Object.entries(body.errors ?? {})[0];
  const messages = [...(body.errorMessages ?? []), ...(body.errorMessage ? [body.errorMessage] : [])];
  if (fieldError)
    return { message: [`${fieldError[0]}: ${fieldError[1]}`, ...messages].join('; '), field: fieldError[0] };
  if (messages.length > 0) return { message: messages.join('; ') };
  return undefined;
}

/** `X-RateLimit-Reset` (`yyyy-MM-ddTHH:mmZ`, or any ISO instant) as milliseconds from `nowMs`. */
export function jiraResetWaitMs(headers: Record<string, string>, nowMs: number): number | undefined {
  const reset = headers['x-ratelimit-reset'];
  if (reset === undefined || reset.trim() === '') return undefined;
  const at = Date.parse(reset);
  return Number.isNaN(at) ? undefined : Math.max(0, at - nowMs);
}

/** Longest slowdown taken when Jira says a limit is near (a burst window is seconds long). */
export const NEAR_LIMIT_MAX_PAUSE_MS = 1_000;

/**
 * How long to hold Jira requests when a response says `X-RateLimit-NearLimit: true`: the time
 * left until the reset spread over the requests still allowed, at most NEAR_LIMIT_MAX_PAUSE_MS.
 */
export function jiraNearLimitPauseMs(headers: Record<string, string>, nowMs: number): number {
  if (headers['x-ratelimit-nearlimit'] !== 'true') return 0;
  const remaining = Number(headers['x-ratelimit-remaining']);
  const untilReset = jiraResetWaitMs(headers, nowMs);
  if (!Number.isFinite(remaining) || remaining < 0 || untilReset === undefined) return NEAR_LIMIT_MAX_PAUSE_MS;
  return Math.min(NEAR_LIMIT_MAX_PAUSE_MS, Math.ceil(untilReset / (remaining + 1)));
}

/**
 * Jira names the limiter that fired in `RateLimit-Reason`: writes to one issue
 * (`jira-per-issue-on-write`) hold back only that request; the burst (per endpoint) and quota
 * limiters pause the whole system, since one queue serves every endpoint.
 */
export function jiraRateLimitScope(headers: Record<string, string>): 'system' | 'request' {
  return headers['ratelimit-reason'] === 'jira-per-issue-on-write' ? 'request' : 'system';
}

export interface JiraClientOptions {
  system: string;
  baseUrl: string;
  email: string;
  apiToken: string;
  queue: SystemQueue;
  logger: Logger;
  timeoutMs?: number;
}

export interface SearchParams {
  jql: string;
  nextPageToken?: string;
  maxResults: number;
  fields: string[];
  properties?: string[];
  reconcileIssues?: number[];
}

export class JiraClient {
  private readonly http: HttpClient;
  /** The media store behind attachment content: self-contained links, never the site's credentials. */
  private readonly media: HttpClient;
  private readonly system: string;

  constructor(options: JiraClientOptions) {
    this.system = options.system;
    const logger = options.logger;
    this.http = createHttpClient({
      system: options.system,
      baseURL: options.baseUrl.replace(/\/$/, ''),
      queue: options.queue,
      logger,
      headers: {
        Authorization: basicAuth(options.email, options.apiToken),
        Accept: 'application/json',
        'Content-Type': 'application/json',
      },
      describeError: describeJiraError,
      ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
      // A 429 without Retry-After (Jira does not always send it) waits until X-RateLimit-Reset.
      rateLimited: {
        waitMs: (response, nowMs) => jiraResetWaitMs(response.headers, nowMs),
        scope: (response) => jiraRateLimitScope(response.headers),
      },
      onResponse: (response) => {
        if (response.status === 429) {
          // Which limiter fired decides what to slow down: the endpoint burst, one issue, or the quota.
          logger.warn(
            {
              system: options.system,
              reason: response.headers['ratelimit-reason'] ?? 'unknown',
              retryAfter: response.headers['retry-after'],
              reset: response.headers['x-ratelimit-reset'],
            },
            'rate limited',
          );
          return;
        }
        const pauseMs = jiraNearLimitPauseMs(response.headers, Date.now());
        if (pauseMs > 0) {
          logger.info(
            { system: options.system, remaining: response.headers['x-ratelimit-remaining'], pauseMs },
            'rate budget nearly used; slowing down',
          );
          options.queue.pauseFor(pauseMs, 'budget');
        }
      },
    });
    this.media = createHttpClient({
      system: options.system,
      baseURL: '',
      queue: options.queue,
      logger,
      headers: {},
      ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
    });
  }

  /** The site's attachment settings: enabled, and the largest file in bytes (getAttachmentMeta). */
  attachmentSettings(): Promise<z.infer<typeof JiraAttachmentSettings>> {
    return this.call(JiraAttachmentSettings, { method: 'GET', url: '/rest/api/3/attachment/meta' });
  }

  /** The issue's files and its description (where media nodes show files to the customer). */
  issueFiles(id: string): Promise<z.infer<typeof JiraIssueFiles>> {
    return this.call(JiraIssueFiles, {
      method: 'GET',
      url: `/rest/api/3/issue/${encodeURIComponent(id)}`,
      params: { fields: 'attachment,description' },
    });
  }

  /**
   * Where a file's bytes are: content answers 303 with a short-lived media-store link (getAttachmentContent);
   * the link names the file's media id (`/file/{uuid}/binary`), the id ADF `media` nodes carry.
   */
  async mediaLocation(attachmentId: string): Promise<string> {
    const response = await this.http.request({
      method: 'GET',
      url: `/rest/api/3/attachment/content/${encodeURIComponent(attachmentId)}`,
      responseType: 'stream',
    });
    (response.data as Readable).resume();
    const location = response.headers.location;
    if (response.status !== 303 || !location)
      throw new PayloadError(
        `${this.system} answered GET /rest/api/3/attachment/content/${attachmentId} with ${response.status} and no media link`,
        { system: this.system },
      );
    return location;
  }

  /** A file's bytes from its media-store link, streamed, without the site's credentials. */
  async downloadMedia(url: string): Promise<Readable> {
    const response = await this.media.request<Readable>({ method: 'GET', url, responseType: 'stream' });
    return response.data;
  }

  /**
   * Attaches one file streamed from `content` (addAttachment: multipart part `file` and the XSRF
   * opt-out header `X-Atlassian-Token: no-check`). Sent once: a stream cannot be replayed.
   */
  async uploadAttachment(
    id: string,
    file: { fileName: string; contentType: string; sizeBytes: number },
    content: Readable,
  ): Promise<z.infer<typeof JiraAttachmentList>> {
    const form = new FormData();
    form.append('file', content, {
      filename: file.fileName,
      contentType: file.contentType,
      knownLength: file.sizeBytes,
    });
    return this.call(JiraAttachmentList, {
      method: 'POST',
      url: `/rest/api/3/issue/${encodeURIComponent(id)}/attachments`,
      data: form,
      headers: {
        ...form.getHeaders(),
        'Content-Length': String(form.getLengthSync()),
        'X-Atlassian-Token': 'no-check',
      },
      retry: false,
    });
  }

  private async call<S extends z.ZodType>(schema: S, request: HttpRequest): Promise<z.infer<S>> {
    const response = await this.http.request(request);
    const parsed = schema.safeParse(response.data);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new PayloadError(
        `${this.system} answered ${request.method.toUpperCase()} ${request.url.split('?')[0] ?? ''} with an unexpected shape: ${issue ? `${issue.path.join('.')}: ${issue.message}` : 'invalid'}`,
        { system: this.system },
      );
    }
    return parsed.data;
  }

  private async send(request: HttpRequest): Promise<void> {
    await this.http.request(request);
  }

  myself(): Promise<z.infer<typeof JiraMyself>> {
    return this.call(JiraMyself, { method: 'GET', url: '/rest/api/3/myself' });
  }

  /** The issue's numeric id and current key, by id or key (Jira also finds moved issues and any case). */
  issueRef(idOrKey: string): Promise<z.infer<typeof JiraIssueRef>> {
    return this.call(JiraIssueRef, {
      method: 'GET',
      url: `/rest/api/3/issue/${encodeURIComponent(idOrKey)}`,
      params: { fields: 'none' },
    });
  }

  search(params: SearchParams): Promise<z.infer<typeof JiraSearchPage>> {
    const body: Record<string, unknown> = { jql: params.jql, maxResults: params.maxResults, fields: params.fields };
    if (params.nextPageToken !== undefined) body.nextPageToken = params.nextPageToken;
    if (params.properties && params.properties.length > 0) body.properties = params.properties;
    if (params.reconcileIssues && params.reconcileIssues.length > 0) body.reconcileIssues = params.reconcileIssues;
    return this.call(JiraSearchPage, { method: 'POST', url: '/rest/api/3/search/jql', data: body });
  }

  /** The raw issue (parsed into a Ticket by convert.ts, so a bad one can be reported, not thrown). */
  async getIssue(id: string, properties: string[]): Promise<unknown> {
    const response = await this.http.request({
      method: 'GET',
      url: `/rest/api/3/issue/${encodeURIComponent(id)}`,
      params: { fields: '*all', properties: properties.join(',') || undefined },
    });
    return response.data;
  }

  /** A slice of the issue's change history, oldest first. */
  changelog(id: string, startAt: number, maxResults: number): Promise<z.infer<typeof JiraChangelogPage>> {
    return this.call(JiraChangelogPage, {
      method: 'GET',
      url: `/rest/api/3/issue/${encodeURIComponent(id)}/changelog`,
      params: { startAt, maxResults },
    });
  }

  createIssue(
    fields: Record<string, unknown>,
    properties: { key: string; value: unknown }[],
  ): Promise<z.infer<typeof JiraCreatedIssue>> {
    return this.call(JiraCreatedIssue, { method: 'POST', url: '/rest/api/3/issue', data: { fields, properties } });
  }

  createRequest(body: {
    serviceDeskId: string;
    requestTypeId: string;
    requestFieldValues: Record<string, unknown>;
    raiseOnBehalfOf?: string;
  }): Promise<z.infer<typeof JiraCustomerRequest>> {
    return this.call(JiraCustomerRequest, { method: 'POST', url: '/rest/servicedeskapi/request', data: body });
  }

  /**
   * Edits fields. With `returnIssue` Jira answers the issue after the edit (200) instead of 204,
   * returned raw (parsed into a Ticket by convert.ts); otherwise undefined.
   */
  async editIssue(
    id: string,
    fields: Record<string, unknown>,
    options: { returnIssue?: boolean } = {},
  ): Promise<unknown> {
    const response = await this.http.request({
      method: 'PUT',
      url: `/rest/api/3/issue/${encodeURIComponent(id)}`,
      ...(options.returnIssue ? { params: { returnIssue: true } } : {}),
      data: { fields },
    });
    return options.returnIssue && response.status === 200 ? response.data : undefined;
  }

  deleteIssue(id: string): Promise<void> {
    return this.send({ method: 'DELETE', url: `/rest/api/3/issue/${encodeURIComponent(id)}` });
  }

  setProperty(id: string, key: string, value: unknown): Promise<void> {
    return this.send({
      method: 'PUT',
      url: `/rest/api/3/issue/${encodeURIComponent(id)}/properties/${encodeURIComponent(key)}`,
      data: value,
    });
  }

  async transitions(id: string): Promise<z.infer<typeof JiraTransitions>['transitions']> {
    const body = await this.call(JiraTransitions, {
      method: 'GET',
      url: `/rest/api/3/issue/${encodeURIComponent(id)}/transitions`,
      params: { expand: 'transitions.fields' },
    });
    return body.transitions;
  }

  transition(id: string, transitionId: string, fields: Record<string, unknown>): Promise<void> {
    const data: Record<string, unknown> = { transition: { id: transitionId } };
    if (Object.keys(fields).length > 0) data.fields = fields;
    return this.send({ method: 'POST', url: `/rest/api/3/issue/${encodeURIComponent(id)}/transitions`, data });
  }

  comments(id: string, startAt: number, maxResults: number): Promise<z.infer<typeof JiraCommentPage>> {
    return this.call(JiraCommentPage, {
      method: 'GET',
      url: `/rest/api/3/issue/${encodeURIComponent(id)}/comment`,
      params: { startAt, maxResults, orderBy: 'created' },
    });
  }

  addComment(id: string, body: AdfNode, internal: boolean): Promise<z.infer<typeof JiraComment>> {
    return this.call(JiraComment, {
      method: 'POST',
      url: `/rest/api/3/issue/${encodeURIComponent(id)}/comment`,
      data: { body, properties: [{ key: 'sd.public.comment', value: { internal } }] },
    });
  }

  fields(): Promise<z.infer<typeof JiraField>[]> {
    return this.call(JiraField.array(), { method: 'GET', url: '/rest/api/3/field' });
  }

  /** People who may be assigned issues in a project (paged by startAt/maxResults). */
  async assignableUsers(projectKey: string): Promise<JiraUser[]> {
    const out: JiraUser[] = [];
    for (let startAt = 0; ;) {
      const page = await this.call(JiraUser.array(), {
        method: 'GET',
        url: '/rest/api/3/user/assignable/search',
        params: { project: projectKey, startAt, maxResults: 100 },
      });
      out.push(...page);
      if (page.length < 100) return out;
      startAt += page.length;
    }
  }

  /**
   * Every priority, page by page through `GET /priority/search` (PageBeanPriority); the older
   * `GET /priority` is deprecated in the platform spec.
   */
  /**
   * The site's groups, every page of `GET /rest/api/3/group/bulk` (platform spec: startAt,
   * maxResults, isLast, values [{name, groupId}]; needs the Browse users and groups permission).
   */
  async groups(): Promise<Array<{ name: string; groupId?: string | null | undefined }>> {
    const all: Array<{ name: string; groupId?: string | null | undefined }> = [];
    for (let startAt = 0; ;) {
      const page = await this.call(JiraGroupPage, {
        method: 'GET',
        url: '/rest/api/3/group/bulk',
        params: { startAt, maxResults: 50 },
      });
      all.push(...page.values);
      if (page.isLast !== false || page.values.length === 0) return all;
      startAt += page.values.length;
    }
  }

  async priorities(): Promise<z.infer<typeof JiraPriority>[]> {
    const all: z.infer<typeof JiraPriority>[] = [];
    for (let startAt = 0; ;) {
      const page = await this.call(JiraPriorityPage, {
        method: 'GET',
        url: '/rest/api/3/priority/search',
        params: { startAt, maxResults: 50 },
      });
      all.push(...page.values);
      if (page.isLast !== false || page.values.length === 0) return all;
      startAt += page.values.length;
    }
  }

  projectStatuses(projectKey: string): Promise<z.infer<typeof JiraProjectStatuses>> {
    return this.call(JiraProjectStatuses, {
      method: 'GET',
      url: `/rest/api/3/project/${encodeURIComponent(projectKey)}/statuses`,
    });
  }

  async serviceDesks(): Promise<z.infer<typeof JiraServiceDeskPage>['values']> {
    const all: z.infer<typeof JiraServiceDeskPage>['values'] = [];
    for (let start = 0; ;) {
      const page = await this.call(JiraServiceDeskPage, {
        method: 'GET',
        url: '/rest/servicedeskapi/servicedesk',
        params: { start, limit: 50 },
      });
      all.push(...page.values);
      if (page.isLastPage !== false || page.values.length === 0) return all;
      start += page.values.length;
    }
  }

  async requestTypes(serviceDeskId: string): Promise<z.infer<typeof JiraRequestTypePage>['values']> {
    const all: z.infer<typeof JiraRequestTypePage>['values'] = [];
    for (let start = 0; ;) {
      const page = await this.call(JiraRequestTypePage, {
        method: 'GET',
        url: `/rest/servicedeskapi/servicedesk/${encodeURIComponent(serviceDeskId)}/requesttype`,
        params: { start, limit: 50 },
      });
      all.push(...page.values);
      if (page.isLastPage !== false || page.values.length === 0) return all;
      start += page.values.length;
    }
  }

  webhooks(): Promise<z.infer<typeof JiraAdminWebhooks>> {
    return this.call(JiraAdminWebhooks, { method: 'GET', url: '/rest/webhooks/1.0/webhook' });
  }

  registerWebhook(body: {
    name: string;
    url: string;
    events: string[];
    jql: string;
    secret?: string;
  }): Promise<z.infer<typeof JiraAdminWebhook>> {
    const data: Record<string, unknown> = {
      name: body.name,
      url: body.url,
      events: body.events,
      filters: { 'issue-related-events-section': body.jql },
      excludeBody: false,
    };
    if (body.secret !== undefined) data.secret = body.secret;
    return this.call(JiraAdminWebhook, { method: 'POST', url: '/rest/webhooks/1.0/webhook', data });
  }

  deleteWebhook(self: string): Promise<void> {
    const id = self.split('/').pop() ?? '';
    return this.send({ method: 'DELETE', url: `/rest/webhooks/1.0/webhook/${encodeURIComponent(id)}` });
  }
}
