// One rule for the dry run and the pass: for random scenarios, what `plan` predicts for each link
// and each new ticket is exactly what the next real passes write. People work on both sides
// (the convergence generators), the daemon syncs until quiet, people work again without the
// daemon looking, then `plan` runs, then one round of polls, and the writes the connectors made
// are compared with the plan. No faults: a refused or failed write is not a difference of rule.
import axios from 'axios';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PlannedChange } from '../../src/core/engine.js';
import type { FieldValues, Side } from '../../src/core/types.js';
import { startDaemon, type DaemonHandle } from '../../src/daemon.js';
import {
  act,
  opArbitrary,
  PAIRS,
  peopleOf,
  quiesce,
  startPair,
  type Made,
  type Op,
  type PairFixture,
} from './scenario.js';

const RUNS = Number(process.env.TB_PLAN_RUNS ?? 25);
const SEED = Number(process.env.TB_PROPERTY_SEED ?? 20261130);

/** People's work only (no polls): what happens while the daemon is not looking. */
const peopleOps = fc.array(
  opArbitrary.filter((op) => op.op !== 'poll' && op.op !== 'settle'),
  { minLength: 1, maxLength: 12 },
);

interface Written {
  /** Fields written per (side, ticket). */
  updates: Map<string, FieldValues>;
  /** Fields a twin was created with, per (target side, source ticket). */
  creates: Map<string, FieldValues>;
}

/** Records every create and update the connectors make, by target side and ticket. */
function record(daemon: DaemonHandle, conn: string): Written {
  const written: Written = { updates: new Map(), creates: new Map() };
  const pair = daemon.connectors.get(conn)!;
  for (const side of ['a', 'b'] as const) {
    const connector = pair[side];
    const update = connector.updateTicket.bind(connector);
    connector.updateTicket = async (id, changes, options) => {
      const key = `${side}:${id}`;
      written.updates.set(key, { ...written.updates.get(key), ...changes });
      return update(id, changes, options);
    };
    const create = connector.createTicket.bind(connector);
    connector.createTicket = async (fields, marker) => {
      // The marker names the source: tb:<connection>:<side><id>.
      written.creates.set(`${side}:${marker.split(':').at(-1)!.slice(1)}`, fields);
      const twin = await create(fields, marker);
      createdNow.add(`${side}:${twin.id}`);
      return twin;
    };
  }
  const createdNow = new Set<string>();
  // Writes to a twin the same round created are the create's own business, not the plan's.
  return {
    get updates() {
      return new Map([...written.updates].filter(([k]) => !createdNow.has(k)));
    },
    creates: written.creates,
  };
}

function predicted(plan: PlannedChange[]): Written {
  const updates = new Map<string, FieldValues>();
  const creates = new Map<string, FieldValues>();
  for (const p of plan) {
    if (p.action === 'create') creates.set(`${p.side}:${p.ticketId}`, p.fields);
    if (p.action === 'update') updates.set(`${p.side}:${p.ticketId}`, p.fields);
  }
  return { updates, creates };
}

async function round(f: PairFixture, before: Op[], after: Op[]): Promise<{ plan: Written; pass: Written }> {
  const conn = f.pair;
  await Promise.all(f.simulators.map((s) => axios.post(`${s.handle.url}/__sim/reset`, {})));
  const daemon = await startDaemon(f.config, { ledgerPath: ':memory:', logLevel: 'silent' });
  try {
    const people = peopleOf(f);
    const made: Made[] = [];
    let token = 0;
    const tag = (): string => `tok-${++token}`;
    for (const op of before) await act(people, made, op, tag);
    await quiesce(f, daemon, conn);
    for (const op of after) await act(people, made, op, tag);
    const plan = predicted(await daemon.engine.plan(conn));
    const pass = record(daemon, conn);
    for (const side of ['a', 'b'] as Side[]) await daemon.engine.pollOnce(conn, side);
    await daemon.engine.onIdle();
    return { plan, pass: { updates: pass.updates, creates: pass.creates } };
  } finally {
    await daemon.stop();
  }
}

describe.each(PAIRS)('plan equals the next pass: %s', (pair) => {
  let fixture: PairFixture;
  const seen = { scenarios: 0, updates: 0, creates: 0 };
  beforeAll(async () => {
    fixture = await startPair(pair);
  });
  afterAll(async () => {
    await fixture?.stop();
    process.stdout.write(
      `plan = pass, ${pair}: ${seen.scenarios} scenarios, ${seen.updates} updates and ${seen.creates} creates predicted and made\n`,
    );
  });

  it(`predicts every write of the next passes in ${RUNS} random scenarios`, async () => {
    await fc.assert(
      fc.asyncProperty(peopleOps, peopleOps, async (before, after) => {
        const { plan, pass } = await round(fixture, before, after);
        seen.scenarios++;
        seen.updates += plan.updates.size;
        seen.creates += plan.creates.size;
        expect(Object.fromEntries(pass.updates)).toEqual(Object.fromEntries(plan.updates));
        expect(Object.fromEntries(pass.creates)).toEqual(Object.fromEntries(plan.creates));
      }),
      { numRuns: RUNS, seed: SEED + PAIRS.indexOf(pair), endOnFailure: true },
    );
  }, 1_800_000);
});
