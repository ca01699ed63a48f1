// Jira admin webhooks: `X-Hub-Signature: sha256=<hex HMAC-SHA256(secret, raw body)>` verified in
// constant time, and payloads reduced to the issue ids to re-read plus the delivery identifier.
import { createHmac, timingSafeEqual } from 'node:crypto';
import { PayloadError } from '../../core/errors.js';
import type { WebhookHint, WebhookRequest } from '../../core/types.js';
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
  const ownEdit =
    payload.webhookEvent === 'jira:issue_updated' &&
    payload.comment === undefined &&
    ownAccountId !== undefined &&
    payload.user?.accountId === ownAccountId;
  if (!ownEdit) hint.ticketIds.push(String(payload.issue.id));
  return hint;
}
