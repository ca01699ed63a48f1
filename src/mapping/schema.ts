// The YAML configuration as zod schemas: systems, connections (scope, fields, comments, create,
// lifecycle, routing), ledger, server and schedules. Strict everywhere: an unknown key is an
// error with a suggestion. `config/schema.json` is generated from these schemas.
import cron from 'node-cron';
import { z } from 'zod';

const Json: z.ZodType<unknown> = z.lazy(() =>
  z.union([z.string(), z.number(), z.boolean(), z.null(), z.array(Json), z.record(z.string(), Json)]),
);
/** A field value in a system's native vocabulary (string, number, boolean, null, list, object). */
export const NativeValue = Json;

/**
 * A URL the daemon calls or shows: http or https only, and never with a user name or password in
 * it (credentials belong under `credentials`; a URL ends up in logs and in dashboard links).
 */
export const HttpUrl = z.url().superRefine((value, ctx) => {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return; // z.url() already reported it
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    ctx.addIssue({ code: 'custom', message: `must be an http:// or https:// URL, not ${url.protocol}` });
  if (url.username !== '' || url.password !== '')
    ctx.addIssue({
      code: 'custom',
      message:
        'must not carry a user name or password (user:secret@host): put credentials under credentials, since a URL is shown in logs and dashboard links',
    });
});

const Secret = z
  .string()
  .min(1)
  .describe('A secret: write ${env:NAME}, ${env:NAME:-default} or ${file:/path}, never the value itself.');

export const RateLimitConfig = z
  .strictObject({
    requestsPerMinute: z
      .number()
      .int()
      .positive()
      .optional()
      .describe(
        'Requests per minute this system allows the daemon (the plan or API limit); for Freshservice, credits per minute (a call with includes costs more than one).',
      ),
    concurrency: z.number().int().min(1).max(64).optional().describe('Requests in flight at once. @default 4'),
    maxWaitSeconds: z
      .number()
      .int()
      .positive()
      .max(86_400)
      .optional()
      .describe(
        'Longest the daemon waits on one vendor signal (a 429 Retry-After or reset time) before trying the system again; a longer ask is capped, logged as a warning and shown on /status. @default 300',
      ),
  })
  .describe('Client-side limits for one system; every connection using the system shares them.');

export const WebhookConfig = z
  .strictObject({
    secret: Secret.optional().describe('Shared secret (HMAC key or header value) inbound webhooks must carry.'),
    header: z
      .string()
      .min(1)
      .optional()
      .describe('Header carrying the shared secret (Freshservice). @default X-Ticketbridge-Secret'),
    publicUrl: HttpUrl.optional().describe(
      'URL under which the system reaches this daemon, for registering callbacks.',
    ),
    trustedKeyHosts: z
      .array(z.string().min(1))
      .optional()
      .describe('ConnectWise: hosts allowed to serve the callback signing key.'),
  })
  .describe('Inbound webhooks from this system.');

const SystemCommon = {
  baseUrl: HttpUrl.describe('Base URL of the system (http or https, scheme and host, no API path).'),
  rateLimit: RateLimitConfig.optional(),
  webhook: WebhookConfig.optional(),
  timeoutMs: z.number().int().positive().optional().describe('HTTP timeout per request. @default 30000'),
};

export const FreshserviceSystem = z
  .strictObject({
    kind: z.literal('freshservice'),
    ...SystemCommon,
    credentials: z.strictObject({ apiKey: Secret }),
    options: z
      .strictObject({
        workspaceId: z
          .number()
          .int()
          .positive()
          .optional()
          .describe('Limit to one workspace (multi-workspace accounts).'),
        defaultRequesterEmail: z
          .email()
          .optional()
          .describe('Requester for tickets created from the other side when no requester is mapped.'),
        markerField: z
          .string()
          .min(1)
          .optional()
          .describe('Custom field (e.g. cf_ticketbridge) holding the marker; else a tag is used.'),
        conversationBudgetPerMinute: z
          .number()
          .int()
          .positive()
          .optional()
          .describe('Most conversation list calls per minute (the dominant API cost).'),
        rateWindowMs: z
          .number()
          .int()
          .positive()
          .optional()
          .describe(
            'Length of the vendor rate-limit window the X-Ratelimit-* headers count in; Freshservice uses one minute, only simulators shorten it. @default 60000',
          ),
      })
      .optional(),
  })
  .describe('A Freshservice account (API v2).');

export const ConnectWiseSystem = z
  .strictObject({
    kind: z.literal('connectwise'),
    ...SystemCommon,
    credentials: z.strictObject({
      company: z.string().min(1).describe('The company id used at login.'),
      publicKey: Secret,
      privateKey: Secret,
      clientId: Secret.describe('The clientId from the ConnectWise developer portal.'),
    }),
    options: z
      .strictObject({
        codebase: z
          .string()
          .regex(/^[\w.-]+\/$/, 'codebase looks like "v4_6_release/"')
          .optional()
          .describe('Codebase path; discovered through /login/companyinfo when unset.'),
        apiVersion: z.string().optional().describe('Model version pinned in the Accept header. @default 2022.1'),
        companyIdentifier: z
          .string()
          .min(1)
          .optional()
          .describe('Client company identifier for new tickets (e.g. Contoso).'),
      })
      .optional(),
  })
  .describe('A ConnectWise Manage (PSA) instance.');

export const JsmSystem = z
  .strictObject({
    kind: z.literal('jsm'),
    ...SystemCommon,
    credentials: z.strictObject({
      email: z.string().min(1).describe('Atlassian account e-mail of the integration user.'),
      apiToken: Secret,
    }),
    options: z
      .strictObject({
        deployment: z
          .enum(['cloud', 'datacenter'])
          .optional()
          .describe(
            'Only `cloud` is supported; Data Center (Bearer PAT, REST v2, wiki markup) is documented in the connector readme. @default cloud',
          ),
        defaultResolution: z
          .string()
          .min(1)
          .optional()
          .describe('Resolution set on a transition that requires one when the mapping gives none. @default Done'),
        closedStatus: z
          .string()
          .min(1)
          .optional()
          .describe(
            'Status closeTicket moves an issue to; else the first Done-category status, preferring Closed, then Resolved.',
          ),
      })
      .optional(),
  })
  .describe('A Jira Service Management (Cloud) site.');

export const SystemConfig = z.discriminatedUnion('kind', [FreshserviceSystem, ConnectWiseSystem, JsmSystem]);
export type SystemConfig = z.infer<typeof SystemConfig>;

export const ScopeConfig = z
  .strictObject({
    boards: z.array(z.string().min(1)).min(1).optional().describe('ConnectWise: board names.'),
    project: z.string().min(1).optional().describe('Jira: project key.'),
    requestTypes: z
      .array(z.string().min(1))
      .optional()
      .describe('Jira: request type names; also the request type used for creates (the first).'),
    issueType: z
      .string()
      .min(1)
      .optional()
      .describe('Jira: issue type for creates without a request type. @default Incident'),
    jql: z.string().min(1).optional().describe('Jira: extra JQL ANDed to the scope.'),
    groups: z
      .array(z.union([z.string().min(1), z.number().int()]))
      .optional()
      .describe('Freshservice: agent group names or ids.'),
    categories: z.array(z.string().min(1)).optional().describe('Freshservice: categories.'),
    tags: z.array(z.string().min(1)).optional().describe('Freshservice: tickets carrying any of these tags.'),
    query: z.string().min(1).optional().describe('Freshservice: filter query; ConnectWise: extra conditions.'),
  })
  .describe('Which tickets on this side take part.');
export type ScopeConfig = z.infer<typeof ScopeConfig>;

export const SideConfig = z.strictObject({
  system: z.string().min(1).describe('Name of a system under `systems`.'),
  scope: ScopeConfig.default({}),
  team: z
    .string()
    .min(1)
    .optional()
    .describe('Who works tickets on this side (e.g. "MSP", "internal IT"), in sentences and the RACI matrix.'),
});

const MapEntry = z.strictObject({ a: NativeValue, b: NativeValue });

export const TransformName = z
  .string()
  .regex(
    /^(trim|lowercase|uppercase|collapse-whitespace|truncate:\d+|prefix:.*|strip-prefix:.*)$/,
    'known transforms: trim, lowercase, uppercase, collapse-whitespace, truncate:N, prefix:TEXT, strip-prefix:TEXT',
  );

export const FieldConfig = z
  .strictObject({
    name: z.string().min(1).describe('Name of the mirrored field in the ledger and on the dashboard.'),
    a: z.string().min(1).describe('Native field name on side a.'),
    b: z.string().min(1).describe('Native field name on side b.'),
    owner: z.enum(['a', 'b', 'both']).describe('System of record: a, b, or both.'),
    conflict: z
      .enum(['newest', 'prefer-a', 'prefer-b', 'manual'])
      .optional()
      .describe('When owner is both and both sides changed differently. @default newest'),
    onForeignEdit: z
      .enum(['revert', 'ignore'])
      .optional()
      .describe('When the non-owner side edits the field. @default revert'),
    type: z.enum(['value', 'text']).optional().describe('text compares as normalised plain text. @default value'),
    map: z
      .array(MapEntry)
      .optional()
      .describe(
        'Value pairs {a, b}; a value may appear in several pairs (many-to-one); the first pair wins when translating.',
      ),
    reverseDefault: z
      .strictObject({ a: NativeValue.optional(), b: NativeValue.optional() })
      .optional()
      .describe('Value written on side a (or b) when the other side holds a value the map does not list.'),
    transform: z
      .strictObject({
        toA: z.array(TransformName).optional(),
        toB: z.array(TransformName).optional(),
      })
      .optional()
      .describe('Transforms applied in order when writing to that side.'),
  })
  .describe('One mirrored field.');
export type FieldConfig = z.infer<typeof FieldConfig>;

const Direction = z.strictObject({
  public: z
    .enum(['public', 'internal', 'skip'])
    .default('public')
    .describe('What a public comment becomes on the other side.'),
  internal: z
    .enum(['internal', 'skip'])
    .default('skip')
    .describe('What an internal note becomes on the other side (never public).'),
});

export const CommentsConfig = z
  .strictObject({
    aToB: Direction.default({ public: 'public', internal: 'skip' }),
    bToA: Direction.default({ public: 'public', internal: 'skip' }),
  })
  .describe('Which comment visibilities cross in which direction; nothing becomes more visible.');

const AttachmentDirection = z
  .enum(['public', 'all', 'none'])
  .describe(
    'public: only files people can see on the source (a file on an internal note stays); all: every file, keeping its visibility; none: no file crosses.',
  );

/** A content-type pattern: `image/png`, `image/*` or `*\/*`. */
const ContentTypePattern = z
  .string()
  .regex(
    /^(\*|[a-z0-9][a-z0-9!#$&^_.+-]*)\/(\*|[a-z0-9][a-z0-9!#$&^_.+-]*)$/i,
    'a content type such as image/png or image/*',
  );

export const AttachmentsConfig = z
  .strictObject({
    aToB: AttachmentDirection.default('public'),
    bToA: AttachmentDirection.default('public'),
    maxBytes: z
      .number()
      .int()
      .positive()
      .optional()
      .describe('Largest file copied, in bytes; the target system’s own limit applies as well.'),
    allow: z
      .array(ContentTypePattern)
      .optional()
      .describe('Only files of these content types are copied (e.g. image/*, application/pdf).'),
    deny: z.array(ContentTypePattern).default([]).describe('Files of these content types are never copied.'),
  })
  .describe(
    'Which files cross in which direction; never more visible than on the source. A file not copied (limit, type, refused) leaves a note on the other side naming it. Without this key no file is copied.',
  );
export type AttachmentsConfig = z.infer<typeof AttachmentsConfig>;

const CreateDirection = z.union([
  z.boolean(),
  z.strictObject({
    enabled: z.boolean().default(true),
    defaults: z
      .record(z.string(), NativeValue)
      .default({})
      .describe('Native fields set on the created ticket (target side vocabulary).'),
  }),
]);

export const CreateConfig = z
  .strictObject({
    aToB: CreateDirection.default(true).describe('Tickets created on side a are created on side b.'),
    bToA: CreateDirection.default(true).describe('Tickets created on side b are created on side a.'),
  })
  .describe('Whether new tickets are mirrored, per direction.');

export const LifecycleConfig = z
  .strictObject({
    onDelete: z
      .enum(['close', 'unlink', 'flag'])
      .default('flag')
      .describe('A linked ticket deleted on one side: close the twin, unlink, or flag the link.'),
    onUnscope: z
      .enum(['close', 'unlink', 'flag'])
      .default('unlink')
      .describe('A linked ticket moved out of scope on one side.'),
    stopAfterClosedDays: z
      .number()
      .int()
      .min(0)
      .optional()
      .describe(
        'Archive a link once both its tickets have been closed this many days: the reconcile no longer reads it; it stays searchable and auditable, and a change to either ticket makes it active again.',
      ),
  })
  .describe('What happens when tickets are deleted, leave scope or stay closed.');

const Instant = z.string().refine((v) => /^\d{4}-\d{2}-\d{2}/.test(v) && !Number.isNaN(Date.parse(v)), {
  message: 'a date ("2026-01-31") or an ISO 8601 time ("2026-01-31T08:00:00Z")',
});

export const InitialSyncConfig = z
  .strictObject({
    openOnly: z
      .boolean()
      .default(true)
      .describe(
        'Of the tickets that existed before the first sync, only open ones get a twin (closed ones are left alone).',
      ),
    createdAfter: Instant.optional().describe(
      'Tickets created before this date or time never get a twin (a date alone is midnight UTC).',
    ),
  })
  .describe(
    'Which tickets that already exist when the connection first syncs get a twin; tickets created after the first sync started always follow the create rules. A ticket whose twin already exists (found by its marker) is linked to it whatever these say.',
  );
export type InitialSyncConfig = z.infer<typeof InitialSyncConfig>;

const HhMm = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'a time of day looks like "08:00" (24-hour clock)');

const TimeZone = z
  .string()
  .min(1)
  .refine(
    (zone) => {
      try {
        new Intl.DateTimeFormat('en-US', { timeZone: zone });
        return true;
      } catch {
        return false;
      }
    },
    { message: 'not an IANA time zone (e.g. Europe/London, America/New_York)' },
  );

export const CalendarConfig = z
  .strictObject({
    timezone: TimeZone.default('UTC').describe('IANA time zone the windows and holidays are in. @default UTC'),
    days: z
      .array(z.enum(['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun']))
      .default(['mon', 'tue', 'wed', 'thu', 'fri'])
      .describe('Days a window opens on; a window crossing midnight belongs to the day it starts.'),
    start: HhMm.default('08:00').describe('Opening time when `windows` is not given. @default 08:00'),
    end: HhMm.default('18:00').describe(
      'Closing time when `windows` is not given; at or before `start` means the next day (22:00–06:00). @default 18:00',
    ),
    windows: z
      .array(z.strictObject({ start: HhMm, end: HhMm }))
      .min(1)
      .optional()
      .describe('Several windows per day (overrides start/end); each may cross midnight.'),
    holidays: z
      .array(z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'a holiday is a date like "2026-12-25"'))
      .default([])
      .describe('Local dates on which no window opens.'),
    holidaysFile: z
      .string()
      .min(1)
      .optional()
      .describe('An iCalendar (.ics) file of holidays (relative to the config file); its events are added.'),
  })
  .describe('Business hours: time zone, weekdays, windows (may cross midnight) and holidays.');
export type CalendarConfig = z.infer<typeof CalendarConfig>;
/** Business hours written inline (the same shape as a named calendar). */
export const BusinessHoursConfig = CalendarConfig;

export const MatchCondition = z
  .strictObject({
    side: z.enum(['a', 'b']).optional().describe('Side whose ticket is tested; either side when unset.'),
    field: z.string().min(1).describe('Native field on that side (category, priority, board, group_id, tags, …).'),
    in: z
      .array(NativeValue)
      .min(1)
      .optional()
      .describe('Holds when the field holds one of these values (for a list field: any element).'),
    contains: z
      .array(z.string().min(1))
      .min(1)
      .optional()
      .describe('Holds when the field text contains one of these words (case-insensitive).'),
  })
  .refine((c) => c.in !== undefined || c.contains !== undefined, { message: 'a condition needs `in` or `contains`' })
  .describe('One test on a native field of a ticket.');
export type MatchCondition = z.infer<typeof MatchCondition>;

export const MatchConfig = z
  .strictObject({
    all: z.array(MatchCondition).default([]).describe('Every one of these conditions holds.'),
    any: z.array(MatchCondition).default([]).describe('At least one of these holds (when any are given).'),
  })
  .describe('Which tickets a rule applies to: all of `all` and, when given, one of `any`.');
export type MatchConfig = z.infer<typeof MatchConfig>;

const RoutingRule = z.strictObject({
  when: z
    .strictObject({
      field: z.string().min(1).optional().describe('Native field on the source side.'),
      in: z.array(NativeValue).optional().describe('Matches when the field holds one of these values.'),
      all: z.array(MatchCondition).optional().describe('Every one of these conditions holds.'),
      any: z.array(MatchCondition).optional().describe('At least one of these holds.'),
      businessHours: z.boolean().optional().describe('Matches inside (true) or outside (false) business hours.'),
    })
    .default({}),
  set: z.record(z.string(), NativeValue).describe('Native fields to set on the created ticket (target side).'),
});

export const RoutingConfig = z
  .strictObject({
    businessHours: z
      .union([z.string().min(1), BusinessHoursConfig])
      .optional()
      .describe('The name of a calendar under `calendars`, or business hours written here.'),
    aToB: z.array(RoutingRule).default([]).describe('First matching rule sets fields on tickets created on side b.'),
    bToA: z.array(RoutingRule).default([]).describe('First matching rule sets fields on tickets created on side a.'),
  })
  .describe('Where created tickets land (board, group, …) by category, priority or business hours.');

export const FunctionConfig = z
  .strictObject({
    name: z
      .string()
      .regex(/^[a-z0-9][a-z0-9_-]*$/, 'function names are lowercase letters, digits, - and _')
      .describe('Short name (security, patching-os, tier-1, …).'),
    label: z.string().min(1).optional().describe('Words for sentences and the RACI matrix ("security incident").'),
    match: MatchConfig.default({ all: [], any: [] }).describe('Which tickets belong to this function.'),
    responsible: z.enum(['a', 'b']).describe('The side that does the work (R in the RACI).'),
    owners: z
      .record(z.string(), z.enum(['a', 'b', 'both']))
      .default({})
      .describe('Field name → owner while a ticket belongs to this function; other fields keep their owner.'),
  })
  .describe('A kind of work in the co-managed RACI: the first function whose match holds is the ticket’s.');
export type FunctionConfig = z.infer<typeof FunctionConfig>;

export const EscalationConfig = z
  .strictObject({
    name: z
      .string()
      .regex(/^[a-z0-9][a-z0-9_-]*$/, 'escalation names are lowercase letters, digits, - and _')
      .describe('Short name of the policy (outage, security, executive, …).'),
    scenario: z
      .string()
      .min(1)
      .default('custom')
      .describe('outage, security, executive, or a name of your own (for reports). @default custom'),
    label: z.string().min(1).optional().describe('Words for messages and the dashboard ("critical outage").'),
    match: MatchConfig.describe(
      'Which tickets trigger the policy: priority, category, requester (VIP list or group), keywords, …',
    ),
    route: z
      .strictObject({
        side: z.enum(['a', 'b']).describe('The side whose ticket is moved (usually the MSP side).'),
        set: z.record(z.string(), NativeValue).describe('Native fields set inside business hours (board, group, …).'),
        afterHours: z
          .record(z.string(), NativeValue)
          .optional()
          .describe('Native fields set outside business hours instead (the on-call board).'),
        calendar: z
          .string()
          .min(1)
          .optional()
          .describe('Calendar deciding in or after hours. @default always in hours'),
      })
      .optional()
      .describe('Where the ticket goes on the other side when the policy triggers.'),
    sla: z
      .strictObject({
        firstResponseMinutes: z
          .number()
          .int()
          .positive()
          .optional()
          .describe('Time to the first public reply a person writes on either side.'),
        resolutionMinutes: z
          .number()
          .int()
          .positive()
          .optional()
          .describe('Time until the ticket is resolved (`resolvedWhen` holds).'),
        resolvedWhen: MatchConfig.optional().describe(
          'When the ticket counts as resolved (e.g. status Resolved or Closed on either side); needed with resolutionMinutes.',
        ),
        businessHours: z
          .boolean()
          .default(false)
          .describe("Count only minutes inside the policy's calendar (`route.calendar`). @default false"),
      })
      .optional()
      .describe('SLA clocks started when the policy triggers; a breach is recorded (and told) when it falls due.'),
    contacts: z
      .array(z.string().min(1))
      .default([])
      .describe('Notification channels (names under `notifications.channels`) told when the policy triggers.'),
    message: z
      .string()
      .min(1)
      .optional()
      .describe(
        'Message template: {policy} {label} {scenario} {summary} {connection} {linkA} {linkB} {route} {keyA} {keyB}.',
      ),
  })
  .describe('An escalation path decided in advance; evaluated on every pass, triggered once per ticket.');
export type EscalationConfig = z.infer<typeof EscalationConfig>;

const Native = z.string().min(1);

export const PairMatchConfig = z
  .union([
    z.strictObject({
      reference: z
        .strictObject({
          side: z.enum(['a', 'b']).describe("The side whose field holds the other side's ticket id or key."),
          field: Native.describe(
            'Native field on that side: ConnectWise `externalXRef` (External Reference), a Freshservice `cf_…` custom field, a Jira field.',
          ),
        })
        .describe("One side's field names the other side's ticket (its id, or its key such as IT-12 or #INC-12)."),
    }),
    z.strictObject({
      summary: z
        .strictObject({ a: Native, b: Native })
        .describe('Native summary fields; compared without case, punctuation or spacing.'),
      requester: z
        .strictObject({ a: Native, b: Native })
        .describe('Native requester fields (e-mail or name) on each side; compared the same way.'),
      withinMinutes: z
        .number()
        .int()
        .positive()
        .default(60)
        .describe("Largest gap between the two tickets' creation times. @default 60"),
    }),
  ])
  .describe(
    '`ticketbridge link --discover`: how to find tickets both teams already hold (a reference field, or the same summary and requester within a time window).',
  );
export type PairMatchConfig = z.infer<typeof PairMatchConfig>;

export const ConnectionConfig = z
  .strictObject({
    a: SideConfig,
    b: SideConfig,
    enabled: z.boolean().default(true),
    fields: z.array(FieldConfig).min(1),
    comments: CommentsConfig.default({
      aToB: { public: 'public', internal: 'skip' },
      bToA: { public: 'public', internal: 'skip' },
    }),
    attachments: AttachmentsConfig.optional(),
    create: CreateConfig.default({ aToB: true, bToA: true }),
    lifecycle: LifecycleConfig.default({ onDelete: 'flag', onUnscope: 'unlink' }),
    initialSync: InitialSyncConfig.default({ openOnly: true }),
    match: PairMatchConfig.optional(),
    routing: RoutingConfig.optional(),
    functions: z
      .array(FunctionConfig)
      .default([])
      .describe('Ownership by function (the RACI): evaluated on every pass; the first match wins.'),
    escalations: z
      .array(EscalationConfig)
      .default([])
      .describe('Escalation policies: every policy whose match holds triggers once per ticket.'),
    pollIntervalMs: z.number().int().min(500).optional().describe('Overrides polling.intervalMs for this connection.'),
  })
  .describe('A pair of systems kept in sync.');
export type ConnectionConfig = z.infer<typeof ConnectionConfig>;

export const LedgerConfig = z
  .discriminatedUnion('driver', [
    z.strictObject({ driver: z.literal('sqlite'), path: z.string().min(1).describe('File path; created if missing.') }),
    z.strictObject({
      driver: z.literal('postgres'),
      url: Secret.describe('postgres://user:password@host:5432/db'),
      schema: z
        .string()
        .regex(/^[a-z_][a-z0-9_]*$/)
        .default('ticketbridge'),
      leaseMs: z.number().int().positive().default(30_000).describe('How long an instance holds a claimed link.'),
    }),
  ])
  .describe('Where the sync ledger lives.');
export type LedgerConfig = z.infer<typeof LedgerConfig>;

export const ServerToken = z
  .strictObject({
    name: z
      .string()
      .regex(/^[A-Za-z0-9][\w.@-]{0,63}$/, 'a token name is letters, digits and . _ @ -')
      .describe('Who holds the token; recorded on every action it takes.'),
    token: Secret,
    role: z
      .enum(['viewer', 'operator', 'admin'])
      .describe('viewer reads only; operator also acts (resolve, retry, resync, pause); admin may do everything.'),
    connections: z
      .array(z.string().min(1))
      .min(1)
      .optional()
      .describe('Limit the token to these connections: it sees and acts on nothing else. @default every connection'),
  })
  .describe('A named status-API and dashboard token with a role.');
export type ServerToken = z.infer<typeof ServerToken>;

export const ServerConfig = z
  .strictObject({
    host: z.string().min(1).default('127.0.0.1'),
    port: z.number().int().min(0).max(65535).default(8080),
    token: Secret.optional().describe(
      'Bearer token for the status API and dashboard (an admin token); a token or tokens are required off loopback.',
    ),
    tokens: z
      .array(ServerToken)
      .min(1)
      .optional()
      .describe('Named tokens with roles, for several people or teams; server.token keeps working as an admin token.'),
    metricsToken: Secret.optional().describe('A token that may read GET /metrics and nothing else (for Prometheus).'),
    metricsPort: z
      .number()
      .int()
      .min(1)
      .max(65535)
      .optional()
      .describe(
        'Also serve GET /metrics (and nothing else) on this port, on server.host: the scrape port Prometheus setups expect. Open there unless server.metricsToken is set, which it then needs.',
      ),
    publicUrl: HttpUrl.optional().describe('External URL of this daemon (for webhook registration and links).'),
  })
  .describe('The status endpoint, dashboard and webhook receiver.');

export const PollingConfig = z.strictObject({
  intervalMs: z.number().int().min(500).default(30_000).describe('How often each side is polled.'),
  overlapMs: z
    .number()
    .int()
    .min(0)
    .default(120_000)
    .describe('How far before the cursor each poll reaches back (clock skew, index lag).'),
});

/** A schedule: the same validator node-cron applies when the daemon schedules it. */
const CronExpression = z
  .string()
  .min(1)
  .superRefine((expression, ctx) => {
    const { valid, errors } = cron.validateDetailed(expression);
    if (!valid)
      ctx.addIssue({
        code: 'custom',
        message: `not a cron expression (minute hour day-of-month month day-of-week, seconds optional first): ${errors.map((e) => e.message.replace(' a invalid ', ' not a valid ')).join('; ')}`,
      });
  });

export const ReconcileConfig = z.strictObject({
  cron: CronExpression.default('*/15 * * * *').describe('node-cron expression for the full re-read of linked tickets.'),
  enabled: z.boolean().default(true),
});

export const DriftConfig = z
  .strictObject({
    cron: CronExpression.optional().describe(
      'node-cron expression for the drift audit of every active pair (fields and public comments), run at background priority within the rate-limit budget; its last result is on /status, the dashboard and /metrics. No schedule when unset (ticketbridge drift runs it by hand).',
    ),
    repair: z
      .boolean()
      .default(false)
      .describe('Whether the scheduled audit also settles what it finds unexplained by the field rules (as --repair).'),
  })
  .describe('The scheduled drift audit: proof that both sides of every pair agree.');

export const SecretsConfig = z
  .strictObject({
    directory: z
      .string()
      .min(1)
      .optional()
      .describe(
        'When set, ${file:…} references may only read files inside this directory (e.g. /run/secrets); relative to the config file.',
      ),
    maxBytes: z
      .number()
      .int()
      .positive()
      .max(1_048_576)
      .optional()
      .describe('Largest secret file read. @default 65536'),
  })
  .describe('How ${file:…} secrets are read: regular files only, bounded in size, optionally from one directory.');

export const EngineConfig = z.strictObject({
  concurrency: z.number().int().min(1).max(256).default(8).describe('Links processed at once.'),
  watchIntervalMs: z
    .number()
    .int()
    .min(50)
    .default(30_000)
    .describe(
      'How often SLA clocks and sync trouble are checked; an SLA clock is also checked the moment it falls due. @default 30000',
    ),
});

const ChannelName = z.string().regex(/^[a-z0-9][a-z0-9_-]*$/, 'channel names are lowercase letters, digits, - and _');

export const NotificationChannel = z
  .discriminatedUnion('kind', [
    z.strictObject({
      kind: z.literal('webhook'),
      url: Secret.describe('Receiver URL; a generic JSON POST.'),
      secret: Secret.optional().describe('HMAC-SHA256 key: the body is signed in X-Ticketbridge-Signature.'),
    }),
    z.strictObject({
      kind: z.literal('slack'),
      url: Secret.describe('Slack incoming-webhook URL (it is a credential: use ${env:…}).'),
    }),
    z.strictObject({
      kind: z.literal('teams'),
      url: Secret.describe('Microsoft Teams incoming-webhook URL (it is a credential: use ${env:…}).'),
    }),
    z.strictObject({
      kind: z.literal('email'),
      to: z.array(z.email()).min(1).describe('Recipients.'),
    }),
  ])
  .describe('Where a notice goes: a JSON webhook, Slack, Teams, or e-mail (through notifications.smtp).');
export type NotificationChannel = z.infer<typeof NotificationChannel>;

export const NotificationsConfig = z
  .strictObject({
    smtp: z
      .strictObject({
        host: z.string().min(1),
        port: z.number().int().min(1).max(65535).default(587),
        secure: z.boolean().default(false).describe('TLS from the start (port 465); else STARTTLS when offered.'),
        user: z.string().min(1).optional(),
        password: Secret.optional(),
        from: z.email().describe('Sender address.'),
      })
      .optional()
      .describe('The SMTP server e-mail channels send through (nodemailer).'),
    channels: z.record(ChannelName, NotificationChannel).default({}),
    retries: z.number().int().min(0).max(10).default(3).describe('Retries per channel, with exponential backoff.'),
    retryMinMs: z.number().int().min(1).default(1000).describe('First retry delay; doubles each time. @default 1000'),
    trouble: z
      .strictObject({
        channels: z.array(ChannelName).min(1).describe('Who hears about sync trouble.'),
        conflictMinutes: z
          .number()
          .int()
          .positive()
          .default(30)
          .describe('A conflict waiting longer than this is told. @default 30'),
      })
      .optional()
      .describe(
        'Sync trouble: an error that needs a person, a conflict waiting longer than conflictMinutes, a connection turning red.',
      ),
  })
  .describe('Notifications for escalations, SLA breaches and sync trouble.');
export type NotificationsConfig = z.infer<typeof NotificationsConfig>;

export const Config = z
  .strictObject({
    $schema: z
      .string()
      .optional()
      .describe('Path or URL of config/schema.json, so editors complete and check this file.'),
    systems: z.record(
      z.string().regex(/^[a-z0-9][a-z0-9_-]*$/, 'system names are lowercase letters, digits, - and _'),
      SystemConfig,
    ),
    connections: z.record(
      z.string().regex(/^[a-z0-9][a-z0-9_-]*$/, 'connection names are lowercase letters, digits, - and _'),
      ConnectionConfig,
    ),
    ledger: LedgerConfig.default({ driver: 'sqlite', path: './ticketbridge.sqlite' }),
    server: ServerConfig.default({ host: '127.0.0.1', port: 8080 }),
    polling: PollingConfig.default({ intervalMs: 30_000, overlapMs: 120_000 }),
    reconcile: ReconcileConfig.default({ cron: '*/15 * * * *', enabled: true }),
    drift: DriftConfig.default({ repair: false }),
    engine: EngineConfig.default({ concurrency: 8, watchIntervalMs: 30_000 }),
    secrets: SecretsConfig.optional(),
    calendars: z
      .record(
        z.string().regex(/^[a-z0-9][a-z0-9_-]*$/, 'calendar names are lowercase letters, digits, - and _'),
        CalendarConfig,
      )
      .default({})
      .describe('Named business-hours calendars, for routing and escalation policies.'),
    notifications: NotificationsConfig.optional(),
    log: z
      .strictObject({ level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info') })
      .default({ level: 'info' }),
  })
  .describe('ticketbridge configuration');
export type Config = z.infer<typeof Config>;
export type ConfigInput = z.input<typeof Config>;
