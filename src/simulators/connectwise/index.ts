// A faithful in-process ConnectWise Manage (PSA) REST API for the demo, tests and benchmarks:
// codebase discovery, Basic `company+public:private` auth with a required clientId, tickets with
// the full `conditions` grammar and both paging styles, notes, boards/statuses/types, priorities,
// companies, and signed callbacks.
import { createServer, type Server } from 'node:http';
import type { FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { SystemConfig } from '../../mapping/schema.js';
import { createRng } from '../common/rng.js';
import { createSimulatorApp, listen, type AuthResult } from '../common/server.js';
import type { SimulatorHandle, SimulatorModule, SimulatorStartOptions } from '../types.js';
import { Behaviour } from '../common/behaviour.js';
import { CwBehaviour } from './behaviour.js';
import { CallbackService } from './callbacks.js';
import { FileStore, acceptMultipart } from '../common/files.js';
import { CW_DEFAULT_MAX_FILE_BYTES, DocumentService } from './documents.js';
import { CwHttpError, errorBodyFor } from './errors.js';
import { CURRENT_API_VERSION, registerRoutes } from './routes.js';
import { CwStore, floorSeconds, Renderer } from './store.js';
import { TicketService, type ChangeEvent } from './tickets.js';

type CwSystem = Extract<SystemConfig, { kind: 'connectwise' }>;

const SeedSetup = z.looseObject({
  boards: z
    .array(
      z.strictObject({
        name: z.string().min(1),
        statuses: z
          .array(
            z.strictObject({
              name: z.string().min(1),
              closed: z.boolean().optional(),
              default: z.boolean().optional(),
            }),
          )
          .min(1)
          .optional(),
        types: z.array(z.string().min(1)).optional(),
        subtypes: z.array(z.string().min(1)).optional(),
        items: z.array(z.string().min(1)).optional(),
        teams: z
          .array(
            z.strictObject({
              name: z.string().min(1).max(30),
              leader: z.string().min(1).optional(),
              members: z.array(z.string().min(1)).optional(),
            }),
          )
          .optional(),
      }),
    )
    .optional(),
  userDefinedFields: z
    .array(
      z.strictObject({
        caption: z.string().min(1),
        type: z.enum(['Text', 'TextArea', 'Number', 'Percent', 'Date', 'Checkbox', 'Hyperlink']).optional(),
        options: z.array(z.string().min(1)).optional(),
      }),
    )
    .optional(),
  companies: z.array(z.strictObject({ identifier: z.string().min(1), name: z.string().optional() })).optional(),
  members: z.array(z.strictObject({ identifier: z.string().min(1), name: z.string().optional() })).optional(),
});

/** The API member the demo keys belong to (its identifier shows up in `_info.updatedBy`). */
export const API_MEMBER_IDENTIFIER = 'ticketbridge';

function unauthorized(message: string): AuthResult {
  return { ok: false, status: 401, body: { code: 'Unauthorized', message, errors: null } };
}

/**
 * A second listener, on another loopback address, through which the signing key is fetched:
 * ConnectWise cloud answers the API on `api-na.myconnectwise.net` but puts callbacks' `key_url`
 * on `na.myconnectwise.net` (research §1, §8.2), and the daemon must trust that host, not reach
 * the key through the API host. Same port when free; where the address does not exist (systems
 * without the whole 127/8 on loopback) the key stays on the API host.
 */
async function listenForKeys(
  routing: (req: import('node:http').IncomingMessage, res: import('node:http').ServerResponse) => void,
  host: string,
  api: URL,
): Promise<{ origin: string; server: Server | null }> {
  const attempt = (port: number): Promise<Server> =>
    new Promise((resolve, reject) => {
      const server = createServer(routing);
      server.once('error', reject);
      server.listen(port, host, () => resolve(server));
    });
  let server: Server;
  try {
    server = await attempt(Number(api.port)).catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'EADDRINUSE') return attempt(0);
      throw err;
    });
  } catch {
    return { origin: api.origin, server: null };
  }
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : Number(api.port);
  return { origin: `http://${host}:${port}`, server };
}

export const connectwiseSimulator: SimulatorModule<'connectwise'> = {
  kind: 'connectwise',
  async start(options: SimulatorStartOptions<CwSystem>): Promise<SimulatorHandle> {
    const { credentials } = options.system;
    const codebase = options.system.options?.codebase ?? 'v4_6_release/';
    const rng = createRng(options.seed ?? 1);
    // Deterministic GUIDs from the seed, so runs are replayable.
    const guid = (): string => {
      const hex = Array.from({ length: 32 }, () => Math.floor(rng.next() * 16).toString(16)).join('');
      return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
    };
    const keyId = guid();
    const signingKey = Buffer.from(guid() + guid()).toString('base64');
    const productInstanceId = guid();
    const partnerId = guid();
    let origin = 'http://127.0.0.1';
    let keyOrigin = origin;

    const authenticate = (request: FastifyRequest): AuthResult => {
      const path = request.url.split('?')[0] ?? request.url;
      // The key host (cloud's UI host) serves signing keys and nothing else.
      if (keyOrigin !== origin && request.socket.localAddress === new URL(keyOrigin).hostname)
        return path.includes('/system/callbackkey/')
          ? { ok: true }
          : {
              ok: false,
              status: 404,
              body: { code: 'ConnectWiseApi', message: 'The endpoint does not exist.', errors: null },
            };
      if (path.startsWith('/login/companyinfo/') || path.includes('/system/callbackkey/')) return { ok: true };
      const header = request.headers.authorization;
      if (typeof header !== 'string' || !header.startsWith('Basic ')) return unauthorized('Authentication failed.');
      const decoded = Buffer.from(header.slice(6), 'base64').toString('utf8');
      const [user = '', ...rest] = decoded.split(':');
      const [company = '', ...pub] = user.split('+');
      if (
        company.toLowerCase() !== credentials.company.toLowerCase() ||
        `${pub.join('+')}:${rest.join(':')}` !== `${credentials.publicKey}:${credentials.privateKey}`
      ) {
        return unauthorized('Authentication failed.');
      }
      // Node lower-cases header names, so `clientId`, `ClientID` and `clientid` all arrive here.
      const clientId = request.headers.clientid;
      if (typeof clientId !== 'string' || clientId === '') return unauthorized('clientId header is required.');
      if (clientId !== credentials.clientId) return unauthorized('The clientId is not valid.');
      return { ok: true };
    };

    // The store and services are created after the app, since `now` honours the fault plan's skew;
    // the app's reset/seed hooks only run once they exist.
    const sim = createSimulatorApp({
      name: 'connectwise',
      ...(options.clock ? { clock: options.clock } : {}),
      authenticate,
      errorBody: errorBodyFor,
      onReset: () => {
        store.reset();
        behaviour.reset();
        documents.reset();
      },
      onSeed: (body) => seed(body),
    });
    const now = (): number => sim.faults.now();
    // Boards and the company the config names exist from the start (and after a reset).
    const store = new CwStore(API_MEMBER_IDENTIFIER, now, {
      boards: options.boards ?? [],
      companies: options.system.options?.companyIdentifier ? [options.system.options.companyIdentifier] : [],
    });
    const behaviour = new Behaviour(CwBehaviour, (value) => (store.behaviour = value));
    behaviour.register(sim.app);
    const renderer = new Renderer(store, () => `${origin}/${codebase}apis/3.0`);
    const callbacks = new CallbackService(store, now, guid);
    const emit = (event: ChangeEvent): void => {
      const entity = event.action === 'deleted' ? null : { ...renderer.ticket(event.record) };
      const deliveries = callbacks.deliveriesFor(event, entity, {
        companyId: credentials.company,
        fromUrl: new URL(origin).host,
        keyUrl: `${keyOrigin}/${codebase}system/callbackkey/index.rails?companyName=${encodeURIComponent(credentials.company)}&id=${keyId}`,
        signingKey,
        productInstanceId,
        partnerId,
      });
      for (const delivery of deliveries) sim.webhooks.send(delivery);
    };
    const tickets = new TicketService(store, now, emit);
    const files = new FileStore();
    const documents = new DocumentService({
      files,
      now,
      ticketExists: (id) => store.tickets.has(id),
      owner: () => store.apiMember.identifier,
      maxFileBytes: () => options.maxFileBytes ?? CW_DEFAULT_MAX_FILE_BYTES,
    });
    acceptMultipart(sim.app);

    /**
     * `/__sim/seed`: setup first — `{boards: [{name, statuses?: [{name, closed?, default?}], types?,
     * subtypes?, items?, teams?: [{name, leader?, members?}]}], companies: [{identifier, name?}],
     * members: [{identifier, name?}], userDefinedFields: [{caption, type?, options?}]}` — then
     * `{tickets: [...]}` in API shape (plus `lastUpdated`, `notes`), or `{generate: {count, board?}}`.
     */
    const seed = (body: unknown): unknown => {
      const parsed = SeedSetup.safeParse(body ?? {});
      if (!parsed.success) return { error: { code: 'InvalidObject', message: parsed.error.message, errors: null } };
      // Members first: a seeded board's teams name them.
      for (const member of parsed.data.members ?? []) store.addMember(member);
      for (const board of parsed.data.boards ?? []) store.addBoard(board);
      for (const company of parsed.data.companies ?? []) store.addCompany(company);
      for (const udf of parsed.data.userDefinedFields ?? []) store.addUserDefinedField(udf);
      const input = (body ?? {}) as { tickets?: unknown[]; generate?: { count?: number; board?: string } };
      const ids: number[] = [];
      try {
        for (const raw of input.tickets ?? []) {
          const item = raw as Record<string, unknown>;
          const actor = [...store.members.values()].find((m) => m.identifier === item.enteredBy) ?? store.apiMember;
          const created = tickets.create({ company: { identifier: 'Contoso' }, ...item }, actor, { seeded: true });
          for (const note of (item.notes as Array<Record<string, unknown>> | undefined) ?? []) {
            tickets.createNote(created.id, note, actor);
          }
          for (const key of ['lastUpdated', 'dateEntered'] as const) {
            if (typeof item[key] === 'string') created[key] = floorSeconds(Date.parse(item[key]));
          }
          ids.push(created.id);
        }
        const count = input.generate?.count ?? 0;
        const boardName = input.generate?.board ?? store.boards.values().next().value?.name;
        for (let i = 0; i < count; i++) {
          const created = tickets.create(
            {
              summary: `Generated ticket ${i + 1}`,
              board: { name: boardName },
              company: { identifier: 'Contoso' },
              initialDescription: `Generated description ${i + 1}`,
            },
            store.apiMember,
            { seeded: true },
          );
          ids.push(created.id);
        }
      } catch (err) {
        if (err instanceof CwHttpError) return { error: err.body };
        throw err;
      }
      return { tickets: ids.length > 1000 ? { count: ids.length, first: ids[0], last: ids[ids.length - 1] } : ids };
    };

    // Clients send `Content-Type: application/json` on every call, bodyless DELETEs included.
    sim.app.removeContentTypeParser('application/json');
    sim.app.addContentTypeParser(/^application\/([\w.+-]*\+)?json/, { parseAs: 'string' }, (_request, body, done) => {
      const text = typeof body === 'string' ? body : body.toString('utf8');
      if (text.trim() === '') {
        done(null, undefined);
        return;
      }
      try {
        done(null, JSON.parse(text));
      } catch {
        done(
          new CwHttpError(400, { code: 'InvalidObject', message: 'The request body is not valid JSON.', errors: null }),
          undefined,
        );
      }
    });

    sim.app.addHook('onSend', async (request, reply, payload) => {
      const path = request.url.split('?')[0] ?? '';
      if (path.startsWith('/__sim/') || path.startsWith('/login/')) return payload;
      const type = reply.getHeader('content-type');
      if (typeof type === 'string' && type.startsWith('application/json')) {
        const accept = request.headers.accept ?? '';
        const version = /version=(\d{4}\.\d+)/.exec(accept)?.[1] ?? CURRENT_API_VERSION;
        void reply.header('content-type', `application/vnd.connectwise.com+json; version=${version}; charset=utf-8`);
      }
      void reply.header('api-current-version', CURRENT_API_VERSION);
      return payload;
    });

    registerRoutes(sim.app, {
      store,
      renderer,
      tickets,
      callbacks,
      documents,
      files,
      company: credentials.company,
      codebase,
      signingKey: () => signingKey,
      keyId,
      origin: () => origin,
      keyOrigin: () => keyOrigin,
    });

    origin = await listen(sim.app, options.host ?? '127.0.0.1', options.port ?? 0);
    const keys = await listenForKeys(sim.app.routing.bind(sim.app), options.keyHost ?? '127.0.0.2', new URL(origin));
    keyOrigin = keys.origin;
    return {
      kind: 'connectwise',
      url: origin,
      keyOrigin,
      sim,
      stop: async () => {
        await sim.webhooks.flush();
        await new Promise<void>((resolve) => (keys.server ? keys.server.close(() => resolve()) : resolve()));
        await sim.app.close();
        files.clear();
      },
    };
  },
};
