// Jira Cloud's rate limiters as the site answers them: a burst limit per endpoint and method
// (`jira-burst-based`) and a limit on writes to one issue (`jira-per-issue-on-write`), each a
// window of the site's clock. A limited request gets 429 with `Retry-After` (seconds),
// `X-RateLimit-Limit`, `X-RateLimit-Remaining`, `X-RateLimit-Reset` (ISO instant, minute
// precision) and `RateLimit-Reason`; responses near a limit carry `X-RateLimit-NearLimit: true`
// (research note jira.md §3: developer.atlassian.com rate-limiting, JRACLOUD-69262).
// Off by default; `PUT /__sim/rate-limit` turns each limiter on.
import { z } from 'zod';

export const RateLimitSettings = z.strictObject({
  /** Requests per window to one endpoint and method; unlimited when unset. */
  burst: z
    .strictObject({ limit: z.number().int().min(1), windowMs: z.number().int().min(1).default(1_000) })
    .optional(),
  /** Writes per window to one issue (edit, transition, comment, property); unlimited when unset. */
  perIssueWrite: z
    .strictObject({ limit: z.number().int().min(1), windowMs: z.number().int().min(1).default(1_000) })
    .optional(),
  /**
   * Leave `Retry-After` out of 429s (Jira does not always send it: JRACLOUD-82801), so clients
   * must fall back to `X-RateLimit-Reset`.
   */
  omitRetryAfter: z.boolean().default(false),
});
export type RateLimitSettings = z.infer<typeof RateLimitSettings>;

export type RateLimitReason = 'jira-burst-based' | 'jira-per-issue-on-write';

export interface RateVerdict {
  ok: boolean;
  headers: Record<string, string>;
}

interface Window {
  start: number;
  used: number;
}

/** Jira's share of budget left under which it says `X-RateLimit-NearLimit: true`. */
const NEAR_LIMIT_SHARE = 0.2;

/** `yyyy-MM-ddTHH:mmZ`, the form Jira writes `X-RateLimit-Reset` in: the next whole minute at or after `ms`. */
export function resetHeader(ms: number): string {
  const minute = Math.ceil(ms / 60_000) * 60_000;
  return `${new Date(minute).toISOString().slice(0, 16)}Z`;
}

export class JiraRateLimits {
  settings: RateLimitSettings = RateLimitSettings.parse({});
  private readonly windows = new Map<string, Window>();
  limited = 0;

  constructor(private readonly now: () => number) {}

  configure(input: unknown): RateLimitSettings {
    this.settings = RateLimitSettings.parse(input ?? {});
    this.windows.clear();
    return this.settings;
  }

  reset(): void {
    this.configure({});
    this.limited = 0;
  }

  /**
   * Counts one request. `endpoint` is the method and route pattern; `issueWrite` the issue id
   * when the request writes to one issue.
   */
  check(endpoint: string, issueWrite: number | undefined): RateVerdict {
    const checks: Array<[RateLimitReason, string, { limit: number; windowMs: number }]> = [];
    if (this.settings.burst) checks.push(['jira-burst-based', `burst ${endpoint}`, this.settings.burst]);
    if (this.settings.perIssueWrite && issueWrite !== undefined)
      checks.push(['jira-per-issue-on-write', `issue ${issueWrite}`, this.settings.perIssueWrite]);
    const now = this.now();
    let tightest: { limit: number; remaining: number; resetAt: number } | undefined;
    for (const [reason, key, rule] of checks) {
      let w = this.windows.get(key);
      if (!w || now - w.start >= rule.windowMs) {
        w = { start: now, used: 0 };
        this.windows.set(key, w);
      }
      const resetAt = w.start + rule.windowMs;
      if (w.used >= rule.limit) {
        this.limited++;
        const headers: Record<string, string> = {
          'RateLimit-Reason': reason,
          'X-RateLimit-Limit': String(rule.limit),
          'X-RateLimit-Remaining': '0',
          'X-RateLimit-Reset': resetHeader(resetAt),
        };
        if (!this.settings.omitRetryAfter)
          headers['Retry-After'] = String(Math.max(1, Math.ceil((resetAt - now) / 1000)));
        return { ok: false, headers };
      }
      w.used++;
      const remaining = rule.limit - w.used;
      if (!tightest || remaining / rule.limit < tightest.remaining / tightest.limit)
        tightest = { limit: rule.limit, remaining, resetAt };
    }
    if (!tightest) return { ok: true, headers: {} };
    const headers: Record<string, string> = {
      'X-RateLimit-Limit': String(tightest.limit),
      'X-RateLimit-Remaining': String(tightest.remaining),
      'X-RateLimit-Reset': resetHeader(tightest.resetAt),
    };
    if (tightest.remaining < tightest.limit * NEAR_LIMIT_SHARE) headers['X-RateLimit-NearLimit'] = 'true';
    return { ok: true, headers };
  }
}

/** The issue a request writes to, from its method and matched route: edits, transitions, comments, properties. */
export function issueWriteOf(
  method: string,
  route: string,
  params: Record<string, string>,
  resolve: (idOrKey: string) => number | undefined,
): number | undefined {
  if (method === 'GET' || method === 'HEAD' || method === 'OPTIONS') return undefined;
  if (!route.startsWith('/rest/api/3/issue/:issueIdOrKey') && !route.startsWith('/rest/servicedeskapi/request/:'))
    return undefined;
  const ref = params.issueIdOrKey;
  return ref === undefined ? undefined : resolve(ref);
}
