// Convergence scenarios: random interleavings of what people do on both sides of a connection
// (create, edit every mapped field, comment public and internal, close, reopen, leave scope),
// through the real connectors against the simulators, with injected faults (429 bursts, 5xx,
// timeouts, connection resets, webhooks dropped/duplicated/delayed/reordered, search index lag,
// clock skew). After quiescence the invariants of DESIGN.md must hold. Shared by the property
// test in `npm test` and by `npm run soak`.
import { resolve } from 'node:path';
import axios, { type AxiosInstance, type AxiosRequestConfig } from 'axios';
import fc from 'fast-check';
import { basicAuth } from '../../src/core/http.js';
import { otherSide, type Side, type Ticket } from '../../src/core/types.js';
import { compileField } from '../../src/core/values.js';
import { startDaemon, type DaemonHandle } from '../../src/daemon.js';
import { wireWebhooks } from '../../src/demo.js';
import { loadConfig } from '../../src/mapping/loader.js';
import type { Config, SystemConfig } from '../../src/mapping/schema.js';
import type { FaultPlanInput } from '../../src/simulators/common/faults.js';
import { startSimulators, type StartedSimulator } from '../../src/simulators/start.js';
import { freePort } from '../helpers/demo-stack.js';

const ROOT = resolve(import.meta.dirname, '../..');
export type Pair = 'fs-cw' | 'jsm-cw' | 'jsm-fs';
export const PAIRS: Pair[] = ['fs-cw', 'jsm-cw', 'jsm-fs'];
type Kind = SystemConfig['kind'];

/** One connection of the demo (or the JSM-Freshservice example) on free ports, fast timeouts. */
export async function pairConfig(pair: Pair): Promise<Config> {
  const { config } = loadConfig(resolve(ROOT, 'config/demo.yaml'), { env: {} });
  if (pair === 'jsm-fs') {
    const env = new Proxy({}, { get: () => 'unused' }) as NodeJS.ProcessEnv;
    const example = loadConfig(resolve(ROOT, 'config/examples/jsm-freshservice.yaml'), { env }).config;
    config.connections = { 'jsm-fs': example.connections['jsm-fs']! };
  } else {
    config.connections = { [pair]: config.connections[pair]! };
  }
  const used = new Set(Object.values(config.connections).flatMap((c) => [c.a.system, c.b.system]));
  for (const name of Object.keys(config.systems)) if (!used.has(name)) delete config.systems[name];
  for (const system of Object.values(config.systems)) {
    const url = new URL(system.baseUrl);
    url.port = String(await freePort());
    system.baseUrl = url.origin;
    system.timeoutMs = 1500;
    system.rateLimit = { requestsPerMinute: 1_000_000, concurrency: 8 };
  }
  config.server.port = await freePort();
  config.polling.intervalMs = 3_600_000; // the test drives every poll itself
  config.polling.overlapMs = 90_000;
  config.reconcile.enabled = false;
  config.log.level = 'silent';
  return config;
}

// ---- what people do ----------------------------------------------------------------------------

export type Op =
  | { op: 'create'; side: Side; summary: string; priority: number; status: number }
  | {
      op: 'edit';
      side: Side;
      ticket: number;
      field: 'summary' | 'description' | 'priority' | 'status';
      value: number;
      text: string;
    }
  | { op: 'comment'; side: Side; ticket: number; visibility: 'public' | 'internal' }
  | { op: 'close' | 'reopen' | 'unscope'; side: Side; ticket: number }
  | { op: 'poll'; side: Side }
  | { op: 'settle' };

export interface Faults {
  perSystem: FaultPlanInput[];
  indexLagMs: number;
}

export interface Scenario {
  ops: Op[];
  faults: Faults;
}

const text = fc.stringMatching(/^[A-Za-z0-9 ,.!?'&<>é✓🙂-]{1,40}$/u).map((s) => s.trim() || 'x');
const longText = fc.oneof(
  { weight: 4, arbitrary: text },
  { weight: 1, arbitrary: fc.tuple(text, fc.integer({ min: 90, max: 140 })).map(([t, n]) => t.padEnd(n, '.')) },
);
const side = fc.constantFrom<Side>('a', 'b');
const index = fc.nat({ max: 4 });

export const opArbitrary: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({
      op: fc.constant('create' as const),
      side,
      summary: longText,
      priority: fc.nat({ max: 3 }),
      status: fc.nat({ max: 4 }),
    }),
  },
  {
    weight: 6,
    arbitrary: fc.record({
      op: fc.constant('edit' as const),
      side,
      ticket: index,
      field: fc.constantFrom('summary' as const, 'description' as const, 'priority' as const, 'status' as const),
      value: fc.nat({ max: 4 }),
      text: longText,
    }),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      op: fc.constant('comment' as const),
      side,
      ticket: index,
      visibility: fc.constantFrom('public' as const, 'internal' as const),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      op: fc.constantFrom('close' as const, 'reopen' as const, 'unscope' as const),
      side,
      ticket: index,
    }),
  },
  { weight: 3, arbitrary: fc.record({ op: fc.constant('poll' as const), side }) },
  { weight: 1, arbitrary: fc.constant({ op: 'settle' as const }) },
);

const systemFaults: fc.Arbitrary<FaultPlanInput> = fc.record({
  seed: fc.nat(),
  latencyMs: fc.record({ min: fc.constant(0), max: fc.constantFrom(0, 0, 5, 20) }),
  errorRates: fc.oneof(
    fc.constant({}),
    fc.record({ '503': fc.constantFrom(0.02, 0.05, 0.1) }),
    fc.record({ '500': fc.constantFrom(0.02, 0.05), '502': fc.constant(0.02) }),
  ),
  burst429: fc.record({ count: fc.nat({ max: 4 }), retryAfterSec: fc.constant(0) }),
  resetRate: fc.constantFrom(0, 0, 0.02, 0.05),
  hangRate: fc.constantFrom(0, 0, 0, 0.01),
  webhooks: fc.record({
    dropRate: fc.constantFrom(0, 0.2, 0.5, 1),
    duplicateRate: fc.constantFrom(0, 0.3, 0.6),
    delayMs: fc.record({ min: fc.constant(0), max: fc.constantFrom(0, 50, 300) }),
    reorderWindow: fc.constantFrom(0, 0, 3),
  }),
  clockSkewMs: fc.constantFrom(0, 0, -20_000, 7_000, 30_000),
});

export function scenarioArbitrary(systems: number): fc.Arbitrary<Scenario> {
  return fc.record({
    ops: fc.array(opArbitrary, { minLength: 3, maxLength: 12 }),
    faults: fc.record({
      perSystem: fc.array(systemFaults, { minLength: systems, maxLength: systems }),
      indexLagMs: fc.constantFrom(0, 0, 300, 1500),
    }),
  });
}

// ---- the vendors' APIs, as a person (or their browser) uses them ----------------------------------

export interface PersonApi {
  kind: Kind;
  create(o: Extract<Op, { op: 'create' }>, tag: string): Promise<string>;
  edit(
    id: string,
    field: 'summary' | 'description' | 'priority' | 'status',
    value: number,
    text: string,
  ): Promise<void>;
  comment(id: string, body: string, visibility: 'public' | 'internal'): Promise<void>;
  close(id: string): Promise<void>;
  reopen(id: string): Promise<void>;
  /** Moves the ticket out of the connection's scope; false where this side has no such move. */
  unscope(id: string): Promise<boolean>;
}

/** Retries what the simulators' injected faults refused; faults are decided before any effect. */
async function call<T = unknown>(http: AxiosInstance, config: AxiosRequestConfig): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return (await http.request<T>(config)).data;
    } catch (err) {
      const status = (err as { response?: { status?: number } }).response?.status;
      const transient = status === undefined || status === 429 || status >= 500;
      if (!transient || attempt >= 30) throw err;
      await new Promise((r) => setTimeout(r, 20));
    }
  }
}

const FS_PRIORITY = [1, 2, 3, 4];
const FS_STATUS = [2, 3, 4, 5, 2];
const CW_PRIORITY = ['Priority 1 - Critical', 'Priority 2 - High', 'Priority 3 - Medium', 'Priority 4 - Low'];
const CW_STATUS = ['New', 'In Progress', 'Waiting on Client', 'Resolved', 'Closed'];
const JIRA_PRIORITY = ['Highest', 'High', 'Medium', 'Low', 'Lowest'];
const JIRA_STATUS = ['Waiting for support', 'In Progress', 'Waiting for customer', 'Resolved', 'Closed'];
const pick = <T>(list: T[], i: number): T => list[i % list.length]!;
const escapeHtml = (t: string): string => t.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

function personApi(
  system: SystemConfig,
  scopeTags: string[],
  board: string | undefined,
  otherBoard: string,
): PersonApi {
  const timeout = 5000;
  if (system.kind === 'freshservice') {
    const http = axios.create({
      baseURL: `${system.baseUrl}/api/v2`,
      timeout,
      headers: { Authorization: basicAuth(system.credentials.apiKey, 'X') },
    });
    return {
      kind: 'freshservice',
      async create(o, tag) {
        const body = {
          subject: o.summary,
          description: `<p>${tag}</p>`,
          email: 'person@contoso.example',
          priority: pick(FS_PRIORITY, o.priority),
          status: pick(FS_STATUS, o.status),
          ...(scopeTags.length ? { tags: scopeTags } : {}),
        };
        return String(
          (await call<{ ticket: { id: number } }>(http, { method: 'POST', url: '/tickets', data: body })).ticket.id,
        );
      },
      async edit(id, field, value, t) {
        // What Freshservice's editor stores for typed text: HTML with the text escaped.
        const data =
          field === 'summary'
            ? { subject: t }
            : field === 'description'
              ? { description: `<p>${escapeHtml(t)}</p>` }
              : field === 'priority'
                ? { priority: pick(FS_PRIORITY, value) }
                : { status: pick(FS_STATUS, value) };
        await call(http, { method: 'PUT', url: `/tickets/${id}`, data });
      },
      async comment(id, body, visibility) {
        await call(http, {
          method: 'POST',
          url: `/tickets/${id}/notes`,
          data: { body: `<p>${escapeHtml(body)}</p>`, private: visibility === 'internal' },
        });
      },
      close: async (id) => void (await call(http, { method: 'PUT', url: `/tickets/${id}`, data: { status: 5 } })),
      reopen: async (id) => void (await call(http, { method: 'PUT', url: `/tickets/${id}`, data: { status: 2 } })),
      async unscope(id) {
        if (scopeTags.length === 0) return false;
        await call(http, { method: 'PUT', url: `/tickets/${id}`, data: { tags: ['elsewhere'] } });
        return true;
      },
    };
  }
  if (system.kind === 'connectwise') {
    const c = system.credentials;
    const http = axios.create({
      baseURL: `${system.baseUrl}/${system.options?.codebase ?? 'v4_6_release/'}apis/3.0`,
      timeout,
      headers: {
        Authorization: basicAuth(`${c.company}+${c.publicKey}`, c.privateKey),
        clientId: c.clientId,
        'x-sim-member': 'jdoe',
      },
    });
    const patch = (id: string, path: string, value: unknown) =>
      call(http, { method: 'PATCH', url: `/service/tickets/${id}`, data: [{ op: 'replace', path, value }] });
    return {
      kind: 'connectwise',
      async create(o, tag) {
        const body = {
          summary: o.summary.slice(0, 100),
          board: { name: board },
          company: { identifier: 'Contoso' },
          priority: { name: pick(CW_PRIORITY, o.priority) },
          status: { name: pick(CW_STATUS, o.status) },
          initialDescription: tag,
        };
        return String((await call<{ id: number }>(http, { method: 'POST', url: '/service/tickets', data: body })).id);
      },
      async edit(id, field, value, t) {
        if (field === 'summary') await patch(id, 'summary', t.slice(0, 100));
        else if (field === 'priority') await patch(id, 'priority', { name: pick(CW_PRIORITY, value) });
        else if (field === 'status') await patch(id, 'status', { name: pick(CW_STATUS, value) });
        else
          await call(http, {
            method: 'POST',
            url: `/service/tickets/${id}/notes`,
            data: { text: t, internalAnalysisFlag: true },
          }); // no description edit on the MSP side: an internal note instead
      },
      async comment(id, body, visibility) {
        const flags =
          visibility === 'public'
            ? { detailDescriptionFlag: true, internalAnalysisFlag: false }
            : { detailDescriptionFlag: false, internalAnalysisFlag: true };
        await call(http, {
          method: 'POST',
          url: `/service/tickets/${id}/notes`,
          data: { text: body, resolutionFlag: false, ...flags },
        });
      },
      close: async (id) => void (await patch(id, 'status', { name: 'Closed' })),
      reopen: async (id) => void (await patch(id, 'status', { name: 'New' })),
      async unscope(id) {
        await patch(id, 'board', { name: otherBoard });
        return true;
      },
    };
  }
  const http = axios.create({
    baseURL: system.baseUrl,
    timeout,
    headers: {
      Authorization: basicAuth(system.credentials.email, system.credentials.apiToken),
      'x-sim-actor': 'agent',
    },
  });
  const adf = (t: string) => ({
    type: 'doc',
    version: 1,
    content: [{ type: 'paragraph', content: [{ type: 'text', text: t }] }],
  });
  const transitionTo = async (id: string, target: string): Promise<void> => {
    const { transitions } = await call<{ transitions: Array<{ id: string; to: { name: string } }> }>(http, {
      method: 'GET',
      url: `/rest/api/3/issue/${id}/transitions`,
    });
    const t = transitions.find((x) => x.to.name === target);
    if (!t) return; // the workflow has no direct path; a person would pick another status
    await call(http, {
      method: 'POST',
      url: `/rest/api/3/issue/${id}/transitions`,
      data: {
        transition: { id: t.id },
        ...(target === 'Resolved' || target === 'Closed' ? { fields: { resolution: { name: 'Done' } } } : {}),
      },
    }).catch(() => undefined);
  };
  return {
    kind: 'jsm',
    async create(o, tag) {
      const fields = {
        project: { key: 'IT' },
        issuetype: { name: 'Incident' },
        summary: o.summary,
        priority: { name: pick(JIRA_PRIORITY, o.priority) },
        description: adf(tag),
      };
      return (await call<{ id: string }>(http, { method: 'POST', url: '/rest/api/3/issue', data: { fields } })).id;
    },
    async edit(id, field, value, t) {
      if (field === 'status') return transitionTo(id, pick(JIRA_STATUS, value));
      const fields =
        field === 'summary'
          ? { summary: t }
          : field === 'description'
            ? { description: adf(t) }
            : { priority: { name: pick(JIRA_PRIORITY, value) } };
      await call(http, { method: 'PUT', url: `/rest/api/3/issue/${id}`, data: { fields } });
    },
    async comment(id, body, visibility) {
      await call(http, {
        method: 'POST',
        url: `/rest/servicedeskapi/request/${id}/comment`,
        data: { body, public: visibility === 'public' },
      });
    },
    close: (id) => transitionTo(id, 'Closed'),
    reopen: (id) => transitionTo(id, 'Waiting for support'),
    unscope: async () => false,
  };
}

// ---- running one scenario ------------------------------------------------------------------------

export interface PairFixture {
  pair: Pair;
  config: Config;
  simulators: StartedSimulator[];
  stop(): Promise<void>;
}

export async function startPair(pair: Pair): Promise<PairFixture> {
  const config = await pairConfig(pair);
  const simulators = await startSimulators(config);
  return {
    pair,
    config,
    simulators,
    stop: async () => void (await Promise.all(simulators.map((s) => s.handle.stop()))),
  };
}

export interface ScenarioReport {
  ops: number;
  faultsInjected: number;
  tickets: number;
  duplicates: number;
  lostUpdates: number;
  leaks: number;
  problems: string[];
}

export interface Made {
  side: Side;
  id: string;
  unscoped: boolean;
  publicTokens: string[];
  internalTokens: string[];
}

async function flushWebhooks(f: PairFixture): Promise<void> {
  await Promise.all(f.simulators.map((s) => axios.post(`${s.handle.url}/__sim/webhooks/flush`, {})));
}

export async function quiesce(f: PairFixture, daemon: DaemonHandle, conn: string): Promise<void> {
  const { engine, ledger } = daemon;
  let lastEvents = -1;
  for (let round = 0; round < 8; round++) {
    await flushWebhooks(f);
    await engine.onIdle();
    await engine.retryTransientErrors();
    await engine.recoverIntents();
    await engine.pollOnce(conn, 'a');
    await engine.pollOnce(conn, 'b');
    await engine.onIdle();
    await engine.reconcile(conn);
    await engine.onIdle();
    const counts = await ledger.counts(conn);
    if (counts.events === lastEvents && counts.pendingIntents === 0 && round >= 1) return;
    lastEvents = counts.events;
  }
}

/** The people who work in each side's system, through its API as its UI would. */
export function peopleOf(f: PairFixture): Record<Side, PersonApi> {
  const connection = f.config.connections[f.pair]!;
  const systems: Record<Side, SystemConfig> = {
    a: f.config.systems[connection.a.system]!,
    b: f.config.systems[connection.b.system]!,
  };
  const boards = connection.b.scope.boards ?? [];
  return {
    a: personApi(systems.a, connection.a.scope.tags ?? [], connection.a.scope.boards?.[0], 'Co-Managed JSM'),
    b: personApi(
      systems.b,
      connection.b.scope.tags ?? [],
      boards[0],
      boards[0] === 'Co-Managed FS' ? 'Co-Managed JSM' : 'Co-Managed FS',
    ),
  };
}

/** Carries out one person's op (not poll or settle); a new ticket is added to `made`. */
export async function act(people: Record<Side, PersonApi>, made: Made[], op: Op, tag: () => string): Promise<void> {
  const target = (s: Side, i: number): Made | undefined => {
    const mine = made.filter((m) => m.side === s);
    return mine.length === 0 ? undefined : mine[i % mine.length];
  };
  switch (op.op) {
    case 'create':
      made.push({
        side: op.side,
        id: await people[op.side].create(op, tag()),
        unscoped: false,
        publicTokens: [],
        internalTokens: [],
      });
      return;
    case 'edit': {
      const t = target(op.side, op.ticket);
      if (t && !t.unscoped) await people[op.side].edit(t.id, op.field, op.value, op.text);
      return;
    }
    case 'comment': {
      const t = target(op.side, op.ticket);
      if (!t || t.unscoped) return;
      const body = `${op.visibility}-note-${tag()}-${Math.random().toString(36).slice(2, 8)}`;
      await people[op.side].comment(t.id, body, op.visibility);
      (op.visibility === 'public' ? t.publicTokens : t.internalTokens).push(body);
      return;
    }
    case 'close':
    case 'reopen': {
      const t = target(op.side, op.ticket);
      if (t && !t.unscoped) await people[op.side][op.op](t.id);
      return;
    }
    case 'unscope': {
      const t = target(op.side, op.ticket);
      if (t && !t.unscoped && (await people[op.side].unscope(t.id))) t.unscoped = true;
      return;
    }
    case 'poll':
    case 'settle':
      return;
  }
}

export async function runScenario(f: PairFixture, scenario: Scenario): Promise<ScenarioReport> {
  const conn = f.pair;
  const people = peopleOf(f);
  // Fresh systems, faults on, a fresh daemon on a fresh ledger.
  await Promise.all(f.simulators.map((s) => axios.post(`${s.handle.url}/__sim/reset`, {})));
  const daemon = await startDaemon(f.config, {
    ledgerPath: ':memory:',
    logLevel: (process.env.TB_SCENARIO_LOG as 'debug' | undefined) ?? 'silent',
  });
  const made: Made[] = [];
  let faultsInjected = 0;
  const problems: string[] = [];
  try {
    await wireWebhooks(f.config, daemon);
    for (const [i, s] of f.simulators.entries())
      await axios.put(`${s.handle.url}/__sim/faults`, scenario.faults.perSystem[i] ?? {});
    const jira = f.simulators.find((s) => s.system.kind === 'jsm');
    if (jira) await axios.put(`${jira.handle.url}/__sim/index-lag`, { ms: scenario.faults.indexLagMs });

    let token = 0;
    const inFlight: Promise<unknown>[] = [];
    for (const op of scenario.ops) {
      if (op.op === 'poll') inFlight.push(daemon.engine.pollOnce(conn, op.side).catch(() => undefined));
      else if (op.op === 'settle') {
        await Promise.all(inFlight.splice(0));
        await daemon.engine.onIdle();
      } else await act(people, made, op, () => `tok-${++token}`);
    }
    await Promise.all(inFlight);

    // Quiescence: faults off (clock skew stays: it is a property of the systems), every hint
    // delivered, polls and a reconcile until the ledger stops moving.
    for (const [i, s] of f.simulators.entries()) {
      const current = (
        await axios.get<{
          counts: {
            rateLimited: number;
            resets: number;
            hangs: number;
            status: Record<string, number>;
            webhooksDropped: number;
            webhooksDuplicated: number;
            webhooksDelayed: number;
            webhooksReordered: number;
          };
        }>(`${s.handle.url}/__sim/faults`)
      ).data.counts;
      faultsInjected +=
        current.rateLimited +
        current.resets +
        current.hangs +
        Object.values(current.status).reduce((x, y) => x + y, 0) +
        current.webhooksDropped +
        current.webhooksDuplicated +
        current.webhooksDelayed +
        current.webhooksReordered;
      await axios.put(`${s.handle.url}/__sim/faults`, { clockSkewMs: scenario.faults.perSystem[i]?.clockSkewMs ?? 0 });
    }
    if (jira) await axios.put(`${jira.handle.url}/__sim/index-lag`, { ms: 0 });
    await quiesce(f, daemon, conn);

    // ---- invariants ----
    const report = await checkInvariants(daemon, conn, made, problems);
    return { ops: scenario.ops.length, faultsInjected, tickets: made.length, ...report, problems };
  } finally {
    await daemon.stop();
  }
}

async function checkInvariants(
  daemon: DaemonHandle,
  conn: string,
  made: Made[],
  problems: string[],
): Promise<{ duplicates: number; lostUpdates: number; leaks: number }> {
  const { ledger, connectors } = daemon;
  const pair = connectors.get(conn)!;
  const connection = daemon.config.connections[conn]!;
  const rules = connection.fields.map(compileField);
  let duplicates = 0;
  let lostUpdates = 0;
  let leaks = 0;

  const all: Record<Side, Ticket[]> = { a: [], b: [] };
  for (const s of ['a', 'b'] as const) {
    for await (const t of pair[s].listChanged({ since: null })) if (!('invalid' in t)) all[s].push(t);
  }
  // No twin twice: a marker names one source ticket, so it may appear once per side.
  for (const s of ['a', 'b'] as const) {
    const byMarker = new Map<string, number>();
    for (const t of all[s]) if (t.marker) byMarker.set(t.marker, (byMarker.get(t.marker) ?? 0) + 1);
    for (const [marker, n] of byMarker) {
      if (n <= 1) continue;
      duplicates += n - 1;
      problems.push(`${n} tickets on ${s} carry marker ${marker}`);
    }
  }

  for (const m of made) {
    const other = otherSide(m.side);
    const marker = `tb:${conn}:${m.side}${m.id}`;
    const twins = all[other].filter((t) => t.marker === marker);
    const link = await ledger.findLink(conn, m.side, m.id);
    if (m.unscoped) {
      if (twins.length > 1) {
        duplicates++;
        problems.push(`unscoped ${m.side}:${m.id} has ${twins.length} twins`);
      }
      continue;
    }
    if (!link || link.state !== 'active') {
      problems.push(`${m.side}:${m.id} has no active link (${link?.state ?? 'none'}: ${link?.note ?? ''})`);
      lostUpdates++;
      continue;
    }
    const twinId = other === 'a' ? link.aId : link.bId;
    if (twins.length !== 1 || twins[0]!.id !== twinId) {
      duplicates += Math.max(0, twins.length - 1);
      problems.push(`${m.side}:${m.id} has twins [${twins.map((t) => t.id).join(',')}] but the link says ${twinId}`);
    }
    const tickets: Record<Side, Ticket> = {
      [m.side]: await pair[m.side].getTicket(m.id),
      [other]: await pair[other].getTicket(twinId),
    } as Record<Side, Ticket>;
    const conflicts = new Set((await ledger.listConflicts({ linkId: link.id, state: 'open' })).map((c) => c.field));
    for (const rule of rules) {
      const a = tickets.a.fields[rule.native.a] ?? null;
      const b = tickets.b.fields[rule.native.b] ?? null;
      if (!rule.equivalent('a', a, b) && !conflicts.has(rule.name)) {
        lostUpdates++;
        problems.push(
          `link ${link.id} ${rule.name}: a=${JSON.stringify(a)} b=${JSON.stringify(b)} disagree with no conflict recorded`,
        );
      }
    }
    const comments = { a: await pair.a.listComments(tickets.a.id), b: await pair.b.listComments(tickets.b.id) };
    for (const token of m.publicTokens) {
      const copies = comments[other].filter((c) => c.body.includes(token));
      if (copies.length !== 1) {
        if (copies.length > 1) duplicates += copies.length - 1;
        else lostUpdates++;
        problems.push(`public comment ${token} is on ${other} ${copies.length} times`);
      }
    }
    for (const token of m.internalTokens) {
      const leaked = comments[other].filter((c) => c.body.includes(token));
      const crossedAgainstRules =
        leaked.length > 0 && connection.comments[m.side === 'a' ? 'aToB' : 'bToA'].internal === 'skip';
      if (leaked.some((c) => c.visibility === 'public') || crossedAgainstRules) {
        leaks++;
        problems.push(`internal note ${token} crossed to ${other} (${leaked.map((c) => c.visibility).join(', ')})`);
      }
    }
  }
  if ((await ledger.pendingIntents(conn)).length > 0)
    problems.push(`pending intents remain: ${(await ledger.pendingIntents(conn)).length}`);
  for (const s of ['a', 'b'] as const) {
    const ids = new Set(all[s].map((t) => t.id));
    const links = await ledger.listLinks({ connection: conn, state: 'active', limit: 500 });
    for (const l of links.items)
      if (!ids.has(s === 'a' ? l.aId : l.bId))
        problems.push(`orphan link ${l.id}: ${s} ticket ${s === 'a' ? l.aId : l.bId} not found`);
  }
  return { duplicates, lostUpdates, leaks };
}
