// The crash test: the daemon runs as a child process against the three simulators (in this
// process) while 300 tickets are created, edited and commented on through the vendors' APIs, and
// is killed with SIGKILL at seeded random moments 30 times, restarting on the same SQLite ledger.
// Afterwards, read through the vendors only: no duplicate, every ticket twinned once, every
// mapped field converged with no edit lost, every public comment copied exactly once, no internal
// note crossed, every attached file copied exactly once (0 duplicate uploads) with its size and
// never more visible; and the ledger holds no pending intent and no orphan link.
// Replay a run with CRASH_SEED=<seed printed in the log>; CRASH_KEEP=<folder> keeps the ledger and
// each daemon run's debug log there.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parse, stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openLedger } from '../../src/core/ledger/index.js';
import type { Side } from '../../src/core/types.js';
import { buildDaemon } from '../../src/daemon.js';
import { wireWebhooks } from '../../src/demo.js';
import { loadConfig } from '../../src/mapping/loader.js';
import type { Config } from '../../src/mapping/schema.js';
import { createRng, type Rng } from '../../src/simulators/common/rng.js';
import { startSimulators, type StartedSimulator } from '../../src/simulators/start.js';
import { DEMO_CONFIG, freePort } from '../helpers/demo-stack.js';
import { bundleCli, DaemonProcess } from './daemon-process.js';
import { demoScopes, fieldMismatches, fileCopies, pairTwins, type AttachedFile, type TwinPair } from './verify.js';
import { vendors, type Vendors } from './vendors.js';

const SEED = Number(process.env.CRASH_SEED ?? Math.floor(Math.random() * 1_000_000));
const KILLS = Number(process.env.CRASH_KILLS ?? 30);
const VERBOSE = process.env.CRASH_VERBOSE === '1';
/** A folder to keep the ledger and each daemon run's debug log in (not removed afterwards). */
const KEEP = process.env.CRASH_KEEP;
const POLL_MS = 1000;
const TOKEN = 'demo-status-token';

type Conn = 'fs-cw' | 'jsm-cw';
type Field = 'summary' | 'status' | 'priority';

/** One ticket the test created and what it expects both sides to hold in the end. */
interface Tracked {
  n: number;
  conn: Conn;
  origin: Side;
  ids: Partial<Record<Side, string>>;
  /** Which side the test edits each both-owned field on (priority: always a, its owner). */
  editSide: Record<'summary' | 'status', Side>;
  /** The value the test last wrote (or created with), and on which side. */
  expected: Partial<Record<Field, { side: Side; value: string | number }>>;
  comments: Array<{ token: string; side: Side; public: boolean }>;
  /** Files people attached (each name unique). */
  files: AttachedFile[];
  createdInWave: number;
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Runs `fns` with at most `limit` at once. */
async function pool(limit: number, fns: Array<() => Promise<void>>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, fns.length) }, async () => {
      while (next < fns.length) await fns[next++]!();
    }),
  );
}

function shuffle<T>(rng: Rng, items: T[]): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = rng.int(0, i);
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

const pick = <T>(rng: Rng, items: readonly T[]): T => items[rng.int(0, items.length - 1)]!;

const FS_STATUS = [2, 3, 4] as const;
const CW_STATUS = ['New', 'In Progress', 'Waiting on Client', 'Resolved'] as const;
const FS_PRIORITY = [1, 2, 3, 4] as const;
const CW_PRIORITY = ['Priority 1 - Critical', 'Priority 2 - High', 'Priority 3 - Medium', 'Priority 4 - Low'] as const;
const JIRA_PRIORITY = ['Highest', 'High', 'Medium', 'Low', 'Lowest'] as const;
const BOARD: Record<Conn, string> = { 'fs-cw': 'Co-Managed FS', 'jsm-cw': 'Co-Managed JSM' };

/** The workload: creates, edits and comments through the vendor APIs, in waves. */
class Workload {
  readonly tracked: Tracked[] = [];
  readonly counts = { creates: 0, edits: 0, comments: 0, internal: 0, skipped: 0, files: 0 };
  private n = 0;
  private plan: Array<{ conn: Conn; origin: Side }>;

  constructor(
    private readonly v: Vendors,
    private readonly rng: Rng,
  ) {
    const plan: Array<{ conn: Conn; origin: Side }> = [
      ...Array.from({ length: 100 }, () => ({ conn: 'fs-cw' as const, origin: 'a' as const })),
      ...Array.from({ length: 100 }, () => ({ conn: 'fs-cw' as const, origin: 'b' as const })),
      ...Array.from({ length: 50 }, () => ({ conn: 'jsm-cw' as const, origin: 'a' as const })),
      ...Array.from({ length: 50 }, () => ({ conn: 'jsm-cw' as const, origin: 'b' as const })),
    ];
    this.plan = shuffle(rng, plan);
  }

  private system(t: Tracked, side: Side): 'fs' | 'cw' | 'jira' {
    return side === 'b' ? 'cw' : t.conn === 'fs-cw' ? 'fs' : 'jira';
  }

  private async create(conn: Conn, origin: Side, wave: number): Promise<void> {
    const n = ++this.n;
    // Long summaries start on side a: ConnectWise keeps 100 characters, so their twins are cut.
    const long = origin === 'a' && this.rng.chance(0.2);
    const summary =
      `Crash ${conn} ${origin} #${n}: printer queue stuck${long ? ` ${'and keeps on failing to print anything at all '.repeat(3)}` : ''}`.trim();
    const description = `Created by the crash test, ticket ${n}.`;
    const t: Tracked = {
      n,
      conn,
      origin,
      ids: {},
      editSide: { summary: this.rng.chance(0.5) ? 'a' : 'b', status: this.rng.chance(0.5) ? 'a' : 'b' },
      expected: {},
      comments: [],
      files: [],
      createdInWave: wave,
    };
    const system = this.system(t, origin);
    if (system === 'fs') {
      const status = pick(this.rng, FS_STATUS);
      const priority = pick(this.rng, FS_PRIORITY);
      t.ids.a = await this.v.fs.create({ subject: summary, description, status, priority });
      t.expected = {
        summary: { side: 'a', value: summary },
        status: { side: 'a', value: status },
        priority: { side: 'a', value: priority },
      };
    } else if (system === 'jira') {
      const priority = pick(this.rng, JIRA_PRIORITY);
      t.ids.a = await this.v.jira.create({ summary, description, priority });
      t.expected = {
        summary: { side: 'a', value: summary },
        status: { side: 'a', value: 'Waiting for support' },
        priority: { side: 'a', value: priority },
      };
    } else {
      const priority = pick(this.rng, CW_PRIORITY);
      t.ids.b = await this.v.cw.create({ summary, board: BOARD[conn], priority, description });
      t.expected = {
        summary: { side: 'b', value: summary },
        status: { side: 'b', value: 'New' },
        priority: { side: 'b', value: priority },
      };
    }
    this.tracked.push(t);
    this.counts.creates++;
  }

  /** Learns twin ids from the markers the daemon stamped. */
  async refreshTwins(): Promise<void> {
    const scopes = await demoScopes(this.v);
    const byMarker = new Map<string, string>();
    for (const conn of ['fs-cw', 'jsm-cw'] as const)
      for (const side of ['a', 'b'] as const)
        for (const t of scopes[conn][side]) if (t.marker) byMarker.set(`${side}|${t.marker}`, t.id);
    for (const t of this.tracked) {
      const other: Side = t.origin === 'a' ? 'b' : 'a';
      if (t.ids[other]) continue;
      const id = byMarker.get(`${other}|tb:${t.conn}:${t.origin}${t.ids[t.origin]!}`);
      if (id) t.ids[other] = id;
    }
  }

  private async edit(t: Tracked, field: Field): Promise<void> {
    const side: Side = field === 'priority' ? 'a' : t.editSide[field];
    const id = t.ids[side];
    if (!id) {
      this.counts.skipped++;
      return;
    }
    const system = this.system(t, side);
    let value: string | number | null;
    if (field === 'summary') {
      value = `Crash ${t.conn} ${t.origin} #${t.n}: edited ${this.counts.edits} on ${system}`;
      if (system === 'fs') await this.v.fs.update(id, { subject: value });
      else if (system === 'cw') await this.v.cw.update(id, { summary: value });
      else await this.v.jira.update(id, { summary: value });
    } else if (field === 'status') {
      if (system === 'fs') await this.v.fs.update(id, { status: (value = pick(this.rng, FS_STATUS)) });
      else if (system === 'cw') await this.v.cw.update(id, { status: (value = pick(this.rng, CW_STATUS)) });
      else
        value = await this.v.jira.transition(
          id,
          (k) => this.rng.int(0, k - 1),
          (to) => to !== 'Closed',
        );
    } else if (system === 'fs') await this.v.fs.update(id, { priority: (value = pick(this.rng, FS_PRIORITY)) });
    else await this.v.jira.update(id, { priority: (value = pick(this.rng, JIRA_PRIORITY)) });
    if (value === null) {
      this.counts.skipped++;
      return;
    }
    t.expected[field] = { side, value };
    this.counts.edits++;
  }

  private async comment(t: Tracked): Promise<void> {
    const sides = (['a', 'b'] as const).filter((s) => t.ids[s]);
    const side = pick(this.rng, sides);
    const isPublic = this.rng.chance(0.8);
    const token = `cmt${String(this.counts.comments).padStart(5, '0')}${isPublic ? 'pub' : 'int'}`;
    const text = `Update ${token} from the ${isPublic ? 'customer' : 'engineer'}.`;
    const id = t.ids[side]!;
    const system = this.system(t, side);
    if (system === 'fs') await this.v.fs.comment(id, text, isPublic);
    else if (system === 'cw') await this.v.cw.comment(id, text, isPublic);
    else await this.v.jira.comment(id, text, isPublic);
    t.comments.push({ token, side, public: isPublic });
    this.counts.comments++;
    if (!isPublic) this.counts.internal++;
  }

  /**
   * A person attaches a small file on a side that has the ticket, public or internal. A
   * ConnectWise document does not move the ticket's lastUpdated, so a note follows it there (as
   * people write one) for the daemon to notice the ticket.
   */
  private async attach(t: Tracked): Promise<void> {
    const sides = (['a', 'b'] as const).filter((s) => t.ids[s]);
    const side = pick(this.rng, sides);
    const isPublic = this.rng.chance(0.7);
    const name = `att${String(this.counts.files).padStart(5, '0')}.bin`;
    const bytes = Buffer.from(Array.from({ length: this.rng.int(500, 6000) }, () => this.rng.int(0, 255)));
    const id = t.ids[side]!;
    const system = this.system(t, side);
    this.counts.files++;
    await this.v[system].attach(id, name, bytes, isPublic);
    t.files.push({ name, side, public: isPublic, sizeBytes: bytes.length });
    if (system === 'cw') {
      const token = `cmt${String(this.counts.comments).padStart(5, '0')}${isPublic ? 'pub' : 'int'}`;
      await this.v.cw.comment(id, `Uploaded ${name}, ${token}.`, isPublic);
      t.comments.push({ token, side, public: isPublic });
      this.counts.comments++;
      if (!isPublic) this.counts.internal++;
    }
  }

  /** Wave `i` of `waves`: this wave's share of the creates plus edits and comments on older tickets. */
  async wave(i: number, waves: number): Promise<void> {
    const from = Math.floor((this.plan.length * i) / waves);
    const to = Math.floor((this.plan.length * (i + 1)) / waves);
    const creates = this.plan.slice(from, to).map((p) => () => this.create(p.conn, p.origin, i));
    await this.refreshTwins();
    const older = this.tracked.filter((t) => t.createdInWave < i);
    // Actions on one ticket run in order (so "the last edit" is well defined); tickets in parallel.
    const perTicket = new Map<Tracked, Array<() => Promise<void>>>();
    if (older.length > 0) {
      for (let k = 0; k < 14; k++) {
        const t = pick(this.rng, older);
        const list = perTicket.get(t) ?? [];
        list.push(() => this.edit(t, pick(this.rng, ['summary', 'status', 'status', 'priority'] as const)));
        perTicket.set(t, list);
      }
      for (let k = 0; k < 14; k++) {
        const t = pick(this.rng, older);
        const list = perTicket.get(t) ?? [];
        list.push(() => this.comment(t));
        perTicket.set(t, list);
      }
      for (let k = 0; k < 5; k++) {
        const t = pick(this.rng, older);
        const list = perTicket.get(t) ?? [];
        list.push(() => this.attach(t));
        perTicket.set(t, list);
      }
    }
    const chains = [...perTicket.values()].map((list) => async () => {
      for (const fn of list) await fn();
    });
    await pool(6, shuffle(this.rng, [...creates, ...chains]));
  }
}

/** Writes the demo config on free ports with fast polling; returns it resolved and the env names it reads. */
async function writeCrashConfig(
  dir: string,
): Promise<{ path: string; config: Config; daemonUrl: string; envNames: string[] }> {
  const text = readFileSync(DEMO_CONFIG, 'utf8');
  const raw = parse(text) as Record<string, Record<string, Record<string, unknown>>>;
  for (const system of Object.values(raw.systems!)) {
    const url = new URL(system.baseUrl as string);
    url.port = String(await freePort());
    system.baseUrl = url.origin;
    // Crash-safety is under test here, not rate limits: give every system room.
    system.rateLimit = { requestsPerMinute: 100_000, concurrency: 8 };
  }
  const port = await freePort();
  (raw as Record<string, unknown>).server = { ...raw.server, port };
  (raw as Record<string, unknown>).polling = { intervalMs: POLL_MS, overlapMs: 10_000 };
  (raw as Record<string, unknown>).reconcile = { enabled: false, cron: '0 0 1 1 *' };
  // Every file crosses, keeping its visibility: each upload goes through an intent.
  for (const connection of Object.values(raw.connections!)) connection.attachments = { aToB: 'all', bToA: 'all' };
  const path = join(dir, 'crash.yaml');
  writeFileSync(path, stringify(raw));
  const { config } = loadConfig(path, { env: {} });
  const envNames = [...text.matchAll(/\$\{env:([A-Z0-9_]+)/g)].map((m) => m[1]!);
  return { path, config, daemonUrl: `http://127.0.0.1:${port}`, envNames };
}

interface StatusBody {
  connections: Array<{
    name: string;
    pendingIntents: number;
    openErrors: number;
    links: number;
    sides: Record<Side, { lastSuccessfulPollAt: string | null }>;
  }>;
}

async function status(url: string): Promise<StatusBody | null> {
  try {
    const res = await fetch(`${url}/status`, {
      headers: { Authorization: `Bearer ${TOKEN}` },
      signal: AbortSignal.timeout(10_000),
    });
    return res.ok ? ((await res.json()) as StatusBody) : null;
  } catch {
    return null;
  }
}

/** Every problem the vendors show: duplicates, missing twins, field drift, lost edits, comment errors. */
async function inspect(
  config: Config,
  v: Vendors,
  w: Workload,
  withComments: boolean,
): Promise<{
  problems: string[];
  duplicates: number;
  pairs: TwinPair[];
  lostUpdates: number;
  commentProblems: number;
  duplicateUploads: number;
  fileProblems: number;
  lost: Array<{ conn: Conn; id: string; origin: Side }>;
}> {
  const scopes = await demoScopes(v);
  const problems: string[] = [];
  let duplicates = 0;
  const pairs: TwinPair[] = [];
  for (const conn of ['fs-cw', 'jsm-cw'] as const) {
    const report = pairTwins(conn, scopes[conn]);
    duplicates += report.duplicates;
    problems.push(...report.problems);
    pairs.push(...report.pairs);
    for (const pair of report.pairs) problems.push(...fieldMismatches(config, pair));
  }
  // Comments are compared once every ticket has its one twin (lost field edits do not stop that).
  const paired = problems.length === 0;
  // Every ticket the test created is a source, and there are no others.
  const sources = new Map(pairs.map((p) => [`${p.connection}|${p.origin}|${p.origin === 'a' ? p.a.id : p.b.id}`, p]));
  let lostUpdates = 0;
  const lost: Array<{ conn: Conn; id: string; origin: Side }> = [];
  for (const t of w.tracked) {
    const pair = sources.get(`${t.conn}|${t.origin}|${t.ids[t.origin]!}`);
    if (!pair) {
      problems.push(`${t.conn}: created ticket #${t.n} (${t.origin} ${t.ids[t.origin]!}) is not paired`);
      continue;
    }
    for (const [field, want] of Object.entries(t.expected) as Array<[Field, { side: Side; value: string | number }]>) {
      const held = pair[want.side][field];
      if (held !== want.value) {
        lostUpdates++;
        lost.push({ conn: t.conn, id: pair[t.origin].id, origin: t.origin });
        problems.push(
          `${t.conn} #${t.n}: ${field} on ${want.side} is ${JSON.stringify(held)}, the last edit wrote ${JSON.stringify(want.value)}`,
        );
      }
    }
  }
  if (sources.size !== w.tracked.length)
    problems.push(`${sources.size} source tickets paired, the test created ${w.tracked.length}`);

  let commentProblems = 0;
  let duplicateUploads = 0;
  let fileProblems = 0;
  if (withComments && paired) {
    const systemOf = (conn: Conn, side: Side): 'fs' | 'cw' | 'jira' =>
      side === 'b' ? 'cw' : conn === 'fs-cw' ? 'fs' : 'jira';
    await Promise.all(
      w.tracked.map(async (t) => {
        if (t.comments.length === 0 && t.files.length === 0) return;
        const pair = sources.get(`${t.conn}|${t.origin}|${t.ids[t.origin]!}`)!;
        const lists = {
          a: await v[systemOf(t.conn, 'a')].comments(pair.a.id),
          b: await v[systemOf(t.conn, 'b')].comments(pair.b.id),
        };
        if (t.files.length > 0) {
          const files = fileCopies(`${t.conn} #${t.n}`, t.files, {
            a: await v[systemOf(t.conn, 'a')].files(pair.a.id),
            b: await v[systemOf(t.conn, 'b')].files(pair.b.id),
          });
          duplicateUploads += files.duplicateUploads;
          fileProblems += files.problems.length;
          problems.push(...files.problems);
        }
        for (const c of t.comments) {
          const other: Side = c.side === 'a' ? 'b' : 'a';
          const here = lists[c.side].filter((x) => x.text.includes(c.token));
          const there = lists[other].filter((x) => x.text.includes(c.token));
          const want = c.public ? 1 : 0;
          if (here.length !== 1 || there.length !== want || there.some((x) => !x.public)) {
            commentProblems++;
            problems.push(
              `${t.conn} #${t.n}: ${c.public ? 'public' : 'internal'} comment ${c.token} from ${c.side}: ${here.length} on ${c.side}, ${there.length} on ${other} (${there.filter((x) => !x.public).length} internal), want 1 and ${want}`,
            );
          }
        }
      }),
    );
  }
  return { problems, duplicates, pairs, lostUpdates, commentProblems, duplicateUploads, fileProblems, lost };
}

function writeCount(sims: StartedSimulator[]): number {
  let n = 0;
  for (const s of sims)
    for (const [route, count] of s.handle.sim.counts)
      if (/^(POST|PUT|PATCH|DELETE) /.test(route) && !route.includes('/search')) n += count;
  return n;
}

describe('crash test: SIGKILL during a two-way sync of 300 tickets', () => {
  let dir: string;
  let bundleDir: string;
  let sims: StartedSimulator[] = [];
  let daemon: DaemonProcess | null = null;

  beforeAll(() => {
    dir = KEEP === undefined ? mkdtempSync(join(tmpdir(), 'tb-crash-')) : resolve(KEEP);
    if (KEEP !== undefined) mkdirSync(dir, { recursive: true });
    bundleDir = resolve(import.meta.dirname, `../artifacts/crash-${process.pid}`);
  });

  afterAll(async () => {
    await daemon?.kill();
    for (const s of sims) await s.handle.stop().catch(() => undefined);
    if (KEEP === undefined) rmSync(dir, { recursive: true, force: true });
    rmSync(bundleDir, { recursive: true, force: true });
  });

  it('survives 30 SIGKILLs with zero duplicates, full convergence, every public comment once, no internal note crossed and every file uploaded once', async () => {
    const started = Date.now();
    const rng = createRng(SEED);
    console.log(`crash test seed ${SEED} (replay with CRASH_SEED=${SEED})`);
    const [cli, setup] = await Promise.all([bundleCli(bundleDir), writeCrashConfig(dir)]);
    const { config, path, daemonUrl, envNames } = setup;
    sims = await startSimulators(config, { seed: SEED });
    const v = vendors(config);
    const ledgerPath = join(dir, 'ledger.sqlite');

    // Webhooks point at the daemon's fixed address, as an admin would set them up once.
    const wiring = await buildDaemon(config, { ledgerPath: ':memory:', logLevel: 'silent' });
    await wireWebhooks(config, { ...wiring, url: daemonUrl, stop: () => wiring.close() });
    await wiring.close();

    // The child resolves ${env:…:-default} to the simulators' credentials: clear any real values.
    const env: Record<string, string> = {};
    for (const [k, value] of Object.entries(process.env))
      if (value !== undefined && !envNames.includes(k)) env[k] = value;
    daemon = new DaemonProcess({
      cli,
      configPath: path,
      ledgerPath,
      url: daemonUrl,
      env,
      ...(KEEP === undefined ? {} : { logDir: dir }),
    });
    const workload = new Workload(v, rng);
    const lives: number[] = [];

    for (let kill = 0; kill < KILLS; kill++) {
      const bootAt = Date.now();
      daemon.start();
      await daemon.waitHealthy();
      const wave = workload.wave(kill, KILLS);
      const delay = rng.int(100, 1500);
      await sleep(delay);
      await daemon.kill();
      lives.push(Date.now() - bootAt);
      await wave;
      if (VERBOSE)
        console.log(
          `kill ${kill + 1} after ${delay} ms; life ${Date.now() - bootAt} ms; at ${Date.now() - started} ms`,
        );
    }
    const workloadDoneAt = Date.now();

    // The last start: let it converge.
    daemon.start();
    await daemon.waitHealthy();
    const healthyAt = Date.now();
    const deadline = Date.now() + 100_000;
    let last: Awaited<ReturnType<typeof inspect>> | null = null;
    let unchangedRounds = 0;
    for (;;) {
      const s = await status(daemonUrl);
      const idle = s !== null && s.connections.every((c) => c.pendingIntents === 0 && c.openErrors === 0);
      const polled =
        s !== null &&
        s.connections.every(
          (c) =>
            c.pendingIntents === 0 &&
            (['a', 'b'] as const).every((side) => Date.parse(c.sides[side].lastSuccessfulPollAt ?? '') > healthyAt),
        );
      if (polled) {
        const before = last?.problems.join('\n');
        last = await inspect(config, v, workload, true);
        if (last.problems.length === 0) break;
        // A wrong but settled state (e.g. a lost edit) stays as it is: no need to wait it out.
        unchangedRounds = idle && before === last.problems.join('\n') ? unchangedRounds + 1 : 0;
        if (unchangedRounds >= 10) break;
      }
      if (VERBOSE && s && s.connections.some((c) => c.pendingIntents > 0) && Date.now() - healthyAt > 30_000) {
        const peek = await openLedger({ driver: 'sqlite', path: ledgerPath });
        const intents = await peek.pendingIntents();
        const detail = await Promise.all(
          intents.map(async (i) => ({
            ...i,
            link: i.linkId
              ? await peek.snapshot(i.linkId)
              : await peek.findLink(i.connection, i.targetSide === 'a' ? 'b' : 'a', i.sourceId),
          })),
        );
        console.log(`pending intents: ${JSON.stringify(detail)}`);
        console.log(`errors: ${JSON.stringify(await peek.listErrors({}))}`);
        await peek.close();
      }
      if (VERBOSE)
        console.log(
          `converging at ${Date.now() - started} ms: ${JSON.stringify(s?.connections.map((c) => [c.name, c.links, c.pendingIntents, c.openErrors]))}; ${last?.problems.length ?? '-'} problems: ${last?.problems.slice(0, 3).join(' | ') ?? ''}`,
        );
      if (Date.now() > deadline) break;
      await sleep(1000);
    }
    const convergedAt = Date.now();
    if (VERBOSE) {
      const routes = sims
        .flatMap((sim) => [...sim.handle.sim.counts].map(([route, n]) => [`${sim.handle.kind} ${route}`, n] as const))
        .sort((x, y) => y[1] - x[1]);
      console.log(`requests by route: ${JSON.stringify(routes.slice(0, 25))}`);
    }
    expect(last, 'the daemon never finished a full round of polls after the last restart').not.toBeNull();
    console.log(
      `crash test outcome ${JSON.stringify({ seed: SEED, kills: KILLS, ...workload.counts, pairs: last!.pairs.length, duplicates: last!.duplicates, lostUpdates: last!.lostUpdates, commentProblems: last!.commentProblems, duplicateUploads: last!.duplicateUploads, fileProblems: last!.fileProblems, problems: last!.problems.length, convergeMs: convergedAt - healthyAt })}`,
    );
    if (VERBOSE && last && last.problems.length > 0) {
      const histories: string[] = [];
      for (const l of last.lost) {
        const found = (await (
          await fetch(`${daemonUrl}/ledger/links?connection=${l.conn}&ticket=${l.id}`, {
            headers: { Authorization: `Bearer ${TOKEN}` },
          })
        ).json()) as { items: Array<{ id: string; aId: string; bId: string }> };
        for (const link of found.items.filter((k) => (l.origin === 'a' ? k.aId : k.bId) === l.id)) {
          histories.push(
            JSON.stringify(
              await (
                await fetch(`${daemonUrl}/ledger/links/${link.id}`, { headers: { Authorization: `Bearer ${TOKEN}` } })
              ).json(),
              null,
              1,
            ),
          );
        }
      }
      writeFileSync(
        join(tmpdir(), `tb-crash-${SEED}-problems.txt`),
        `${last.problems.join('\n')}\n\n${histories.join('\n')}`,
      );
      writeFileSync(
        join(tmpdir(), `tb-crash-${SEED}-cw.json`),
        JSON.stringify((await v.cw.http.get('/service/tickets', { params: { pageSize: 1000 } })).data, null, 1),
      );
    }
    expect(last!.problems.slice(0, 30)).toEqual([]);

    // Quiescent: a few more poll rounds write nothing anywhere (no echo, no repeated copy).
    const writesBefore = writeCount(sims);
    const quietFrom = Date.now();
    for (;;) {
      const s = await status(daemonUrl);
      if (
        s &&
        s.connections.every((c) =>
          (['a', 'b'] as const).every(
            (side) => Date.parse(c.sides[side].lastSuccessfulPollAt ?? '') > quietFrom + 2 * POLL_MS,
          ),
        )
      )
        break;
      await sleep(250);
    }
    expect(writeCount(sims) - writesBefore).toBe(0);
    const final = await status(daemonUrl);
    const stoppedAt = new Date().toISOString();
    expect(await daemon.stop()).toBe(0);

    // The ledger: no pending intent, no orphan link, one active link per pair.
    const ledger = await openLedger({ driver: 'sqlite', path: ledgerPath });
    try {
      expect(await ledger.pendingIntents()).toEqual([]);
      const links = await ledger.listLinks({ limit: 10_000 });
      const byPair = new Set(last!.pairs.map((p) => `${p.connection}|${p.a.id}|${p.b.id}`));
      const orphans = links.items.filter(
        (l) => l.state !== 'active' || !byPair.has(`${l.connection}|${l.aId}|${l.bId}`),
      );
      expect(orphans.map((l) => `${l.connection} ${l.id} ${l.aId}<->${l.bId} ${l.state}`)).toEqual([]);
      expect(links.total).toBe(last!.pairs.length);
      // A pass in flight at the final SIGTERM (a poll's or the reconcile's, after the quiet
      // period) is abandoned, and recorded as a retryable remote_unavailable error that the next
      // start's recovery loop retries (seen once in CI, seed 1825). Any other open error, or one
      // recorded before this stop, fails the test.
      const open = await ledger.listErrors({ state: 'open' });
      const abandonedByStop = (e: (typeof open)[number]): boolean =>
        e.retryable && e.createdAt >= stoppedAt && e.message.endsWith('request abandoned, the daemon is stopping');
      expect(open.filter((e) => !abandonedByStop(e))).toEqual([]);
    } finally {
      await ledger.close();
    }

    const figures = {
      seed: SEED,
      crashesSurvived: KILLS,
      daemonStarts: daemon.starts,
      tickets: workload.tracked.length,
      pairs: last!.pairs.length,
      links: final?.connections.reduce((n, c) => n + c.links, 0),
      ...workload.counts,
      duplicates: last!.duplicates,
      lostUpdates: last!.lostUpdates,
      commentProblems: last!.commentProblems,
      duplicateUploads: last!.duplicateUploads,
      fileProblems: last!.fileProblems,
      meanLifeMs: Math.round(lives.reduce((a, b) => a + b, 0) / lives.length),
      crashPhaseMs: workloadDoneAt - started,
      convergeMs: convergedAt - healthyAt,
      totalMs: Date.now() - started,
    };
    console.log(`crash test figures ${JSON.stringify(figures)}`);
    expect(figures.tickets).toBe(300);
    expect(figures.pairs).toBe(300);
    expect(figures.duplicates).toBe(0);
    expect(figures.files).toBeGreaterThan(0);
    expect(figures.duplicateUploads).toBe(0);
  }, 420_000);
});
