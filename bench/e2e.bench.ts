// The end-to-end benchmark of issue 14: the simulators and the daemon over loopback, the daemon's
// every request counted by a proxy in front of each simulator. Figures:
//   calls    calls per mirrored change, per pair, direction and kind (webhook- and poll-detected)
//   idle     idle calls per minute at 100 and 1,000 links
//   latency  change -> mirror p50/p95/max, webhooks at 0 ms and 150 ms vendor latency, polling only
//   burst    50 creates + 50 edits with Freshservice at 200/min: people in the web apps, then
//            (--burst-people web,api) the creates as another app's API calls on the same account
//   backlog  1,000 new ConnectWise tickets mirrored to Freshservice at 200/min
//
//   npm run bench:e2e                                   (everything; burst and backlog take minutes)
//   npm run bench:e2e -- --only calls,latency --runs 3
//   npm run bench:e2e -- --only backlog --backlog 200
import { cpus, loadavg } from 'node:os';
import { readFileSync } from 'node:fs';
import { SETTLE_MS } from '../src/core/sync/versions.js';
import type { Side } from '../src/core/types.js';
import { CHANGE_KINDS, kindsOf, person, type ChangeKind } from './e2e/people.js';
import { median, PAIRS, percentile, startBenchStack, type BenchStack, type Call, type Pair } from './e2e/stack.js';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i === -1 ? fallback : (process.argv[i + 1] ?? fallback);
}
const ONLY = new Set(arg('only', 'calls,idle,latency,burst,backlog').split(','));
const RUNS = Number(arg('runs', '3'));
const BENCH_PAIRS = arg('pairs', PAIRS.join(',')).split(',') as Pair[];
const LATENCY_CHANGES = Number(arg('latency-changes', '20'));
const POLL_MS = Number(arg('poll-ms', '3000'));
const IDLE_LINKS = arg('idle-links', '100,1000').split(',').map(Number);
const IDLE_WINDOW_MS = Number(arg('idle-window-ms', '20000'));
const BURST = Number(arg('burst', '50'));
const BACKLOG = Number(arg('backlog', '1000'));
const FS_PER_MINUTE = Number(arg('fs-per-minute', '200'));
const BURST_PEOPLE = arg('burst-people', 'web,api').split(',') as Array<'web' | 'api'>;
/** Overlap window in the poll-detected count, short so earlier changes do not blur the count. */
const POLL_OVERLAP_MS = 1000;

const rows: string[][] = [];
const row = (...cells: Array<string | number>): void => {
  rows.push(cells.map(String));
  process.stdout.write(`${cells.join(' | ')}\n`);
};
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const other = (side: Side): Side => (side === 'a' ? 'b' : 'a');

function machine(): string {
  const cpuinfo = readFileSync('/proc/cpuinfo', 'utf8');
  const model = /model name\s*:\s*(.+)/.exec(cpuinfo)?.[1] ?? cpus()[0]?.model ?? 'unknown';
  const load = loadavg()
    .map((n) => n.toFixed(2))
    .join(' ');
  return `${cpus().length} CPUs (nproc), ${model}, node ${process.version}, load average ${load}`;
}

// ---- minimum calls per change, from the vendor APIs (derivation in bench/README.md) ----------

function minimum(pair: Pair, source: Side, kind: ChangeKind): number {
  const from = kindsOf(pair)[source];
  const to = kindsOf(pair)[other(source)];
  // Read the source once; a ConnectWise description (create) lives in its first note: one more.
  const read = kind === 'create' && from === 'connectwise' ? 2 : 1;
  // Write the target once; a Jira status moves by a transition whose id must be looked up.
  const write = kind === 'status' && to === 'jsm' ? 2 : 1;
  return read + write;
}

/**
 * The floor: the minimum plus what three facts of the vendor APIs add for a sync that loses
 * nothing (bench/README.md, "The floor"): no conditional update, so the target is read right
 * before a write; Freshservice and ConnectWise deliveries do not say whether a field or a comment
 * moved, so a change there also lists the source's comments (Jira's read carries them); a comment
 * POST, a Jira transition (204) and a Jira create answer without the ticket's new version, and a
 * ConnectWise create without its description note's id, so the target is read once after.
 */
function floor(pair: Pair, source: Side, kind: ChangeKind): number {
  const from = kindsOf(pair)[source];
  const to = kindsOf(pair)[other(source)];
  const listSource = from === 'jsm' ? 0 : 1; // a ConnectWise create's description list serves it
  if (kind === 'create') return 1 + listSource + 1 + (to === 'freshservice' ? 0 : 1);
  if (kind === 'comment') return 1 + listSource + 1 + 1;
  const readAfter = kind === 'status' && to === 'jsm' ? 1 : 0;
  return 1 + listSource + 1 + 1 + readAfter;
}

/**
 * The floor as deployed (webhooks with the poll beside them): the floor plus one list of a side's
 * comments, after the version the pass left there has settled, for each side whose version can
 * hide a comment (bench/README.md, "The floor"), since no system promises its webhook delivery:
 * - a Freshservice or ConnectWise side the pass read or wrote: its versions count whole seconds,
 *   so a comment made later in that second leaves the version unmoved;
 * - a Jira side the pass wrote to (not a create): the write's answer shows a version after any
 *   comment made between the pass's read and the write, and one made later in the same
 *   millisecond as the answer leaves it unmoved.
 */
function deployedFloor(pair: Pair, source: Side, kind: ChangeKind): number {
  const wholeSeconds = (side: Side): number => (kindsOf(pair)[side] === 'jsm' ? 0 : 1);
  const target = other(source);
  const written = kind === 'create' ? wholeSeconds(target) : 1;
  return floor(pair, source, kind) + wholeSeconds(source) + written;
}

// ---- calls per change --------------------------------------------------------------------------

/**
 * webhook: webhooks only, no poll running (the change's own deliveries and passes).
 * webhook+poll: as deployed, webhooks with the poll as the safety net: the change's deliveries,
 * then the two poll rounds after it, every call but the listings (the overlap window lists the
 * changed tickets again, and what the ledger does not trust yet costs its calls there). The first
 * round comes once the versions the change made have settled (SETTLE_MS), as the poll's 30 s
 * default interval usually does.
 * poll: polling only, the two poll rounds after the change, every call but the listings.
 */
type Detect = 'webhook' | 'webhook+poll' | 'poll';

async function countChange(stack: BenchStack, detect: Detect, act: () => Promise<void>): Promise<number> {
  if (detect === 'webhook') {
    const mark = stack.calls.length;
    await act();
    await stack.settle();
    trace(stack.calls.slice(mark));
    return stack.calls.length - mark;
  }
  if (detect === 'webhook+poll') {
    await sleep(POLL_OVERLAP_MS + 100);
    const mark = stack.calls.length;
    await act();
    await stack.settle();
    await sleep(SETTLE_MS + 600);
    await stack.sync(2);
    const counted = stack.calls.slice(mark).filter((c) => !isListing(c));
    trace(counted);
    return counted.length;
  }
  // Poll-detected: every call but the listings in the two poll rounds after the change, once
  // earlier changes have left the (short) overlap window.
  await sleep(POLL_OVERLAP_MS + 100);
  await act();
  const mark = stack.calls.length;
  await stack.sync(2);
  const counted = stack.calls.slice(mark).filter((c) => !isListing(c));
  trace(counted);
  return counted.length;
}

/** With BENCH_TRACE=1, each counted change's requests are printed (method, route, status). */
function trace(calls: Call[]): void {
  if (process.env.BENCH_TRACE !== '1') return;
  for (const c of calls) process.stdout.write(`    ${c.kind} ${c.method} ${c.path} ${c.status}\n`);
  process.stdout.write(`  = ${calls.length}\n`);
}

async function callsFor(pair: Pair, detect: Detect): Promise<Map<string, number[]>> {
  const stack = await startBenchStack(pair, {
    webhooks: detect !== 'poll',
    ...(detect === 'webhook' ? {} : { overlapMs: POLL_OVERLAP_MS }),
  });
  const counts = new Map<string, number[]>();
  const add = (key: string, n: number): void => void counts.set(key, [...(counts.get(key) ?? []), n]);
  try {
    await stack.settle();
    for (let run = 0; run < RUNS; run++) {
      for (const side of ['a', 'b'] as const) {
        const p = person(stack, side);
        let id = '';
        add(
          `${side}:create`,
          await countChange(stack, detect, async () => {
            id = await p.create(`Bench ${pair} ${side} run ${run}`);
          }),
        );
        if (!(await stack.link(pair, side, id))) throw new Error(`${pair}: ticket ${id} on ${side} was not mirrored`);
        for (const kind of ['field', 'status', 'comment'] as const)
          add(`${side}:${kind}`, await countChange(stack, detect, () => p.change(kind, id, run)));
      }
    }
    const errors = await stack.daemon.ledger.listErrors({ connection: pair, state: 'open' });
    if (errors.length > 0) process.stdout.write(`${pair}: ${errors.length} open errors: ${errors[0]?.message}\n`);
  } finally {
    await stack.stop();
  }
  return counts;
}

async function benchCalls(): Promise<void> {
  row(
    'pair',
    'direction',
    'kind',
    'minimum',
    'webhook-detected (median)',
    'webhooks + poll (median)',
    'poll-detected (median)',
    'ratio (webhook)',
    'floor',
    'webhook / floor',
    'floor as deployed',
    'webhooks + poll / floor as deployed',
  );
  for (const pair of BENCH_PAIRS) {
    const webhook = await callsFor(pair, 'webhook');
    const both = await callsFor(pair, 'webhook+poll');
    const poll = await callsFor(pair, 'poll');
    const kinds = kindsOf(pair);
    for (const side of ['a', 'b'] as const)
      for (const kind of CHANGE_KINDS) {
        const min = minimum(pair, side, kind);
        const [w, wp, p] = [webhook, both, poll].map((m) => median(m.get(`${side}:${kind}`) ?? []));
        const low = floor(pair, side, kind);
        const ratio = (n: number, of: number): string => `${(n / of).toFixed(2)}×`;
        row(
          pair,
          `${kinds[side]} → ${kinds[other(side)]}`,
          kind,
          min,
          w!,
          wp!,
          p!,
          ratio(w!, min),
          low,
          ratio(w!, low),
          deployedFloor(pair, side, kind),
          ratio(wp!, deployedFloor(pair, side, kind)),
        );
      }
  }
}

// ---- idle calls per minute ---------------------------------------------------------------------

/**
 * A poll's listing: a GET of the ticket list (Freshservice, ConnectWise; a POST to the same path
 * is a create, counted) or a Jira JQL search (POST). Lookups named …/search (priorities, assignable
 * users) are counted.
 */
const isListing = (c: Call): boolean =>
  (c.kind === 'freshservice' && c.method === 'GET' && /^\/api\/v2\/tickets(\/filter)?$/.test(c.path)) ||
  (c.kind === 'connectwise' && c.method === 'GET' && /\/service\/tickets$/.test(c.path)) ||
  (c.kind === 'jsm' && /\/search\/jql$/.test(c.path));

async function waitForLinks(stack: BenchStack, connection: string, n: number, timeoutMs: number): Promise<number> {
  const started = Date.now();
  while ((await stack.daemon.ledger.counts(connection)).links < n) {
    if (Date.now() - started > timeoutMs) throw new Error(`${connection}: fewer than ${n} links after ${timeoutMs} ms`);
    await sleep(200);
  }
  return Date.now() - started;
}

async function seedFreshservice(stack: BenchStack, count: number, prefix: string): Promise<void> {
  const res = await fetch(`${stack.simUrl('freshservice')}/__sim/seed`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ generate: { count, subjectPrefix: prefix } }),
  });
  if (!res.ok) throw new Error(`seed: HTTP ${res.status}`);
}

async function benchIdle(): Promise<void> {
  row('idle', 'links', 'poll interval', 'calls/min (median of windows)', 'listing calls/min', 'windows (calls/min)');
  const stack = await startBenchStack('fs-cw', { webhooks: false, pollIntervalMs: POLL_MS });
  try {
    let have = 0;
    for (const links of IDLE_LINKS) {
      await seedFreshservice(stack, links - have, `Idle ${links}`);
      await waitForLinks(stack, 'fs-cw', links, 30 * 60_000);
      // Settled, not just idle: the passes held until the new links' versions are trusted
      // (settle-passes.ts) belong to their creation, not to the idle minutes.
      await stack.daemon.engine.onSettled();
      have = links;
      const perMinute: number[] = [];
      const listing: number[] = [];
      for (let w = 0; w < RUNS; w++) {
        const from = Date.now();
        await sleep(IDLE_WINDOW_MS);
        const window = stack.calls.filter((c) => c.startedAtMs >= from);
        perMinute.push(Math.round((window.length * 60_000) / IDLE_WINDOW_MS));
        listing.push(Math.round((window.filter(isListing).length * 60_000) / IDLE_WINDOW_MS));
      }
      row('idle', links, `${POLL_MS} ms`, median(perMinute), median(listing), perMinute.join(', '));
    }
  } finally {
    await stack.stop();
  }
}

// ---- change -> mirror latency ------------------------------------------------------------------

const writesTo = (kind: string, id: string) => (c: Call) =>
  c.kind === kind && c.method !== 'GET' && new RegExp(`/${id}(/|$)`).test(c.path);

async function latencyRun(mode: 'webhook-0' | 'webhook-150' | 'polling'): Promise<number[]> {
  const stack = await startBenchStack('fs-cw', {
    webhooks: mode !== 'polling',
    ...(mode === 'polling' ? { pollIntervalMs: POLL_MS } : {}),
  });
  try {
    const fsId = await person(stack, 'a').create('Latency probe');
    if (mode === 'polling') await waitForLinks(stack, 'fs-cw', 1, 60_000);
    else await stack.settle();
    const link = await stack.link('fs-cw', 'a', fsId);
    if (!link) throw new Error('latency probe not mirrored');
    if (mode === 'webhook-150')
      for (const s of stack.simulators) s.handle.sim.faults.set({ latencyMs: { min: 150, max: 150 } });
    const latencies: number[] = [];
    for (let i = 0; i < LATENCY_CHANGES; i++) {
      const side: Side = i % 2 === 0 ? 'a' : 'b';
      const target = kindsOf('fs-cw')[other(side)];
      const written = stack.nextCall(writesTo(target, side === 'a' ? link.bId : link.aId));
      await person(stack, side).change('field', side === 'a' ? link.aId : link.bId, i);
      const t0 = Date.now();
      const hit = await Promise.race([written, sleep(30_000).then(() => null)]);
      latencies.push(hit ? hit.endedAtMs - t0 : Infinity);
      if (mode === 'polling') await sleep(300);
      else await stack.settle();
    }
    return latencies;
  } finally {
    await stack.stop();
  }
}

async function benchLatency(): Promise<void> {
  row('latency', 'mode', 'p50 ms', 'p95 ms', 'max ms', 'not mirrored in 30 s', 'runs × changes');
  for (const mode of ['webhook-0', 'webhook-150', 'polling'] as const) {
    const p50: number[] = [];
    const p95: number[] = [];
    const max: number[] = [];
    let missed = 0;
    for (let run = 0; run < RUNS; run++) {
      const l = await latencyRun(mode);
      const ok = l.filter(Number.isFinite);
      missed += l.length - ok.length;
      p50.push(percentile(ok, 50));
      p95.push(percentile(ok, 95));
      max.push(Math.max(...ok));
    }
    const label = mode === 'polling' ? `polling only (${POLL_MS} ms)` : `webhooks, ${mode.slice(8)} ms vendor latency`;
    row('latency', label, median(p50), median(p95), median(max), missed, `${RUNS} × ${LATENCY_CHANGES}`);
  }
}

// ---- burst and backlog with Freshservice at 200/min --------------------------------------------

function longestSilence(calls: Call[], from: number, to: number): number {
  const starts = calls
    .filter((c) => c.kind === 'freshservice' && c.startedAtMs >= from && c.startedAtMs <= to)
    .map((c) => c.startedAtMs)
    .sort((x, y) => x - y);
  let longest = 0;
  let previous = from;
  for (const s of [...starts, to]) {
    longest = Math.max(longest, s - previous);
    previous = s;
  }
  return longest;
}

/** With BENCH_TRACE=1, the Freshservice requests around the longest silence (ms after the burst's start). */
function traceSilence(calls: Call[], from: number, to: number): void {
  if (process.env.BENCH_TRACE !== '1') return;
  const fs = calls.filter((c) => c.kind === 'freshservice' && c.startedAtMs >= from && c.startedAtMs <= to);
  fs.sort((x, y) => x.startedAtMs - y.startedAtMs);
  let at = 0;
  let longest = 0;
  for (let i = 1; i < fs.length; i++) {
    const gap = fs[i]!.startedAtMs - fs[i - 1]!.startedAtMs;
    if (gap > longest) [longest, at] = [gap, i];
  }
  for (const c of fs.slice(Math.max(0, at - 6), at + 4))
    process.stdout.write(`    +${c.startedAtMs - from} ms ${c.method} ${c.path} ${c.status}\n`);
}

/**
 * `people` = where the burst's people work: in the web apps (Freshservice's API rate limit does
 * not meter them), or through the Freshservice API as another app on the account, whose 50
 * creates spend the same per-minute window the daemon draws on.
 */
async function benchBurst(people: 'web' | 'api'): Promise<void> {
  const stack = await startBenchStack('fs-cw', {
    webhooks: true,
    pollIntervalMs: POLL_MS,
    freshservicePerMinute: FS_PER_MINUTE,
  });
  try {
    const cwIds: string[] = [];
    for (let i = 0; i < BURST; i++) cwIds.push(await person(stack, 'b').create(`Burst target ${i}`));
    await waitForLinks(stack, 'fs-cw', BURST, 20 * 60_000);
    await stack.daemon.engine.onIdle();
    const linkIds = await Promise.all(cwIds.map(async (id) => (await stack.link('fs-cw', 'b', id))!.id));
    const t0 = Date.now();
    const done = new Map<string, number>();
    const started = new Map<string, number>();
    const fsIds: string[] = [];
    const creates = (async () => {
      for (let i = 0; i < BURST; i++) {
        const at = Date.now();
        const id = await person(stack, 'a', people).create(`Burst create ${i}`);
        fsIds.push(id);
        started.set(`create:${id}`, at);
      }
    })();
    const edits = (async () => {
      for (const [i, id] of cwIds.entries()) {
        started.set(`edit:${linkIds[i]}`, Date.now());
        await person(stack, 'b').change('status', id, 0);
      }
    })();
    await Promise.all([creates, edits]);
    const deadline = Date.now() + 20 * 60_000;
    while (done.size < 2 * BURST && Date.now() < deadline) {
      for (const id of fsIds)
        if (!done.has(`create:${id}`) && (await stack.link('fs-cw', 'a', id))) done.set(`create:${id}`, Date.now());
      for (const linkId of linkIds) {
        if (done.has(`edit:${linkId}`)) continue;
        const snap = await stack.daemon.ledger.snapshot(linkId);
        if (snap?.baselines.status?.a === 3) done.set(`edit:${linkId}`, Date.now());
      }
      await sleep(100);
    }
    const end = Date.now();
    const latencies = [...done].map(([key, at]) => at - (started.get(key) ?? t0));
    const window = stack.calls.filter((c) => c.kind === 'freshservice' && c.startedAtMs >= t0 && c.startedAtMs <= end);
    const errors = await stack.daemon.ledger.listErrors({ connection: 'fs-cw', state: 'open' });
    traceSilence(stack.calls, t0, end);
    row(
      'burst',
      'people',
      'mirrored',
      'failed syncs',
      '429s',
      'p95 latency ms',
      'longest FS silence ms',
      'drain s',
      'FS calls',
    );
    row(
      'burst',
      people === 'web' ? 'in the web apps' : "Freshservice creates through the API (another app's calls)",
      `${done.size}/${2 * BURST}`,
      errors.length,
      window.filter((c) => c.status === 429).length,
      percentile(latencies, 95),
      longestSilence(stack.calls, t0, end),
      ((end - t0) / 1000).toFixed(1),
      window.length,
    );
  } finally {
    await stack.stop();
  }
}

async function benchBacklog(): Promise<void> {
  const stack = await startBenchStack('fs-cw', {
    webhooks: false,
    pollIntervalMs: POLL_MS,
    freshservicePerMinute: FS_PER_MINUTE,
  });
  try {
    await stack.daemon.engine.onIdle();
    const before = (await stack.daemon.ledger.counts('fs-cw')).links;
    const t0 = Date.now();
    // New ConnectWise tickets: each costs Freshservice calls to mirror (the create and its reads).
    const res = await fetch(`${stack.simUrl('connectwise')}/__sim/seed`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ generate: { count: BACKLOG, board: 'Co-Managed FS' } }),
    });
    if (!res.ok) throw new Error(`seed: HTTP ${res.status}`);
    await waitForLinks(stack, 'fs-cw', before + BACKLOG, 60 * 60_000);
    const end = Date.now();
    const fsCalls = stack.calls.filter((c) => c.kind === 'freshservice' && c.startedAtMs >= t0 && c.startedAtMs <= end);
    const minutes = (end - t0) / 60_000;
    const rate = fsCalls.length / minutes;
    const links = (await stack.daemon.ledger.counts('fs-cw')).links - before;
    row('backlog', 'tickets', 'mirrored', 'drain', 'FS calls/min achieved', 'ceiling', 'achieved/ceiling', '429s');
    row(
      'backlog',
      BACKLOG,
      links,
      `${(minutes * 60).toFixed(0)} s`,
      rate.toFixed(0),
      FS_PER_MINUTE,
      `${((100 * rate) / FS_PER_MINUTE).toFixed(0)} %`,
      fsCalls.filter((c) => c.status === 429).length,
    );
  } finally {
    await stack.stop();
  }
}

process.stdout.write(`machine: ${machine()}\n`);
if (ONLY.has('calls')) await benchCalls();
if (ONLY.has('idle')) await benchIdle();
if (ONLY.has('latency')) await benchLatency();
if (ONLY.has('burst')) for (const people of BURST_PEOPLE) await benchBurst(people);
if (ONLY.has('backlog')) await benchBacklog();
process.stdout.write(`\nmachine at the end: ${machine()}\n\n`);
for (const r of rows) process.stdout.write(`| ${r.join(' | ')} |\n`);
process.exit(0);
