// A server on an engine over two in-memory systems and a SQLite ledger, holding real ledger data:
// one link with an open manual conflict on `priority`, events, and an open error (a ticket side b
// rejects). Shared by the server's route tests and the dashboard browser test.
import { signMemoryWebhook } from './memory-connector.js';
import { createMetrics, createServer, type Metrics, type Server } from '../../src/server/index.js';
import { createHarness, CONNECTION, type Harness } from './engine-harness.js';

export const WEBHOOK_SECRET = 'memory-webhook-secret';
export const TOKEN = 'test-token-0123456789';

export interface ServerFixture {
  harness: Harness;
  server: Server;
  metrics: Metrics;
  token: string | undefined;
  connection: string;
  /** The link with the open conflict, and its tickets. */
  linkId: string;
  aId: string;
  bId: string;
  conflictId: string;
  /** The open error: side b rejected status "Escalated" when creating the twin of `erroredAId`. */
  errorId: string;
  erroredAId: string;
  /** Signs a webhook body as the memory systems expect. */
  sign(body: string): string;
  close(): Promise<void>;
}

export interface FixtureOptions {
  /** Bearer token; `null` for an open (loopback, no token) server. @default TOKEN */
  token?: string | null;
  host?: string;
  now?: () => number;
  /** Gives side b's tickets keys `<prefix>-<id>` that ticket search resolves (like Jira keys). */
  keyPrefixB?: string;
  /** Names side a's catalogue gives its stored values: field -> value -> name. */
  valueLabelsA?: Record<string, Record<string, string>>;
  /** Named tokens with roles (server.tokens). */
  tokens?: Array<{ name: string; token: string; role: 'viewer' | 'operator' | 'admin'; connections?: string[] }>;
  metricsToken?: string;
  /** server.metricsPort: /metrics on a listener of its own (0: any free port). */
  metricsPort?: number;
  publicUrl?: string;
}

export async function createServerFixture(options: FixtureOptions = {}): Promise<ServerFixture> {
  const metrics = createMetrics({ processMetrics: false });
  const harness = createHarness({
    fields: [
      { name: 'summary', a: 'subject', b: 'summary', owner: 'both' },
      { name: 'priority', a: 'priority', b: 'priority', owner: 'both', conflict: 'manual' },
      { name: 'status', a: 'status', b: 'status', owner: 'a' },
    ],
    systemA: { webhookSecret: WEBHOOK_SECRET, ...(options.valueLabelsA ? { valueLabels: options.valueLabelsA } : {}) },
    systemB: {
      webhookSecret: WEBHOOK_SECRET,
      allowedValues: { status: ['New', 'In Progress', 'Closed'] },
      ...(options.keyPrefixB ? { keyPrefix: options.keyPrefixB } : {}),
    },
    engine: { observer: metrics.observer },
  });

  // A linked ticket whose priority both teams then change differently: a manual conflict.
  const aId = harness.a.userCreate({ subject: 'Printer on floor 3 jams', priority: 'Medium', status: 'New' });
  await harness.pollBoth();
  const link = (await harness.ledger.listLinks({ ticketId: aId })).items.find((l) => l.aId === aId)!;
  harness.a.userEdit(aId, { priority: 'High' });
  harness.b.userEdit(link.bId, { priority: 'Low' });
  await harness.pollBoth();
  const conflict = (await harness.ledger.listConflicts({ state: 'open' }))[0];
  if (!conflict) throw new Error('fixture: the manual conflict did not open');

  // A ticket side b refuses to create (status not allowed there): an open error.
  const erroredAId = harness.a.userCreate({ subject: 'VPN drops every hour', priority: 'Low', status: 'Escalated' });
  await harness.pollBoth();
  const error = (await harness.ledger.listErrors({ state: 'open' }))[0];
  if (!error) throw new Error('fixture: the rejected create did not record an error');

  const token = options.token === null ? undefined : (options.token ?? TOKEN);
  const server = createServer({
    engine: harness.engine,
    ledger: harness.ledger,
    server: {
      host: options.host ?? '127.0.0.1',
      port: 0,
      ...(token ? { token } : {}),
      ...(options.tokens ? { tokens: options.tokens } : {}),
      ...(options.metricsToken ? { metricsToken: options.metricsToken } : {}),
      ...(options.metricsPort !== undefined ? { metricsPort: options.metricsPort } : {}),
      ...(options.publicUrl ? { publicUrl: options.publicUrl } : {}),
    },
    logger: undefined,
    version: '0.1.0-test',
    startedAtMs: Date.now() - 3_600_000,
    metrics,
    ...(options.now ? { now: options.now } : {}),
  });

  return {
    harness,
    server,
    metrics,
    token,
    connection: CONNECTION,
    linkId: link.id,
    aId,
    bId: link.bId,
    conflictId: conflict.id,
    errorId: error.id,
    erroredAId,
    sign: (body) => signMemoryWebhook(WEBHOOK_SECRET, body),
    async close() {
      await server.close();
      await harness.close();
    },
  };
}
