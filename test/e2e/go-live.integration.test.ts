// Go-live on tickets both teams already hold, on the Freshservice and ConnectWise simulators: each
// side holds N tickets, M of them the same incidents typed by hand on both sides. `ticketbridge
// link --from pairs.csv` pairs the M (and again: nothing more), `ticketbridge plan` says what the
// daemon will do, and the daemon's passes then do exactly that: M paired links, a twin for each
// of the N - M unpaired tickets on each side (create: both ways), no duplicate anywhere.
// Size: 500 / 300 as the go-live promise names; TB_GO_LIVE_TICKETS (N) and TB_GO_LIVE_SHARED (M) set others.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildDaemon, type DaemonParts } from '../../src/daemon.js';
import type { PlannedChange } from '../../src/core/engine.js';
import { canonical } from '../../src/core/values.js';
import { normaliseText } from '../../src/core/text.js';
import type { JsonValue, Side, Ticket } from '../../src/core/types.js';
import { loadConfig } from '../../src/mapping/loader.js';
import { startSimulators, type StartedSimulator } from '../../src/simulators/start.js';
import { captureCli } from '../helpers/cli.js';
import { freePort } from '../helpers/demo-stack.js';
import { connectwiseSystemYaml, freshserviceSystemYaml } from '../helpers/sim-systems.js';

const N = Number(process.env.TB_GO_LIVE_TICKETS ?? 500);
const M = Number(process.env.TB_GO_LIVE_SHARED ?? 300);
const CONNECTION = 'fs-cw';
const cli = captureCli();

const PRIORITY_CW: Record<number, string> = {
  4: 'Priority 1 - Critical',
  3: 'Priority 2 - High',
  2: 'Priority 3 - Medium',
  1: 'Priority 4 - Low',
};

async function seed(url: string, body: unknown): Promise<number[]> {
  const res = await fetch(`${url}/__sim/seed`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const answer = (await res.json()) as { tickets: number[] | { count: number; first: number } };
  const ids = answer.tickets;
  if (Array.isArray(ids)) return ids;
  return Array.from({ length: ids.count }, (_, i) => ids.first + i);
}

/** Every item of a paged ledger listing. */
async function every<T>(page: (offset: number) => Promise<{ items: T[]; total: number }>): Promise<T[]> {
  const out: T[] = [];
  for (;;) {
    const next = await page(out.length);
    out.push(...next.items);
    if (out.length >= next.total || next.items.length === 0) return out;
  }
}

/** Every ticket a connector lists on one side. */
async function all(parts: DaemonParts, side: Side): Promise<Ticket[]> {
  const out: Ticket[] = [];
  for await (const t of parts.connectors.get(CONNECTION)![side].listChanged({ since: null }))
    if (!('invalid' in t)) out.push(t);
  return out;
}

describe(`go-live: ${N} tickets a side, ${M} of them the same incidents`, () => {
  let dir: string;
  let config: string;
  let ledger: string;
  let sims: StartedSimulator[];
  const pairs: Array<{ fs: number; cw: number }> = [];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tb-go-live-'));
    config = join(dir, 'config.yaml');
    ledger = join(dir, 'ledger.sqlite');
    const [fsPort, cwPort] = [await freePort(), await freePort()];
    writeFileSync(
      config,
      [
        'systems:',
        ...freshserviceSystemYaml('freshservice', fsPort, [
          'options: { defaultRequesterEmail: msp-desk@contoso.example }',
          'rateLimit: { requestsPerMinute: 1000000, concurrency: 8 }',
        ]),
        ...connectwiseSystemYaml('connectwise', cwPort, ['rateLimit: { requestsPerMinute: 1000000, concurrency: 8 }']),
        'connections:',
        `  ${CONNECTION}:`,
        '    a: { system: freshservice }',
        '    b: { system: connectwise, scope: { boards: [Co-Managed FS] } }',
        '    fields:',
        '      - { name: summary, a: subject, b: summary, owner: both, conflict: newest, transform: { toB: [truncate:100] } }',
        '      - { name: description, a: description, b: description, owner: a, type: text }',
        '      - name: priority',
        '        a: priority',
        '        b: priority',
        '        owner: a',
        '        map:',
        ...Object.entries(PRIORITY_CW).map(([a, b]) => `          - { a: ${a}, b: ${b} }`),
        '      - name: status',
        '        a: status',
        '        b: status',
        '        owner: both',
        '        conflict: newest',
        '        map:',
        '          - { a: 2, b: New }',
        '          - { a: 2, b: In Progress }',
        '          - { a: 3, b: Waiting on Client }',
        '          - { a: 4, b: Resolved }',
        '          - { a: 5, b: Closed }',
        '    create: { aToB: true, bToA: true }',
        `ledger: { driver: sqlite, path: ${ledger} }`,
        'server: { host: 127.0.0.1, port: 0 }',
      ].join('\n'),
    );
    sims = await startSimulators(loadConfig(config, { env: {} }).config);
    const url = (kind: string): string => sims.find((s) => s.system.kind === kind)!.handle.url;
    const base = Date.now() - 86_400_000;
    const at = (ms: number): string => new Date(base + ms).toISOString();
    const fsTickets = [];
    const cwTickets = [];
    for (let i = 0; i < N; i++) {
      const shared = i < M;
      const priority = 1 + (i % 4);
      // Shared incidents were typed by hand on both sides: sometimes word for word, sometimes not,
      // with the later edit on either side; the MSP's priority is its own guess.
      const fsAt = i * 60_000;
      const cwAt = fsAt + (i % 3 === 1 ? 30_000 : -30_000);
      fsTickets.push({
        subject: shared ? `Incident ${i}: printer on floor ${i % 7}` : `Internal only ${i}`,
        description: shared ? `Reported by user ${i}` : `Only the internal team has ${i}`,
        priority,
        status: 2,
        created_at: at(fsAt - 3_600_000),
        updated_at: at(fsAt),
      });
      cwTickets.push({
        summary: shared
          ? i % 3 === 0
            ? `Incident ${i}: printer on floor ${i % 7}`
            : `Printer floor ${i % 7} (incident ${i})`
          : `MSP only ${i}`,
        board: { name: 'Co-Managed FS' },
        priority: { name: PRIORITY_CW[i % 2 === 0 ? priority : 1 + ((i + 1) % 4)] },
        status: { name: i % 5 === 0 ? 'In Progress' : 'New' },
        initialDescription: shared ? `Phoned in by user ${i}` : `Only the MSP has ${i}`,
        dateEntered: at(cwAt - 3_600_000),
        lastUpdated: at(cwAt),
      });
    }
    const fsIds = await seed(url('freshservice'), { tickets: fsTickets });
    const cwIds = await seed(url('connectwise'), { tickets: cwTickets });
    expect(fsIds).toHaveLength(N);
    expect(cwIds).toHaveLength(N);
    for (let i = 0; i < M; i++) pairs.push({ fs: fsIds[i]!, cw: cwIds[i]! });
  }, 120_000);

  afterAll(async () => {
    for (const s of sims ?? []) await s.handle.stop();
  });

  it('pairs the shared incidents from a file, plans the go-live, and the daemon does exactly that with no duplicate', async () => {
    // Refs as people type them: bare ids, and some with their system named.
    const rows = pairs.map((p, i) =>
      i % 4 === 0
        ? `freshservice:${p.fs},connectwise:${p.cw}`
        : i % 4 === 1
          ? `connectwise:${p.cw},${p.fs}`
          : `${p.fs},${p.cw}`,
    );
    const file = join(dir, 'pairs.csv');
    writeFileSync(file, ['a,b', ...rows].join('\n') + '\n');
    expect(await cli.run('link', '--config', config, '--from', file)).toBe(0);
    expect(cli.out).toContain(`${file}: ${M} rows: linked ${M}, already linked 0, not found 0, refused 0\n`);
    cli.out = '';
    // Idempotent: the same file again links nothing more.
    expect(await cli.run('link', '--config', config, '--from', file)).toBe(0);
    expect(cli.out).toContain(`${file}: ${M} rows: linked 0, already linked ${M}, not found 0, refused 0\n`);

    cli.out = '';
    expect(await cli.run('plan', '--config', config, '--json')).toBe(0);
    const planned = JSON.parse(cli.out) as PlannedChange[];
    const creates = planned.filter((p) => p.action === 'create');
    const updates = planned.filter((p) => p.action === 'update');
    expect(planned.filter((p) => p.action === 'leave')).toEqual([]);
    expect(creates.filter((p) => p.side === 'b')).toHaveLength(N - M);
    expect(creates.filter((p) => p.side === 'a')).toHaveLength(N - M);

    const parts = await buildDaemon(loadConfig(config, { env: {} }).config, { logLevel: 'silent' });
    try {
      // What `run` does on start, twice over: poll both sides, let every pass finish.
      for (let round = 0; round < 2; round++) {
        await parts.engine.pollOnce(CONNECTION, 'a');
        await parts.engine.pollOnce(CONNECTION, 'b');
        await parts.engine.onIdle();
      }
      const links = await every((offset) => parts.ledger.listLinks({ connection: CONNECTION, offset, limit: 200 }));
      expect(links.filter((l) => l.state === 'active')).toHaveLength(links.length);
      expect(links).toHaveLength(M + 2 * (N - M));
      expect(await parts.ledger.listErrors({ state: 'open' })).toEqual([]);

      // 0 duplicates: every ticket on either side is in exactly one link, and twins are the only new tickets.
      const tickets = { a: await all(parts, 'a'), b: await all(parts, 'b') };
      expect(tickets.a).toHaveLength(N + (N - M));
      expect(tickets.b).toHaveLength(N + (N - M));
      for (const side of ['a', 'b'] as const) {
        const linked = links.map((l) => (side === 'a' ? l.aId : l.bId)).sort();
        expect(new Set(linked).size).toBe(linked.length);
        expect(linked).toEqual(tickets[side].map((t) => t.id).sort());
        // Markers: on both tickets of a pair and on every twin, never twice; the sources of twins carry none.
        const markers = tickets[side].map((t) => t.marker).filter((m) => typeof m === 'string');
        expect(markers).toHaveLength(M + (N - M));
        expect(new Set(markers).size).toBe(markers.length);
      }
      const paired = new Set(pairs.map((p) => `${p.fs}:${p.cw}`));
      expect(links.filter((l) => paired.has(`${l.aId}:${l.bId}`))).toHaveLength(M);

      // The plan said exactly what happened: the same twins, with the same fields, and on the
      // paired links the same field writes, and nothing else.
      const created = await every((offset) =>
        parts.ledger.listEvents({ connection: CONNECTION, kind: 'link_created', offset, limit: 500 }),
      );
      const madeTwins = created.filter((e) => (e.data as { adopted?: boolean } | null)?.adopted !== true);
      const sourceOf = (e: (typeof created)[number]): string => {
        const ids = e.newValue as Record<Side, string>;
        return `${e.side}:${e.side === 'a' ? ids.b : ids.a}`;
      };
      expect(madeTwins.map(sourceOf).sort()).toEqual(creates.map((p) => `${p.side}:${p.ticketId}`).sort());
      const byId = { a: new Map(tickets.a.map((t) => [t.id, t])), b: new Map(tickets.b.map((t) => [t.id, t])) };
      const textFields = new Set(['description']);
      const held = (t: Ticket, native: string): JsonValue =>
        textFields.has(native)
          ? normaliseText(typeof t.fields[native] === 'string' ? t.fields[native] : '')
          : (t.fields[native] ?? null);
      const wanted = (native: string, value: JsonValue): JsonValue =>
        textFields.has(native) ? normaliseText(typeof value === 'string' ? value : '') : value;
      for (const plan of creates) {
        const source = plan.side === 'a' ? 'b' : 'a';
        const link = links.find((l) => (source === 'a' ? l.aId : l.bId) === plan.ticketId)!;
        const twin = byId[plan.side].get(plan.side === 'a' ? link.aId : link.bId)!;
        for (const [native, value] of Object.entries(plan.fields))
          expect(canonical(held(twin, native)), `${plan.side} ${twin.id} ${native}`).toBe(
            canonical(wanted(native, value)),
          );
      }
      const mirrored = await every((offset) =>
        parts.ledger.listEvents({ connection: CONNECTION, kind: 'field_mirrored', offset, limit: 500 }),
      );
      const rules = parts.engine.connections.get(CONNECTION)!.fields;
      const happened = mirrored
        .map((e) => {
          const native = rules.find((r) => r.name === e.field)!.native[e.side!];
          return `${e.linkId} ${e.side} ${native}=${canonical(wanted(native, e.newValue))}`;
        })
        .sort();
      const predicted = updates
        .flatMap((p) =>
          Object.entries(p.fields).map(
            ([native, v]) => `${p.linkId} ${p.side} ${native}=${canonical(wanted(native, v))}`,
          ),
        )
        .sort();
      expect(updates.length).toBeGreaterThan(0);
      expect(happened).toEqual(predicted);
    } finally {
      await parts.close();
    }

    cli.out = '';
    expect(await cli.run('plan', '--config', config)).toBe(0);
    expect(cli.out).toBe('Nothing to do: both sides agree.\n');
  }, 600_000);
});
