// Jira admin webhooks: `X-Hub-Signature: sha256=<hex HMAC-SHA256(secret, raw body)>` verified in
// constant time, and payloads reduced to the issue ids to re-read plus the delivery identifier.
import { createHmac, timingSafeEqual } from 'node:crypto';
import { PayloadError, WebhookError } from '../../core/errors.js';
import type { Moved, WebhookHint, WebhookRequest } from '../../core/types.js';
import { JiraWebhookPayload } from './schema.js';

function header(request: WebhookRequest, name: string): string | undefined {
  const value = request.headers[name] ?? request.headers[name.toLowerCase()];
  return Array.isArray(value) ? value[0] : value;
}

export function verifyJiraSignature(request: WebhookRequest, secret: string | undefined): boolean {
  if (!secret) return false;
  const given = header(request, 'x-hub-signature');
  if (!given?.startsWith('sha256=')) return false;
  const expected = Buffer.from(createHmac('sha256', secret).update(request.rawBody).digest('hex'), 'utf8');
  const actual = Buffer.from(given.slice('sha256='.length).toLowerCase(), 'utf8');
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}

/** The signature check with its reason: throws WebhookError when there is nothing to compare. */
export function verifyJiraDelivery(request: WebhookRequest, secret: string | undefined): boolean {
  if (!secret)
    throw new WebhookError('no webhook.secret is configured for this Jira system', { reason: 'not_configured' });
  if (!header(request, 'x-hub-signature'))
    throw new WebhookError('the delivery has no X-Hub-Signature (was the webhook registered with the secret?)', {
      reason: 'no_signature',
    });
  return verifyJiraSignature(request, secret);
}

/** Jira issue ids are numeric strings (`IssueBean.id`); the platform stores them as longs. */
const JIRA_ID_MAX = 9_223_372_036_854_775_807n;

function issueId(value: string | number, system: string): string {
  const digits =
    typeof value === 'number'
      ? Number.isSafeInteger(value)
        ? String(value)
        : ''
      : /^\d{1,30}$/.test(value)
        ? value
        : '';
  const id = digits === '' ? 0n : BigInt(digits);
  if (id < 1n || id > JIRA_ID_MAX)
    throw new PayloadError(
      `${system} webhook: issue.id ${JSON.stringify(String(value))} is not a Jira issue id (a whole number)`,
      {
        system,
      },
    );
  return id.toString();
}

/**
 * What a delivery says moved (research note jira.md §12): a comment event (`comment_created`,
 * `comment_updated`, `comment_deleted`) or the `jira:issue_updated` a comment also raises
 * (`issue_event_type_name: issue_commented`, or any delivery carrying a `comment`) moved the
 * comments; a `jira:issue_updated` whose changelog lists items, with an event type that names no
 * comment, no `comment` and no changelog item on the comment field, moved fields only. Anything
 * else (a create, a delivery without changelog or event type) may have moved anything: undefined.
 */
export function movedOf(payload: JiraWebhookPayload): Moved | undefined {
  const type = payload.issue_event_type_name;
  if (payload.webhookEvent.startsWith('comment_')) return 'comments';
  if (payload.webhookEvent !== 'jira:issue_updated') return undefined;
  if (payload.comment !== undefined || (typeof type === 'string' && /comment/i.test(type))) return 'comments';
  const items = payload.changelog?.items ?? [];
  const onComment = items.some((item) => {
    const field = (item as { field?: unknown }).field;
    return typeof field === 'string' && field.toLowerCase() === 'comment';
  });
  return typeof type === 'string' && items.length > 0 && !onComment ? 'fields' : undefined;
}

/**
 * The comment a delivery announces and nothing else: `comment_created`, or the
 * `jira:issue_updated` (`issue_commented`, no changelog items) a new comment also raises (research
 * note jira.md §12). Once the link's comment map holds it, the delivery has nothing new.
 */
function announcedComment(payload: JiraWebhookPayload): string | undefined {
  const id = payload.comment?.id;
  if (id === undefined) return undefined;
  if (payload.webhookEvent === 'comment_created') return id;
  const commented =
    payload.webhookEvent === 'jira:issue_updated' && payload.issue_event_type_name === 'issue_commented';
  return commented && (payload.changelog?.items ?? []).length === 0 ? id : undefined;
}

/**
 * Issue ids to re-read. `ownAccountId` is the fast echo path: a field edit the daemon itself made
 * needs no pass (comments always do, since another actor may share the account).
 */
export function parseJiraWebhook(
  request: WebhookRequest,
  ownAccountId: string | undefined,
  system: string,
): WebhookHint {
  let json: unknown;
  try {
    json = JSON.parse(request.rawBody.toString('utf8'));
  } catch {
    throw new PayloadError(`${system} webhook: body is not JSON`, { system });
  }
  const parsed = JiraWebhookPayload.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new PayloadError(`${system} webhook: ${issue ? `${issue.path.join('.')}: ${issue.message}` : 'malformed'}`, {
      system,
    });
  }
  const payload = parsed.data;
  const deliveryId = header(request, 'x-atlassian-webhook-identifier');
  const hint: WebhookHint = { ticketIds: [] };
  if (deliveryId) hint.deliveryId = deliveryId;
  if (!payload.issue) return hint;
  const moved = movedOf(payload);
  const ownEdit =
    payload.webhookEvent === 'jira:issue_updated' &&
    moved !== 'comments' &&
    ownAccountId !== undefined &&
    payload.user?.accountId === ownAccountId;
  const id = issueId(payload.issue.id, system);
  if (!ownEdit) hint.ticketIds.push(id);
  // The issue's `updated` as the delivery reports it (the connector's version, to the millisecond).
  const updated = (payload.issue as { fields?: { updated?: unknown } }).fields?.updated;
  const ms = typeof updated === 'string' ? Date.parse(updated) : Number.NaN;
  if (!ownEdit && !Number.isNaN(ms)) hint.version = new Date(ms).toISOString();
  if (!ownEdit && moved !== undefined) hint.moved = moved;
  const commentId = announcedComment(payload);
  if (commentId !== undefined) hint.commentId = commentId;
  return hint;
}
