// Inbound Workflow Automator web requests. Freshservice signs nothing, so the admin adds a custom
// header carrying a shared secret, compared here in constant time; the JSON body only says which
// ticket to re-read (a hint), in whatever form the template rendered the id.
import { createHash, timingSafeEqual } from 'node:crypto';
import { WebhookError } from '../../core/errors.js';
import type { WebhookHint, WebhookRequest } from '../../core/types.js';
import { FsWebhookBody } from './schema.js';

export const DEFAULT_SECRET_HEADER = 'X-Ticketbridge-Secret';

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

/** `12`, `"12"`, `"#INC-12"`, `"SR-12"`, `"#12"` -> `"12"`. */
export function ticketIdFrom(value: unknown): string | undefined {
  if (typeof value === 'number' && Number.isInteger(value) && value > 0) return String(value);
  if (typeof value !== 'string') return undefined;
  const m = /^#?(?:[A-Za-z]+-)?(\d+)$/.exec(value.trim());
  return m ? String(Number(m[1])) : undefined;
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
    throw new WebhookError(
      `Freshservice webhook carries no usable ticket_id (got ${raw === undefined ? 'nothing' : JSON.stringify(raw)})`,
    );
  }
  return { ticketIds: [id] };
}
