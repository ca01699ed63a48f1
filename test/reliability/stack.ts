// The demo stack for the reliability tests: the three simulators, each behind a rewriting proxy,
// and the daemon with its polls driven by the test (the background poll runs once at start and
// then waits an hour), plus small vendor-API helpers that act like a person on each system.
import type pino from 'pino';
import { basicAuth } from '../../src/core/http.js';
import type { Link } from '../../src/core/ledger/types.js';
import type { Side, Ticket } from '../../src/core/types.js';
import { startDaemon, type DaemonHandle } from '../../src/daemon.js';
import { wireWebhooks } from '../../src/demo.js';
import type { Config, SystemConfig } from '../../src/mapping/schema.js';
import { startSimulators, type StartedSimulator } from '../../src/simulators/start.js';
import { demoConfigOnFreePorts } from '../helpers/demo-stack.js';
import { startRewritingProxy, type RewritingProxy } from './rewriting-proxy.js';

export type Kind = 'freshservice' | 'connectwise' | 'jsm';
type Of<K extends Kind> = Extract<SystemConfig, { kind: K }>;

export interface ReliabilityStack {
  /** The config the daemon runs with (base URLs point at the proxies). */
  config: Config;
  /** The config the simulators run with (their real addresses). */
  simConfig: Config;
  simulators: StartedSimulator[];
  proxies: Record<Kind, RewritingProxy>;
  daemon: DaemonHandle;
  simUrl(kind: Kind): string;
  /** GET/POST on the daemon's API with the bearer token. */
  api(path: string, init?: RequestInit): Promise<Response>;
  /**
   * Polls every side of every connection and waits until all passes are done, those held for a
   * version to settle included (twice, so echoes settle).
   */
  sync(rounds?: number): Promise<void>;
  link(connection: string, side: Side, ticketId: string): Promise<Link | null>;
  twin(connection: string, side: Side, ticketId: string): Promise<Ticket>;
  /** A person on Freshservice through the API (as another app on the account: metered). */
  fs: FsApi;
  /** A person on Freshservice in its web app (not metered by the API rate limit). */
  fsWeb: FsApi;
  cw: CwApi;
  jira: JiraApi;
  /** Clears proxy rules and simulator faults. */
  resetFaults(): Promise<void>;
  stop(): Promise<void>;
}

export interface StackOptions {
  logger?: pino.Logger;
  /** SQLite ledger file; an in-memory ledger when unset. */
  ledgerPath?: string;
  webhooks?: boolean;
  mutate?: (config: Config) => void;
}

function systemOf<K extends Kind>(config: Config, kind: K): Of<K> {
  const hit = Object.values(config.systems).find((s) => s.kind === kind);
  if (!hit) throw new Error(`no ${kind} system in the config`);
  return hit as Of<K>;
}

async function json(response: Response, what: string): Promise<unknown> {
  const text = await response.text();
  if (!response.ok) throw new Error(`${what}: HTTP ${response.status} ${text.slice(0, 300)}`);
  return text === '' ? undefined : JSON.parse(text);
}

export interface FsApi {
  create(fields: {
    subject: string;
    description?: string;
    priority?: number;
    status?: number;
    [key: string]: unknown;
  }): Promise<string>;
  update(id: string, fields: Record<string, unknown>): Promise<void>;
  remove(id: string): Promise<void>;
  note(id: string, body: string, isPrivate: boolean): Promise<void>;
}

/** A person's requests; `web` marks them as work in Freshservice's web app, which its API rate limit does not meter. */
function fsApi(s: Of<'freshservice'>, base: string, channel: 'api' | 'web' = 'api'): FsApi {
  const headers = {
    Authorization: basicAuth(s.credentials.apiKey, 'X'),
    'Content-Type': 'application/json',
    ...(channel === 'web' ? { 'x-sim-channel': 'web' } : {}),
  };
  return {
    async create(fields) {
      const body = {
        description: '<p>Created by a person.</p>',
        priority: 2,
        status: 2,
        email: 'pat@contoso.example',
        source: 2,
        ...fields,
      };
      const res = (await json(
        await fetch(`${base}/api/v2/tickets`, { method: 'POST', headers, body: JSON.stringify(body) }),
        'Freshservice create',
      )) as { ticket: { id: number } };
      return String(res.ticket.id);
    },
    async update(id, fields) {
      await json(
        await fetch(`${base}/api/v2/tickets/${id}`, { method: 'PUT', headers, body: JSON.stringify(fields) }),
        'Freshservice update',
      );
    },
    async remove(id) {
      await json(await fetch(`${base}/api/v2/tickets/${id}`, { method: 'DELETE', headers }), 'Freshservice delete');
    },
    async note(id, body, isPrivate) {
      await json(
        await fetch(`${base}/api/v2/tickets/${id}/notes`, {
          method: 'POST',
          headers,
          body: JSON.stringify({ body, private: isPrivate }),
        }),
        'Freshservice note',
      );
    },
  };
}

export interface CwApi {
  create(fields: { summary: string; board: string; initialDescription?: string; priority?: string }): Promise<string>;
  patch(id: string, ops: Array<{ op: string; path: string; value: unknown }>): Promise<void>;
  remove(id: string): Promise<void>;
  note(id: string, text: string, internal: boolean): Promise<void>;
}

function cwApi(s: Of<'connectwise'>, base: string): CwApi {
  const c = s.credentials;
  const headers = {
    Authorization: basicAuth(`${c.company}+${c.publicKey}`, c.privateKey),
    clientId: c.clientId,
    'Content-Type': 'application/json',
  };
  const root = `${base}/${s.options?.codebase ?? 'v4_6_release/'}apis/3.0`;
  return {
    async create(fields) {
      const body = {
        summary: fields.summary,
        board: { name: fields.board },
        company: { identifier: 'Contoso' },
        priority: { name: fields.priority ?? 'Priority 3 - Medium' },
        initialDescription: fields.initialDescription ?? 'Raised by the MSP.',
      };
      const res = (await json(
        await fetch(`${root}/service/tickets`, { method: 'POST', headers, body: JSON.stringify(body) }),
        'ConnectWise create',
      )) as { id: number };
      return String(res.id);
    },
    async patch(id, ops) {
      await json(
        await fetch(`${root}/service/tickets/${id}`, { method: 'PATCH', headers, body: JSON.stringify(ops) }),
        'ConnectWise patch',
      );
    },
    async remove(id) {
      await json(await fetch(`${root}/service/tickets/${id}`, { method: 'DELETE', headers }), 'ConnectWise delete');
    },
    async note(id, text, internal) {
      const flags = internal ? { internalAnalysisFlag: true } : { detailDescriptionFlag: true };
      await json(
        await fetch(`${root}/service/tickets/${id}/notes`, {
          method: 'POST',
          headers,
          body: JSON.stringify({ text, ...flags }),
        }),
        'ConnectWise note',
      );
    },
  };
}

export interface JiraApi {
  create(fields: {
    summary: string;
    description?: string | Record<string, unknown>;
    priority?: string;
  }): Promise<string>;
  update(id: string, fields: Record<string, unknown>): Promise<void>;
  comment(id: string, text: string, internal: boolean): Promise<void>;
}

function adfText(text: string): Record<string, unknown> {
  return { type: 'doc', version: 1, content: [{ type: 'paragraph', content: [{ type: 'text', text }] }] };
}

function jiraApi(s: Of<'jsm'>, base: string): JiraApi {
  const headers = {
    Authorization: basicAuth(s.credentials.email, s.credentials.apiToken),
    'Content-Type': 'application/json',
  };
  return {
    async create(fields) {
      const description =
        typeof fields.description === 'string'
          ? adfText(fields.description)
          : (fields.description ?? adfText('Raised by internal IT.'));
      const body = {
        fields: {
          project: { key: 'IT' },
          issuetype: { name: 'Incident' },
          summary: fields.summary,
          priority: { name: fields.priority ?? 'Medium' },
          description,
        },
      };
      const res = (await json(
        await fetch(`${base}/rest/api/3/issue`, { method: 'POST', headers, body: JSON.stringify(body) }),
        'Jira create',
      )) as { id: string };
      return String(res.id);
    },
    async update(id, fields) {
      await json(
        await fetch(`${base}/rest/api/3/issue/${id}`, { method: 'PUT', headers, body: JSON.stringify({ fields }) }),
        'Jira update',
      );
    },
    async comment(id, text, internal) {
      const body = {
        body: adfText(text),
        properties: internal ? [{ key: 'sd.public.comment', value: { internal: true } }] : [],
      };
      await json(
        await fetch(`${base}/rest/api/3/issue/${id}/comment`, { method: 'POST', headers, body: JSON.stringify(body) }),
        'Jira comment',
      );
    },
  };
}

export async function startReliabilityStack(options: StackOptions = {}): Promise<ReliabilityStack> {
  const simConfig = await demoConfigOnFreePorts((config) => {
    // The test drives every poll itself; the background loop must never race it.
    config.polling.intervalMs = 3_600_000;
    config.reconcile.enabled = false;
    // The tests check tickets far more often than a daemon would; the demo's per-minute budgets
    // would otherwise pause a queue for most of a minute in the middle of a case.
    for (const system of Object.values(config.systems))
      system.rateLimit = { requestsPerMinute: 60_000, concurrency: 8 };
    options.mutate?.(config);
  });
  const simulators = await startSimulators(simConfig);
  const config = structuredClone(simConfig);
  const proxies = {} as Record<Kind, RewritingProxy>;
  for (const [name, system] of Object.entries(simConfig.systems)) {
    const proxy = await startRewritingProxy(system.baseUrl);
    proxies[system.kind] = proxy;
    const target = config.systems[name]!;
    target.baseUrl = proxy.url;
    // ConnectWise callbacks name the simulator's key host (not the proxied API) as the signing-key URL.
    const keyOrigin = simulators.find((s) => s.name === name)?.handle.keyOrigin;
    if (target.kind === 'connectwise' && keyOrigin)
      target.webhook = { ...target.webhook, trustedKeyHosts: [new URL(keyOrigin).host] };
  }
  const daemon = await startDaemon(config, {
    ledgerPath: options.ledgerPath ?? ':memory:',
    ...(options.logger ? { logger: options.logger } : { logLevel: 'silent' as const }),
  });
  if (options.webhooks ?? false) await wireWebhooks(config, daemon);
  await daemon.engine.onIdle();

  const simUrl = (kind: Kind): string => systemOf(simConfig, kind).baseUrl;
  const token = config.server.token ?? '';
  const stack: ReliabilityStack = {
    config,
    simConfig,
    simulators,
    proxies,
    daemon,
    simUrl,
    api: (path, init = {}) =>
      fetch(`${daemon.url}${path}`, {
        ...init,
        headers: { Authorization: `Bearer ${token}`, ...(init.headers as Record<string, string> | undefined) },
      }),
    async sync(rounds = 2) {
      for (let i = 0; i < rounds; i++) {
        for (const name of daemon.engine.connections.keys()) {
          for (const side of ['a', 'b'] as const) await daemon.engine.pollOnce(name, side);
        }
        await daemon.engine.onSettled();
      }
    },
    link: (connection, side, ticketId) => daemon.ledger.findLink(connection, side, ticketId),
    async twin(connection, side, ticketId) {
      const link = await daemon.ledger.findLink(connection, side, ticketId);
      if (!link) throw new Error(`${connection}: ticket ${ticketId} on ${side} has no link`);
      const other: Side = side === 'a' ? 'b' : 'a';
      return daemon.connectors.get(connection)![other].getTicket(other === 'a' ? link.aId : link.bId);
    },
    fs: fsApi(systemOf(simConfig, 'freshservice'), simUrl('freshservice')),
    fsWeb: fsApi(systemOf(simConfig, 'freshservice'), simUrl('freshservice'), 'web'),
    cw: cwApi(systemOf(simConfig, 'connectwise'), simUrl('connectwise')),
    jira: jiraApi(systemOf(simConfig, 'jsm'), simUrl('jsm')),
    async resetFaults() {
      for (const proxy of Object.values(proxies)) proxy.clear();
      for (const s of simulators) s.handle.sim.faults.reset();
    },
    async stop() {
      await daemon.stop();
      for (const proxy of Object.values(proxies)) await proxy.close();
      for (const s of simulators) await s.handle.stop().catch(() => undefined);
    },
  };
  return stack;
}
