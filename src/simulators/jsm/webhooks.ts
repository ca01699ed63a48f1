// Jira admin webhooks: registration through `/rest/webhooks/1.0/webhook` (name, url, events,
// JQL filter, secret) and delivery of `jira:issue_*` / `comment_created` payloads signed with
// `X-Hub-Signature: sha256=<hmac>` and identified by `X-Atlassian-Webhook-Identifier`.
import { createHmac, randomUUID } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { WebhookDispatcher } from '../common/server.js';
import { JqlError, compileJql } from './jql.js';
import { jiraError } from './routes-platform.js';
import type { Renderer } from './render.js';
import { jqlEnvironment } from './search.js';
import type { IssueRecord, JiraStore, StoreEvent } from './store.js';

export const WEBHOOK_EVENTS = [
  'jira:issue_created',
  'jira:issue_updated',
  'jira:issue_deleted',
  'comment_created',
  'comment_updated',
  'comment_deleted',
] as const;

interface Registration {
  id: number;
  name: string;
  url: string;
  events: string[];
  jql: string;
  excludeBody: boolean;
  secret: string | undefined;
  enabled: boolean;
  lastUpdated: number;
  lastUpdatedUser: string;
}

export class AdminWebhooks {
  private readonly registrations = new Map<number, Registration>();
  private nextId = 1;
  private deliveries = 0;

  constructor(
    private readonly store: JiraStore,
    private readonly render: Renderer,
    private readonly dispatcher: WebhookDispatcher,
    private readonly base: () => string,
  ) {}

  reset(): void {
    this.registrations.clear();
    this.nextId = 1;
  }

  register(app: FastifyInstance, actor: (request: FastifyRequest) => string): void {
    const view = (r: Registration): Record<string, unknown> => ({
      self: `${this.base()}/rest/webhooks/1.0/webhook/${r.id}`,
      name: r.name,
      url: r.url,
      excludeBody: r.excludeBody,
      filters: { 'issue-related-events-section': r.jql },
      events: r.events,
      enabled: r.enabled,
      lastUpdatedUser: r.lastUpdatedUser,
      lastUpdatedDisplayName: this.store.users.get(r.lastUpdatedUser)?.displayName ?? '',
      lastUpdated: r.lastUpdated,
    });

    app.get('/rest/webhooks/1.0/webhook', async () => [...this.registrations.values()].map(view));
    app.get('/rest/webhooks/1.0/webhook/:id', async (request, reply) => {
      const r = this.registrations.get(Number((request.params as { id: string }).id));
      if (!r) return jiraError(reply, 404, ['Webhook not found.']);
      return view(r);
    });
    app.delete('/rest/webhooks/1.0/webhook/:id', async (request, reply) => {
      const deleted = this.registrations.delete(Number((request.params as { id: string }).id));
      if (!deleted) return jiraError(reply, 404, ['Webhook not found.']);
      return reply.code(204).send();
    });
    app.post('/rest/webhooks/1.0/webhook', async (request, reply) => {
      const body = (request.body ?? {}) as {
        name?: unknown;
        url?: unknown;
        events?: unknown;
        filters?: Record<string, unknown>;
        excludeBody?: unknown;
        secret?: unknown;
        enabled?: unknown;
      };
      const errors: Record<string, string> = {};
      if (typeof body.name !== 'string' || body.name.trim() === '') errors.name = 'Name must not be empty.';
      if (typeof body.url !== 'string' || !/^https?:\/\//.test(body.url))
        errors.url = 'URL must be a valid http or https URL.';
      const events = Array.isArray(body.events) ? (body.events as unknown[]).map(String) : [];
      const unknown = events.find((e) => !(WEBHOOK_EVENTS as readonly string[]).includes(e));
      if (events.length === 0) errors.events = 'At least one event is required.';
      else if (unknown) errors.events = `Unknown event '${unknown}'.`;
      const jql =
        typeof body.filters?.['issue-related-events-section'] === 'string'
          ? body.filters['issue-related-events-section']
          : '';
      if (jql.trim() !== '') {
        try {
          compileJql(jql, jqlEnvironment(this.store, this.store.self.timeZone));
        } catch (err) {
          if (err instanceof JqlError) errors.filters = err.message;
          else throw err;
        }
      }
      if (Object.keys(errors).length > 0) return jiraError(reply, 400, [], errors);
      const r: Registration = {
        id: this.nextId++,
        name: body.name as string,
        url: body.url as string,
        events,
        jql,
        excludeBody: body.excludeBody === true,
        secret: typeof body.secret === 'string' && body.secret !== '' ? body.secret : undefined,
        enabled: body.enabled !== false,
        lastUpdated: this.store.now(),
        lastUpdatedUser: actor(request),
      };
      this.registrations.set(r.id, r);
      return reply.code(201).send(view(r));
    });
  }

  /** Turns a store event into deliveries for every matching registration. */
  onEvent(event: StoreEvent): void {
    if (this.registrations.size === 0) return;
    const timestamp = this.store.now();
    const user = this.render.user(event.actor);
    const fullIssue = (issue: IssueRecord): Record<string, unknown> => ({
      id: String(issue.id),
      self: this.render.issueSelf(issue.id),
      key: issue.key,
      fields: this.render.fieldValues(issue, false),
    });
    const payloads: { event: string; body: Record<string, unknown> }[] = [];
    if (event.kind === 'issue_created') {
      payloads.push({
        event: 'jira:issue_created',
        body: {
          timestamp,
          webhookEvent: 'jira:issue_created',
          issue_event_type_name: 'issue_created',
          user,
          issue: fullIssue(event.issue),
        },
      });
    } else if (event.kind === 'issue_updated') {
      const typeName = event.changelog.items.some((i) => i.fieldId === 'status') ? 'issue_generic' : 'issue_updated';
      payloads.push({
        event: 'jira:issue_updated',
        body: {
          timestamp,
          webhookEvent: 'jira:issue_updated',
          issue_event_type_name: typeName,
          user,
          issue: fullIssue(event.issue),
          changelog: { id: String(event.changelog.id), items: this.render.changelog(event.changelog).items },
        },
      });
    } else {
      const comment = this.render.comment(event.comment, false, true);
      const brief = {
        id: String(event.issue.id),
        self: this.render.issueSelf(event.issue.id),
        key: event.issue.key,
        fields: pick(this.render.fieldValues(event.issue, false), [
          'summary',
          'status',
          'priority',
          'issuetype',
          'project',
        ]),
      };
      payloads.push({
        event: 'comment_created',
        body: { timestamp, webhookEvent: 'comment_created', comment, issue: brief },
      });
      payloads.push({
        event: 'jira:issue_updated',
        body: {
          timestamp,
          webhookEvent: 'jira:issue_updated',
          issue_event_type_name: 'issue_commented',
          user,
          issue: fullIssue(event.issue),
          comment,
        },
      });
    }
    for (const r of this.registrations.values()) {
      if (!r.enabled || !this.matches(r, event.issue)) continue;
      for (const p of payloads) {
        if (!r.events.includes(p.event)) continue;
        const raw = r.excludeBody ? '' : JSON.stringify({ ...p.body, matchedWebhookIds: [r.id] });
        const headers: Record<string, string> = {
          'content-type': 'application/json; charset=utf-8',
          'user-agent': 'Atlassian Webhook HTTP Client',
          'x-atlassian-webhook-identifier': `${timestamp}-${++this.deliveries}-${randomUUID().slice(0, 8)}`,
          'x-atlassian-webhook-flow': 'Primary',
        };
        if (r.secret && this.store.behaviour.signWebhooks)
          headers['x-hub-signature'] = `sha256=${createHmac('sha256', r.secret).update(raw).digest('hex')}`;
        this.dispatcher.send({ url: substitute(r.url, event.issue), body: raw, headers });
      }
    }
  }

  private matches(r: Registration, issue: IssueRecord): boolean {
    if (r.jql.trim() === '') return true;
    try {
      const compiled = compileJql(r.jql, jqlEnvironment(this.store, this.store.self.timeZone));
      return compiled.where ? compiled.where(issue) : true;
    } catch {
      return false;
    }
  }
}

function pick(values: Record<string, unknown>, keys: string[]): Record<string, unknown> {
  return Object.fromEntries(keys.map((k) => [k, values[k]]));
}

/** Jira substitutes `${issue.id}`, `${issue.key}` and `${project.key}` in webhook URLs. */
function substitute(url: string, issue: IssueRecord): string {
  return url
    .replaceAll('${issue.id}', String(issue.id))
    .replaceAll('${issue.key}', issue.key)
    .replaceAll('${project.key}', issue.key.slice(0, issue.key.lastIndexOf('-')));
}
