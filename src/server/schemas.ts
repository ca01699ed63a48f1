// zod schemas for the HTTP surface: one per route for params, query, body and response. The same
// schemas validate requests and are published as /openapi.json.
import { z } from 'zod';
import { EVENT_KINDS } from '../core/ledger/types.js';

const Side = z.enum(['a', 'b']).describe('Side of a connection.');
const JsonValue = z.unknown().describe("A field value in that system's own vocabulary (any JSON).");
const Iso = z.string().describe('ISO 8601 timestamp (UTC).');

const wholeNumber = {
  error: (issue: { code: string }) => (issue.code === 'invalid_type' ? 'expected a whole number' : undefined),
};
const offset = z.coerce.number(wholeNumber).int().min(0).default(0).describe('Items to skip.');
const limit = (max: number) =>
  z.coerce.number(wholeNumber).int().min(1).max(max).default(50).describe(`Items per page (1-${max}).`);

export const Empty = z.strictObject({});

export const ErrorBody = z.object({
  error: z.string().describe('Stable snake_case code, e.g. not_found, invalid_request, unauthorized.'),
  message: z.string().describe('One line, naming the parameter or the thing that was not found.'),
});
export type ErrorBody = z.infer<typeof ErrorBody>;

export const IdParams = z.strictObject({ id: z.string().min(1).max(64).describe('Ledger id.') });

export const Health = z.object({ status: z.literal('ok'), version: z.string(), uptimeSeconds: z.number() });

export const ReadyCheck = z.object({
  name: z.string().describe('"ledger" or the system name from the config.'),
  kind: z.enum(['ledger', 'system']),
  ready: z.boolean(),
  code: z.string().nullable().describe('Error code when not ready, e.g. auth_failed, network, timeout.'),
  reason: z.string().nullable().describe('Why it is not ready, in words (never credentials).'),
});
export type ReadyCheck = z.infer<typeof ReadyCheck>;
export const ReadyQuery = z.strictObject({
  verbose: z
    .string()
    .optional()
    .describe('Present (`?verbose`, any value): also check every system and name the degraded ones.'),
});
export const Ready = z.object({
  ready: z
    .boolean()
    .describe(
      'Whether the daemon can serve webhooks and status: the ledger answers. A vendor being down does not count.',
    ),
  checks: z
    .array(ReadyCheck)
    .describe('The ledger, and with ?verbose every system (a system that is down does not make the daemon unready).'),
  degraded: z
    .array(z.string())
    .optional()
    .describe('With ?verbose: the systems that are not reachable or not authenticated.'),
});
export type Ready = z.infer<typeof Ready>;

export const QueueStatus = z.object({
  depth: z.number().int().describe('Requests waiting plus in flight.'),
  waiting: z.number().int(),
  inFlight: z.number().int(),
  callsLastMinute: z.number().int(),
  rateLimitedLastMinute: z.number().int().describe('429 answers in the last minute.'),
  rateLimitWaitMs: z.number().describe('Total time paused by rate limits since start.'),
  pausedUntil: Iso.nullable(),
  pause: z
    .object({
      reason: z.enum(['rate_limited', 'budget']).describe('A 429 from the vendor, or the budget nearly spent.'),
      until: Iso.describe('When requests to the system resume.'),
      requestedSeconds: z.number().describe('The wait the vendor asked for, before the cap.'),
      capped: z.boolean().describe('The vendor asked for longer than rateLimit.maxWaitSeconds; the cap applies.'),
    })
    .nullable()
    .describe('The pause in force on the system, if any.'),
  maxWaitSeconds: z.number().describe('Longest the daemon waits on one vendor signal (rateLimit.maxWaitSeconds).'),
  budget: z
    .object({
      perMinute: z.number().describe('Calls (Freshservice: credits) allowed in any rolling minute.'),
      usedLastMinute: z.number().describe('Spent in the last rolling minute.'),
      leftThisMinute: z.number().describe('Left in the current rolling minute.'),
      refillPerMinute: z.number().describe('The sustained rate the budget refills at.'),
    })
    .nullable()
    .describe("The system's budget (a token bucket refilled continuously); null when no rate is configured."),
  ratePerMinute: z.number().int().describe('The current rate: requests sent in the last minute.'),
  queued: z
    .object({ change: z.number().int(), discovery: z.number().int(), background: z.number().int() })
    .describe('Requests waiting, by priority: changes people wait for, poll listings, background re-reads.'),
  drainSeconds: z.number().describe('Estimated seconds until everything queued has been sent, at the budget.'),
});

export const SideStatus = z.object({
  system: z.string(),
  label: z.string(),
  lastPollAt: Iso.nullable(),
  lastSuccessfulPollAt: Iso.nullable(),
  lastPollError: z.string().nullable(),
  cursor: Iso.nullable().describe('Poll watermark: the newest version seen.'),
  lagMs: z.number().nullable().describe('Milliseconds since the last successful poll began.'),
  queue: QueueStatus.nullable().describe("The system's request queue (shared by every connection using it)."),
  capabilities: z
    .record(z.string(), z.boolean())
    .describe('Which connector capabilities the system supports (changePolling, webhooks, deletions, …).'),
  openErrors: z.number().int().describe('Open errors recorded against this side.'),
  webhooks: z
    .object({
      acceptedLastHour: z.number().int(),
      lastAcceptedAt: Iso.nullable(),
      rejected: z
        .array(
          z.object({
            reason: z
              .string()
              .describe(
                'no_signature, bad_signature, not_configured, untrusted_key_url, key_unavailable, key_fetch_limited, invalid_body, too_large or unsupported_type.',
              ),
            label: z.string().describe('The reason in words ("bad signature").'),
            lastHour: z.number().int(),
            total: z.number().int().describe('Since the daemon started.'),
            lastAt: Iso,
          }),
        )
        .describe(
          'Reasons deliveries were refused in the last hour, most frequent first. Polling continues either way.',
        ),
    })
    .describe("Inbound webhooks to this side since the daemon started (the receiver's own counts)."),
});

export const HealthLevel = z.enum(['green', 'amber', 'red', 'off']);
export type HealthLevel = z.infer<typeof HealthLevel>;

export const PauseStatus = z
  .object({
    by: z
      .enum(['config', 'operator'])
      .describe('config: enabled: false in the configuration; operator: paused at run time.'),
    since: Iso.nullable(),
    note: z.string().nullable(),
    webhooksHeld: z
      .number()
      .int()
      .describe(
        'Webhook deliveries acknowledged but not acted on while paused (since the daemon started); resuming catches up from the cursors.',
      ),
  })
  .describe('Why nothing of this connection is synced now: no pass, poll, reconcile, retry or resync runs.');

export const FirstSyncStatus = z
  .object({
    kind: z
      .enum(['first sync', 'catch-up'])
      .describe('first sync: the ledger had no cursor; catch-up: the first round after a start.'),
    state: z.enum(['listing', 'syncing', 'done']),
    total: z.number().int().describe('Tickets the listings found (so far, while listing).'),
    done: z.number().int().describe('Tickets whose pass has run.'),
    startedAt: Iso,
    etaMs: z.number().nullable().describe('Estimated time left from the pace so far; null until a pass has run.'),
    text: z.string().describe('One line for people: "fs-cw first sync: 340 of 1,200 tickets, about 2 min left".'),
  })
  .describe(
    'Progress of the first sync (both sides listed before any create), or of the catch-up round after a start.',
  );

export const ConnectionStatus = z.object({
  name: z.string(),
  enabled: z.boolean(),
  paused: PauseStatus.nullable(),
  firstSync: FirstSyncStatus.nullable().optional(),
  health: z.object({ level: HealthLevel, summary: z.string().describe('One sentence for people.') }),
  links: z.number().int(),
  activeLinks: z.number().int(),
  openErrors: z.number().int(),
  openConflicts: z
    .number()
    .int()
    .describe('Conflicts belong to a link (both sides), so they are counted per connection.'),
  pendingIntents: z.number().int(),
  reconcile: z
    .object({
      calls: z.object({ a: z.number().int(), b: z.number().int() }).describe('One read per active link and side.'),
      estimatedSeconds: z
        .number()
        .int()
        .nullable()
        .describe("At each side's configured rate limit, the slower side; null when a side has none."),
    })
    .describe('What a full reconcile of this connection costs and how long it takes at the configured limits.'),
  drift: z
    .object({
      last: z
        .object({
          at: Iso,
          pairs: z.number().int(),
          unexplained: z
            .number()
            .int()
            .describe('Differences no pending change, parked conflict or due revert explains.'),
          pending: z.number().int().describe('Differences a pending change, parked conflict or due revert explains.'),
          unreadable: z.number().int(),
          repaired: z.number().int(),
        })
        .nullable()
        .describe('The last drift audit (ticketbridge drift or drift.cron); null before the first.'),
      running: z
        .object({ done: z.number().int(), total: z.number().int(), startedAt: Iso })
        .nullable()
        .describe('The audit running now: pairs compared of how many.'),
    })
    .describe('Drift audits: whether both sides of every pair agree.'),
  sides: z.object({ a: SideStatus, b: SideStatus }),
});
export type ConnectionStatus = z.infer<typeof ConnectionStatus>;

export const Status = z.object({
  version: z.string(),
  startedAt: Iso,
  uptimeSeconds: z.number(),
  connections: z.array(ConnectionStatus),
  systems: z
    .array(ReadyCheck)
    .describe('Every system, once: reachable and authenticated, or why not (checked at most every few seconds).'),
  degraded: z.array(z.string()).describe('The systems that are not reachable or not authenticated.'),
});
export type Status = z.infer<typeof Status>;

export const LinkState = z.enum(['active', 'unlinked', 'flagged', 'closed', 'archived']);

export const Link = z.object({
  id: z.string(),
  connection: z.string(),
  aId: z.string(),
  bId: z.string(),
  state: LinkState,
  aVersion: z.string().nullable(),
  bVersion: z.string().nullable(),
  aKey: z.string().nullable().describe("Side a's human-facing ticket key (Jira's IT-12), where its system has one."),
  bKey: z.string().nullable().describe("Side b's human-facing ticket key, where its system has one."),
  createdAt: Iso,
  updatedAt: Iso,
  note: z.string().nullable(),
  closedSince: z
    .string()
    .nullable()
    .optional()
    .describe('Since when a pass has seen both tickets closed; an archived link was closed that long.'),
});

const page = <T extends z.ZodType>(item: T) =>
  z.object({ items: z.array(item), total: z.number().int(), offset: z.number().int(), limit: z.number().int() });

export const LinksQuery = z.strictObject({
  connection: z.string().min(1).optional(),
  ticket: z
    .string()
    .min(1)
    .optional()
    .describe(
      'A ticket: `123` or `IT-12` on any system, or `system:ref` (`cw:123`, `jira:IT-12`) on that system only; Jira keys in any case.',
    ),
  state: LinkState.optional(),
  offset,
  limit: limit(500),
});
export const LinksPage = page(Link);

export const EventKind = z.enum(EVENT_KINDS);

export const SyncEvent = z.object({
  id: z.string(),
  at: Iso,
  connection: z.string(),
  linkId: z.string().nullable(),
  side: Side.nullable(),
  field: z.string().nullable(),
  kind: EventKind,
  oldValue: JsonValue,
  newValue: JsonValue,
  reason: z.string().describe('What happened and why, as a sentence.'),
  data: JsonValue.describe('Facts the KPI report counts (latencyMs on field_mirrored and link_created, …), or null.'),
});

export const EventsQuery = z.strictObject({
  connection: z.string().min(1).optional(),
  link: z.string().min(1).optional().describe('Link id.'),
  kind: EventKind.optional(),
  from: z
    .string()
    .min(1)
    .optional()
    .describe('Events at or after this day (YYYY-MM-DD, UTC midnight) or ISO 8601 instant.'),
  to: z
    .string()
    .min(1)
    .optional()
    .describe('Events before this instant, or up to the end of this day (YYYY-MM-DD, inclusive).'),
  offset,
  limit: limit(1000),
});
export const EventsPage = page(SyncEvent);

export const Baseline = z.object({ a: JsonValue, b: JsonValue });

export const Conflict = z.object({
  id: z.string(),
  connection: z.string(),
  linkId: z.string(),
  field: z.string(),
  aValue: JsonValue,
  bValue: JsonValue,
  baseline: Baseline,
  state: z.enum(['open', 'resolved']),
  createdAt: Iso,
  resolvedAt: Iso.nullable(),
  resolution: z.string().nullable(),
});

export const ErrorRecord = z.object({
  id: z.string(),
  connection: z.string(),
  linkId: z.string().nullable(),
  side: Side.nullable(),
  ticketId: z.string().nullable(),
  code: z.string(),
  message: z.string(),
  retryable: z.boolean().describe('Whether the engine retries it by itself.'),
  attempts: z.number().int(),
  state: z.enum(['open', 'resolved']),
  createdAt: Iso,
  updatedAt: Iso,
});

const stateFilter = z.enum(['open', 'resolved', 'all']).default('open').describe('@default open');

export const ConflictsQuery = z.strictObject({
  connection: z.string().min(1).optional(),
  state: stateFilter,
  link: z.string().min(1).optional().describe('Link id.'),
  offset,
  limit: limit(500),
});
export const ConflictsPage = page(Conflict);

export const ErrorsQuery = ConflictsQuery;
export const ErrorsPage = page(ErrorRecord);

/** Dashboard forms send `back` (a local path) to return to after the action. */
const back = z
  .string()
  .regex(/^\/(?!\/)[^\s\\]*$/, 'a local path starting with one /')
  .optional()
  .describe('Dashboard forms only: where to redirect after the action.');

export const ResolveBody = z.strictObject({
  take: Side.describe('Keep the value of this side; it is written to the other.'),
  back,
});
export const ActionBody = z.strictObject({ back }).optional();

export const ConnectionParams = z.strictObject({
  name: z.string().min(1).max(100).describe('Connection name, as under `connections:` in the configuration.'),
});

export const PauseBody = z
  .strictObject({ note: z.string().max(200).optional().describe('Why, for the dashboard and /status.'), back })
  .optional();

export const PauseResult = z.object({
  connection: z.string(),
  paused: PauseStatus.nullable(),
});

export const ResyncResult = z.object({
  linkId: z.string(),
  outcome: z.enum(['noop', 'changed', 'created', 'skipped']),
});

export const TicketRef = z.object({
  side: Side,
  system: z.string(),
  label: z.string(),
  id: z.string(),
  key: z.string().nullable().describe('Human-facing key, e.g. IT-12.'),
  url: z.string().nullable().describe("Link to the ticket in the system's UI, where known."),
  readError: z.string().nullable().describe('Error code when the ticket could not be read just now.'),
});

export const CommentMapEntry = z.object({
  side: Side,
  commentId: z.string(),
  role: z.enum(['copied', 'mirror', 'skipped']),
  twinId: z.string().nullable(),
  visibility: z.enum(['public', 'internal']),
});

export const LinkDetail = z.object({
  link: Link,
  tickets: z.object({ a: TicketRef, b: TicketRef }),
  baselines: z.array(z.object({ field: z.string(), a: JsonValue, b: JsonValue })),
  comments: z.array(CommentMapEntry),
  conflicts: z.array(Conflict),
  errors: z.array(ErrorRecord),
  events: z.array(SyncEvent).describe('The full event history, newest first.'),
});
export type LinkDetail = z.infer<typeof LinkDetail>;

export const WebhookParams = z.strictObject({
  connection: z.string().min(1).max(100),
  side: z.string().min(1).max(10).describe('a or b; anything else is 404.'),
});
export const WebhookAccepted = z.object({
  status: z
    .enum(['accepted', 'duplicate', 'paused'])
    .describe('paused: the connection is paused; the delivery is counted and its change is caught up on resume.'),
  ticketIds: z.array(z.string()).describe('Tickets hinted to the engine (empty for a duplicate).'),
});
