// A faithful in-process Freshservice (API v2) for the demo, tests and benchmarks: Basic auth with
// the API key, the account-wide per-minute rate limit with its headers, the tickets and
// conversations API, and Workflow Automator web requests. Control routes live under /__sim/.
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { systemClock } from '../../core/types.js';
import type { FreshserviceSystem } from '../../mapping/schema.js';
import { createSimulatorApp, listen, type AuthResult } from '../common/server.js';
import type { SimulatorHandle, SimulatorModule, SimulatorStartOptions } from '../types.js';
import { Behaviour } from '../common/behaviour.js';
import { AutomatorConfig, DEFAULT_TEMPLATE, placeholders, renderTemplate } from './automator.js';
import { FsBehaviour } from './behaviour.js';
import type { Choice, CustomFieldDef, GroupDef, AgentDef, RequesterDef } from './fixtures.js';
import { AccountRateLimit } from './rate-limit.js';
import { acceptMultipart } from '../common/files.js';
import { FS_MAX_TICKET_BYTES, FsAttachments } from './attachments.js';
import { registerRoutes, validationFailed } from './routes.js';
import { FreshserviceStore, type TicketEvent, type TicketRec } from './store.js';
import { ValidationFailure } from './validate.js';

type FsSystem = z.infer<typeof FreshserviceSystem>;

/** Default account rate limit when the system config sets none (the Enterprise plan's overall limit). */
export const DEFAULT_SIM_RATE_PER_MINUTE = 500;

const SeedConversation = z.looseObject({
  body: z.string(),
  kind: z.enum(['note', 'reply']).default('note'),
  private: z.boolean().optional(),
  incoming: z.boolean().optional(),
  user_id: z.number().int().optional(),
  created_at: z.string().optional(),
});

const SeedTicket = z.looseObject({
  created_at: z.string().optional(),
  updated_at: z.string().optional(),
  deleted: z.boolean().optional(),
  spam: z.boolean().optional(),
  conversations: z.array(SeedConversation).optional(),
});

const SeedBody = z.strictObject({
  tickets: z.array(SeedTicket).default([]),
  /** Generates this many plain tickets quickly (benchmarks). */
  generate: z
    .strictObject({
      count: z.number().int().min(1).max(1_000_000),
      subjectPrefix: z.string().default('Generated ticket'),
    })
    .optional(),
  statuses: z
    .array(z.strictObject({ id: z.number().int(), value: z.string(), requester_display_value: z.string().optional() }))
    .optional(),
  customFields: z
    .array(
      z.strictObject({
        id: z.number().int(),
        name: z.string(),
        label: z.string(),
        field_type: z.enum([
          'custom_text',
          'custom_paragraph',
          'custom_number',
          'custom_checkbox',
          'custom_dropdown',
          'custom_date',
        ]),
        choices: z.array(z.string()).optional(),
        required_for_closure: z.boolean().optional(),
      }),
    )
    .optional(),
  groups: z
    .array(z.strictObject({ id: z.number().int(), name: z.string(), description: z.string().default('') }))
    .optional(),
  agents: z
    .array(z.strictObject({ id: z.number().int(), first_name: z.string(), last_name: z.string(), email: z.string() }))
    .optional(),
  requesters: z
    .array(
      z.strictObject({
        id: z.number().int(),
        first_name: z.string(),
        last_name: z.string(),
        primary_email: z.string(),
        mobile_phone_number: z.string().nullable().default(null),
      }),
    )
    .optional(),
});

const RateLimitBody = z.strictObject({
  perMinute: z.number().int().min(1).optional(),
  windowMs: z.number().int().min(100).optional(),
});

function upsert<T extends { id: number }>(list: T[], items: T[] | undefined): void {
  for (const item of items ?? []) {
    const i = list.findIndex((x) => x.id === item.id);
    if (i === -1) list.push(item);
    else list[i] = item;
  }
}

/** Seed timestamps: any ISO-8601 instant, truncated to the account's second precision. */
function seedDate(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const ms = Date.parse(value);
  if (Number.isNaN(ms))
    throw new ValidationFailure([
      { field: 'created_at', message: `'${value}' is not a timestamp`, code: 'invalid_value' },
    ]);
  return Math.floor(ms / 1000) * 1000;
}

function authenticate(apiKey: string): (request: FastifyRequest) => AuthResult {
  const denied: AuthResult = {
    ok: false,
    status: 401,
    body: { code: 'invalid_credentials', message: 'You have to be logged in to perform this action.' },
  };
  return (request) => {
    // Attachment URLs are pre-signed: the CDN checks their signature, not the API key.
    if (request.url.startsWith('/cdn/')) return { ok: true };
    const header = request.headers.authorization;
    if (!header?.startsWith('Basic ')) return denied;
    const decoded = Buffer.from(header.slice(6), 'base64').toString('utf8');
    const user = decoded.includes(':') ? decoded.slice(0, decoded.indexOf(':')) : decoded;
    return user === apiKey ? { ok: true } : denied;
  };
}

function errorBody(status: number): unknown {
  if (status === 429)
    return { code: 'rate_limit_exceeded', message: 'You have exceeded the limit of requests per minute' };
  if (status >= 500)
    return { code: 'internal_error', message: 'We are facing some technical difficulties. Please try again later.' };
  return { code: 'error', message: `Request failed with status ${status}` };
}

/** Credits one request costs: embeds add 1 on a single GET and 2 on a list (D§rate-limit). */
function creditsFor(request: FastifyRequest, listIncludeCredits: number): number {
  const include = (request.query as Record<string, string | undefined>).include;
  const count = include ? include.split(',').filter((s) => s.trim() !== '').length : 0;
  const route = request.routeOptions.url ?? '';
  if (request.method === 'GET' && route === '/api/v2/tickets') return 1 + listIncludeCredits * count;
  if (request.method === 'GET' && route === '/api/v2/tickets/:id')
    return 1 + count + (include?.includes('conversations') ? 1 : 0);
  return 1;
}

async function start(options: SimulatorStartOptions<FsSystem>): Promise<SimulatorHandle> {
  const system = options.system;
  const clock = options.clock ?? systemClock;
  let automator: AutomatorConfig | null = null;
  let baseUrl = '';

  const sim = createSimulatorApp({
    name: 'freshservice',
    ...(options.clock ? { clock: options.clock } : {}),
    authenticate: authenticate(system.credentials.apiKey),
    errorBody,
    onReset: () => {
      s.reset();
      rate.reset();
      behaviour.reset();
      automator = null;
      files.reset();
    },
    onSeed: (body) => seed(body),
  });
  const { app, faults } = sim;
  if (options.seed !== undefined) faults.set({ seed: options.seed });
  const s = new FreshserviceStore(() => faults.now());
  const behaviour = new Behaviour(FsBehaviour, (value) => (s.behaviour = value));
  const rate = new AccountRateLimit(
    { perMinute: system.rateLimit?.requestsPerMinute ?? DEFAULT_SIM_RATE_PER_MINUTE, windowMs: 60_000 },
    () => clock.now(),
  );

  s.onEvent = (event: TicketEvent, t: TicketRec) => {
    const hook = automator;
    if (!hook || (hook.events && !hook.events.includes(event))) return;
    const rendered = renderTemplate(hook.template ?? DEFAULT_TEMPLATE, placeholders(s, t, event, baseUrl));
    sim.webhooks.send({
      url: hook.url,
      body: JSON.stringify(rendered),
      headers: { 'content-type': 'application/json', ...hook.headers },
    });
  };

  function seed(raw: unknown): unknown {
    const parsed = SeedBody.safeParse(raw ?? {});
    if (!parsed.success)
      return { error: parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ') };
    const body = parsed.data;
    upsert<Choice>(s.account.statuses, body.statuses as Choice[] | undefined);
    upsert<CustomFieldDef>(s.account.customFields, body.customFields as CustomFieldDef[] | undefined);
    upsert<GroupDef>(s.account.groups, body.groups);
    upsert<AgentDef>(s.account.agents, body.agents);
    for (const r of (body.requesters ?? []) as RequesterDef[]) s.addRequester(r);
    s.reindexPeople();
    const ids: number[] = [];
    const errors: string[] = [];
    for (const [index, item] of body.tickets.entries()) {
      const { created_at, updated_at, deleted, spam, conversations, ...fields } = item;
      try {
        const createdAt = seedDate(created_at);
        const updatedAt = seedDate(updated_at);
        const t = s.createTicket(
          {
            description: '',
            ...(fields.requester_id === undefined && fields.email === undefined && fields.phone === undefined
              ? { requester_id: s.account.requesters[0]!.id }
              : {}),
            ...fields,
          },
          {
            event: false,
            ...(createdAt === undefined ? {} : { createdAt }),
            ...(updatedAt === undefined ? (createdAt === undefined ? {} : { updatedAt: createdAt }) : { updatedAt }),
          },
        );
        t.deleted = deleted ?? false;
        t.spam = spam ?? false;
        for (const c of conversations ?? []) {
          const at = seedDate(c.created_at) ?? t.createdAt;
          s.addConversation(t, c.kind, c, { event: false, createdAt: at });
        }
        ids.push(t.id);
      } catch (err) {
        if (!(err instanceof ValidationFailure)) throw err;
        errors.push(`tickets.${index}: ${err.message}`);
      }
    }
    if (body.generate) {
      const requesterId = s.account.requesters[0]!.id;
      for (let i = 0; i < body.generate.count; i++) {
        ids.push(
          s.createTicket(
            {
              subject: `${body.generate.subjectPrefix} ${i + 1}`,
              description: `Generated ticket number ${i + 1}`,
              requester_id: requesterId,
              status: 2,
              priority: 1 + (i % 4),
            },
            { event: false },
          ).id,
        );
      }
    }
    return {
      tickets: ids.length > 1000 ? { count: ids.length, first: ids[0], last: ids[ids.length - 1] } : ids,
      errors,
    };
  }

  // Accept an empty JSON body (the restore call sends none) and answer bad JSON like the vendor.
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_request, body, done) => {
    const text = String(body);
    if (text.trim() === '') {
      done(null, undefined);
      return;
    }
    try {
      done(null, JSON.parse(text));
    } catch {
      const err = new Error('Request body has invalid json format') as FastifyError;
      err.statusCode = 400;
      err.code = 'invalid_json';
      done(err, undefined);
    }
  });
  app.setErrorHandler((err: FastifyError, _request: FastifyRequest, reply: FastifyReply) => {
    if (err.code === 'invalid_json')
      return validationFailed(reply, [{ field: '', message: err.message, code: 'invalid_json' }]);
    if (err.statusCode === 415)
      return reply
        .code(415)
        .send({ code: 'invalid_content_type', message: 'Content-Type header should be application/json' });
    const status = err.statusCode ?? 500;
    return reply.code(status).send(errorBody(status));
  });
  app.setNotFoundHandler((_request, reply) =>
    reply.code(404).send({ code: 'not_found', message: 'The requested URL was not found on this server' }),
  );

  // Runs after the shared fault/auth hook: content negotiation, then the account's credit bucket.
  app.addHook('onRequest', async (request, reply) => {
    if (request.url.startsWith('/__sim/') || request.url.startsWith('/cdn/')) return undefined;
    const accept = request.headers.accept;
    if (accept && !/json|\*\/\*|application\/\*/.test(accept))
      return reply.code(406).send({ code: 'not_acceptable', message: 'Only application/json is supported' });
    // An agent working in the web app is not an API call: Freshservice meters API requests
    // account-wide ("the number of API calls per minute ... applied on an account-wide basis",
    // support article 50000000293, research/freshservice.md §7), not what people do in its UI.
    // Tests and benchmarks mark a person's action with this simulator-only header.
    if (request.headers['x-sim-channel'] === 'web') return undefined;
    const decision = rate.consume(creditsFor(request, s.behaviour.listIncludeCredits));
    for (const [k, v] of Object.entries(decision.headers)) void reply.header(k, v);
    void reply.header('X-Freshservice-Api-Version', 'latest=v2; requested=v2');
    if (!decision.ok) {
      void reply.header('Retry-After', String(decision.retryAfterSec));
      return reply.code(429).send(errorBody(429));
    }
    return undefined;
  });

  behaviour.register(app);
  app.put('/__sim/automator', async (request, reply) => {
    const parsed = AutomatorConfig.safeParse(request.body ?? {});
    if (!parsed.success)
      return reply
        .code(400)
        .send({ error: parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ') });
    automator = parsed.data;
    return { automator };
  });
  app.delete('/__sim/automator', async () => {
    automator = null;
    return { automator };
  });
  app.get('/__sim/ratelimit', async () => ({ ...rate.settings, limited: rate.limited }));
  app.put('/__sim/ratelimit', async (request, reply) => {
    const parsed = RateLimitBody.safeParse(request.body ?? {});
    if (!parsed.success)
      return reply
        .code(400)
        .send({ error: parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ') });
    const next: { perMinute?: number; windowMs?: number } = {};
    if (parsed.data.perMinute !== undefined) next.perMinute = parsed.data.perMinute;
    if (parsed.data.windowMs !== undefined) next.windowMs = parsed.data.windowMs;
    return rate.configure(next);
  });
  // What an agent does in the UI that the API cannot: mark a ticket as spam, trash or restore it,
  // or purge it from the trash for good (afterwards it answers 404).
  const TicketState = z.strictObject({ spam: z.boolean().optional(), deleted: z.boolean().optional() });
  app.put('/__sim/tickets/:id', async (request, reply) => {
    const t = s.get(Number((request.params as { id: string }).id));
    const parsed = TicketState.safeParse(request.body ?? {});
    if (!t || !parsed.success)
      return reply.code(t ? 400 : 404).send({ error: t ? 'body must be {spam?, deleted?}' : 'no such ticket' });
    s.setFlags(t, parsed.data);
    return { id: t.id, spam: t.spam, deleted: t.deleted };
  });
  app.delete('/__sim/tickets/:id', async (request, reply) => {
    const t = s.get(Number((request.params as { id: string }).id));
    if (!t) return reply.code(404).send({ error: 'no such ticket' });
    s.purgeTicket(t);
    return reply.code(204).send();
  });
  app.get('/__sim/state', async () => ({
    tickets: s.ticketCount,
    conversations: s.conversationById.size,
    requesters: s.requesters.size,
    memoryMb: Math.round(process.memoryUsage().heapUsed / 1048576),
  }));

  const files = new FsAttachments(
    () => faults.now(),
    () => baseUrl,
    options.maxFileBytes ?? FS_MAX_TICKET_BYTES,
  );
  acceptMultipart(app);
  registerRoutes(app, s, files);
  baseUrl = await listen(app, options.host ?? '127.0.0.1', options.port ?? 0);
  let stopped = false;
  return {
    kind: 'freshservice',
    url: baseUrl,
    sim,
    async stop() {
      if (stopped) return;
      stopped = true;
      await sim.webhooks.flush();
      await app.close();
      files.reset();
    },
  };
}

export const freshserviceSimulator: SimulatorModule<'freshservice'> = { kind: 'freshservice', start };
