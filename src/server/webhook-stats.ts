// Inbound webhook outcomes per connection and side, over the last hour, so a vendor that stops
// signing (or signs with the wrong secret) is seen on /status and the dashboard instead of only
// as 401s nobody reads: "Jira webhooks rejected: bad signature, 14 in the last hour".
import type { Side } from '../core/types.js';

/** Why a delivery was refused; stable snake_case, also the `reason` label on /metrics. */
export type RejectionReason =
  | 'no_signature'
  | 'bad_signature'
  | 'not_configured'
  | 'untrusted_key_url'
  | 'key_unavailable'
  | 'key_fetch_limited'
  | 'invalid_body'
  | 'too_large'
  | 'unsupported_type';

export const REJECTION_LABELS: Record<RejectionReason, string> = {
  no_signature: 'no signature',
  bad_signature: 'bad signature',
  not_configured: 'no webhook secret configured',
  untrusted_key_url: 'signing key URL not trusted',
  key_unavailable: 'signing key could not be fetched',
  key_fetch_limited: 'too many unknown signing keys',
  invalid_body: 'malformed body',
  too_large: 'body over 1 MB',
  unsupported_type: 'wrong content type',
};

export function isRejectionReason(value: unknown): value is RejectionReason {
  return typeof value === 'string' && Object.hasOwn(REJECTION_LABELS, value);
}

export interface RejectionSummary {
  reason: RejectionReason;
  label: string;
  lastHour: number;
  total: number;
  lastAt: string;
}

export interface SideWebhookSummary {
  acceptedLastHour: number;
  lastAcceptedAt: string | null;
  /** Most frequent in the last hour first; reasons seen only before the last hour are left out. */
  rejected: RejectionSummary[];
}

const MINUTE_MS = 60_000;
const WINDOW_MINUTES = 60;

/** Counts per minute for the last hour, plus a running total and the last time. */
class Series {
  private readonly minutes = new Map<number, number>();
  total = 0;
  lastAt = 0;

  add(at: number): void {
    const minute = Math.floor(at / MINUTE_MS);
    this.minutes.set(minute, (this.minutes.get(minute) ?? 0) + 1);
    this.total++;
    this.lastAt = Math.max(this.lastAt, at);
    for (const m of this.minutes.keys()) if (m <= minute - WINDOW_MINUTES) this.minutes.delete(m);
  }

  lastHour(now: number): number {
    const current = Math.floor(now / MINUTE_MS);
    let sum = 0;
    for (const [m, n] of this.minutes) if (m > current - WINDOW_MINUTES) sum += n;
    return sum;
  }
}

export class WebhookStats {
  private readonly accepted = new Map<string, Series>();
  private readonly rejected = new Map<string, Map<RejectionReason, Series>>();
  private readonly held = new Map<string, number>();

  constructor(private readonly now: () => number = Date.now) {}

  accept(connection: string, side: Side): void {
    const key = `${connection}\u0000${side}`;
    let series = this.accepted.get(key);
    if (!series) this.accepted.set(key, (series = new Series()));
    series.add(this.now());
  }

  /** A verified delivery to a paused connection: acknowledged, counted, not acted on. */
  hold(connection: string): void {
    this.held.set(connection, (this.held.get(connection) ?? 0) + 1);
  }

  /** Deliveries held while the connection was paused, since the daemon started. */
  heldCount(connection: string): number {
    return this.held.get(connection) ?? 0;
  }

  reject(connection: string, side: Side, reason: RejectionReason): void {
    const key = `${connection}\u0000${side}`;
    let reasons = this.rejected.get(key);
    if (!reasons) this.rejected.set(key, (reasons = new Map()));
    let series = reasons.get(reason);
    if (!series) reasons.set(reason, (series = new Series()));
    series.add(this.now());
  }

  summary(connection: string, side: Side): SideWebhookSummary {
    const now = this.now();
    const key = `${connection}\u0000${side}`;
    const accepted = this.accepted.get(key);
    const rejected: RejectionSummary[] = [];
    for (const [reason, series] of this.rejected.get(key) ?? []) {
      const lastHour = series.lastHour(now);
      if (lastHour === 0) continue;
      rejected.push({
        reason,
        label: REJECTION_LABELS[reason],
        lastHour,
        total: series.total,
        lastAt: new Date(series.lastAt).toISOString(),
      });
    }
    rejected.sort((x, y) => y.lastHour - x.lastHour || x.reason.localeCompare(y.reason));
    return {
      acceptedLastHour: accepted?.lastHour(now) ?? 0,
      lastAcceptedAt: accepted && accepted.total > 0 ? new Date(accepted.lastAt).toISOString() : null,
      rejected,
    };
  }
}

/** "Jira webhooks rejected: bad signature, 14 in the last hour; no signature, 2 in the last hour". */
export function describeRejections(
  label: string,
  summary: { rejected: Array<Pick<RejectionSummary, 'label' | 'lastHour'>> },
): string | null {
  if (summary.rejected.length === 0) return null;
  return `${label} webhooks rejected: ${summary.rejected.map((r) => `${r.label}, ${r.lastHour} in the last hour`).join('; ')}`;
}
