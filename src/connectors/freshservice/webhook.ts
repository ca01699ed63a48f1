// Inbound Workflow Automator web requests. Freshservice signs nothing, so the admin adds a custom
// header carrying a shared secret, compared here in constant time; the JSON body only says which
// ticket to re-read (a hint), in whatever form the template rendered the id, and (with the
// readme's template) the ticket's `updated_at`, so a replayed delivery is known as stale.
import { createHash, timingSafeEqual } from 'node:crypto';
import { WebhookError } from '../../core/errors.js';
import type { WebhookHint, WebhookRequest } from '../../core/types.js';
import { FsWebhookBody } from './schema.js';

export const DEFAULT_SECRET_HEADER = 'X-Ticketbridge-Secret';

/**
 * The Workflow Automator body readme.md tells admins to use: the ticket, and its `updated_at`, the
 * field that changes with every edit, so a replayed delivery is known as stale (not as new) while
 * two different edits are never mistaken for one another.
 */
export const AUTOMATOR_BODY = { ticket_id: '{{ticket.id_numeric}}', updated_at: '{{ticket.updated_at}}' } as const;

function headerValue(headers: WebhookRequest['headers'], name: string): string | undefined {
  const wanted = name.toLowerCase();
  for (const [key, value] of Object.entries(headers)) {
    if (key.toLowerCase() !== wanted) continue;
    return Array.isArray(value) ? value[0] : value;
  }
  return undefined;
}

/** True when the request carries the shared secret; false when none is configured. */
export function verifySharedSecret(
  request: WebhookRequest,
  secret: string | undefined,
  header: string = DEFAULT_SECRET_HEADER,
): boolean {
  if (secret === undefined || secret === '') return false;
  const given = headerValue(request.headers, header);
  if (given === undefined) return false;
  // Hashing first makes both sides the same length, so timingSafeEqual never throws or leaks length.
  const a = createHash('sha256').update(given, 'utf8').digest();
  const b = createHash('sha256').update(secret, 'utf8').digest();
  return timingSafeEqual(a, b);
}

/** The shared-secret check with its reason: throws WebhookError when nothing can be compared. */
export function verifyAutomatorRequest(
  request: WebhookRequest,
  secret: string | undefined,
  header: string = DEFAULT_SECRET_HEADER,
): boolean {
  if (secret === undefined || secret === '')
    throw new WebhookError('no webhook.secret is configured for this Freshservice system', {
      reason: 'not_configured',
    });
  if (!headerValue(request.headers, header))
    throw new WebhookError(`the request has no ${header} header`, { reason: 'no_signature' });
  return verifySharedSecret(request, secret, header);
}

/** Freshservice ticket ids are int64 (`ticket_id`, format int64, in the vendor spec). */
const FS_ID_MAX = 9_223_372_036_854_775_807n;

/**
 * `12`, `"12"`, `"#INC-12"`, `"SR-12"`, `"#12"` -> `"12"`. Every digit is kept: an id outside
 * int64, or a JSON number past 2^53 (whose digits JSON.parse already lost), is no id at all.
 */
export function ticketIdFrom(value: unknown): string | undefined {
  let digits: string;
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value) || value < 1) return undefined;
    digits = String(value);
  } else if (typeof value === 'string') {
    const m = /^#?(?:[A-Za-z]+-)?(\d{1,30})$/.exec(value.trim());
    if (!m) return undefined;
    digits = m[1]!;
  } else return undefined;
  const id = BigInt(digits);
  return id >= 1n && id <= FS_ID_MAX ? id.toString() : undefined;
}

/** An ISO-like time the template rendered, or undefined (unrendered, empty, not a time). */
function versionFrom(value: unknown): string | undefined {
  if (typeof value !== 'string' || value.includes('{{')) return undefined;
  return Number.isNaN(Date.parse(value)) ? undefined : value.trim();
}

export function parseAutomatorWebhook(request: WebhookRequest): WebhookHint {
  let json: unknown;
  try {
    json = JSON.parse(request.rawBody.toString('utf8'));
  } catch {
    throw new WebhookError(
      'Freshservice webhook body is not JSON (the Workflow Automator body must be the JSON template in readme.md)',
    );
  }
  const parsed = FsWebhookBody.safeParse(json);
  if (!parsed.success) throw new WebhookError('Freshservice webhook body is not a JSON object');
  const body = parsed.data;
  const raw = body.ticket_id ?? body.ticket?.id_numeric ?? body.ticket?.id ?? body.id;
  const id = ticketIdFrom(raw);
  if (id === undefined) {
    if (typeof raw === 'number' && Number.isInteger(raw) && raw > 0)
      throw new WebhookError(
        `Freshservice webhook ticket_id ${raw} is not a Freshservice ticket id it can trust: a JSON number over 2^53 has already lost digits (quote it, as the readme's body does)`,
      );
    if (raw !== undefined && /^\s*#?(?:[A-Za-z]+-)?\d+\s*$/.test(String(raw)))
      throw new WebhookError(
        `Freshservice webhook ticket_id ${JSON.stringify(typeof raw === 'number' ? String(raw) : raw)} is not a Freshservice ticket id (a whole number from 1 to ${FS_ID_MAX})`,
      );
    throw new WebhookError(
      `Freshservice webhook carries no usable ticket_id (got ${raw === undefined ? 'nothing' : JSON.stringify(raw)})`,
    );
  }
  const version = versionFrom(body.updated_at ?? body.ticket?.updated_at);
  return version === undefined ? { ticketIds: [id] } : { ticketIds: [id], version };
}
