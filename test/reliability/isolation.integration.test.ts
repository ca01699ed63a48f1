// Isolation (issue 14): a throttled system never holds capacity other systems' passes need. With
// Freshservice paused by a 429 and a backlog of fs-cw passes waiting on it, a Jira ⇄ ConnectWise
// pass still runs to completion; the backlog is kept and mirrors once Freshservice answers again,
// and stopping the daemon mid-backlog abandons the queued calls instead of waiting them out.
import { afterEach, expect, it } from 'vitest';
import { startReliabilityStack, type ReliabilityStack } from './stack.js';

let stack: ReliabilityStack | undefined;
afterEach(async () => {
  await stack?.stop();
  stack = undefined;
});

/** Waits (bounded) until `ready()` holds; says what it waited for when it never does. */
async function until(what: string, ready: () => boolean): Promise<void> {
  for (let i = 0; i < 500 && !ready(); i++) await new Promise((r) => setTimeout(r, 20));
  expect(ready(), what).toBe(true);
}

function fsQueueOf(s: ReliabilityStack) {
  const name = Object.entries(s.config.systems).find(([, system]) => system.kind === 'freshservice')![0];
  return s.daemon.queues.get(name)!;
}

/** /status, /metrics and the dashboard show the budget, what waits by priority and the time to drain. */
async function expectBacklogShown(s: ReliabilityStack, system: string): Promise<void> {
  const status = (await (await s.api('/status')).json()) as {
    connections: Array<{ name: string; sides: { a: { queue: Record<string, unknown> } } }>;
  };
  const queue = status.connections.find((c) => c.name === 'fs-cw')!.sides.a.queue;
  expect(queue.budget).toMatchObject({ perMinute: expect.any(Number), leftThisMinute: expect.any(Number) });
  const budget = queue.budget as { perMinute: number; usedLastMinute: number; leftThisMinute: number };
  expect(budget.usedLastMinute + budget.leftThisMinute).toBe(budget.perMinute);
  expect(queue.queued).toMatchObject({ change: expect.any(Number), discovery: 0, background: 0 });
  expect((queue.queued as { change: number }).change).toBeGreaterThanOrEqual(8);
  expect(queue.drainSeconds as number).toBeGreaterThan(60); // the two-minute pause is still ahead
  expect(typeof queue.ratePerMinute).toBe('number');

  const metrics = await (await s.api('/metrics')).text();
  expect(metrics).toMatch(
    new RegExp(`^ticketbridge_queue_waiting\\{system="${system}",priority="change"\\} (\\d+)$`, 'm'),
  );
  expect(metrics).toMatch(new RegExp(`^ticketbridge_budget_left\\{system="${system}"\\} \\d+$`, 'm'));
  expect(metrics).toMatch(
    new RegExp(`^ticketbridge_budget_per_minute\\{system="${system}"\\} ${budget.perMinute}$`, 'm'),
  );
  expect(metrics).toMatch(new RegExp(`^ticketbridge_queue_drain_seconds\\{system="${system}"\\} \\d+`, 'm'));

  const page = await (await s.api('/')).text();
  expect(page).toContain(`data-budget="${system}"`);
  expect(page).toMatch(/Budget: <strong>\d+<\/strong> of \d+ a minute used, <strong>\d+<\/strong> left/);
  expect(page).toMatch(/queued: \d+ for changes · drains in about \d+ s/);
}

it('runs a Jira ⇄ ConnectWise pass while Freshservice is throttled with a backlog of fs-cw passes', async () => {
  const s = (stack = await startReliabilityStack());
  const fsQueue = fsQueueOf(s);
  const backlogIds: string[] = [];
  for (let i = 0; i < 12; i++) backlogIds.push(await s.fs.create({ subject: `Backlog ticket ${i}` }));
  fsQueue.pauseFor(120_000); // a 429 asked for two minutes
  let backlogDone = false;
  const backlog = Promise.all(backlogIds.map((id) => s.daemon.engine.hint('fs-cw', 'a', id))).then(() => {
    backlogDone = true;
  });
  await until('every fs-cw slot holds a pass waiting for Freshservice', () => fsQueue.stats().waiting >= 8);

  const jiraId = await s.jira.create({ summary: 'Changed in Jira during a Freshservice backlog' });
  await s.daemon.engine.pollOnce('jsm-cw', 'a');

  expect(await s.link('jsm-cw', 'a', jiraId), 'the Jira ticket mirrored to ConnectWise').not.toBeNull();
  expect(backlogDone, 'the Freshservice backlog is still pending').toBe(false);
  expect(fsQueue.stats().waiting).toBeGreaterThan(0);
  for (const id of backlogIds) expect(await s.link('fs-cw', 'a', id)).toBeNull();

  await expectBacklogShown(s, fsQueue.system);

  fsQueue.pauseFor(0); // Freshservice's next answer allows calls again
  await backlog;
  for (const id of backlogIds) expect(await s.link('fs-cw', 'a', id), `backlog ticket ${id}`).not.toBeNull();
});

it('stops mid-backlog without waiting out a throttled system', async () => {
  const s = (stack = await startReliabilityStack());
  const fsQueue = fsQueueOf(s);
  const ids: string[] = [];
  for (let i = 0; i < 10; i++) ids.push(await s.fs.create({ subject: `Backlog at shutdown ${i}` }));
  fsQueue.pauseFor(120_000);
  const backlog = Promise.all(ids.map((id) => s.daemon.engine.hint('fs-cw', 'a', id)));
  await until('passes wait for Freshservice', () => fsQueue.stats().waiting >= 8);
  // Resolves only when the queued calls are abandoned: waiting out the pause would take two minutes
  // (far beyond this test's timeout).
  await s.daemon.stop();
  await backlog;
  expect(fsQueue.stats().waiting).toBe(0);
  stack = undefined;
  await s.stop();
}, 60_000);
