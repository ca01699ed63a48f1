// Engine throughput on this machine: the engine with in-memory connectors and a SQLite ledger
// on disk (WAL). Measures no-change link passes per second, one-field-change passes per second,
// and memory while the ledger grows to 100,000 links. Each figure is the median of several runs.
//
//   npm run bench:engine            (defaults: 5 runs, 2,000 links per run, 100,000 for memory)
//   (node --expose-gc --import tsx bench/engine.bench.ts gives steadier memory samples)
//   npm run bench:engine -- --runs 3 --links 1000 --memory-links 20000
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteLedger } from '../src/core/ledger/sqlite/index.js';
import type { FieldConfig } from '../src/mapping/schema.js';
import { createHarness, type Harness } from '../test/helpers/engine-harness.js';

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i === -1 ? fallback : Number(process.argv[i + 1]);
}

const RUNS = arg('runs', 5);
const LINKS = arg('links', 2000);
const MEMORY_LINKS = arg('memory-links', 100_000);

const fields: FieldConfig[] = [
  { name: 'summary', a: 'subject', b: 'summary', owner: 'both', conflict: 'newest' },
  { name: 'description', a: 'description', b: 'description', owner: 'a', type: 'text' },
  {
    name: 'priority',
    a: 'priority',
    b: 'priority',
    owner: 'a',
    map: [
      { a: 4, b: 'P1' },
      { a: 3, b: 'P2' },
      { a: 2, b: 'P3' },
      { a: 1, b: 'P4' },
    ],
  },
  {
    name: 'status',
    a: 'status',
    b: 'status',
    owner: 'both',
    map: [
      { a: 2, b: 'New' },
      { a: 2, b: 'In Progress' },
      { a: 3, b: 'Waiting' },
      { a: 4, b: 'Resolved' },
    ],
  },
];

function median(values: number[]): number {
  const s = [...values].sort((x, y) => x - y);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

async function linkedHarness(dir: string, n: number): Promise<{ h: Harness; aIds: string[] }> {
  const ledger = new SqliteLedger({ path: join(dir, `bench-${Date.now()}-${Math.random()}.sqlite`) });
  const h = createHarness({ fields, ledger, engine: { concurrency: 16 } });
  const aIds: string[] = [];
  for (let i = 0; i < n; i++)
    aIds.push(
      h.a.userCreate({
        subject: `Ticket ${i}`,
        description: `Line one\nLine two of ${i}`,
        priority: (i % 4) + 1,
        status: 2,
      }),
    );
  await h.pollBoth();
  await h.pollBoth();
  return { h, aIds };
}

async function passesPerSecond(h: Harness, prepare: () => void): Promise<{ rate: number; writes: number }> {
  prepare();
  const writesBefore = h.writes();
  const started = performance.now();
  const passes = await h.engine.reconcile();
  await h.engine.onIdle();
  const seconds = (performance.now() - started) / 1000;
  return { rate: passes / seconds, writes: h.writes() - writesBefore };
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'tb-bench-'));
  const noChange: number[] = [];
  const oneField: number[] = [];
  try {
    for (let run = 0; run < RUNS; run++) {
      const { h, aIds } = await linkedHarness(dir, LINKS);
      // A version change that touches no mapped field: the pass reads both sides, compares every
      // field and the comments, and writes nothing.
      const idle = await passesPerSecond(h, () => aIds.forEach((id) => h.a.userEdit(id, { unmapped: run })));
      if (idle.writes !== 0) throw new Error(`no-change passes wrote ${idle.writes} times`);
      noChange.push(idle.rate);
      const edit = await passesPerSecond(h, () =>
        aIds.forEach((id, i) => h.a.userEdit(id, { subject: `Edited ${run} ${i}` })),
      );
      if (edit.writes !== LINKS) throw new Error(`one-field passes wrote ${edit.writes} times, expected ${LINKS}`);
      oneField.push(edit.rate);
      await h.close();
      process.stdout.write(
        `run ${run + 1}/${RUNS}: ${idle.rate.toFixed(0)} no-change passes/s, ${edit.rate.toFixed(0)} one-field passes/s\n`,
      );
    }

    // Memory while the ledger grows: links are created through the engine in batches, and a
    // full reconcile of a sample runs after each batch.
    const ledger = new SqliteLedger({ path: join(dir, 'memory.sqlite') });
    const h = createHarness({ fields, ledger, engine: { concurrency: 16 } });
    const samples: Array<{ links: number; rssMb: number; heapMb: number }> = [];
    const batch = Math.max(1000, Math.floor(MEMORY_LINKS / 10));
    for (let made = 0; made < MEMORY_LINKS; made += batch) {
      for (let i = 0; i < batch; i++) h.a.userCreate({ subject: `Ticket ${made + i}`, priority: 2, status: 2 });
      await h.pollBoth();
      // The in-memory systems themselves hold every ticket; drop the bodies the engine no longer needs.
      globalThis.gc?.();
      const m = process.memoryUsage();
      samples.push({ links: (await ledger.counts()).links, rssMb: m.rss / 1e6, heapMb: m.heapUsed / 1e6 });
      process.stdout.write(
        `links ${samples.at(-1)!.links}: rss ${samples.at(-1)!.rssMb.toFixed(0)} MB, heap ${samples.at(-1)!.heapMb.toFixed(0)} MB\n`,
      );
    }
    // What the engine and ledger themselves retain once the simulated systems' tickets are gone.
    h.a.tickets.clear();
    h.b.tickets.clear();
    globalThis.gc?.();
    const retainedHeapMb = Math.round(process.memoryUsage().heapUsed / 1e6);
    await h.close();

    const result = {
      retainedHeapMbWithoutSimulatedTickets: retainedHeapMb,
      machine: `${process.platform} ${process.arch}, node ${process.version}`,
      runs: RUNS,
      linksPerRun: LINKS,
      noChangePassesPerSecond: Math.round(median(noChange)),
      oneFieldChangePassesPerSecond: Math.round(median(oneField)),
      memory: samples.map((s) => ({ links: s.links, rssMb: Math.round(s.rssMb), heapMb: Math.round(s.heapMb) })),
    };
    process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
